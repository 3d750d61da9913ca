#!/usr/bin/env bash
# Bad input for dynamically linked programs: each is refused by `shoal build`
# with an error naming the file, or (wrong architecture found first) handled
# as ld.so handles it. Libraries and programs are compiled here with cc.
#   bad_input.sh SHOAL CC
set -uo pipefail
shoal=$1 cc=$2
# NOTE: not under /tmp: the LibOS mounts its own /tmp, hiding the image's.
tmp=$(mktemp -d -p "${TEST_WORKDIR:-$PWD}" dynbad.XXXXXX); trap 'rm -rf "$tmp"' EXIT
fail=0
expect_refused() {  # NAME REGEX -- build args
  local name=$1 re=$2; shift 3
  if "$shoal" build "$@" -o "$tmp/x.shoal" > "$tmp/out" 2>&1; then
    echo "FAIL $name: built, expected a refusal matching /$re/"; cat "$tmp/out"; fail=1; return
  fi
  if ! grep -Eq -- "$re" "$tmp/out"; then
    echo "FAIL $name: refusal does not match /$re/:"; cat "$tmp/out"; fail=1; return
  fi
  echo "ok   $name: $(head -1 "$tmp/out")"
}

mkdir -p "$tmp/lib" "$tmp/i386" "$tmp/bad"
printf 'int shoal_answer(void) { return 42; }\n' > "$tmp/lib.c"
printf '#include <stdio.h>\nint shoal_answer(void);\nint main(void) { printf("answer %%d\\n", shoal_answer()); return 0; }\n' > "$tmp/main.c"
"$cc" -shared -fPIC -Wl,-soname,libshoalans.so.1 -o "$tmp/lib/libshoalans.so.1" "$tmp/lib.c" || exit 2
# Linked against the library in lib/, found through DT_RUNPATH: first a
# directory with an i386 file of that name (skipped, as ld.so skips it), then lib/.
"$cc" -o "$tmp/prog" "$tmp/main.c" "$tmp/lib/libshoalans.so.1" -Wl,-rpath,"$tmp/i386:$tmp/lib" || exit 2
# An "i386" library: the x86-64 one with ELFCLASS32 and EM_386 written in.
cp "$tmp/lib/libshoalans.so.1" "$tmp/i386/libshoalans.so.1"
printf '\001' | dd of="$tmp/i386/libshoalans.so.1" bs=1 seek=4 conv=notrunc status=none
printf '\003\000' | dd of="$tmp/i386/libshoalans.so.1" bs=1 seek=18 conv=notrunc status=none

# 1. The i386 file comes first in the RUNPATH: skipped, the x86-64 one packed; it runs.
if "$shoal" build "$tmp/prog" -o "$tmp/ok.shoal" > "$tmp/out" 2>&1 &&
   out=$("$shoal" run "$tmp/ok.shoal" --timeout 60) && [ "$out" = "$("$tmp/prog")" ]; then
  echo "ok   wrong-arch skipped: $out"
else
  echo "FAIL wrong-arch skipped"; cat "$tmp/out"; echo "${out:-}"; fail=1
fi
# 2. Only the i386 file is there: refused, naming it.
mv "$tmp/lib/libshoalans.so.1" "$tmp/libshoalans.so.1.saved"
expect_refused wrong-arch-only "libshoalans\.so\.1 not found.*skipped $tmp/i386/libshoalans\.so\.1 \(32-bit i386" -- "$tmp/prog"
# 3. Missing altogether (no i386 file either): refused, naming the library and who needs it.
rm "$tmp/i386/libshoalans.so.1"
expect_refused missing-library "$tmp/prog: library libshoalans\.so\.1 not found" -- "$tmp/prog"
# 4. A corrupted library (its program header table moved past the end; then
#    a truncated copy): refused, naming the file.
head -c 20 /dev/urandom > "$tmp/junk"
cp "$tmp/libshoalans.so.1.saved" "$tmp/lib/libshoalans.so.1"
printf '\377\377\377\000' | dd of="$tmp/lib/libshoalans.so.1" bs=1 seek=32 conv=notrunc status=none
expect_refused corrupt-library "$tmp/lib/libshoalans\.so\.1: truncated: program header table" -- "$tmp/prog"
head -c 3000 "$tmp/libshoalans.so.1.saved" > "$tmp/lib/libshoalans.so.1"
expect_refused truncated-library "$tmp/lib/libshoalans\.so\.1: .*truncated" -- "$tmp/prog"
# 5. A file that is not ELF at all where the library should be: ld.so stops there too.
cp "$tmp/junk" "$tmp/lib/libshoalans.so.1"
expect_refused not-elf-library "$tmp/lib/libshoalans\.so\.1: not an ELF file" -- "$tmp/prog"
# 6. --include of something that does not exist.
cp "$tmp/libshoalans.so.1.saved" "$tmp/lib/libshoalans.so.1"
expect_refused include-absent "--include $tmp/absent: No such file" -- "$tmp/prog" --include "$tmp/absent"
# 7. An image whose interpreter was damaged after the build (its ELF magic
#    overwritten inside the rootfs section): the LibOS refuses to start the
#    program, naming the interpreter, with status 127 (as a failed exec).
cp "$tmp/ok.shoal" "$tmp/damaged.shoal"
python3 - "$tmp/damaged.shoal" "$(readlink -f /lib64/ld-linux-x86-64.so.2)" <<'PY'
import sys
img = bytearray(open(sys.argv[1], "rb").read())
# Its ELF header up to e_entry: the rest of the header (e_phoff, e_shoff,
# counts) changed when the builder rewrote its syscall sites.
head = open(sys.argv[2], "rb").read(32)
at = img.find(head)
assert at > 0, "interpreter bytes not found in the image"
assert img.find(head, at + 1) < 0, "interpreter header found twice in the image"
img[at:at + 4] = b"XELF"
open(sys.argv[1], "wb").write(img)
PY
out=$("$shoal" run "$tmp/damaged.shoal" --timeout 60 2>&1); rc=$?
if [ $rc = 127 ] && grep -q "interpreter /lib64/ld-linux-x86-64.so.2: not an ELF file" <<<"$out"; then
  echo "ok   damaged interpreter: status 127, $out"
else
  echo "FAIL damaged interpreter: status $rc: $out"; fail=1
fi
exit $fail
