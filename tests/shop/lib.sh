# Helpers for tests/shop: start the shop's services natively on loopback and
# check their answers with curl. Sourced by shop_test.sh.
#
# Every process started here is recorded and killed (by pid) on exit, on every
# path; every request has a time limit.

TMP=$(mktemp -d /tmp/shop-test-XXXXXX)
PIDS=()
FAILURES=0

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
# A server may close while we still write (that is what some checks provoke):
# a failed write must not kill the test.
trap "" PIPE

fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}
pass() { echo "ok: $*"; }

# start NAME [ARGS...]: runs $SHOP/NAME on 127.0.0.1, port 0 unless ARGS give
# --port; sets PORT to the port it listens on (read from its start-up line).
start() {
  local name=$1
  shift
  local log=$TMP/$name.$RANDOM.log
  "$SHOP/$name" --bind 127.0.0.1 --port 0 "$@" >"$log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  LAST_PID=$pid
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^.*: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")
    [[ -n $PORT ]] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "FAIL: $name did not start:" >&2
  cat "$log" >&2
  exit 1
}

stop() {
  kill "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}

# req METHOD URL [BODY]: sets STATUS, BODY and HEADERS (curl, 5 s limit).
req() {
  local method=$1 url=$2 data=${3-}
  local args=(-sS --max-time 5 -X "$method" -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}')
  [[ $method == HEAD ]] && args=(-sS --max-time 5 -I -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}')
  [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
  STATUS=$(curl "${args[@]}" "$url" 2>"$TMP/curl.err") || STATUS="curl-error: $(cat "$TMP/curl.err")"
  BODY=$(cat "$TMP/body" 2>/dev/null)
  HEADERS=$(cat "$TMP/headers" 2>/dev/null)
}

# check WHAT EXPECTED_STATUS [SUBSTRING...]: the last req's status and body.
check() {
  local what=$1 status=$2
  shift 2
  if [[ $STATUS != "$status" ]]; then
    fail "$what: status $STATUS, expected $status (body: ${BODY:0:300})"
    return
  fi
  local s
  for s in "$@"; do
    if [[ $BODY != *"$s"* ]]; then
      fail "$what: body lacks '$s' (body: ${BODY:0:300})"
      return
    fi
  done
  pass "$what"
}

# raw PORT BYTES [SECONDS]: writes BYTES (printf %b escapes) on a fresh
# connection and sets RAW to everything read until the server closes it or
# SECONDS (default 3) pass; RAW_CLOSED=1 if the server closed it.
raw() {
  local port=$1 bytes=$2 seconds=${3:-3}
  exec {fd}<>"/dev/tcp/127.0.0.1/$port"
  printf '%b' "$bytes" >&"$fd"
  RAW=$(timeout "$seconds" cat <&"$fd")
  if [[ $? -eq 124 ]]; then RAW_CLOSED=0; else RAW_CLOSED=1; fi
  exec {fd}>&-
}

# count_matches TEXT SUBSTRING: how many times SUBSTRING occurs in TEXT.
count_matches() { grep -o -- "$2" <<<"$1" | wc -l; }

finish() {
  if ((FAILURES > 0)); then
    echo "$FAILURES check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}
