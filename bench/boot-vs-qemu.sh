#!/bin/sh
# boot-vs-qemu.sh - boot the Debian cloud kernel + busybox initrd to the init
# banner (then power off) under rax's emulator and under QEMU's TCG JIT on
# this machine, in the same run; print the median wall time of each, rax's
# instruction count and rate, and the ratio (the issue's target: within 3x).
#   usage: bench/boot-vs-qemu.sh [BUILD_DIR] [RUNS]
set -eu
B=${1:-build}
RUNS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${RAX_CACHE:-$ROOT/.cache/guest}
K=$CACHE/bzImage
I=$CACHE/initrd.img
CMD="console=ttyS0 panic=-1 reboot=k rax.cmd=true"
[ -x "$B/rax" ] || { echo "boot-vs-qemu: $B/rax not built" >&2; exit 2; }
[ -f "$K" ] && [ -f "$I" ] || { echo "boot-vs-qemu: run ci/setup.sh first (no $K / $I)" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "boot-vs-qemu: qemu-system-x86_64 missing" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for r in $(seq "$RUNS"); do
  t0=$(now)
  "$B/rax" --backend emulator --kernel "$K" --initrd "$I" --mem 512M --cmdline "$CMD" \
    --stats --timeout 900 </dev/null >"$TMP/rax.out" 2>"$TMP/rax.err" || true
  t1=$(now)
  grep -q "RAX-INIT: busybox userspace up" "$TMP/rax.out" || { echo "rax run $r did not reach the init banner:" >&2; tail -5 "$TMP/rax.out" "$TMP/rax.err" >&2; exit 1; }
  echo "$t0 $t1" | awk '{ print $2 - $1 }' >>"$TMP/rax.times"
  sed -n 's/.*instructions=\([0-9]*\).*/\1/p' "$TMP/rax.err" >>"$TMP/rax.icount"
  t0=$(now)
  qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot -kernel "$K" -initrd "$I" \
    -append "$CMD" </dev/null >"$TMP/qemu.out" 2>&1 || true
  t1=$(now)
  grep -q "RAX-INIT: busybox userspace up" "$TMP/qemu.out" || { echo "qemu run $r did not reach the init banner" >&2; tail -5 "$TMP/qemu.out" >&2; exit 1; }
  echo "$t0 $t1" | awk '{ print $2 - $1 }' >>"$TMP/qemu.times"
done
rax_t=$(median <"$TMP/rax.times")
qemu_t=$(median <"$TMP/qemu.times")
icount=$(median <"$TMP/rax.icount")
awk -v r="$rax_t" -v q="$qemu_t" -v n="$icount" -v runs="$RUNS" 'BEGIN {
  printf "boot to init banner + poweroff, median of %d runs\n", runs
  printf "rax emulator : %7.2f s  (%d instructions, %.1f M instr/s)\n", r, n, n / r / 1e6
  printf "qemu tcg     : %7.2f s\n", q
  printf "ratio rax/qemu: %.2fx (target: <= 3x)\n", r / q
}'
