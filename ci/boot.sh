#!/usr/bin/env bash
# ci/boot.sh [RAX_OPTIONS...] - the main job: set up, build, and boot the
# Debian cloud kernel with the busybox initrd, serial console on this
# terminal (Ctrl-A x quits). Uses KVM when `rax --kvm-info` finds that a
# Linux boot can work on this host's KVM, otherwise says why in one line and
# boots on the emulator; RAX_BACKEND=kvm|emulator forces a backend.
set -euo pipefail
cd "$(dirname "$0")/.."
ci/setup.sh
ci/build.sh build
cache=${RAX_CACHE:-.cache/guest}
backend=${RAX_BACKEND:-}
if [ -z "$backend" ]; then
	info=$(build/rax --kvm-info 2>&1 || true)
	boot=$(printf '%s\n' "$info" | sed -n 's/^linux-boot: //p')
	usable=$(printf '%s\n' "$info" | sed -n 's/^usable: //p')
	case "$boot" in
	yes*) backend=kvm ;;
	*)
		why=${boot#no }
		[ "${usable%% *}" = yes ] || why=${usable#no }
		[ -n "$why" ] || why="($info)"
		echo "ci/boot.sh: booting on the emulator backend: this host's KVM cannot boot Linux $why" >&2
		backend=emulator
		;;
	esac
fi
echo "ci/boot.sh: rax --backend $backend --kernel $cache/bzImage --initrd $cache/initrd.img $*" >&2
exec build/rax --backend "$backend" --kernel "$cache/bzImage" --initrd "$cache/initrd.img" "$@"
