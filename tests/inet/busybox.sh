#!/usr/bin/env bash
# busybox.sh BUILD: Debian's busybox-static, unmodified, as the guest:
#   wget -O - from Python's http.server on the host side;
#   nc -l receiving a stream that the host sends (bulk send);
#   nc sending a file (its stdin) to a host listener.
# sha256 of what arrived is compared each time.
TEST=busybox BUILD=$1
source "$(dirname "$0")/lib.sh"
BB=$BUSYBOX
[ -x "$BB" ] || { echo "FAIL: $BB not found (install busybox-static)"; exit 1; }
setup
mkdir -p "$TMP/www"
head -c 3000000 /dev/urandom >"$TMP/www/file.bin"
want=$(sha256sum <"$TMP/www/file.bin" | cut -d' ' -f1)

# wget from a server on the host side of the namespace.
(cd "$TMP/www" && exec ip netns exec "$NS" timeout 120 python3 -m http.server --bind "$HOST_IP" 8000) \
  >"$TMP/http.server.log" 2>&1 &
GUEST_PIDS+=($!)
for _ in $(seq 50); do in_ns curl -s --max-time 1 -o /dev/null "http://$HOST_IP:8000/" && break; sleep 0.1; done
run_guest wget 60 "$BB" wget -q -O - "http://$HOST_IP:8000/file.bin"
rc=$?
got=$(sha256sum <"$TMP/wget.out" | cut -d' ' -f1)
if [ $rc = 0 ] && [ "$got" = "$want" ]; then
  pass "busybox wget -O - http://$HOST_IP:8000/file.bin: 3000000 bytes, sha256 matches"
else
  fail "busybox wget: status $rc, $(stat -c %s "$TMP/wget.out") bytes, sha256 $got: $(head -c 300 "$TMP/wget.log")"
fi

# nc receiving: the guest listens, the host sends 3000000 bytes of bulk's
# stream and half-closes. Not the host's nc: Debian's base system has none
# (the retries ran a missing command: 0 bytes, natively too), and a client
# that quits at the EOF busybox nc -l sends at once (its stdin is /dev/null,
# so it half-closes on accept) would cut the file short. bulk send sends
# everything, then waits for the guest's close.
start_guest ncl 60 "$BB" nc -l -p 7000
ncl_pid=$GUEST_PID
want_ncl=$(expected_sha 3000000)
sent=0
if wait_guest_listening 7000 30 "$ncl_pid"; then
  # Natively the listener is seen (ss) before the connect. In a shoal guest
  # it cannot be, so a connect may come before nc's listen(): that one is
  # refused (it consumes nothing of the one-connection listener) and is the
  # only failure retried.
  for _ in $(seq 200); do
    if in_ns timeout 30 "$NETEX/bulk" send "$GUEST_IP" 7000 3000000 >"$TMP/ncl-send.out" 2>"$TMP/ncl-send.log"; then
      sent=1
      break
    fi
    grep -q "Connection refused" "$TMP/ncl-send.log" || break
    sleep 0.05
  done
fi
timeout 30 tail --pid="$ncl_pid" -f /dev/null
got=$(sha256sum <"$TMP/ncl.log" | cut -d' ' -f1)
if [ $sent = 1 ] && [ "$got" = "$want_ncl" ] && [ "$(sha_field "$TMP/ncl-send.out")" = "$want_ncl" ]; then
  pass "busybox nc -l received 3000000 bytes from the host, sha256 matches"
else
  fail "busybox nc -l: sent=$sent ($(cat "$TMP/ncl-send.log" 2>/dev/null)), $(stat -c %s "$TMP/ncl.log") bytes, sha256 $got"
fi

# nc sending: the guest connects out with the file on its stdin.
host_bulk recv recv 7001 || fail "host listener"
run_guest ncs 60 "$BB" nc "$HOST_IP" 7001 <"$TMP/www/file.bin"
rc=$?
wait_host
if [ $rc = 0 ] && [ "$(sha_field "$TMP/recv.out")" = "$want" ]; then
  pass "busybox nc sent its stdin (3000000 bytes) to the host, sha256 matches"
else
  fail "busybox nc send: status $rc, host got '$(cat "$TMP/recv.out")' $(head -c 300 "$TMP/ncs.log")"
fi
finish
