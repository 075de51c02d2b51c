"""`--smp N` on the KVM backend: how a run with several vCPU threads ends.

Every vCPU runs in its own thread (src/kvm/kvm_backend.c). These tests
check that each way a run can end still ends it, promptly and with the
right status, whatever the other vCPUs are doing: a stop from outside
(--timeout, SIGTERM, SIGINT) with vCPUs running, halted or waiting for
SIPI; the guest's power-off, which needs every vCPU halted with IF=0 or
never started; a debug-exit or a triple fault on an application
processor, which ends the whole run and names the CPU.

asm/mb_ap.asm starts the APs through INIT/SIPI into a real-mode routine
that does what its command line names; asm/testkernel.asm and
asm/mb_idle.asm never start them. Tests that start APs need the probe's
`smp` finding (rax --kvm-info), and skip with its reason elsewhere;
pytest/test_smp.py runs the self-checking asm/mb_smp.asm on KVM, and
test_kvm_nested.py runs both programs and an SMP Linux boot on a real KVM
nested in QEMU.
"""
import signal
import subprocess
import time

import pytest

from conftest import (OK, SHUTDOWN, SIGNAL, TIMEOUT, USAGE, asm_image, debug_exit_status, kvm_require,
                      rax_path, run_rax)

# seconds a stop may take beyond what was asked, on a loaded 2-core machine
# (rax --kvm-info's probe runs first for a bzImage)
SLACK = 5.0


def timed(args, timeout=60):
    t0 = time.monotonic()
    r = run_rax(["--backend", "kvm"] + args, timeout=timeout)
    return r, time.monotonic() - t0


def mb_ap(mode, aps, smp, *extra):
    return ["--smp", smp, "--kernel", asm_image("mb_ap"), "--cmdline", f"{mode} {aps}", *extra]


@pytest.mark.parametrize("value", ["0", "17", "x", "-1", "2.5", ""])
def test_smp_usage_errors(value):
    """--smp takes 1 to 16 (RAX_MAX_CPUS), refused before anything runs."""
    r = run_rax(["--smp", value, "--kernel", asm_image("testkernel")])
    assert r.returncode == USAGE, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "--smp" in lines[0], r.stderr


def test_smp_missing_value():
    r = run_rax(["--kernel", asm_image("testkernel"), "--smp"])
    assert r.returncode == USAGE
    assert "--smp" in r.stderr


@pytest.mark.parametrize("smp", [2, 4, 16])
def test_power_off_with_aps_never_started(smp):
    """cli; hlt on the BSP while the APs wait for SIPI is a power-off."""
    kvm_require()
    r, t = timed(["--smp", smp, "--kernel", asm_image("testkernel"), "--cmdline", "halt"])
    assert r.returncode == OK, r.stderr
    assert t < SLACK, t


def test_power_off_multiboot_aps_never_started():
    kvm_require()
    r, t = timed(mb_ap("none", 0, 4))
    assert r.returncode == OK, r.stderr
    assert t < SLACK, t


def test_power_off_with_every_ap_halted():
    """Every AP started and halted with IF=0, then the BSP: a power-off."""
    kvm_require("smp")
    r, t = timed(mb_ap("hlt", 3, 4, "--timeout", 30))
    assert r.returncode == OK, r.stdout + r.stderr
    assert "AP: all in" in r.stdout
    assert t < SLACK, t


def test_no_power_off_while_an_ap_runs():
    """The BSP halted with IF=0 is not a power-off while APs still run:
    only the timeout ends it."""
    kvm_require("smp")
    r, t = timed(mb_ap("spin", 3, 4, "--timeout", 2))
    assert r.returncode == TIMEOUT, r.stdout + r.stderr
    assert "AP: all in" in r.stdout
    assert "timeout after 2 seconds" in r.stderr
    assert t < 2 + SLACK, t


@pytest.mark.parametrize("what", ["spin", "idle"])
def test_timeout_with_every_cpu_busy_or_idle(what):
    """--timeout ends a run whose vCPUs all spin, or all sleep in HLT with
    IF=1 (in-kernel: only a kick gets them out of KVM_RUN)."""
    kvm_require("smp")
    r, t = timed(mb_ap(what, 3, 4, "--timeout", 1))
    assert r.returncode == TIMEOUT, r.stdout + r.stderr
    assert t < 1 + SLACK, t


@pytest.mark.parametrize("smp", [2, 16])
def test_timeout_with_aps_waiting_for_sipi(smp):
    kvm_require()
    for args in (["--kernel", asm_image("testkernel"), "--cmdline", "spin"],
                 ["--kernel", asm_image("mb_idle")]):
        r, t = timed(["--smp", smp, "--timeout", 1] + args)
        assert r.returncode == TIMEOUT, (args, r.stderr)
        assert t < 1 + SLACK, (args, t)


def _signal_run(args, sig, wait_for=None):
    p = subprocess.Popen([str(rax_path()), "--backend", "kvm"] + [str(a) for a in args],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        time.sleep(1.0)
        t0 = time.monotonic()
        p.send_signal(sig)
        out, err = p.communicate(timeout=SLACK + 10)
        return p.returncode, out, err, time.monotonic() - t0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("what", ["spin", "idle", "hlt-bsp"])
def test_signal_ends_smp_run(sig, what):
    """A signal ends the run at once: every vCPU running (spin), every vCPU
    halted with IF=1 (idle), or the BSP halted with IF=0 and the APs
    spinning."""
    kvm_require("smp")
    mode = "spin" if what == "hlt-bsp" else what
    rc, out, err, t = _signal_run(mb_ap(mode, 3, 4), sig)
    assert rc == SIGNAL, err
    assert f"interrupted by {sig.name}" in err
    assert t < SLACK, t


def test_sigterm_with_aps_waiting_for_sipi():
    kvm_require()
    rc, out, err, t = _signal_run(["--smp", 8, "--kernel", asm_image("testkernel"), "--cmdline", "spin"],
                                  signal.SIGTERM)
    assert rc == SIGNAL, err
    assert t < SLACK, t


def test_debug_exit_from_an_ap():
    """An AP's write to the debug-exit port ends the whole run."""
    kvm_require("smp")
    r, t = timed(mb_ap("exit", 1, 2, "--timeout", 30))
    assert r.returncode == debug_exit_status(5), r.stdout + r.stderr
    assert t < SLACK, t


def test_triple_fault_on_an_ap():
    """A triple fault on CPU 1 ends the run with status 6 and names the CPU,
    while the BSP spins."""
    kvm_require("smp", "cpl0-native")
    r, t = timed(mb_ap("triple", 1, 2, "--timeout", 30))
    assert r.returncode == SHUTDOWN, r.stdout + r.stderr
    assert "guest triple fault (shutdown) on CPU 1" in r.stderr
    assert t < SLACK, t


def test_first_ap_fault_ends_the_run():
    """Three APs fault at about the same time: one of them ends the run."""
    kvm_require("smp", "cpl0-native")
    r, t = timed(mb_ap("triple", 0, 4, "--timeout", 30))
    assert r.returncode == SHUTDOWN, r.stdout + r.stderr
    assert any(f"on CPU {i}" in r.stderr for i in (1, 2, 3)), r.stderr
    assert t < SLACK, t


def test_internal_error_on_an_ap_names_the_cpu():
    """Where the host's KVM emulates CPL0 code, the AP's ud2 in real mode is
    an emulation failure: the run ends with status 8 and says which CPU."""
    kvm_require("smp")
    from conftest import kvm_caps
    if kvm_caps().get("cpl0-native", (False, ""))[0]:
        pytest.skip("host KVM runs CPL0 code on the CPU: the AP's ud2 is a triple fault there "
                    "(test_triple_fault_on_an_ap)")
    r, t = timed(mb_ap("triple", 1, 2, "--timeout", 30))
    assert r.returncode == 8, r.stdout + r.stderr
    assert "rax: CPU 1: KVM internal error" in r.stderr
    assert t < SLACK, t
