#!/usr/bin/env bash
# Builds the Talos system extension as an OCI image archive:
#
#   talos.sh NODE_BIN OUT.tar VERSION
#
# Image layout (what Talos' extension loader expects):
#   /manifest.yaml                                          from talos/manifest.yaml.in
#   /rootfs/usr/local/etc/containers/truenas-csi-node.yaml  the extension service spec
#   /rootfs/usr/local/lib/containers/truenas-csi-node/      the service's own root file system:
#       the agent, mkfs.ext4/mkfs.xfs and every shared library they need (ldd closure + loader)
# The image reference inside the archive is truenas-csi-node-talos:vVERSION.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
die() { echo "talos.sh: $*" >&2; exit 1; }
(($# == 3)) || die "usage: talos.sh NODE_BIN OUT.tar VERSION"
bin="$1" out="$2" version="$3"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+.][0-9A-Za-z.-]+)?$ ]] || die "bad version '$version'"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ext="$work/ext"
mkdir -p "$ext/rootfs/usr/local/etc/containers"
sed "s/@VERSION@/$version/g" "$root/talos/manifest.yaml.in" >"$ext/manifest.yaml"
cp "$root/talos/rootfs/usr/local/etc/containers/truenas-csi-node.yaml" \
  "$ext/rootfs/usr/local/etc/containers/"
svc_root="$ext/rootfs/usr/local/lib/containers/truenas-csi-node"
"$here/rootfs.sh" node "$svc_root" "$bin"
# Mount target for the ExtensionServiceConfig's file (the service rootfs is read-only, so the
# file must exist); a valid config on its own, in case Talos starts the service without one.
printf '%s\n' "# Replaced by the ExtensionServiceConfig truenas-csi-node (docs/install-talos.md)." \
  "log-level: info" >"$svc_root/etc/truenas-csi/node.yaml"
"$here/oci.sh" "$ext" "$out" "truenas-csi-node-talos:v$version"
