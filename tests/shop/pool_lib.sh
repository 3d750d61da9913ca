# Helpers for the tests that drive a real pool (pool_shop.sh, pool_limits.sh):
# a scratch directory, a control socket, `up`/`down`, and results. Sourced
# after the script sets `build`; the script may set POOL_EXTRA_CLEANUP to a
# function run first on exit (to stop clients it started).
shoal=$build/bin/shoal shop=$build/examples/shop
[ -w /dev/kvm ] || { echo "FAIL: /dev/kvm is not usable here"; exit 1; }
tmp=$(mktemp -d "/tmp/${POOL_TEST_NAME:-pool-test}-XXXXXX")
ctl=$tmp/control.sock
FAILURES=0
POOL_EXTRA_CLEANUP=${POOL_EXTRA_CLEANUP:-}
cleanup() {
  [ -n "$POOL_EXTRA_CLEANUP" ] && "$POOL_EXTRA_CLEANUP"
  "$shoal" down -c "$ctl" --timeout 10 >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# up SPEC: starts the pool detached; exits the test if it cannot.
up() {
  if ! "$shoal" up "$1" -d -c "$ctl" --ready-timeout 60 >"$tmp/up.log" 2>&1; then
    cat "$tmp/up.log"
    echo "FAIL: shoal up"
    exit 1
  fi
}
down() { "$shoal" down -c "$ctl" --timeout 20 >/dev/null 2>&1 || fail "shoal down"; }
