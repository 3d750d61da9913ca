#!/usr/bin/env bash
# bench/density (issue 13, "Density"): N idle `hello` instances in one pool.
#
#   density BUILD [--instances N] [--memory SIZE] [--slots S] [--native M] [--check] [--ksm] [--no-zygote]
#
# Starts a pool whose one service has min_instances = N (`shoal up -d`) and
# measures:
#   - time from `shoal up` to all N ready, and starts per second;
#   - `shoal ps` latency while they start (every 250 ms, through the CLI);
#   - host memory per idle instance: the drop in MemAvailable / N (which
#     includes KVM's kernel memory), split into the monitors' PSS
#     (smaps_rollup), shoald's growth and the rest (the kernel: KVM, page
#     tables, slab);
#   - shoald's descriptors per instance (/proc/PID/fd);
#   - that every instance answers: GET /whoami through the gateway (round
#     robin) until N distinct instances have answered (told apart by their random tag);
# then stops the pool (`shoal down`) and checks no monitor is left.
# --no-zygote: shoald spawns shoal-vmm for every snapshot start instead of
# forking its template monitor (the start path before it, for comparison).
# --ksm: the service has `ksm = true`; once all are ready the script waits for
# two full KSM scans (the host must run ksmd: /sys/kernel/mm/ksm/run = 1; the
# script does not change it unless given --start-ksmd, which runs it for the
# measurement and restores the host's settings) and prints what was merged,
# ksmd's CPU and the memory once merged.
# The alternative in the same run: M (default min(N, 1000)) native hello
# processes, their start rate and MemAvailable drop per process.
#
# Exit status 0 only if the pool came up, every instance answered and no
# monitor was left (with --check, also only if shoald held at most 1.2
# descriptors per instance and `shoal ps` always answered
# while they started); the figures are printed either way. bench/density is not
# in `make test` at full size: tests/pool runs it with 200 instances.
set -uo pipefail
build=$(cd "${1:?usage: density BUILD [--instances N] [--memory SIZE] [--slots S] [--native M]}" && pwd)
shift
N=1000 MEMORY=32M SLOTS=8 NATIVE= CHECK=0 KSM=false START_KSMD=0 UP_FLAGS=
while [ $# -gt 0 ]; do
  case $1 in
    --instances) N=$2; shift 2 ;;
    --memory) MEMORY=$2; shift 2 ;;
    --slots) SLOTS=$2; shift 2 ;;
    --native) NATIVE=$2; shift 2 ;;
    --check) CHECK=1; shift ;;
    --ksm) KSM=true; shift ;;
    --start-ksmd) KSM=true START_KSMD=1; shift ;;
    --no-zygote) UP_FLAGS=--no-zygote; shift ;;
    *) echo "density: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$NATIVE" ] || NATIVE=$(( N < 1000 ? N : 1000 ))
shoal=$build/bin/shoal
image=$build/examples/shop/hello.shoal
native_hello=$build/examples/shop/hello
for f in "$shoal" "$image" "$native_hello"; do [ -e "$f" ] || { echo "density: $f is missing (build first)" >&2; exit 2; }; done
[ -w /dev/kvm ] || { echo "density: /dev/kvm is not usable" >&2; exit 2; }
tmp=$(mktemp -d /tmp/density-XXXXXX)
ctl=$tmp/control.sock
STATUS=0
SHOALD=
cleanup() {
  "$shoal" down -c "$ctl" --timeout 60 >/dev/null 2>&1
  # Should `shoal down` fail, shoald (and through PR_SET_PDEATHSIG its
  # monitors) is killed by the pid it reported.
  if [ -n "$SHOALD" ] && kill -0 "$SHOALD" 2>/dev/null; then kill -KILL "$SHOALD" 2>/dev/null; fi
  if [ -n "${old_run:-}" ]; then
    echo "$old_run" >/sys/kernel/mm/ksm/run
    echo "$old_pages" >/sys/kernel/mm/ksm/pages_to_scan
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mem_available_kib() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }
# A process that runs (a zombie, not reaped by whoever adopted it, does not).
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

echo "density: $N idle hello instances (memory $MEMORY, channel_slots $SLOTS) on $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"

# The alternative first, so the pool's figures are not taken beside it.
python3 - "$native_hello" "$NATIVE" <<'PY'
import os, socket, subprocess, sys, time
exe, m = sys.argv[1], int(sys.argv[2])
def avail():
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1])
ports = []
socks = []
for _ in range(m):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); ports.append(s.getsockname()[1]); socks.append(s)
for s in socks: s.close()
before = avail()
t0 = time.monotonic()
procs = [subprocess.Popen([exe], env={"PORT": str(p), "BIND": "127.0.0.1"}, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL) for p in ports]
pending = set(ports)
deadline = t0 + 120
while pending and time.monotonic() < deadline:
    for p in list(pending):
        try:
            socket.create_connection(("127.0.0.1", p), timeout=1).close()
            pending.discard(p)
        except OSError:
            pass
    if pending: time.sleep(0.005)
elapsed = time.monotonic() - t0
time.sleep(2)
after = avail()
for pr in procs: pr.kill()
for pr in procs: pr.wait()
ok = m - len(pending)
print(f"native: {ok}/{m} hello processes listening in {elapsed*1000:.0f} ms ({ok/elapsed:.0f} starts/s), "
      f"MemAvailable drop {(before-after)/max(ok,1):.0f} KiB per process")
PY

port=$(free_port) admin=$(free_port)
cat >"$tmp/density.toml" <<SPEC
# bench/density (generated)
[gateway]
listen = "127.0.0.1:$port"
admin = "127.0.0.1:$admin"
control = "$ctl"
[services.hello]
image = "$image"
port = 8080
memory = "$MEMORY"
channel_slots = $SLOTS
ksm = $KSM
balance = "round_robin"
min_instances = $N
max_instances = $N
initial = $N
[[routes]]
path = "/"
service = "hello"
SPEC

sync
before_kib=$(mem_available_kib)
cp /proc/meminfo "$tmp/meminfo.before"
cat /proc/slabinfo >"$tmp/slabinfo.before" 2>/dev/null
t0=$(now_ms)
"$shoal" up "$tmp/density.toml" -d -c "$ctl" $UP_FLAGS >"$tmp/up.out" 2>&1 &
up_pid=$!
# `shoal ps` while they start: its latency, and how often it got no answer.
ps_ms=() ps_fail=0
while kill -0 "$up_pid" 2>/dev/null; do
  if [ -S "$ctl" ]; then
    a=$(date +%s%N)
    if "$shoal" ps -c "$ctl" >/dev/null 2>"$tmp/ps.err"; then
      ps_ms+=($(( ($(date +%s%N) - a) / 1000000 )))
    else
      ps_fail=$((ps_fail + 1))
    fi
  fi
  sleep 0.25
done
wait "$up_pid"
up_status=$?
t1=$(now_ms)
if [ "$up_status" != 0 ]; then
  echo "FAIL: shoal up exited with $up_status:"; tail -20 "$tmp/up.out"
  exit 1
fi
SHOALD=$(awk '/^  pid/ {print $2}' "$tmp/up.out")
elapsed=$((t1 - t0))
python3 - "$N" "$elapsed" "$ps_fail" "${ps_ms[@]}" <<'PY'
import sys
n, ms, fails = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
lat = sorted(int(x) for x in sys.argv[4:])
print(f"shoal: {n} instances ready in {ms} ms after `shoal up` ({n*1000/max(ms,1):.0f} starts/s)")
if lat:
    print(f"shoal ps while starting: {len(lat)} answered, median {lat[len(lat)//2]} ms, max {lat[-1]} ms, {fails} unanswered")
else:
    print(f"shoal ps while starting: none answered ({fails} unanswered)")
PY
if [ "$CHECK" = 1 ] && [ "$ps_fail" != 0 ]; then
  echo "FAIL: shoal ps went unanswered $ps_fail times while the instances started ($(cat "$tmp/ps.err"))"; STATUS=1
fi

monitors=$(pgrep -P "$SHOALD" | tr '\n' ' ')
# Each monitor's start time, so that the check after `shoal down` is not
# fooled by a new process given a reaped monitor's number (10,000 monitors
# and their KVM tasks go round a pid_max of 32,768 quickly).
# Field 22 of /proc/PID/stat; fields from 3 on follow the last ") ".
start_time() { local l; read -r l 2>/dev/null <"/proc/$1/stat" || return 0; l=${l##*) }; set -- $l; echo "${20}"; }
declare -A started_at
for p in $monitors; do started_at[$p]=$(start_time "$p"); done
# measure_memory: the drop in MemAvailable and what the instances are known to hold.
measure_memory() {
  after_kib=$(mem_available_kib)
  cp /proc/meminfo "$tmp/meminfo.after"
  cat /proc/slabinfo >"$tmp/slabinfo.after" 2>/dev/null
  python3 - "$N" "$before_kib" "$after_kib" "$SHOALD" "$tmp" $monitors <<'PY'
import os, sys
n, before, after, shoald, tmp = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
mons = sys.argv[6:]
def meminfo(path):
    return {l.split(":")[0]: int(l.split()[1]) for l in open(path) if len(l.split()) >= 2}
mb, ma = meminfo(tmp + "/meminfo.before"), meminfo(tmp + "/meminfo.after")
fields = ["AnonPages", "Shmem", "Slab", "SUnreclaim", "KernelStack", "PageTables", "SecPageTables", "VmallocUsed", "Percpu"]
print("meminfo growth per instance: " + ", ".join(f"{f} {(ma.get(f,0)-mb.get(f,0))/max(n,1):.0f} KiB" for f in fields if f in ma) +
      " (the machine is shared: other work moves these too)")
def rollup(pid):
    out = {}
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit(): out[parts[0].rstrip(":")] = int(parts[1])
    except OSError:
        pass
    return out
pss = rss = anon = 0
for p in mons:
    r = rollup(p); pss += r.get("Pss", 0); rss += r.get("Rss", 0); anon += r.get("Anonymous", 0)
sd = rollup(shoald)
fds = len(os.listdir(f"/proc/{shoald}/fd"))
drop = before - after
k = max(len(mons), 1)
print(f"memory: MemAvailable drop {drop/1024:.0f} MiB = {drop/max(n,1):.0f} KiB per instance "
      f"(monitor PSS {pss/k:.0f} KiB, RSS {rss/k:.0f} KiB, anonymous {anon/k:.0f} KiB each; "
      f"shoald PSS {sd.get('Pss',0)/1024:.0f} MiB = {sd.get('Pss',0)/max(n,1):.0f} KiB per instance; "
      f"rest (kernel: KVM, page tables, slab) {(drop - pss - sd.get('Pss',0))/max(n,1):.0f} KiB per instance)")
# MemAvailable moves with everything else the host does; the sum of what
# the instances are known to hold moves much less: the monitors' PSS,
# shoald's, and the kernel's growth in slab, vmalloc (KVM's rmaps, kernel
# stacks), page tables and KVM's shadow page tables, shmem (the channels).
kernel = sum(ma.get(f, 0) - mb.get(f, 0) for f in ["Slab", "VmallocUsed", "PageTables", "SecPageTables", "Shmem"])
accounted = pss + sd.get("Pss", 0) + kernel
print(f"accounted: {accounted/max(n,1):.0f} KiB per instance (monitor PSS {pss/max(n,1):.0f} + shoald {sd.get('Pss',0)/max(n,1):.0f} "
      f"+ kernel {kernel/max(n,1):.0f}: slab, vmalloc, page tables, shadow page tables, shmem)")
print(f"shoald: {fds} descriptors = {fds/max(n,1):.1f} per instance; {len(mons)} monitors")
# One per instance (the channel's to_guest eventfd) plus a constant few:
# the script's --check fails past 1.2 per instance (10,000 must fit 20,000).
open(tmp + "/fds_per_instance", "w").write(f"{fds/max(n,1):.3f}\n")
# Where the kernel's part goes: the slab caches that grew most (objects x
# size, per instance), and the tasks per monitor (each has a kernel stack).
def slabs(path):
    out = {}
    try:
        for line in open(path):
            f = line.split()
            if len(f) > 5 and f[1].isdigit(): out[f[0]] = int(f[2]) * int(f[3])  # num_objs * objsize
    except OSError:
        pass
    return out
sb, sa = slabs(tmp + "/slabinfo.before"), slabs(tmp + "/slabinfo.after")
grow = sorted(((sa[c] - sb.get(c, 0)) / 1024 / max(n, 1), c) for c in sa)
if grow:
    print("slab growth per instance (KiB): " + ", ".join(f"{c} {g:.1f}" for g, c in reversed(grow[-10:])))
threads = 0
for p in mons:
    try:
        threads += len(os.listdir(f"/proc/{p}/task"))
    except OSError:
        pass
print(f"tasks per monitor: {threads/k:.2f} (its threads; KVM's kvm-nx-lpage-recovery task is counted if it is in the group)")
PY
}

# `shoal ps` once they all run (a line per instance), and the status call alone.
ps_idle=() st_idle=()
for _ in 1 2 3 4 5; do
  a=$(date +%s%N); "$shoal" ps -c "$ctl" >/dev/null 2>&1; ps_idle+=($(( ($(date +%s%N) - a) / 1000000 )))
  a=$(date +%s%N); curl -sS --max-time 10 --unix-socket "$ctl" -o /dev/null http://pool/v1/status
  st_idle+=($(( ($(date +%s%N) - a) / 1000000 )))
done
echo "shoal ps with $N instances running: $(printf '%s ' "${ps_idle[@]}")ms; GET /v1/status alone (curl): $(printf '%s ' "${st_idle[@]}")ms"

# Memory, once the instances idle (and, with --ksm, once ksmd has been over them twice).
sleep 3
measure_memory
if [ "$CHECK" = 1 ] && ! awk '{exit !($1 <= 1.2)}' "$tmp/fds_per_instance"; then
  echo "FAIL: shoald holds $(cat "$tmp/fds_per_instance") descriptors per instance (at most 1.2 expected)"; STATUS=1
fi
# shoald's CPU while the pool idles: the channels' notification must not spin.
c0=$(awk '{print $14 + $15}' "/proc/$SHOALD/stat") ta=$(now_ms)
sleep 5
c1=$(awk '{print $14 + $15}' "/proc/$SHOALD/stat") tb=$(now_ms)
echo "shoald CPU while $N instances idle: $(( (c1 - c0) * 10 )) ms in $(( tb - ta )) ms"
if [ "$KSM" = true ]; then
  k=/sys/kernel/mm/ksm
  if [ "$(cat $k/run)" != 1 ] && [ "$START_KSMD" = 1 ]; then
    # Asked to: run ksmd for the measurement, and put the host back after.
    old_run=$(cat $k/run) old_pages=$(cat $k/pages_to_scan)
    echo "ksm: starting ksmd for the measurement (run 1, pages_to_scan 5000; restored after)"
    echo 5000 >$k/pages_to_scan && echo 1 >$k/run
  fi
  if [ "$(cat $k/run)" != 1 ]; then
    echo "ksm: ksmd is not running (/sys/kernel/mm/ksm/run is $(cat $k/run)): nothing merged"
  else
    ksmd=$(pgrep -x ksmd | head -1)
    cpu0=$(awk '{print $14 + $15}' "/proc/$ksmd/stat") scans0=$(cat $k/full_scans) t=$(now_ms)
    for _ in $(seq 600); do [ $(( $(cat $k/full_scans) - scans0 )) -ge 2 ] && break; sleep 0.5; done
    cpu1=$(awk '{print $14 + $15}' "/proc/$ksmd/stat") dt=$(( $(now_ms) - t ))
    echo "ksm: $(( $(cat $k/full_scans) - scans0 )) full scans in $dt ms, ksmd CPU $(( (cpu1 - cpu0) * 10 )) ms" \
         "(pages_to_scan $(cat $k/pages_to_scan), sleep $(cat $k/sleep_millisecs) ms); pages_shared $(cat $k/pages_shared)," \
         "pages_sharing $(cat $k/pages_sharing) = $(( $(cat $k/pages_sharing) * 4 / N )) KiB saved per instance"
    echo "memory once merged:"
    measure_memory
  fi
fi


# Every instance answers: round robin through the gateway until N distinct
# instances have said who they are. An instance is told apart by the random
# tag hello draws at its first /whoami (instances resumed from one snapshot
# share the saving instance's SHOAL_INSTANCE, so the index alone cannot).
python3 - "$port" "$N" <<'PY' || STATUS=1
import http.client, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
seen = set()
t0 = time.monotonic()
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
requests = errors = 0
while len(seen) < n and requests < 3 * n:
    requests += 1
    try:
        conn.request("GET", "/whoami")
        r = conn.getresponse()
        body = r.read().decode().strip()
        parts = body.split()
        if r.status == 200 and len(parts) == 2 and parts[0].isdigit(): seen.add(parts[1])
        else: errors += 1
    except (OSError, http.client.HTTPException):
        errors += 1
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
dt = time.monotonic() - t0
print(f"answers: {len(seen)}/{n} instances answered /whoami in {requests} requests, {errors} errors, "
      f"{dt*1000:.0f} ms ({requests/dt:.0f} requests/s)")
if len(seen) < n:
    print(f"FAIL: {n - len(seen)} instances never answered")
    sys.exit(1)
PY

t2=$(now_ms)
"$shoal" down -c "$ctl" --timeout 120 >/dev/null 2>&1 || { echo "FAIL: shoal down"; STATUS=1; }
echo "shoal down: $(( $(now_ms) - t2 )) ms"
# shoal down returns once shoald has been told; give it the time to reap.
for _ in $(seq 600); do alive "$SHOALD" || break; sleep 0.1; done
left=0
for p in $monitors; do alive "$p" && [ "$(start_time "$p")" = "${started_at[$p]}" ] && left=$((left + 1)); done
if [ "$left" != 0 ] || alive "$SHOALD"; then
  echo "FAIL: shoald or $left monitors left after shoal down"; STATUS=1
else
  echo "ok: no monitor left"
fi
exit $STATUS
