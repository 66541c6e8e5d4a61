#!/usr/bin/env bash
# Builds every release artefact from the normal (release) build and prints their sizes:
#
#   scripts/package.sh [OUTDIR]          (default: build/packages)
#
#   truenas-csi_<version>_<arch>.deb                  both binaries, systemd unit, config, docs
#   truenas-csi-controller-<version>.oci.tar          controller image (uid 65532)
#   truenas-csi-node-<version>.oci.tar                node agent image (root; DaemonSet mode)
#   truenas-csi-node-talos-<version>.oci.tar          Talos system extension
#   manifests/{daemonset,host-agent,examples}.yaml    rendered Kubernetes manifests
#
# Needs root (image trees are owned by root) and the Debian packages in scripts/deps/packaging.txt.
# Push an image archive with e.g.
#   skopeo copy oci-archive:truenas-csi-node-0.1.0.oci.tar:truenas-csi-node:0.1.0 \
#     docker://registry.example.com/truenas-csi-node:0.1.0
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$root/build/packages}")"
pk="$root/scripts/packaging"
py="$(command -v /usr/bin/python3 || command -v python3)"
[[ $(id -u) -eq 0 ]] || { echo "package.sh: run as root (image trees must be owned by root)" >&2; exit 1; }

"$root/scripts/build.sh" release truenas-csi-controller truenas-csi-node
build="$root/build"
version="$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")"
[[ -n "$version" ]] || { echo "package.sh: no project version in $build/CMakeCache.txt" >&2; exit 1; }
ctrl="$build/controller/truenas-csi-controller"
node="$build/agent/truenas-csi-node"
mkdir -p "$out"
t0=$SECONDS

echo "== deb"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$build" && cpack --config CPackConfig.cmake -G DEB -B "$work" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; exit 1; }
cp "$work"/*.deb "$out/"
echo "== container images"
"$pk/images.sh" "$ctrl" "$node" "$out" "$version"
echo "== Talos extension"
"$pk/talos.sh" "$node" "$out/truenas-csi-node-talos-$version.oci.tar" "$version"
echo "== manifests"
mkdir -p "$out/manifests"
for dir in overlays/daemonset overlays/host-agent examples; do
  f="$out/manifests/$(basename "$dir").yaml"
  "$py" "$pk/kustomize_lite.py" "$root/deploy/$dir" -o "$f"
  "$py" "$pk/validate_k8s.py" "$f" >/dev/null
done
"$py" "$pk/check_consistency.py" "$root" >/dev/null
# Flags the artefacts pass that the binaries do not accept yet: a warning, not a failure, while
# the controller and node services are still being built.
"$py" "$pk/check_consistency.py" "$root" --binaries "$ctrl" "$node" 2>"$work/flags.log" >/dev/null ||
  { echo "warning: the binaries do not accept every flag the artefacts use:"; sed 's/^check_consistency: /  /' "$work/flags.log"; }

echo "== artefacts in $out (built in $((SECONDS - t0)) s)"
for f in "$out"/*.deb "$out"/*.oci.tar; do
  printf '%10s  %s\n' "$(numfmt --to=iec --suffix=B "$(stat -c %s "$f")")" "$(basename "$f")"
done
for f in "$out"/manifests/*.yaml; do
  printf '%10s  manifests/%s (%s objects)\n' "$(numfmt --to=iec --suffix=B "$(stat -c %s "$f")")" \
    "$(basename "$f")" "$(grep -c '^kind:' "$f")"
done
