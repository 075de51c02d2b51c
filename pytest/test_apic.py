"""The local APIC and the I/O APIC, the same from inside on both backends.

asm/mb_apic.asm is a self-checking multiboot kernel: reset state, what each
register keeps, IPIs and their destinations, NMI blocking, priorities and
nesting, TPR and CR8, the timer in one-shot (woken from HLT), periodic and
TSC-deadline modes, the I/O APIC with the PIT on pin 2 and the UART on pin 4
edge- and level-triggered (remote IRR, EOI broadcast), the 8259 through
LINT0, and x2APIC with its #GP rules. It prints a FAIL line per failed check
and a SUMMARY, and exits through isa-debug-exit: 0 when every check passed.

KVM's in-kernel APIC is the reference: the program passes there too. A host
whose KVM emulates CPL0 code (kvm_pvm) acknowledges and retires interrupts
itself (no vector shows in ISR, an EOI is never needed), so the KVM case
needs CPL0 on the CPU; test_kvm_nested.py runs it on a real KVM inside QEMU.
The Linux boots check that the Debian kernel uses both controllers (with the
MADT the loader writes), and the 8259 with `nolapic`.
"""
import re

import pytest

from conftest import OK, asm_image, debug_exit_status, guest_asset, kvm_require, run_rax

PASSED = debug_exit_status(0)


def check_report(r):
    fails = [l for l in r.stdout.splitlines() if "FAIL" in l]
    assert not fails, "\n".join(fails) + r.stderr
    m = re.search(r"^APIC: SUMMARY (\d+) passed, (\d+) failed$", r.stdout, re.M)
    assert m, r.stdout[-2000:] + r.stderr
    assert int(m.group(1)) > 150 and int(m.group(2)) == 0
    assert r.returncode == PASSED, (r.returncode, r.stderr)


# "nocr8" sets TPR through the register instead of MOV CR8 (for QEMU's nested SVM)
@pytest.mark.parametrize("cmdline", ["", "nocr8"])
def test_apic_program_on_the_interpreter(cmdline):
    r = run_rax(["--backend", "emulator", "--kernel", asm_image("mb_apic"), "--cmdline", cmdline,
                 "--timeout", "120"], timeout=180)
    check_report(r)


def test_apic_program_on_kvm():
    kvm_require("cpl0-native")
    r = run_rax(["--backend", "kvm", "--kernel", asm_image("mb_apic"), "--timeout", "120"], timeout=180)
    check_report(r)


def test_apic_program_is_deterministic():
    """Virtual time: the same instructions and bytes every run."""
    runs = [run_rax(["--backend", "emulator", "--kernel", asm_image("mb_apic"), "--stats", "--timeout", "120"],
                    timeout=180) for _ in range(2)]
    counts = [re.search(r"instructions=(\d+)", r.stderr).group(1) for r in runs]
    assert counts[0] == counts[1]
    assert runs[0].stdout == runs[1].stdout


def boot(extra):
    cmdline = f"console=ttyS0 panic=-1 reboot=k {extra} rax.cmd=cat /proc/interrupts".replace("  ", " ")
    r = run_rax(["--backend", "emulator", "--kernel", guest_asset("bzImage"), "--initrd", guest_asset("initrd.img"),
                 "--cmdline", cmdline, "--timeout", "240"], timeout=300)
    assert "RAX-CMD-DONE rc=0" in r.stdout, r.stdout[-3000:] + r.stderr
    assert r.returncode == OK, (r.returncode, r.stderr)
    return r.stdout


def local_timer_interrupts(out):
    m = re.search(r"^\s*LOC:\s+(\d+)", out, re.M)
    assert m, out[-3000:]
    return int(m.group(1))


@pytest.mark.boot
def test_linux_uses_the_apics():
    out = boot("")
    if "ACPI: APIC 0x" not in out:
        pytest.skip("the loader writes no MADT: Linux keeps the 8259")
    assert "TSC deadline timer available" in out
    assert re.search(r"IOAPIC\[0\]: apic_id 0, version 17, address 0xfec00000, GSI 0-23", out)
    assert re.search(r"\.\.TIMER: vector=0x30 apic1=0 pin1=2", out), out[-4000:]
    assert "ACPI: Using IOAPIC for interrupt routing" in out
    assert re.search(r"^\s*0:\s+\d+\s+IO-APIC\s+2-edge\s+timer$", out, re.M), out[-3000:]
    assert re.search(r"^\s*4:\s+[1-9]\d*\s+IO-APIC\s+4-edge\s+ttyS0$", out, re.M), out[-3000:]
    assert local_timer_interrupts(out) > 0
    assert not re.search(r"MP-BIOS bug|APIC error|spurious APIC interrupt|IRQ \d+: nobody cared", out)


@pytest.mark.boot
def test_linux_nolapic_uses_the_8259():
    out = boot("nolapic")
    assert re.search(r"^\s*0:\s+[1-9]\d*\s+XT-PIC\s+timer$", out, re.M), out[-3000:]
    assert re.search(r"^\s*4:\s+[1-9]\d*\s+XT-PIC\s+ttyS0$", out, re.M), out[-3000:]
    assert local_timer_interrupts(out) == 0
