# Helpers for tests/rebind (rebind tests of snapshots; sourced after TEST and BUILD are set).
set -uo pipefail
SHOAL=$BUILD/bin/shoal
VMM=$BUILD/bin/shoal-vmm
PROBE=$BUILD/tests/rebind/snap_probe
FAILURES=0
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }
info() { echo "-- $*"; }
now_ms() { date +%s%3N; }
# field FILE KEY: the value of the line "KEY value" in FILE.
field() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }
finish() {
  if ((FAILURES > 0)); then
    echo "$FAILURES check(s) failed"
    exit 1
  fi
  echo "all checks passed"
  exit 0
}
