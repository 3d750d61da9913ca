#!/usr/bin/env bash
# bench/redis: Debian's redis-server, unmodified and dynamically linked, under
# shoal (--net, TAP) against the same binary natively (veth), same machine,
# same run: redis-benchmark SET and GET with -P 1 and -P 16 (issue 12's
# target: >= 0.9x native).
#
#   redis BUILD_DIR [--requests N] [--rounds N] [--clients C]
#
# One namespace holds redis-benchmark and two one-hop links (bench/netbench.sh):
#   sh0  a TAP device, 10.99.0.1/24 -> the guest, 10.99.0.2
#   vh0  a veth pair,  10.98.0.1/24 -> a second namespace where redis-server
#        runs natively, 10.98.0.2
# The cases run interleaved, N rounds each; each reports its best round (on
# a shared 2-core machine a round is often slowed by other work, never sped up).
set -uo pipefail
usage="usage: redis BUILD_DIR [--requests N] [--rounds N] [--clients C]"
build=${1:?$usage}
shift
requests=50000 rounds=3 clients=16
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
shoal=$build/bin/shoal redis=/usr/bin/redis-server
[ "$(id -u)" = 0 ] || { echo "bench/redis: needs root (network namespaces)" >&2; exit 1; }
command -v redis-benchmark >/dev/null && [ -x "$redis" ] ||
  { echo "bench/redis: redis-server and redis-benchmark are required (Debian's redis-server, redis-tools)" >&2; exit 1; }
# shellcheck source=netbench.sh
source "$(dirname "$0")/netbench.sh" || { echo "bench/redis: bench/netbench.sh missing" >&2; exit 1; }
netbench_open redis 10.98.0
netbench_tap sh0 10.99.0
"$shoal" build "$redis" --net -o "$tmp/redis.shoal" >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; echo "bench/redis: shoal build --net failed" >&2; exit 1; }
args=(--port 6379 --bind 0.0.0.0 --protected-mode no --save "" --appendonly no --daemonize no --logfile "")
total=$((rounds * 8 * 60 + 120))
ip netns exec "$NSN" timeout "$total" "$redis" "${args[@]}" --dir "$tmp" >"$tmp/native.log" 2>&1 &
pids+=($!)
ip netns exec "$NS" "$shoal" run --net tap:sh0 --ip 10.99.0.2/24 --gateway 10.99.0.1 --timeout "$total" \
  "$tmp/redis.shoal" -- "${args[@]}" --dir /tmp >"$tmp/shoal.log" 2>&1 &
pids+=($!)
addr() { [ "$1" = native ] && echo 10.98.0.2 || echo 10.99.0.2; }
for side in native shoal; do
  ok=0
  for _ in $(seq 300); do
    [ "$(ip netns exec "$NS" redis-cli -h "$(addr $side)" PING 2>/dev/null)" = PONG ] && { ok=1; break; }
    sleep 0.1
  done
  [ $ok = 1 ] || { echo "bench/redis: $side redis-server does not answer: $(tail -3 "$tmp/$side.log")" >&2; exit 1; }
done
echo "bench/redis: redis-benchmark -n $requests -c $clients -t set,get, -P 1 and -P 16, best of $rounds" \
  "interleaved rounds, natively over veth vs under shoal over TAP"
declare -A best
for r in $(seq "$rounds"); do
  for p in 1 16; do
    for side in native shoal; do
      out=$tmp/bench-$side-$p-$r.csv
      ip netns exec "$NS" timeout 120 redis-benchmark -h "$(addr $side)" -n "$requests" -c "$clients" -P "$p" \
        -t set,get --csv >"$out" 2>/dev/null
      for t in SET GET; do
        rps=$(awk -F'","' -v t="$t" '{ gsub(/"/, "", $1) } $1 == t { gsub(/"/, "", $2); print $2 }' "$out")
        [ -n "$rps" ] || { echo "  round $r $side -P $p $t: no result"; continue; }
        key=$side-$p-$t
        best[$key]=$(awk -v a="$rps" -v b="${best[$key]:--1}" 'BEGIN { print (a > b ? a : b) }')
      done
    done
  done
done
echo
printf "  %-22s %14s %14s %14s\n" "" native shoal shoal/native
for p in 1 16; do
  for t in SET GET; do
    printf "  %-22s %14.0f %14.0f %14s\n" "$t -P $p: requests/s" "${best[native-$p-$t]:--1}" \
      "${best[shoal-$p-$t]:--1}" "$(ratio "${best[shoal-$p-$t]:--1}" "${best[native-$p-$t]:--1}")"
  done
done
