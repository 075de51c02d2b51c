#!/bin/sh
# boot-vs-qemu.sh - boot the Debian cloud kernel + busybox initrd to the init
# banner (then power off) under rax's emulator and under QEMU's TCG JIT on
# this machine, in the same run, with 1, 2 and 4 CPUs (rax --smp N, QEMU
# -smp N) and at CPU levels v1, v2, v3 (rax --cpu L, QEMU -cpu with the
# matching model: qemu64, Nehalem (SSE4.2 POPCNT), Haswell-noTSX (AVX2 FMA
# BMI F16C MOVBE AES PCLMUL)); print per level and CPU count the median wall
# time of each, rax's instruction count and rate, and the ratio (the target:
# within 3x).
#   usage: bench/boot-vs-qemu.sh [BUILD_DIR] [RUNS] [CPU COUNTS] [LEVELS] [JIT]
#   e.g.   bench/boot-vs-qemu.sh build 3 "1 2 4" "v1 v3" "off on"
# JIT: rax --jit off|on, each measured in its own row (default off).
set -eu
B=${1:-build}
RUNS=${2:-3}
SMP=${3:-1 2 4}
LEVELS=${4:-v2}
JITS=${5:-off}
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

qemu_model() {
  case $1 in
  v1) echo qemu64 ;;
  v2) echo Nehalem ;;
  v3) echo Haswell-noTSX ;;
  *) echo "boot-vs-qemu: unknown level $1" >&2; exit 2 ;;
  esac
}

echo "boot to init banner + poweroff, median of $RUNS runs, rax emulator vs qemu tcg in the same run"
for lv in $LEVELS; do
  model=$(qemu_model "$lv")
  for n in $SMP; do
    k=$lv-$n
    for r in $(seq "$RUNS"); do
      for j in $JITS; do
        t0=$(now)
        "$B/rax" --backend emulator --cpu "$lv" --smp "$n" --kernel "$K" --initrd "$I" --mem 512M --cmdline "$CMD" \
          --stats --jit "$j" --timeout 900 </dev/null >"$TMP/rax.out" 2>"$TMP/rax.err" || true
        t1=$(now)
        grep -q "RAX-INIT: busybox userspace up" "$TMP/rax.out" || { echo "rax --cpu $lv --smp $n --jit $j run $r did not reach the init banner:" >&2; tail -5 "$TMP/rax.out" "$TMP/rax.err" >&2; exit 1; }
        echo "$t0 $t1" | awk '{ print $2 - $1 }' >>"$TMP/rax$k-$j.times"
        sed -n 's/.*instructions=\([0-9]*\).*/\1/p' "$TMP/rax.err" >>"$TMP/rax$k-$j.icount"
      done
      t0=$(now)
      qemu-system-x86_64 -accel tcg -cpu "$model" -smp "$n" -m 512 -nographic -no-reboot -kernel "$K" -initrd "$I" \
        -append "$CMD" </dev/null >"$TMP/qemu.out" 2>&1 || true
      t1=$(now)
      grep -q "RAX-INIT: busybox userspace up" "$TMP/qemu.out" || { echo "qemu -cpu $model -smp $n run $r did not reach the init banner" >&2; tail -5 "$TMP/qemu.out" >&2; exit 1; }
      echo "$t0 $t1" | awk '{ print $2 - $1 }' >>"$TMP/qemu$k.times"
    done
    for j in $JITS; do
      awk -v lv="$lv" -v m="$model" -v n="$n" -v j="$j" -v r="$(median <"$TMP/rax$k-$j.times")" \
        -v q="$(median <"$TMP/qemu$k.times")" -v c="$(median <"$TMP/rax$k-$j.icount")" 'BEGIN {
        printf "%s %2d CPU%s  rax --jit %-3s %6.2f s (%d instructions, %.1f M instr/s)  qemu -cpu %s %6.2f s  ratio rax/qemu %.2fx (target: <= 3x)\n",
          lv, n, (n > 1 ? "s" : " "), j, r, c, c / r / 1e6, m, q, r / q
      }'
    done
  done
done
