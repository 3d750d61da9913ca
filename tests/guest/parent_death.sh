#!/usr/bin/env bash
# guest.parent_death: a monitor started with a parent-death signal (shoald
# starts every instance so) still has it after its jail's change of identity,
# which clears it (prctl(2)): when its parent dies, the instance dies too,
# instead of running on as an orphan.
#   parent_death.sh SHOAL NAP_PROGRAM
set -uo pipefail
shoal=${1:?usage: parent_death.sh SHOAL NAP_PROGRAM} nap=${2:?usage: parent_death.sh SHOAL NAP_PROGRAM}
vmm=$(dirname "$shoal")/shoal-vmm
tmp=$(mktemp -d /tmp/shoal-pdeath-XXXXXX)
mon=
cleanup() { [ -n "$mon" ] && kill -9 "$mon" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
"$shoal" build "$nap" -o "$tmp/nap.shoal" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; echo "FAIL: shoal build"; exit 1; }
# The parent: a shell that starts the monitor with SIGKILL as its parent-death
# signal, lets it pass its jail, and is killed.
bash -c 'setpriv --pdeathsig KILL "$1" --timeout 60 "$2" -- 30 >/dev/null 2>&1 & echo $! >"$3"; sleep 1.5; kill -9 $$' \
  _ "$vmm" "$tmp/nap.shoal" "$tmp/mon.pid" 2>/dev/null
mon=$(cat "$tmp/mon.pid")
for _ in $(seq 40); do
  state=$(awk '{print $3}' /proc/"$mon"/stat 2>/dev/null)
  if [ -z "$state" ] || [ "$state" = Z ]; then echo "PASS: the monitor died with its parent"; mon=; exit 0; fi
  sleep 0.05
done
echo "FAIL: monitor $mon still runs (state $state) after its parent died"
exit 1
