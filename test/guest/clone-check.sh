#!/bin/bash
# guest_rig_from_clone: the real-kernel rig works from a clone anywhere. Clones this repository
# (its HEAD, or $TNAS_CLONE_REV) into fresh directories the guest hides with its own — one under
# /tmp in a path with a space, one under /root — and boots the guest from each with the clone's
# own rig scripts (run-in-guest.sh, guest-stage2.sh, the job):
#   /tmp/tnas clone-check.X/with space/repo: the rig self-test (selftest.sh);
#   /root/tnas-clone-check.X/repo:            paths-probe.sh (a short boot).
# The self-test's one binary, tnas-guest-backing, is taken from the build tree (it is not rebuilt
# in the clone) and copied into the clone, so every path the guest uses lies under the clone.
#
#   clone-check.sh <source-dir> <tnas-guest-backing>
#
# Exit status: 0 when both boots pass; otherwise 1 (each failure is named on one line).
set -uo pipefail
src="${1:?usage: clone-check.sh <source-dir> <tnas-guest-backing>}"
backing="${2:?usage: clone-check.sh <source-dir> <tnas-guest-backing>}"
[[ -x "$backing" ]] || { echo "clone-check: no executable $backing" >&2; exit 1; }
rev="${TNAS_CLONE_REV:-$(git -C "$src" rev-parse HEAD)}" ||
  { echo "clone-check: $src is not a git checkout" >&2; exit 1; }

tmp_base="$(mktemp -d "/tmp/tnas clone-check.XXXXXX")"
root_base="$(mktemp -d /root/tnas-clone-check.XXXXXX)"
trap 'rm -rf "$tmp_base" "$root_base"' EXIT

clone() {  # clone <dir>: the repository at $rev, with the built backing binary in <dir>/bin
  git clone -q --no-checkout "$src" "$1" && git -C "$1" checkout -q --detach "$rev" &&
    mkdir -p "$1/bin" && cp "$backing" "$1/bin/tnas-guest-backing"
}

failures=0
fail() { echo "clone-check: FAIL $*"; failures=$((failures + 1)); }

# 1. Under /tmp, with a space in the path: the whole rig self-test.
repo="$tmp_base/with space/repo"
if clone "$repo"; then
  echo "clone-check: $rev in $repo: rig self-test"
  out="$tmp_base/selftest.out"
  (cd "$repo" && TNAS_BACKING_BIN="$repo/bin/tnas-guest-backing" \
    ./test/guest/run-in-guest.sh --timeout 900 test/guest/selftest.sh) 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  if ((rc != 0)); then
    fail "rig self-test from $repo exited $rc"
  elif ! grep -q '^guest| selftest: 0 failed step(s)$' "$out"; then
    fail "rig self-test from $repo did not report its steps"
  fi
else
  fail "cannot clone $src into $repo"
fi

# 2. Under /root (the guest's /root is a tmpfs): the paths probe.
repo="$root_base/repo"
if clone "$repo"; then
  echo "clone-check: $rev in $repo: paths probe"
  sum="$(sha256sum <"$repo/bin/tnas-guest-backing" | cut -d' ' -f1)"
  (cd "$repo" && ./test/guest/run-in-guest.sh --timeout 300 test/guest/paths-probe.sh \
    "$repo/bin/tnas-guest-backing" "$sum") 2>&1
  rc=$?
  ((rc == 0)) || fail "paths probe from $repo exited $rc"
else
  fail "cannot clone $src into $repo"
fi

if ((failures == 0)); then echo "clone-check: PASS (rig from /tmp and /root clones)"; fi
((failures == 0))
