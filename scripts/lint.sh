#!/usr/bin/env bash
# Style gates: clang-format (check, or --fix to apply) over our C++ sources, and clang-tidy over
# the files in build/compile_commands.json (run ./scripts/build.sh first). Exit 1 on findings.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
fix=0
[[ "${1:-}" == "--fix" ]] && fix=1
mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v '^proto/')
if ((fix)); then
  clang-format -i "${files[@]}"
else
  clang-format --dry-run --Werror "${files[@]}"
fi
if [[ -f build/compile_commands.json && "${TNAS_TIDY:-1}" == "1" ]]; then
  mapfile -t ccs < <(printf '%s\n' "${files[@]}" | grep '\.cc$')
  clang-tidy -p build --quiet "${ccs[@]}"
fi
