#!/bin/bash
# Runs a script as root inside the real-kernel test guest (QEMU TCG, Debian's kernel, the host root
# shared read-only over 9p, no NIC) and returns the script's exit status. See test/guest/README.md.
#
#   run-in-guest.sh [--timeout S] [--mem MiB] [--scratch-size SIZE] [--cwd DIR] <script> [args...]
#
# The script runs with bash inside a chroot of the host root, so host-built binaries (the build
# tree is visible at the same path) run unchanged. Services already running when it starts:
# systemd-udevd, iscsid (fresh initiator name in $TNAS_GUEST_INITIATOR), LIO configfs, rpcbind,
# kernel nfsd (grace/lease 10 s) and mountd; /srv/tnas is a scratch ext4 (6g, RAM-backed), /mnt is writable.
# Environment passed to the script: every TNAS_* variable of the caller, plus TNAS_GUEST=1,
# TNAS_RESULTS_DIR (a directory whose content is copied to $TNAS_GUEST_RESULTS on the host when
# that is set) and TNAS_GUEST_IO.
#
# Exit status: the script's; 124 on timeout; 125 when the rig itself failed (no result).
# The guest has its own /tmp, /root and /var/tmp, which hide the host's. The host paths the job
# names are bound in read-only at their own path before anything of the job runs: the script, the
# cwd, every argument and TNAS_* value that is an existing absolute path, and every path in
# TNAS_GUEST_HOST_PATHS (colon-separated). Stage 2 itself travels in the I/O share, so the rig runs
# from a clone anywhere (/tmp/x, /root/x, a path with spaces).
# Host environment: TNAS_GUEST_DIR (guest cache, default /var/cache/tnas-guest), TNAS_GUEST_RESULTS,
# TNAS_GUEST_CONSOLE (file to keep the full console log), TNAS_GUEST_QUIET=1 (no job output echo).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
timeout_s=600 mem=2048 cwd="$PWD"
while (($#)); do
  case "$1" in
    --timeout) timeout_s="$2"; shift 2 ;;
    --mem) mem="$2"; shift 2 ;;
    --scratch-size) export TNAS_GUEST_SCRATCH_SIZE="$2"; shift 2 ;;
    --cwd) cwd="$2"; shift 2 ;;
    --) shift; break ;;
    -*) echo "run-in-guest: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
(($#)) || { sed -n '2,22p' "${BASH_SOURCE[0]}" >&2; exit 2; }
script="$(realpath "$1")"; shift
[[ -r "$script" ]] || { echo "run-in-guest: cannot read $script" >&2; exit 2; }

now() { date +%s.%N; }
t0=$(now)
guest="$("$here/build-guest.sh" "${TNAS_GUEST_DIR:-/var/cache/tnas-guest}")" || {
  echo "run-in-guest: guest build failed" >&2; exit 125; }
t_built=$(now)

io="$(mktemp -d /tmp/tnas-guest-io.XXXXXX)"
console="$io.console"
cleanup() { rm -rf "$io" "$console"; }
trap cleanup EXIT
chmod 755 "$io"

# Stage 2 runs from the I/O share (mounted at its host path by /init), never from the tree that
# holds it: that tree may be under a directory the guest hides until stage 2 binds it.
stage2="${TNAS_GUEST_STAGE2:-$here/guest-stage2.sh}"
cp "$stage2" "$io/stage2.sh" || { echo "run-in-guest: cannot read stage 2 $stage2" >&2; exit 125; }
# The host paths the job needs, NUL-separated (spaces and newlines survive): stage 2 binds those
# under the guest's own /tmp, /root, /var/tmp before it starts anything else.
host_paths() {
  local p v name
  printf '%s\0' "$script" "$cwd"
  for p in "$@"; do [[ "$p" == /?* && -e "$p" ]] && printf '%s\0' "$p"; done
  while IFS= read -r -d '' v; do
    name="${v%%=*}"
    [[ "$name" == TNAS_* && "$name" != TNAS_GUEST_* ]] || continue
    p="${v#*=}"
    [[ "$p" == /?* && -e "$p" ]] && printf '%s\0' "$p"
  done < <(env -0)
  local extra
  IFS=: read -r -a extra <<<"${TNAS_GUEST_HOST_PATHS:-}"
  for p in "${extra[@]}"; do [[ -n "$p" ]] && printf '%s\0' "$p"; done
}
host_paths "$@" >"$io/host-paths"
{ printf 'exec bash %q' "$script"; printf ' %q' "$@"; echo; } >"$io/job.sh"
{ declare -px | sed -n 's/^declare -x \(TNAS_[A-Za-z0-9_]*=\)/\1/p'
  printf 'TNAS_GUEST_CWD=%q\n' "$cwd"; } >"$io/job.env"

t_boot=$(now)
timeout --foreground -k 5 "$timeout_s" qemu-system-x86_64 \
  -accel tcg -cpu max -m "$mem" -smp 2 -nographic -no-reboot -nic none -nodefaults \
  -serial stdio -monitor none \
  -kernel "$guest/vmlinuz" -initrd "$guest/initrd.img" \
  -append "console=ttyS0 panic=-1 ${TNAS_GUEST_KERNEL_ARGS:-quiet loglevel=4} tnas_io=$io tnas_stage2=$io/stage2.sh" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$io,mount_tag=tnasio,security_model=none,multidevs=remap" \
  -virtfs local,path=/tmp,mount_tag=hosttmp,security_model=none,readonly=on,multidevs=remap \
  </dev/null >"$console" 2>&1
qemu_rc=$?
t_end=$(now)

[[ -n "${TNAS_GUEST_CONSOLE:-}" ]] && cp "$console" "$TNAS_GUEST_CONSOLE"
if [[ "${TNAS_GUEST_QUIET:-0}" != 1 && -f "$io/output" ]]; then
  sed 's/^/guest| /' "$io/output"
fi
status=125
if ((qemu_rc == 124 || qemu_rc == 137)); then
  echo "run-in-guest: TIMEOUT after ${timeout_s} s" >&2
  status=124
elif [[ -f "$io/status" ]]; then
  status=$(<"$io/status")
fi
if ((status == 125 || status == 124)); then
  echo "run-in-guest: console tail:" >&2
  tail -n 40 "$console" | sed 's/^/console| /' >&2
  [[ -f "$io/services.log" ]] && sed 's/^/services| /' "$io/services.log" >&2
fi
if [[ -n "${TNAS_GUEST_RESULTS:-}" && -d "$io/results" ]]; then
  mkdir -p "$TNAS_GUEST_RESULTS" && cp -a "$io/results/." "$TNAS_GUEST_RESULTS/"
fi

# Timings: host side (build, boot+run) and guest side (kernel uptime at each stage).
uptime_of() { awk -v k="$1" '$1 == k {print $2}' "$io/timings" 2>/dev/null; }
init_t=$(sed -n 's/.*t_modules=\([0-9.]*\).*/\1/p' "$io/init.timings" 2>/dev/null)
printf 'run-in-guest: timings: guest-build %.1fs, modules-loaded %ss, services-ready %ss, script %ss, vm %.1fs, total %.1fs, status %s\n' \
  "$(echo "$t_built - $t0" | bc)" "${init_t:-?}" "$(uptime_of services_ready)" \
  "$(awk '$1=="services_ready"{a=$2} $1=="job_end"{b=$2} END{if (a && b) printf "%.1f", b-a; else print "?"}' "$io/timings" 2>/dev/null)" \
  "$(echo "$t_end - $t_boot" | bc)" "$(echo "$t_end - $t0" | bc)" "$status" >&2
[[ -f "$io/timings" ]] && echo "run-in-guest: guest uptime at: $(tr '\n' ' ' <"$io/timings")" >&2
exit "$status"
