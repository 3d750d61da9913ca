#!/usr/bin/env bash
# Runs a dynamically linked program natively and under shoal and compares:
# stdout and exit status must be identical, and stdout must match every
# --expect regex (so that two identical failures do not pass).
#
#   compare.sh SHOAL [--build-opt OPT]... [--stdin FILE] [--expect RE]... [--cwd DIR] -- PROGRAM ARGS...
# The image is built with `shoal build PROGRAM --build-opt...` into a fresh
# directory and run with `shoal run IMAGE -- ARGS`; the native run gets the
# same ARGS (and the same stdin), from --cwd if given (a script path given
# relative to it works both ways when the image packs it at that absolute
# path: prefer absolute paths).
set -uo pipefail
shoal=$1; shift
build_opts=() expects=() stdin=/dev/null
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    --build-opt) build_opts+=("$2"); shift 2 ;;
    --stdin) stdin=$2; shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
shift  # --
program=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

env -i HOME=/ PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  "$program" "$@" < "$stdin" > "$tmp/native.out" 2> "$tmp/native.err"
native_rc=$?
if ! "$shoal" build "$program" "${build_opts[@]}" -o "$tmp/prog.shoal" > "$tmp/build.out" 2>&1; then
  echo "FAIL: shoal build $program ${build_opts[*]}"; cat "$tmp/build.out"; exit 1
fi
grep -E "dynamic|ELF objects" "$tmp/build.out" || true
start=$(date +%s%N)
"$shoal" run "$tmp/prog.shoal" --timeout 120 -- "$@" < "$stdin" > "$tmp/shoal.out" 2> "$tmp/shoal.err"
shoal_rc=$?
end=$(date +%s%N)
echo "native status $native_rc, shoal status $shoal_rc ($(( (end - start) / 1000000 )) ms under shoal)"
fail=0
if [ "$native_rc" != "$shoal_rc" ]; then echo "FAIL: exit status differs"; fail=1; fi
if ! diff -u "$tmp/native.out" "$tmp/shoal.out" > "$tmp/diff"; then
  echo "FAIL: stdout differs (native -, shoal +):"; head -50 "$tmp/diff"; fail=1
fi
for re in "${expects[@]}"; do
  grep -Eq -- "$re" "$tmp/shoal.out" || { echo "FAIL: stdout lacks /$re/"; fail=1; }
done
if [ $fail != 0 ]; then
  echo "--- shoal stderr"; head -40 "$tmp/shoal.err"; echo "--- native stderr"; head -20 "$tmp/native.err"
  exit 1
fi
echo "PASS: $(wc -l < "$tmp/shoal.out") lines identical"
