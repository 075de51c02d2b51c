"""Shared fixtures for the RAX pytest suite.

Binaries come from the CMake build directory ($RAX_BUILD, default ./build).
Guest assets (Debian cloud kernel, busybox initrd) come from ci/setup.sh's
cache ($RAX_CACHE, default ./.cache/guest). What the host's KVM can do comes
from `rax --kvm-info`, once per session, and every KVM test that cannot run
on this host skips with the probe's finding as its reason.
"""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = pathlib.Path(os.environ.get("RAX_BUILD", ROOT / "build"))
CACHE = pathlib.Path(os.environ.get("RAX_CACHE", ROOT / ".cache" / "guest"))

# Exit statuses (src/vm.h, README).
OK, USAGE, RESET, SHUTDOWN, INTERNAL, TIMEOUT, SIGNAL, HOST = 0, 2, 4, 6, 8, 10, 12, 14


def pytest_configure(config):
    config.addinivalue_line("markers", "boot: boots Linux on the emulator (left out of the sanitizer run)")


def debug_exit_status(value):
    """rax's status for a guest debug-exit write (src/vm.h)."""
    return (value << 1) | 1 if value <= 62 else 127


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


def rax_diff(args, env=None, timeout=300):
    """Run rax-diff without any RAX_EMU_PLANT from the environment (env adds)."""
    exe = BUILD / "harness" / "rax-diff"
    if not exe.exists():
        pytest.fail(f"{exe} not built")
    e = dict(os.environ)
    e.pop("RAX_EMU_PLANT", None)
    e.update(env or {})
    return subprocess.run([str(exe)] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, env=e)


_kvm_caps = None


def kvm_caps():
    """What this host's KVM can do: `rax --kvm-info` (the product's own probe,
    src/kvm_probe.c), run once per session. {finding: (ok, why)}; an empty
    dict when the probe itself could not run."""
    global _kvm_caps
    if _kvm_caps is None:
        r = run_rax(["--kvm-info"], timeout=120)
        _kvm_caps = {}
        for line in r.stdout.splitlines():
            name, _, rest = line.partition(": ")
            ok, _, why = rest.partition(" (")
            _kvm_caps[name] = (ok == "yes", why[:-1] if why.endswith(")") else why)
        if "usable" not in _kvm_caps:
            _kvm_caps["usable"] = (False, f"rax --kvm-info failed (status {r.returncode}): {r.stderr.strip()}")
    return _kvm_caps


def kvm_probe():
    """(usable, kind, reason): kind is 'hardware' (CPL0 code runs on the CPU),
    'emulated-cpl0' (the host's kernel emulates CPL0 code: the kvm_pvm kind
    in DESIGN.md) or None."""
    caps = kvm_caps()
    usable, why = caps["usable"]
    if not usable:
        return False, None, f"KVM not usable here: {why}"
    native, why = caps.get("cpl0-native", (False, "not probed"))
    return True, "hardware" if native else "emulated-cpl0", f"CPL0 code {why}"


def kvm_require(*findings):
    """Skip the calling test unless KVM is usable and every named finding of
    `rax --kvm-info` is yes; the skip reason is the probe's evidence."""
    caps = kvm_caps()
    for name in ("usable",) + findings:
        ok, why = caps.get(name, (False, "not reported by rax --kvm-info"))
        if not ok:
            pytest.skip(f"host KVM: {name}: no ({why})")


@pytest.fixture
def kvm():
    kvm_require()
    return kvm_probe()[1]


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
