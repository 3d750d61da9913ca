#!/usr/bin/env bash
# impair.sh BUILD [BYTES]: bulk TCP both ways over an impaired link (5% loss,
# 20 ms delay, 25% reordering), sha256 checked, each way bounded in time.
# The impairment is `tc qdisc ... netem` on sh0 when the kernel has netem;
# this one does not, so shoal-vmm's --net-impair does it on the guest's device
# (natively, without netem, the link stays clean: the script is still checked).
TEST=impair BUILD=$1
size=${2:-2000000}
source "$(dirname "$0")/lib.sh"
setup
limit=$((60 + size / 100000))  # seconds per direction: generous for ~100 KB/s
if in_ns tc qdisc add dev sh0 root netem loss 5% delay 20ms reorder 25% 2>"$TMP/tc.err"; then
  info "impairment: tc netem on sh0 (loss 5%, delay 20ms, reorder 25%)"
elif [ "$TARGET" = shoal ]; then
  info "impairment: shoal-vmm --net-impair loss=5,delay=20,reorder=25 (tc: $(head -1 "$TMP/tc.err"))"
  GUEST_OPTS=(--net-impair loss=5,delay=20,reorder=25)
else
  info "impairment: none (no netem in this kernel: $(head -1 "$TMP/tc.err"))"
fi
want=$(expected_sha "$size")

# host -> guest
start_guest recv $((limit + 30)) "$NETEX/bulk" recv 9000
recv_pid=$GUEST_PID
wait_line "$TMP/recv.log" '^bulk: listening' 60 "$recv_pid" || fail "guest bulk recv did not start"
t0=$SECONDS
# The sender runs until it sees the guest's FIN; once the guest has ended it
# gets 20 s more (a guest that ends without a FIN must not cost the whole limit).
for _ in $(seq 50); do
  in_ns timeout "$limit" "$NETEX/bulk" send "$GUEST_IP" 9000 "$size" >"$TMP/send.out" 2>"$TMP/send.err" &
  send_pid=$!
  GUEST_PIDS+=("$send_pid")
  sleep 0.2
  kill -0 "$send_pid" 2>/dev/null && break
  grep -q 'Connection refused\|No route' "$TMP/send.err" || break  # retry only while the guest is not reachable yet
done
timeout "$limit" tail --pid="$recv_pid" -f /dev/null
timeout 20 tail --pid="$send_pid" -f /dev/null
kill "$send_pid" 2>/dev/null
wait "$send_pid"
[ $? = 0 ] && sent=1 || sent=0
if [ "$(sha_field "$TMP/recv.log")" = "$want" ]; then
  pass "host -> guest $size bytes (sha256): $(field "$TMP/recv.log" mbps) MB/s, $(field "$TMP/recv.log" seconds) s"
else
  fail "host -> guest: the guest got '$(cat "$TMP/recv.log")'"
fi
# The sender half-closed and waits for the guest's FIN: a guest that ends
# without sending it leaves the host in FIN-WAIT-2 (until the time limit).
if [ $sent = 1 ]; then
  pass "host -> guest: the host sender saw the guest close ($((SECONDS - t0)) s in all)"
else
  fail "host -> guest: the host sender never saw the guest's FIN ($((SECONDS - t0)) s): $(cat "$TMP/send.out" "$TMP/send.err")"
fi

# guest -> host
host_bulk hrecv recv 9001 || fail "host bulk recv did not listen"
t0=$SECONDS
run_guest gsend "$limit" "$NETEX/bulk" send "$HOST_IP" 9001 "$size"
rc=$?
wait_host
if [ $rc = 0 ] && [ "$(sha_field "$TMP/hrecv.out")" = "$want" ]; then
  pass "guest -> host $size bytes in $((SECONDS - t0)) s (sha256): $(field "$TMP/hrecv.out" mbps) MB/s"
else
  fail "guest -> host: status $rc after $((SECONDS - t0)) s: guest '$(cat "$TMP/gsend.out")' host '$(cat "$TMP/hrecv.out")'"
fi
finish
