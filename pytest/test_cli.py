"""The rax command line: help, version, well-formed numbers, a missing or
unusable KVM device, and the exit statuses the guest's debug-exit port makes.

Bad command lines and input files (missing values, malformed numbers, files
that are missing, empty, not regular or of the wrong kind) are in
test_hostile.py, which CI also runs against the ASan+UBSan build.
"""
import os
import struct

import pytest

from conftest import HOST, asm_image, run_rax


def one_line_error(r, *needles):
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("rax: "), lines[0]
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def test_help_lists_every_option():
    r = run_rax(["--help"])
    assert r.returncode == 0
    for opt in ["--kernel", "--initrd", "--cmdline", "--mem", "--backend", "--timeout", "--version"]:
        assert opt in r.stdout
    assert "Exit status" in r.stdout


def test_version():
    r = run_rax(["--version"])
    assert r.returncode == 0 and r.stdout.startswith("rax ")


def test_kvm_device_missing():
    r = run_rax(["--kernel", asm_image("testkernel")], env={"RAX_KVM_DEVICE": "/nonexistent/kvm"})
    assert r.returncode == HOST
    one_line_error(r, "/nonexistent/kvm", "--backend emulator")


def test_kvm_device_not_kvm():
    r = run_rax(["--kernel", asm_image("testkernel")], env={"RAX_KVM_DEVICE": "/dev/null"})
    assert r.returncode == HOST
    one_line_error(r, "/dev/null", "not a usable KVM device", "--backend emulator")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create a device node")
def test_kvm_device_not_permitted():
    # A KVM device node this user may not open (root bypasses mode bits,
    # so the run drops to nobody).
    import shutil
    import subprocess
    import tempfile
    from conftest import rax_path
    d = tempfile.mkdtemp(prefix="rax-perm-", dir="/tmp")
    try:
        os.chmod(d, 0o755)
        node = os.path.join(d, "kvm")
        os.mknod(node, 0o600 | 0o020000, os.makedev(10, 232))
        kernel = shutil.copy(asm_image("testkernel"), d)
        os.chmod(kernel, 0o644)
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            str(rax_path()), "--kernel", kernel],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           env=dict(os.environ, RAX_KVM_DEVICE=node), timeout=30)
    finally:
        shutil.rmtree(d)
    assert r.returncode == HOST, r.stderr
    one_line_error(r, "Permission denied", "--backend emulator")


@pytest.mark.parametrize("opt,value", [("--timeout", "0.5"), ("--timeout", "2"), ("--rtc", "0"),
                                       ("--rtc", "1767225600"), ("--mem", "64M"), ("--mem", "1GiB")])
def test_wellformed_numbers(opt, value):
    r = run_rax(["--backend", "emulator", "--kernel", asm_image("testkernel"), "--cmdline", "exit=0",
                 opt, value], timeout=60)
    assert "malformed" not in r.stderr, r.stderr


# ---- the guest's debug-exit port ----

def _mb_aout(code):
    """A minimal multiboot a.out-kludge kernel at 1 MiB running `code` (32-bit)."""
    magic, flags = 0x1BADB002, 0x00010000
    hdr = struct.pack("<IIIIIIII", magic, flags, (-(magic + flags)) & 0xFFFFFFFF, 0x100000, 0x100000, 0, 0,
                      0x100020)
    return hdr + code


@pytest.mark.parametrize("backend", ["emulator", "kvm"])
@pytest.mark.parametrize("value,status", [(0, 1), (1, 3), (62, 125), (63, 127), (0x80, 127), (0xFF, 127),
                                          (0x100, 127), (0x80000001, 127)])
def test_debug_exit_values(tmp_path, backend, value, status):
    """Values 0..62 end with (v << 1) | 1; anything larger with 127 and one
    line giving the raw value, never aliasing onto a small status."""
    if backend == "kvm":
        from conftest import kvm_require
        kvm_require()
    if value < 0x100:
        code = bytes([0xB0, value, 0xE6, 0xF4])  # mov al, v ; out 0xf4, al
    else:
        code = b"\xB8" + struct.pack("<I", value) + b"\xE7\xF4"  # mov eax, v ; out 0xf4, eax
    k = tmp_path / "dexit.bin"
    k.write_bytes(_mb_aout(code + b"\xfa\xf4"))
    r = run_rax(["--backend", backend, "--kernel", k], timeout=30)
    assert r.returncode == status, r.stderr
    if value >= 63:
        one_line_error(r, f"guest debug-exit value {value:#x} (above 62): status 127")
    else:
        assert r.stderr == ""


def test_debug_exit_value_out_of_range_in_a_test_image(tmp_path):
    """rax --test: a test that ends by debug-exit value 0x80 fails with that
    value (not with the 63 that status 127 would suggest)."""
    load = 0x400000
    hdr = b"RAXT" + struct.pack("<HHBBHBBH", 1, 56, 64, 0, 0, 0, 0, 0)
    hdr += struct.pack("<QQQQQ", load, load + 56, 0, 0, 0)
    f = tmp_path / "dx.bin"
    f.write_bytes(hdr + b"\xb0\x80\xe6\xf4\xfa\xf4")  # mov al, 0x80 ; out 0xf4, al ; cli ; hlt
    r = run_rax(["--backend", "emulator", "--test", f])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "outcome: failed: debug-exit value 0x80 (above 62)" in r.stdout, r.stdout
