#!/bin/bash
# Runs inside the real-kernel guest (via test/guest/run-in-guest.sh): starts the simulator with
# its real backing, the controller and the node agent (stack.sh; the agent with a 2 s
# self-healing interval), then runs the fault scenarios with tnas-e2e-faults (test/e2e/faults.h).
#
#   faults-in-guest.sh <build-dir> [scenario...]      (default: all; see tnas-e2e-faults --help)
#   faults-in-guest.sh --hook restart-agent KILL|TERM  restarts the node agent with its command line
#   faults-in-guest.sh --hook restart-iscsid           SIGKILLs iscsid and starts it as stage 2 does
#
# The hook mode is what tnas-e2e-faults calls for process-level faults; it finds the agent through
# $FAULTS_PIDFILE and logs to $FAULTS_NODE_LOG (exported by the run mode).
# Writes faults-<scenario>.json reports and the daemons' logs to $TNAS_RESULTS_DIR (if set).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

faults_alive() {  # pid: running and not a zombie
  [[ -r "/proc/$1/status" ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

faults_wait_gone() {  # pid seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do faults_alive "$1" || return 0; sleep 0.1; done
  return 1
}

faults_iscsid_answers() {
  local i rc
  for ((i = 0; i < 100; i++)); do
    iscsiadm -m session >/dev/null 2>&1
    rc=$?
    [[ $rc == 0 || $rc == 21 ]] && return 0  # 21: no active sessions = iscsid answered
    sleep 0.1
  done
  return 1
}

faults_restart_agent() {  # signal
  local sig="${1:-TERM}" pid new i
  local -a cmd
  pid="$(cat "$FAULTS_PIDFILE")"
  faults_alive "$pid" || { echo "agent $pid is not running"; return 1; }
  mapfile -d '' cmd <"/proc/$pid/cmdline"
  kill "-$sig" "$pid"
  faults_wait_gone "$pid" 30 || { echo "agent $pid survived SIG$sig"; return 1; }
  rm -f "$FAULTS_NODE_SOCK"
  echo "--- agent restarted after SIG$sig ---" >>"$FAULTS_NODE_LOG"
  "${cmd[@]}" </dev/null >>"$FAULTS_NODE_LOG" 2>&1 &
  new=$!
  echo "$new" >"$FAULTS_PIDFILE"
  for ((i = 0; i < 200; i++)); do [[ -S "$FAULTS_NODE_SOCK" ]] && break; sleep 0.1; done
  [[ -S "$FAULTS_NODE_SOCK" ]] || { echo "agent $new did not open its socket"; return 1; }
  echo "agent pid $pid -> $new"
}

faults_restart_iscsid() {
  local pids p
  pids="$(pidof iscsid)"
  [[ -n "$pids" ]] || { echo "iscsid is not running"; return 1; }
  # shellcheck disable=SC2086
  kill -KILL $pids
  for p in $pids; do faults_wait_gone "$p" 20 || { echo "iscsid $p survived"; return 1; }; done
  rm -f /run/iscsid.pid
  iscsid >>"$FAULTS_RESULTS/iscsid-restart.log" 2>&1 </dev/null || { echo "iscsid did not start"; return 1; }
  faults_iscsid_answers || { echo "iscsid does not answer"; return 1; }
  echo "iscsid $pids -> $(pidof iscsid)"
}

if [[ "${1:-}" == --hook ]]; then
  case "${2:-}" in
    restart-agent) faults_restart_agent "${3:-TERM}" ;;
    restart-iscsid) faults_restart_iscsid ;;
    *) echo "unknown hook ${2:-}"; exit 2 ;;
  esac
  exit $?
fi

# shellcheck source=stack.sh
source "$here/stack.sh" "$1"
shift
FAULTS_BIN="$STACK_BUILD/test/e2e/tnas-e2e-faults"
[[ -x "$FAULTS_BIN" ]] || { echo "faults-in-guest: missing $FAULTS_BIN" >&2; exit 2; }
# The agent under test heals every 2 s, so faults are noticed within the scenarios' waits.
STACK_NODE_ARGS=(--heal-interval 2)
# Extra agent flags for a measurement run, e.g. TNAS_FAULTS_NODE_ARGS=--metrics-address= (metrics off).
if [[ -n "${TNAS_FAULTS_NODE_ARGS:-}" ]]; then
  read -ra faults_extra <<<"$TNAS_FAULTS_NODE_ARGS"
  STACK_NODE_ARGS+=("${faults_extra[@]}")
fi
stack_start || exit 1
export FAULTS_PIDFILE="$STACK_WORK/agent.pid" FAULTS_NODE_LOG="$STACK_RESULTS/node.log"
export FAULTS_NODE_SOCK="$STACK_NODE_SOCK" FAULTS_RESULTS="$STACK_RESULTS"

faults_stop() {  # the agent a hook restarted is not the stack's child
  local pid
  pid="$(cat "$FAULTS_PIDFILE" 2>/dev/null)"
  if [[ -n "$pid" && "$pid" != "$STACK_NODE_PID" ]] && faults_alive "$pid"; then
    kill -TERM "$pid"
    faults_wait_gone "$pid" 20
  fi
  stack_stop_all
}
trap faults_stop EXIT
echo "$STACK_NODE_PID" >"$FAULTS_PIDFILE"


# The hook is this script in hook mode: "--hook <script> --hook --hook" = argv "<script> --hook".
# shellcheck disable=SC2207
args=($(stack_e2e_args) --agent-pidfile "$FAULTS_PIDFILE" --hook "$here/faults-in-guest.sh"
  --hook --hook --report-dir "$STACK_RESULTS" --heal-wait 4)
for s in "$@"; do args+=(--scenario "$s"); done
[[ -n "${TNAS_FAULTS_SOAK_CYCLES:-}" ]] && args+=(--soak-cycles "$TNAS_FAULTS_SOAK_CYCLES")
t=$(stack_ms)
"$FAULTS_BIN" "${args[@]}"
rc=$?
echo "fault scenarios: exit $rc after $(($(stack_ms) - t)) ms"
exit "$rc"
