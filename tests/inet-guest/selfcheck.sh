#!/usr/bin/env bash
# selfcheck.sh BUILD NAME [ARGS...]: programs/NAME talks to itself (over
# 127.0.0.1, ::1 and its own address) in the test's namespace; its output
# must equal expected/NAME.out, which is what the same binary prints natively
# (SHOAL_INET_TARGET=native SELFCHECK_UPDATE=1 selfcheck.sh BUILD NAME
# rewrites it). The word GUEST_IP in ARGS becomes the guest's address.
TEST=$2 BUILD=$1 NAME=$2
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../inet/lib.sh"
setup
PROG=$BUILD/tests/inet-guest/$NAME
EXPECTED=$HERE/expected/$NAME.out
args=()
for a in "$@"; do [ "$a" = GUEST_IP ] && args+=("$GUEST_IP") || args+=("$a"); done

run_guest self 120 "$PROG" "${args[@]}"
rc=$?
[ $rc = 0 ] || fail "$NAME exited with status $rc: $(tail -3 "$TMP/self.log")"
if [ "${SELFCHECK_UPDATE-}" = 1 ] && [ "$TARGET" = native ]; then
  cp "$TMP/self.out" "$EXPECTED"
  info "wrote $EXPECTED"
fi
if diff -u "$EXPECTED" "$TMP/self.out" >"$TMP/diff.log"; then
  pass "$NAME output equals Linux's ($(grep -c . "$EXPECTED") lines)"
else
  fail "$NAME output differs from Linux's:"
  head -c 6000 "$TMP/diff.log"
fi
finish
