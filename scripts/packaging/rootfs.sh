#!/usr/bin/env bash
# Lays out the root file system of one of our two runtime environments from the built binaries
# and the build machine's Debian libraries (only what `ldd` says they need):
#
#   rootfs.sh node DIR NODE_BIN         agent + mkfs.ext4/mkfs.xfs (the only tools it execs), root
#   rootfs.sh controller DIR CTRL_BIN   controller + CA bundle, runs as uid 65532
#
# The node tree is both the agent container image and the Talos extension's service rootfs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "rootfs.sh: $*" >&2; exit 1; }
(($# == 3)) || die "usage: rootfs.sh node|controller DIR BINARY"
kind="$1" dir="$2" bin="$3"
[[ -x "$bin" ]] || die "$bin is not an executable (build it first: ./scripts/build.sh release)"
py="$(command -v /usr/bin/python3 || command -v python3)"
mkdir -p "$dir"

common_etc() {  # passwd/group/nsswitch for glibc; mtab for mkfs and libmount
  mkdir -p "$dir/etc" "$dir/tmp" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/run"
  chmod 1777 "$dir/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
    >"$dir/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$dir/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$dir/etc/nsswitch.conf"
  ln -sfn ../proc/self/mounts "$dir/etc/mtab"
}

case "$kind" in
  node)
    for tool in /sbin/mke2fs /sbin/mkfs.xfs; do
      [[ -x "$tool" ]] || die "$tool is missing (apt-get install e2fsprogs xfsprogs)"
    done
    "$py" "$here/rootfs.py" "$dir" --strip \
      --binary "$bin:/usr/local/bin/truenas-csi-node" \
      --binary /sbin/mke2fs:/usr/sbin/mke2fs \
      --binary /sbin/mkfs.xfs:/usr/sbin/mkfs.xfs \
      --symlink /usr/sbin/mkfs.ext4:mke2fs \
      --file /etc/mke2fs.conf:/etc/mke2fs.conf >/dev/null
    common_etc
    # Mount points of the Talos service spec and the DaemonSet (the Talos rootfs is read-only).
    mkdir -p "$dir/run/udev" "$dir/var/lib/kubelet/plugins/csi.truenas-csi.io" \
      "$dir/var/lib/truenas-csi" "$dir/etc/truenas-csi"
    ;;
  controller)
    "$py" "$here/rootfs.py" "$dir" --strip \
      --binary "$bin:/usr/local/bin/truenas-csi-controller" >/dev/null
    common_etc
    mkdir -p "$dir/csi" "$dir/etc/truenas-csi/secrets" "$dir/home/nonroot"
    chown 65532:65532 "$dir/home/nonroot" 2>/dev/null || true
    if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
      mkdir -p "$dir/etc/ssl/certs"
      cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/"
    fi
    ;;
  *) die "unknown kind $kind (node|controller)" ;;
esac
