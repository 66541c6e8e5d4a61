#!/usr/bin/env bash
# Configures and builds one flavour of the tree: `build.sh release` (build/) or `build.sh asan`
# (build-asan/, AddressSanitizer + UndefinedBehaviorSanitizer). Extra arguments go to ninja.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
flavour="${1:-release}"
shift || true
case "$flavour" in
  release) dir="$root/build"; extra=() ;;
  asan) dir="$root/build-asan"; extra=(-DTNAS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
  *) echo "usage: build.sh release|asan [ninja args]" >&2; exit 2 ;;
esac
# ccache keys relative to the tree, so clones and worktrees in other folders share hits.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR=1
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
if [[ ! -f "$dir/build.ninja" ]]; then
  cmake -S "$root" -B "$dir" -G Ninja "${launcher[@]}" "${extra[@]}" >/dev/null
fi
jobs="${TNAS_JOBS:-$(nproc)}"
ninja -C "$dir" -j "$jobs" "$@"
