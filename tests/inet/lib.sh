# Helpers for tests/inet: every test builds its own network namespace, runs the
# guest and its clients there, and removes it on every path. Sourced by the
# test scripts, after they set TEST (a short name) and BUILD (the build dir).
#
# The namespace NS ("shoal-t-TEST-PID-RANDOM", owned as tests/lib/netns.sh says)
# holds the host end of the link, sh0, 10.99.0.1/24. The guest is 10.99.0.2/24
# with gateway 10.99.0.1:
#   SHOAL_INET_TARGET=shoal (default)  sh0 is a TAP device; the guest is a
#       shoal instance attached to it (`shoal run --net tap:sh0 ...`);
#   SHOAL_INET_TARGET=native           sh0 is one end of a veth pair whose
#       other end, eth0, lives in a second namespace NS-g where the same
#       static program runs natively: Linux is the oracle for every script.
# No address outside these namespaces is ever a target; every command has a
# time limit; every process started here is in a namespace that is deleted.
set -uo pipefail
trap "" PIPE
# shellcheck source=../lib/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/netns.sh"

TARGET=${SHOAL_INET_TARGET:-shoal}
SHOAL=$BUILD/bin/shoal
NETEX=$BUILD/examples/net
INJECT=$BUILD/tests/inet/inject
HOST_IP=10.99.0.1
GUEST_IP=10.99.0.2
NS=$(netns_name "shoal-t-$TEST")
NSG=$NS-g
TMP=$(mktemp -d /tmp/shoal-inet-$TEST-XXXXXX)
GUEST_OPTS=()   # extra `shoal run` options (e.g. --net-impair)
GUEST_PIDS=()
FAILURES=0

fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }
info() { echo "-- $*"; }

in_ns() { ip netns exec "$NS" "$@"; }

kill_ns_procs() {
  local pids
  pids=$(ip netns pids "$1" 2>/dev/null)
  [ -n "$pids" ] && kill $pids 2>/dev/null
  sleep 0.2
  pids=$(ip netns pids "$1" 2>/dev/null)
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null
}

cleanup() {
  local pid
  for pid in "${GUEST_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  kill_ns_procs "$NS"
  [ "$TARGET" = native ] && kill_ns_procs "$NSG"
  for pid in "${GUEST_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  netns_release "$NS"
  [ "$TARGET" = native ] && netns_release "$NSG"
  if ((FAILURES > 0)) && [ -d "$TMP" ]; then
    for f in "$TMP"/*.log "$TMP"/*.err; do
      [ -f "$f" ] || continue
      echo "--- $(basename "$f") (last 30 lines):"
      tail -n 20 "$f" | head -c 2000 | LC_ALL=C tr -c "[:print:]\n" "?"
    done
  fi
  rm -rf "$TMP"
}

# setup: the namespace(s) and the link; fails the test if it cannot.
setup() {
  [ "$(id -u)" = 0 ] || { echo "FAIL: tests/inet need root (network namespaces)"; exit 1; }
  netns_reap '^shoal-[tb]-'
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  netns_claim "$NS" || { echo "FAIL: ip netns add $NS"; exit 1; }
  ip -n "$NS" link set lo up
  if [ "$TARGET" = shoal ]; then
    [ -w /dev/kvm ] || { echo "FAIL: /dev/kvm is not usable here"; exit 1; }
    [ -x "$SHOAL" ] || { echo "FAIL: $SHOAL not built"; exit 1; }
    ip -n "$NS" tuntap add dev sh0 mode tap || { echo "FAIL: cannot create a TAP device"; exit 1; }
  else
    netns_claim "$NSG" || { echo "FAIL: ip netns add $NSG"; exit 1; }
    ip -n "$NSG" link set lo up
    ip -n "$NS" link add sh0 type veth peer name eth0 netns "$NSG" || { echo "FAIL: veth"; exit 1; }
    ip -n "$NSG" addr add "$GUEST_IP/24" dev eth0
    ip -n "$NSG" link set eth0 up
    ip -n "$NSG" route add default via "$HOST_IP"
  fi
  ip -n "$NS" addr add "$HOST_IP/24" dev sh0
  ip -n "$NS" link set sh0 up
  info "target: $TARGET, namespace $NS, host $HOST_IP on sh0, guest $GUEST_IP"
}

# image PROG: the shoal image of PROG with a network device (built once per test).
image() {
  local prog=$1 img=$TMP/$(basename "$1").shoal
  if [ ! -f "$img" ]; then
    "$SHOAL" build "$prog" --net -o "$img" >"$TMP/build-$(basename "$1").log" 2>&1 ||
      { cat "$TMP/build-$(basename "$1").log"; echo "FAIL: shoal build $prog --net"; exit 1; }
  fi
  echo "$img"
}

# guest_argv SECONDS PROG ARGS...: sets GUEST_ARGV, the command that runs PROG
# as the guest (10.99.0.2), ending it after SECONDS.
guest_argv() {
  local secs=$1 prog=$2
  shift 2
  if [ "$TARGET" = shoal ]; then
    local img
    img=$(image "$prog") || exit 1
    GUEST_ARGV=(ip netns exec "$NS" "$SHOAL" run --net tap:sh0 --ip "$GUEST_IP/24" --gateway "$HOST_IP"
                --timeout "$secs" "${GUEST_OPTS[@]}" "$img" -- "$@")
  else
    GUEST_ARGV=(ip netns exec "$NSG" timeout "$secs" "$prog" "$@")
  fi
}

# start_guest NAME SECONDS PROG ARGS...: runs the guest in the background,
# stdout in $TMP/NAME.log, stderr in $TMP/NAME.err; GUEST_PID is its pid.
start_guest() {
  local name=$1
  shift
  guest_argv "$@"
  "${GUEST_ARGV[@]}" </dev/null >"$TMP/$name.log" 2>"$TMP/$name.err" &
  GUEST_PID=$!
  GUEST_PIDS+=("$GUEST_PID")
}

# run_guest NAME SECONDS PROG ARGS... [<input]: runs the guest to its end;
# stdout in $TMP/NAME.out, stderr in $TMP/NAME.log; returns its status.
run_guest() {
  local name=$1
  shift
  guest_argv "$@"
  "${GUEST_ARGV[@]}" >"$TMP/$name.out" 2>"$TMP/$name.log"
}

# wait_line FILE REGEX SECONDS [PID]: waits until FILE has a line matching REGEX.
wait_line() {
  local file=$1 re=$2 secs=$3 pid=${4-}
  local end=$((SECONDS + secs))
  while ((SECONDS < end)); do
    grep -Eq -- "$re" "$file" 2>/dev/null && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      grep -Eq -- "$re" "$file" 2>/dev/null && return 0
      return 1
    fi
    sleep 0.05
  done
  return 1
}

# wait_guest_listening PORT SECONDS [PID]: until the guest can take a
# connection on PORT. Natively its namespace shows the listening socket (ss),
# exactly. A shoal guest's sockets live inside the guest, so there: until the
# guest's stack answers a ping (it is up; a connect that still comes before
# the program's listen() is refused, which a caller may retry).
wait_guest_listening() {
  local port=$1 end=$((SECONDS + $2)) pid=${3-}
  while ((SECONDS < end)); do
    if [ "$TARGET" = native ]; then
      [ -n "$(ip netns exec "$NSG" ss -Hltn "sport = :$port" 2>/dev/null)" ] && return 0
    else
      in_ns "$BUSYBOX" ping -q -c 1 -W 1 "$GUEST_IP" >/dev/null 2>&1 && return 0
    fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.05
  done
  return 1
}

# start_httpd [ARGS...]: the guest runs examples/net/httpd on port 8080 (for
# at most 300 s); exits the test if it does not come up.
# wait_until PID TRIES INTERVAL CMD...: runs CMD until it succeeds, at most
# TRIES times INTERVAL seconds apart, while process PID lives; fails if not.
wait_until() {
  local pid=$1 tries=$2 interval=$3 i
  shift 3
  for i in $(seq "$tries"); do
    "$@" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep "$interval"
  done
  return 1
}

# http_answers URL: the guest's server answers a GET on URL (any status).
http_answers() { in_ns curl -s --max-time 2 -o /dev/null "$1"; }

start_httpd() {
  start_guest httpd 300 "$NETEX/httpd" --port 8080 "$@"
  HTTPD_PID=$GUEST_PID
  if ! wait_line "$TMP/httpd.log" '^httpd: listening on' 60 "$HTTPD_PID"; then
    fail "httpd did not start in the guest"
    exit 1
  fi
  # Listening in the guest's stack is not reachable until ARP and the link
  # work: wait for the first answer (bounded).
  wait_until "$HTTPD_PID" 40 0.25 http_answers "http://$GUEST_IP:8080/" && return 0
  fail "httpd started but does not answer on $GUEST_IP:8080"
  exit 1
}

# host_bulk NAME ARGS...: runs bulk on the host side in the background
# (bounded), output in $TMP/NAME.out; waits until a listener is listening.
host_bulk() {
  local name=$1
  shift
  in_ns timeout 600 "$NETEX/bulk" "$@" >"$TMP/$name.out" 2>"$TMP/$name.log" &
  HOST_PID=$!
  GUEST_PIDS+=("$HOST_PID")
  case "$1" in recv | serve-send) wait_line "$TMP/$name.out" '^bulk: listening' 10 "$HOST_PID" ;; esac
}

# wait_host [SECONDS]: waits (default 30 s) for the last host_bulk, then ends
# it; returns its status (143 when it had to be ended).
wait_host() {
  timeout "${1:-30}" tail --pid="$HOST_PID" -f /dev/null
  kill "$HOST_PID" 2>/dev/null
  wait "$HOST_PID" 2>/dev/null
}

# sha_field FILE: the sha256= of bulk's report line in FILE.
sha_field() { sed -n 's/^bulk: .* sha256=\([0-9a-f-]*\).*$/\1/p' "$1" | tail -1; }
field() { sed -n "s/^bulk: .* $2=\([^ ]*\).*\$/\1/p" "$1" | tail -1; }
expected_sha() { "$NETEX/bulk" sha "$1"; }

# check_curl WHAT URL SHA: GET URL from the host side; the body's SHA-256.
check_curl_sha() {
  local what=$1 url=$2 want=$3 got
  got=$(in_ns curl -sS --max-time "${CURL_TIME:-20}" "$url" 2>"$TMP/curl.err" | sha256sum | cut -d' ' -f1)
  if [ "$got" = "$want" ]; then pass "$what"; else fail "$what: sha256 $got, expected $want ($(cat "$TMP/curl.err"))"; fi
}

check_hello() {
  local body
  body=$(in_ns curl -sS --max-time 10 "http://$GUEST_IP:8080/" 2>&1)
  if [ "$body" = "hello from shoal httpd" ]; then pass "$1"; else fail "$1: got '${body:0:200}'"; fi
}

# check_ping WHAT COUNT [ping options...]: all COUNT echoes answered. (Debian
# has no ping without iputils-ping; busybox-static's is enough.)
BUSYBOX=${BUSYBOX:-/bin/busybox}
check_ping() {
  local what=$1 count=$2
  shift 2
  local out
  out=$(in_ns timeout 60 "$BUSYBOX" ping -q -c "$count" -i 0.2 -W 3 "$@" "$GUEST_IP" 2>&1)
  if grep -q " $count packets received" <<<"$out"; then pass "$what"; else fail "$what: $(grep -E 'transmitted|ping:' <<<"$out")"; fi
}

finish() {
  if [ -n "${HTTPD_PID-}" ] && ! kill -0 "$HTTPD_PID" 2>/dev/null; then
    fail "the guest httpd exited during the test"
  fi
  if ((FAILURES > 0)); then
    echo "$FAILURES check(s) failed ($TARGET)"
    exit 1
  fi
  echo "all checks passed ($TARGET)"
  exit 0
}
