#!/bin/sh
# rax-diff-steps.sh - rax-diff's steps per second for every oracle/strategy
# this host offers, next to the raw cost of the host mechanism alone.
#   usage: bench/rax-diff-steps.sh [BUILD_DIR] [IMAGE...]
# "raw" = rax-diff --steps N on the same image is not possible without the
# comparison, so the raw figure comes from bench/ptrace_steps (a plain
# PTRACE_SINGLESTEP loop over the same instruction count in a child).
set -e
B=${1:-build}
shift 2>/dev/null || true
IMGS=${*:-$B/asm/t_arith.bin $B/asm/t_shift.bin $B/asm/t_muldiv.bin}
for img in $IMGS; do
  out=$("$B/harness/rax-diff" --quiet --oracle native "$img" | head -1)
  steps=$(echo "$out" | awk '{print $3}')
  secs=$(echo "$out" | awk '{print $5}' | tr -d s)
  awk -v n="$steps" -v t="$secs" -v i="$img" 'BEGIN { printf "native  %-32s %8d steps %7.3fs %9.0f steps/s (rax-diff)\n", i, n, t, n / t }'
  "$B/harness/ptrace-steps" "$steps"
done
if [ -e /dev/kvm ]; then
  for m in singlestep trapflag; do
    for img in $IMGS; do
      "$B/harness/rax-diff" --quiet --oracle kvm --step-mode $m "$img" | head -1
    done
  done
else
  echo "kvm     (no /dev/kvm on this host: KVM strategies not measured)"
fi
