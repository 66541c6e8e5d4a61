#!/bin/bash
# Run in the guest by clone-check.sh (run-in-guest.sh from a clone under a directory the guest
# hides): checks that the host paths a job names mean in the guest what they mean on the host —
# the script's own directory (sibling files), its cwd, a binary given as an argument (same bytes,
# and it runs) — and that the guest's own directory around them stays writable.
#
#   paths-probe.sh <binary> <sha256 of the binary on the host>
#
# Exit status: the number of failed checks.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${1:?usage: paths-probe.sh <binary> <sha256>}" want="${2:?usage: paths-probe.sh <binary> <sha256>}"
failures=0
check() {  # check <what> <command...>
  local what="$1"
  shift
  if "$@"; then echo "PASS $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}
same_cwd() { [[ "$PWD" == "${TNAS_GUEST_CWD:-}" && -d .git ]]; }
sibling() { [[ -r "$here/guest-stage2.sh" && -r "$here/run-in-guest.sh" ]]; }
same_binary() { [[ "$(sha256sum <"$bin" | cut -d' ' -f1)" == "$want" ]]; }
binary_runs() {  # an event it refuses: it runs, reads stdin and answers with exit status 1
  echo '{"event":"no-such-event"}' | "$bin" 2>/dev/null
  [[ $? == 1 ]]
}
parent_writable() {  # the guest's own top directory holding the clone (tmpfs), beside the bind
  local top="${PWD#/}"
  top="/${top%%/*}"
  : >"$top/probe-$$" && rm "$top/probe-$$"
}
check "cwd is the host's clone ($PWD)" same_cwd
check "script's siblings readable ($here)" sibling
check "binary has the host's bytes ($bin)" same_binary
check "binary runs" binary_runs
check "guest's own directory writable beside the clone" parent_writable
echo "paths-probe: $failures failed check(s)"
exit "$failures"
