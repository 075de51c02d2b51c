#!/bin/sh
# hot-loops.sh - the hot-loop benchmark: the integer mix (asm/hot_int.asm)
# and the SSE2 mix (asm/hot_sse.asm), multiboot kernels, under rax's
# emulator and under QEMU's TCG JIT on this machine, in the same run,
# alternating, RUNS times each; prints per program the median wall times,
# the ratio rax/QEMU (target: at most 1.0) and both instruction rates.
#
# Start-up (process, loader, 64-bit switch; QEMU's firmware) is subtracted:
# every run of the long loop is paired with a run of the same program built
# with 1000 iterations, and the loop's time is the difference of the two
# medians; the raw long-run times are printed too. The instruction count is
# rax's (--stats), long run minus short run: the loop is deterministic, so
# QEMU retires the same instructions, and QEMU's rate is that count over its
# own loop time (QEMU runs without -icount, which would slow it down).
# Both print the same checksum, checked by the guest against the expected
# one (PASS) and here against each other.
#
# Where `rax --help` lists --jit, rax runs with --jit off and --jit on;
# otherwise once, as it is (the translator is not built yet).
#   usage: bench/hot-loops.sh BUILD_DIR [RUNS]
#   e.g.   bench/hot-loops.sh build 5
set -eu
B=${1:-build}
RUNS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TINY=1000
# the long counts: expected checksums for these are in the programs
long_count() {
  case $1 in
  hot_int) echo 20000000 ;;
  hot_sse) echo 5000000 ;;
  esac
}
[ -x "$B/rax" ] || { echo "hot-loops: $B/rax not built" >&2; exit 2; }
command -v nasm >/dev/null || { echo "hot-loops: nasm missing" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "hot-loops: qemu-system-x86_64 missing" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

if "$B/rax" --help 2>&1 | grep -q -- '--jit'; then
  MODES="off on"
  echo "rax --help lists --jit: rax runs with --jit off and --jit on"
else
  MODES="none"
  echo "rax --help lists no --jit: the translator is not built yet; rax runs its interpreter alone"
fi

# run_rax MODE IMAGE TAG: one timed run, checked; appends to $TMP/TAG.times and .icount
run_rax() {
  jit=
  [ "$1" = none ] || jit="--jit $1"
  t0=$(now)
  st=0
  # shellcheck disable=SC2086 # $jit: none, or the option and its value
  "$B/rax" --backend emulator $jit --kernel "$2" --mem 64M --stats --timeout 600 </dev/null \
    >"$TMP/out" 2>"$TMP/err" || st=$?
  t1=$(now)
  check "rax $jit" "$2" "$st"
  echo "$t0 $t1" | awk '{ print $2 - $1 }' >>"$TMP/$3.times"
  sed -n 's/.*stats: instructions=\([0-9]*\).*/\1/p' "$TMP/err" >>"$TMP/$3.icount"
}

# run_qemu IMAGE TAG
run_qemu() {
  t0=$(now)
  st=0; qemu-system-x86_64 -accel tcg -m 64 -kernel "$1" -serial stdio -display none -nodefaults -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >"$TMP/out" 2>"$TMP/err" || st=$?
  t1=$(now)
  check qemu "$1" "$st"
  echo "$t0 $t1" | awk '{ print $2 - $1 }' >>"$TMP/$2.times"
}

# check WHO IMAGE STATUS: the guest passed (debug-exit value 0: status 1)
# and printed the checksum every other run of IMAGE printed
check() {
  if [ "$3" != 1 ] || ! grep -q ': PASS' "$TMP/out"; then
    echo "hot-loops: $1 on $(basename "$2") failed (status $3):" >&2
    tail -5 "$TMP/out" "$TMP/err" >&2
    exit 1
  fi
  sum=$(grep -o 'checksum 0x[0-9a-f]*' "$TMP/out" | head -1)
  ref="$2.sum"
  if [ -f "$ref" ]; then
    [ "$sum" = "$(cat "$ref")" ] || { echo "hot-loops: $1 on $(basename "$2"): $sum, others $(cat "$ref")" >&2; exit 1; }
  else
    echo "$sum" >"$ref"
  fi
}

echo "median of $RUNS runs, rax emulator and qemu tcg alternating in the same run;"
echo "start-up subtracted: loop time = median(long run) - median($TINY-iteration run);"
echo "qemu's rate = rax's instruction count (long - short, the same deterministic loop) / qemu's loop time"
for p in hot_int hot_sse; do
  long=$(long_count "$p")
  for n in "$TINY" "$long"; do
    nasm -f bin -DITERS="$n" -I"$ROOT/asm/" -o "$TMP/$p-$n.bin" "$ROOT/asm/$p.asm"
  done
  for _ in $(seq "$RUNS"); do
    for n in "$long" "$TINY"; do
      img=$TMP/$p-$n.bin
      run_qemu "$img" "qemu-$p-$n"
      for m in $MODES; do
        run_rax "$m" "$img" "rax-$m-$p-$n"
      done
    done
  done
  qlong=$(median <"$TMP/qemu-$p-$long.times")
  qtiny=$(median <"$TMP/qemu-$p-$TINY.times")
  first=$(echo "$MODES" | cut -d' ' -f1)
  cl=$(median <"$TMP/rax-$first-$p-$long.icount")
  ct=$(median <"$TMP/rax-$first-$p-$TINY.icount")
  echo "$p: $long iterations, $(cat "$TMP/$p-$long.bin.sum"), $((cl - ct)) loop instructions (rax --stats: $cl - $ct)"
  awk -v ql="$qlong" -v qt="$qtiny" -v n="$((cl - ct))" 'BEGIN {
    q = ql - qt
    printf "  %-14s loop %7.3f s  (raw %7.3f s, start-up %.3f s)  %7.1f M instr/s (from rax'"'"'s count)\n", "qemu tcg", q, ql, qt, (q > 0 ? n / q / 1e6 : 0)
  }'
  for m in $MODES; do
    label=rax
    [ "$m" = none ] || label="rax --jit $m"
    awk -v label="$label" -v ql="$qlong" -v qt="$qtiny" -v n0="$((cl - ct))" \
      -v rl="$(median <"$TMP/rax-$m-$p-$long.times")" -v rt="$(median <"$TMP/rax-$m-$p-$TINY.times")" \
      -v cl="$(median <"$TMP/rax-$m-$p-$long.icount")" -v ct="$(median <"$TMP/rax-$m-$p-$TINY.icount")" 'BEGIN {
      n = cl - ct; r = rl - rt; q = ql - qt
      printf "  %-14s loop %7.3f s  (raw %7.3f s, start-up %.3f s)  %7.1f M instr/s\n", label, r, rl, rt, (r > 0 ? n / r / 1e6 : 0)
      if (n != n0)
        printf "  %s retired %d loop instructions, not %d: the modes must retire the same\n", label, n, n0
      if (r > 0 && q > 0)
        printf "  ratio %s/qemu: loop %.2fx, raw %.2fx (target: <= 1.0)\n", label, r / q, rl / ql
      else
        printf "  ratio %s/qemu: raw %.2fx (a loop time is not above start-up noise)\n", label, rl / ql
    }'
  done
done
