#!/usr/bin/env bash
# Packaging test: the Talos system extension.
#
#   talos_test.sh SOURCE_DIR NODE_BIN CSI_CLIENT VERSION
#
# Builds the extension image archive, unpacks it with umoci, checks manifest + service spec
# against Talos' rules and that nothing lies outside the allowed paths (talos_check.py), then
# runs the shipped agent inside the shipped rootfs with chroot: --version, and started with
# --endpoint and the spec's --config in fresh network and mount namespaces, Probe through the CSI socket must say ready=false with
# no iscsid and ready=true once a stand-in listens on @ISCSIADM_ABSTRACT_NAMESPACE in that netns.
set -euo pipefail
src="$1" node_bin="$2" client="$3" version="$4"
py="$(command -v /usr/bin/python3 || command -v python3)"
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
[[ $(id -u) -eq 0 ]] || fail "needs root (chroot, unshare)"

tmp="$(mktemp -d)"
agent_pid="" listener_pidfile="$tmp/listener.pid"
cleanup() {
  [[ -n "$agent_pid" ]] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  [[ -f "$listener_pidfile" ]] && kill "$(cat "$listener_pidfile")" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

step "build the extension"
t0=$SECONDS
"$src/scripts/packaging/talos.sh" "$node_bin" "$tmp/ext.tar" "$version"
echo "extension archive: $(stat -c %s "$tmp/ext.tar") bytes, built in $((SECONDS - t0)) s"

step "unpack with umoci"
mkdir "$tmp/layout"
tar -C "$tmp/layout" -xf "$tmp/ext.tar"
umoci unpack --image "$tmp/layout:truenas-csi-node-talos:v$version" "$tmp/bundle" >/dev/null
ext="$tmp/bundle/rootfs"
rootfs="$ext/rootfs/usr/local/lib/containers/truenas-csi-node"

step "manifest, service spec and paths"
"$py" "$src/scripts/packaging/talos_check.py" "$ext"
grep -qx "  version: \"v$version\"" "$ext/manifest.yaml" || fail "manifest version is not v$version"
grep -q '">= v1.10.0"' "$ext/manifest.yaml" || fail "manifest lacks the Talos >= v1.10.0 constraint"
for dep in "service: ext-iscsid" "service: udevd" "- network:"; do
  grep -q -- "$dep" "$ext/rootfs/usr/local/etc/containers/truenas-csi-node.yaml" ||
    fail "service spec does not depend on '$dep'"
done
# Every ELF file in the rootfs must find its libraries inside the rootfs: checked by running them.
[[ -x "$rootfs/usr/sbin/mkfs.ext4" && -x "$rootfs/usr/sbin/mkfs.xfs" ]] || fail "mkfs tools missing"

[[ -f "$rootfs/etc/truenas-csi/node.yaml" ]] || fail "no mount target for the service config file"
cfg="$(grep -o -- '--config=[^ ]*' "$ext/rootfs/usr/local/etc/containers/truenas-csi-node.yaml")"

step "chroot: --version"
out="$(chroot "$rootfs" /usr/local/bin/truenas-csi-node --version)"
echo "$out"
[[ "$out" == *"$version"* ]] || fail "--version does not print $version"
[[ "$(chroot "$rootfs" /usr/sbin/mkfs.ext4 -V 2>&1)" == *"mke2fs 1."* ]] ||
  fail "mkfs.ext4 does not run in the rootfs"
[[ "$(chroot "$rootfs" /usr/sbin/mkfs.xfs -V 2>&1)" == *"mkfs.xfs version"* ]] ||
  fail "mkfs.xfs does not run in the rootfs"

# As on Talos, the host's kubelet dir is bound over the service rootfs' /var/lib/kubelet (here in
# a private mount namespace, from a scratch "host" dir), and the socket directory exists because
# Talos creates a missing mount source (the spec lists it as one). The client reaches the socket
# from outside through the "host" path, as kubelet does.
hostkubelet="$tmp/host-kubelet"
sockdir="$hostkubelet/plugins/csi.truenas-csi.io"
mkdir -p "$sockdir"
endpoint="unix:///var/lib/kubelet/plugins/csi.truenas-csi.io/csi.sock"
probe() {  # expect ready=true|false
  local want="$1" listener="$2"
  rm -f "$listener_pidfile" "$sockdir/csi.sock"
  local inner="mount --bind '$hostkubelet' '$rootfs/var/lib/kubelet' &&
    exec chroot '$rootfs' /usr/local/bin/truenas-csi-node --endpoint '$endpoint' $cfg"
  if [[ "$listener" == yes ]]; then
    inner="'$py' '$src/test/packaging/iscsid_listener.py' '$listener_pidfile' 60 &
           for i in \$(seq 100); do [ -f '$listener_pidfile' ] && break; sleep 0.05; done
           $inner"
  fi
  unshare --net --mount -- sh -c "$inner" >"$tmp/agent.log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 200); do
    [[ -S "$sockdir/csi.sock" ]] && break
    kill -0 "$agent_pid" 2>/dev/null || { cat "$tmp/agent.log"; fail "agent exited early"; }
    sleep 0.05
  done
  [[ -S "$sockdir/csi.sock" ]] || { cat "$tmp/agent.log"; fail "no CSI socket after 10 s"; }
  local report
  report="$("$client" identity --endpoint "unix://$sockdir/csi.sock")" ||
    { echo "$report"; cat "$tmp/agent.log"; fail "identity call failed"; }
  echo "$report"
  [[ "$report" == *"ready=$want"* ]] || { cat "$tmp/agent.log"; fail "expected ready=$want"; }
  [[ "$report" == *"name=csi.truenas-csi.io"* ]] || fail "driver name is not csi.truenas-csi.io"
  kill -TERM "$agent_pid"
  wait "$agent_pid" || fail "agent did not exit cleanly on SIGTERM"
  agent_pid=""
  if [[ -f "$listener_pidfile" ]]; then kill "$(cat "$listener_pidfile")" 2>/dev/null || true; fi
  [[ ! -e "$sockdir/csi.sock" ]] || fail "agent left its socket behind"
}
step "chroot + fresh netns, no iscsid: expect ready=false"
probe false no
step "chroot + fresh netns, stand-in iscsid socket in the same netns: expect ready=true"
probe true yes
echo "PASS talos extension"
