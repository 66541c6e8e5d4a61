#!/usr/bin/env bash
# The demo. On a fresh Debian 12 machine (root): installs what is missing, builds, then
#  1. starts both binaries with nothing but --endpoint and shows what they report over CSI Identity;
#  2. boots the real-kernel guest (QEMU, Debian's kernel) and runs the whole lifecycle of one iSCSI
#     and one NFS volume there — TrueNAS simulator with real LIO/NFS backing, controller, node agent
#     — step by step with each step's duration, then a final table.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./scripts/setup-deps.sh
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
echo "== building (first run takes a while)"
./scripts/build.sh release >/dev/null
build="$root/build"

echo
echo "== 1. Identity over CSI"
"$build/test/tools/tnas-csi-client" demo \
  --controller-bin "$build/controller/truenas-csi-controller" \
  --node-bin "$build/agent/truenas-csi-node"

echo
echo "== 2. Volume lifecycle on a real kernel (QEMU guest: iscsid, LIO target, kernel NFS)"
results="$(mktemp -d /tmp/tnas-demo.XXXXXX)"
trap 'rm -rf "$results"' EXIT
export TNAS_GUEST_RESULTS="$results"
set +e
"$root/test/guest/run-in-guest.sh" --timeout 900 \
  "$root/test/e2e/guest/lifecycle-in-guest.sh" "$build" iscsi-ext4 nfs-4.2
rc=$?
set -e
py="$(command -v /usr/bin/python3 || command -v python3)"
"$py" "$root/scripts/demo-table.py" --node-log="$results/node.log" "$results"/*.json || rc=1
echo
if ((rc == 0)); then echo "demo finished: both volumes went through their whole life"; else
  echo "demo FAILED (exit $rc); logs were in $results"; fi
exit "$rc"
