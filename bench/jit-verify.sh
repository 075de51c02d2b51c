#!/bin/sh
# jit-verify.sh - the block translator's verification at full size (issue 16):
# the first 500 M instructions of the Linux boot translated against
# interpreted (rax-diff --jit --kernel), block by block, and the boot to the
# shell prompt chained (compared every 1000 instructions), and the whole corpus with
# every step translated against the CPU (rax-diff --oracle native --jit-step).
# CI runs a short prefix and a corpus subset (pytest/test_jit_verify.py).
#   usage: bench/jit-verify.sh [BUILD_DIR] [STEPS]
#   RAX_CACHE: the guest assets (default .cache/guest)
set -e
B=${1:-build}
STEPS=${2:-500000000}
C=${RAX_CACHE:-.cache/guest}
echo "== rax-diff --jit --kernel: first $STEPS instructions of the boot"
/usr/bin/time -f "%e s wall, %U s user" "$B/harness/rax-diff" --jit --kernel "$C/bzImage" \
  --initrd "$C/initrd.img" --steps "$STEPS" --quiet
echo "== the boot to the busybox prompt (1.5 G instructions), chained, compared every 1000 instructions"
/usr/bin/time -f "%e s wall, %U s user" "$B/harness/rax-diff" --jit --kernel "$C/bzImage" \
  --initrd "$C/initrd.img" --steps 1500000000 --chunk 1000 --quiet
echo "== rax-diff --oracle native --jit-step: the corpus (testcases/*.bin)"
/usr/bin/time -f "%e s wall, %U s user" "$B/harness/rax-diff" --oracle native --jit-step --quiet \
  testcases/*.bin | grep -v '^PASS\|^SKIP'
