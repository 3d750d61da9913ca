# Network namespaces owned by one run, safe against concurrent runs.
#
# Sourced by tests/inet, tests/net-dev and bench/net. A run may be killed
# before its EXIT trap deletes its namespaces, so runs reap namespaces left
# behind. Deciding what is "left behind" by the PID in the name is wrong when
# runs live in different PID namespaces (CI runs the suite under
# `unshare -pf`, and two suites on one host see each other's namespaces but
# not each other's PIDs): a run deleted another run's namespaces mid-test.
# Instead each run holds an flock on a lock file for as long as it lives (the
# lock goes when its last process exits, however it ends); a namespace whose
# lock can be taken has no owner left. Names carry a random part as well as
# the PID, since PIDs repeat across PID namespaces.
#
#   netns_name PREFIX         prints PREFIX-PID-rRANDOM (not all digits: older
#                             scripts took a numeric last part for a PID)
#   netns_claim NAME...       locks then creates the namespaces (fails if any exists)
#   netns_reap REGEX          deletes unowned namespaces whose names match REGEX
#   netns_release NAME...     deletes the namespaces and their lock files

NETNS_LOCKS=/run/lock/shoal-netns

netns_name() { echo "$1-$$-r$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"; }

netns_claim() {
  local ns fd
  mkdir -p "$NETNS_LOCKS" || return 1
  for ns in "$@"; do
    # The descriptor stays open in this shell (and its children) until exit.
    exec {fd}>"$NETNS_LOCKS/$ns.lock" || return 1
    flock -n "$fd" || { echo "netns: $ns is owned by another run" >&2; return 1; }
    ip netns add "$ns" || return 1
  done
}

netns_reap() {
  local ns lock
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "$1"); do
    lock=$NETNS_LOCKS/$ns.lock
    if [ -e "$lock" ]; then
      # Owned while some process holds the lock; free means its run is gone.
      flock -n "$lock" true 2>/dev/null || continue
    elif [ -z "$(find "/run/netns/$ns" -maxdepth 0 -mmin +30 2>/dev/null)" ]; then
      continue  # no lock file (an older script): only reap it once it is old
    fi
    ip netns del "$ns" 2>/dev/null
    rm -f "$lock"
  done
}

netns_release() {
  local ns
  for ns in "$@"; do
    ip netns del "$ns" 2>/dev/null
    rm -f "$NETNS_LOCKS/$ns.lock"
  done
}
