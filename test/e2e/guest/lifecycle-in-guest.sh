#!/bin/bash
# Runs inside the real-kernel guest (via test/guest/run-in-guest.sh): starts the TrueNAS simulator
# with the guest backing (zvols -> LIO iSCSI LUNs, datasets -> kernel NFS exports), the controller
# and the node agent, then drives one full volume lifecycle over CSI per flavour with tnas-e2e.
#
#   lifecycle-in-guest.sh <build-dir> [flavour...]     flavours: iscsi-ext4 iscsi-xfs iscsi-block
#                                                                 nfs-4.2 nfs-3   (default: all)
# Writes <flavour>.json reports and the daemons' logs to $TNAS_RESULTS_DIR (if set).
set -uo pipefail
build="$1"; shift
flavours=("$@")
((${#flavours[@]})) || flavours=(iscsi-ext4 iscsi-xfs iscsi-block nfs-4.2 nfs-3)
results="${TNAS_RESULTS_DIR:-/tmp/tnas-e2e-results}"
mkdir -p "$results"
personality="${TNAS_E2E_PERSONALITY:-25.10}"

sim="$build/test/truenas-sim/truenas-sim"
backing="$build/test/guest/backing/tnas-guest-backing"
controller="$build/controller/truenas-csi-controller"
node="$build/agent/truenas-csi-node"
e2e="$build/test/e2e/tnas-e2e"
setup="$build/test/tools/tnas-truenas-setup"
for b in "$sim" "$backing" "$controller" "$node" "$e2e" "$setup"; do
  [[ -x "$b" ]] || { echo "lifecycle-in-guest: missing $b" >&2; exit 2; }
done

work=/run/tnas-e2e
mkdir -p "$work" /var/lib/kubelet /var/lib/truenas-csi
# The guest's own kubelet and state directories (the host's, if any, are read-only here).
mount -t tmpfs -o mode=750 kubelet /var/lib/kubelet && mount -t tmpfs -o mode=700 state /var/lib/truenas-csi ||
  { echo "cannot mount the kubelet/state tmpfs"; exit 1; }
key="$work/api-key"
printf '1-%s\n' "$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 64)" >"$key"
chmod 600 "$key"

pids=()
stop_all() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}
trap stop_all EXIT

wait_for() {  # path seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do [[ -e "$1" ]] && return 0; sleep 0.1; done
  return 1
}

ms() { date +%s%3N; }
t=$(ms)
"$sim" --personality "$personality" --listen 127.0.0.1:0 --api-key-file "$key" \
  --state "$work/sim-state.json" --pool tank:20G \
  --backing-exec "$backing" --backing-root /srv/tnas >"$results/sim.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do
  url="$(grep -o 'listening on [a-z]*://[0-9.:]*' "$results/sim.log" | head -n1 | awk '{print $3}')"
  [[ -n "$url" ]] && break
  sleep 0.1
done
[[ -n "${url:-}" ]] || { echo "simulator did not start"; cat "$results/sim.log"; exit 1; }
port="${url##*:}"
echo "simulator $personality at $url after $(($(ms) - t)) ms"
# What an admin does on TrueNAS before installing the driver, through our own client.
"$setup" --url "$url" --api-key-file "$key" --dataset tank/k8s --portal-ip 127.0.0.1 \
  --service iscsitarget --service nfs || { echo "TrueNAS setup failed"; exit 1; }

t=$(ms)
"$controller" --endpoint "unix://$work/controller.sock" --truenas-url "$url" \
  --api-key-file "$key" --parent-dataset tank/k8s --portal 127.0.0.1:3260 \
  --log-level debug >"$results/controller.log" 2>&1 &
pids+=($!)
node_sock=/var/lib/kubelet/plugins/csi.truenas-csi.io/csi.sock
"$node" --endpoint "unix://$node_sock" --kubelet-dir /var/lib/kubelet \
  --state-dir /var/lib/truenas-csi --node-name e2e-guest --register-with-kubelet=false \
  --log-level debug >"$results/node.log" 2>&1 &
pids+=($!)
wait_for "$work/controller.sock" 20 && wait_for "$node_sock" 20 || {
  echo "controller or node agent did not start"; tail -n 30 "$results"/controller.log "$results"/node.log; exit 1; }
echo "controller and node agent up after $(($(ms) - t)) ms"

rc=0
for f in "${flavours[@]}"; do
  args=(--controller "unix://$work/controller.sock" --node "unix://$node_sock"
        --sim-url "http://127.0.0.1:$port" --name "pvc-${f//./-}" --report "$results/$f.json")
  case "$f" in
    iscsi-ext4) args+=(--protocol iscsi --fs-type ext4) ;;
    iscsi-xfs) args+=(--protocol iscsi --fs-type xfs) ;;
    iscsi-block) args+=(--protocol iscsi --block) ;;
    nfs-*) args+=(--protocol nfs --nfs-version "${f#nfs-}") ;;
    *) echo "unknown flavour $f"; rc=2; continue ;;
  esac
  "$e2e" "${args[@]}" || rc=1
done
exit "$rc"
