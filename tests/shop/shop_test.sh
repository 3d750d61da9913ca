#!/usr/bin/env bash
# tests/shop: the shop's services are ordinary Linux programs, so each one is
# started natively on loopback and its endpoints are checked with curl.
#
#   shop_test.sh SHOP_BUILD_DIR SHOP_SOURCE_DIR CASE
#   CASE: hello | catalog | cart | render | http
set -uo pipefail
SHOP=$1
SRC=$2
CASE=$3
DATA=$SRC/catalog/root/data/products.json
source "$(dirname "$0")/lib.sh"

case_hello() {
  start hello
  local url=http://127.0.0.1:$PORT
  req GET "$url/"
  check "GET / is the fixed body" 200 "hello, world"
  [[ $BODY == "hello, world" ]] || fail "GET /: body '$BODY'"
  req GET "$url/any/path?size=1000"
  check "GET ?size=1000" 200
  [[ ${#BODY} -eq 999 ]] || fail "?size=1000: ${#BODY} bytes before the newline"
  req GET "$url/?size=1048577"
  check "?size over 1 MiB refused" 400
  req GET "$url/?size=abc"
  check "?size=abc refused" 400
  req POST "$url/" '{}'
  check "POST refused" 405
  raw "$PORT" 'HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n'
  [[ $RAW == "HTTP/1.1 200 OK"*"Content-Length: 13"* && $RAW != *hello* && $RAW_CLOSED -eq 1 ]] &&
    pass "HEAD: length, no body" || fail "HEAD: $RAW"
  req GET "$url/healthz"
  check "healthz" 200 ok

  HELLO_BODY_SIZE=100 start hello
  req GET "http://127.0.0.1:$PORT/"
  [[ ${#BODY} -eq 99 ]] && pass "HELLO_BODY_SIZE=100" || fail "HELLO_BODY_SIZE=100: ${#BODY} bytes"
  start hello --size 0
  req GET "http://127.0.0.1:$PORT/"
  check "--size 0" 200
  [[ -z $BODY && $HEADERS == *"Content-Length: 0"* ]] || fail "--size 0: '$HEADERS'"
  "$SHOP/hello" --port 0 --size -1 >/dev/null 2>&1
  [[ $? -eq 2 ]] && pass "bad --size: status 2" || fail "bad --size accepted"
  "$SHOP/hello" --port 99999 >/dev/null 2>&1
  [[ $? -eq 2 ]] && pass "bad --port: status 2" || fail "bad --port accepted"
}

case_catalog() {
  start catalog --data "$DATA"
  local url=http://127.0.0.1:$PORT
  req GET "$url/products"
  check "GET /products" 200 '"id":"p1"' '"id":"p8"' "Espresso cup"
  [[ $HEADERS == *"Content-Type: application/json"* ]] || fail "/products: not JSON: $HEADERS"
  req GET "$url/api/catalog/products/p2"
  check "GET /api/catalog/products/p2 (route prefix kept)" 200 '"name":"Pour-over kettle"' '"price_cents":3900'
  req GET "$url/products/p99"
  check "unknown product" 404 "no product p99"
  req GET "$url/products?tag=tea"
  check "?tag=tea" 200 "Sencha" "Teapot"
  [[ $BODY != *Espresso* ]] || fail "?tag=tea includes coffee things"
  req POST "$url/price" '{"id": "p2", "qty": 3}'
  check "POST /price" 200 '"qty":3' '"unit_cents":3900' '"total_cents":11700'
  req POST "$url/api/prices" '{"id": "p4"}'
  check "POST /api/prices (scatter element, qty 1)" 200 '"total_cents":650'
  req POST "$url/price" '{"id": "p1", "qty": 0}'
  check "qty 0 refused" 400 qty
  req POST "$url/price" '{"id": "p1", "qty": "two"}'
  check "qty not a number refused" 400 qty
  req POST "$url/price" 'not json'
  check "bad JSON refused" 400
  req POST "$url/price" '{"id": "nope"}'
  check "price of unknown product" 404 "no product nope"
  req GET "$url/price"
  check "GET /price refused" 405
  req DELETE "$url/products/p1"
  check "DELETE refused (read-only)" 405
  req GET "$url/overview"
  check "overview" 200 '"products":8' '"cheapest":{"id":"p1"'
  req GET "$url/healthz"
  check "healthz" 200 ok
  req GET "$url/nothing/here"
  check "unknown endpoint" 404

  "$SHOP/catalog" --port 0 --data "$TMP/missing.json" >"$TMP/out" 2>&1
  [[ $? -eq 1 ]] && grep -q "cannot open" "$TMP/out" && pass "missing data file: status 1" ||
    fail "missing data file: $(cat "$TMP/out")"
  echo '{"not": "a list"}' >"$TMP/bad.json"
  "$SHOP/catalog" --port 0 --data "$TMP/bad.json" >"$TMP/out" 2>&1
  [[ $? -eq 1 ]] && grep -q "expected a JSON array" "$TMP/out" && pass "malformed data file: status 1" ||
    fail "malformed data file: $(cat "$TMP/out")"
}

case_cart() {
  start cart
  local url=http://127.0.0.1:$PORT
  req GET "$url/cart/alice"
  check "empty cart" 200 '"user":"alice"' '"items":[]' '"count":0'
  req POST "$url/cart/alice" '{"id": "p1", "qty": 2}'
  check "add p1 x2" 200 '"count":2'
  req POST "$url/api/cart/alice" '{"id": "p3"}'
  check "add p3 (default qty 1, route prefix kept)" 200 '"count":3'
  req POST "$url/cart/alice" '{"id": "p1", "qty": 1}'
  check "add p1 again: quantities add up" 200 '{"id":"p1","qty":3}' '"count":4'
  req POST "$url/cart/bob" '{"id": "p6", "qty": 5}'
  req GET "$url/cart/alice"
  check "carts are per user" 200 '{"id":"p1","qty":3},{"id":"p3","qty":1}'
  [[ $BODY != *p6* ]] || fail "bob's item in alice's cart"
  req GET "$url/checkout/alice"
  check "checkout stage returns the cart" 200 '"user":"alice"' '"count":4'
  req POST "$url/api/checkout/alice" ''
  check "checkout stage with any method" 200 '"count":4'
  req GET "$url/overview"
  check "overview: totals" 200 '"carts":2' '"items":9'
  req GET "$url/api/overview/bob"
  check "overview/<user>: the cart" 200 '"user":"bob"' '"count":5'
  req DELETE "$url/cart/alice/p1"
  check "delete one item" 200 '"count":1'
  req DELETE "$url/cart/alice/p9"
  check "delete a missing item" 404
  req DELETE "$url/cart/bob"
  check "empty a cart" 200 '"items":[]'
  req POST "$url/cart/alice" '{"id": "p1", "qty": 1001}'
  check "qty over 1000 refused" 400
  req POST "$url/cart/alice" '{"qty": 1}'
  check "item without id refused" 400
  req POST "$url/cart/alice" '{"id": "<script>"}'
  check "unsafe id refused" 400
  req GET "$url/cart/bad%20name"
  check "unsafe user name refused" 400
  req PUT "$url/cart/alice" '{}'
  check "PUT refused" 405
  req GET "$url/cart"
  check "no user" 404
}

case_render() {
  start catalog --data "$DATA"
  local catalog=$PORT
  start cart
  local cart=$PORT cart_pid=$LAST_PID
  CART_ADDR=127.0.0.1:$cart start render --catalog "localhost:$catalog"
  local url=http://127.0.0.1:$PORT
  req POST "http://127.0.0.1:$cart/cart/alice" '{"id": "p1", "qty": 2}'
  req POST "http://127.0.0.1:$cart/cart/alice" '{"id": "p3"}'
  req GET "$url/page/alice"
  check "page: priced by catalog, total" 200 "<h1>Cart of alice</h1>" "<td>Espresso cup</td><td>2</td><td>4.50</td><td>9.00</td>" \
    "Hand grinder" "<th>63.00</th>"
  [[ $HEADERS == *"text/html"* ]] || fail "page: not HTML"
  req GET "$url/page/bob"
  check "page of an empty cart" 200 "The cart is empty"
  req POST "$url/render" '{"title": "<b>hi</b>", "list": [1, "two"], "rows": [{"a": 1}, {"a": 2, "b": true}]}'
  check "render: JSON to HTML, escaped" 200 "&lt;b&gt;hi&lt;/b&gt;" "<ul><li>1</li><li>two</li></ul>" \
    "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td></td></tr><tr><td>2</td><td>true</td></tr></table>"
  req GET "http://127.0.0.1:$cart/checkout/alice"
  local cart_json=$BODY
  req POST "$url/api/checkout/alice" "$cart_json"
  check "pipeline's last stage (cart JSON in the body)" 200 "<h2>Checkout</h2>" "<td>p1</td><td>2</td>"
  req POST "$url/render" 'not json'
  check "render: bad JSON refused" 400
  req POST "$url/render" ''
  check "render: no body refused" 400

  # The cart service restarts on the same port: render's kept-alive connection
  # is dead, and it must reconnect rather than fail.
  stop "$cart_pid"
  req GET "$url/page/alice"
  check "page while cart is down: 502 naming cart" 502 "cart: 127.0.0.1:$cart"
  start cart --port "$cart"
  req POST "http://127.0.0.1:$cart/cart/alice" '{"id": "p2"}'
  req GET "$url/page/alice"
  check "page after cart restarted" 200 "Pour-over kettle" "<th>39.00</th>"
  req GET "$url/page/alice"
  check "page again (connections reused)" 200 "Pour-over kettle"

  # RES_OPTIONS bounds a DNS look-up, should the machine have a resolver that hangs.
  RES_OPTIONS="timeout:1 attempts:1" CART_ADDR=no-such-host.invalid:1 start render
  req GET "http://127.0.0.1:$PORT/page/alice"
  check "unresolvable cart: 502" 502 "no-such-host.invalid"
}

# The HTTP layer shared by every service (common/), against cart and hello.
case_http() {
  start cart
  local port=$PORT url=http://127.0.0.1:$PORT
  raw "$port" 'GET /cart/a HTTP/1.1\r\nHost: x\r\n\r\nPOST /cart/a HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n{"id":"p1"}GET /cart/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
  [[ $(count_matches "$RAW" "HTTP/1.1 200 OK") -eq 3 && $RAW == *'"count":0'*'"count":1'*'"count":1'* && $RAW_CLOSED -eq 1 ]] &&
    pass "pipelined requests answered in order, then closed" || fail "pipelining: $RAW"
  raw "$port" 'POST /cart/b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5;ext=1\r\n{"id"\r\n7\r\n:"p2"}\n\r\n0\r\nTrailer: t\r\n\r\n'
  [[ $RAW == *"200 OK"*'{"id":"p2","qty":1}'* ]] && pass "chunked request body" || fail "chunked: $RAW"
  raw "$port" 'GARBAGE\r\n\r\nGET /cart/a HTTP/1.1\r\n\r\n'
  [[ $RAW == "HTTP/1.1 400"* && $RAW_CLOSED -eq 1 && $(count_matches "$RAW" "HTTP/1.1") -eq 1 ]] &&
    pass "malformed request line: 400 and close" || fail "malformed: $RAW"
  raw "$port" 'GET /cart/a HTTP/2.0\r\n\r\n'
  [[ $RAW == "HTTP/1.1 400"* ]] && pass "unsupported version: 400" || fail "version: $RAW"
  raw "$port" 'GET /cart/a HTTP/1.1\r\nBad Header: x\r\n\r\n'
  [[ $RAW == "HTTP/1.1 400"* ]] && pass "malformed header name: 400" || fail "header: $RAW"
  raw "$port" "GET /cart/a HTTP/1.1\r\nX-Big: $(head -c 20000 /dev/zero | tr '\0' a)\r\n\r\n"
  [[ $RAW == "HTTP/1.1 431"* && $RAW_CLOSED -eq 1 ]] && pass "20 KB header: 431" || fail "big header: ${RAW:0:200}"
  raw "$port" 'POST /cart/a HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n'
  [[ $RAW == "HTTP/1.1 413"* ]] && pass "2 MB Content-Length: 413" || fail "big body: $RAW"
  raw "$port" 'POST /cart/a HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n'
  [[ $RAW == "HTTP/1.1 400"* ]] && pass "Content-Length with chunked: 400" || fail "cl+te: $RAW"
  raw "$port" 'POST /cart/a HTTP/1.1\r\nContent-Length: 1x\r\n\r\n'
  [[ $RAW == "HTTP/1.1 400"* ]] && pass "malformed Content-Length: 400" || fail "cl: $RAW"
  raw "$port" 'GET /cart/a HTTP/1.0\r\n\r\n'
  [[ $RAW == "HTTP/1.1 200"* && $RAW_CLOSED -eq 1 ]] && pass "HTTP/1.0: answered and closed" || fail "1.0: $RAW"
  raw "$port" 'GET /cart/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' 1
  [[ $RAW == *"Connection: keep-alive"* && $RAW_CLOSED -eq 0 ]] && pass "HTTP/1.0 keep-alive: stays open" ||
    fail "1.0 keep-alive: $RAW"

  # Expect: 100-continue: the interim answer comes before the body is sent.
  exec {fd}<>"/dev/tcp/127.0.0.1/$port"
  printf 'POST /cart/c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\nConnection: close\r\n\r\n' >&"$fd"
  local line=""
  read -r -t 3 -u "$fd" line
  if [[ $line == "HTTP/1.1 100 Continue"* ]]; then
    printf '{"id":"p3"}' >&"$fd"
    RAW=$(timeout 3 cat <&"$fd")
    [[ $RAW == *"200 OK"*'"id":"p3"'* ]] && pass "Expect: 100-continue" || fail "after 100: $RAW"
  else
    fail "Expect: 100-continue: got '$line'"
  fi
  exec {fd}>&-

  # A slow client holding a half-sent request does not stall anyone else.
  exec {slow}<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET /cart/a HT' >&"$slow"
  req GET "$url/cart/a"
  check "served while a slow client dribbles" 200 '"user":"a"'
  printf 'TP/1.1\r\nHost: x\r\n' >&"$slow"
  sleep 0.2
  printf 'Connection: close\r\n\r\n' >&"$slow"
  RAW=$(timeout 3 cat <&"$slow")
  exec {slow}>&-
  [[ $RAW == "HTTP/1.1 200"* ]] && pass "the slow request completes" || fail "slow: $RAW"

  # Keep-alive: curl reuses one connection for several requests.
  curl -sS -v --max-time 5 "$url/cart/a" "$url/cart/b" "$url/healthz" -o /dev/null -o /dev/null -o /dev/null \
    2>"$TMP/v"
  grep -qi "re-using existing connection" "$TMP/v" && [[ $(grep -c "Connected to" "$TMP/v") -eq 1 ]] &&
    pass "keep-alive: one connection, three requests" || fail "keep-alive: $(grep -i connect "$TMP/v")"

  # Concurrency: 400 requests from 20 clients at once.
  seq 400 | xargs -P 20 -I{} curl -sS --max-time 5 -o /dev/null -w '%{http_code}\n' "$url/cart/u{}" >"$TMP/codes"
  [[ $(grep -c '^200$' "$TMP/codes") -eq 400 ]] && pass "400 requests, 20 concurrent clients" ||
    fail "concurrency: $(sort "$TMP/codes" | uniq -c)"

  # A 1 MiB response to a client that reads it (back-pressure on the write side).
  start hello
  curl -sS --max-time 10 -o "$TMP/big" "http://127.0.0.1:$PORT/?size=1048576"
  [[ $(stat -c %s "$TMP/big") -eq 1048576 ]] && pass "1 MiB response" || fail "1 MiB: $(stat -c %s "$TMP/big")"
  # A client pipelining big responses without reading: the server must not
  # buffer them all; it keeps serving others meanwhile.
  exec {hog}<>"/dev/tcp/127.0.0.1/$PORT"
  for _ in $(seq 50); do printf 'GET /?size=1048576 HTTP/1.1\r\nHost: x\r\n\r\n'; done >&"$hog"
  req GET "http://127.0.0.1:$PORT/"
  check "served while another client does not read" 200 "hello"
  local rss
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$LAST_PID/status")
  ((rss < 20000)) && pass "memory bounded while output is blocked (RSS ${rss} KiB)" || fail "RSS ${rss} KiB"
  exec {hog}>&-
}

"case_$CASE"
finish
