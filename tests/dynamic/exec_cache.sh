#!/usr/bin/env bash
# The image cache of `shoal run PROGRAM --add OTHER` (issue 14): the program
# execs OTHER, a dynamically linked program packed with --add. A second run
# is a hit by identity; a rebuilt OTHER, or an upgraded library OTHER needs,
# is not, and the new contents are what runs.
#   exec_cache.sh SHOAL CC
set -uo pipefail
shoal=$1 cc=$2
# Not below /tmp: the guest mounts its own /tmp over the image's.
tmp=$(mktemp -d -p "${TEST_WORKDIR:-$PWD}" execcache.XXXXXX); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$tmp/lib" "$tmp/cache"
lib() { printf 'int shoal_answer(void) { return %s; }\n' "$1" > "$tmp/lib.c"
        "$cc" -shared -fPIC -Wl,-soname,libshoalans.so.1 -o "$tmp/lib/libshoalans.so.1.new" "$tmp/lib.c" &&
        mv "$tmp/lib/libshoalans.so.1.new" "$tmp/lib/libshoalans.so.1"; }
child() { printf '#include <stdio.h>\nint shoal_answer(void);\nint main(void) { printf("%s %%d\\n", shoal_answer()); return 0; }\n' "$1" > "$tmp/child.c"
          "$cc" -o "$tmp/child.new" "$tmp/child.c" "$tmp/lib/libshoalans.so.1" -Wl,-rpath,"$tmp/lib" &&
          mv "$tmp/child.new" "$tmp/child"; }
lib 42 && child one || exit 2
printf '#include <unistd.h>\nint main(void) { execl("%s/child", "child", (char*)0); return 9; }\n' "$tmp" > "$tmp/parent.c"
"$cc" -static -o "$tmp/parent" "$tmp/parent.c" || exit 2
check() {  # WANT_OUTPUT WANT_CACHE_REGEX
  local out
  out=$(XDG_CACHE_HOME="$tmp/cache" "$shoal" run "$tmp/parent" --add "$tmp/child" --verbose --timeout 60 2>"$tmp/err") ||
    fail "run failed: $(cat "$tmp/err")"
  [ "$out" = "$1" ] || fail "output '$out', want '$1' (natively: '$("$tmp/parent")')"
  grep -Eq "image cache: $2" "$tmp/err" || fail "cache: $(grep 'image cache' "$tmp/err"), want /$2/"
  echo "ok: '$out' ($(grep -o 'image cache: [a-z ]*' "$tmp/err"))"
}
check "one 42" "built"
check "one 42" "hit by identity"
child two || exit 2                   # a rebuilt --add program
check "two 42" "built"
lib 43 || exit 2                      # an upgraded library of the --add program
check "two 43" "built"
check "two 43" "hit by identity"
[ "$("$tmp/parent")" = "two 43" ] || fail "native run disagrees"
echo "PASS"
