#!/usr/bin/env bash
# Packaging test: the controller and node container images (OCI archives).
#
#   images_test.sh SOURCE_DIR CONTROLLER_BIN NODE_BIN CSI_CLIENT VERSION
#
# Builds both archives, unpacks each with umoci and checks: the image reference and version
# label, the runtime user (controller uid 65532, node root), the entrypoint, that the libraries
# shipped are exactly the ldd closure of what the image runs (nothing extra, nothing missing),
# and that the binaries run from the unpacked rootfs with chroot (--version; the controller
# also serves Identity as uid 65532 and reports ready=false without a backend).
set -euo pipefail
src="$1" ctrl_bin="$2" node_bin="$3" client="$4" version="$5"
py="$(command -v /usr/bin/python3 || command -v python3)"
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
tmp="$(mktemp -d)"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

step "build both images"
t0=$SECONDS
"$src/scripts/packaging/images.sh" "$ctrl_bin" "$node_bin" "$tmp/out" "$version"
echo "built in $((SECONDS - t0)) s"

check_image() {  # name uid entrypoint tools...
  local name="$1" uid="$2" entry="$3"
  shift 3
  local archive="$tmp/out/$name-$version.oci.tar"
  [[ -f "$archive" ]] || fail "no $archive"
  echo "$name: $(stat -c %s "$archive") bytes"
  mkdir -p "$tmp/$name/layout"
  tar -C "$tmp/$name/layout" -xf "$archive"
  umoci unpack --image "$tmp/$name/layout:$name:$version" "$tmp/$name/bundle" >/dev/null ||
    fail "$name: no image $name:$version in the archive"
  local rootfs="$tmp/$name/bundle/rootfs"
  "$py" - "$tmp/$name/bundle/config.json" "$uid" "$entry" "$version" <<'EOF' || fail "$name: runtime config"
import json, sys
cfg = json.load(open(sys.argv[1]))
uid, entry, version = int(sys.argv[2]), sys.argv[3], sys.argv[4]
proc = cfg["process"]
assert proc["user"]["uid"] == uid, f"uid {proc['user']['uid']} != {uid}"
assert proc["args"][:1] == [entry], f"entrypoint {proc['args']} != {entry}"
labels = cfg.get("annotations", {})
assert labels.get("org.opencontainers.image.version") == version, f"version label {labels}"
EOF
  [[ -x "$rootfs$entry" ]] || fail "$name: $entry missing"
  # Libraries shipped == ldd closure of the binaries the image runs.
  "$py" - "$src/scripts/packaging" "$rootfs" "$@" <<'EOF' || fail "$name: library set"
import os, sys
sys.path.insert(0, sys.argv[1])
import rootfs as r
root, bins = sys.argv[2], sys.argv[3:]
libs, loaders = r.closure(bins)
want = {os.path.join(os.path.realpath(os.path.dirname(l)), os.path.basename(l)) for l in libs}
want |= set(loaders)
have = set()
for d, _, files in os.walk(root):
    for f in files:
        p = "/" + os.path.relpath(os.path.join(d, f), root)
        if ".so" in f:
            have.add(p)
extra, missing = sorted(have - want), sorted(want - have)
assert not extra and not missing, f"extra {extra} missing {missing}"
print(f"{len(have)} shared objects, exactly the ldd closure")
EOF
  local out
  out="$(chroot --userspec="$uid:$uid" "$rootfs" "$entry" --version)"
  [[ "$out" == *"$version"* ]] || fail "$name: --version printed '$out'"
  echo "$out"
}

step "controller image"
check_image truenas-csi-controller 65532 /usr/local/bin/truenas-csi-controller "$ctrl_bin"
step "node image"
check_image truenas-csi-node 0 /usr/local/bin/truenas-csi-node "$node_bin" /sbin/mke2fs /sbin/mkfs.xfs

step "controller serves Identity from its image as uid 65532"
rootfs="$tmp/truenas-csi-controller/bundle/rootfs"
chown 65532:65532 "$rootfs/csi"
chroot --userspec=65532:65532 "$rootfs" /usr/local/bin/truenas-csi-controller \
  --endpoint unix:///csi/csi.sock >"$tmp/ctrl.log" 2>&1 &
pid=$!
for _ in $(seq 200); do [[ -S "$rootfs/csi/csi.sock" ]] && break; sleep 0.05; done
[[ -S "$rootfs/csi/csi.sock" ]] || { cat "$tmp/ctrl.log"; fail "no controller socket"; }
[[ "$(stat -c %u "$rootfs/csi/csi.sock")" == 65532 ]] || fail "socket not owned by uid 65532"
ln -s "$rootfs/csi" "$tmp/c"
report="$("$client" identity --endpoint "unix://$tmp/c/csi.sock")" || { cat "$tmp/ctrl.log"; fail "identity"; }
echo "$report"
[[ "$report" == *"ready=false"* ]] || fail "controller without a backend must not be ready"
kill -TERM "$pid"
wait "$pid" || fail "controller did not exit cleanly"
pid=""
echo "PASS images"
