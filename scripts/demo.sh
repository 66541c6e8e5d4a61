#!/usr/bin/env bash
# The demo. On a fresh Debian 12 machine (root): installs what is missing, builds, then
#  1. starts both binaries with nothing but --endpoint and shows what they report over CSI Identity;
#  2. boots the real-kernel guest (QEMU, Debian's kernel) and runs the whole life of one iSCSI
#     and one NFS volume there — TrueNAS simulator with real LIO/NFS backing, controller, node agent
#     — step by step with each step's duration, then a final table.
# A failed step ends the demo with one line naming the step and where its logs are, e.g.
#   demo FAILED at step "volume lifecycle in the guest" (iscsi-ext4: step NodeStageVolume), exit 1; logs: /tmp/tnas-demo.X
# The logs directory is removed when the demo passes and kept when it fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
logs="$(mktemp -d /tmp/tnas-demo.XXXXXX)"
build="$root/build"
flavours=(iscsi-ext4 nfs-4.2)

failed() {  # failed <step> <exit status> [<log file>] [<what failed>]
  echo
  echo "demo FAILED at step \"$1\"${4:+ ($4)}, exit $2; logs: ${3:-$logs}"
  exit 1
}
# run_logged <step> <log file> <command...>: output to the log only; on failure its tail is shown.
run_logged() {
  local step="$1" log="$2" rc=0
  shift 2
  "$@" >"$log" 2>&1 || rc=$?
  if ((rc != 0)); then
    tail -n 30 "$log" | sed 's/^/  | /'
    failed "$step" "$rc" "$log"
  fi
}
# run_shown <step> <log file> <command...>: output shown and kept in the log.
run_shown() {
  local step="$1" log="$2" rc=0
  shift 2
  "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
  ((rc == 0)) || failed "$step" "$rc" "$log"
}

echo "== setting up (Debian packages, only the missing ones)"
run_logged "setup (scripts/setup-deps.sh)" "$logs/setup.log" ./scripts/setup-deps.sh
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
echo "== building (first run takes a while)"
run_logged "build (scripts/build.sh release)" "$logs/build.log" ./scripts/build.sh release

echo
echo "== 1. Identity over CSI"
run_shown "identity over CSI" "$logs/identity.log" "$build/test/tools/tnas-csi-client" demo \
  --controller-bin "$build/controller/truenas-csi-controller" \
  --node-bin "$build/agent/truenas-csi-node"

echo
echo "== 2. Volume lifecycle on a real kernel (QEMU guest: iscsid, LIO target, kernel NFS)"
results="$logs/guest-results"
export TNAS_GUEST_RESULTS="$results" TNAS_GUEST_CONSOLE="$logs/guest-console.log"
guest_rc=0
"$root/test/guest/run-in-guest.sh" --timeout 900 \
  "$root/test/e2e/guest/lifecycle-in-guest.sh" "$build" "${flavours[@]}" 2>&1 |
  tee "$logs/guest.log" || guest_rc=${PIPESTATUS[0]}

# The table, also after a failure: it shows which step of which volume failed.
reports=()
for f in "${flavours[@]}"; do reports+=("$results/$f.json"); done
py="$(command -v /usr/bin/python3 || command -v python3)"
table_rc=0
"$py" "$root/scripts/demo-table.py" --node-log="$results/node.log" \
  --failure-out="$logs/first-failure" "${reports[@]}" || table_rc=$?
if ((guest_rc != 0 || table_rc != 0)); then
  what=""
  [[ -s "$logs/first-failure" ]] && what="$(head -n 1 "$logs/first-failure")"
  ((guest_rc == 125)) && what="the guest rig failed; console: $logs/guest-console.log"
  ((guest_rc == 124)) && what="timed out; console: $logs/guest-console.log"
  failed "volume lifecycle in the guest" "$((guest_rc ? guest_rc : table_rc))" "$logs" "$what"
fi
echo
echo "demo finished: both volumes went through their whole life"
rm -rf "$logs"
