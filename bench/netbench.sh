# The test bed the network benchmarks share (bench/net.sh, bench/sendfile.sh,
# bench/go_http.sh), sourced by them: two namespaces made here, NS (the host's
# end: a veth vh0 and the TAP devices the guests use) and NSN (the native
# program's side: eth0, the veth's peer), with a scratch directory; all of it,
# and every process in `pids`, is removed on exit.
# shellcheck source=../tests/lib/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/lib/netns.sh" ||
  { echo "bench: tests/lib/netns.sh missing" >&2; exit 1; }

netbench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for ns in "$NS" "$NSN"; do
    local left
    left=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$left" ] && kill -9 $left 2>/dev/null
    netns_release "$ns"
  done
  rm -rf "$tmp"
}

# netbench_open TAG NET: sets NS, NSN, tmp and pids; the veth pair is NET.1
# (vh0, in NS) and NET.2 (eth0, in NSN), NET a /24 prefix such as 10.98.0.
netbench_open() {
  local tag=$1 net=$2
  NS=$(netns_name "shoal-b-$tag") && NSN=$NS-n
  tmp=$(mktemp -d "/tmp/bench-$tag-XXXXXX")
  pids=()
  trap netbench_cleanup EXIT
  trap 'exit 130' INT TERM
  # Namespaces of killed runs must not disturb this one.
  netns_reap '^shoal-b-'
  netns_claim "$NS" "$NSN" || exit 1
  ip -n "$NS" link set lo up
  ip -n "$NSN" link set lo up
  ip -n "$NS" link add vh0 type veth peer name eth0 netns "$NSN"
  ip -n "$NS" addr add "$net.1/24" dev vh0 && ip -n "$NS" link set vh0 up
  ip -n "$NSN" addr add "$net.2/24" dev eth0 && ip -n "$NSN" link set eth0 up
}

# netbench_tap DEV NET: a TAP device DEV in NS with the host's end at NET.1/24.
netbench_tap() {
  ip -n "$NS" tuntap add dev "$1" mode tap && ip -n "$NS" addr add "$2.1/24" dev "$1" && ip -n "$NS" link set "$1" up
}

wait_for() {  # wait_for FILE REGEX SECONDS: until a line of FILE matches
  local end=$((SECONDS + $3))
  while ((SECONDS < end)); do grep -Eq "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}
to_us() {  # wrk latency "1.23ms" -> microseconds (-1 when unreadable)
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /s$/) print n * 1e6; else print -1 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a >= 0) printf "%.2fx", a / b; else print "n/a" }'; }
