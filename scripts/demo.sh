#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts both binaries on unix sockets and shows what
# each reports over CSI Identity (plugin info, capabilities, readiness).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./scripts/setup-deps.sh
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
./scripts/build.sh release truenas-csi-controller truenas-csi-node tnas-csi-client >/dev/null
exec "$root/build/test/tools/tnas-csi-client" demo \
  --controller-bin "$root/build/controller/truenas-csi-controller" \
  --node-bin "$root/build/agent/truenas-csi-node"
