#!/usr/bin/env bash
# Go's net/http under shoal: a handler's nil dereference becomes a panic that
# net/http recovers (the connection is dropped), and the same process keeps
# serving the other paths. Linux is the oracle: the same static binary answers
# the same requests natively, and the answers must match.
#
#   httpd_test.sh BUILD net    over --net: a TAP device in a namespace made
#                              here (shoal) against loopback in the same
#                              namespace (native)
#   httpd_test.sh BUILD pool   through a pool's gateway (the shared-memory
#                              channel) with curl: /nil answers 5xx, then
#                              /hello still answers from the same instance
#   httpd_test.sh BUILD stop   a graceful stop in a pool: scaled down, the
#                              server gets SIGTERM (signal.Notify), drains
#                              and exits 0, its messages in the instance log;
#                              one ignoring SIGTERM is SIGKILLed after its
#                              stop_timeout; `shoal down` stops the rest
#
# The guest gets the default 512M (GO_MEMORY overrides): Go's ~600 MiB
# start-up reservation must not count against it (issue 11 point 1).
set -uo pipefail
build=$1 mode=$2 memory=${GO_MEMORY:-512M}
here=$(cd "$(dirname "$0")" && pwd)
shoal=$build/bin/shoal httpd=$build/real/go_httpd
[ -w /dev/kvm ] || { echo "FAIL: /dev/kvm is not usable here"; exit 1; }
[ -x "$httpd" ] || { echo "FAIL: $httpd is not built"; exit 1; }
tmp=$(mktemp -d /tmp/go-httpd-XXXXXX)
pids=() NS=
FAILURES=0
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  [ -n "${ctl:-}" ] && "$shoal" down -c "$ctl" --timeout 10 >/dev/null 2>&1
  [ -n "$NS" ] && netns_release "$NS"
  rm -rf "$tmp"
}
trap cleanup EXIT
wait_for() {  # wait_for FILE REGEX SECONDS
  local end=$((SECONDS + $3))
  while ((SECONDS < end)); do grep -Eq "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}
# probe RUN URL: the same request sequence on either side; prints one line per
# request (curl's exit code class and the body), never pids or times. $RUN is
# a command prefix (e.g. "ip netns exec NS").
probe() {
  local run=$1 url=$2 id0 id1 body rc
  for path in hello nil hello count; do
    body=$($run curl -sS --max-time 10 -o - -w ' [%{http_code}]' "$url/$path" 2>/dev/null)
    rc=$?
    # curl 52: empty reply (the handler panicked and the connection was closed)
    echo "$path rc=$rc ${body//$'\n'/ }"
  done
  id0=$($run curl -sS --max-time 10 "$url/id")
  $run curl -sS --max-time 10 -o /dev/null "$url/nil" 2>/dev/null
  id1=$($run curl -sS --max-time 10 "$url/id")
  [ -n "$id0" ] && [ "$id0" = "$id1" ] && echo "same process after the panic" || echo "process changed: '$id0' -> '$id1'"
}

if [ "$mode" = net ]; then
  [ "$(id -u)" = 0 ] || { echo "FAIL: needs root (network namespaces)"; exit 1; }
  # shellcheck source=../../lib/netns.sh
  source "$here/../../lib/netns.sh"
  netns_reap '^shoal-t-gohttp'
  NS=$(netns_name shoal-t-gohttp)
  netns_claim "$NS" || { echo "FAIL: cannot create a namespace"; exit 1; }
  ip -n "$NS" link set lo up
  ip -n "$NS" tuntap add dev sh0 mode tap && ip -n "$NS" addr add 10.97.0.1/24 dev sh0 && ip -n "$NS" link set sh0 up ||
    { echo "FAIL: cannot make the TAP device"; exit 1; }
  "$shoal" build "$httpd" --net -o "$tmp/httpd.shoal" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; echo "FAIL: shoal build --net"; exit 1; }
  ip netns exec "$NS" "$httpd" 127.0.0.1:8080 >"$tmp/native.log" 2>&1 &
  pids+=($!)
  wait_for "$tmp/native.log" '^gohttpd: listening' 20 || { cat "$tmp/native.log"; echo "FAIL: native server did not start"; exit 1; }
  probe "ip netns exec $NS" http://127.0.0.1:8080 >"$tmp/native.out"
  ip netns exec "$NS" "$shoal" run --memory "$memory" --net tap:sh0 --ip 10.97.0.2/24 --gateway 10.97.0.1 --timeout 120 \
    "$tmp/httpd.shoal" -- :8080 >"$tmp/shoal.log" 2>&1 &
  pids+=($!)
  wait_for "$tmp/shoal.log" '^gohttpd: listening' 60 || { cat "$tmp/shoal.log"; echo "FAIL: server under shoal did not start"; exit 1; }
  for _ in $(seq 40); do ip netns exec "$NS" curl -s --max-time 1 -o /dev/null http://10.97.0.2:8080/id && break; sleep 0.25; done
  probe "ip netns exec $NS" http://10.97.0.2:8080 >"$tmp/shoal.out"
  echo "--- native:"; cat "$tmp/native.out"
  echo "--- shoal:"; cat "$tmp/shoal.out"
  cmp -s "$tmp/native.out" "$tmp/shoal.out" || fail "answers differ from native"
  grep -q "same process after the panic" "$tmp/shoal.out" || fail "the server did not survive the panic"
  grep -q "http: panic serving .*nil pointer dereference" "$tmp/shoal.log" ||
    { tail -20 "$tmp/shoal.log"; fail "no recovered panic in the server's log"; }
elif [ "$mode" = pool ]; then
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  port=$(free_port) ctl=$tmp/control.sock
  "$shoal" build "$httpd" -o "$tmp/httpd.shoal" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; echo "FAIL: shoal build"; exit 1; }
  cat >"$tmp/gohttpd.toml" <<TOML
[gateway]
listen = "127.0.0.1:$port"
control = "$ctl"
request_timeout = "10s"

[services.gohttpd]
image = "httpd.shoal"
port = 8080
memory = "$memory"
min_instances = 1
max_instances = 1
initial = 1

[[routes]]
path = "/"
service = "gohttpd"
TOML
  if ! "$shoal" up "$tmp/gohttpd.toml" -d -c "$ctl" --ready-timeout 60 >"$tmp/up.log" 2>&1; then
    cat "$tmp/up.log"; "$shoal" logs -c "$ctl" gohttpd 2>&1 | tail -20
    echo "FAIL: shoal up"; exit 1
  fi
  url=http://127.0.0.1:$port
  code=$(curl -sS --max-time 15 -o /dev/null -w '%{http_code}' "$url/nil")
  echo "/nil through the gateway: $code"
  [[ "$code" == 5* ]] || fail "/nil answered $code, expected 5xx (the handler panicked)"
  probe "" "$url" >"$tmp/shoal.out"
  cat "$tmp/shoal.out"
  grep -Eq '^hello rc=0 hello from go +\[200\]$' "$tmp/shoal.out" || fail "/hello does not answer through the gateway"
  grep -q "same process after the panic" "$tmp/shoal.out" || fail "the instance did not survive the panic"
  "$shoal" logs -c "$ctl" gohttpd >"$tmp/logs.txt" 2>&1
  grep -q "http: panic serving" "$tmp/logs.txt" || { tail -20 "$tmp/logs.txt"; fail "no recovered panic in the instance's log"; }
elif [ "$mode" = stop ]; then
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  port=$(free_port) ctl=$tmp/control.sock
  "$shoal" build "$httpd" -o "$tmp/httpd.shoal" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; echo "FAIL: shoal build"; exit 1; }
  cat >"$tmp/stop.toml" <<TOML
[gateway]
listen = "127.0.0.1:$port"
control = "$ctl"

[services.drains]
image = "httpd.shoal"
port = 8080
memory = "$memory"
initial = 1
stop_timeout = "10s"

[services.stubborn]
image = "httpd.shoal"
port = 8080
memory = "$memory"
initial = 1
args = [":8080", "ignore-term"]
stop_timeout = "1s"

[[routes]]
path = "/d/"
service = "drains"
strip_prefix = true

[[routes]]
path = "/s/"
service = "stubborn"
strip_prefix = true
TOML
  if ! "$shoal" up "$tmp/stop.toml" -d -c "$ctl" --ready-timeout 60 >"$tmp/up.log" 2>&1; then
    cat "$tmp/up.log"; echo "FAIL: shoal up"; exit 1
  fi
  url=http://127.0.0.1:$port
  for s in d s; do
    body=$(curl -sS --max-time 15 "$url/$s/hello")
    [ "$body" = "hello from go" ] || fail "/$s/hello answered '$body'"
  done
  # logs_until SERVICE REGEX SECONDS: the service's log (exited instances
  # included) once it matches.
  logs_until() {
    local end=$((SECONDS + $3))
    while ((SECONDS < end)); do
      "$shoal" logs -c "$ctl" "$1" >"$tmp/$1.log" 2>&1
      grep -Eq "$2" "$tmp/$1.log" && return 0
      sleep 0.2
    done
    return 1
  }
  "$shoal" scale -c "$ctl" drains 0 >/dev/null || fail "shoal scale drains 0"
  if logs_until drains 'exit status 0' 20; then
    echo "drains:"; grep -E 'gohttpd|exit' "$tmp/drains.log" | sed 's/^/  /'
    grep -q 'gohttpd: SIGTERM, draining' "$tmp/drains.log" || fail "no drain message in the instance log"
    grep -q 'gohttpd: drained' "$tmp/drains.log" || fail "the server did not finish draining"
  else
    cat "$tmp/drains.log"; fail "the instance that drains did not exit 0 after SIGTERM"
  fi
  start=$(date +%s%N)
  "$shoal" scale -c "$ctl" stubborn 0 >/dev/null || fail "shoal scale stubborn 0"
  if logs_until stubborn 'SIGKILL' 20; then
    ms=$((($(date +%s%N) - start) / 1000000))
    echo "stubborn (gone after ${ms} ms, stop_timeout 1s):"; grep -E 'gohttpd|exit|SIGKILL|killed' "$tmp/stubborn.log" | sed 's/^/  /'
    [ "$ms" -ge 950 ] || fail "SIGKILLed after $ms ms, before its stop_timeout of 1 s" 
    grep -q 'gohttpd: SIGTERM' "$tmp/stubborn.log" && fail "the stubborn server saw SIGTERM"
  else
    cat "$tmp/stubborn.log"; fail "the instance ignoring SIGTERM was not SIGKILLed"
  fi
  # shoal down: the same graceful stop for what still runs.
  "$shoal" scale -c "$ctl" drains 1 >/dev/null
  for _ in $(seq 100); do [ "$(curl -s --max-time 2 "$url/d/hello")" = "hello from go" ] && break; sleep 0.2; done
  "$shoal" down -c "$ctl" --timeout 30 >"$tmp/down.log" 2>&1 || { cat "$tmp/down.log"; fail "shoal down"; }
  ctl=
else
  echo "usage: httpd_test.sh BUILD net|pool|stop" >&2; exit 2
fi
[ $FAILURES = 0 ] && echo PASS
exit $FAILURES
