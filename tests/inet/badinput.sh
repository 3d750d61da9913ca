#!/usr/bin/env bash
# badinput.sh BUILD: malformed frames (tools/inject.cpp: truncated and lying
# headers, bad checksums, bogus TCP flags and options, overlapping and
# oversized fragments), a TCP handshake with MSS 0, then a bounded SYN flood
# (20000 SYNs from random 10.99.0.x sources at 10000/s) during which and after
# which the guest must answer ping and curl.
TEST=badinput BUILD=$1
source "$(dirname "$0")/lib.sh"
setup
start_httpd
want=$(expected_sha 1000000)
if out=$(in_ns timeout 120 "$INJECT" sh0 "$GUEST_IP" 8080 malformed 2>&1); then
  pass "malformed frames, then a plain and a reverse-order fragmented ping answered"
else
  fail "malformed frames: $out"
fi
info "$out"
check_ping "ping after the malformed frames" 3
check_curl_sha "curl after the malformed frames" "http://$GUEST_IP:8080/bytes/1000000" "$want"
out=$(in_ns timeout 30 "$INJECT" sh0 "$GUEST_IP" 8080 mss0 2>&1) || fail "mss0: $out"
info "$out"
check_hello "GET / after a handshake with MSS 0"

in_ns timeout 60 "$INJECT" sh0 "$GUEST_IP" 8080 synflood 20000 10000 >"$TMP/flood.log" 2>&1 &
flood=$!
GUEST_PIDS+=($flood)
sleep 0.5
ok=0
for i in 1 2 3; do  # during the flood: a real client must still get in
  if in_ns curl -s --max-time 5 --retry 2 -o /dev/null "http://$GUEST_IP:8080/"; then ok=$((ok + 1)); fi
done
during_ping=$(in_ns timeout 20 "$BUSYBOX" ping -q -c 3 -i 0.2 -W 2 "$GUEST_IP" | grep -o '[0-9]* packets received')
wait $flood
flood_rc=$?
info "$(cat "$TMP/flood.log")"
[ $flood_rc = 0 ] || fail "synflood tool: status $flood_rc"
[ $ok = 3 ] && pass "during the SYN flood: 3 of 3 curls answered, ping: $during_ping" ||
  fail "during the SYN flood: $ok of 3 curls answered, ping: $during_ping"
check_ping "ping after the SYN flood" 3
check_curl_sha "curl after the SYN flood" "http://$GUEST_IP:8080/bytes/1000000" "$want"
finish
