#!/bin/bash
# Runs inside the real-kernel guest (via test/guest/run-in-guest.sh), Debian's 6.1 kernel: the
# node agent's path-safety code on the kernel it ships for (issue #11). It runs, in the guest,
#  - agent_beneath_test: openat2(RESOLVE_BENEATH) and the O_NOFOLLOW component walk, with a
#    renameat2(RENAME_EXCHANGE) swapper thread;
#  - agent_mount_privileged_test: LibmountMounter's mount onto /proc/self/fd/N, open_tree +
#    mount_setattr + move_mount binds, umount2(UMOUNT_NOFOLLOW) in the parent fd;
#  - agent_stage_real_test: the real NodeVolumes flows with LibmountMounter and mkfs on a loop LUN,
#    including the rename-exchange race (a swapper thread exchanging a directory of the target
#    path, then of the staging path, with a symlink to a decoy outside the kubelet dir, during
#    1,000 publishes and unpublishes): zero mounts in the decoy, and the volume unstages after.
#
#   hostile-in-guest.sh <build-dir>
# Writes each test's output to $TNAS_RESULTS_DIR (if set).
set -uo pipefail
build="$1"
results="${TNAS_RESULTS_DIR:-/tmp/hostile-results}"
mkdir -p "$results"
echo "guest kernel $(uname -r)" | tee "$results/kernel"
rc=0
for t in mount/agent_beneath_test mount/agent_mount_privileged_test stage/agent_stage_real_test; do
  bin="$build/test/unit/agent/$t"
  [[ -x "$bin" ]] || { echo "hostile-in-guest: missing $bin" >&2; exit 2; }
  name="$(basename "$t")"
  start=$(date +%s)
  "$bin" --gtest_brief=0 >"$results/$name.out" 2>&1
  r=$?
  grep -E '^\[  (PASSED|FAILED) |^\[  SKIPPED |^swaps ' "$results/$name.out"
  # A skipped test proves nothing here: the guest runs as root with loop devices.
  if grep -q '^\[  SKIPPED \]' "$results/$name.out"; then
    echo "hostile-in-guest: $name skipped tests in the guest" >&2
    r=1
  fi
  echo "$name: exit $r in $(($(date +%s) - start)) s"
  ((r == 0)) || { rc=1; tail -40 "$results/$name.out"; }
done
exit $rc
