#!/usr/bin/env bash
# ci/format.sh - check that every tracked C file matches .clang-format
# (Debian's clang-format 14); `ci/format.sh --fix` rewrites them in place.
# Generated headers (src/loader/testimg_stub.h) are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "ci/format.sh: clang-format is not installed (ci/setup.sh installs it)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v '^src/loader/testimg_stub\.h$')
if [ "${1:-}" = --fix ]; then
    clang-format -i --style=file "${files[@]}"
    exit 0
fi
bad=0
for f in "${files[@]}"; do
    if ! clang-format --style=file "$f" | cmp -s - "$f"; then
        echo "ci/format.sh: $f is not formatted (ci/format.sh --fix)" >&2
        bad=1
    fi
done
[ "$bad" = 0 ] && echo "ci/format.sh: ${#files[@]} files formatted"
exit "$bad"
