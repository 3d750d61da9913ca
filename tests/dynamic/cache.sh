#!/usr/bin/env bash
# The image cache of `shoal run PROGRAM` for a dynamically linked program: a
# second run is a hit by the inputs' identity, which covers the libraries and
# the --include trees: an upgraded library, or a changed file of an included
# tree, is not a hit by identity, and the new contents are what runs.
#   cache.sh SHOAL CC
set -uo pipefail
shoal=$1 cc=$2
# Not below /tmp: the guest mounts its own /tmp over the image's.
tmp=$(mktemp -d -p "${TEST_WORKDIR:-$PWD}" dyncache.XXXXXX); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$tmp/lib" "$tmp/data" "$tmp/cache"
lib() { printf 'int shoal_answer(void) { return %s; }\n' "$1" > "$tmp/lib.c"
        "$cc" -shared -fPIC -Wl,-soname,libshoalans.so.1 -o "$tmp/lib/libshoalans.so.1.new" "$tmp/lib.c" &&
        mv "$tmp/lib/libshoalans.so.1.new" "$tmp/lib/libshoalans.so.1"; }
lib 42 || exit 2
cat > "$tmp/main.c" <<C
#include <stdio.h>
int shoal_answer(void);
int main(void) {
  char line[64] = "";
  FILE* f = fopen("$tmp/data/word", "r");
  if (f && fgets(line, sizeof line, f)) fclose(f);
  printf("answer %d %s", shoal_answer(), line);
  return 0;
}
C
"$cc" -o "$tmp/prog" "$tmp/main.c" "$tmp/lib/libshoalans.so.1" -Wl,-rpath,"$tmp/lib" || exit 2
echo first > "$tmp/data/word"
run() { XDG_CACHE_HOME="$tmp/cache" "$shoal" run "$tmp/prog" --include "$tmp/data" --verbose --timeout 60 2>"$tmp/err"; }
check() {  # WANT_OUTPUT WANT_CACHE_REGEX
  local out
  out=$(run) || fail "run failed: $(cat "$tmp/err")"
  [ "$out" = "$1" ] || fail "output '$out', want '$1' (natively: '$("$tmp/prog")')"
  grep -Eq "image cache: $2" "$tmp/err" || fail "cache: $(grep 'image cache' "$tmp/err"), want /$2/"
  echo "ok: '$out' ($(grep -o 'image cache: [a-z ]*' "$tmp/err"))"
}
check "answer 42 first" "built"
check "answer 42 first" "hit by identity"
lib 43 || exit 2                      # an upgraded library
check "answer 43 first" "built"
check "answer 43 first" "hit by identity"
echo second > "$tmp/data/word"        # a changed file of the included tree
check "answer 43 second" "built"
[ "$("$tmp/prog")" = "answer 43 second" ] || fail "native run disagrees"
echo "PASS"
