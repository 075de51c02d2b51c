#!/usr/bin/env bash
# ci/test.sh - the whole test suite: set up, build (plain and with
# AddressSanitizer + UndefinedBehaviorSanitizer), run the C unit tests in
# both builds, then the pytest suite on both cores.
set -euo pipefail
cd "$(dirname "$0")/.."
phase() { echo "== $* (at ${SECONDS}s)"; }
phase "set-up"
ci/setup.sh
phase "format (clang-format)"
ci/format.sh
phase "build"
ci/build.sh build
phase "build with ASan+UBSan"
ci/build.sh build-asan -DRAX_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DRAX_CORPUS=OFF
phase "C unit tests (ASan+UBSan)"
(cd build-asan && RAX_UNIT_CASES=4 ctest -j2 --output-on-failure -E '^pytest$') # -O0 + sanitizers: fewer random cases
phase "hostile input (ASan+UBSan)"
# rax built with sanitizers against stalled and closed readers, signals and bad
# input; the Linux boots (marker boot) are left to the plain build below.
RAX_BUILD="$PWD/build-asan" /usr/bin/python3 -m pytest -n 2 -q -rs -m "not boot" pytest/test_hostile.py
phase "gdb stub (ASan+UBSan)"
# real gdb and raw malformed, oversized and bad-checksum packets against the
# sanitized stub (about 10 s)
RAX_BUILD="$PWD/build-asan" /usr/bin/python3 -m pytest -n 2 -q -rs -m "not boot" pytest/test_gdb.py
phase "C unit tests"
(cd build && ctest -j2 --output-on-failure -E '^pytest$')
phase "pytest"
# -rs prints the reason of every skip; exit status 5 (no tests) fails too.
# loadgroup keeps tests that share one expensive fixture (xdist_group) on one worker.
RAX_BUILD="$PWD/build" /usr/bin/python3 -m pytest -n 2 --dist loadgroup -rs --durations=15 pytest "$@"
