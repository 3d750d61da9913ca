#!/usr/bin/env bash
# bench/runtimes: language runtimes under shoal against the same static binary
# natively, measured in the same run. (First touch, mremap and realloc growth
# on their own are bench/memory's.)
#
#   runtimes BUILD_DIR [--runs N] [--only gocpu|gosleep|lua|lua-grow] [--quick]
#
# --quick: a tenth of the work, one run (a smoke test: the programs run and
# agree with native, the figures mean little).
# Each program times its own work (not boot) and prints it; the median of N
# runs (default 3, interleaved native/shoal) is shown with the ratio
# shoal/native as "x native speed" (higher is better, 1.00x = as fast):
#   gocpu    a Go CPU + garbage-collector program, ms (bench/guest/gocpu)
#   gosleep  Go's short sleeps (sysmon's usleep(20)): us per nanosleep(20 us)
#            (bench/guest/gosleep; a block hypercall each under shoal)
#   lua      an allocation-heavy Lua 5.4 loop (Debian's liblua5.4.a), ms;
#            lua-grow: the same loop keeping every round's tables (the heap
#            grows to ~70 MiB instead of being reused)
# shoal gives an instance one vCPU; a multi-threaded runtime (Go's GC
# workers, 2 goroutines) uses every core natively. So each row also runs the
# binary natively pinned to one CPU (taskset -c 0, "native1") and prints the
# ratio against that too: "vs 1 CPU" is what the LibOS costs, the first ratio
# adds what a second core gives Linux.
# A run that fails under shoal is shown as FAILED with its first line of
# stderr, and the script exits 1 after the others ran; so does a "result"
# (a checksum the program prints) that differs from the native one.
set -uo pipefail
build=${1:?usage: runtimes BUILD_DIR [--runs N] [--only NAME] [--quick]}
shift
runs=3 only= gorounds=60 luarounds=100 sleeps=2000
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --quick) runs=1 gorounds=6 luarounds=10 sleeps=200; shift ;;
    *) echo "usage: runtimes BUILD_DIR [--runs N] [--only NAME] [--quick]" >&2; exit 2 ;;
  esac
done
shoal=$build/bin/shoal g=$build/bench/guest
tmp=$(mktemp -d /tmp/bench-runtimes-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
status=0
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print -1; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# row NAME UNIT HIGHER_IS_BETTER PROG MEMORY ARGS...: runs PROG natively and
# under shoal, extracting the figure after "UNIT" in its output.
row() {
  local name=$1 unit=$2 higher=$3 prog=$4 mem=$5
  shift 5
  [ -n "$only" ] && [ "$only" != "$name" ] && return
  [ -x "$prog" ] || { echo "  $name: $prog is not built"; status=1; return; }
  "$shoal" build "$prog" -o "$tmp/$name.shoal" >"$tmp/$name.build" 2>&1 ||
    { echo "  $name: shoal build failed: $(tail -1 "$tmp/$name.build")"; status=1; return; }
  local n_vals=() n1_vals=() s_vals=() failed=
  for _ in $(seq "$runs"); do
    "$prog" "$@" >"$tmp/n.out" 2>&1 && n_vals+=("$(awk -v u="$unit" '{ for (i = 1; i < NF; i++) if ($i == u) print $(i + 1) }' "$tmp/n.out" | head -1)")
    taskset -c 0 "$prog" "$@" >"$tmp/n1.out" 2>&1 &&
      n1_vals+=("$(awk -v u="$unit" '{ for (i = 1; i < NF; i++) if ($i == u) print $(i + 1) }' "$tmp/n1.out" | head -1)")
    if "$shoal" run --memory "$mem" --timeout 300 "$tmp/$name.shoal" -- "$@" >"$tmp/s.out" 2>"$tmp/s.err"; then
      s_vals+=("$(awk -v u="$unit" '{ for (i = 1; i < NF; i++) if ($i == u) print $(i + 1) }' "$tmp/s.out" | head -1)")
      local rn rs
      rn=$(awk '{ for (i = 1; i < NF; i++) if ($i == "result") print $(i + 1) }' "$tmp/n.out")
      rs=$(awk '{ for (i = 1; i < NF; i++) if ($i == "result") print $(i + 1) }' "$tmp/s.out")
      [ "$rn" = "$rs" ] || failed="result $rs differs from native $rn"
    else
      failed=$(grep -v '^\s' "$tmp/s.err" | grep . | head -1)
    fi
  done
  local n n1 s
  n=$(printf '%s\n' "${n_vals[@]}" | grep . | median)
  n1=$(printf '%s\n' "${n1_vals[@]}" | grep . | median)
  if [ -n "$failed" ] || [ ${#s_vals[@]} = 0 ]; then
    printf '  %-13s native %10.1f %-8s  shoal FAILED: %s\n' "$name" "$n" "$unit" "${failed:0:120}"
    status=1
    return
  fi
  s=$(printf '%s\n' "${s_vals[@]}" | grep . | median)
  awk -v name="$name" -v u="$unit" -v n="$n" -v n1="$n1" -v s="$s" -v h="$higher" 'BEGIN {
    r = (h == 1) ? s / n : n / s
    r1 = (h == 1) ? s / n1 : n1 / s
    printf "  %-13s native %10.2f %-8s  shoal %10.2f %-8s  %.3fx native speed", name, n, u, s, u, r
    if (n1 > 0) printf "  (native1 %.2f: %.3fx vs 1 CPU)", n1, r1
    printf "\n" }'
}

echo "bench/runtimes: median of $runs runs each, timed inside the program; $(nproc) cores, $(uname -r), $(date -u '+%F %H:%M') UTC"
row gocpu ms 0 "$g/gocpu" 512M "$gorounds"
row gosleep us 0 "$g/gosleep" 512M "$sleeps"
row lua ms 0 "$g/lua_alloc" 512M "$luarounds"
row lua-grow ms 0 "$g/lua_alloc" 512M "$luarounds" keep
exit $status
