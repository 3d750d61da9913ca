#!/usr/bin/env bash
# node_http.sh BUILD: Node.js (V8, libuv's epoll loop and thread pool) serving
# HTTP over the network, unmodified, as the guest of a network namespace
# (tests/inet/lib.sh: under shoal on a TAP device, or natively with
# SHOAL_INET_TARGET=native); curl on the host side checks three answers, then
# GET /quit makes the server close and node exit with status 0.
TEST=node BUILD=$1
source "$(dirname "$0")/../inet/lib.sh"
NODE=/usr/bin/node
SCRIPTS=$(cd "$(dirname "$0")/scripts" && pwd)
[ -x "$NODE" ] || { echo "FAIL: $NODE is required"; exit 1; }
setup
if [ "$TARGET" = shoal ]; then
  "$SHOAL" build "$NODE" --net --include "$SCRIPTS" -o "$TMP/node.shoal" > "$TMP/build-node.log" 2>&1 ||
    { cat "$TMP/build-node.log"; fail "shoal build $NODE --net"; exit 1; }
fi
start_guest node 120 "$NODE" "$SCRIPTS/http_server.js"
pid=$GUEST_PID
wait_until "$pid" 300 0.1 http_answers "http://$GUEST_IP:8080/hello" ||
  { fail "node did not answer on $GUEST_IP:8080"; exit 1; }
got=$(in_ns curl -s --max-time 10 "http://$GUEST_IP:8080/hello")
[ "$got" = "hello from node $("$NODE" -p process.version)" ] && pass "GET /hello: $got" || fail "GET /hello: '$got'"
got=$(in_ns curl -s --max-time 10 "http://$GUEST_IP:8080/sum?n=1000000")
[ "$got" = 500000500000 ] && pass "GET /sum?n=1000000: $got" || fail "GET /sum: '$got'"
code=$(in_ns curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://$GUEST_IP:8080/absent")
[ "$code" = 404 ] && pass "GET /absent -> 404" || fail "GET /absent: $code"
in_ns curl -s --max-time 10 "http://$GUEST_IP:8080/quit" > /dev/null
timeout 20 tail --pid="$pid" -f /dev/null
wait "$pid"; rc=$?
[ $rc = 0 ] && pass "GET /quit: node exited with status 0" || fail "node exit status $rc"
((FAILURES == 0)) && echo "PASS: node http server over the network ($TARGET)"
exit $((FAILURES > 0))
