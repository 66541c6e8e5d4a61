#!/bin/bash
# Runs inside the real-kernel guest (via test/guest/run-in-guest.sh): starts the simulator with
# its LIO backing (initiator ACLs and CHAP enforced by the kernel target), the controller and the
# node agent (stack.sh), then drives the access scenarios over CSI with tnas-e2e-access: LUN
# masking, CHAP one-way / mutual / wrong secret, NodePublish mount flags and readonly. Afterwards
# it checks that no CHAP secret appears in the controller's or the agent's log (nor in the test's
# own output); the secrets are random per run and only ever live in a 0600 file on the guest's
# /run.
#
#   access-in-guest.sh <build-dir> [scenario...]   scenarios: masking chap chap-mutual
#                                                             chap-wrong flags (default: all)
# Writes access-<scenario>.json, access.out and the daemons' logs to $TNAS_RESULTS_DIR (if set).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=stack.sh
source "$here/stack.sh" "$1"
shift
access_bin="$STACK_BUILD/test/e2e/tnas-e2e-access"
[[ -x "$access_bin" ]] || { echo "access-in-guest: missing $access_bin" >&2; exit 2; }
t0=$(stack_ms)
stack_start || exit 1

secrets="$STACK_WORK/access-secrets"
random_secret() { tr -dc 'A-Za-z0-9' </dev/urandom | head -c 14; }
(
  umask 077
  printf 'chapUser=e2e-initiator\nchapSecret=%s\nchapMutualUser=e2e-target\n' "$(random_secret)"
  printf 'chapMutualSecret=%s\nwrongSecret=%s\n' "$(random_secret)" "$(random_secret)"
) >"$secrets"

# shellcheck disable=SC2207
args=($(stack_e2e_args) --secrets-file "$secrets" --report-dir "$STACK_RESULTS" --size-mib 64)
for s in "$@"; do args+=(--scenario "$s"); done
"$access_bin" "${args[@]}" 2>&1 | tee "$STACK_RESULTS/access.out"
rc=${PIPESTATUS[0]}

# Stop the daemons first so everything they log is on disk, then look for every secret.
stack_stop_all
trap - EXIT
leaks=0
for key in chapSecret chapMutualSecret wrongSecret; do
  value="$(sed -n "s/^$key=//p" "$secrets")"
  [[ -n "$value" ]] || { echo "secret check: $key missing from $secrets"; leaks=1; continue; }
  for f in controller.log node.log access.out; do
    if grep -qF -- "$value" "$STACK_RESULTS/$f"; then
      echo "secret check: FAILED: the $key value appears in $f"
      leaks=1
    fi
  done
done
((leaks)) || echo "secret check: no CHAP secret in controller.log, node.log or access.out"
# The wrong-secret scenario must have reached the agent's log as an authentication failure.
if grep -qi 'authentication failed' "$STACK_RESULTS/node.log"; then
  echo "node.log: $(grep -ci 'authentication failed' "$STACK_RESULTS/node.log") line(s) report" \
    "the authentication failure"
fi
echo "access-in-guest: $(( ($(stack_ms) - t0) / 1000 )) s in the guest script"
((leaks)) && rc=1
exit "$rc"
