#!/usr/bin/env bash
# The image cache of `shoal run PROGRAM` (cli/src/image_cache.hpp,
# docs/security.md "Local files"):
#   - a cache directory planted by someone else (a link, another owner, mode
#     0777) is refused, with HOME unset ($TMPDIR/shoal-cache-UID) and with
#     XDG_CACHE_HOME, and nothing is written where a link points;
#   - a cached image that was modified is not run: it is rebuilt, and the
#     program's output is right;
#   - a second run is a hit by the inputs' identity: no input hashed;
#     touching the program makes it a hit by content, not a rebuild.
#
#   image_cache_test.sh SHOAL GUEST_HELLO
set -uo pipefail
SHOAL=$1
HELLO=$2
T=$(mktemp -d /tmp/shoal-image-cache-test-XXXXXX)
trap 'rm -rf "$T"' EXIT
uid=$(id -u)
expected="hello, world 42"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# run_in ENV... -- ARGS: shoal run with only the given cache environment.
run_in() {
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  env -u HOME -u XDG_CACHE_HOME -u TMPDIR "${envs[@]}" "$SHOAL" run "$@" 2>&1
}

empty() { [ -z "$(ls -A "$1")" ]; }

# 1. A link planted at the cache directory's name.
mkdir "$T/tmp" "$T/elsewhere"
ln -s "$T/elsewhere" "$T/tmp/shoal-cache-$uid"
out=$(run_in TMPDIR="$T/tmp" -- "$HELLO") && fail "ran with a cache directory that is a link: $out"
grep -qF "$T/tmp/shoal-cache-$uid: is a symbolic link (to $T/elsewhere)" <<<"$out" || fail "unclear error: $out"
empty "$T/elsewhere" || fail "wrote through the link: $(ls -A "$T/elsewhere")"

mkdir "$T/xdg"
ln -s "$T/elsewhere" "$T/xdg/shoal"
out=$(run_in XDG_CACHE_HOME="$T/xdg" -- "$HELLO") && fail "ran with \$XDG_CACHE_HOME/shoal a link: $out"
grep -qF "$T/xdg/shoal: is a symbolic link" <<<"$out" || fail "unclear error: $out"
empty "$T/elsewhere" || fail "wrote through the link"

# 2. A directory of another user, and one anyone may write.
[ "$uid" = 0 ] || fail "this test needs root (chown to nobody)"
rm "$T/tmp/shoal-cache-$uid"
mkdir -m 700 "$T/tmp/shoal-cache-$uid"
chown 65534:65534 "$T/tmp/shoal-cache-$uid"
out=$(run_in TMPDIR="$T/tmp" -- "$HELLO") && fail "ran with a cache directory of another user: $out"
grep -qF "$T/tmp/shoal-cache-$uid: owned by another user (uid 65534" <<<"$out" || fail "unclear error: $out"
empty "$T/tmp/shoal-cache-$uid" || fail "wrote into a directory of another user"
chown 0:0 "$T/tmp/shoal-cache-$uid"
chmod 777 "$T/tmp/shoal-cache-$uid"
out=$(run_in TMPDIR="$T/tmp" -- "$HELLO") && fail "ran with a cache directory anyone may write: $out"
grep -qF "$T/tmp/shoal-cache-$uid: writable by group or others (mode 0777)" <<<"$out" || fail "unclear error: $out"
empty "$T/tmp/shoal-cache-$uid" || fail "wrote into a directory anyone may write"

# A good one: made 0700, files 0600.
rm -rf "$T/tmp/shoal-cache-$uid"
out=$(run_in TMPDIR="$T/tmp" -- "$HELLO") || fail "run with HOME unset: $out"
grep -qF "$expected" <<<"$out" || fail "wrong output: $out"
[ "$(stat -c %a "$T/tmp/shoal-cache-$uid")" = 700 ] || fail "cache directory not 0700"
for f in "$T/tmp/shoal-cache-$uid"/*; do
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not 0600: $(stat -c %a "$f")"
done

# 3. A modified cached image is rebuilt, not run. The byte changed is the
# first of the program's "hello, %s" format, so running it would print
# "jello, world 42".
cache="$T/cache"
program="$T/hello"
cp "$HELLO" "$program"
out=$(run_in XDG_CACHE_HOME="$cache" -- --verbose "$program") || fail "first run: $out"
grep -qF "image cache: built" <<<"$out" || fail "first run did not build: $out"
image=$(ls "$cache"/shoal/*.shoal)
[ "$(echo "$image" | wc -l)" = 1 ] || fail "expected one image: $image"
offset=$(grep -obUaF "hello, %s" "$image" | head -1 | cut -d: -f1)
[ -n "$offset" ] || fail "no 'hello, %s' in $image"
printf 'j' | dd of="$image" bs=1 seek="$offset" conv=notrunc status=none
out=$(run_in XDG_CACHE_HOME="$cache" -- --verbose "$program") || fail "run after the change: $out"
grep -qF "digest does not match the one recorded at build time; rebuilding it" <<<"$out" ||
  fail "the change went unnoticed: $out"
grep -qF "$expected" <<<"$out" || fail "wrong output after the change: $out"
grep -qF "jello" <<<"$out" && fail "ran the modified image: $out"
# A truncated one too.
truncate -s 4096 "$image"
out=$(run_in XDG_CACHE_HOME="$cache" -- "$program") || fail "run after truncation: $out"
grep -qF "$expected" <<<"$out" || fail "wrong output after truncation: $out"

# 4. A cached run reads and hashes no input: a hit by identity. Touching the
# program changes its identity, not its content: a hit by content.
out=$(run_in XDG_CACHE_HOME="$cache" -- --verbose "$program") || fail "cached run: $out"
grep -qF "image cache: hit by identity (0 bytes of input hashed), digest verified" <<<"$out" ||
  fail "not a hit by identity: $out"
grep -qF "$expected" <<<"$out" || fail "wrong output: $out"
touch "$program"
out=$(run_in XDG_CACHE_HOME="$cache" -- --verbose "$program") || fail "run after touch: $out"
grep -qE "image cache: hit by content \([0-9]+ bytes of input hashed\)" <<<"$out" || fail "not a hit by content: $out"
out=$(run_in XDG_CACHE_HOME="$cache" -- --verbose "$program") || fail "run after touch: $out"
grep -qF "hit by identity" <<<"$out" || fail "the new identity was not recorded: $out"
# A changed program is a new image.
cp "$HELLO" "$program.new" && cat "$program.new" > "$program" && printf '\0' >> "$program"
out=$(run_in XDG_CACHE_HOME="$cache" -- --verbose "$program") || fail "run of the changed program: $out"
grep -qF "image cache: built" <<<"$out" || fail "a changed program was not rebuilt: $out"
echo "image cache: ok"
