"""The Debian cloud kernel boots to a busybox shell on the emulator backend.

The script boots run at CPU level v3 (AVX2 code in glibc's string functions,
the kernel's AVX2/AES-NI/PCLMULQDQ drivers with their self-tests).

* A script of busybox commands (appended to the initrd as /rax/script.sh)
  runs as `rax.cmd=`; its output must equal the same script run by the
  host's own tools and by the same kernel and initrd under QEMU TCG. Then
  the guest powers off and rax exits 0.
* An interactive test types a command into the shell through a pseudo-
  terminal and reads the answer.
* Deterministic replay: two boots with the same inputs retire the same
  number of instructions (rax --stats) and print the same bytes, the
  second with the block translator on (rax --jit on).
"""
import os
import pty
import re
import select
import shutil
import subprocess
import time

import pytest

from conftest import OK, guest_asset, initrd_with, rax_path, run_rax

# one worker: the module's script boot (a fixture) runs once
pytestmark = pytest.mark.xdist_group("emulator_linux")

BASE_CMDLINE = "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1 reboot=k"
BOOT_TIMEOUT = 240

# Generated data, sha256, gzip round trip, sort, awk arithmetic and a loop
# that starts many processes. Everything it prints is deterministic.
SCRIPT = r"""
cd "${RAX_WORK:-/tmp}"
echo RAX-SCRIPT-BEGIN
seq 1 20000 > data
echo "sha $(sha256sum < data)"
gzip -c data > data.gz
echo "gzip-roundtrip $(gunzip -c data.gz | sha256sum)"
echo "sort $(seq 1 3000 | sort -rn | head -n 3 | tr '\n' ' ')"
echo "awk $(awk 'BEGIN { s = 0; for (i = 1; i <= 1000; i++) s += i * i; print s }')"
echo "awk-fields $(printf '3 4\n5 12\n' | awk '{ print $1 * $1 + $2 * $2 }' | tr '\n' ' ')"
i=0
while [ $i -lt 100 ]; do /bin/true || break; i=$((i + 1)); done
echo "processes $i"
echo RAX-SCRIPT-END
"""


# Level v3 inside Linux: the CPU features it reports, the AVX2/AVX/AES-NI/
# PCLMULQDQ implementations its modules register (each passes the crypto
# manager's self-test against the generic code before it is used), and the
# RAID-6 syndrome code it picks. Modules from the kernel package, in
# dependency order.
V3_MODULES = ["raid6_pq", "sha1-ssse3", "sha256-ssse3", "sha512_generic", "sha512-ssse3", "cryptd",
              "crypto_simd", "aesni-intel", "ghash-clmulni-intel", "crc32-pclmul"]
V3_SCRIPT = r"""
echo RAX-V3-BEGIN
echo "flags $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -x -E 'avx|avx2|fma|f16c|bmi1|bmi2|aes|pclmulqdq|movbe|xsave|xsavec' | sort | tr '\n' ' ')"
for m in %s; do insmod /rax/mod/$m.ko || echo "insmod $m failed"; done
awk '/^driver/ { d = $3 } /^selftest/ { print "selftest", d, $3 }' /proc/crypto | grep -E 'avx|aesni|clmul' | sort -u
echo RAX-V3-END
""" % " ".join(V3_MODULES)


def v3_block(text):
    m = re.search(r"^RAX-V3-BEGIN\n(.*?)^RAX-V3-END$", text.replace("\r\n", "\n"), re.S | re.M)
    assert m, "v3 markers not found in output:\n" + text[-3000:]
    return re.sub(r"\[ *\d+\.\d+\] [^\n]*\n", "", m.group(1))


def module_files():
    ver = guest_asset("kernel-version").read_text().strip()
    mods = guest_asset(f"kernel/lib/modules/{ver}/kernel")
    out = {}
    for name in V3_MODULES:
        found = list(mods.rglob(f"{name}.ko"))
        assert found, f"{name}.ko not in the kernel package"
        out[f"rax/mod/{name}.ko"] = found[0].read_bytes()
    return out


def script_block(text):
    text = text.replace("\r\n", "\n")
    m = re.search(r"^RAX-SCRIPT-BEGIN\n(.*?)^RAX-SCRIPT-END$", text, re.S | re.M)
    assert m, "script markers not found in output:\n" + text[-3000:]
    # kernel messages (e.g. QEMU's TSC refinement) may land between script
    # lines or in the middle of one, before its newline
    return re.sub(r"\[ *\d+\.\d+\] [^\n]*\n", "", m.group(1))


@pytest.fixture(scope="module")
def script_initrd(tmp_path_factory):
    return initrd_with(tmp_path_factory.mktemp("initrd"),
                       {"rax/script.sh": SCRIPT, "rax/v3.sh": V3_SCRIPT,
                        "rax/run.sh": "sh /rax/script.sh && sh /rax/v3.sh\n", **module_files()})


SCRIPT_CMDLINE = BASE_CMDLINE + " rax.cmd=sh /rax/run.sh"


def emulator_boot(initrd, cmdline, extra=()):
    args = ["--backend", "emulator", "--cpu", "v3", "--kernel", guest_asset("bzImage"), "--initrd", initrd,
            "--mem", "512M", "--cmdline", cmdline, "--timeout", str(BOOT_TIMEOUT), *extra]
    return run_rax(args, timeout=BOOT_TIMEOUT + 60)


@pytest.fixture(scope="module")
def script_run(script_initrd):
    r = emulator_boot(script_initrd, SCRIPT_CMDLINE, ["--stats"])
    return r


def test_early_console_and_devices(script_run):
    """The decompressor, the kernel's own page tables, the early console, the
    PIT-calibrated TSC and the timer interrupt (the PIT through the 8259, or
    through the I/O APIC once the MADT describes one) all work on the emulator."""
    out = script_run.stdout
    assert "Linux version" in out, out[-3000:] + script_run.stderr
    assert "Command line: " + BASE_CMDLINE in out
    assert "BIOS-provided physical RAM map:" in out
    assert "BIOS-e820: [mem 0x0000000000100000-0x000000001fffffff] usable" in out
    # level v3 has XSAVE, XSAVEC and AVX: Linux uses the compacted format with the YMM state
    assert "x86/fpu: Supporting XSAVE feature 0x004: 'AVX registers'" in out
    assert "x86/fpu: Enabled xstate features 0x7, context size is 832 bytes, using 'compacted' format." in out
    # virtual 1 GHz TSC: PIT calibration lands within a few hundred kHz of it
    # (999.993 with FXSAVE, 1000.049 with XSAVE: the instructions before it)
    assert re.search(r"tsc: Detected (99\d|100\d)\.\d+ MHz processor", out)
    assert "APIC: Keep in PIC mode(8259)" in out or "..TIMER: vector=0x30 apic1=0 pin1=2" in out
    # the CMOS clock starts at --rtc's default for the emulator
    assert "rtc_cmos rtc_cmos: setting system clock to 2026-01-01T00:00:00 UTC (1767225600)" in out
    assert "Run /init as init process" in out


def test_level_v3_features_and_code_paths(script_run):
    """At --cpu v3 Linux reports the v3 features, picks its AVX2 RAID-6 code
    and its AVX/AVX2/AES-NI/PCLMULQDQ crypto drivers, and each of those
    passes the crypto manager's self-test (known answers, and comparisons
    with the generic C code) before it is registered."""
    out = script_run.stdout
    v3 = v3_block(out)
    assert "flags aes avx avx2 bmi1 bmi2 f16c fma movbe pclmulqdq xsave xsavec \n" in v3, v3
    assert "insmod" not in v3, v3
    assert re.search(r"raid6: using algorithm avx2x\d gen\(\)", out), out[-3000:]
    assert re.search(r"raid6: using avx2x\d recovery algorithm", out)
    assert "AVX2 version of gcm_enc/dec engaged." in out
    selftests = dict(l.split()[1:3] for l in v3.splitlines() if l.startswith("selftest "))
    for drv in ("sha1-avx2", "sha256-avx2", "sha512-avx2", "sha256-avx", "generic-gcm-aesni", "xts-aes-aesni",
                "ghash-clmulni", "crc32-pclmul"):
        assert selftests.get(drv) == "passed", (drv, v3)
    assert all(v == "passed" for v in selftests.values()), v3
    assert not re.search(r"alg: .*(fail|error)", out), out  # the crypto manager's failure reports


def test_script_output_matches_host_tools(script_run, tmp_path):
    r = script_run
    assert "RAX-INIT: busybox userspace up" in r.stdout, r.stdout[-3000:] + r.stderr
    assert "RAX-CMD-DONE rc=0" in r.stdout, r.stdout[-3000:] + r.stderr
    assert r.returncode == OK, (r.returncode, r.stderr)
    guest = script_block(r.stdout)
    host = subprocess.run(["/bin/sh", "-c", SCRIPT], capture_output=True, text=True,
                          env={**os.environ, "RAX_WORK": str(tmp_path), "LC_ALL": "C"}, check=True)
    assert guest == script_block(host.stdout)
    assert "processes 100" in guest


def test_script_output_matches_qemu_tcg(script_run, script_initrd):
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        pytest.fail("qemu-system-x86_64 missing: ci/setup.sh installs qemu-system-x86")
    q = subprocess.run([qemu, "-accel", "tcg", "-m", "512", "-nographic", "-no-reboot",
                        "-kernel", str(guest_asset("bzImage")), "-initrd", str(script_initrd),
                        "-append", SCRIPT_CMDLINE],
                       capture_output=True, text=True, errors="replace", timeout=600,
                       stdin=subprocess.DEVNULL)
    assert "RAX-CMD-DONE rc=0" in q.stdout, q.stdout[-3000:]
    assert script_block(script_run.stdout) == script_block(q.stdout)


def stats(stderr):
    m = re.search(r"rax: stats: instructions=(\d+)", stderr)
    assert m, stderr
    return int(m.group(1))


def test_deterministic_replay(script_run, script_initrd):
    """The second boot runs hot code translated (rax --jit on): the
    translator keeps the interpreter's instruction counts and results, so
    it prints the same bytes and retires the same count (one boot checks
    replay and the translator both)."""
    again = emulator_boot(script_initrd, SCRIPT_CMDLINE, ["--stats", "--jit", "on"])
    assert again.returncode == OK, again.stderr
    m = re.search(r"rax: stats: jit blocks=(\d+)", again.stderr)
    assert m and int(m.group(1)) > 0, again.stderr  # it did translate
    assert stats(again.stderr) == stats(script_run.stderr)
    assert again.stdout == script_run.stdout


def test_interactive_shell_through_a_pty():
    master, slave = pty.openpty()
    p = subprocess.Popen([str(rax_path()), "--backend", "emulator", "--kernel", str(guest_asset("bzImage")),
                          "--initrd", str(guest_asset("initrd.img")), "--mem", "512M",
                          "--cmdline", BASE_CMDLINE, "--timeout", str(BOOT_TIMEOUT)],
                         stdin=slave, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    seen = b""

    def read_until(pattern, limit):
        nonlocal seen
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if re.search(pattern, seen):
                return True
            r, _, _ = select.select([master], [], [], 0.5)
            if r:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
        return re.search(pattern, seen) is not None

    try:
        assert read_until(rb"RAX-INIT: busybox userspace up", BOOT_TIMEOUT), seen[-3000:]
        assert read_until(rb"/ # ", 60), seen[-2000:]  # the shell prompt (kernel lines may follow it)
        os.write(master, b"echo answer=$((6 * 7))\r")
        assert read_until(rb"answer=42", 60), seen[-2000:]
        os.write(master, b"poweroff -f\r")
        assert p.wait(timeout=60) == OK
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
