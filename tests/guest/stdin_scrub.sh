#!/usr/bin/env bash
# guest.stdin_scrub: console input read into anonymous mappings that are then
# unmapped; the next mappings must read as zero (compared with Linux: same
# stdout and status). See tests/guest/programs/stdin_scrub.c.
#   stdin_scrub.sh SHOAL PROGRAM
set -uo pipefail
shoal=${1:?usage: stdin_scrub.sh SHOAL PROGRAM} prog=${2:?usage: stdin_scrub.sh SHOAL PROGRAM}
tmp=$(mktemp -d /tmp/shoal-stdin-scrub-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
yes 0123456789abcdef | head -c 90000 >"$tmp/in"
"$prog" <"$tmp/in" >"$tmp/native.out"
native=$?
"$shoal" run --timeout 60 "$prog" <"$tmp/in" >"$tmp/shoal.out" 2>"$tmp/err"
shoal_rc=$?
cat "$tmp/shoal.out"
if [ $native != $shoal_rc ] || ! cmp -s "$tmp/native.out" "$tmp/shoal.out"; then
  echo "native (status $native):"; cat "$tmp/native.out"; cat "$tmp/err"
  echo "FAIL: differs from Linux (shoal status $shoal_rc)"
  exit 1
fi
echo "PASS"
