#!/usr/bin/env bash
# Regression: inet tests in one PID namespace deleted the network namespaces of
# a concurrent run in another (CI's `unshare -pf`), judging by a PID they could
# not see. A namespace is reaped only when no process holds its lock.
set -uo pipefail
source "$(dirname "$0")/netns.sh"
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (network namespaces)"; exit 1; }
owned=$(netns_name shoal-t-reaptest)
gone=$(netns_name shoal-t-reaptest)
status=0
cleanup() { netns_release "$owned" "$gone"; rm -f "$ready"; }
ready=$(mktemp)
trap cleanup EXIT
# The owner lives in its own PID namespace, so its PID means nothing here.
unshare -pf --mount-proc bash -c "source '$(dirname "$0")/netns.sh'; netns_claim '$owned' && echo ok > '$ready'; sleep 30" &
owner=$!
for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.05; done
[ -s "$ready" ] || { echo "FAIL: the owner could not claim $owned"; exit 1; }
# A run that died without its trap: lock file present, nobody holding it.
(netns_claim "$gone") || { echo "FAIL: cannot claim $gone"; exit 1; }
netns_reap '^shoal-t-reaptest-'
ip netns list | grep -q "^$owned\b" && echo "ok: a namespace owned from another PID namespace is kept" ||
  { echo "FAIL: $owned was reaped while its owner lives"; status=1; }
ip netns list | grep -q "^$gone\b" && { echo "FAIL: $gone (owner gone) was not reaped"; status=1; } ||
  echo "ok: a namespace whose owner is gone is reaped"
kill "$owner" 2>/dev/null; wait "$owner" 2>/dev/null
netns_reap '^shoal-t-reaptest-'
ip netns list | grep -q "^$owned\b" && { echo "FAIL: $owned not reaped after its owner ended"; status=1; } ||
  echo "ok: reaped once its owner ended"
exit $status
