#!/usr/bin/env bash
# Runs one conformance case under shoal and compares it.
#   run.sh SHOAL PROG CASE ROOT compare      Linux is the oracle: the same static
#                                            binary runs natively; stdout and
#                                            exit status must be identical.
#   run.sh SHOAL PROG CASE ROOT expect FILE  shoal-only (shoal differs by design):
#                                            stdout must equal FILE.
# Natively ROOT is bind-mounted read-only in a private mount namespace
# (unshare -rm) so writes fail with EROFS as under shoal; where user namespaces
# are unavailable the native side runs without it and cases that need a
# read-only root (names starting with erofs_) are skipped (status 77).
set -uo pipefail
shoal=$1 prog=$2 case=$3 root=$4 mode=$5 expect=${6:-}
[ -w /dev/kvm ] || { echo "FAIL: /dev/kvm is not usable here" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# COMPAT_SHOAL_OPTS: extra `shoal run` options of a variant (e.g. --no-rewrite).
"$shoal" run ${COMPAT_SHOAL_OPTS:-} --root "$root" "$prog" -- "$case" - /tmp >"$work/shoal.out" 2>"$work/shoal.err" </dev/null
got=$?
fail=0
if [ "$mode" = compare ]; then
  mkdir -p "$work/tmp"
  # shoal has one vCPU: pin the native run to one CPU so affinity matches.
  pin=()
  if command -v taskset >/dev/null; then
    cpu=$(taskset -pc $$ | sed 's/.*: //; s/[-,].*//')
    pin=(taskset -c "$cpu")
  fi
  ro_ok=0
  unshare -rm sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"' sh "$root" 2>/dev/null && ro_ok=1
  if [ $ro_ok = 1 ]; then
    unshare -rm sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"' \
      sh "$root" "${pin[@]}" env -i "$prog" "$case" "$root" "$work/tmp" >"$work/native.out" 2>"$work/native.err" </dev/null
  else
    case "$case" in erofs_*) echo "SKIP: no user namespaces for a read-only native root"; exit 77 ;; esac
    "${pin[@]}" env -i "$prog" "$case" "$root" "$work/tmp" >"$work/native.out" 2>"$work/native.err" </dev/null
  fi
  want=$?
  [ "$got" = "$want" ] || { echo "FAIL: exit status under shoal $got, natively $want"; fail=1; }
else
  cp "$expect" "$work/native.out"
  [ "$got" = 0 ] || { echo "FAIL: exit status under shoal $got, expected 0"; fail=1; }
fi
if ! cmp -s "$work/native.out" "$work/shoal.out"; then
  echo "FAIL: stdout differs (--- expected/native, +++ shoal):"
  diff -u "$work/native.out" "$work/shoal.out" | head -40
  fail=1
fi
echo "--- shoal stdout (status $got):"; head -c 3000 "$work/shoal.out"
echo "--- shoal stderr:"; head -c 2000 "$work/shoal.err"
[ $fail = 0 ] && echo PASS
exit $fail
