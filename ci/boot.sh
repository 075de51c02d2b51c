#!/usr/bin/env bash
# ci/boot.sh [RAX_OPTIONS...] - the main job: set up, build, and boot the
# Debian cloud kernel with the busybox initrd, serial console on this
# terminal (Ctrl-A x quits). Uses KVM when /dev/kvm is usable, otherwise
# says so and boots on the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
ci/setup.sh
ci/build.sh build
cache=${RAX_CACHE:-.cache/guest}
backend=${RAX_BACKEND:-}
if [ -z "$backend" ]; then
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		backend=kvm
	else
		echo "ci/boot.sh: no usable /dev/kvm on this host; booting on the emulator backend" >&2
		backend=emulator
	fi
fi
echo "ci/boot.sh: rax --backend $backend --kernel $cache/bzImage --initrd $cache/initrd.img $*" >&2
exec build/rax --backend "$backend" --kernel "$cache/bzImage" --initrd "$cache/initrd.img" "$@"
