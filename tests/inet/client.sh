#!/usr/bin/env bash
# client.sh BUILD: the guest connects out to servers on the host side: bulk
# both ways (sha256 at both ends) and a refused connection.
TEST=client BUILD=$1
source "$(dirname "$0")/lib.sh"
setup
size=4000000
want=$(expected_sha $size)

# guest -> host: the guest sends, the host's `bulk recv` hashes.
host_bulk recv recv 9000 || fail "host bulk recv did not listen"
run_guest send 60 "$NETEX/bulk" send "$HOST_IP" 9000 $size
rc=$?
wait_host
if [ $rc = 0 ] && [ "$(sha_field "$TMP/recv.out")" = "$want" ] && [ "$(sha_field "$TMP/send.out")" = "$want" ]; then
  pass "guest connects out and sends $size bytes (sha256 both ends): $(field "$TMP/recv.out" mbps) MB/s"
else
  fail "guest send (status $rc): guest '$(cat "$TMP/send.out")' host '$(cat "$TMP/recv.out")'"
fi

# host -> guest: the guest connects and receives until EOF.
host_bulk serve serve-send 9001 $size || fail "host bulk serve-send did not listen"
run_guest fetch 60 "$NETEX/bulk" fetch "$HOST_IP" 9001
rc=$?
wait_host 20
host_rc=$?
if [ $rc = 0 ] && [ "$(sha_field "$TMP/fetch.out")" = "$want" ]; then
  pass "guest connects out and receives $size bytes (sha256): $(field "$TMP/fetch.out" mbps) MB/s"
else
  fail "guest fetch (status $rc): guest '$(cat "$TMP/fetch.out")' host '$(cat "$TMP/serve.out")'"
fi
# serve-send half-closes and waits for the guest's FIN: the guest closes and
# exits, its FIN must still go out.
[ $host_rc = 0 ] && pass "the host saw the guest close after fetching" ||
  fail "the host never saw the guest's FIN after its fetch (serve-send status $host_rc)"

# A refused connection: nothing listens on 9002 (the host answers RST).
run_guest refused 30 "$NETEX/bulk" send "$HOST_IP" 9002 10
rc=$?
if [ $rc = 1 ] && grep -q 'connect: Connection refused' "$TMP/refused.log"; then
  pass "connect to a closed port: ECONNREFUSED"
else
  fail "connect to a closed port: status $rc, '$(cat "$TMP/refused.log")'"
fi

finish
