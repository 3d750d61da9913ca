#!/usr/bin/env bash
# redis.sh BUILD: Debian's redis-server, unmodified and dynamically linked, as
# the guest of a network namespace (tests/inet/lib.sh: under shoal on a TAP
# device, or natively behind a veth with SHOAL_INET_TARGET=native), driven by
# Debian's redis-cli from the host side: PING, SET, GET, INCR, a 100 KB value,
# DBSIZE. Persistence is off (save "", appendonly no): the guest's root is
# read-only and nothing is meant to outlive it.
TEST=redis BUILD=$1
source "$(dirname "$0")/../inet/lib.sh"
REDIS=/usr/bin/redis-server
command -v redis-cli >/dev/null && [ -x "$REDIS" ] ||
  { echo "FAIL: redis-server and redis-cli are required (Debian's redis-server, redis-tools)"; exit 1; }
setup
start_guest redis 120 "$REDIS" --port 6379 --bind 0.0.0.0 --protected-mode no --save "" --appendonly no \
  --daemonize no --dir /tmp --logfile ""
pid=$GUEST_PID; t0=$SECONDS
cli() { in_ns timeout 20 redis-cli -h "$GUEST_IP" -p 6379 "$@"; }
pong() { [ "$(cli PING 2>/dev/null)" = PONG ]; }
wait_until "$pid" 300 0.1 pong || { fail "redis-server did not answer PING"; exit 1; }
pass "PING -> PONG ($((SECONDS - t0)) s after start)"
check() {  # DESCRIPTION EXPECTED -- ARGS
  local what=$1 want=$2; shift 3
  local got
  got=$(cli "$@" 2>&1)
  if [ "$got" = "$want" ]; then pass "$what"; else fail "$what: got '$got', want '$want'"; fi
}
check "SET greeting" OK -- SET greeting "hello from shoal"
check "GET greeting" "hello from shoal" -- GET greeting
check "INCR counter x3" 3 -- EVAL "redis.call('INCR','c'); redis.call('INCR','c'); return redis.call('INCR','c')" 0
big=$(head -c 75000 /dev/urandom | base64 -w0)
check "SET 100 KB value" OK -- SET big "$big"
got=$(cli GET big)
if [ "$got" = "$big" ]; then pass "GET 100 KB value: identical"; else fail "GET big: ${#got} bytes back, want ${#big}"; fi
check "DBSIZE" 3 -- DBSIZE
check "GET absent key" "" -- GET absent
# SHUTDOWN: redis-server exits by itself (status 0), as natively, and its
# exit closes the connection, which is how redis-cli learns it is done (a
# guest that ended without a FIN left it waiting for its 20 s timeout).
start=$SECONDS
cli SHUTDOWN NOSAVE >/dev/null 2>&1
timeout 20 tail --pid="$pid" -f /dev/null
wait "$pid"; rc=$?
took=$((SECONDS - start))
if [ $rc = 0 ] && [ $took -lt 5 ]; then pass "SHUTDOWN NOSAVE: exited with status 0, connection closed, ${took} s"
else fail "SHUTDOWN NOSAVE: status $rc after ${took} s (the connection must close at the exit)"; fi
((FAILURES == 0)) && echo "PASS: redis-server over the network ($TARGET)"
exit $((FAILURES > 0))
