#!/usr/bin/env bash
# ping6.sh BUILD: IPv6 on the device (issue 11 point 6). The guest runs httpd
# with a static address (--ip6 fd00:99::2/64) and a fixed MAC, so its
# link-local address is known (fe80::ff:fe00:9902, EUI-64); natively the
# guest's veth gets the same MAC and address. From the host's namespace:
# ping -6 of both addresses (neighbour discovery first, then echo), and a TCP
# connect over IPv6 to a port nobody listens on over IPv6 is refused at once
# (a RST from the AF_INET-only httpd, under shoal as on Linux; ip6.sh has
# TCP and UDP over IPv6 to an AF_INET6 server).
TEST=ping6 BUILD=$1
source "$(dirname "$0")/lib.sh"
GUEST6=fd00:99::2 HOST6=fd00:99::1 MAC=02:00:00:00:99:02 LL=fe80::ff:fe00:9902
GUEST_OPTS=(--mac "$MAC" --ip6 "$GUEST6/64")
setup
ip -n "$NS" -6 addr add "$HOST6/64" dev sh0 nodad
if [ "$TARGET" = native ]; then
  ip -n "$NSG" link set eth0 down
  ip -n "$NSG" link set eth0 address "$MAC"
  ip -n "$NSG" link set eth0 up
  ip -n "$NSG" -6 addr add "$GUEST6/64" dev eth0 nodad
fi
start_httpd
ping6() {  # ping6 WHAT COUNT ADDR [ping options...]
  local what=$1 count=$2 addr=$3 out
  shift 3
  out=$(in_ns timeout 60 "$BUSYBOX" ping -6 -q -c "$count" -i 0.2 -W 3 "$@" "$addr" 2>&1)
  if grep -q " $count packets received" <<<"$out"; then pass "$what"; else fail "$what: $(grep -E 'transmitted|ping' <<<"$out")"; fi
}
# The first echo may wait for the guest's link-local address to pass DAD natively.
for _ in $(seq 50); do
  in_ns "$BUSYBOX" ping -6 -q -c 1 -W 1 "$GUEST6" >/dev/null 2>&1 && break
  sleep 0.1
done
ping6 "3 echoes to the static address answered" 3 "$GUEST6"
ping6 "3 echoes to the link-local address answered" 3 "$LL%sh0"
ping6 "1000-byte echoes answered" 2 "$GUEST6" -s 1000
ping6 "3000-byte echoes (fragmented both ways) answered" 2 "$GUEST6" -s 3000
ping6 "20000-byte echoes (fragmented both ways) answered" 2 "$GUEST6" -s 20000
if in_ns ip -6 neigh show dev sh0 | grep -qi "$GUEST6 lladdr $MAC"; then
  pass "neighbour discovery: the host learnt $GUEST6 at $MAC"
else
  fail "neighbour table: $(in_ns ip -6 neigh show dev sh0 | tr '\n' ';')"
fi
out=$(in_ns curl -sS -6 --max-time 5 "http://[$GUEST6]:8080/" 2>&1)
rc=$?
if [ $rc = 7 ] && grep -qi "refused\|couldn't connect" <<<"$out"; then
  pass "TCP over IPv6 to a port without an IPv6 listener: refused at once"
else
  fail "curl -6: status $rc: ${out:0:200}"
fi
check_hello "httpd still answers over IPv4"
finish
