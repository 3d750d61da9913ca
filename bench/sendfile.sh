#!/usr/bin/env bash
# bench/sendfile: nginx-style static files over TCP, sendfile(2) against
# read+write, under shoal (--net, TAP) against the same static binary natively
# (veth), same machine, same run.
#
#   sendfile BUILD_DIR [--duration S] [--rounds N] [--size BYTES] [--conns N] [--base BUILD_DIR2]
#
# --base: a second shoal (another build, e.g. main's) measured in the same
# run, behind its own TAP (sh1, 10.97.0.2), for before/after figures.
#
# One namespace holds wrk and two one-hop links (as bench/net):
#   sh0  a TAP device, 10.99.0.1/24 -> the guest, 10.99.0.2
#   vh0  a veth pair,  10.98.0.1/24 -> a second namespace where the SAME binary
#        runs natively, 10.98.0.2
# bench/sendfile_server answers GET / with one SIZE-byte file from /tmp by
# sendfile, and GET /rw with the same file by read+write (64 KiB buffer).
# The four cases (native|shoal x sendfile|rw) run interleaved, N rounds of
# `wrk -t1 -cC -dS` each, and each reports its best round: on a shared
# 2-core machine a round is often slowed by other work, never sped up.
# Prints requests/s and MB/s, shoal/native per mode, and sendfile/rw per side.
# Every process runs in a namespace made here; all are deleted on exit.
set -uo pipefail
usage="usage: sendfile BUILD_DIR [--duration S] [--rounds N] [--size BYTES] [--conns N] [--base BUILD_DIR2]"
build=${1:?$usage}
shift
duration=3 rounds=5 size=1048576 conns=4 base=
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
shoal=$build/bin/shoal server=$build/bench/sendfile_server
[ "$(id -u)" = 0 ] || { echo "bench/sendfile: needs root (network namespaces)" >&2; exit 1; }
[ -x "$server" ] || { echo "bench/sendfile: $server not built" >&2; exit 1; }
sides="native shoal"
if [ -n "$base" ]; then
  [ -x "$base/bin/shoal" ] || { echo "bench/sendfile: $base/bin/shoal not built" >&2; exit 1; }
  sides="native shoal base"
fi
# shellcheck source=netbench.sh
source "$(dirname "$0")/netbench.sh" || { echo "bench/sendfile: bench/netbench.sh missing" >&2; exit 1; }
status=0
netbench_open sf 10.98.0
netbench_tap sh0 10.99.0
"$shoal" build "$server" --net -o "$tmp/server.shoal" >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; echo "bench/sendfile: shoal build --net failed" >&2; exit 1; }
if [ -n "$base" ]; then
  netbench_tap sh1 10.97.0
  # The same server binary, in the other build's image.
  "$base/bin/shoal" build "$server" --net -o "$tmp/base.shoal" >"$tmp/build.log" 2>&1 ||
    { cat "$tmp/build.log"; echo "bench/sendfile: base shoal build --net failed" >&2; exit 1; }
fi

num() { awk -v v="$1" 'BEGIN { if (v < 0) print "n/a"; else printf "%.0f", v }'; }
mb() { awk -v r="$1" -v s="$size" 'BEGIN { if (r < 0) print "n/a"; else printf "%.0f", r * s / 1e6 }'; }
addr() { case $1 in native) echo 10.98.0.2 ;; base) echo 10.97.0.2 ;; *) echo 10.99.0.2 ;; esac; }
path() { [ "$1" = rw ] && echo /rw || echo /; }

# Both servers, for the whole run.
total=$((rounds * 6 * (duration + 3) + 120))
ip netns exec "$NSN" timeout "$total" "$server" 8080 "$size" >"$tmp/native.log" 2>&1 &
pids+=($!)
ip netns exec "$NS" "$shoal" run --net tap:sh0 --ip 10.99.0.2/24 --gateway 10.99.0.1 --timeout "$total" \
  "$tmp/server.shoal" -- 8080 "$size" >"$tmp/shoal.log" 2>&1 &
pids+=($!)
if [ -n "$base" ]; then
  ip netns exec "$NS" "$base/bin/shoal" run --net tap:sh1 --ip 10.97.0.2/24 --gateway 10.97.0.1 --timeout "$total" \
    "$tmp/base.shoal" -- 8080 "$size" >"$tmp/base.log" 2>&1 &
  pids+=($!)
fi
declare -A best
for side in $sides; do
  wait_for "$tmp/$side.log" '^sendfile_server: listening' 60 ||
    { echo "bench/sendfile: $side server did not start: $(tail -3 "$tmp/$side.log")" >&2; exit 1; }
  for mode in sendfile rw; do
    best[$side-$mode]=-1
    ok=0
    for _ in $(seq 40); do
      ip netns exec "$NS" curl -s --max-time 2 -o "$tmp/body" "http://$(addr $side):8080$(path $mode)" && { ok=1; break; }
      sleep 0.25
    done
    if [ $ok = 0 ] || [ "$(stat -c %s "$tmp/body")" != "$size" ]; then
      echo "bench/sendfile: $side $mode does not answer with $size bytes" >&2; exit 1
    fi
  done
  # warm-up
  ip netns exec "$NS" timeout 30 wrk -t1 -c"$conns" -d2s "http://$(addr $side):8080/" >/dev/null 2>&1
done

echo "bench/sendfile: $size-byte file, wrk -t1 -c$conns -d${duration}s, best of $rounds interleaved rounds," \
  "natively over veth vs under shoal over TAP"
for r in $(seq "$rounds"); do
  for side in $sides; do
    for mode in sendfile rw; do
      out=$tmp/wrk-$side-$mode-$r.out
      ip netns exec "$NS" timeout $((duration + 30)) wrk -t1 -c"$conns" -d"${duration}s" \
        "http://$(addr $side):8080$(path $mode)" >"$out" 2>&1
      rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
      if [ -z "$rps" ] || grep -qE 'Socket errors|Non-2xx' "$out"; then
        echo "  round $r $side $mode: $(grep -E 'Socket errors|Non-2xx|unable' "$out" | tr '\n' ' ')"
        status=1
        continue
      fi
      best[$side-$mode]=$(awk -v a="$rps" -v b="${best[$side-$mode]}" 'BEGIN { print (a > b ? a : b) }')
    done
  done
done
echo
printf "  %-30s %14s %14s %14s\n" "" native shoal shoal/native
for mode in sendfile rw; do
  printf "  %-30s %14s %14s %14s\n" "$mode: requests/s (MB/s)" \
    "$(num "${best[native-$mode]}") ($(mb "${best[native-$mode]}"))" \
    "$(num "${best[shoal-$mode]}") ($(mb "${best[shoal-$mode]}"))" \
    "$(ratio "${best[shoal-$mode]}" "${best[native-$mode]}")"
done
printf "  %-30s %14s %14s\n" "sendfile/rw" "$(ratio "${best[native-sendfile]}" "${best[native-rw]}")" \
  "$(ratio "${best[shoal-sendfile]}" "${best[shoal-rw]}")"
if [ -n "$base" ]; then
  echo "  base ($base):"
  for mode in sendfile rw; do
    printf "  %-30s %14s %14s %14s\n" "$mode: requests/s (MB/s)" "" \
      "$(num "${best[base-$mode]}") ($(mb "${best[base-$mode]}"))" \
      "$(ratio "${best[base-$mode]}" "${best[native-$mode]}")"
  done
  printf "  %-30s %14s %14s\n" "sendfile/rw" "" "$(ratio "${best[base-sendfile]}" "${best[base-rw]}")"
fi
((status)) && echo "bench/sendfile: some rounds failed (see above)"
exit $status
