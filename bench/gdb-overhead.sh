#!/bin/sh
# gdb-overhead.sh - what the gdb stub costs when no debugger is attached:
# boot the Debian cloud kernel + busybox initrd to the init banner (then
# power off) on the emulator, alternately without and with `--gdb` listening
# (nobody attaches), and print the median wall time of each and their ratio.
# The stub adds nothing to the interpreter's per-instruction paths (a stop
# request is looked at where vm->stop is, every 64 Ki instructions); its
# watcher thread sleeps in poll() while the guest runs.
#   usage: bench/gdb-overhead.sh [BUILD_DIR] [RUNS]
#   e.g.   bench/gdb-overhead.sh build 5
set -eu
B=${1:-build}
RUNS=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${RAX_CACHE:-$ROOT/.cache/guest}
K=$CACHE/bzImage
I=$CACHE/initrd.img
CMD="console=ttyS0 panic=-1 reboot=k rax.cmd=true"
[ -x "$B/rax" ] || { echo "gdb-overhead: $B/rax not built" >&2; exit 2; }
[ -f "$K" ] && [ -f "$I" ] || { echo "gdb-overhead: run ci/setup.sh first (no $K / $I)" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

boot() { # $1: output file for the time; rest: extra rax options
  out=$1
  shift
  t0=$(now)
  "$B/rax" --backend emulator --clock virtual --kernel "$K" --initrd "$I" --cmdline "$CMD" --timeout 300 "$@" \
    </dev/null >"$TMP/console" 2>"$TMP/stderr" || { echo "gdb-overhead: boot failed: $(tail -1 "$TMP/stderr")" >&2; exit 1; }
  t1=$(now)
  grep -q "RAX-INIT" "$TMP/console" || { echo "gdb-overhead: no init banner" >&2; exit 1; }
  echo "$t1 - $t0" | bc -l >>"$out"
}

echo "boot to the init banner + poweroff on the emulator, median of $RUNS runs each, interleaved"
i=0
while [ $i -lt "$RUNS" ]; do
  boot "$TMP/plain"
  boot "$TMP/gdb" --gdb "unix:$TMP/gdb.sock"
  i=$((i + 1))
done
p=$(median <"$TMP/plain")
g=$(median <"$TMP/gdb")
printf 'without --gdb:            %.3f s\n' "$p"
printf 'with --gdb (listening):   %.3f s\n' "$g"
printf 'ratio:                    %.3f\n' "$(echo "$g / $p" | bc -l)"
