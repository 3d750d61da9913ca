#!/bin/bash
# The network device under the real monitor (needs root, /dev/kvm and
# /dev/net/tun): every case runs in a network namespace this script creates
# and removes (also on failure); no traffic leaves it.
#
#   net_dev_test.sh SHOAL SHOAL_VMM CASE
#
# CASE: ping        a persistent TAP (made down: the monitor brings it up),
#                   ping -c 3 from the namespace, RTTs printed
#       create      the monitor creates the TAP itself; ping through `shoal run`
#                   of a plain program (built with the device declared)
#       refuse      an image without the device: --net refused (status 2);
#                   usage errors: status 2
#       impair      --net-impair loss=100 loses every reply; delay=60 adds 60 ms
set -euo pipefail

SHOAL=$1
VMM=$2
CASE=$3
BUSYBOX=${BUSYBOX:-/bin/busybox}
# shellcheck source=../lib/netns.sh
source "$(dirname "$0")/../lib/netns.sh"
NS=$(netns_name shoal-t-netdev)
TMP=$(mktemp -d /tmp/shoal-netdev.XXXXXX)
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  netns_release "$NS"
  rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [ -f "$TMP/vmm.err" ] && sed 's/^/  vmm: /' "$TMP/vmm.err" >&2; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }

for need in "$BUSYBOX" /dev/kvm /dev/net/tun; do
  # A test that cannot run is a failure, not a pass.
  [ -e "$need" ] || { echo "FAIL: $need missing" >&2; exit 1; }
done

netns_reap '^shoal-[tb]-'
netns_claim "$NS"
in_ns ip link set lo up

# A host-side address for the TAP once it exists (created by us or the monitor).
host_side() {
  local tap=$1
  for _ in $(seq 100); do in_ns ip link show "$tap" >/dev/null 2>&1 && break; sleep 0.05; done
  in_ns ip addr add 10.99.0.1/24 dev "$tap"
  in_ns ip link set "$tap" up
}

# Starts the monitor in the namespace in the background: vmm ARGS...
start_vmm() {
  in_ns "$@" >"$TMP/vmm.out" 2>"$TMP/vmm.err" &
  PIDS+=($!)
}

# Sets STATUS to the last started monitor's exit status.
wait_vmm() {
  STATUS=0
  wait "${PIDS[-1]}" || STATUS=$?
}

ping_guest() {  # COUNT -> the ping output
  in_ns "$BUSYBOX" ping -c "$1" -W 2 10.99.0.2 2>&1 || true
}

received() { sed -n 's/.* \([0-9]*\) packets received.*/\1/p'; }

"$SHOAL" build "$BUSYBOX" --net -o "$TMP/bb-net.shoal" >/dev/null
"$SHOAL" inspect "$TMP/bb-net.shoal" >"$TMP/inspect"
grep -q "devices 0x1 (net)" "$TMP/inspect" || fail "inspect does not show the device"
grep -q 'devices = \["net"\]' "$TMP/inspect" || fail "the manifest does not declare the device"

case "$CASE" in
  ping)
    in_ns ip tuntap add dev shtap0 mode tap
    in_ns ip addr add 10.99.0.1/24 dev shtap0
    in_ns ip link set shtap0 down
    start_vmm "$VMM" --timeout 30 --verbose --net tap:shtap0 --ip 10.99.0.2/24 --gateway 10.99.0.1 \
      "$TMP/bb-net.shoal" -- sleep 6
    sleep 1
    in_ns ip link show shtap0 | grep -q "UP" || fail "the monitor did not bring the link up"
    out=$(ping_guest 5)
    echo "$out"
    [ "$(echo "$out" | received)" = 5 ] || fail "ping: not every reply came back"
    wait_vmm
    [ "$STATUS" = 0 ] || fail "the guest exited with $STATUS"
    grep -q "net: tx [1-9]" "$TMP/vmm.err" || fail "no transmit counted"
    grep "net: tx" "$TMP/vmm.err"
    ;;
  create)
    # `shoal run` of a plain program with --net: built into the cache with
    # the device declared; the monitor creates the TAP device itself.
    export XDG_CACHE_HOME=$TMP/cache
    start_vmm "$SHOAL" run "$BUSYBOX" --timeout 30 --net tap:shnew0 --ip 10.99.0.2/24 \
      --mac 02:00:00:00:99:02 -- sleep 5
    host_side shnew0
    out=$(ping_guest 3)
    echo "$out"
    [ "$(echo "$out" | received)" = 3 ] || fail "ping through shoal run"
    in_ns ip neigh show 10.99.0.2 | grep -qi "02:00:00:00:99:02" || fail "the guest does not answer with --mac"
    wait_vmm
    [ "$STATUS" = 0 ] || fail "shoal run exited with $STATUS"
    # The TAP the monitor created is gone with it (not persistent).
    if in_ns ip link show shnew0 >/dev/null 2>&1; then fail "the created TAP outlived the monitor"; fi
    # The same program without --net is another cache entry (no device).
    in_ns "$SHOAL" run "$BUSYBOX" --timeout 30 -- true || fail "run without --net"
    ls "$XDG_CACHE_HOME/shoal"/*.shoal | wc -l | grep -qx 2 || fail "expected two cached images (with and without the device)"
    ;;
  refuse)
    "$SHOAL" build "$BUSYBOX" -o "$TMP/bb.shoal" >/dev/null
    status=0
    in_ns "$VMM" --net tap:shx0 --ip 10.99.0.2/24 "$TMP/bb.shoal" -- true 2>"$TMP/err" || status=$?
    [ "$status" = 2 ] || fail "an image without the device: status $status, expected 2"
    grep -q "does not declare the network device" "$TMP/err" || fail "unclear refusal: $(cat "$TMP/err")"
    [ "$(wc -l <"$TMP/err")" = 1 ] || fail "the refusal is more than one line"
    if in_ns ip link show shx0 >/dev/null 2>&1; then fail "a refused instance created its TAP"; fi
    for bad in "--net tap:shx0" "--net shx0 --ip 10.99.0.2/24" "--net tap:shx0 --ip 10.99.0.2/24 --gateway 10.98.0.1" \
               "--ip 10.99.0.2/24" "--net tap:shx0 --ip 10.99.0.0/24" "--net tap:a_name_too_long0 --ip 10.99.0.2/24" \
               "--net tap:shx0 --ip 10.99.0.2/24 --mac 01:00:00:00:00:01" \
               "--net tap:shx0 --ip 10.99.0.2/24 --net-impair loss=5,bogus=1"; do
      status=0
      # shellcheck disable=SC2086
      in_ns "$VMM" $bad "$TMP/bb-net.shoal" -- true 2>"$TMP/err" || status=$?
      [ "$status" = 2 ] || fail "'$bad': status $status, expected 2"
      echo "refused ($bad): $(head -1 "$TMP/err")"
    done
    # An image without the device still runs without --net.
    in_ns "$VMM" "$TMP/bb.shoal" -- true || fail "the plain image does not run"
    # A device name of a TUN device is a clear error (status 1).
    in_ns ip tuntap add dev shtun0 mode tun
    status=0
    in_ns "$VMM" --net tap:shtun0 --ip 10.99.0.2/24 "$TMP/bb-net.shoal" -- true 2>"$TMP/err" || status=$?
    [ "$status" = 1 ] || fail "a TUN device: status $status"
    grep -q "TUNSETIFF" "$TMP/err" || fail "unclear TUN error: $(cat "$TMP/err")"
    echo "refused (tun device): $(head -1 "$TMP/err")"
    ;;
  impair)
    in_ns ip tuntap add dev shimp0 mode tap
    host_side shimp0
    start_vmm "$VMM" --timeout 30 --verbose --net tap:shimp0 --ip 10.99.0.2/24 --net-impair loss=100 \
      "$TMP/bb-net.shoal" -- sleep 4
    out=$(ping_guest 2)
    [ "$(echo "$out" | received)" = 0 ] || fail "loss=100 let a frame through: $out"
    wait_vmm
    grep -q "impairment lost [1-9]" "$TMP/vmm.err" || fail "impairment losses not counted"
    start_vmm "$VMM" --timeout 30 --net tap:shimp0 --ip 10.99.0.2/24 --net-impair delay=60,seed=1 \
      "$TMP/bb-net.shoal" -- sleep 4
    sleep 0.5
    out=$(ping_guest 3)
    echo "$out"
    [ "$(echo "$out" | received)" = 3 ] || fail "delay=60 lost frames"
    min=$(echo "$out" | sed -n 's|.*min/avg/max = \([0-9]*\)\..*|\1|p')
    [ -n "$min" ] && [ "$min" -ge 60 ] || fail "delay=60: minimum RTT ${min:-?} ms"
    wait_vmm
    ;;
  *)
    echo "unknown case $CASE" >&2
    exit 2
    ;;
esac
echo "PASS: $CASE"
