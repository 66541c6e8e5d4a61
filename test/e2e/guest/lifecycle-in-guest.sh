#!/bin/bash
# Runs inside the real-kernel guest (via test/guest/run-in-guest.sh): starts the simulator with
# its real backing, the controller and the node agent (stack.sh), then drives one full volume
# lifecycle over CSI per flavour with tnas-e2e.
#
#   lifecycle-in-guest.sh <build-dir> [flavour...]     flavours: iscsi-ext4 iscsi-xfs iscsi-block
#                                                     iscsi-detached nfs-4.2 nfs-3 (default: all)
# iscsi-detached is iscsi-ext4 whose clone is an independent copy (detachedVolumesFromSnapshots).
# Writes <flavour>.json reports and the daemons' logs to $TNAS_RESULTS_DIR (if set).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=stack.sh
source "$here/stack.sh" "$1"
shift
flavours=("$@")
((${#flavours[@]})) || flavours=(iscsi-ext4 iscsi-xfs iscsi-block iscsi-detached nfs-4.2 nfs-3)
[[ -x "$STACK_E2E_BIN" ]] || { echo "lifecycle-in-guest: missing $STACK_E2E_BIN" >&2; exit 2; }
stack_start || exit 1

rc=0
for f in "${flavours[@]}"; do
  # shellcheck disable=SC2207
  args=($(stack_e2e_args) --name "pvc-${f//./-}" --report "$STACK_RESULTS/$f.json")
  case "$f" in
    iscsi-ext4) args+=(--protocol iscsi --fs-type ext4) ;;
    iscsi-xfs) args+=(--protocol iscsi --fs-type xfs) ;;
    iscsi-block) args+=(--protocol iscsi --block) ;;
    iscsi-detached) args+=(--protocol iscsi --fs-type ext4 --param detachedVolumesFromSnapshots=true) ;;
    nfs-*) args+=(--protocol nfs --nfs-version "${f#nfs-}") ;;
    *) echo "unknown flavour $f"; rc=2; continue ;;
  esac
  "$STACK_E2E_BIN" "${args[@]}" || rc=1
done
# Both binaries' /metrics, parsed by a real Prometheus parser: counts equal to the CSI calls each
# daemon logged and to the TrueNAS calls the simulator received (docs/metrics.md).
python3 "$here/../../integration/metrics/guest_metrics.py" --controller "$STACK_CONTROLLER_METRICS" \
  --node "$STACK_NODE_METRICS" --sim "$STACK_SIM_HTTP" --controller-log "$STACK_RESULTS/controller.log" \
  --node-log "$STACK_RESULTS/node.log" --sim-baseline "$STACK_RESULTS/sim-calls-setup.json" \
  --out "$STACK_RESULTS/metrics" || rc=1
exit "$rc"
