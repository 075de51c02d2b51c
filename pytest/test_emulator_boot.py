"""Boot the Debian cloud kernel under the emulator backend (no KVM needed).

The interpreter runs the bzImage's decompressor, switches to the kernel's own
page tables and prints the early console. There is no 8259 PIC / 8254 PIT
model yet, so the boot gets as far as TSC calibration and then waits forever
for the first timer tick in calibrate_delay(): the run ends with the clean
--timeout exit (status 10), not a crash or an unimplemented instruction.

Measured on the 2-core CI machine: the last line below appears after about
5 s of emulation; 25 s leaves room for a loaded machine (pytest -n 2).
"""
from conftest import TIMEOUT, guest_asset, run_rax

CMDLINE = "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1 reboot=k"
TIMEOUT_S = 25


def test_emulator_boot_early_console():
    args = ["--backend", "emulator", "--kernel", guest_asset("bzImage"),
            "--initrd", guest_asset("initrd.img"), "--mem", "512M",
            "--cmdline", CMDLINE, "--timeout", str(TIMEOUT_S)]
    r = run_rax(args, timeout=TIMEOUT_S + 60)
    out = r.stdout
    assert "Linux version" in out, out[-2000:] + r.stderr
    assert "Command line: " + CMDLINE in out
    assert "BIOS-provided physical RAM map:" in out
    assert "BIOS-e820: [mem 0x0000000000100000-0x000000001fffffff] usable" in out
    # After the FPU/SSE probing (FNINIT, FXSAVE, ...) and setup_arch:
    assert "x86/PAT: Configuration" in out
    assert "Memory: " in out
    assert "printk: console [ttyS0] enabled" in out
    # Observed last line before the wait for a timer tick:
    #   "tsc: Marking TSC unstable due to could not calculate TSC khz"
    assert "tsc: Unable to calibrate against PIT" in out
    assert "tsc: Marking TSC unstable" in out
    assert r.returncode == TIMEOUT, (r.returncode, r.stderr, out[-2000:])
    assert "unimplemented instruction" not in r.stderr
    assert f"timeout after {TIMEOUT_S} seconds" in r.stderr
