#!/usr/bin/env bash
# snapshot.resume / snapshot.bad_files (tests/snapshot/CMakeLists.txt).
#   snapshot.sh resume SHOAL SNAP_SERVER [direct]
#   snapshot.sh warm SHOAL SNAP_SERVER
#   snapshot.sh bad SHOAL SNAP_SERVER SNAPSHOT_EDIT
# resume: `shoal snapshot` stops snap_server at its ready point (with
# `direct`, the program makes the `ready` hypercall itself; without, the
# LibOS's own ready point: the poll with a listening socket), then
# `shoal run FILE.snap` resumes it twice: each must run from the ready point
# to the end (no output from before it), echo through its listener, read
# zeros from memory re-mapped after a discard over snapshot pages, exit 0.
# warm: shoal-vmm --start-on-fd N sets everything up and waits: no output
# while the descriptor stays empty, then one byte starts it; a closed
# descriptor starts it too.
# bad: a snapshot with a wrong version, build id, CPU variant, range table or
# checksum, or cut short, is refused with a clear message and status 1.
set -uo pipefail
mode=${1:?} shoal=${2:?} server=${3:?}
tmp=$(mktemp -d /tmp/shoal-snap-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$shoal" build "$server" -o "$tmp/srv.shoal" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "shoal build"; }
env_args=()
# The bad-file cases need any valid snapshot: made with the direct ready point.
[ "${4:-}" = direct ] || [ "$mode" = bad ] && env_args=(--env SNAP_DIRECT_READY=1)
port=$((20000 + RANDOM % 20000))
"$shoal" snapshot "$tmp/srv.shoal" -o "$tmp/srv.snap" --timeout 60 "${env_args[@]}" -- "$port" >"$tmp/snap.out" 2>"$tmp/snap.err"
rc=$?
cat "$tmp/snap.out" "$tmp/snap.err"
[ $rc = 0 ] || fail "shoal snapshot exited $rc"
grep -q "^listening on $port" "$tmp/snap.out" || fail "the snapshot run did not reach listen"
grep -q "^poll" "$tmp/snap.out" && fail "the snapshot run went past its ready point"
grep -q "build id .*resumable" "$tmp/snap.out" || fail "shoal snapshot printed no summary"

if [ "$mode" = resume ]; then
  for i in 1 2; do
    "$shoal" run --timeout 60 "$tmp/srv.snap" >"$tmp/run$i.out" 2>"$tmp/run$i.err"
    rc=$?
    echo "--- resume $i (status $rc)"; cat "$tmp/run$i.out"
    [ $rc = 0 ] || { cat "$tmp/run$i.err"; fail "resume $i exited $rc"; }
    grep -q "^listening" "$tmp/run$i.out" && fail "resume $i printed output from before the ready point"
    grep -qx "poll 0" "$tmp/run$i.out" || fail "resume $i: the poll did not time out as it should"
    grep -qx "echo ping" "$tmp/run$i.out" || fail "resume $i: no echo through the restored listener"
    grep -qx "remapped memory zero (same address)" "$tmp/run$i.out" || fail "resume $i: memory after discard is not zero"
    grep -qx "end" "$tmp/run$i.out" || fail "resume $i did not run to the end"
    if [ "${4:-}" = direct ]; then grep -qx "ready result 2" "$tmp/run$i.out" || fail "resume $i: ready did not return kReadyResumed"; fi
  done
  if [ "${4:-}" != direct ]; then
    # The LibOS's ready point re-keys its entropy from BootInfo::resume_random.
    r1=$(grep '^random' "$tmp/run1.out") r2=$(grep '^random' "$tmp/run2.out")
    [ "$r1" != "$r2" ] || fail "two instances of one snapshot drew the same random bytes ($r1)"
  fi
  echo "PASS: snapshot resumed twice, both to the end"
  exit 0
fi

vmm=$(dirname "$shoal")/shoal-vmm
if [ "$mode" = warm ]; then
  for how in byte close; do
    rm -f "$tmp/start"; mkfifo "$tmp/start"
    exec 7<>"$tmp/start"  # read-write: opening does not wait; the test holds the only writer
    "$vmm" --timeout 60 --start-on-fd 3 "$tmp/srv.snap" 3<"$tmp/start" >"$tmp/warm.out" 2>"$tmp/warm.err" &
    pid=$!
    sleep 1
    [ -s "$tmp/warm.out" ] && fail "warm monitor ($how) ran before its start: $(cat "$tmp/warm.out")"
    kill -0 $pid 2>/dev/null || fail "warm monitor ($how) ended before its start: $(cat "$tmp/warm.err")"
    t0=$(date +%s%N)
    if [ $how = byte ]; then echo go >&7; else exec 7>&-; fi
    wait $pid; rc=$?
    t1=$(date +%s%N)
    exec 7>&- 2>/dev/null
    cat "$tmp/warm.out"
    [ $rc = 0 ] || fail "warm monitor ($how) exited $rc: $(cat "$tmp/warm.err")"
    grep -qx "end" "$tmp/warm.out" || fail "warm monitor ($how) did not run to the end"
    echo "warm monitor ($how): start to exit $(( (t1 - t0) / 1000000 )) ms"
  done
  echo "PASS: warm monitors wait for their start"
  exit 0
fi

edit=${4:?snapshot_edit}
# expect NAME REGEX: resuming $tmp/bad.snap fails with status 1 and REGEX on stderr.
expect() {
  "$vmm" --timeout 20 "$tmp/bad.snap" >"$tmp/bad.out" 2>"$tmp/bad.err"
  local rc=$?
  echo "--- $1 (status $rc): $(cat "$tmp/bad.err")"
  [ $rc = 1 ] || fail "$1: status $rc, expected 1"
  grep -Eq "$2" "$tmp/bad.err" || fail "$1: no message matching '$2'"
  [ -s "$tmp/bad.out" ] && fail "$1: the guest ran"
  return 0
}
fresh() { cp "$tmp/srv.snap" "$tmp/bad.snap"; }
fresh; "$edit" "$tmp/bad.snap" version 99; expect version "format version 99, this shoal reads version 1"
fresh; "$edit" "$tmp/bad.snap" build_id 0123456789abcdef01234567; expect build_id "was made by another shoal-vmm build \(0123456789abcdef01234567"
fresh; "$edit" "$tmp/bad.snap" corrupt 5000; expect checksum "checksum mismatch"
fresh; "$edit" "$tmp/bad.snap" range0_addr 0x7ffff000000; expect range "range 0 \(0x7ffff000000 .* outside guest memory"
fresh; "$edit" "$tmp/bad.snap" range_count 0; expect range_count "0 page ranges"
fresh; "$edit" "$tmp/bad.snap" memory_size 12345; expect memory "memory size 0x3039"
# Another CPU variant than this host gives: each of the others, named.
for v in 1 2 3; do
  fresh; "$edit" "$tmp/bad.snap" cpu_features $v; "$edit" "$tmp/bad.snap" cpu_strict 1
  if "$vmm" --timeout 20 "$tmp/bad.snap" >/dev/null 2>"$tmp/v.err"; then
    echo "variant $v: resumable here (the host's own)"
  else
    expect "cpu variant $v" "CPU variant"
  fi
done
size=$(stat -c %s "$tmp/srv.snap")
for cut in 100 $((size / 2)) $((size - 4096)); do
  fresh; truncate -s $cut "$tmp/bad.snap"; expect "truncated to $cut" "truncated"
done
: >"$tmp/bad.snap"; printf 'SHOALSNP' >"$tmp/bad.snap"; expect "magic only" "truncated"
# Options a snapshot fixes are usage errors (status 2).
"$vmm" --memory 1G "$tmp/srv.snap" >/dev/null 2>"$tmp/u.err"; rc=$?
[ $rc = 2 ] && grep -q "not with a snapshot" "$tmp/u.err" || fail "--memory with a snapshot: status $rc: $(cat "$tmp/u.err")"
# shoal inspect: the same validation, status 1.
fresh; "$edit" "$tmp/bad.snap" corrupt 4100
"$shoal" inspect "$tmp/bad.snap" >/dev/null 2>"$tmp/i.err"; rc=$?
[ $rc = 1 ] && grep -q "checksum mismatch" "$tmp/i.err" || fail "shoal inspect of a corrupted snapshot: status $rc"
echo "PASS: every bad snapshot refused with a clear message"
