#!/usr/bin/env bash
# Bad programs handed to `shoal build` and `shoal run` are refused with a
# clear reason and a non-zero status; the tools never crash on them.
#   check_refused.sh SHOAL FILE REGEX
set -uo pipefail
shoal=$1 file=$2 re=$3
fail=0
for cmd in build run; do
  if [ $cmd = build ]; then
    out=$("$shoal" build "$file" -o "$(mktemp -u).shoal" 2>&1); st=$?
  else
    out=$("$shoal" run "$file" 2>&1 </dev/null); st=$?
  fi
  echo "shoal $cmd $(basename "$file") -> status $st: $out"
  if [ $st -eq 0 ]; then echo "FAIL: shoal $cmd accepted $file"; fail=1; fi
  if [ $st -ge 128 ]; then echo "FAIL: shoal $cmd died from a signal ($st)"; fail=1; fi
  echo "$out" | grep -Eq -- "$re" || { echo "FAIL: message does not match /$re/"; fail=1; }
done
[ $fail = 0 ] && echo PASS
exit $fail
