#!/usr/bin/env bash
# guest.host_signals: signals sent to the monitor's pid from outside reach the
# program as `kill` would natively (Linux is the oracle): a SIGTERM handler
# runs whether the program sleeps in pause(), in nanosleep (EINTR) or spins
# without system calls; SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2 too; the
# default action ends it with 143; an ignored SIGTERM changes nothing.
# Each case runs natively and under `shoal run` (which execs shoal-vmm, so
# its pid is the monitor's); stdout and the exit status must match.
#   host_signals.sh SHOAL TERM_PROGRAM
set -uo pipefail
shoal=${1:?usage: host_signals.sh SHOAL TERM_PROGRAM} prog=${2:?usage: host_signals.sh SHOAL TERM_PROGRAM}
tmp=$(mktemp -d /tmp/shoal-host-signals-XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
"$shoal" build "$prog" -o "$tmp/term.shoal" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; echo "FAIL: shoal build"; exit 1; }

# run_case WHERE MODE SIGNALS...: starts the program, waits for "ready", sends
# each signal (a short pause between), waits for the end (SIGKILL after 5 s:
# status 137). Prints the output, then "status N".
run_case() {
  local where=$1 mode=$2; shift 2
  local out=$tmp/$where.$mode.out
  if [ "$where" = native ]; then
    "$prog" "$mode" >"$out" 2>"$out.err" </dev/null &
  else
    "$shoal" run --timeout 60 "$tmp/term.shoal" -- "$mode" >"$out" 2>"$out.err" </dev/null &
  fi
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 200); do grep -q '^ready$' "$out" && break; sleep 0.05; done
  for sig in "$@"; do kill -"$sig" "$pid"; sleep 0.2; done
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid"
  local rc=$?
  cat "$out"
  echo "status $rc"
}

fail=0
check() {
  local mode=$1; shift
  local native shoal_out
  native=$(run_case native "$mode" "$@")
  shoal_out=$(run_case shoal "$mode" "$@")
  if [ "$native" = "$shoal_out" ]; then
    echo "ok: $mode ($*): $(echo "$shoal_out" | tr '\n' '|')"
  else
    echo "FAIL: $mode ($*)"
    diff <(echo "$native") <(echo "$shoal_out") | sed 's/^/  /'
    sed 's/^/  shoal stderr: /' "$tmp/shoal.$mode.out.err"
    fail=1
  fi
}

check pause TERM
check sleep TERM
check spin TERM
check all HUP INT QUIT USR1 USR2 TERM
check default TERM
check default INT
# (A background job of a non-interactive shell starts with SIGINT and SIGQUIT
# ignored: natively they change nothing, and shoal-vmm passes the inherited
# ignore on to the program, so SIGINT above ends neither.)
check ignore TERM
[ $fail = 0 ] && echo "PASS" || exit 1
