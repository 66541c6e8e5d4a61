#!/bin/bash
# stack_e2e_args is split into words on purpose; the unshare script expands in its own shell.
# shellcheck disable=SC2046,SC2016,SC2012,SC2034
# Runs inside the real-kernel guest (via test/guest/run-in-guest.sh): multipath iSCSI (issue #16).
# One TrueNAS portal (simulator) listening on 127.0.0.2 and 127.0.0.3, so the guest backing gives
# the LIO target an np on each (both on the guest's own lo: 127/8 is local); multipathd from
# Debian's multipath-tools with its own /etc (a tmpfs copy holding our multipath.conf, in a private
# mount namespace); the controller and the node agent from stack.sh. Then, over CSI:
#  1. a volume with `multipath: "true"` and both portals is staged and published: two sessions,
#     one dm-multipath map over both disks, the filesystem on the map;
#  2. O_DSYNC writes run while path 127.0.0.3 fails (its LIO np is removed and traffic to it is
#     prohibited, so the live session dies too): I/O goes on through the other path; the longest
#     completion gap (the stall) and the time until multipathd marks the path failed are measured;
#     NodeGetVolumeStats says "1 of 2 iSCSI paths down";
#  3. the portal comes back: iscsid logs in again, multipathd reinstates the path (timed), the
#     condition is normal again, every block written reads back;
#  4. unpublish/unstage/delete: no dm map and no iSCSI session are left.
#
#   multipath-in-guest.sh <build-dir>
# Writes multipath.json (the numbers) and the daemons' logs to $TNAS_RESULTS_DIR (if set).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export STACK_PORTAL_IPS=127.0.0.2,127.0.0.3
# Heal every 2 s; a failed path's I/O is failed up to dm-multipath 5 s after its connection died.
STACK_NODE_ARGS=(--heal-interval 2 --iscsi-replacement-timeout 5)
# shellcheck source=stack.sh
source "$here/stack.sh" "$1"
MP_BIN="$STACK_BUILD/test/e2e/tnas-e2e-multipath"
[[ -x "$MP_BIN" ]] || { echo "multipath-in-guest: missing $MP_BIN" >&2; exit 2; }
command -v multipathd >/dev/null || { echo "multipath-in-guest: multipathd missing (multipath-tools)" >&2; exit 2; }
MP_STATE=/run/tnas-mp.state
MP_PID=
WRITER_PID=
fail() { echo "FAIL: $*"; exit 1; }
ms() { date +%s%3N; }

mp_stop() {
  [[ -n "$WRITER_PID" ]] && kill -TERM "$WRITER_PID" 2>/dev/null
  ip rule del pref 10 2>/dev/null
  [[ -f "$MP_STATE" ]] && "$MP_BIN" $(stack_e2e_args) detach --state "$MP_STATE" >/dev/null 2>&1
  stack_stop_all
  [[ -n "$MP_PID" ]] && kill -TERM "$MP_PID" 2>/dev/null && wait "$MP_PID" 2>/dev/null
}

# multipathd reads /etc/multipath.conf only; the guest's /etc is the host's, read-only, so
# multipathd gets a private mount namespace whose /etc is a tmpfs copy with the config added.
start_multipathd() {
  unshare --mount --propagation private /bin/bash -c '
    seed=$(mktemp -d /run/mp-etc.XXXX) && cp -a /etc/. "$seed"/ 2>/dev/null
    mount -t tmpfs -o mode=755 mpetc /etc || exit 1
    cp -a "$seed"/. /etc/ 2>/dev/null; rm -rf "$seed"
    mkdir -p /etc/multipath
    cat >/etc/multipath.conf <<CONF
defaults {
    find_multipaths yes
    user_friendly_names no
    path_grouping_policy multibus
    path_selector "round-robin 0"
    path_checker tur
    polling_interval 1
    max_polling_interval 1
    no_path_retry 10
}
blacklist {
    devnode "^(ram|loop|fd|md|dm-|sr|scd|st|nbd|vd)"
}
CONF
    exec /sbin/multipathd -d -s -v3' >"$STACK_RESULTS/multipathd.log" 2>&1 &
  MP_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    multipathd show status >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail -20 "$STACK_RESULTS/multipathd.log"
  return 1
}

path_states() { multipathd show paths raw format "%d %t %T" 2>/dev/null; }
# wait_paths <want-active> <seconds>: until exactly that many paths are active and ready.
wait_paths() {
  local i n
  for ((i = 0; i < $2 * 10; i++)); do
    n=$(path_states | awk '$2 == "active" && $3 == "ready"' | wc -l)
    [[ "$n" == "$1" ]] && return 0
    sleep 0.1
  done
  return 1
}
wait_failed_path() {  # seconds
  local i
  for ((i = 0; i < $1 * 10; i++)); do
    path_states | awk '$2 == "failed"' | grep -q . && return 0
    sleep 0.1
  done
  return 1
}
stats() { "$MP_BIN" $(stack_e2e_args) stats --state "$MP_STATE"; }
sessions() { ls -d /sys/class/iscsi_session/session* 2>/dev/null | wc -l; }
dm_maps() { ls -d /sys/block/dm-* 2>/dev/null | wc -l; }

start_multipathd || fail "multipathd did not start"
# The portal's listen IPs must be the TrueNAS system's own addresses (as the middleware checks,
# ref:src/middlewared/middlewared/plugins/iscsi_/portal.py:106-121 at TS-25.04.2.6).
stack_start --interface-ip 127.0.0.2 --interface-ip 127.0.0.3 || exit 1
trap mp_stop EXIT  # after stack_start, whose own EXIT trap this one calls
echo "multipathd up (pid $MP_PID)"
# Policy routing so one portal address can be made unreachable: the local table moves behind a
# rule that can come first.
ip rule add pref 100 lookup local && ip rule del pref 0 || fail "cannot reorder the routing rules"

# 1. stage + publish over CSI with both portals.
t=$(ms)
target=$("$MP_BIN" $(stack_e2e_args) attach --state "$MP_STATE" --name pvc-multipath \
  --param multipath=true --param portals=127.0.0.2:3260,127.0.0.3:3260) ||
  { tail -30 "$STACK_RESULTS/node.log"; fail "multipath attach"; }
stage_ms=$(($(ms) - t))
echo "staged and published at $target in $stage_ms ms"
[[ "$(sessions)" == 2 ]] || fail "expected 2 iSCSI sessions, found $(sessions)"
map=$(multipathd show maps raw format "%n %N %d" 2>/dev/null)
echo "map: $map"
read -r map_name map_paths map_dev <<<"$map"
[[ "$map_paths" == 2 ]] || fail "the map does not hold 2 paths: $map"
src=$(findmnt -n -o SOURCE "$target")
[[ "$(readlink -f "$src")" == "/dev/$map_dev" || "$src" == "/dev/$map_dev" || "$src" == "/dev/mapper/$map_name" ]] ||
  fail "published filesystem is on $src, not the map $map_dev"
wait_paths 2 20 || fail "paths not both active: $(path_states)"
s=$(stats) || fail "stats"
echo "stats before: $s"
[[ "$s" == abnormal=0* ]] || fail "volume abnormal with both paths up"

# 2. fail path 127.0.0.3 during I/O.
python3 "$here/mp_writer.py" "$target/io" >/run/mp-writer.json &
WRITER_PID=$!
sleep 3
np=$(ls -d /sys/kernel/config/target/iscsi/*/tpgt_*/np/127.0.0.3:3260 2>/dev/null | head -n1)
[[ -n "$np" ]] || fail "no LIO np for 127.0.0.3"
t_fail=$(ms)
rmdir "$np" || fail "cannot remove $np"
ip rule add pref 10 to 127.0.0.3 prohibit || fail "cannot block 127.0.0.3"
wait_failed_path 60 || fail "multipathd never failed the path: $(path_states)"
detect_ms=$(($(ms) - t_fail))
echo "path failed in multipathd after $detect_ms ms: $(path_states | tr '\n' ';')"
sleep 4
kill -0 "$WRITER_PID" || fail "the writer died"
s=$(stats) || fail "stats with a path down"
echo "stats with one path down: $s"
[[ "$s" == *"1 of 2 iSCSI paths down"* ]] || fail "condition does not report the path down"

# 3. bring the portal back.
t_up=$(ms)
ip rule del pref 10 || fail "cannot unblock"
mkdir "$np" || fail "cannot re-create $np"
wait_paths 2 90 || fail "path not reinstated: $(path_states)"
reinstate_ms=$(($(ms) - t_up))
echo "path reinstated $reinstate_ms ms after the portal came back"
sleep 2
kill -TERM "$WRITER_PID"
wait "$WRITER_PID"
WRITER_PID=
io=$(cat /run/mp-writer.json)
echo "writer: $io"
ok_condition=0
for ((i = 0; i < 20; i++)); do
  s=$(stats) && [[ "$s" == abnormal=0* ]] && { ok_condition=1; break; }
  sleep 0.5
done
echo "stats after: $s"
((ok_condition)) || fail "condition not normal after the path came back"
sync
echo 3 >/proc/sys/vm/drop_caches
verify=$(python3 "$here/mp_writer.py" verify "$target/io") || fail "data check: $verify"
echo "read back: $verify"

# 4. unpublish, unstage, delete: nothing left.
t=$(ms)
"$MP_BIN" $(stack_e2e_args) detach --state "$MP_STATE" || { tail -30 "$STACK_RESULTS/node.log"; fail "detach"; }
rm -f "$MP_STATE"
unstage_ms=$(($(ms) - t))
sleep 1
[[ "$(dm_maps)" == 0 ]] || fail "dm devices left: $(ls /sys/block | grep dm-)"
[[ "$(sessions)" == 0 ]] || fail "iSCSI sessions left: $(sessions)"
stall=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["max_gap_ms"])' "$io")
writes=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["writes"])' "$io")
cat >"$STACK_RESULTS/multipath.json" <<JSON
{"stage_ms": $stage_ms, "path_failed_after_ms": $detect_ms, "io_stall_max_ms": $stall,
 "writes": $writes, "reinstated_after_ms": $reinstate_ms, "unstage_ms": $unstage_ms}
JSON
echo "MULTIPATH: stage ${stage_ms} ms; path failed after ${detect_ms} ms; longest I/O stall ${stall} ms" \
  "(${writes} O_DSYNC writes); reinstated ${reinstate_ms} ms after the portal returned;" \
  "unstage ${unstage_ms} ms; no maps, no sessions left"
echo "multipath-in-guest: PASSED"
