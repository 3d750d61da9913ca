#!/usr/bin/env bash
# ip6.sh BUILD: TCP and UDP over IPv6 on the wire (issue 11 point 6). The
# guest (--ip6 fd00:99::2/64; natively the same address on the veth) runs
# tests/inet-guest/programs/ip6serve, an AF_INET6 server; from the host's
# namespace, curl -6 fetches http://[fd00:99::2]:8080/N (sha256 of the body
# checked) and a UDP client sends datagrams that must come back unchanged.
# The server prints the peer addresses its socket calls return: they must be
# the host's real address fd00:99::1, under shoal as natively.
TEST=ip6 BUILD=$1
source "$(dirname "$0")/lib.sh"
GUEST6=fd00:99::2 HOST6=fd00:99::1 MAC=02:00:00:00:99:02
GUEST_OPTS=(--mac "$MAC" --ip6 "$GUEST6/64")
SERVE=$BUILD/tests/inet-guest/ip6serve
[ -x "$SERVE" ] || { echo "FAIL: $SERVE not built"; exit 1; }
setup
ip -n "$NS" -6 addr add "$HOST6/64" dev sh0 nodad
if [ "$TARGET" = native ]; then
  ip -n "$NSG" -6 addr add "$GUEST6/64" dev eth0 nodad
fi
start_guest ip6serve 120 "$SERVE" 8080 9000
SERVE_PID=$GUEST_PID
wait_line "$TMP/ip6serve.log" '^ip6serve: listening' 60 "$SERVE_PID" || { fail "ip6serve did not start"; exit 1; }

expected() { python3 -c 'import hashlib,sys; n=int(sys.argv[1]); print(hashlib.sha256((b"abcdefghijklmnopqrstuvwxyz"*(n//26+1))[:n]).hexdigest())' "$1"; }
fetch() {  # fetch N: curl -6 of /N, sha256 of the body (empty on failure)
  in_ns curl -6 -sS --max-time 20 "http://[$GUEST6]:8080/$1" 2>"$TMP/curl.err" | sha256sum | cut -d' ' -f1
}
# The first request waits for neighbour discovery both ways (bounded).
for _ in $(seq 40); do
  in_ns curl -6 -s --max-time 2 -o /dev/null "http://[$GUEST6]:8080/10" && break
  sleep 0.25
done
for n in 1000 3000000; do
  got=$(fetch $n)
  if [ "$got" = "$(expected $n)" ]; then
    pass "curl -6 http://[$GUEST6]:8080/$n: $n bytes, sha256 matches"
  else
    fail "curl -6 /$n: sha256 $got: $(head -c 200 "$TMP/curl.err")"
  fi
done
# The TCP listener is IPV6_V6ONLY: an IPv4 client is refused.
out=$(in_ns curl -sS --max-time 5 "http://$GUEST_IP:8080/10" 2>&1)
rc=$?
if [ $rc = 7 ]; then
  pass "IPV6_V6ONLY listener: curl over IPv4 refused"
else
  fail "curl -4 to the V6ONLY listener: status $rc: ${out:0:200}"
fi
if grep -q "^tcp peer $HOST6 local $GUEST6 getpeername $HOST6 family 10$" "$TMP/ip6serve.log"; then
  pass "accept/getsockname/getpeername give the real IPv6 addresses"
else
  fail "server saw: $(grep '^tcp' "$TMP/ip6serve.log" | head -2 | tr '\n' ';')"
fi

# UDP echo: datagrams of 1, 1000 and 1400 bytes, and of 3000, 60000 and
# 65527 (IPv6's largest) bytes, which go as IPv6 fragments both ways (the client's Linux fragments
# and the server reassembles; the echo is fragmented by the server and
# reassembled by Linux), and their echoes.
out=$(in_ns timeout 30 python3 - "$GUEST6" <<'PY' 2>&1
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(1)
ok = 0
for size in (1, 1000, 1400, 3000, 60000, 65527):
    data = bytes((i * 7 + size) & 255 for i in range(size))
    for attempt in range(10):  # the first may wait for neighbour discovery
        s.sendto(data, (sys.argv[1], 9000))
        try:
            back, frm = s.recvfrom(70000)
        except socket.timeout:
            continue
        if back == data and frm[0] == sys.argv[1] and frm[1] == 9000:
            ok += 1
        break
print("echoed", ok)
PY
)
if [ "$out" = "echoed 6" ]; then
  pass "UDP over IPv6: 6 datagrams (up to 65527 bytes, fragmented both ways) echoed unchanged from [$GUEST6]:9000"
else
  fail "UDP echo: $out"
fi
if grep -q "^udp from $HOST6 len 1400$" "$TMP/ip6serve.log" && grep -q "^udp from $HOST6 len 60000$" "$TMP/ip6serve.log"; then
  pass "recvfrom gives the sender's IPv6 address"
else
  fail "server saw: $(grep '^udp' "$TMP/ip6serve.log" | head -3 | tr '\n' ';')"
fi

# Link-local, with scope ids: the server sees the host's link-local address
# scoped to its interface (the instance's one interface is index 1; natively
# eth0's index) and answers to that sockaddr.
if grep -q "^scope checks: 22 19 22 101$" "$TMP/ip6serve.log"; then
  pass "link-local bind/connect without a scope id EINVAL, an unknown scope ENODEV (bind) and ENETUNREACH (connect)"
else
  fail "scope checks: $(grep '^scope' "$TMP/ip6serve.log")"
fi
if [ "$TARGET" = native ]; then
  GUEST_LL=$(ip -n "$NSG" -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1)
  SCOPE=$(ip -n "$NSG" -o link show eth0 | cut -d: -f1)
else
  GUEST_LL=fe80::ff:fe00:9902  # EUI-64 of $MAC
  SCOPE=1
fi
# Duplicate address detection must be over: a tentative address is neither
# a source nor a destination (Linux answers from its global one meanwhile).
for _ in $(seq 50); do
  busy=$(ip -n "$NS" -6 addr show dev sh0 tentative)
  [ "$TARGET" = native ] && busy+=$(ip -n "$NSG" -6 addr show dev eth0 tentative)
  [ -z "$busy" ] && break
  sleep 0.1
done
HOST_LL=$(ip -n "$NS" -6 -o addr show dev sh0 scope link | awk '{print $4}' | cut -d/ -f1)
info "guest link-local $GUEST_LL, host $HOST_LL"
out=$(in_ns timeout 30 python3 - "$GUEST_LL" <<'PY' 2>&1
import socket, sys
idx = socket.if_nametoindex("sh0")
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(1)
for attempt in range(20):  # our link-local address may still be tentative (DAD)
    try:
        s.sendto(b"hello", (sys.argv[1], 9000, 0, idx))
        back, frm = s.recvfrom(100)
    except OSError:
        continue
    print("echo", back.decode(), "from", frm[0], frm[1], "scope", frm[3] == idx)
    break
PY
)
if [ "$out" = "echo hello from $GUEST_LL 9000 scope True" ]; then
  pass "UDP to the guest's link-local address [$GUEST_LL%sh0]:9000 echoed"
else
  fail "link-local UDP echo: $out"
fi
if [ -n "$HOST_LL" ] && grep -q "^udp from $HOST_LL len 5 scope $SCOPE$" "$TMP/ip6serve.log"; then
  pass "recvfrom gives the host's link-local address $HOST_LL with scope id $SCOPE"
else
  fail "server saw: $(grep '^udp from fe80' "$TMP/ip6serve.log" | head -2 | tr '\n' ';') (host $HOST_LL, scope $SCOPE)"
fi

# Multicast: the server's UDP socket joined ff12::1234; a datagram the host
# sends to the group (from its link-local address, which Linux picks for
# the group on sh0) comes back from the server's link-local address.
if grep -q "^joined ff12::1234: 0$" "$TMP/ip6serve.log" && grep -q "^mcast checks: 98 22 19 99$" "$TMP/ip6serve.log"; then
  pass "IPV6_JOIN_GROUP ff12::1234; joining again EADDRINUSE, a unicast address EINVAL, interface 999 ENODEV, leaving a group never joined EADDRNOTAVAIL"
else
  fail "membership: $(grep -E '^(joined|mcast)' "$TMP/ip6serve.log" | tr '\n' ';')"
fi
out=$(in_ns timeout 30 python3 - <<'PY' 2>&1
import socket
idx = socket.if_nametoindex("sh0")
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
s.settimeout(1)
for attempt in range(10):
    s.sendto(b"to the group", ("ff12::1234", 9000, 0, idx))
    try:
        back, frm = s.recvfrom(100)
    except socket.timeout:
        continue
    print("echo", back.decode(), "from", frm[0], frm[1])
    break
PY
)
if [ "$out" = "echo to the group from $GUEST_LL 9000" ]; then
  pass "UDP to the group ff12::1234 reached the joined socket (echoed from [$GUEST_LL]:9000)"
else
  fail "multicast echo: $out"
fi
finish
