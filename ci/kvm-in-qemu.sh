#!/bin/bash
# ci/kvm-in-qemu.sh — run a command with a REAL /dev/kvm (AMD SVM), on a host
# that has none, by booting Debian's cloud kernel under QEMU TCG with the SVM
# extension emulated (-cpu max) and loading kvm.ko + kvm-amd.ko in the guest.
#
# Usage:
#   ci/kvm-in-qemu.sh [options] --run 'COMMAND'
#
#   --copy SRC[:DEST]  copy a file or directory into the guest.  DEST is
#                      relative to the guest's working directory /work (or
#                      absolute).  Default DEST: SRC itself when SRC is a
#                      relative path without "..", else its basename.  So
#                      "--copy build/rax" gives /work/build/rax.  Dynamically
#                      linked ELF files (also inside directories) get the
#                      shared libraries ldd lists copied to the same paths.
#   --run COMMAND      shell command, run with sh in /work after the modules
#                      are loaded (busybox userland: sh, grep, awk, ...).
#   --timeout SEC      whole-run limit (default 600); exit 124 when hit.
#   --mem SIZE         guest memory (default 2G).
#   --smp N            guest CPUs (default 1).
#   --cpu MODEL        QEMU CPU model (default "max": SVM with NPT and vGIF
#                      under TCG).  "qemu64,+svm" also works (no NPT, so KVM
#                      uses shadow paging).
#   --kvm-amd-args S   module parameters for kvm_amd, e.g. "npt=0".
#   --verbose          show the guest kernel's boot log (default: warnings+).
#   --keep             keep the temporary work directory.
#
# Exit status: the command's exit status, parsed from the guest's
#   "KVM-IN-QEMU rc=<n>" serial marker; 124 on timeout; 125 when the guest
#   never reported (boot failure, module load failure, no /dev/kvm, ...).
#
# Needs the assets from ci/setup.sh (run automatically when missing):
# <cache>/bzImage, <cache>/initrd.img and the kernel's modules under
# <cache>/kernel/lib/modules/<ver>; <cache> = $RAX_CACHE or <repo>/.cache/guest.
set -euo pipefail

SCRIPT=$(readlink -f "$0")
REPO=$(cd "$(dirname "$SCRIPT")/.." && pwd)
CACHE=${RAX_CACHE:-$REPO/.cache/guest}

die() { echo "kvm-in-qemu: error: $*" >&2; exit 125; }
log() { echo "kvm-in-qemu: $*" >&2; }

copies=()
cmd=
timeout_s=600
mem=2G
smp=1
cpu=max
kvm_amd_args=
verbose=0
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --copy) [ $# -ge 2 ] || die "--copy needs an argument"; copies+=("$2"); shift 2 ;;
    --run) [ $# -ge 2 ] || die "--run needs an argument"; cmd=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --kvm-amd-args) kvm_amd_args=$2; shift 2 ;;
    --verbose) verbose=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$SCRIPT" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[ -n "$cmd" ] || die "--run COMMAND is required"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (run ci/setup.sh)"

if [ ! -s "$CACHE/bzImage" ] || [ ! -s "$CACHE/initrd.img" ] || [ ! -s "$CACHE/kernel-version" ]; then
    log "guest assets missing; running ci/setup.sh"
    "$REPO/ci/setup.sh" >&2 || die "ci/setup.sh failed"
fi
kver=$(cat "$CACHE/kernel-version")
moddir="$CACHE/kernel/lib/modules/$kver"
[ -d "$moddir" ] || die "kernel modules missing: $moddir (rerun ci/setup.sh with RAX_REFRESH=1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/kvm-in-qemu.XXXXXX")
# shellcheck disable=SC2317  # called via trap
cleanup() { if [ "$keep" = 1 ]; then log "work dir kept: $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
ov="$work/overlay"
mkdir -p "$ov/kvm-in-qemu/modules" "$ov/work"

# ------------------------------------------------------------ kernel modules
# Index: normalised module name (- → _) → file.
declare -A modfile=()
while IFS= read -r f; do
    b=${f##*/}; b=${b%%.ko*}; modfile[${b//-/_}]=$f
done < <(find "$moddir" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')

decompress_ko() {  # file → stdout
    case "$1" in
    *.ko) cat "$1" ;;
    *.ko.xz) xz -dc "$1" ;;
    *.ko.zst) zstd -qdc "$1" ;;
    *.ko.gz) gzip -dc "$1" ;;
    esac
}
mod_depends() {  # module file → its depends= list, space separated
    local d
    if command -v modinfo >/dev/null 2>&1; then
        d=$(modinfo -F depends "$1" 2>/dev/null || true)
    else
        d=$(decompress_ko "$1" | tr '\0' '\n' | grep -a -m1 '^depends=' | cut -d= -f2- || true)
    fi
    echo "${d//,/ }"
}
declare -A seen=()
order=()
add_module() {  # post-order DFS: dependencies first
    local n=${1//-/_} f dep
    [ -n "${seen[$n]:-}" ] && return 0
    seen[$n]=1
    f=${modfile[$n]:-}
    [ -n "$f" ] || die "module $n not found under $moddir"
    for dep in $(mod_depends "$f"); do add_module "$dep"; done
    order+=("$n")
}
add_module kvm_amd
for n in "${order[@]}"; do
    decompress_ko "${modfile[$n]}" >"$ov/kvm-in-qemu/modules/$n.ko" || die "cannot decompress ${modfile[$n]}"
done

# ------------------------------------------------------------ payload
declare -A libs_done=()
copy_libs() {  # ELF file → copy its shared libraries to the same paths
    local f=$1 line lib
    [ "$(head -c 4 "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] || return 0
    ldd "$f" >/dev/null 2>&1 || return 0   # static, or not an executable
    while read -r line; do   # (read without IFS= strips ldd's leading tab)
        case "$line" in
        *"=> /"*) lib=${line#*=> }; lib=${lib%% (*} ;;
        /*) lib=${line%% (*} ;;
        *) continue ;;
        esac
        [ -n "${libs_done[$lib]:-}" ] && continue
        libs_done[$lib]=1
        mkdir -p "$ov$(dirname "$lib")"
        cp -L "$lib" "$ov$lib" || die "cannot copy library $lib"
    done < <(ldd "$f" 2>/dev/null)
}
for spec in "${copies[@]}"; do
    src=${spec%%:*}
    if [ "$src" != "$spec" ]; then dest=${spec#*:}
    elif [[ "$src" != /* && "$src" != *..* ]]; then dest=${src#./}
    else dest=${src##*/}
    fi
    [ -e "$src" ] || die "--copy: $src does not exist"
    [[ "$dest" == /* ]] && target="$ov$dest" || target="$ov/work/$dest"
    mkdir -p "$(dirname "$target")"
    cp -a -L "$src" "$target" || die "cannot copy $src"
    if [ -d "$src" ]; then
        while IFS= read -r f; do copy_libs "$f"; done < <(find "$target" -type f -perm -u+x)
    else
        copy_libs "$target"
    fi
done

printf '%s\n' "$cmd" >"$ov/kvm-in-qemu/cmd.sh"
{
    echo '#!/bin/sh'
    echo '# generated by ci/kvm-in-qemu.sh; run by /init via rax.cmd='
    echo "echo \"KVM-IN-QEMU kernel \$(uname -r), boot took \$(cut -d' ' -f1 /proc/uptime) s\""
    for n in "${order[@]}"; do
        args=
        [ "$n" = kvm_amd ] && args=$kvm_amd_args
        echo "insmod /kvm-in-qemu/modules/$n.ko $args || { echo 'KVM-IN-QEMU-ERROR: insmod $n failed'; dmesg | tail -n 20; exit 125; }"
    done
    cat <<'EOF'
[ -c /dev/kvm ] || mknod /dev/kvm c 10 232
if ! [ -c /dev/kvm ] || ! [ -d /sys/module/kvm_amd ]; then
    echo 'KVM-IN-QEMU-ERROR: no /dev/kvm'; dmesg | grep -i -E 'kvm|svm' | tail -n 20; exit 125
fi
dmesg | grep -E 'SVM: |kvm: ' | sed 's/^/KVM-IN-QEMU dmesg: /'
echo "KVM-IN-QEMU command start, uptime $(cut -d' ' -f1 /proc/uptime) s"
cd /work
sh /kvm-in-qemu/cmd.sh
rc=$?
echo "KVM-IN-QEMU end, uptime $(cut -d' ' -f1 /proc/uptime) s"
echo "KVM-IN-QEMU rc=$rc"
exit $rc
EOF
} >"$ov/kvm-in-qemu/run.sh"
chmod 755 "$ov/kvm-in-qemu/run.sh"

# Base initrd (gzip) padded to 4-byte alignment, then an uncompressed cpio
# overlay: the kernel unpacks concatenated archives in order (no
# decompression cost for the payload under TCG).
initrd="$work/initrd.img"
cp "$CACHE/initrd.img" "$initrd"
pad=$(( (512 - $(stat -c %s "$initrd") % 512) % 512 ))
head -c "$pad" /dev/zero >>"$initrd"
(cd "$ov" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >>"$initrd" \
    || die "building overlay cpio failed"

# ------------------------------------------------------------ boot
loglevel=4; [ "$verbose" = 1 ] && loglevel=7
append="console=ttyS0 panic=-1 loglevel=$loglevel rax.cmd=/kvm-in-qemu/run.sh"
log="$work/serial.log"
log "booting $kver under QEMU TCG (-cpu $cpu, -m $mem), timeout ${timeout_s}s"
t0=$(date +%s.%N)
set +e
timeout -k 5 "$timeout_s" qemu-system-x86_64 -accel tcg -cpu "$cpu" -m "$mem" -smp "$smp" \
    -display none -monitor none -serial stdio -no-reboot -nodefaults \
    -kernel "$CACHE/bzImage" -initrd "$initrd" -append "$append" </dev/null \
    | tr -d '\r' | tee "$log"
qrc=${PIPESTATUS[0]}
set -e
t1=$(date +%s.%N)
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

rc=$(grep -a -o 'KVM-IN-QEMU rc=[0-9]*' "$log" | tail -n 1 | cut -d= -f2 || true)
if [ -n "$rc" ]; then
    log "guest command exited rc=$rc (QEMU wall time ${wall}s)"
    exit "$rc"
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    log "timed out after ${timeout_s}s"
    exit 124
fi
err=$(grep -a 'KVM-IN-QEMU-ERROR' "$log" | tail -n 1 || true)
die "guest did not report a result (qemu rc=$qrc${err:+; $err})"
