"""Shared fixtures for the RAX pytest suite.

Binaries come from the CMake build directory ($RAX_BUILD, default ./build).
Guest assets (Debian cloud kernel, busybox initrd) come from ci/setup.sh's
cache ($RAX_CACHE, default ./.cache/guest). KVM availability is probed once
per session and every KVM-only test that cannot run says exactly why.
"""
import os
import pathlib
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = pathlib.Path(os.environ.get("RAX_BUILD", ROOT / "build"))
CACHE = pathlib.Path(os.environ.get("RAX_CACHE", ROOT / ".cache" / "guest"))

# Exit statuses (src/vm.h, README).
OK, USAGE, RESET, SHUTDOWN, INTERNAL, TIMEOUT, SIGNAL, HOST = 0, 2, 4, 6, 8, 10, 12, 14


def debug_exit_status(value):
    return ((value << 1) | 1) & 0xFF


def rax_path():
    p = BUILD / "rax"
    if not p.exists():
        pytest.fail(f"{p} not built: run cmake --build {BUILD}")
    return p


def asm_image(name):
    p = BUILD / "asm" / f"{name}.bin"
    if not p.exists():
        pytest.fail(f"{p} not built (needs nasm): run cmake --build {BUILD}")
    return p


def run_rax(args, timeout=60, input=None, env=None):
    """Run rax; returns CompletedProcess with text stdout/stderr."""
    e = dict(os.environ)
    if env:
        e.update(env)
    return subprocess.run([str(rax_path())] + [str(a) for a in args], input=input,
                          stdin=None if input is not None else subprocess.DEVNULL,
                          capture_output=True, timeout=timeout, env=e,
                          text=True, errors="replace")


_kvm_probe = None


def kvm_probe():
    """(usable, kind, reason): kind is 'hardware', 'slow-cpl0' or None.

    A host whose KVM emulates CPL0 code in software (the nested kvm_pvm
    hosts described in DESIGN.md) runs the testkernel's 'spin' loop far
    slower than silicon; we time a short CPL0 run to tell them apart.
    """
    global _kvm_probe
    if _kvm_probe is not None:
        return _kvm_probe
    if not os.path.exists("/dev/kvm"):
        _kvm_probe = (False, None, "no /dev/kvm on this host: the KVM backend is tested under nested KVM in test_kvm_nested.py")
        return _kvm_probe
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        _kvm_probe = (False, None, "/dev/kvm is not accessible to this user")
        return _kvm_probe
    t0 = time.monotonic()
    r = run_rax(["--kernel", asm_image("testkernel"), "--cmdline", "count"], timeout=120)
    dt = time.monotonic() - t0
    if r.returncode != debug_exit_status(0):
        _kvm_probe = (False, None, f"KVM probe failed (status {r.returncode}): {r.stderr.strip()}")
    elif dt > 2.0:
        _kvm_probe = (True, "slow-cpl0", f"host KVM emulates CPL0 code ({dt:.1f}s for the probe loop)")
    else:
        _kvm_probe = (True, "hardware", f"hardware KVM ({dt:.2f}s for the probe loop)")
    return _kvm_probe


@pytest.fixture
def kvm():
    usable, kind, reason = kvm_probe()
    if not usable:
        pytest.skip(reason)
    return kind


def guest_asset(name):
    """A file from ci/setup.sh's cache; missing is a failure under CI."""
    p = CACHE / name
    if not p.exists():
        msg = f"{p} missing: run ci/setup.sh to fetch the Debian kernel and build the initrd"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return p


def _cpio_newc(files):
    """A newc cpio archive (bytes) holding files {path: (mode, data)}."""
    out = bytearray()
    ino = 0x5000

    def entry(name, mode, data):
        nonlocal ino
        ino += 1
        name_b = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08X}" for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
        out.extend(hdr.encode() + name_b)
        out.extend(b"\0" * (-len(out) % 4))
        out.extend(data)
        out.extend(b"\0" * (-len(out) % 4))

    dirs = sorted({str(pathlib.PurePosixPath(p).parent) for p in files} - {"."})
    for d in dirs:
        entry(d, 0o040755, b"")
    for path, (mode, data) in sorted(files.items()):
        entry(path, 0o100000 | mode, data)
    entry("TRAILER!!!", 0, b"")
    out.extend(b"\0" * (-len(out) % 512))
    return bytes(out)


def initrd_with(tmp_path, files):
    """The busybox initrd with extra files appended as a second cpio archive
    (the kernel unpacks concatenated archives in order); files maps a path
    inside the guest (no leading /) to its text or bytes, made executable."""
    base = guest_asset("initrd.img").read_bytes()
    extra = _cpio_newc({p: (0o755, d.encode() if isinstance(d, str) else d)
                        for p, d in files.items()})
    base += b"\0" * (-len(base) % 512)  # the kernel skips zero padding between archives
    out = tmp_path / "initrd-extra.img"
    out.write_bytes(base + extra)
    return out
