#!/bin/sh
# rax-diff-steps.sh - rax-diff's steps per second for every oracle/strategy
# this host offers, next to the raw cost of the host mechanism alone.
#   usage: bench/rax-diff-steps.sh [BUILD_DIR] [IMAGE...]
#   RAX_BENCH_KERNEL=bzImage (with /dev/kvm): also the --kernel exits strategy
# "raw" = rax-diff --steps N on the same image is not possible without the
# comparison, so the raw figure comes from harness/ptrace-steps (a plain
# PTRACE_SINGLESTEP loop over the same instruction count in a child).
set -e
B=${1:-build}
shift 2>/dev/null || true
IMGS=${*:-$B/asm/t_arith.bin $B/asm/t_shift.bin $B/asm/t_muldiv.bin}
rate() { # "PASS img N steps Xs ..." -> one line with steps/s
  awk -v tag="$1" '{ t = $5; sub("s$", "", t); if (t > 0) printf "%-22s %-32s %8d steps %7.3fs %9.0f steps/s\n", tag, $2, $3, t, $3 / t }'
}
for img in $IMGS; do
  line=$("$B/harness/rax-diff" --quiet --oracle native "$img" | head -1)
  echo "$line" | rate "native (rax-diff)"
  "$B/harness/ptrace-steps" "$(echo "$line" | awk '{print $3}')"
done
if [ -e /dev/kvm ]; then
  for m in singlestep trapflag; do
    for img in $IMGS; do
      "$B/harness/rax-diff" --quiet --oracle kvm --step-mode $m "$img" | head -1 | rate "kvm/$m (rax-diff)"
    done
  done
  if [ -n "$RAX_BENCH_KERNEL" ]; then
    # exits strategy: instructions compared per second of the whole run
    # (RAM checks are budgeted at ~10% and reported separately)
    "$B/harness/rax-diff" --quiet --kernel "$RAX_BENCH_KERNEL" --mem 128M \
      --steps 3000000000 --timeout 120 >/tmp/rax-diff-bench.$$ || true
    head -1 /tmp/rax-diff-bench.$$ | rate "kernel exits"
    grep -E 'compared:|RAM:|window end' /tmp/rax-diff-bench.$$ || true
    rm -f /tmp/rax-diff-bench.$$
  fi
else
  echo "kvm     (no /dev/kvm on this host: KVM strategies not measured)"
fi
