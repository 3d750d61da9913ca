#!/usr/bin/env bash
# bench/net: the TCP/IP stack under shoal against Linux, same machine, same run.
#
#   net BUILD_DIR [--duration S] [--bytes N] [--skip-shoal]
#
# One namespace holds the clients and two links, one hop each:
#   sh0  a TAP device, 10.99.0.1/24 -> the guest (shoal run --net tap:sh0), 10.99.0.2
#   vh0  a veth pair,  10.98.0.1/24 -> a second namespace where the SAME static
#        binary runs natively, 10.98.0.2
# (a) wrk -t1 -c32 -dS --latency GET / against examples/net/httpd on each:
#     requests per second, p99, and the ratios shoal/native;
# (b) bulk TCP (examples/net/bulk --no-hash, N bytes) guest->host and
#     host->guest on each: MB/s at the receiver, and the ratios.
# Every process runs in a namespace made here, and all are deleted on exit.
# Figures from this PVM machine: an exit costs ~22-60 us against ~1 us on
# VT-x, so the shoal side (notifications, block hypercalls) would do better there.
set -uo pipefail
build=${1:?usage: net BUILD_DIR [--duration S] [--bytes N] [--skip-shoal]}
shift
duration=10 bytes=200M shoal_on=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --bytes) bytes=$2; shift 2 ;;
    --skip-shoal) shoal_on=0; shift ;;
    *) echo "usage: net BUILD_DIR [--duration S] [--bytes N] [--skip-shoal]" >&2; exit 2 ;;
  esac
done
shoal=$build/bin/shoal httpd=$build/examples/net/httpd bulk=$build/examples/net/bulk
[ "$(id -u)" = 0 ] || { echo "bench/net: needs root (network namespaces)" >&2; exit 1; }
for f in "$httpd" "$bulk"; do [ -x "$f" ] || { echo "bench/net: $f not built" >&2; exit 1; }; done
# shellcheck source=netbench.sh
source "$(dirname "$0")/netbench.sh" || { echo "bench/net: bench/netbench.sh missing" >&2; exit 1; }
status=0
netbench_open net 10.98.0
if [ $shoal_on = 1 ]; then
  netbench_tap sh0 10.99.0
  "$shoal" build "$httpd" --net -o "$tmp/httpd.shoal" >"$tmp/build.log" 2>&1 &&
    "$shoal" build "$bulk" --net -o "$tmp/bulk.shoal" >>"$tmp/build.log" 2>&1 ||
    { cat "$tmp/build.log"; echo "bench/net: shoal build --net failed" >&2; exit 1; }
fi

# guest SIDE SECONDS PROG ARGS...: runs PROG on SIDE (native|shoal), in the background.
guest() {
  local side=$1 secs=$2 prog=$3 log=$tmp/$side-$(basename "$3")-$RANDOM.log
  shift 3
  if [ "$side" = native ]; then
    ip netns exec "$NSN" timeout "$secs" "$prog" "$@" >"$log" 2>&1 &
  else
    ip netns exec "$NS" "$shoal" run --net tap:sh0 --ip 10.99.0.2/24 --gateway 10.99.0.1 --timeout "$secs" \
      "$tmp/$(basename "$prog").shoal" -- "$@" >"$log" 2>&1 &
  fi
  GPID=$! GLOG=$log
  pids+=("$GPID")
}
addr() { [ "$1" = native ] && echo 10.98.0.2 || echo 10.99.0.2; }
host_addr() { [ "$1" = native ] && echo 10.98.0.1 || echo 10.99.0.1; }
fmt_us() { awk -v u="$1" 'BEGIN { if (u < 0) print "n/a"; else if (u >= 1000) printf "%.2f ms", u / 1000; else printf "%.0f us", u }'; }

sides=(native)
[ $shoal_on = 1 ] && sides+=(shoal)
echo "bench/net: examples/net/httpd and bulk, natively over veth vs under shoal over TAP (one hop each)"

# (a) wrk
declare -A rps p99 mbps_gh mbps_hg
for side in "${sides[@]}"; do
  guest "$side" $((duration * 3 + 60)) "$httpd" --port 8080
  hp=$GPID
  rps[$side]=-1 p99[$side]=-1
  if ! wait_for "$GLOG" '^httpd: listening' 60; then
    echo "  $side: httpd did not start: $(tail -3 "$GLOG")"; status=1; continue
  fi
  up=0
  for _ in $(seq 80); do
    ip netns exec "$NS" curl -s --max-time 1 -o /dev/null "http://$(addr "$side"):8080/" && { up=1; break; }
    sleep 0.25
  done
  if [ $up = 0 ]; then echo "  $side: httpd does not answer"; status=1; kill "$hp"; continue; fi
  ip netns exec "$NS" timeout 30 wrk -t1 -c32 -d2s "http://$(addr "$side"):8080/" >/dev/null 2>&1  # warm-up
  ip netns exec "$NS" timeout $((duration + 30)) wrk -t1 -c32 -d"${duration}s" --latency \
    "http://$(addr "$side"):8080/" >"$tmp/wrk-$side.out" 2>&1
  rps[$side]=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk-$side.out")
  p99[$side]=$(to_us "$(awk '$1 == "99%" { print $2 }' "$tmp/wrk-$side.out")")
  [ -n "${rps[$side]}" ] || { rps[$side]=-1; status=1; }
  [ -n "${p99[$side]}" ] || p99[$side]=-1
  errs=$(grep -E 'Socket errors|Non-2xx' "$tmp/wrk-$side.out")
  [ -n "$errs" ] && echo "  ($side: $errs)"
  kill "$hp" 2>/dev/null
  wait "$hp" 2>/dev/null
done

# (b) bulk: the receiver's MB/s. gh = guest -> host, hg = host -> guest.
bulk_run() {  # bulk_run SIDE DIR -> MB/s on stdout
  local side=$1 dir=$2 port=$((9000 + RANDOM % 1000)) out=$tmp/bulk-$side-$2.out
  if [ "$dir" = gh ]; then
    ip netns exec "$NS" timeout 60 "$bulk" --no-hash recv "$port" >"$out" 2>&1 &
    local rp=$!
    pids+=("$rp")
    wait_for "$out" '^bulk: listening' 10 || { echo "bench/net: host bulk recv never listened:" >&2; tail -n 5 "$out" >&2; echo -1; return; }
    guest "$side" 90 "$bulk" --no-hash send "$(host_addr "$side")" "$port" "$bytes"
    wait "$rp"
    sed -n 's/^bulk: received .* mbps=\([0-9.]*\).*/\1/p' "$out" | grep . ||
      { echo "bench/net: $side bulk guest -> host failed:" >&2; tail -n 5 "$out" >&2; echo -1; }
  else
    guest "$side" 90 "$bulk" --no-hash recv "$port"
    local gp=$GPID glog=$GLOG
    # On failure, say what the guest printed: a lone "n/a" cannot be diagnosed.
    wait_for "$glog" '^bulk: listening' 60 || { echo "bench/net: $side bulk recv never listened:" >&2; tail -n 5 "$glog" >&2; echo -1; return; }
    for _ in $(seq 50); do
      ip netns exec "$NS" timeout 60 "$bulk" --no-hash send "$(addr "$side")" "$port" "$bytes" >"$out" 2>&1 && break
      grep -q 'refused\|No route' "$out" || break
      sleep 0.2
    done
    wait "$gp"
    sed -n 's/^bulk: received .* mbps=\([0-9.]*\).*/\1/p' "$glog" | grep . ||
      { echo "bench/net: $side bulk host -> guest failed:" >&2; tail -n 5 "$out" "$glog" >&2; echo -1; }
  fi
}
for side in "${sides[@]}"; do
  mbps_gh[$side]=$(bulk_run "$side" gh)
  mbps_hg[$side]=$(bulk_run "$side" hg)
done

s=shoal
[ $shoal_on = 1 ] || { rps[shoal]=-1 p99[shoal]=-1 mbps_gh[shoal]=-1 mbps_hg[shoal]=-1; }
num() { awk -v v="$1" 'BEGIN { if (v < 0) print "n/a"; else printf "%.0f", v }'; }
num1() { awk -v v="$1" 'BEGIN { if (v < 0) print "n/a"; else printf "%.1f", v }'; }
echo
printf "  %-44s %12s %12s %14s\n" "" native shoal shoal/native
printf "  %-44s %12s %12s %14s\n" "wrk -t1 -c32 -d${duration}s GET /: requests/s" "$(num "${rps[native]}")" \
  "$(num "${rps[$s]}")" "$(ratio "${rps[$s]}" "${rps[native]}")"
printf "  %-44s %12s %12s %14s\n" "  p99 latency" "$(fmt_us "${p99[native]}")" "$(fmt_us "${p99[$s]}")" \
  "$(ratio "${p99[$s]}" "${p99[native]}")"
printf "  %-44s %12s %12s %14s\n" "bulk TCP $bytes guest -> host: MB/s" "$(num1 "${mbps_gh[native]}")" \
  "$(num1 "${mbps_gh[$s]}")" "$(ratio "${mbps_gh[$s]}" "${mbps_gh[native]}")"
printf "  %-44s %12s %12s %14s\n" "bulk TCP $bytes host -> guest: MB/s" "$(num1 "${mbps_hg[native]}")" \
  "$(num1 "${mbps_hg[$s]}")" "$(ratio "${mbps_hg[$s]}" "${mbps_hg[native]}")"
for v in "${rps[native]}" "${mbps_gh[native]}" "${mbps_hg[native]}"; do [ "$v" = -1 ] && status=1; done
if [ $shoal_on = 1 ]; then
  for v in "${rps[shoal]}" "${mbps_gh[shoal]}" "${mbps_hg[shoal]}"; do [ "$v" = -1 ] && status=1; done
fi
((status)) && echo "bench/net: some measurements failed (n/a above)"
exit $status
