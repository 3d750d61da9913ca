#!/usr/bin/env bash
# The shop under a real pool (real KVM instances, shoald, curl):
#   pool_shop.sh BUILD routes     every route kind: service, service-to-service
#                                 by name, pipeline, fanout, scatter; bad input
#   pool_shop.sh BUILD policies   each balancing policy's property, observed on
#                                 real hello instances (GET /whoami)
#   pool_shop.sh BUILD many       200 instances with warm_first under wrk -c32
# Every process is stopped on every path; every request has a time limit.
set -uo pipefail
build=$1 mode=$2
POOL_TEST_NAME=pool-shop
# shellcheck source=pool_lib.sh
source "$(dirname "$0")/pool_lib.sh"

# req METHOD PATH [BODY] [extra curl args...]: sets STATUS and BODY.
req() {
  local method=$1 path=$2 data=${3-}
  shift 3 2>/dev/null || shift $#
  local args=(-sS --max-time 10 -X "$method" -o "$tmp/body" -w '%{http_code}' "$@")
  [[ -n $data ]] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
  STATUS=$(curl "${args[@]}" "http://127.0.0.1:$port$path" 2>"$tmp/curl.err") || STATUS="curl: $(cat "$tmp/curl.err")"
  BODY=$(cat "$tmp/body" 2>/dev/null)
}
expect() {  # expect WHAT STATUS REGEX
  if [[ $STATUS == "$2" ]] && grep -qE "$3" <<<"$BODY"; then pass "$1"; else fail "$1: status $STATUS body ${BODY:0:300}"; fi
}

routes() {
  port=$(free_port)
  sed -e "s|^listen = .*|listen = \"127.0.0.1:$port\"|" -e "s|^admin = .*|admin = \"127.0.0.1:$(free_port)\"|" \
      -e "s|^image = \"\(.*\)\"|image = \"$shop/\1\"|" "$shop/shop.toml" >"$tmp/shop.toml"
  up "$tmp/shop.toml"
  req GET /api/catalog/products/p3
  expect "service route: catalog product" 200 '"id" *: *"p3"'
  req POST /api/cart/alice '{"id":"p1","qty":2}'
  expect "cart add" 200 'p1'
  req GET /api/cart/alice
  expect "cart keeps state in memory" 200 '"p1"'
  # render connects to cart and catalog by name, through the pool.
  start=$(date +%s%N)
  req GET /page/alice
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  expect "service-to-service by name (render -> cart, catalog) in ${ms} ms" 200 '<html|<h1|<table'
  # A connect that waits for some other event to wake an instance takes ~1 s
  # (the health-check interval); a correct wake-up takes milliseconds.
  [ "$ms" -lt 500 ] || fail "render took ${ms} ms: a connect waited for something else to wake an instance"
  req GET /api/checkout/alice
  expect "pipeline cart -> render" 200 'Checkout'
  req GET /api/overview/alice
  expect "fanout catalog + cart" 200 '^\{"catalog":.*"cart":'
  req POST /api/prices '[{"id":"p1"},{"id":"p2"},{"id":"p3"}]'
  expect "scatter over catalog, in order" 200 '^\[\{.*"p1".*\},\{.*"p2".*\},\{.*"p3".*\}\]$'
  req POST /api/prices '{"not":"an array"}'
  expect "scatter of a non-array" 400 'array'
  req GET /nothing/here
  expect "no route" 404 '.'
  # Bad input against the live gateway; it keeps serving everyone.
  timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1; printf "GARBAGE\r\n\r\n" >&3; cat <&3' _ "$port" >"$tmp/bad" 2>&1
  grep -q '^HTTP/1.1 400' "$tmp/bad" && pass "malformed request: 400" || fail "malformed request: $(head -1 "$tmp/bad")"
  req GET /api/catalog/products "" -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)"
  [[ $STATUS == 431 ]] && pass "oversized header: 431" || fail "oversized header: $STATUS"
  req GET /api/catalog/products
  expect "still serving after bad input" 200 'p1'
  "$shoal" ps -c "$ctl" >"$tmp/ps" 2>&1 && grep -q catalog "$tmp/ps" && pass "shoal ps" || fail "shoal ps: $(cat "$tmp/ps")"
  down
}

# Distribution of 60 GETs over 3 hello instances under one policy; prints
# "policy: counts" and checks the policy's property.
policy() {
  local kind=$1 extra=${2-}
  port=$(free_port)
  cat >"$tmp/p.toml" <<SPEC
[gateway]
listen = "127.0.0.1:$port"
[services.hello]
image = "$shop/hello.shoal"
port = 8080
memory = "32M"
min_instances = 3
max_instances = 3
initial = 3
balance = "$kind"
$extra
[[routes]]
path = "/"
service = "hello"
SPEC
  up "$tmp/p.toml"
  : >"$tmp/who"
  for i in $(seq 60); do
    curl -sS --max-time 5 -H "X-User: user$((i % 12))" "http://127.0.0.1:$port/whoami" >>"$tmp/who" 2>/dev/null
  done
  down
  counts=$(sort "$tmp/who" | uniq -c | awk '{print $1}' | sort -n | tr '\n' ' ')
  n=$(wc -l <"$tmp/who")
  distinct=$(sort -u "$tmp/who" | wc -l)
  echo "$kind: 60 requests -> per-instance counts: $counts"
  [ "$n" = 60 ] || { fail "$kind: only $n of 60 requests answered"; return; }
  case $kind in
    round_robin|weighted|least_conn)  # sequential requests: an even cycle
      [ "$counts" = "20 20 20 " ] && pass "$kind cycles evenly" || fail "$kind: $counts" ;;
    ip_hash)  # one client address: one instance
      [ "$distinct" = 1 ] && pass "ip_hash keeps one client on one instance" || fail "ip_hash: $counts" ;;
    hash)  # 12 users by header: each user sticks to one instance, users spread
      bad=0
      : >"$tmp/pairs"
      for i in $(seq 60); do echo "user$((i % 12)) $(sed -n "${i}p" "$tmp/who")" >>"$tmp/pairs"; done
      [ "$(sort -u "$tmp/pairs" | wc -l)" = 12 ] || bad=1
      [ "$bad" = 0 ] && [ "$distinct" -ge 2 ] && pass "hash on X-User: sticky per user, spread over $distinct instances" ||
        fail "hash: $(sort -u "$tmp/pairs" | tr '\n' ' ')" ;;
    p2c|least_time)  # everyone gets work
      [ "$distinct" = 3 ] && pass "$kind uses every instance" || fail "$kind: $counts" ;;
    warm_first)  # one request at a time: the instance that served last, never the others
      [ "$distinct" = 1 ] && pass "warm_first keeps sequential requests on one instance" || fail "warm_first: $counts" ;;
  esac
}

# requests_by_instance: "ID REQUESTS" per instance, from shoal ps --json.
requests_by_instance() {
  "$shoal" ps -c "$ctl" --json | python3 -c '
import json, sys
for i in json.load(sys.stdin)["instances"]:
    print(i["id"], i["requests"])' | sort -k1,1
}

# A pool of 200 hello instances with warm_first under wrk -c32 (issue 13):
# every request answered, and the load stays on the few instances it needs
# (32 connections / warm_load 8 = 4; up to 8 allowed for the ramp), where
# round robin would wake all 200 in turn. Then one client's sequential
# requests all go to one instance.
many() {
  port=$(free_port)
  cat >"$tmp/many.toml" <<SPEC
[gateway]
listen = "127.0.0.1:$port"
[services.hello]
image = "$shop/hello.shoal"
port = 8080
memory = "64M"
min_instances = 200
max_instances = 200
initial = 200
balance = "warm_first"
[[routes]]
path = "/"
service = "hello"
SPEC
  up "$tmp/many.toml"
  ready=$("$shoal" ps -c "$ctl" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["services"][0]["ready"])')
  [ "$ready" = 200 ] && pass "200 instances ready" || fail "ready instances: $ready"
  requests_by_instance >"$tmp/before"
  timeout 30 wrk -t1 -c32 -d3s --latency "http://127.0.0.1:$port/" >"$tmp/wrk.txt" 2>&1
  grep -E "requests in|Requests/sec|99%" "$tmp/wrk.txt"
  if ! grep -q "requests in" "$tmp/wrk.txt"; then fail "wrk did not run: $(cat "$tmp/wrk.txt")"
  elif grep -qE "Non-2xx or 3xx responses|Socket errors" "$tmp/wrk.txt"; then fail "failed requests: $(cat "$tmp/wrk.txt")"
  else pass "wrk -c32 over 200 instances: every response 2xx"; fi
  requests_by_instance >"$tmp/after"
  served=$(join "$tmp/before" "$tmp/after" | awk '$3 > $2' | wc -l)
  echo "warm_first, 200 instances, 32 connections: $served instances served"
  [ "$served" -ge 1 ] && [ "$served" -le 8 ] && pass "warm_first woke $served of 200 instances" ||
    fail "warm_first spread 32 connections over $served instances"
  requests_by_instance >"$tmp/before"
  for _ in $(seq 20); do curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$port/"; done
  requests_by_instance >"$tmp/after"
  served=$(join "$tmp/before" "$tmp/after" | awk '$3 > $2 {n += $3 - $2; k++} END {print k + 0, n + 0}')
  [ "$served" = "1 20" ] && pass "20 sequential requests on one instance" || fail "sequential requests: instances, requests = $served"
  down
}

# Autoscaling under load: a target of 1 request in flight per instance and a
# steady wrk load of 8 connections must grow the pool from 1 toward max (4)
# within seconds (the panic window reacts at 2x target), with no failed request.
autoscale() {
  port=$(free_port)
  cat >"$tmp/a.toml" <<SPEC
[gateway]
listen = "127.0.0.1:$port"
[services.hello]
image = "$shop/hello.shoal"
port = 8080
memory = "32M"
min_instances = 1
max_instances = 4
initial = 1
autoscale = { target = 1, stable_window = "6s", panic_window = "1s" }
[[routes]]
path = "/"
service = "hello"
SPEC
  up "$tmp/a.toml"
  ready() { "$shoal" ps -c "$ctl" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["services"][0]["ready"])'; }
  before=$(ready)
  timeout 20 wrk -t1 -c8 -d5s "http://127.0.0.1:$port/" >"$tmp/wrk.txt" 2>&1 &
  wrk_pid=$!
  peak=$before
  for _ in $(seq 50); do
    n=$(ready); [ "${n:-0}" -gt "$peak" ] && peak=$n
    sleep 0.1
  done
  wait $wrk_pid
  echo "autoscale: ready instances before load $before, peak under load $peak"
  grep -E "Requests/sec|requests in" "$tmp/wrk.txt"
  [ "$before" = 1 ] || fail "autoscale: $before instances before load"
  [ "$peak" -ge 3 ] && pass "scaled up under load: 1 -> $peak" || fail "autoscale: peak $peak"
  grep -qE "Non-2xx|Socket errors" "$tmp/wrk.txt" && fail "autoscale: failed requests: $(cat "$tmp/wrk.txt")" || pass "no failed request while scaling"
  down
}

case $mode in
  routes) routes ;;
  autoscale) autoscale ;;
  many) many ;;
  policies)
    for k in round_robin weighted least_conn ip_hash p2c least_time warm_first; do policy "$k"; done
    policy hash 'hash_key = "header:X-User"'
    ;;
  *) echo "usage: $0 BUILD routes|policies|autoscale|many"; exit 2 ;;
esac
[ "$FAILURES" = 0 ] && echo PASS || echo "$FAILURES failure(s)"
exit $((FAILURES > 0))
