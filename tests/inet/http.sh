#!/usr/bin/env bash
# http.sh BUILD [HTTPD OPTIONS...]: curl and wrk from the host against
# examples/net/httpd in the guest.
TEST=http BUILD=$1
shift
source "$(dirname "$0")/lib.sh"
setup
start_httpd "$@"
check_hello "GET /"
check_curl_sha "GET /bytes/1000000 (sha256)" "http://$GUEST_IP:8080/bytes/1000000" "$(expected_sha 1000000)"
check_curl_sha "GET /bytes/10000000 (sha256)" "http://$GUEST_IP:8080/bytes/10000000" "$(expected_sha 10000000)"
status=$(in_ns curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://$GUEST_IP:8080/nothing")
[ "$status" = 404 ] && pass "404 for a missing path" || fail "missing path: status $status"
# Keep-alive: several requests on one connection (curl reuses it).
n=$(in_ns curl -s --max-time 10 -w '%{num_connects}\n' -o /dev/null -o /dev/null -o /dev/null \
    "http://$GUEST_IP:8080/" "http://$GUEST_IP:8080/bytes/100" "http://$GUEST_IP:8080/" | awk "{s += \$1} END {print s}")
[ "$n" = 1 ] && pass "keep-alive: 3 requests over 1 connection" || fail "keep-alive: $n connections for 3 requests"
# Parallel clients.
pids=()
for i in $(seq 8); do
  in_ns curl -s --max-time 20 "http://$GUEST_IP:8080/bytes/300000" | sha256sum >"$TMP/par.$i" &
  pids+=($!)
done
wait "${pids[@]}"
want=$(expected_sha 300000)
bad=$(cat "$TMP"/par.* | grep -vc "$want")
[ "$bad" = 0 ] && pass "8 parallel downloads of 300000 bytes" || fail "$bad of 8 parallel downloads wrong"
# wrk: 16 connections for 3 s, no socket error and no non-2xx answer.
in_ns timeout 30 wrk -t1 -c16 -d3s "http://$GUEST_IP:8080/" >"$TMP/wrk.out" 2>&1
requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$TMP/wrk.out")
info "wrk: $(grep -E 'Requests/sec' "$TMP/wrk.out")"
if [ -z "$requests" ] || [ "$requests" = 0 ]; then
  fail "wrk made no request: $(cat "$TMP/wrk.out")"
elif grep -qE 'Socket errors|Non-2xx' "$TMP/wrk.out"; then
  fail "wrk: $(grep -E 'Socket errors|Non-2xx' "$TMP/wrk.out")"
else
  pass "wrk -c16 -d3s: $requests requests, no socket error, no non-2xx"
fi
check_hello "httpd still answers after wrk"
finish
