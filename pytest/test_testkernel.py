"""The NASM testkernel (asm/testkernel.asm) booted as a bzImage.

Covers the loader's 64-bit boot protocol hand-off, the COM1 console (both
directions), and every documented way a run ends, on both backends. The
KVM runs skip with the probe's reason on hosts without a usable /dev/kvm;
the emulator runs the same image everywhere.
"""
import os
import signal
import subprocess
import time

import pytest

from conftest import (OK, RESET, SHUTDOWN, SIGNAL, TIMEOUT, asm_image, debug_exit_status,
                      kvm_probe, kvm_require, rax_path, run_rax)

BACKENDS = ["kvm", "emulator"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    if request.param == "kvm":
        kvm_require()
    return request.param


def boot(backend, cmdline, **kw):
    args = ["--backend", backend, "--kernel", asm_image("testkernel"), "--cmdline", cmdline]
    args += kw.pop("extra", [])
    return run_rax(args, **kw)


def test_boot_protocol_and_console(backend, tmp_path):
    initrd = tmp_path / "initrd"
    initrd.write_bytes(b"\x42" * 12345)
    r = boot(backend, "hello world", extra=["--initrd", initrd], timeout=60)
    assert "RAX testkernel: 64-bit entry ok" in r.stdout
    assert "cmdline: hello world" in r.stdout
    assert "initrd size: 12345" in r.stdout
    assert r.returncode == debug_exit_status(0), r.stderr


def test_halt_with_interrupts_off_is_power_off(backend):
    r = boot(backend, "halt", timeout=60)
    assert r.returncode == OK, r.stderr
    # nothing on stderr but, on a KVM that emulates CPL0 code, rax's one
    # warning that a Linux boot cannot complete there
    warn = "rax: warning: a full Linux boot is not possible on this host's KVM"
    expected = 1 if backend == "kvm" and kvm_probe()[1] == "emulated-cpl0" else 0
    assert [l for l in r.stderr.splitlines() if not l.startswith(warn)] == []
    assert len(r.stderr.splitlines()) == expected, r.stderr


def test_i8042_reset(backend):
    r = boot(backend, "reset", timeout=60)
    assert r.returncode == RESET, r.stderr


def test_triple_fault(backend):
    r = boot(backend, "triple", timeout=60)
    assert r.returncode == SHUTDOWN
    assert "triple fault" in r.stderr


def test_timeout(backend):
    t0 = time.monotonic()
    r = boot(backend, "spin", extra=["--timeout", "0.5"], timeout=60)
    assert r.returncode == TIMEOUT
    assert "timeout" in r.stderr
    assert time.monotonic() - t0 < 20


def test_console_input(backend):
    r = boot(backend, "echo", input="abc\nq", timeout=60)
    assert r.returncode == debug_exit_status(0), r.stderr
    assert r.stdout.endswith("abc\n")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_ends_run(backend, sig):
    p = subprocess.Popen([str(rax_path()), "--backend", backend, "--kernel",
                          str(asm_image("testkernel")), "--cmdline", "spin"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        time.sleep(0.5)
        p.send_signal(sig)
        out, err = p.communicate(timeout=30)
    finally:
        p.kill()  # never leave a spinning guest behind a failed test
    assert p.returncode == SIGNAL
    assert "interrupted" in err
