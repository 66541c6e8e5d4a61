#!/bin/bash
# Stage 2 of the guest boot, run by the initramfs /init chrooted into the host root (read-only 9p).
# Makes the writable places writable, starts the services the real-kernel tests need (udevd,
# iscsid, LIO configfs, rpcbind + kernel nfsd + mountd), runs the job that run-in-guest.sh left in
# the I/O share, writes its status, output and timings there, and returns to /init (power off).
#
#   guest-stage2.sh <io-dir>
#
# run-in-guest.sh copies this script into the I/O share and /init runs it from there. The share
# holds: job.sh (the job: script + args), job.env (TNAS_* variables to export), host-paths (the
# host paths the job needs, NUL-separated); this script writes: output (the job's stdout+stderr),
# status, timings, services.log, results/.
IO="$1"
[[ -n "${tnas_debug:-}" ]] && set -x
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 SYSTEMD_IGNORE_CHROOT=1
up() { cut -d' ' -f1 /proc/uptime; }
t_stage2=$(up)
exec 3>>"$IO/services.log"
log() { echo "stage2 $(up): $*" >&3; }
result() {
  echo "TNAS-GUEST-RESULT status=$1${2:+ reason=\"$2\"}"
}

die() {
  log "FATAL: $*"
  echo 125 >"$IO/status"
  result 125 "$*"
  exit 125
}

# Writable places: tmpfs, seeded with the host's (read-only) content where the services need it.
overlay_dir() {  # overlay_dir <dir>: tmpfs over <dir> with a copy of its content
  local d="$1" tmp
  tmp=$(mktemp -d /run/seed.XXXX)
  [[ -d "$d" ]] && cp -a "$d/." "$tmp/" 2>/dev/null
  mount -t tmpfs -o mode=755 tmpfs "$d" || die "tmpfs over $d"
  cp -a "$tmp/." "$d/" 2>/dev/null
  rm -rf "$tmp"
}
# /tmp, /root and /var/tmp are the guest's own; the host's stay reachable under /run/host-view
# (/init mounts the host's /tmp there; /root and /var/tmp are kept before tmpfs covers them).
declare -A host_view=([/tmp]=/run/hosttmp [/root]=/run/host-view/root [/var/tmp]=/run/host-view/var-tmp)
for d in /root /var/tmp; do
  mkdir -p "${host_view[$d]}" && mount --bind "$d" "${host_view[$d]}" || die "cannot keep host $d"
done
for d in /root /var/tmp /var/log; do
  mount -t tmpfs -o mode=755 tmpfs "$d" || die "tmpfs over $d"
done
# bind_host_path <path>: when <path> lies under a directory the guest hides, binds the host's entry
# of that directory that holds it (read-only) at the same place, so the path means what it means
# on the host. Returns 1 only when the host entry exists and cannot be bound.
bind_host_path() {
  local p="$1" d top src dst
  for d in "${!host_view[@]}"; do
    [[ "$p" == "$d"/?* ]] || continue
    top="${p#"$d"/}"
    top="${top%%/*}"
    src="${host_view[$d]}/$top" dst="$d/$top"
    [[ -e "$src" || -L "$src" ]] || return 0  # not on the host either: nothing to show
    [[ -e "$dst" ]] && return 0               # already bound (or the guest's own, e.g. the I/O share)
    if [[ -d "$src" ]]; then mkdir -p "$dst"; else : >"$dst"; fi
    mount --bind -o ro "$src" "$dst" || { log "cannot bind host $dst"; return 1; }
    log "host $dst bound in"
  done
  return 0
}
if [[ -f "$IO/host-paths" ]]; then
  while IFS= read -r -d '' p; do
    bind_host_path "$p" || die "cannot bind the host path $p"
  done <"$IO/host-paths"
fi
for d in /var/lib/nfs /etc/iscsi /var/lib/iscsi /var/lib/rpcbind; do  # small, seeded
  [[ -d "$d" ]] || continue
  overlay_dir "$d"
done
# Single files the services or the backing rewrite: bind a tmpfs copy over each.
mkdir -p /run/tnas-etc
for f in /etc/exports /etc/hostname /etc/hosts; do
  [[ -e "$f" ]] || continue
  cp "$f" "/run/tnas-etc/${f##*/}"
  mount --bind "/run/tnas-etc/${f##*/}" "$f" || die "bind over $f"
done
echo "127.0.0.1 localhost tnas-guest" >/etc/hosts
hostname tnas-guest
ip link set lo up || die "cannot bring lo up"

# Rig settings the caller chose (--scratch-size, TNAS_GUEST_INITIATOR) travel in job.env with every
# other TNAS_* variable; they are needed before the job's environment is loaded below.
rig_setting() { (set -a && . "$IO/job.env" && printenv "$1") 2>/dev/null; }
scratch_size="$(rig_setting TNAS_GUEST_SCRATCH_SIZE)"
scratch_size="${scratch_size:-6g}"
requested_initiator="$(rig_setting TNAS_GUEST_INITIATOR)"

# Scratch area for backing files: ext4 on a loop device over a sparse file in tmpfs (sparse: only
# written blocks use the guest's 2 GiB of RAM), mounted at /srv/tnas; its mnt/ directory is bind-
# mounted on /mnt for NFS dataset directories. ext4 rather than tmpfs: exports need a file system
# with a UUID (NFSv4 pseudo-root), as a ZFS dataset has.
mkdir -p /srv/tnas || die "mkdir /srv/tnas"
mkdir -p /run/scratch && mount -t tmpfs -o "size=$scratch_size" scratch /run/scratch ||
  die "scratch tmpfs"
truncate -s "$scratch_size" /run/scratch/disk.img
mkfs.ext4 -q -F -m 0 -J size=8 -E lazy_itable_init=1,lazy_journal_init=1,nodiscard \
  /run/scratch/disk.img >&3 2>&1 || die "mkfs of the scratch disk"
mount -o loop,noatime /run/scratch/disk.img /srv/tnas || die "cannot mount the scratch disk"
mkdir -p /srv/tnas/mnt
mount --bind /srv/tnas/mnt /mnt || die "bind /mnt"
mkdir -p /run/lock/iscsi /run/lock/subsys
t_fs=$(up)

# udev
mkdir -p /run/udev
/lib/systemd/systemd-udevd --daemon >&3 2>&1 || die "systemd-udevd did not start"
# Existing devices: only block devices matter (iSCSI disks appear later, with their own uevents).
udevadm trigger --action=add --subsystem-match=block >&3 2>&1
udevadm settle --timeout=30 >&3 2>&1
t_udev=$(up)

# iscsid, with a fresh initiator name per boot (or the one the job asks for).
iname="${requested_initiator:-iqn.1993-08.org.debian:01:$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')}"
echo "InitiatorName=$iname" >/etc/iscsi/initiatorname.iscsi
iscsid >&3 2>&1 || die "iscsid did not start"
for _ in $(seq 50); do
  iscsiadm -m session >/dev/null 2>&1; rc=$?
  [[ $rc == 0 || $rc == 21 ]] && break   # 21: no active sessions = iscsid answered
  sleep 0.1
done
[[ $rc == 0 || $rc == 21 ]] || die "iscsid does not answer (iscsiadm status $rc)"
t_iscsid=$(up)

# LIO: configfs is mounted by /init; target_core_mod populates /sys/kernel/config/target.
[[ -d /sys/kernel/config/target/iscsi ]] || mkdir /sys/kernel/config/target/iscsi 2>/dev/null ||
  die "LIO iSCSI fabric unavailable"

# NFS server: rpc_pipefs, nfsd fs, rpcbind, statd, nfsd with short grace and lease, mountd.
mkdir -p /run/rpc_pipefs /var/lib/nfs/rpc_pipefs /var/lib/nfs/v4recovery
mount -t rpc_pipefs sunrpc /run/rpc_pipefs 2>/dev/null
mount -t nfsd nfsd /proc/fs/nfsd || die "cannot mount nfsd"
: >/etc/exports
rpcbind -w >&3 2>&1 || die "rpcbind did not start"
rpc.statd --no-notify >&3 2>&1 || log "rpc.statd did not start (v3 locking unavailable)"
exportfs -ra >&3 2>&1
rpc.nfsd --grace-time 10 --lease-time 10 4 >&3 2>&1 || die "rpc.nfsd failed"
rpc.mountd >&3 2>&1 || die "rpc.mountd did not start"
t_ready=$(up)
log "services ready (initiator $iname)"

# The job.
set -a
[[ -f "$IO/job.env" ]] && . "$IO/job.env"
set +a
export TNAS_GUEST=1 TNAS_GUEST_IO="$IO" TNAS_RESULTS_DIR="$IO/results" TNAS_GUEST_INITIATOR="$iname"
mkdir -p "$IO/results"
cd "${TNAS_GUEST_CWD:-/}" || die "no directory ${TNAS_GUEST_CWD}"
result_status=0
bash "$IO/job.sh" >"$IO/output" 2>&1 </dev/null || result_status=$?
t_job=$(up)
echo "$result_status" >"$IO/status"
cat >"$IO/timings" <<T
stage2_start $t_stage2
filesystems $t_fs
udev $t_udev
iscsid $t_iscsid
services_ready $t_ready
job_end $t_job
T
sync
result "$result_status"
exit "$result_status"
