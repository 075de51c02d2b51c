#!/bin/bash
# shellcheck disable=SC2012  # ls on our own cache paths
# ci/setup.sh — install RAX's build/test dependencies and build the guest
# assets used by the end-to-end tests.  Idempotent and cached: a second run
# does no apt work and no rebuilds unless something is missing or this
# script changed.
#
# Produces (default cache dir <repo>/.cache/guest, override with $RAX_CACHE):
#   bzImage         Debian's linux-image-<abi>-cloud-amd64 kernel
#   kernel-version  the kernel release it came from, e.g. 6.1.0-56-cloud-amd64
#   kernel/         the extracted kernel package (modules under kernel/lib/modules/<ver>)
#   initrd.img      gzip'd newc cpio: busybox-static + /init (see below)
#
# /init in initrd.img:
#   * mounts /proc, /sys and /dev (devtmpfs), prints exactly
#       RAX-INIT: busybox userspace up
#   * if the kernel command line contains "rax.cmd=", everything after the
#     first "rax.cmd=" up to the END of /proc/cmdline is run with sh -c, so
#     rax.cmd= must be the LAST item on the command line; the command may
#     contain spaces (one pair of surrounding double quotes is stripped).
#     Afterwards it prints "RAX-CMD-DONE rc=<exit status>" and does
#     poweroff -f.  (Words after rax.cmd= also reach init as arguments and the
#     kernel may log "Unknown kernel command line parameters"; harmless.)
#   * otherwise it runs an interactive shell on the console and powers off
#     when the shell exits.
#
# Environment:
#   RAX_CACHE=<dir>     cache directory (default <repo>/.cache/guest)
#   RAX_SETUP_NO_APT=1  never call apt-get install (fail if packages missing)
#   RAX_REFRESH=1       re-resolve/re-download the kernel and rebuild the initrd
set -eu

die() { echo "ci/setup.sh: error: $*" >&2; exit 1; }
log() { echo "ci/setup.sh: $*" >&2; }

SCRIPT=$(readlink -f "$0")
REPO=$(cd "$(dirname "$SCRIPT")/.." && pwd)
CACHE=${RAX_CACHE:-$REPO/.cache/guest}
REFRESH=${RAX_REFRESH:-0}
export DEBIAN_FRONTEND=noninteractive

PACKAGES="build-essential cmake ninja-build nasm clang gdb qemu-system-x86
busybox-static cpio gzip lz4 xz-utils zstd python3 python3-pytest
python3-pytest-xdist python3-xxhash libxxhash-dev clang-format libzydis-dev"

SUDO=
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
fi

apt_updated=0
apt_update() {
    [ "$apt_updated" = 1 ] && return 0
    log "apt-get update"
    $SUDO apt-get update -qq || die "apt-get update failed"
    apt_updated=1
}

mkdir -p "$CACHE" || die "cannot create cache dir $CACHE"
CACHE=$(cd "$CACHE" && pwd)
# Serialise concurrent runs (e.g. pytest-xdist workers) on the cache.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.setup.lock"
    flock 9 || die "cannot lock $CACHE/.setup.lock"
fi

# ---------------------------------------------------------------- packages
# One dpkg-query for all packages; anything not "install ok installed" is missing.
# shellcheck disable=SC2086
installed=" $(dpkg-query -W -f='${Package} ${Status}\n' $PACKAGES 2>/dev/null \
    | awk '$2 == "install" && $3 == "ok" && $4 == "installed" { print $1 }' | tr '\n' ' ' || true) "
missing=
for p in $PACKAGES; do
    case "$installed" in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
if [ -n "$missing" ]; then
    [ "${RAX_SETUP_NO_APT:-0}" = 1 ] && die "missing packages:$missing (RAX_SETUP_NO_APT=1)"
    if [ "$(id -u)" != 0 ] && [ -z "$SUDO" ]; then
        die "missing packages:$missing — run as root (or with passwordless sudo)"
    fi
    log "installing:$missing"
    # Lists may be absent (fresh container) or stale; update first.
    apt_update
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null \
        || die "apt-get install failed for:$missing"
else
    log "all packages already installed"
fi

# Keep the cache out of git.
GI="$REPO/.gitignore"
for pat in '.cache/' 'build*/'; do
    if ! { [ -f "$GI" ] && grep -qxF "$pat" "$GI"; }; then
        echo "$pat" >>"$GI"
    fi
done

# Is $1 present and newer than this script (and than every further arg)?
fresh() {
    f=$1; shift
    [ "$REFRESH" = 1 ] && return 1
    [ -s "$f" ] || return 1
    [ "$f" -nt "$SCRIPT" ] || return 1
    for dep in "$@"; do [ "$f" -nt "$dep" ] || return 1; done
    return 0
}

# ---------------------------------------------------------------- kernel
resolve_kernel_pkg() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null \
        | awk '$1 ~ /Depends:/ && $2 ~ /^linux-image-.*cloud-amd64$/ { print $2; exit }'
}

if fresh "$CACHE/bzImage" && [ -s "$CACHE/kernel-version" ] \
   && [ -d "$CACHE/kernel/lib/modules/$(cat "$CACHE/kernel-version")" ]; then
    log "kernel cached: $(cat "$CACHE/kernel-version")"
else
    pkg=$(resolve_kernel_pkg || true)
    if [ -z "$pkg" ]; then apt_update; pkg=$(resolve_kernel_pkg || true); fi
    [ -n "$pkg" ] || die "cannot resolve linux-image-cloud-amd64 to a kernel package (apt-cache depends)"
    log "kernel package: $pkg"
    mkdir -p "$CACHE/debs"
    deb=$(ls "$CACHE/debs/${pkg}_"*.deb 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$deb" ] || [ "$REFRESH" = 1 ]; then
        dl() { (cd "$CACHE/debs" && apt-get -qq -o APT::Sandbox::User=root download "$pkg"); }
        if ! dl; then apt_update; dl || die "apt-get download $pkg failed"; fi
        deb=$(ls "$CACHE/debs/${pkg}_"*.deb 2>/dev/null | sort -V | tail -n 1 || true)
        [ -n "$deb" ] || die "download of $pkg produced no .deb"
    fi
    rm -rf "$CACHE/kernel.tmp"
    dpkg-deb -x "$deb" "$CACHE/kernel.tmp" || die "dpkg-deb -x $deb failed"
    vmlinuz=$(ls "$CACHE/kernel.tmp/boot/vmlinuz-"* 2>/dev/null | head -n 1 || true)
    [ -n "$vmlinuz" ] || die "$deb contains no /boot/vmlinuz-*"
    kver=${vmlinuz##*/vmlinuz-}
    [ -d "$CACHE/kernel.tmp/lib/modules/$kver" ] || die "$deb contains no lib/modules/$kver"
    rm -rf "$CACHE/kernel"
    mv "$CACHE/kernel.tmp" "$CACHE/kernel"
    cp "$CACHE/kernel/boot/vmlinuz-$kver" "$CACHE/bzImage.tmp"
    mv "$CACHE/bzImage.tmp" "$CACHE/bzImage"
    echo "$kver" >"$CACHE/kernel-version"
    # Drop older downloads of other ABIs.
    for d in "$CACHE/debs/"*.deb; do [ "$d" = "$deb" ] || rm -f "$d"; done
    log "kernel extracted: $kver"
fi

# ---------------------------------------------------------------- initrd
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (package busybox-static)"
if ! "$BUSYBOX" --list 2>/dev/null | grep -qx cttyhack; then
    die "$BUSYBOX lacks applets we need (is it busybox-static?)"
fi

write_init() {
    cat >"$1" <<'EOF'
#!/bin/sh
# RAX test initramfs /init (generated by ci/setup.sh).
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s
mkdir -p /dev/pts /tmp
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1
echo "RAX-INIT: busybox userspace up"
cmdline=$(cat /proc/cmdline)
case "$cmdline" in
*rax.cmd=*)
    cmd=${cmdline#*rax.cmd=}
    case "$cmd" in \"*\") cmd=${cmd#\"}; cmd=${cmd%\"} ;; esac
    sh -c "$cmd"
    rc=$?
    echo "RAX-CMD-DONE rc=$rc"
    sync
    poweroff -f
    ;;
esac
setsid cttyhack sh || sh
sync
poweroff -f
EOF
    chmod 755 "$1"
}

if fresh "$CACHE/initrd.img" "$BUSYBOX"; then
    log "initrd cached"
else
    stage="$CACHE/initrd-root"
    rm -rf "$stage"
    mkdir -p "$stage"
    for d in bin sbin usr/bin usr/sbin proc sys dev tmp etc root; do mkdir -p "$stage/$d"; done
    cp "$BUSYBOX" "$stage/bin/busybox"
    "$BUSYBOX" --list-full | while read -r a; do
        [ "$a" = bin/busybox ] && continue
        [ -e "$stage/$a" ] || ln -s /bin/busybox "$stage/$a"
    done
    [ -e "$stage/bin/sh" ] || ln -s busybox "$stage/bin/sh"
    # The kernel opens /dev/console for init before /init mounts devtmpfs.
    mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null \
        || log "note: could not mknod dev/console (not root?); /init reopens it after mounting devtmpfs"
    write_init "$stage/init"
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort \
        | cpio -o -H newc -R 0:0 --reproducible --quiet) \
        | gzip -9n >"$CACHE/initrd.img.tmp" || die "building initrd failed"
    mv "$CACHE/initrd.img.tmp" "$CACHE/initrd.img"
    log "initrd built"
fi

echo "kernel:  $CACHE/bzImage ($(cat "$CACHE/kernel-version"))"
echo "modules: $CACHE/kernel/lib/modules/$(cat "$CACHE/kernel-version")"
echo "initrd:  $CACHE/initrd.img"
