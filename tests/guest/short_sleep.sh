#!/usr/bin/env bash
# guest.short_sleep: a sleep nearer than one block round trip (the exit, the
# host's wake-up, the re-entry: ~50-70 us under kvm_pvm) is waited for in the
# guest, not with a block hypercall each (issue 11: Go's sysmon sleeps 20 us
# at a time while a program is busy). 300 nanosleeps of 20 us, none ending
# early (the program checks), must take far fewer than 300 block exits
# (shoal-vmm --verbose counts them): the first few teach the LibOS the round
# trip, the rest spin.
#   short_sleep.sh SHOAL NAP_PROGRAM
set -uo pipefail
shoal=${1:?usage: short_sleep.sh SHOAL NAP_PROGRAM} nap=${2:?usage: short_sleep.sh SHOAL NAP_PROGRAM}
tmp=$(mktemp -d /tmp/shoal-short-sleep-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$shoal" build "$nap" -o "$tmp/nap.shoal" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; echo "FAIL: shoal build"; exit 1; }
"$shoal" run --verbose --timeout 60 "$tmp/nap.shoal" -- short 300 >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out"; grep 'exits:' "$tmp/err"
[ $rc = 0 ] && grep -q '^short sleeps 300$' "$tmp/out" || { cat "$tmp/err"; echo "FAIL: the guest exited $rc"; exit 1; }
blocks=$(grep -o 'block [0-9]*' "$tmp/err" | awk '{ print $2 }')
blocks=${blocks:-0}
[ "$blocks" -lt 30 ] || { echo "FAIL: $blocks block exits for 300 sleeps of 20 us"; exit 1; }
echo "PASS: 300 sleeps of 20 us, $blocks block exits"
