#!/bin/bash
# Builds the real-kernel test guest from Debian packages only: Debian 12's own kernel (fetched with
# `apt-get download`, unpacked with `dpkg -x`, indexed with `depmod -b`) and a busybox-static
# initramfs that loads the modules the rig needs and chroots into the host root shared over 9p
# (see test/guest/README.md). The result is cached under <outdir>/<key>, the key being the kernel
# and busybox package versions plus a hash of this script, so a second run is a no-op.
#
#   build-guest.sh [<outdir>]      (default: $TNAS_GUEST_DIR or /var/cache/tnas-guest)
#
# On success prints the guest directory (holding vmlinuz, initrd.img, kernel.version) on stdout.
# Installs missing host packages with apt-get (needs root). Safe to run concurrently (flock).
set -euo pipefail

OUT="${1:-${TNAS_GUEST_DIR:-/var/cache/tnas-guest}}"
log() { echo "build-guest: $*" >&2; }

# Modules, in the order the rig wants them; dependencies are resolved with modprobe --show-depends.
MODULES=(virtio_pci virtio_blk virtio_console 9pnet_virtio 9p
  scsi_transport_iscsi libiscsi iscsi_tcp sd_mod
  configfs target_core_mod iscsi_target_mod target_core_file
  nfs nfsv3 nfsv4 nfsd ext4 xfs loop crc32c_generic
  dm_mod dm_multipath dm_round_robin dm_service_time scsi_dh_alua)

need_tools() {
  local missing=()
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  # grep reads the whole list: with pipefail, `grep -q` quitting early can SIGPIPE busybox and
  # make an installed busybox-static look missing (seen when several guest tests start at once).
  [[ -x /bin/busybox ]] && /bin/busybox --list 2>/dev/null | grep -x insmod >/dev/null ||
    missing+=(busybox-static)
  command -v depmod >/dev/null || missing+=(kmod)
  command -v cpio >/dev/null || missing+=(cpio)
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get install -y "${missing[@]}" >&2 || { apt-get update >&2 && apt-get install -y "${missing[@]}" >&2; }
  fi
}

candidate() { apt-cache policy "$1" | awk '/Candidate:/ {print $2; exit}'; }

main() {
  mkdir -p "$OUT"
  exec 9>"$OUT/.lock"
  flock 9  # concurrent guest tests: one installs and builds, the others wait and reuse
  need_tools

  local kpkg
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  if [[ -z "$kpkg" ]]; then
    apt-get update >&2
    kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  [[ -n "$kpkg" ]] || { log "cannot resolve linux-image-amd64"; exit 1; }
  local kver="${kpkg#linux-image-}"
  local kdeb_ver bb_ver self_hash key
  kdeb_ver=$(candidate "$kpkg")
  bb_ver=$(dpkg-query -W -f='${Version}' busybox-static)
  self_hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)
  key="${kver}_${kdeb_ver}_bb${bb_ver}_${self_hash}"
  key="${key//[:~+]/-}"
  local dir="$OUT/$key"
  if [[ -f "$dir/ready" ]]; then
    log "cached: $dir"
    echo "$dir"
    return 0
  fi

  local t0=$SECONDS
  rm -rf "$dir" && mkdir -p "$dir"
  local work="$dir/work"
  mkdir -p "$work"
  log "fetching $kpkg $kdeb_ver"
  (cd "$work" && apt-get download "$kpkg=$kdeb_ver" >&2 2>/dev/null) ||
    (cd "$work" && apt-get update >&2 && apt-get download "$kpkg=$kdeb_ver" >&2)
  dpkg -x "$work"/*.deb "$work/root"
  depmod -b "$work/root" "$kver"
  cp "$work/root/boot/vmlinuz-$kver" "$dir/vmlinuz"
  echo "$kver" >"$dir/kernel.version"

  # The initramfs: busybox, the modules in dependency order, and /init.
  local ird="$work/initrd"
  mkdir -p "$ird"/{bin,dev,proc,sys,newroot,lib/modules}
  cp /bin/busybox "$ird/bin/busybox"
  local order="$ird/lib/modules/order" seen=" " m line path rel
  : >"$order"
  for m in "${MODULES[@]}"; do
    while read -r line; do
      [[ "$line" == insmod* ]] || continue
      path=$(awk '{print $2}' <<<"$line")
      rel="${path#"$work/root/lib/modules/$kver/"}"
      [[ "$seen" == *" $rel "* ]] && continue
      seen+="$rel "
      mkdir -p "$ird/lib/modules/$(dirname "$rel")"
      cp "$path" "$ird/lib/modules/$rel"
      echo "$rel" >>"$order"
    done < <(modprobe -d "$work/root" -S "$kver" --show-depends "$m")
  done
  write_init >"$ird/init"
  chmod 755 "$ird/init"
  (cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initrd.img"
  local count
  count=$(wc -l <"$order")
  rm -rf "$work"
  touch "$dir/ready"
  ln -sfn "$key" "$OUT/current"
  # Older builds (another kernel or script version) are dropped.
  local old
  for old in "$OUT"/*_bb*; do
    [[ -d "$old" && "$old" != "$dir" ]] && rm -rf "$old"
  done
  log "built $dir in $((SECONDS - t0)) s ($count modules)"
  echo "$dir"
}

# /init (busybox sh, PID 1): load modules, mount the host root read-only over 9p, build the new
# root (tmpfs + bind mounts of the host directories), mount the kernel file systems and tmpfs, mount the writable I/O share at its host path,
# then run the stage-2 script (a file of the host tree, so editing it needs no rebuild) chrooted,
# and power off. Kernel parameters without dots reach /init as environment variables.
write_init() {
  cat <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
t_init=$(cut -d' ' -f1 /proc/uptime)
fail() { echo "TNAS-GUEST-RESULT status=125 reason=\"$*\""; sync; poweroff -f; sleep 5; }
while read -r mod; do
  insmod "/lib/modules/$mod" 2>/dev/null || echo "init: insmod $mod failed"
done </lib/modules/order
t_modules=$(cut -d' ' -f1 /proc/uptime)
opts=trans=virtio,version=9p2000.L,msize=512000
mkdir -p /host
mount -t 9p -o "$opts,ro,cache=loose" hostroot /host || fail "cannot mount the host root"
# The new root is a tmpfs holding read-only bind mounts of the host's top-level entries (and
# copies of its symlinks): "/" must be a file system nfsd can export (the NFSv4 pseudo-root), which
# 9p is not. /var and /var/lib are grafted the same way, so tests can create directories there
# (/var/lib/kubelet, …) while the host's content stays visible.
graft() {  # graft <host dir> <new dir> "<names to leave as empty directories>"
  mount -t tmpfs -o mode=755 graft "$2"
  for e in "$1"/* "$1"/.[!.]*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    n=${e##*/}
    case " $3 " in *" $n "*) mkdir -p "$2/$n"; continue ;; esac
    if [ -L "$e" ]; then cp -a "$e" "$2/$n"
    elif [ -d "$e" ]; then mkdir -p "$2/$n" && mount -o bind "$e" "$2/$n"
    elif [ -f "$e" ]; then : >"$2/$n" && mount -o bind "$e" "$2/$n"
    fi
  done
}
R=/newroot
graft /host $R "proc sys dev run tmp mnt srv lost+found var"
graft /host/var $R/var "lib"
graft /host/var/lib $R/var/lib ""
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts
mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/pts
mkdir -p $R/dev/shm && mount -t tmpfs -o mode=1777 shm $R/dev/shm
mount -t configfs configfs $R/sys/kernel/config
mount -t tmpfs -o mode=755 run $R/run
mount -t tmpfs -o mode=1777 tmp $R/tmp
[ -n "$tnas_io" ] || fail "no tnas_io"
mkdir -p "$R$tnas_io"
mount -t 9p -o "$opts,cache=none" tnasio "$R$tnas_io" || fail "cannot mount the I/O share"
# The host's /tmp (read-only): stage 2 binds the parts a job needs (a build tree cloned under /tmp).
mkdir -p $R/run/hosttmp
mount -t 9p -o "$opts,ro,cache=loose" hosttmp $R/run/hosttmp || echo "init: no host /tmp share"
echo "t_init=$t_init t_modules=$t_modules" >"$R$tnas_io/init.timings"
echo "init: chroot to stage 2 $tnas_stage2"
chroot $R /bin/bash "$tnas_stage2" "$tnas_io"
echo "init: stage 2 ended with $?"
sync
poweroff -f
sleep 10
INIT
}

main "$@"
