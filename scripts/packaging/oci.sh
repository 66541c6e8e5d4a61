#!/usr/bin/env bash
# Turns a directory tree into a single-layer OCI image archive with Debian's umoci and skopeo (no
# container daemon needed).
#
#   oci.sh TREE OUT.tar REF [--entrypoint PATH] [--user UID[:GID]] [--env K=V ...]
#          [--label K=V ...] [--workdir DIR]
#
# TREE becomes the image's root file system (owned by root, modes kept). REF is `name:tag`; the
# archive is written as `oci-archive:OUT.tar:REF`, which `skopeo copy` can push to any registry
# and `umoci unpack --image OUT-dir:tag` can read back. The architecture is the build machine's.
set -euo pipefail

die() { echo "oci.sh: $*" >&2; exit 1; }
(($# >= 3)) || die "usage: oci.sh TREE OUT.tar REF [--entrypoint P] [--user U] [--env K=V] [--label K=V]"
tree="$1" out="$2" ref="$3"
shift 3
[[ -d "$tree" ]] || die "$tree is not a directory"
[[ "$ref" == *:* ]] || die "REF must be name:tag"
tag="${ref##*:}"
config=()
while (($#)); do
  case "$1" in
    --entrypoint) config+=(--config.entrypoint "$2") ;;
    --user) config+=(--config.user "$2") ;;
    --env) config+=(--config.env "$2") ;;
    --label) config+=(--config.label "$2") ;;
    --workdir) config+=(--config.workingdir "$2") ;;
    *) die "unknown option $1" ;;
  esac
  shift 2
done
command -v umoci >/dev/null || die "umoci is not installed (apt-get install umoci)"
command -v skopeo >/dev/null || die "skopeo is not installed (apt-get install skopeo)"
arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
layout="$work/layout"
umoci init --layout "$layout"
umoci new --image "$layout:$tag"
umoci unpack --image "$layout:$tag" "$work/bundle" >/dev/null
# Ownership and modes are kept as they are in TREE (build it as root).
cp -a "$tree/." "$work/bundle/rootfs/"
umoci repack --image "$layout:$tag" "$work/bundle"
umoci config --image "$layout:$tag" --os linux --architecture "$arch" \
  --author "truenas-csi" --no-history "${config[@]}"
umoci gc --layout "$layout"
mkdir -p "$(dirname "$out")"
rm -f "$out"
skopeo copy --quiet "oci:$layout:$tag" "oci-archive:$out:$ref"
