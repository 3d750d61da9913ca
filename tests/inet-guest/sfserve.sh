#!/usr/bin/env bash
# sfserve.sh BUILD: sendfile from /tmp into TCP connections to the host,
# through the network device (programs/sfserve.c, served to sfserve.py over the
# namespace's link): whole files larger than the send buffer, ranges with an
# offset pointer, counts past the end, a non-blocking socket, and a file
# overwritten and truncated after sendfile returned (the peer must get the
# bytes as of the call). Under shoal the replies' payloads leave as gather
# frames (the device reads them from the send ring): the monitor's counters
# must show them. The guest's own lines must equal Linux's (a native run over
# veth): expected/sfserve.out.
TEST=sfserve BUILD=$1
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../inet/lib.sh"
setup
PROG=$BUILD/tests/inet-guest/sfserve
SIZE=3149521  # 3 MiB + 4321: many times the send buffer, not a page multiple
[ "$TARGET" = shoal ] && GUEST_OPTS=(--verbose)
start_guest sf 150 "$PROG" 7300 "$SIZE"
wait_line "$TMP/sf.log" '^sfserve: listening' 60 "$GUEST_PID" || { fail "sfserve did not start"; finish; }
wait_guest_listening 7300 30 "$GUEST_PID"
in_ns timeout 120 python3 "$HERE/sfserve.py" "$GUEST_IP" 7300 "$SIZE" >"$TMP/client.log" 2>&1
timeout 20 tail --pid="$GUEST_PID" -f /dev/null
for cmd in "whole" "range 1000 300000" "range $((SIZE - 100)) 5000" "range $((SIZE + 10)) 5000" "nonblock"; do
  grep -q "^sfclient: $cmd ok" "$TMP/client.log" && pass "$cmd: the bytes of the file" ||
    fail "$cmd: $(grep "^sfclient: $cmd" "$TMP/client.log" | head -1)"
done
# Linux sends page references on sendfile: a write after the call may still
# show in bytes not yet transmitted, so natively the outcome depends on timing.
# shoal copies at the call (the send ring holds the bytes), which is the
# outcome a program can rely on: checked under shoal, reported natively.
if [ "$TARGET" = shoal ]; then
  grep -q "^sfclient: modify ok" "$TMP/client.log" && pass "modified after sendfile: the bytes as of the call" ||
    fail "modify: $(grep '^sfclient: modify' "$TMP/client.log")"
else
  info "natively: $(grep '^sfclient: modify' "$TMP/client.log")"
fi
grep -q "^sfclient: done" "$TMP/client.log" || fail "the client did not finish: $(tail -2 "$TMP/client.log")"
grep -v '^sfserve: listening' "$TMP/sf.log" >"$TMP/sf.out"
if diff -u "$HERE/expected/sfserve.out" "$TMP/sf.out" >"$TMP/diff.log"; then
  pass "sfserve output equals Linux's ($(grep -c . "$HERE/expected/sfserve.out") lines)"
else
  fail "sfserve output differs from Linux's:"
  head -c 4000 "$TMP/diff.log"
fi
if [ "$TARGET" = shoal ]; then
  gathered=$(sed -n 's/.*super-frames, \([0-9]*\) gathered).*/\1/p' "$TMP/sf.err" | tail -1)
  if [ -n "$gathered" ] && [ "$gathered" -gt 0 ]; then
    pass "the payloads left as gather frames ($gathered)"
  else
    fail "no gather frame counted: $(grep 'net: tx' "$TMP/sf.err" | head -c 400)"
  fi
fi
finish
