#!/usr/bin/env bash
# bench/ipc_calls (issue 14): System V IPC and /dev/shm call costs (medians of
# 101, µs) natively and under shoal, same run; with --base BUILD_DIR also under
# that build (e.g. main's) for a before/after.
#
#   bench/ipc_calls.sh BUILD_DIR [--base BUILD_DIR]
set -uo pipefail
build=${1:?usage: ipc_calls.sh BUILD_DIR [--base BUILD_DIR]}
base=""
[ "${2:-}" = --base ] && base=${3:?--base needs a build dir}
prog=$build/bench/guest/ipc_calls
[ -x "$prog" ] || { echo "bench/ipc_calls: $prog missing (build the bench_ipc_calls target)" >&2; exit 1; }
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
"$prog" >"$tmp/native" || { echo "bench/ipc_calls: native run failed" >&2; exit 1; }
"$build/bin/shoal" run "$prog" >"$tmp/shoal" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
cols=("$tmp/native" "$tmp/shoal")
if [ -n "$base" ]; then
  "$base/bin/shoal" run "$prog" >"$tmp/base" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
  cols+=("$tmp/base")
fi
echo "bench/ipc_calls: medians of 101, µs; ratio = native / shoal (above 1: faster than native)"
# A median under 0.05 µs prints as 0.0: its ratio is shown as "-".
paste "${cols[@]}" | awk -v base="$base" '
function ratio(a, b) { return b > 0 ? sprintf("%7.2fx", a / b) : "      -" }
{
  line = sprintf("  %-28s native %8.1f  shoal %8.1f %s", $1, $2, $4, ratio($2, $4))
  if (base != "") line = line sprintf("   base %8.1f %s   base/shoal %s", $6, ratio($2, $6), ratio($6, $4))
  print line
}'
