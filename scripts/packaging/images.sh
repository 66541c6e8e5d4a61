#!/usr/bin/env bash
# Builds the two container images as OCI image archives (umoci + skopeo, no daemon):
#
#   images.sh CONTROLLER_BIN NODE_BIN OUTDIR VERSION
#
# OUTDIR/truenas-csi-controller-VERSION.oci.tar  ref truenas-csi-controller:VERSION, uid 65532
# OUTDIR/truenas-csi-node-VERSION.oci.tar        ref truenas-csi-node:VERSION, root
# Each holds only its binary (stripped), the shared libraries `ldd` says it needs, and a minimal
# /etc; the node image also holds mkfs.ext4/mkfs.xfs. Either argument may be "-" to skip it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "images.sh: $*" >&2; exit 1; }
(($# == 4)) || die "usage: images.sh CONTROLLER_BIN|- NODE_BIN|- OUTDIR VERSION"
ctrl="$1" node="$2" outdir="$3" version="$4"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
label=(--label "org.opencontainers.image.version=$version"
  --label "org.opencontainers.image.title=truenas-csi")
if [[ "$ctrl" != "-" ]]; then
  "$here/rootfs.sh" controller "$work/controller" "$ctrl"
  "$here/oci.sh" "$work/controller" "$outdir/truenas-csi-controller-$version.oci.tar" \
    "truenas-csi-controller:$version" --entrypoint /usr/local/bin/truenas-csi-controller \
    --user 65532:65532 --env PATH=/usr/local/bin:/usr/bin "${label[@]}"
fi
if [[ "$node" != "-" ]]; then
  "$here/rootfs.sh" node "$work/node" "$node"
  "$here/oci.sh" "$work/node" "$outdir/truenas-csi-node-$version.oci.tar" \
    "truenas-csi-node:$version" --entrypoint /usr/local/bin/truenas-csi-node \
    --user 0:0 --env PATH=/usr/local/bin:/usr/sbin:/usr/bin "${label[@]}"
fi
