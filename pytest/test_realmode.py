"""Real-address mode on both backends, with QEMU as an independent reference.

asm/mb_real.asm goes from 32-bit protected mode down to real mode and back
and checks what real mode does differently (what an application processor's
INIT/SIPI trampoline and a BIOS-style call need): selector loads set the
base to selector * 16 and keep the cached limit (unreal mode), INT n and
exceptions vector through the table at IDTR.base and push FLAGS, CS, IP,
far CALL/RETF/JMP between segments, 66h operands, the SP wrap, LDS, and
the way back through CR0.PE. One line per check, a SUMMARY, and the
debug-exit status 1 when all passed.
"""
import re
import shutil
import subprocess

import pytest

from conftest import asm_image, debug_exit_status, kvm_require, run_rax

PASSED = debug_exit_status(0)
CHECKS = 14


def check_report(out, returncode):
    fails = [l for l in out.splitlines() if "FAIL" in l]
    assert not fails, "\n".join(fails)
    m = re.search(r"^REAL: SUMMARY (\d+) passed, (\d+) failed$", out, re.M)
    assert m, out[-2000:]
    assert (int(m.group(1)), int(m.group(2))) == (CHECKS, 0)
    assert returncode == PASSED, returncode


def test_real_mode_on_the_interpreter():
    r = run_rax(["--backend", "emulator", "--kernel", asm_image("mb_real"), "--timeout", "30"], timeout=60)
    check_report(r.stdout, r.returncode)


def test_real_mode_on_kvm():
    # the probe's "smp" finding runs real-mode code (an AP's start-up) on this host's KVM
    kvm_require("smp")
    r = run_rax(["--backend", "kvm", "--kernel", asm_image("mb_real"), "--timeout", "30"], timeout=60)
    check_report(r.stdout, r.returncode)


def test_real_mode_on_qemu():
    """The program's expectations, checked against QEMU's TCG."""
    if not shutil.which("qemu-system-x86_64"):
        pytest.skip("qemu-system-x86_64 not installed (ci/setup.sh installs it)")
    r = subprocess.run(["qemu-system-x86_64", "-accel", "tcg", "-m", "64", "-kernel", asm_image("mb_real"),
                        "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-serial", "stdio", "-display", "none",
                        "-no-reboot", "-nodefaults"], capture_output=True, text=True, timeout=60)
    check_report(r.stdout, r.returncode)
