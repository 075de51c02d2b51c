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


# ---- option values: missing, malformed numbers ----

@pytest.mark.parametrize("opt", ["--kernel", "--initrd", "--cmdline", "--mem", "--backend", "--timeout",
                                 "--rtc", "--test"])
def test_missing_value_is_not_unknown_option(opt):
    r = run_rax([opt])
    assert r.returncode == USAGE, r.stderr
    line = one_line_error(r, f"option '{opt}' needs a value (see --help)")
    assert "unknown" not in line


@pytest.mark.parametrize("opt,value", [
    ("--mem", "-1M"), ("--mem", "+64M"), ("--mem", " 64M"), ("--mem", "64M "), ("--mem", "0x10M"),
    ("--mem", "64MM"), ("--mem", "18446744073709551616"),
    ("--timeout", "-1"), ("--timeout", "+5"), ("--timeout", " 5"), ("--timeout", "5 "), ("--timeout", "1e3"),
    ("--timeout", "inf"), ("--timeout", "nan"), ("--timeout", "0x10"), ("--timeout", ""), ("--timeout", "."),
    ("--timeout", "0"), ("--timeout", "5s"),
    ("--rtc", "-1"), ("--rtc", "+5"), ("--rtc", ""), ("--rtc", "1x"), ("--rtc", "99999999999999999999"),
    ("--rtc", "0x10"), ("--rtc", " 5"),
])
def test_malformed_numbers(opt, value):
    r = run_rax(["--kernel", asm_image("testkernel"), opt, value])
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, opt, repr(value) if value else "''")


@pytest.mark.parametrize("opt,value", [("--timeout", "0.5"), ("--timeout", "2"), ("--rtc", "0"),
                                       ("--rtc", "1767225600"), ("--mem", "64M"), ("--mem", "1GiB")])
def test_wellformed_numbers(opt, value):
    r = run_rax(["--backend", "emulator", "--kernel", asm_image("testkernel"), "--cmdline", "exit=0",
                 opt, value], timeout=60)
    assert "malformed" not in r.stderr, r.stderr


# ---- input files that are not regular files ----

def _special(tmp_path, kind):
    """A path of the given kind, and the word the refusal names it by."""
    if kind == "fifo":
        p = tmp_path / "fifo"
        os.mkfifo(p)
        return p, "a FIFO"
    if kind == "dir":
        return tmp_path, "a directory"
    if kind == "chardev":
        return pathlib.Path("/dev/zero"), "a character device"
    if kind == "socket":
        import socket
        p = tmp_path / "sock"
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(p))
        _special.sockets.append(s)  # bound for the test's life
        return p, "a socket"
    raise ValueError(kind)


_special.sockets = []
SPECIAL = ["fifo", "dir", "chardev", "socket"]


@pytest.mark.parametrize("kind", SPECIAL)
@pytest.mark.parametrize("role", ["--kernel", "--initrd", "module", "--test"])
def test_non_regular_input_refused(tmp_path, role, kind):
    """Never opened for reading (a FIFO without a writer would block): one
    line naming the file and its kind, status 2."""
    p, word = _special(tmp_path, kind)
    if role == "--kernel":
        args = ["--kernel", p]
    elif role == "--initrd":
        args = ["--kernel", asm_image("testkernel"), "--initrd", p]
    elif role == "module":
        args = ["--kernel", asm_image("mb_aout"), "--initrd", f"{asm_image('mb_elf')},{p}"]
    else:
        args = ["--test", p]
    r = run_rax(["--backend", "emulator"] + args, timeout=20)
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, f"'{p}'", "not a regular file", f"({word})")


def test_file_that_changes_size_while_read():
    """/proc files say 0 bytes and then read more: refused, never half-read."""
    r = run_rax(["--backend", "emulator", "--test", "/proc/self/status"], timeout=20)
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, "/proc/self/status", "size changed while it was read")


def test_empty_initrd_refused(tmp_path):
    f = tmp_path / "empty.img"
    f.write_bytes(b"")
    r = run_rax(["--backend", "emulator", "--kernel", asm_image("testkernel"), "--initrd", f])
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, "initrd", str(f), "empty")


# ---- --test given something that is not a test image ----

def _mb_aout(code):
    """A minimal multiboot a.out-kludge kernel at 1 MiB running `code` (32-bit)."""
    magic, flags = 0x1BADB002, 0x00010000
    hdr = struct.pack("<IIIIIIII", magic, flags, (-(magic + flags)) & 0xFFFFFFFF, 0x100000, 0x100000, 0, 0,
                      0x100020)
    return hdr + code


@pytest.mark.parametrize("kind,words", [
    ("bzimage", ["not a RAX test image", "Linux bzImage", "--kernel"]),
    ("elf", ["not a RAX test image", "ELF", "--kernel"]),
    ("multiboot", ["not a RAX test image", "multiboot kernel", "--kernel"]),
    ("text", ["not a RAX test image", "text file"]),
    ("empty", ["empty test image"]),
    ("truncated", ["truncated test image"]),
])
def test_wrong_file_for_test(tmp_path, kind, words):
    f = tmp_path / kind
    if kind == "bzimage":
        f.write_bytes(asm_image("testkernel").read_bytes())
    elif kind == "elf":
        f.write_bytes(pathlib.Path("/bin/true").read_bytes())
    elif kind == "multiboot":
        f.write_bytes(_mb_aout(b"\xfa\xf4"))
    elif kind == "text":
        f.write_text("#!/bin/sh\necho this is a script\n")
    elif kind == "empty":
        f.write_bytes(b"")
    else:
        f.write_bytes(asm_image("t_arith").read_bytes()[:30])
    r = run_rax(["--backend", "emulator", "--test", f], timeout=20)
    assert r.returncode == USAGE, r.stdout + r.stderr
    one_line_error(r, f"--test '{f}'", *words)


# ---- the guest's debug-exit port ----

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
