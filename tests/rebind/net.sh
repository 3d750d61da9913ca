#!/usr/bin/env bash
# net.sh BUILD: two instances resumed from one snapshot of a program with a
# network device, each given its own TAP, MAC and address, both answer at
# their own address (issue 13). In a network namespace the test makes: a
# bridge br0 (10.99.0.1/24 and fd00:99::1/64, the host) with three TAPs. The boot that saves
# the snapshot is 10.99.0.2 on t0 (and ends at the save); the instances are
# 10.99.0.3 (02:5e:00:00:00:03, fd00:99::3, t1) and 10.99.0.4 (...04, t2).
# Each must answer ping (IPv4 and IPv6) and TCP (snap_probe serve: "instance <its random
# bytes>"), the host's neighbour table must hold each address at the
# instance's own MAC, and the two answers must differ.
TEST=net BUILD=${1:?usage: net.sh BUILD}
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (network namespaces)"; exit 1; }
[ -w /dev/kvm ] || { echo "FAIL: /dev/kvm is not usable here"; exit 1; }
TMP=$(mktemp -d /tmp/shoal-snap-net-XXXXXX)
NS=$(netns_name "shoal-t-snapnet")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  netns_release "$NS"
  if ((FAILURES > 0)); then
    for f in "$TMP"/*.out "$TMP"/*.err; do
      [ -s "$f" ] && { echo "--- $(basename "$f"):"; tail -n 15 "$f"; }
    done
  fi
  rm -rf "$TMP"
}
netns_reap '^shoal-[tb]-'
trap cleanup EXIT
trap 'exit 130' INT TERM
netns_claim "$NS" || { echo "FAIL: ip netns add $NS"; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
ip -n "$NS" link set lo up
ip -n "$NS" link add br0 type bridge
ip -n "$NS" addr add 10.99.0.1/24 dev br0
ip -n "$NS" addr add fd00:99::1/64 dev br0 nodad
ip -n "$NS" link set br0 up
for t in t0 t1 t2; do
  ip -n "$NS" tuntap add dev $t mode tap && ip -n "$NS" link set $t master br0 && ip -n "$NS" link set $t up ||
    { echo "FAIL: cannot make TAP $t on the bridge"; exit 1; }
done

"$SHOAL" build "$PROBE" --net -o "$TMP/probe.shoal" >"$TMP/build.err" 2>&1 || { cat "$TMP/build.err"; echo "FAIL: shoal build --net"; exit 1; }
in_ns timeout 60 "$VMM" --net tap:t0 --ip 10.99.0.2/24 --gateway 10.99.0.1 --mac 02:5e:00:00:00:02 --ip6 fd00:99::2/64 \
  --snapshot-out "$TMP/probe.snap" "$TMP/probe.shoal" -- 7777 serve >"$TMP/boot.out" 2>"$TMP/boot.err"
rc=$?
[ $rc = 0 ] && [ -s "$TMP/probe.snap" ] || { fail "the snapshotting boot ended with status $rc"; finish; }

for i in 3 4; do
  in_ns "$VMM" --net tap:t$((i - 2)) --ip 10.99.0.$i/24 --gateway 10.99.0.1 --mac 02:5e:00:00:00:0$i \
    --ip6 fd00:99::$i/64 --timeout 60 \
    "$TMP/probe.snap" >"$TMP/r$i.out" 2>"$TMP/r$i.err" &
  PIDS+=("$!")
done
for i in 3 4; do
  for _ in $(seq 200); do grep -q '^done$' "$TMP/r$i.out" 2>/dev/null && break; sleep 0.05; done
  grep -q '^done$' "$TMP/r$i.out" || fail "instance 10.99.0.$i did not come up"
done
((FAILURES == 0)) || finish

answers=()
for i in 3 4; do
  if in_ns "$BUSYBOX" ping -q -c 2 -W 2 10.99.0.$i >"$TMP/ping$i.err" 2>&1; then
    pass "10.99.0.$i answers ping"
  else
    fail "10.99.0.$i does not answer ping: $(tail -2 "$TMP/ping$i.err")"
  fi
  if in_ns "$BUSYBOX" ping -6 -q -c 2 -W 2 fd00:99::$i >"$TMP/ping6$i.err" 2>&1; then
    pass "fd00:99::$i answers ping -6"
  else
    fail "fd00:99::$i does not answer ping -6: $(tail -2 "$TMP/ping6$i.err")"
  fi
  answer=$(in_ns timeout 5 "$BUSYBOX" nc 10.99.0.$i 7777 </dev/null 2>/dev/null)
  want="instance $(field "$TMP/r$i.out" getrandom)"
  if [ "$answer" = "$want" ]; then
    pass "10.99.0.$i answers TCP: $answer"
  else
    fail "10.99.0.$i answered TCP '$answer', its own line is '$want'"
  fi
  answers+=("$answer")
  mac=$(ip -n "$NS" neigh show 10.99.0.$i dev br0 | awk '{ for (f = 1; f < NF; ++f) if ($f == "lladdr") print $(f + 1) }')
  [ "$mac" = "02:5e:00:00:00:0$i" ] && pass "the host sees 10.99.0.$i at $mac" ||
    fail "the host's neighbour entry for 10.99.0.$i is '$mac', not 02:5e:00:00:00:0$i"
done
[ "${answers[0]}" != "${answers[1]}" ] && pass "the two instances' random bytes differ" ||
  fail "both instances answered '${answers[0]}'"
finish
