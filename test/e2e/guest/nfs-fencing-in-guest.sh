#!/bin/bash
# Runs inside the real-kernel guest (via test/guest/run-in-guest.sh): per-node NFS exports
# (StorageClass nfsExportPerNode, issue #16) against the guest's kernel NFS server, whose exports
# the simulator's backing writes from the shares' hosts/enabled (tnas-guest-backing).
#
# Two client addresses on the guest's own loopback, no NIC: node A is the agent, whose mounts go
# to the server 127.0.0.1 from 127.0.0.1 (the agent runs with --node-address route-to:127.0.0.1,
# so its node id carries the address its kernel really uses); client B is 127.0.0.22, which the
# kernel NFS client uses as its source for the server address 127.0.0.12 because of the local
# route "local 127.0.0.12 dev lo src 127.0.0.22" (the NFS client has no option to bind a source
# address; it connects unbound, so the route's preferred source decides). B mounts with NFSv3:
# a second NFSv4.1 mount of the same server is trunked into A's client and travels from A's
# address (measured). The script prints what `ip route get` says and the scenario prints the NFS
# connections while B is mounted (ss), which show the source address each mount really used.
#
#   nfs-fencing-in-guest.sh <build-dir>
# Writes nfs-fencing.json, nfs-fencing.out and the daemons' logs to $TNAS_RESULTS_DIR (if set).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STACK_NODE_ARGS=(--node-address route-to:127.0.0.1)
# shellcheck source=stack.sh
source "$here/stack.sh" "$1"
bin="$STACK_BUILD/test/e2e/tnas-e2e-nfs-fencing"
[[ -x "$bin" ]] || { echo "nfs-fencing-in-guest: missing $bin" >&2; exit 2; }
t0=$(stack_ms)

ip addr add 127.0.0.22/32 dev lo 2>/dev/null
ip route add local 127.0.0.12 dev lo src 127.0.0.22 table local ||
  { echo "cannot add the source route for client B"; exit 1; }
echo "route for A: $(ip route get 127.0.0.1 | head -n1)"
echo "route for B: $(ip route get 127.0.0.12 | head -n1)"
ip route get 127.0.0.12 | grep -q 'src 127.0.0.22' || { echo "B's route has no src hint"; exit 1; }

stack_start || exit 1
mkdir -p "$STACK_WORK"
# shellcheck disable=SC2207
args=($(stack_e2e_args) --b-server 127.0.0.12 --b-address 127.0.0.22 --report-dir "$STACK_RESULTS")
"$bin" "${args[@]}" 2>&1 | tee "$STACK_RESULTS/nfs-fencing.out"
rc=${PIPESTATUS[0]}
echo "exports at the end:"
grep -v '^#' /etc/exports || true
echo "nfs-fencing-in-guest: $(( ($(stack_ms) - t0) / 1000 )) s in the guest script"
exit "$rc"
