#!/bin/sh
# history-cost.sh - what reverse execution costs on a Linux boot (Debian cloud
# kernel + busybox initrd, to the init banner and power-off) on the
# interpreter:
#   - boot time with history off and on (--gdb-history 4G, nothing dropped),
#     medians of RUNS, interleaved; the snapshot memory per billion
#     instructions (rax's exit line);
#   - from position N (default 300,000,000): goto(N - 1) (reverse-stepi),
#     100 of them in a row,
#     a backwards search over the last BACK instructions that finds nothing
#     (the re-execution rate of reverse-continue) and one that finds the
#     last time RIP was where it was at N - BACK (build/history-bench).
#   usage: bench/history-cost.sh [BUILD_DIR] [RUNS] [N] [BACK]
set -eu
B=${1:-build}
RUNS=${2:-3}
N=${3:-300000000}
BACK=${4:-20000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${RAX_CACHE:-$ROOT/.cache/guest}
K=$CACHE/bzImage
I=$CACHE/initrd.img
CMD="console=ttyS0 panic=-1 reboot=k rax.cmd=true"
[ -x "$B/rax" ] && [ -x "$B/history-bench" ] || { echo "history-cost: $B/rax or $B/history-bench not built" >&2; exit 2; }
[ -f "$K" ] && [ -f "$I" ] || { echo "history-cost: run ci/setup.sh first (no $K / $I)" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
now() { date +%s.%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for r in $(seq "$RUNS"); do
  for mode in off on; do
    h=0; [ $mode = on ] && h=4G
    t0=$(now)
    "$B/rax" --backend emulator --kernel "$K" --initrd "$I" --cmdline "$CMD" --gdb-history $h --stats \
      </dev/null >/dev/null 2>"$TMP/err.$mode"
    t1=$(now)
    echo "$t1 - $t0" | bc >>"$TMP/t.$mode"
  done
done
insns=$(sed -n 's/.*instructions=\([0-9]*\).*/\1/p' "$TMP/err.on")
mib=$(sed -n 's/.*history: .* \([0-9.]*\) MiB of .*/\1/p' "$TMP/err.on")
off=$(median <"$TMP/t.off")
on=$(median <"$TMP/t.on")
echo "Linux boot to the init banner on the interpreter, $insns instructions, median of $RUNS runs:"
echo "  history off: ${off} s   on: ${on} s   ratio $(echo "scale=2; $on / $off" | bc)"
echo "  snapshot memory: $mib MiB at exit, $(echo "scale=1; $mib * 1000000000 / $insns" | bc) MiB per billion instructions"
"$B/history-bench" "$K" "$I" "$N" "$BACK" "$RUNS" >"$TMP/b"
v() { sed -n "s/^$1 //p" "$TMP/b"; }
echo "From position $N ($(v snapshots) snapshots, $(v snapshot_mib) MiB, booted there in $(v boot_to_n_s) s):"
echo "  replay exact (registers and RAM at N after goto(N / 2) and back): $(v replay_exact)"
echo "  reverse-stepi, goto(N - 1): $(v goto_back1_s) s (median)"
echo "  reverse-stepi 100 times in a row from N: $(v goto_back_row_s) s a step (mean)"
echo "  reverse-continue over the last $BACK instructions, no hit: $(v scan_back_s) s ($(v scan_back_mips) M instructions/s)"
echo "  reverse-continue to RIP as at N - $BACK: $(v find_last_s) s, found $(v find_last_distance) instructions back"
