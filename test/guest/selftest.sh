#!/bin/bash
# guest_rig_selftest: run inside the guest by run-in-guest.sh (one boot). Checks the rig and the
# real backing end to end with Debian's own tools (iscsiadm here is test tooling only):
# udevd and iscsid up; zvol + masked iSCSI target created through tnas-guest-backing; login from
# the allowed IQN gives a disk with the extent serial in VPD 0x80, a wrong IQN is refused; an
# unrelated reconcile keeps the live session; CHAP one-way and mutual, wrong secrets refused;
# zvol.resize grows the LUN after a rescan (online ext4 grow); NFS v4.2 and v3 mounts of a dataset;
# snapshot/clone copy data; teardown leaves nothing. Prints PASS/FAIL per step with its time.
#
# Needs TNAS_BACKING_BIN (path of tnas-guest-backing). Exit status: number of failed steps (0 = ok).
set -uo pipefail
BACKING="${TNAS_BACKING_BIN:?TNAS_BACKING_BIN is not set}"
ROOT=/srv/tnas
PORTAL=127.0.0.1:3260
BASE=iqn.2005-10.org.freenas.ctl
IQN1="$BASE:pvc-1"
IQN2="$BASE:pvc-2"
ME="${TNAS_GUEST_INITIATOR:?not in the guest}"
SERIAL=3f1a9c0b2d7e4a1
NAA=0x6589cfc0000000aa
SECRET=chapsecret-0123456    # test-only credentials
PEERSECRET=peersecret-6543210
RESULTS="${TNAS_RESULTS_DIR:-/tmp}"
failures=0

now() { date +%s.%N; }
step() {  # step <name> <function>
  local name="$1" t0 rc
  shift
  t0=$(now)
  echo "--- $name"
  "$@"
  rc=$?
  local dt
  dt=$(echo "$(now) - $t0" | bc)
  if ((rc == 0)); then
    printf 'PASS %-40s %6.1fs\n' "$name" "$dt"
  else
    printf 'FAIL %-40s %6.1fs (status %d)\n' "$name" "$dt" "$rc"
    failures=$((failures + 1))
  fi
  echo "$name $rc $dt" >>"$RESULTS/steps"
}
ev() { printf '%s' "$1" | "$BACKING"; }
expect_fail() { if "$@"; then echo "unexpectedly succeeded: $*"; return 1; fi; return 0; }

# iscsi.config with one target pvc-1 (zvol tank/k8s/pvc-1) plus optional extra JSON.
#   iscsi_config <initiator-group-id|null> <initiators JSON list> <authmethod> <auth|null> [more]
iscsi_config() {
  local group="$1" inits="$2" method="$3" auth="$4" more="${5:-}"
  local t2="" e2="" m2=""
  if [[ "$more" == pvc-2 ]]; then
    t2=',{"id":2,"name":"pvc-2","iqn":"'$IQN2'","groups":[{"portal":1,"initiator":null,"authmethod":"NONE","auth":null}]}'
    e2=',{"id":2,"name":"pvc-2","type":"DISK","disk":"zvol/tank/k8s/pvc-2","serial":"serial0002","naa":"0x6589cfc0000000bb","enabled":true}'
    m2=',{"id":2,"target":2,"extent":2,"lunid":0}'
  fi
  ev '{"event":"iscsi.config","root":"'$ROOT'","config":{"basename":"'$BASE'","listen_port":3260,
    "portals":[{"id":1,"tag":1,"listen":[{"ip":"127.0.0.1","port":3260}]}],
    "initiators":[{"id":1,"initiators":'"$inits"',"comment":""}],
    "auths":[{"id":1,"tag":1,"user":"chapuser","secret":"'$SECRET'","peeruser":"targetuser","peersecret":"'$PEERSECRET'"}],
    "targets":[{"id":1,"name":"pvc-1","iqn":"'$IQN1'","groups":[{"portal":1,"initiator":'$group',"authmethod":"'$method'","auth":'$auth'}]}'"$t2"'],
    "extents":[{"id":1,"name":"pvc-1","type":"DISK","disk":"zvol/tank/k8s/pvc-1","serial":"'$SERIAL'","naa":"'$NAA'","blocksize":512,"ro":false,"enabled":true,"vendor":"TrueNAS","product_id":"iSCSI Disk"}'"$e2"'],
    "targetextents":[{"id":1,"target":1,"extent":1,"lunid":0}'"$m2"']}}'
}

node_set() { iscsiadm -m node -T "$1" -p "$PORTAL" ${3:+-I "$3"} -o update -n "$2" -v "$4" >/dev/null; }
discover() {
  iscsiadm -m discovery -t st -p "$PORTAL" >/dev/null || return 1
  node_set "$IQN1" node.session.timeo.replacement_timeout "" 5
  node_set "$IQN1" node.conn[0].timeo.login_timeout "" 5
}
login() { iscsiadm -m node -T "$1" -p "$PORTAL" ${2:+-I "$2"} --login >/dev/null 2>&1; }
logout_all() { iscsiadm -m node --logoutall=all >/dev/null 2>&1; true; }
disk_of() {  # disk_of <iqn>: the sdX of the session's LUN 0
  iscsiadm -m session -P3 2>/dev/null | awk -v t="$1" '
    /^Target:/ {cur = $2} /Attached scsi disk/ && cur == t {print $4; exit}'
}
wait_disk() {
  local d=""
  for _ in $(seq 100); do
    d=$(disk_of "$1")
    [[ -n "$d" && -b /dev/$d ]] && { echo "$d"; return 0; }
    sleep 0.1
  done
  return 1
}
set_chap() {  # set_chap <user> <secret> [<user_in> <secret_in>]
  node_set "$IQN1" node.session.auth.authmethod "" CHAP
  node_set "$IQN1" node.session.auth.username "" "$1"
  node_set "$IQN1" node.session.auth.password "" "$2"
  node_set "$IQN1" node.session.auth.username_in "" "${3:-}"
  node_set "$IQN1" node.session.auth.password_in "" "${4:-}"
}

# The rig honours the caller's settings (guest_rig_selftest sets both): the initiator name and the
# scratch disk size.
t_rig_settings() {
  if [[ -n "${TNAS_RIG_EXPECT_INITIATOR:-}" ]]; then
    [[ "$ME" == "$TNAS_RIG_EXPECT_INITIATOR" ]] || { echo "initiator $ME"; return 1; }
    grep -qx "InitiatorName=$TNAS_RIG_EXPECT_INITIATOR" /etc/iscsi/initiatorname.iscsi || return 1
  fi
  if [[ -n "${TNAS_RIG_EXPECT_SCRATCH_BYTES:-}" ]]; then
    local size
    size=$(stat -c %s /run/scratch/disk.img) || return 1
    [[ "$size" == "$TNAS_RIG_EXPECT_SCRATCH_BYTES" ]] || { echo "scratch disk $size bytes"; return 1; }
  fi
}
t_udev() { udevadm control --ping && pgrep -x systemd-udevd >/dev/null; }
t_iscsid() { iscsiadm -m session >/dev/null 2>&1; [[ $? == 21 || $? == 0 ]]; }
t_zvol() {
  ev '{"event":"zvol.create","root":"'$ROOT'","name":"tank/k8s/pvc-1","volsize":67108864,"volblocksize":16384,"sparse":true}' &&
    ev '{"event":"zvol.create","root":"'$ROOT'","name":"tank/k8s/pvc-2","volsize":33554432,"volblocksize":16384,"sparse":true}' &&
    [[ $(stat -c %s $ROOT/zvol/tank/k8s/pvc-1) == 67108864 ]]
}
t_masked_target() {
  iscsi_config 1 '["'"$ME"'"]' NONE null || return 1
  iscsi_config 1 '["'"$ME"'"]' NONE null || return 1  # idempotent
  local tpg=/sys/kernel/config/target/iscsi/$IQN1/tpgt_1
  [[ -L $tpg/lun/lun_0/pvc-1 && -d $tpg/acls/$ME/lun_0 ]] || return 1
  [[ $(cat $tpg/attrib/generate_node_acls) == 0 && $(cat $tpg/enable) == 1 ]]
}
DISK=""
t_login_allowed() {
  discover || return 1
  login "$IQN1" || return 1
  DISK=$(wait_disk "$IQN1") || return 1
  udevadm settle
  echo "disk /dev/$DISK"
  [[ -e "/dev/disk/by-path/ip-$PORTAL-iscsi-$IQN1-lun-0" ]] || { echo "no by-path link"; return 1; }
}
t_vpd() {
  local pg80 sys=/sys/block/$DISK/device
  pg80=$(tail -c +5 $sys/vpd_pg80 | tr -d '\0')
  echo "vpd_pg80: $pg80"
  od -An -tx1 $sys/vpd_pg83 | tr -s ' \n' ' ' >"$RESULTS/vpd_pg83.hex"
  echo "vpd_pg83: $(cat "$RESULTS/vpd_pg83.hex")"
  sg_vpd -p di /dev/$DISK >"$RESULTS/vpd_di.txt" 2>&1 && cat "$RESULTS/vpd_di.txt"
  ls -l /dev/disk/by-id/ | grep -E "wwn|scsi-3" | grep "$DISK\$" >>"$RESULTS/by-id.txt"
  cat "$RESULTS/by-id.txt"
  [[ "$pg80" == "$SERIAL" ]]
}
t_wrong_iqn() {
  iscsiadm -m iface -I wrongiqn -o new >/dev/null 2>&1
  iscsiadm -m iface -I wrongiqn -o update -n iface.initiatorname -v iqn.1993-08.org.debian:01:intruder >/dev/null
  iscsiadm -m node -T "$IQN1" -p "$PORTAL" -I wrongiqn -o new >/dev/null
  node_set "$IQN1" node.conn[0].timeo.login_timeout wrongiqn 5
  expect_fail login "$IQN1" wrongiqn
  local rc=0
  iscsiadm -m node -T "$IQN1" -p "$PORTAL" -I wrongiqn -o delete >/dev/null 2>&1
  [[ -n "$(disk_of "$IQN1")" ]] || rc=1  # the allowed session is unaffected
  return $rc
}
t_io_and_unrelated_change() {
  mkfs.ext4 -q -F /dev/$DISK || return 1
  mkdir -p /run/t/disk && mount /dev/$DISK /run/t/disk || return 1
  echo data >/run/t/disk/file && sync
  iscsi_config 1 '["'"$ME"'"]' NONE null pvc-2 || return 1  # adds a target: pvc-1 untouched
  [[ -d /sys/kernel/config/target/iscsi/$IQN2/tpgt_1/lun/lun_0 ]] || return 1
  dd if=/dev/$DISK of=/dev/null bs=1M count=4 iflag=direct status=none || return 1
  [[ "$(cat /run/t/disk/file)" == data ]]
}
t_resize() {
  local before after
  before=$(blockdev --getsize64 /dev/$DISK)
  ev '{"event":"zvol.resize","root":"'$ROOT'","name":"tank/k8s/pvc-1","volsize":134217728}' || return 1
  iscsiadm -m session -R >/dev/null || return 1
  for _ in $(seq 50); do
    after=$(blockdev --getsize64 /dev/$DISK)
    [[ $after == 134217728 ]] && break
    sleep 0.1
  done
  echo "size $before -> $after"
  [[ $after == 134217728 ]] || return 1
  resize2fs /dev/$DISK >/dev/null 2>&1 || { echo "online ext4 grow failed"; return 1; }
  df -B1 /run/t/disk | tail -1
  umount /run/t/disk
}
t_logout() {
  logout_all
  for _ in $(seq 50); do [[ -b /dev/$DISK ]] || break; sleep 0.1; done
  [[ ! -b /dev/$DISK ]]
}
t_chap_oneway() {
  iscsi_config 1 '["'"$ME"'"]' CHAP 1 pvc-2 || return 1
  set_chap chapuser wrong-secret-00000
  expect_fail login "$IQN1" || return 1
  set_chap chapuser "$SECRET"
  login "$IQN1" || return 1
  wait_disk "$IQN1" >/dev/null || return 1
  logout_all
}
t_chap_mutual() {
  iscsi_config 1 '["'"$ME"'"]' CHAP_MUTUAL 1 pvc-2 || return 1
  set_chap chapuser "$SECRET" targetuser wrong-peer-0000000
  expect_fail login "$IQN1" || return 1
  set_chap chapuser "$SECRET" targetuser "$PEERSECRET"
  login "$IQN1" || return 1
  wait_disk "$IQN1" >/dev/null || return 1
  logout_all
}
t_demo_mode_chap() {  # null initiator group: demo mode, still CHAP-protected
  iscsi_config null '[]' CHAP 1 || return 1
  [[ $(cat /sys/kernel/config/target/iscsi/$IQN1/tpgt_1/attrib/generate_node_acls) == 1 ]] || return 1
  set_chap chapuser "$SECRET"
  login "$IQN1" || return 1
  local d
  d=$(wait_disk "$IQN1") || return 1
  # Write the last 64 KiB (the ext4 made earlier stays intact for the clone check).
  local last=$(($(blockdev --getsize64 /dev/$d) / 65536 - 1))
  dd if=/dev/zero of=/dev/$d bs=64k seek=$last count=1 oflag=direct status=none ||
    { echo "demo LUN not writable"; return 1; }
  logout_all
}
NFSDIR=/mnt/tank/k8s/nfs-1
t_nfs() {
  ev '{"event":"dataset.create","root":"'$ROOT'","name":"tank/k8s/nfs-1","mountpoint":"'$NFSDIR'","refquota":0}' || return 1
  ev '{"event":"nfs.config","root":"'$ROOT'","config":{"shares":[{"id":1,"path":"'$NFSDIR'","hosts":[],"networks":[],"ro":false,"maproot_user":"root","maproot_group":"root","mapall_user":null,"mapall_group":null,"security":[],"enabled":true}]}}' || return 1
  mkdir -p /run/t/nfs
  mount -t nfs -o vers=4.2 127.0.0.1:$NFSDIR /run/t/nfs || return 1
  grep -q "127.0.0.1:$NFSDIR .*vers=4.2" /proc/mounts || { echo "not v4.2"; return 1; }
  echo v4 >/run/t/nfs/hello || return 1
  umount /run/t/nfs || return 1
  mount -t nfs -o vers=3,nolock 127.0.0.1:$NFSDIR /run/t/nfs || return 1
  [[ "$(cat /run/t/nfs/hello)" == v4 ]] || return 1
  echo v3 >>/run/t/nfs/hello
  umount /run/t/nfs
}
t_snapshots() {
  ev '{"event":"snapshot.create","root":"'$ROOT'","snapshot":"tank/k8s/nfs-1@s1","dataset":"tank/k8s/nfs-1","type":"FILESYSTEM"}' || return 1
  ev '{"event":"snapshot.clone","root":"'$ROOT'","snapshot":"tank/k8s/nfs-1@s1","name":"tank/k8s/nfs-2","type":"FILESYSTEM","mountpoint":"/mnt/tank/k8s/nfs-2"}' || return 1
  cmp $NFSDIR/hello /mnt/tank/k8s/nfs-2/hello || return 1
  ev '{"event":"snapshot.create","root":"'$ROOT'","snapshot":"tank/k8s/pvc-1@s1","dataset":"tank/k8s/pvc-1","type":"VOLUME"}' || return 1
  ev '{"event":"snapshot.clone","root":"'$ROOT'","snapshot":"tank/k8s/pvc-1@s1","name":"tank/k8s/pvc-3","type":"VOLUME"}' || return 1
  cmp $ROOT/zvol/tank/k8s/pvc-1 $ROOT/zvol/tank/k8s/pvc-3 || return 1
  dumpe2fs -h $ROOT/zvol/tank/k8s/pvc-3 >/dev/null 2>&1 || { echo "clone is not the ext4 volume"; return 1; }
}
t_teardown() {
  logout_all
  ev '{"event":"iscsi.config","root":"'$ROOT'","config":{"basename":"'$BASE'","portals":[],"initiators":[],"auths":[],"targets":[],"extents":[],"targetextents":[]}}' || return 1
  ev '{"event":"nfs.config","root":"'$ROOT'","config":{"shares":[]}}' || return 1
  for z in pvc-1 pvc-2 pvc-3; do
    ev '{"event":"zvol.delete","root":"'$ROOT'","name":"tank/k8s/'$z'"}' || return 1
  done
  for s in tank/k8s/nfs-1@s1 tank/k8s/pvc-1@s1; do
    ev '{"event":"snapshot.delete","root":"'$ROOT'","snapshot":"'$s'","dataset":"'${s%@*}'","type":"VOLUME"}' || return 1
  done
  for d in nfs-1 nfs-2; do
    ev '{"event":"dataset.delete","root":"'$ROOT'","name":"tank/k8s/'$d'","mountpoint":"/mnt/tank/k8s/'$d'"}' || return 1
  done
  local left
  left=$(ls /sys/kernel/config/target/iscsi | grep -E '^(iqn|eui|naa)\.'; ls /sys/kernel/config/target/core/fileio_0 2>/dev/null | grep -v -E '^(hba_info|hba_mode)$')
  [[ -z "$left" ]] || { echo "left in LIO: $left"; return 1; }
  [[ -z "$(find $ROOT/zvol $ROOT/snap -type f 2>/dev/null)" ]] || { echo "files left"; return 1; }
  [[ ! -e $NFSDIR && ! -e /mnt/tank/k8s/nfs-2 ]] || { echo "dataset dirs left"; return 1; }
  ! grep -q nfs-1 /var/lib/nfs/etab || { echo "export left"; return 1; }
  iscsiadm -m session >/dev/null 2>&1; [[ $? == 21 ]] || { echo "session left"; return 1; }
}

step "rig settings from the host" t_rig_settings
step "udevd up" t_udev
step "iscsid answers" t_iscsid
step "zvol.create" t_zvol
step "iscsi.config masked target" t_masked_target
step "login from allowed IQN" t_login_allowed
step "vpd_pg80 serial" t_vpd
step "login from wrong IQN refused" t_wrong_iqn
step "I/O + unrelated change keeps session" t_io_and_unrelated_change
step "zvol.resize grows LUN + ext4" t_resize
step "logout removes disk" t_logout
step "CHAP one-way (+ wrong secret)" t_chap_oneway
step "CHAP mutual (+ wrong peer secret)" t_chap_mutual
step "demo mode + CHAP, writable" t_demo_mode_chap
step "NFS v4.2 and v3 mounts" t_nfs
step "snapshot/clone copy data" t_snapshots
step "teardown leaves nothing" t_teardown
echo "selftest: $failures failed step(s)"
exit "$failures"
