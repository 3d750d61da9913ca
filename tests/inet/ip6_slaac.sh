#!/usr/bin/env bash
# ip6_slaac.sh BUILD: router discovery and SLAAC (issue 11 point 6). The test
# namespace is a Linux IPv6 router: radvd on sh0 advertises fd00:77::/64
# (on-link, autonomous) and forwards to a second link, fd00:88::/64, where a
# client namespace (NS-c, fd00:88::2) sits behind a veth. The guest (MAC
# 02:00:00:00:99:02, `--ip6 auto`; natively Linux's own SLAAC on the same
# MAC) runs tests/inet-guest/programs/ip6serve. Checked: the guest takes
# the EUI-64 address fd00:77::ff:fe00:9902 from the advertisement, and
# the client, off-link, fetches a page from it over TCP through the router
# (the answers go back through the default router the guest learnt).
TEST=ip6slaac BUILD=$1
source "$(dirname "$0")/lib.sh"
MAC=02:00:00:00:99:02
GUEST6=fd00:77::ff:fe00:9902
ROUTER6=fd00:77::1 CLIENT_SIDE6=fd00:88::1 CLIENT6=fd00:88::2
GUEST_OPTS=(--mac "$MAC" --ip6 auto)
SERVE=$BUILD/tests/inet-guest/ip6serve
[ -x "$SERVE" ] || { echo "FAIL: $SERVE not built"; exit 1; }
command -v radvd >/dev/null || { echo "FAIL: radvd is missing (scripts/install-deps installs it)"; exit 1; }
NSC=$NS-c
setup
# The client namespace goes with the others on every path.
trap 'kill_ns_procs "$NSC"; netns_release "$NSC"; cleanup' EXIT
netns_claim "$NSC" || { fail "ip netns add $NSC"; exit 1; }
ip -n "$NSC" link set lo up
ip -n "$NS" link add c0 type veth peer name eth0 netns "$NSC" || { fail "veth to the client"; exit 1; }
ip -n "$NS" -6 addr add "$CLIENT_SIDE6/64" dev c0 nodad
ip -n "$NS" link set c0 up
ip -n "$NSC" -6 addr add "$CLIENT6/64" dev eth0 nodad
ip -n "$NSC" link set eth0 up
ip -n "$NSC" -6 route add default via "$CLIENT_SIDE6"
in_ns sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n "$NS" -6 addr add "$ROUTER6/64" dev sh0 nodad
if [ "$TARGET" = native ]; then
  # Linux on the guest's side: the same MAC, so the same EUI-64 address.
  ip -n "$NSG" link set eth0 down
  ip -n "$NSG" link set eth0 address "$MAC"
  ip netns exec "$NSG" sysctl -qw net.ipv6.conf.eth0.accept_ra=1 net.ipv6.conf.eth0.addr_gen_mode=0
  ip -n "$NSG" link set eth0 up
fi
cat >"$TMP/radvd.conf" <<EOF
interface sh0 {
  AdvSendAdvert on;
  IgnoreIfMissing on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  prefix fd00:77::/64 { AdvOnLink on; AdvAutonomous on; };
};
EOF
in_ns timeout 200 radvd -n -C "$TMP/radvd.conf" -p "$TMP/radvd.pid" -m stderr 2>"$TMP/radvd.err" &
GUEST_PIDS+=($!)
start_guest ip6serve 150 "$SERVE" 8080 9000
SERVE_PID=$GUEST_PID
wait_line "$TMP/ip6serve.log" '^ip6serve: listening' 60 "$SERVE_PID" || { fail "ip6serve did not start"; exit 1; }

# The router answers a neighbour solicitation for the address once the
# guest has formed it (bounded: advertisements come every 3-4 s).
reached=
for _ in $(seq 80); do
  if in_ns "$BUSYBOX" ping6 -c 1 -W 1 "$GUEST6" >/dev/null 2>&1; then reached=1; break; fi
  kill -0 "$SERVE_PID" 2>/dev/null || break
  sleep 0.25
done
if [ -n "$reached" ]; then
  pass "the guest answers at its SLAAC address $GUEST6 (prefix from radvd, EUI-64 of $MAC)"
else
  fail "no answer from $GUEST6: $(head -c 300 "$TMP/radvd.err")"
fi

expected() { python3 -c 'import hashlib,sys; n=int(sys.argv[1]); print(hashlib.sha256((b"abcdefghijklmnopqrstuvwxyz"*(n//26+1))[:n]).hexdigest())' "$1"; }
got=
for _ in $(seq 40); do
  got=$(ip netns exec "$NSC" curl -6 -sS --max-time 5 "http://[$GUEST6]:8080/100000" 2>"$TMP/curl.err" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$(expected 100000)" ] && break
  sleep 0.5
done
if [ "$got" = "$(expected 100000)" ]; then
  pass "an off-link client ($CLIENT6, behind the Linux router) fetched 100000 bytes from [$GUEST6]:8080"
else
  fail "curl from $CLIENT6: sha256 $got: $(head -c 200 "$TMP/curl.err")"
fi
if grep -q "^tcp peer $CLIENT6 local $GUEST6 getpeername $CLIENT6 family 10$" "$TMP/ip6serve.log"; then
  pass "the server sees the client's real address and its own SLAAC address"
else
  fail "server saw: $(grep '^tcp' "$TMP/ip6serve.log" | head -2 | tr '\n' ';')"
fi
finish
