#!/usr/bin/env bash
# bench/exec (issue 14): the latency of execve of a small program, shoal
# against native Linux in the same run. exec_loop execs itself N times and
# prints the total; under shoal it runs in one instance whose image packs it
# (shoal build --add), static (ET_EXEC, loaded at its link addresses) and
# dynamic (a PIE with ld.so and libc, loaded in the window).
#   build/bench/exec [BUILD] [N]
set -euo pipefail
build=${1:-build} n=${2:-200}
shoal=$build/bin/shoal
tmp=$(mktemp -d /var/tmp/bench-exec.XXXXXX); trap 'rm -rf "$tmp"' EXIT
src=$(dirname "$(readlink -f "$0")")/guest/exec_loop.c
[ -f "$src" ] || src=$(dirname "$(readlink -f "$0")")/../../bench/guest/exec_loop.c
gcc -O2 -static -no-pie "$src" -o "$tmp/exec_static"
gcc -O2 "$src" -o "$tmp/exec_dynamic"
echo "exec latency, $n execs of a small program, mean per exec (machine: $(nproc) cores, $(uname -r), $(date -u +%F))"
for kind in static dynamic; do
  prog=$tmp/exec_$kind
  "$shoal" build "$prog" --add "$prog" -o "$tmp/$kind.shoal" >/dev/null
  best_native=0 best_shoal=0
  for round in 1 2 3; do
    nat=$("$prog" "$n")
    sho=$("$shoal" run "$tmp/$kind.shoal" -- "$n")
    if [ $best_native = 0 ] || [ "$nat" -lt $best_native ]; then best_native=$nat; fi
    if [ $best_shoal = 0 ] || [ "$sho" -lt $best_shoal ]; then best_shoal=$sho; fi
  done
  awk -v k="$kind" -v n="$n" -v a="$best_native" -v b="$best_shoal" 'BEGIN {
    printf "  %-8s native %8.1f us   shoal %8.1f us   shoal/native %.2fx\n", k, a / n / 1000, b / n / 1000, b / a }'
done
