#!/usr/bin/env bash
# sockapi.sh BUILD: programs/sockapi against peer.py across the namespace's
# link; the guest's output must equal expected/sockapi.out (Linux's, from a
# native run: SHOAL_INET_TARGET=native SOCKAPI_UPDATE=1 sockapi.sh BUILD
# rewrites it), and the peer must see both sessions with the guest listener.
TEST=sockapi BUILD=$1
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../inet/lib.sh"
setup
PROG=$BUILD/tests/inet-guest/sockapi
EXPECTED=$HERE/expected/sockapi.out

in_ns timeout 150 python3 "$HERE/peer.py" "$HOST_IP" "$GUEST_IP" 120 >"$TMP/peer.log" 2>&1 &
PEER_PID=$!
GUEST_PIDS+=("$PEER_PID")
wait_line "$TMP/peer.log" '^peer: serving' 10 "$PEER_PID" || { fail "peer did not start"; finish; }

run_guest api 120 "$PROG" "$HOST_IP" "$GUEST_IP"
rc=$?
wait "$PEER_PID"
[ $rc = 0 ] || fail "sockapi exited with status $rc"

if [ "${SOCKAPI_UPDATE-}" = 1 ] && [ "$TARGET" = native ]; then
  cp "$TMP/api.out" "$EXPECTED"
  info "wrote $EXPECTED"
fi
if diff -u "$EXPECTED" "$TMP/api.out" >"$TMP/diff.log"; then
  pass "sockapi output equals Linux's ($(grep -c . "$EXPECTED") lines)"
else
  fail "sockapi output differs from Linux's:"
  head -c 6000 "$TMP/diff.log"
fi
grep -q '^peer: session 1 pong$' "$TMP/peer.log" && pass "host client: blocking accept4 session" ||
  fail "host client session 1: $(grep '^peer:' "$TMP/peer.log" | tail -2)"
grep -q '^peer: session 2 got 50000$' "$TMP/peer.log" && pass "host client: epoll edge-triggered session" ||
  fail "host client session 2: $(grep '^peer:' "$TMP/peer.log" | tail -2)"
finish
