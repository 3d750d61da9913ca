#!/usr/bin/env bash
# bench/go_http: Go's net/http serving small responses (tests/real/go/httpd,
# GET /hello, 14 bytes) under shoal over --net against the same static binary
# natively, measured in the same run with wrk. Layout as bench/net: one
# namespace holds wrk and two links, one hop each:
#   sh0  a TAP device, 10.96.0.1/24 -> the guest (shoal run --net tap:sh0), 10.96.0.2
#   vh0  a veth pair,  10.95.0.1/24 -> a second namespace running the binary natively
#
#   go_http BUILD_DIR [--duration S] [--connections C]
# Prints requests/s and p99 for each side and the ratio shoal/native.
set -uo pipefail
build=${1:?usage: go_http BUILD_DIR [--duration S] [--connections C]}
shift
duration=10 conns=32
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) conns=$2; shift 2 ;;
    *) echo "usage: go_http BUILD_DIR [--duration S] [--connections C]" >&2; exit 2 ;;
  esac
done
shoal=$build/bin/shoal httpd=$build/real/go_httpd
[ "$(id -u)" = 0 ] || { echo "bench/go_http: needs root (network namespaces)" >&2; exit 1; }
[ -x "$httpd" ] || { echo "bench/go_http: $httpd not built" >&2; exit 1; }
# shellcheck source=netbench.sh
source "$(dirname "$0")/netbench.sh" || { echo "bench/go_http: bench/netbench.sh missing" >&2; exit 1; }
status=0
netbench_open gohttp 10.95.0
netbench_tap sh0 10.96.0
"$shoal" build "$httpd" --net -o "$tmp/httpd.shoal" >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; echo "bench/go_http: shoal build --net failed" >&2; exit 1; }
declare -A rps p99
for side in native shoal; do
  log=$tmp/$side.log rps[$side]=-1 p99[$side]=-1
  if [ $side = native ]; then
    addr=10.95.0.2
    ip netns exec "$NSN" timeout $((duration * 3 + 60)) "$httpd" :8080 >"$log" 2>&1 &
  else
    addr=10.96.0.2
    ip netns exec "$NS" "$shoal" run --memory 512M --net tap:sh0 --ip 10.96.0.2/24 --gateway 10.96.0.1 \
      --timeout $((duration * 3 + 60)) "$tmp/httpd.shoal" -- :8080 >"$log" 2>&1 &
  fi
  hp=$!
  pids+=("$hp")
  if ! wait_for "$log" '^gohttpd: listening' 60; then
    echo "  $side: the server did not start: $(grep -v '^\s' "$log" | tail -2 | tr '\n' ' ')"; status=1; kill "$hp" 2>/dev/null; continue
  fi
  up=0
  for _ in $(seq 80); do
    ip netns exec "$NS" curl -s --max-time 1 -o /dev/null "http://$addr:8080/hello" && { up=1; break; }
    sleep 0.25
  done
  if [ $up = 0 ]; then echo "  $side: the server does not answer"; status=1; kill "$hp"; continue; fi
  ip netns exec "$NS" timeout 30 wrk -t1 -c"$conns" -d2s "http://$addr:8080/hello" >/dev/null 2>&1  # warm-up
  ip netns exec "$NS" timeout $((duration + 30)) wrk -t1 -c"$conns" -d"${duration}s" --latency \
    "http://$addr:8080/hello" >"$tmp/wrk-$side.out" 2>&1
  rps[$side]=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk-$side.out")
  p99[$side]=$(to_us "$(awk '$1 == "99%" { print $2 }' "$tmp/wrk-$side.out")")
  [ -n "${rps[$side]}" ] || { rps[$side]=-1; status=1; }
  [ -n "${p99[$side]}" ] || p99[$side]=-1
  errs=$(grep -E 'Socket errors|Non-2xx' "$tmp/wrk-$side.out")
  [ -n "$errs" ] && echo "  ($side: $errs)"
  kill "$hp" 2>/dev/null
  wait "$hp" 2>/dev/null
done
echo "bench/go_http: Go net/http GET /hello, wrk -t1 -c$conns -d${duration}s, native over veth vs shoal over TAP"
awk -v nr="${rps[native]}" -v sr="${rps[shoal]}" -v np="${p99[native]}" -v sp="${p99[shoal]}" 'BEGIN {
  printf "  native  %10.0f req/s  p99 %8.0f us\n", nr, np
  if (sr > 0) printf "  shoal   %10.0f req/s  p99 %8.0f us   %.2fx native req/s\n", sr, sp, sr / nr
  else print "  shoal   FAILED" }'
exit $status
