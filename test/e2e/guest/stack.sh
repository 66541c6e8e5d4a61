# Sourced by the in-guest scenario scripts (lifecycle, faults, access): starts the TrueNAS
# simulator with the guest's real backing (zvols -> LIO iSCSI LUNs, datasets -> kernel NFS
# exports), prepares it the way an admin would (tnas-truenas-setup), then the controller and the
# node agent, each on its own unix socket. Stops everything on exit.
#
#   source stack.sh <build-dir>        then: stack_start [sim args...]
# Sets: STACK_SIM_URL (ws://…), STACK_SIM_HTTP (http://… control plane), STACK_CONTROLLER_EP,
#       STACK_NODE_EP, STACK_KEY (API key file), STACK_RESULTS, STACK_WORK, STACK_NODE_PID,
#       STACK_CONTROLLER_METRICS / STACK_NODE_METRICS (http://… of each binary's /metrics).
# Functions: stack_start_node [extra agent args], stack_stop_node [signal], stack_e2e_args.
# Env: TNAS_E2E_PERSONALITY (default 25.10), TNAS_RESULTS_DIR (logs and reports),
#      STACK_NODE_ARGS (array, set before stack_start: extra node agent arguments),
#      STACK_PORTAL_IPS (default 127.0.0.1; comma-separated: one TrueNAS portal listening on each,
#      the first is the controller's --portal).

STACK_BUILD="$1"
STACK_RESULTS="${TNAS_RESULTS_DIR:-/tmp/tnas-e2e-results}"
STACK_WORK=/run/tnas-e2e
STACK_PERSONALITY="${TNAS_E2E_PERSONALITY:-25.10}"
STACK_SIM_BIN="$STACK_BUILD/test/truenas-sim/truenas-sim"
STACK_BACKING_BIN="$STACK_BUILD/test/guest/backing/tnas-guest-backing"
STACK_CONTROLLER_BIN="$STACK_BUILD/controller/truenas-csi-controller"
STACK_NODE_BIN="$STACK_BUILD/agent/truenas-csi-node"
STACK_E2E_BIN="$STACK_BUILD/test/e2e/tnas-e2e"
STACK_SETUP_BIN="$STACK_BUILD/test/tools/tnas-truenas-setup"
STACK_CONTROLLER_EP="unix://$STACK_WORK/controller.sock"
STACK_NODE_SOCK=/var/lib/kubelet/plugins/csi.truenas-csi.io/csi.sock
STACK_NODE_EP="unix://$STACK_NODE_SOCK"
STACK_KEY="$STACK_WORK/api-key"
STACK_CONTROLLER_METRICS=http://127.0.0.1:9810  # /metrics of the controller and the agent
STACK_NODE_METRICS=http://127.0.0.1:9811
STACK_PIDS=()
STACK_NODE_PID=
[[ -v STACK_NODE_ARGS ]] || STACK_NODE_ARGS=()
STACK_PORTAL_IPS="${STACK_PORTAL_IPS:-127.0.0.1}"

stack_ms() { date +%s%3N; }

stack_wait_for() {  # path seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do [[ -e "$1" ]] && return 0; sleep 0.1; done
  return 1
}

stack_stop_all() {
  local p
  [[ -n "$STACK_NODE_PID" ]] && kill -TERM "$STACK_NODE_PID" 2>/dev/null
  for p in "${STACK_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  [[ -n "$STACK_NODE_PID" ]] && wait "$STACK_NODE_PID" 2>/dev/null
  for p in "${STACK_PIDS[@]}"; do wait "$p" 2>/dev/null; done
}

# Starts the node agent (again); logs append to node.log. Extra args go to the agent.
stack_start_node() {
  "$STACK_NODE_BIN" --endpoint "$STACK_NODE_EP" --kubelet-dir /var/lib/kubelet \
    --state-dir /var/lib/truenas-csi --node-name e2e-guest --register-with-kubelet=false \
    --log-level debug --metrics-address "${STACK_NODE_METRICS#http://}" "${STACK_NODE_ARGS[@]}" \
    "$@" >>"$STACK_RESULTS/node.log" 2>&1 &
  STACK_NODE_PID=$!
  stack_wait_for "$STACK_NODE_SOCK" 20
}

# Stops the node agent with `signal` (default TERM) and waits for it; its socket is gone after.
stack_stop_node() {
  [[ -n "$STACK_NODE_PID" ]] || return 0
  kill "-${1:-TERM}" "$STACK_NODE_PID" 2>/dev/null
  wait "$STACK_NODE_PID" 2>/dev/null
  STACK_NODE_PID=
  rm -f "$STACK_NODE_SOCK"  # a KILLed agent leaves it; the next start replaces it anyway
}

# The tnas-e2e/tnas-e2e-* connection arguments.
stack_e2e_args() {
  echo --controller "$STACK_CONTROLLER_EP" --node "$STACK_NODE_EP" --sim-url "$STACK_SIM_HTTP"
}

stack_start() {
  local b t i url
  for b in "$STACK_SIM_BIN" "$STACK_BACKING_BIN" "$STACK_CONTROLLER_BIN" "$STACK_NODE_BIN" \
    "$STACK_SETUP_BIN"; do
    [[ -x "$b" ]] || { echo "stack: missing $b" >&2; return 2; }
  done
  mkdir -p "$STACK_RESULTS" "$STACK_WORK" /var/lib/kubelet /var/lib/truenas-csi
  # The guest's own kubelet and state directories (the host's, if any, are read-only here).
  mount -t tmpfs -o mode=750 kubelet /var/lib/kubelet &&
    mount -t tmpfs -o mode=700 state /var/lib/truenas-csi ||
    { echo "cannot mount the kubelet/state tmpfs"; return 1; }
  printf '1-%s\n' "$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 64)" >"$STACK_KEY"
  chmod 600 "$STACK_KEY"
  trap stack_stop_all EXIT

  t=$(stack_ms)
  "$STACK_SIM_BIN" --personality "$STACK_PERSONALITY" --listen 127.0.0.1:0 \
    --api-key-file "$STACK_KEY" --state "$STACK_WORK/sim-state.json" --pool tank:20G \
    --backing-exec "$STACK_BACKING_BIN" --backing-root /srv/tnas "$@" \
    >"$STACK_RESULTS/sim.log" 2>&1 &
  STACK_PIDS+=($!)
  for ((i = 0; i < 100; i++)); do
    url="$(grep -o 'listening on [a-z]*://[0-9.:]*' "$STACK_RESULTS/sim.log" | head -n1 |
      awk '{print $3}')"
    [[ -n "$url" ]] && break
    sleep 0.1
  done
  [[ -n "${url:-}" ]] || { echo "simulator did not start"; cat "$STACK_RESULTS/sim.log"; return 1; }
  STACK_SIM_URL="$url"
  STACK_SIM_HTTP="http://127.0.0.1:${url##*:}"
  echo "simulator $STACK_PERSONALITY at $url after $(($(stack_ms) - t)) ms"
  # What an admin does on TrueNAS before installing the driver, through our own client.
  "$STACK_SETUP_BIN" --url "$url" --api-key-file "$STACK_KEY" --dataset tank/k8s \
    --portal-ip "$STACK_PORTAL_IPS" --service iscsitarget --service nfs ||
    { echo "TrueNAS setup failed"; return 1; }
  # The TrueNAS calls the setup made, so the controller's own can be told apart later.
  python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' \
    "$STACK_SIM_HTTP/_sim/calls" >"$STACK_RESULTS/sim-calls-setup.json"

  t=$(stack_ms)
  "$STACK_CONTROLLER_BIN" --endpoint "$STACK_CONTROLLER_EP" --truenas-url "$url" \
    --api-key-file "$STACK_KEY" --parent-dataset tank/k8s --portal "${STACK_PORTAL_IPS%%,*}:3260" \
    --log-level debug --metrics-address "${STACK_CONTROLLER_METRICS#http://}" \
    >"$STACK_RESULTS/controller.log" 2>&1 &
  STACK_PIDS+=($!)
  : >"$STACK_RESULTS/node.log"
  stack_start_node && stack_wait_for "$STACK_WORK/controller.sock" 20 || {
    echo "controller or node agent did not start"
    tail -n 30 "$STACK_RESULTS"/controller.log "$STACK_RESULTS"/node.log
    return 1
  }
  echo "controller and node agent up after $(($(stack_ms) - t)) ms"
}
