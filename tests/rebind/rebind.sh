#!/usr/bin/env bash
# rebind.sh BUILD: what a resumed snapshot re-binds, seen by a program
# (programs snap_probe.c; issue 13). One boot saves a snapshot at the
# program's ready point, inside a poll with a 300 ms timeout on a listening
# socket, and goes on (--snapshot-then run); two instances are then resumed
# from the snapshot, 2 s later. Each instance must show:
#   - random bytes (getrandom, /dev/urandom, /dev/random) of its own: the
#     three runs all differ;
#   - the poll's timeout still firing (poll 0), about 300 ms after it began
#     on CLOCK_MONOTONIC, which never went back and did not count the 2 s
#     the snapshot spent stored;
#   - CLOCK_REALTIME within 1 s of the host's;
#   - the same pid as the boot (/proc/self and getpid agree: 1);
#   - a start time (/proc/stat btime + /proc/self/stat starttime) that is the
#     resume's, not the boot's, and consistent with /proc/uptime.
# Then timers pending in other threads (sleep, condition variable, epoll,
# ITIMER_REAL) keep their remaining time; and the ready point's port: with --ready port:7777 a wait on an earlier
# listener (port 7000) is not it; with --ready listen it is; an AF_UNIX
# listener is one for --ready listen.
TEST=rebind BUILD=${1:?usage: rebind.sh BUILD}
source "$(dirname "$0")/lib.sh"
TMP=$(mktemp -d /tmp/shoal-snap-rebind-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
[ -w /dev/kvm ] || { echo "FAIL: /dev/kvm is not usable here"; exit 1; }

"$SHOAL" build "$PROBE" -o "$TMP/probe.shoal" >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log"; echo "FAIL: shoal build"; exit 1; }

t0=$(now_ms)
timeout 60 "$VMM" --snapshot-out "$TMP/probe.snap" --snapshot-then run "$TMP/probe.shoal" -- 7777 \
  >"$TMP/boot.out" 2>"$TMP/boot.err"
rc=$?
t1=$(now_ms)
if [ $rc != 0 ] || [ ! -s "$TMP/probe.snap" ]; then
  cat "$TMP/boot.err"
  echo "FAIL: the snapshotting boot ended with status $rc (snapshot: $(stat -c %s "$TMP/probe.snap" 2>/dev/null || echo none))"
  exit 1
fi
info "snapshot: $(stat -c %s "$TMP/probe.snap") bytes, boot run ${t0}..${t1} ms"
sleep 2

for i in 1 2; do
  eval "s$i=$(now_ms)"
  timeout 60 "$VMM" "$TMP/probe.snap" >"$TMP/r$i.out" 2>"$TMP/r$i.err"
  rc=$?
  eval "e$i=$(now_ms)"
  [ $rc = 0 ] || { cat "$TMP/r$i.err"; fail "resumed instance $i ended with status $rc"; }
  grep -q '^done$' "$TMP/r$i.out" || fail "resumed instance $i did not finish: $(cat "$TMP/r$i.out")"
  # The resumed instance starts after the ready point: nothing before it is printed again.
  grep -q '^listening' "$TMP/r$i.out" && fail "resumed instance $i printed what was printed before the snapshot"
done
((FAILURES == 0)) || finish

# Entropy: three runs, three streams.
for key in getrandom urandom random; do
  b=$(field "$TMP/boot.out" $key) r1=$(field "$TMP/r1.out" $key) r2=$(field "$TMP/r2.out" $key)
  if [ -n "$b" ] && [ -n "$r1" ] && [ -n "$r2" ] && [ "$r1" != "$r2" ] && [ "$b" != "$r1" ] && [ "$b" != "$r2" ]; then
    pass "$key differs: boot $b, resumed $r1 and $r2"
  else
    fail "$key: boot '$b', resumed '$r1' and '$r2' (must all differ)"
  fi
done

for i in 1 2; do
  out=$TMP/r$i.out
  eval "start=\$s$i end=\$e$i"
  # The poll's timeout fired, ~300 ms after the poll began, on a monotonic
  # clock that never went back and skipped the time the snapshot was stored.
  poll=$(field "$out" poll) before=$(field "$out" poll_monotonic_before) after=$(field "$out" poll_monotonic_after)
  mono=$(field "$out" monotonic)
  waited=$(((after - before) / 1000000))
  if [ "$poll" = 0 ] && ((after >= before && waited >= 295 && waited < 1500 && mono >= after)); then
    pass "instance $i: the poll timed out after $waited ms of CLOCK_MONOTONIC (never back, storage not counted)"
  else
    fail "instance $i: poll $poll, monotonic before $before after $after (waited $waited ms) then $mono"
  fi
  # CLOCK_REALTIME is the host's.
  rt=$(field "$out" realtime_ms)
  if ((rt >= start - 1000 && rt <= end + 1000)); then
    pass "instance $i: CLOCK_REALTIME within 1 s of the host's"
  else
    fail "instance $i: CLOCK_REALTIME $rt ms, host ${start}..${end} ms"
  fi
  # The pid is the boot's.
  [ "$(field "$out" pid)" = "$(field "$TMP/boot.out" pid)" ] && pass "instance $i: pid $(field "$out" pid), as the boot's" ||
    fail "instance $i: pid $(field "$out" pid), the boot's $(field "$TMP/boot.out" pid)"
  # The start time is the resume's: btime + starttime (whole seconds of
  # btime: 1 s of slack) and, to 10 ms, the boot time /proc/uptime implies
  # plus starttime.
  st=$(field "$out" start_ms) ticks=$(field "$out" starttime_ticks) boot_up=$(field "$out" boot_from_uptime_ms)
  precise=$((boot_up + ticks * 10))
  if ((st >= start - 1100 && st <= end + 100 && precise >= start - 100 && precise <= end + 100)); then
    pass "instance $i: started at the resume ($((precise - start)) ms after the launch; btime + starttime agree)"
  else
    fail "instance $i: start $st ms (btime) / $precise ms (uptime), resume launched ${start}..${end} ms, boot ${t0}"
  fi
done

# --ready port:N: a listener on another port first is not the ready point.
timeout 60 "$VMM" --snapshot-out "$TMP/port.snap" --ready port:7777 "$TMP/probe.shoal" -- 7777 early 7000 \
  >"$TMP/port-boot.out" 2>"$TMP/port-boot.err" || fail "the --ready port:7777 boot failed: $(cat "$TMP/port-boot.err")"
timeout 60 "$VMM" "$TMP/port.snap" >"$TMP/port.out" 2>"$TMP/port.err" || fail "resuming port.snap failed: $(cat "$TMP/port.err")"
if grep -q '^early_poll 0$' "$TMP/port-boot.out" && grep -q '^listening 7777$' "$TMP/port-boot.out" &&
   ! grep -q '^listening' "$TMP/port.out" && grep -q '^poll 0$' "$TMP/port.out"; then
  pass "--ready port:7777 skipped the wait on port 7000 and saved in the poll on 7777"
else
  fail "--ready port:7777: boot printed '$(tr '\n' ' ' <"$TMP/port-boot.out")', the resumed '$(head -3 "$TMP/port.out" | tr '\n' ' ')'"
fi
timeout 60 "$VMM" --snapshot-out "$TMP/any.snap" "$TMP/probe.shoal" -- 7777 early 7000 \
  >"$TMP/any-boot.out" 2>"$TMP/any-boot.err" || fail "the --ready listen boot failed: $(cat "$TMP/any-boot.err")"
timeout 60 "$VMM" "$TMP/any.snap" >"$TMP/any.out" 2>"$TMP/any.err" || fail "resuming any.snap failed: $(cat "$TMP/any.err")"
if ! grep -q '^early_poll' "$TMP/any-boot.out" && grep -q '^early_poll 0$' "$TMP/any.out" && grep -q '^listening 7777$' "$TMP/any.out"; then
  pass "--ready listen saved at the first listener's wait (port 7000)"
else
  fail "--ready listen: boot printed '$(tr '\n' ' ' <"$TMP/any-boot.out")', the resumed '$(head -3 "$TMP/any.out" | tr '\n' ' ')'"
fi

# An AF_UNIX listener is a ready point too (for --ready listen: it has no port).
timeout 60 "$VMM" --snapshot-out "$TMP/unix.snap" "$TMP/probe.shoal" -- 0 \
  >"$TMP/unix-boot.out" 2>"$TMP/unix-boot.err" || fail "the AF_UNIX boot failed: $(cat "$TMP/unix-boot.err")"
timeout 60 "$VMM" "$TMP/unix.snap" >"$TMP/unix.out" 2>"$TMP/unix.err" || fail "resuming unix.snap failed: $(cat "$TMP/unix.err")"
if ! grep -q '^poll' "$TMP/unix-boot.out" && grep -q '^poll 0$' "$TMP/unix.out"; then
  pass "an AF_UNIX listener's wait is a ready point"
else
  fail "AF_UNIX: boot printed '$(tr '\n' ' ' <"$TMP/unix-boot.out")', the resumed '$(head -2 "$TMP/unix.out" | tr '\n' ' ')'"
fi

# Timers pending at the snapshot in other threads keep their remaining time:
# a nanosleep, a condition variable's timed wait (CLOCK_MONOTONIC), an
# epoll_wait timeout and an ITIMER_REAL, with 2 s between save and resume.
timeout 60 "$VMM" --snapshot-out "$TMP/timers.snap" "$TMP/probe.shoal" -- 7777 timers \
  >"$TMP/timers-boot.out" 2>"$TMP/timers-boot.err" || fail "the timers boot failed: $(cat "$TMP/timers-boot.err")"
sleep 2
timeout 60 "$VMM" "$TMP/timers.snap" >"$TMP/timers.out" 2>"$TMP/timers.err" || fail "resuming timers.snap failed: $(cat "$TMP/timers.err")"
for t in sleep:500 condwait:400 epoll:350 itimer:600; do
  name=${t%:*} want=${t#*:}
  got=$(field "$TMP/timers.out" timer_${name}_ms)
  if [ -n "$got" ] && ((got >= want && got < want + 1500)); then
    pass "a pending $name of $want ms took $got ms across the snapshot"
  else
    fail "a pending $name of $want ms took '${got}' ms across the snapshot (stored 2 s)"
  fi
done

# The boot itself: its start time is the boot's (sanity of the same /proc files).
bst=$(($(field "$TMP/boot.out" boot_from_uptime_ms) + $(field "$TMP/boot.out" starttime_ticks) * 10))
((bst >= t0 - 100 && bst <= t1 + 100)) && pass "the boot's start time is the boot's" ||
  fail "the boot's start $bst ms, ran ${t0}..${t1} ms"
finish
