#!/usr/bin/env bash
# shoal build --root DIR for a dynamically linked program: the interpreter and
# libraries are resolved inside DIR (merged-/usr symlinks /lib -> usr/lib and
# /lib64 -> usr/lib64 followed inside it, no ld.so.cache there: the guest's
# ld.so searches the system directories), and the program's path in the image
# is its path below DIR. Output and status must equal the native run's.
#   root.sh SHOAL HELLO_DYN (tests/dynamic/hello_dyn.c: needs libc and libm)
set -uo pipefail
shoal=$1 prog=$2
r=$(mktemp -d -p "${TEST_WORKDIR:-$PWD}" dynroot.XXXXXX); trap 'rm -rf "$r"' EXIT
mkdir -p "$r/usr/lib/x86_64-linux-gnu" "$r/usr/lib64" "$r/app"
ln -s usr/lib "$r/lib"; ln -s usr/lib64 "$r/lib64"
cp -L /lib64/ld-linux-x86-64.so.2 "$r/usr/lib64/"
cp -L /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6 "$r/usr/lib/x86_64-linux-gnu/"
cp "$prog" "$r/app/hello_dyn"
"$shoal" build "$r/app/hello_dyn" --root "$r" -o "$r.shoal" > "$r/build.log" 2>&1 || { cat "$r/build.log"; echo "FAIL: build"; exit 1; }
trap 'rm -rf "$r" "$r.shoal"' EXIT
grep -q "dynamic      /app/hello_dyn (interpreter /lib64/ld-linux-x86-64.so.2)" "$r/build.log" ||
  { cat "$r/build.log"; echo "FAIL: the program's path in the image is not /app/hello_dyn"; exit 1; }
want=$("$prog" x y); want_rc=$?
got=$("$shoal" run "$r.shoal" --timeout 60 -- x y); got_rc=$?
# The program keeps its name (it prints whether AT_EXECFN names it).
if [ "$got_rc" = "$want_rc" ] && [ "$got" = "$want" ]; then echo "PASS: same output and status $got_rc"; exit 0; fi
echo "FAIL: status $got_rc (native $want_rc)"; diff <(echo "$want") <(echo "$got"); exit 1
