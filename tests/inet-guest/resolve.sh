#!/usr/bin/env bash
# resolve.sh BUILD: getaddrinfo/gethostbyname in a static glibc program read
# the image's own /etc (shoal build --root), with a network device and no
# pool channel; then the program connects to the resolved address.
TEST=resolve BUILD=$1
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../inet/lib.sh"
[ "$TARGET" = shoal ] || { echo "resolve.sh checks the image's /etc under shoal only"; exit 77; }
setup
PROG=$BUILD/tests/inet-guest/resolve
ROOT=$TMP/root
mkdir -p "$ROOT/etc"
printf '127.0.0.1\tlocalhost\n%s\tpeerhost peerhost.test\n' "$HOST_IP" >"$ROOT/etc/hosts"
printf 'hosts: files\n' >"$ROOT/etc/nsswitch.conf"
IMG=$TMP/resolve.shoal
"$SHOAL" build "$PROG" --net --root "$ROOT" -o "$IMG" >"$TMP/build.log" 2>&1 ||
  { fail "shoal build --net --root: $(cat "$TMP/build.log")"; finish; }

in_ns timeout 60 python3 "$HERE/peer.py" "$HOST_IP" "$GUEST_IP" 40 >"$TMP/peer.log" 2>&1 &
GUEST_PIDS+=("$!")
wait_line "$TMP/peer.log" '^peer: serving' 10 || { fail "peer did not start"; finish; }
in_ns "$SHOAL" run --net tap:sh0 --ip "$GUEST_IP/24" --gateway "$HOST_IP" --timeout 30 "$IMG" -- peerhost 7001 \
  >"$TMP/resolve.out" 2>"$TMP/resolve.log"
rc=$?
out=$(cat "$TMP/resolve.out")
want="getaddrinfo(peerhost, 7001) = $HOST_IP:7001
gethostbyname(peerhost) = $HOST_IP
unknown name: EAI_NONAME
echo: 8 resolved"
if [ $rc = 0 ] && [ "$out" = "$want" ]; then
  pass "names from the image's /etc/hosts, and a connection to one"
else
  fail "resolve (status $rc): $out"
fi
finish
