#!/usr/bin/env bash
# The one command that sets up and runs every test: installs missing Debian packages, builds the
# normal and the sanitizer (ASan+UBSan) trees, and runs every CTest suite in both — unit,
# in-process gRPC, integration against the simulator, packaging checks — then the real-kernel
# tests in the QEMU guest (label `guest`, normal build only). Prints a summary line
# "N passed, N failed". Options: --quick (normal build only, no guest), --no-guest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
quick=0
guest=1
for a in "$@"; do
  case "$a" in
    --quick) quick=1; guest=0 ;;
    --no-guest) guest=0 ;;
    *) echo "usage: test.sh [--quick] [--no-guest]" >&2; exit 2 ;;
  esac
done

t0=$SECONDS
./scripts/setup-deps.sh
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
passed=0
failed=0
run_ctest() {  # dir label-args...
  local dir="$1"; shift
  local log
  log="$(mktemp)"
  set +e
  ctest --test-dir "$dir" --output-on-failure --timeout 900 -j "$(nproc)" "$@" 2>&1 | tee "$log"
  set -e
  local line
  line="$(grep -E '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n1 || true)"
  if [[ -n "$line" ]]; then
    local f t
    f="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")"
    t="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")"
    passed=$((passed + t - f))
    failed=$((failed + f))
  elif ! grep -q "No tests were found" "$log"; then
    failed=$((failed + 1))
  fi
  rm -f "$log"
}

echo "== build (normal)"
./scripts/build.sh release
echo "== tests (normal): unit, integration, packaging"
run_ctest build -LE guest
if ((quick == 0)); then
  echo "== build (ASan+UBSan)"
  ./scripts/build.sh asan
  echo "== tests (ASan+UBSan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_ctest build-asan -LE 'guest|nosan'
fi
if ((guest == 1)); then
  echo "== real-kernel tests in the QEMU guest"
  run_ctest build -L guest
fi
echo "== done in $((SECONDS - t0)) s"
echo "${passed} passed, ${failed} failed"
((failed == 0))
