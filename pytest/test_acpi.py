"""ACPI tables (src/loader/acpi.c) as the Debian kernel sees them on the emulator.

The loader writes RSDP, XSDT/RSDT, FADT, FACS, DSDT and MADT into the BIOS
area for every bzImage guest, the same bytes on both backends (the KVM side
is booted in test_kvm_nested.py). Here the kernel must find each table,
start its ACPI interpreter without an error or a warning, and power off
through the DSDT's \\_S5 (PM1_CNT); `acpi=off` and `noapic` must still boot
in PIC mode. The table bytes themselves are checked in tests/unit/test_acpi.c.
"""
import re

import pytest

from conftest import OK, guest_asset, run_rax

CMDLINE = "console=ttyS0 panic=-1 reboot=k"
BOOT_TIMEOUT = 240
TABLES = {  # signature in the kernel's table list -> revision
    "RSDP": "v02 RAX   ",
    "XSDT": "v01 RAX    RAXVM    00000001 RAX  00000001",
    "FACP": "v06 RAX    RAXVM    00000001 RAX  00000001",
    "DSDT": "v02 RAX    RAXVM    00000001 RAX  00000001",
    "APIC": "v04 RAX    RAXVM    00000001 RAX  00000001",
}
# What ACPICA and the x86 ACPI code print when a table or the hardware it
# describes is wrong ("ACPI BIOS Error (bug): ...", "ACPI Warning: ...").
ACPI_COMPLAINT = re.compile(r"ACPI (BIOS )?(Error|Warning)|ACPI: .*(failed|[Ii]nvalid|mismatch)|"
                            r"Invalid BIOS MADT|MP-BIOS bug|SCI .*(not registered|allocation failed)")


def boot(extra, cmd):
    args = ["--backend", "emulator", "--kernel", guest_asset("bzImage"), "--initrd", guest_asset("initrd.img"),
            "--cmdline", f"{CMDLINE} {extra} rax.cmd={cmd}".replace("  ", " "), "--timeout", str(BOOT_TIMEOUT)]
    r = run_rax(args, timeout=BOOT_TIMEOUT + 60)
    assert "RAX-INIT: busybox userspace up" in r.stdout, r.stdout[-3000:] + r.stderr
    assert "RAX-CMD-DONE rc=0" in r.stdout, r.stdout[-3000:] + r.stderr
    assert r.returncode == OK, (r.returncode, r.stderr, r.stdout[-2000:])
    return r.stdout


def after(out, marker):
    """The console output from the first line that starts with marker (the
    kernel's command-line echo holds the markers too, mid-line)."""
    m = re.search(rf"^{re.escape(marker)}", out, re.M)
    assert m, out[-3000:]
    return out[m.start():]


@pytest.mark.boot
def test_kernel_finds_the_tables_and_powers_off_through_acpi():
    out = boot("", "dmesg; echo @@INTERRUPTS; cat /proc/interrupts; echo @@TABLES; ls /sys/firmware/acpi/tables")
    dmesg = after(out, "RAX-INIT")  # the dmesg command's copy of the log
    # RSDP in the BIOS area, then every table it leads to
    assert "ACPI: RSDP 0x00000000000E0000 000024 (v02 RAX   )" in dmesg, dmesg[:4000]
    for sig, ident in TABLES.items():
        assert re.search(rf"ACPI: {sig} 0x00000000000E[0-9A-F]{{4}} [0-9A-F]{{6}} \({re.escape(ident)}\)", dmesg), sig
    assert re.search(r"ACPI: FACS 0x00000000000E[0-9A-F]{4} 000040", dmesg)
    assert not ACPI_COMPLAINT.search(dmesg), ACPI_COMPLAINT.search(dmesg).group(0)
    assert "ACPI: Interpreter enabled" in dmesg
    assert "ACPI: 1 ACPI AML tables successfully acquired and loaded" in dmesg
    assert "ACPI: PM: (supports S0 S5)" in dmesg
    # PIC while the interpreter has no local APIC; the I/O APIC once it has one
    assert re.search(r"ACPI: Using (PIC|IOAPIC) for interrupt routing", dmesg)
    # no PM timer to probe, no i8042 to probe (the FADT says there is none)
    assert "PM-Timer" not in dmesg and "acpi_pm" not in dmesg
    assert "i8042: Probing ports directly" not in dmesg
    # the RTC's century byte, from the FADT
    assert re.search(r"rtc_cmos rtc_cmos: alarms up to one day, y3k", dmesg)
    # the SCI is registered on IRQ 9 and never fires
    irqs = after(out, "@@INTERRUPTS").split("\n@@TABLES")[0]
    assert re.search(r"^\s*9:\s+0\s+\S+.*\bacpi$", irqs, re.M), irqs
    tables = after(out, "@@TABLES").split()
    assert {"APIC", "DSDT", "FACP", "FACS"} <= set(tables), tables
    # poweroff -f: S5 through PM1_CNT (status 0, before any halt)
    tail = after(out, "RAX-CMD-DONE")
    assert "ACPI: PM: Preparing to enter system sleep state S5" in tail
    assert "reboot: Power down" in tail and "System halted" not in tail


@pytest.mark.boot
def test_acpi_off_boots_in_pic_mode():
    out = boot("acpi=off", "cat /proc/interrupts")
    assert "ACPI: RSDP" not in out
    assert "ACPI: Interpreter disabled." in out
    assert re.search(r"^\s*0:\s+\d+\s+XT-PIC\s+timer$", out, re.M), out[-3000:]
    assert "reboot: System halted" in after(out, "RAX-CMD-DONE")  # no ACPI S5: halt with IF=0


@pytest.mark.boot
def test_noapic_boots_in_pic_mode():
    out = boot("noapic", "cat /proc/interrupts")
    assert "ACPI: RSDP 0x00000000000E0000" in out
    assert not ACPI_COMPLAINT.search(out), ACPI_COMPLAINT.search(out).group(0)
    assert "ACPI: Using PIC for interrupt routing" in out
    assert re.search(r"^\s*0:\s+\d+\s+XT-PIC\s+timer$", out, re.M), out[-3000:]
    assert re.search(r"^\s*9:\s+0\s+XT-PIC\s+acpi$", out, re.M), out[-3000:]
