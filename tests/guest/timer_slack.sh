#!/usr/bin/env bash
# guest.timer_slack: a running shoal-vmm (its main thread, the vCPU's, which
# makes the `block` waits) has a 1 ns timer slack. A guest's sleep is one `block` hypercall, a ppoll until its deadline;
# with Linux's default 50 us slack a 20 us sleep (Go's sysmon, short timers)
# took ~70 us plus the exit (issue 11, docs/benchmarks.md "Runtimes").
#   timer_slack.sh SHOAL NAP_PROGRAM
set -uo pipefail
shoal=${1:?usage: timer_slack.sh SHOAL NAP_PROGRAM} nap=${2:?usage: timer_slack.sh SHOAL NAP_PROGRAM}
tmp=$(mktemp -d /tmp/shoal-slack-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
"$shoal" build "$nap" -o "$tmp/nap.shoal" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; echo "FAIL: shoal build"; exit 1; }
"$shoal" run --timeout 60 "$tmp/nap.shoal" -- 4 >"$tmp/run.log" 2>&1 &
pid=$!
# shoal run starts shoal-vmm as its child (or becomes it): find the monitor.
vmm=
for _ in $(seq 100); do
  for p in $pid $(pgrep -P "$pid"); do
    [ "$(cat /proc/"$p"/comm 2>/dev/null)" = shoal-vmm ] && vmm=$p
  done
  [ -n "$vmm" ] && [ -r /proc/"$vmm"/timerslack_ns ] && break
  vmm=
  sleep 0.05
done
[ -n "$vmm" ] || { cat "$tmp/run.log"; echo "FAIL: no shoal-vmm process found"; exit 1; }
sleep 0.5  # past start-up: the guest is asleep in `block`
# /proc shows the slack of the thread-group leader only (the vCPU thread).
v=$(cat /proc/"$vmm"/timerslack_ns)
echo "shoal-vmm timerslack_ns: $v"
wait "$pid"; rc=$?; pid=
[ "$rc" = 0 ] || { cat "$tmp/run.log"; echo "FAIL: the guest exited $rc"; exit 1; }
[ "$v" = 1 ] || { echo "FAIL: the monitor sleeps with a timer slack of $v ns, not 1 ns"; exit 1; }
echo "PASS: timer slack 1 ns in the monitor's vCPU thread"
