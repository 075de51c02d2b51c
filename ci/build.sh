#!/usr/bin/env bash
# ci/build.sh [BUILD_DIR [CMAKE_ARGS...]] - configure and build RAX.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [ ! -f "$dir/CMakeCache.txt" ]; then
	cmake -S . -B "$dir" "${gen[@]}" "$@" >/dev/null
fi
cmake --build "$dir" -j "$(nproc)"
