"""The rax command line: help, version, and every kind of bad input.

Each bad input must give one clear line on stderr naming the problem and a
non-zero exit status, on any host (none of these needs KVM).
"""
import os
import pathlib
import struct

import pytest

from conftest import HOST, USAGE, asm_image, run_rax


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


def test_missing_kernel_option():
    one_line_error(run_rax([]), "--kernel")


def test_unknown_option():
    r = run_rax(["--frobnicate"])
    assert r.returncode == USAGE
    one_line_error(r, "unknown option", "--frobnicate")


def test_option_without_value():
    r = run_rax(["--kernel"])
    assert r.returncode == USAGE
    one_line_error(r, "--kernel")


@pytest.mark.parametrize("mem", ["12Q", "abc", "", "-1M", "99999999999999999999G"])
def test_malformed_mem(mem):
    r = run_rax(["--kernel", asm_image("testkernel"), "--mem", mem])
    assert r.returncode == USAGE
    one_line_error(r, "--mem")


@pytest.mark.parametrize("mem", ["1M", "64G"])
def test_impossible_mem(mem):
    r = run_rax(["--kernel", asm_image("testkernel"), "--mem", mem])
    assert r.returncode == USAGE
    one_line_error(r, "memory size", "out of range")


def test_unknown_backend():
    r = run_rax(["--kernel", asm_image("testkernel"), "--backend", "bochs"])
    assert r.returncode == USAGE
    one_line_error(r, "backend", "bochs")


def test_bad_timeout():
    r = run_rax(["--kernel", asm_image("testkernel"), "--timeout", "soon"])
    assert r.returncode == USAGE
    one_line_error(r, "--timeout")


def test_missing_kernel_file(tmp_path):
    r = run_rax(["--kernel", tmp_path / "nope"])
    assert r.returncode == USAGE
    one_line_error(r, "kernel", "No such file")


def test_unreadable_kernel_file(tmp_path):
    r = run_rax(["--kernel", tmp_path])  # a directory
    assert r.returncode == USAGE
    one_line_error(r, "kernel", "not a regular file")


def test_missing_initrd(tmp_path):
    r = run_rax(["--kernel", asm_image("testkernel"), "--initrd", tmp_path / "none"])
    assert r.returncode == USAGE
    one_line_error(r, "initrd", "No such file")


def test_not_a_bzimage(tmp_path):
    f = tmp_path / "elf"
    f.write_bytes(pathlib.Path("/bin/true").read_bytes())
    r = run_rax(["--kernel", f])
    assert r.returncode == USAGE
    one_line_error(r, "not a bzImage")


def test_empty_file(tmp_path):
    f = tmp_path / "empty"
    f.write_bytes(b"")
    r = run_rax(["--kernel", f])
    assert r.returncode == USAGE
    one_line_error(r, "too short")


def test_truncated_bzimage(tmp_path):
    data = asm_image("testkernel").read_bytes()
    f = tmp_path / "cut"
    f.write_bytes(data[:1500])
    r = run_rax(["--kernel", f])
    assert r.returncode == USAGE
    one_line_error(r, "truncated")


def _patched(tmp_path, offset, fmt, value):
    data = bytearray(asm_image("testkernel").read_bytes())
    struct.pack_into(fmt, data, offset, value)
    f = tmp_path / "patched"
    f.write_bytes(bytes(data))
    return f


def test_old_boot_protocol(tmp_path):
    r = run_rax(["--kernel", _patched(tmp_path, 0x206, "<H", 0x0209)])
    assert r.returncode == USAGE
    one_line_error(r, "2.09", "too old")


def test_no_64bit_entry(tmp_path):
    r = run_rax(["--kernel", _patched(tmp_path, 0x236, "<H", 0)])
    assert r.returncode == USAGE
    one_line_error(r, "64-bit entry")


def test_kernel_and_initrd_larger_than_mem(tmp_path):
    big = tmp_path / "big.img"
    with open(big, "wb") as f:
        f.truncate(40 << 20)
    r = run_rax(["--kernel", asm_image("testkernel"), "--initrd", big, "--mem", "32M"])
    assert r.returncode == USAGE
    one_line_error(r, "initrd", "--mem")


def test_kernel_larger_than_mem(tmp_path):
    r = run_rax(["--kernel", _patched(tmp_path, 0x260, "<I", 100 << 20), "--mem", "32M"])
    assert r.returncode == USAGE
    one_line_error(r, "kernel needs", "--mem")


def test_cmdline_too_long():
    r = run_rax(["--kernel", asm_image("testkernel"), "--cmdline", "x" * 5000])
    assert r.returncode == USAGE
    one_line_error(r, "command line")


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
