"""Self-checking guest programs (asm/t_*.asm) and `rax --test` itself.

Every build/asm/t_*.bin runs under `rax --test` on the emulator, and on KVM
when the host's KVM can run it (KVM_NEEDS below, from `rax --kvm-info`;
otherwise skipped with the probe's reason). A program passes when rax exits 0, prints no FAIL line and its
SUMMARY counts more than zero checks. The rest covers the test-image
format (testcases/FORMAT.md): bad images, headerless images, exceptions,
the step limit, and that the embedded runtime stub matches its source.
"""
import pathlib
import re
import shutil
import struct
import subprocess
import sys

import pytest

from conftest import BUILD, ROOT, TIMEOUT, USAGE, kvm_require, run_rax

PROGRAMS = sorted(p.stem for p in (ROOT / "asm").glob("t_*.asm"))
PASSED, FAILED, EXCEPTION = 0, 1, 3
# What a program needs of the host's KVM beyond being usable (rax --kvm-info):
# t_faults runs int3, an IST #DB and privileged CPL0 code a host that
# emulates CPL0 cannot emulate; t_sse checks #GP(0) for misaligned SSE
# arithmetic, which such a host turns into #UD.
# t_xsave runs XSETBV, XGETBV and XRSTOR at CPL0, which such a host cannot emulate.
# t_aes checks #GP(0) for misaligned m128 operands at CPL3 too; t_debug
# sets the debug registers and takes #DB/#BP at CPL0.
KVM_NEEDS = {"t_faults": ("cpl0-native",), "t_sse": ("gp-cpl3",), "t_sse4": ("gp-cpl3",), "t_xsave": ("cpl0-native",),
             "t_jit_sse": ("cpl0-native",),
             "t_aes": ("gp-cpl3",), "t_avx2": ("cpl0-native",),
             "t_fma": ("cpl0-native",), "t_avx": ("cpl0-native",), "t_debug": ("cpl0-native",)}
# The CPU level a program needs (`rax --cpu`; the default is the highest):
# t_sse4 is the x86-64-v2 set, t_x87 checks FISTTP (SSE3). KVM runs the
# instructions on the host CPU whatever the model's CPUID says.
# t_xsave the XSAVE feature set, t_rd RDTSCP/RDPID/RDRAND/RDSEED (from v2 up).
# t_aes is AES-NI and PCLMULQDQ (v3), t_bmi BMI1/BMI2, t_avx the VEX forms
# of the SSE/SSE2 moves and integer operations, t_avx2 AVX2, t_fma AVX
# floating point, FMA3 and F16C (v3; the AVX ones at CPL0 for XSETBV).
NEEDS_LEVEL = {"t_sse4": "v2", "t_x87": "v2", "t_xsave": "v2", "t_rd": "v2", "t_aes": "v3", "t_avx2": "v3",
               "t_fma": "v3", "t_bmi": "v3", "t_avx": "v3"}


def image(name):
    p = BUILD / "asm" / f"{name}.bin"
    if not p.exists():
        pytest.fail(f"{p} not built (needs nasm): run cmake --build {BUILD}")
    return p


@pytest.mark.parametrize("backend", ["emulator", "kvm"])
@pytest.mark.parametrize("program", PROGRAMS)
def test_program(program, backend):
    if backend == "kvm":
        kvm_require(*KVM_NEEDS.get(program, ()))
    level = ["--cpu", NEEDS_LEVEL[program]] if program in NEEDS_LEVEL else []
    r = run_rax(["--test", image(program), "--backend", backend, "--timeout", "120"] + level, timeout=180)
    fails = [l for l in r.stdout.splitlines() if l.startswith("FAIL")]
    assert not fails, "\n".join(fails)
    m = re.search(r"^SUMMARY: (\d+) passed, (\d+) failed$", r.stdout, re.M)
    assert m, r.stdout[-2000:] + r.stderr
    assert int(m.group(1)) > 0 and int(m.group(2)) == 0
    assert r.returncode == PASSED, r.stdout[-1500:] + r.stderr
    assert "outcome: passed" in r.stdout
    if backend == "emulator":
        # programs check a feature only where CPUID offers it; at the
        # program's level the interpreter offers every one
        assert "not offered" not in r.stdout, r.stdout[-1500:]


def test_rd_program_runs_every_part_on_the_interpreter():
    """The interpreter offers RDTSCP, RDPID, RDRAND and RDSEED from level v2
    (t_rd checks each only where CPUID offers it), and none of them at v1."""
    r = run_rax(["--test", image("t_rd"), "--backend", "emulator", "--timeout", "60"], timeout=90)
    assert "not offered" not in r.stdout, r.stdout
    m = re.search(r"^SUMMARY: (\d+) passed, 0 failed$", r.stdout, re.M)
    assert m and int(m.group(1)) >= 13, r.stdout[-2000:]
    r = run_rax(["--test", image("t_rd"), "--backend", "emulator", "--cpu", "v1", "--timeout", "60"], timeout=90)
    assert r.stdout.count("not offered") == 4, r.stdout


def test_v2_program_raises_ud_at_level_v1():
    """Below its CPU level the interpreter has no v2 instructions: t_sse4's
    first one (ADDSUBPS) raises #UD, which the program does not expect."""
    r = run_rax(["--test", image("t_sse4"), "--backend", "emulator", "--cpu", "v1", "--timeout", "60"], timeout=90)
    assert r.returncode == EXCEPTION, r.stdout[-1500:] + r.stderr
    assert re.search(r"^exception: vector=0x06 ", r.stdout, re.M), r.stdout[-1500:]


def header(cpl=0, load=0x400000, entry=None, code=b"\xf4", regs=(), regions=(), steps=0,
           catch=0, version=1, mode=64, end=0):
    hsize = 56 + 16 * len(regs) + 24 * len(regions)
    if entry is None:
        entry = load + hsize
    h = b"RAXT" + struct.pack("<HHBBHBBH", version, hsize, mode, cpl, end, len(regs), len(regions), 0)
    h += struct.pack("<QQQQQ", load, entry, 0, steps, catch)
    for idx, val in regs:
        h += struct.pack("<B7xQ", idx, val)
    for addr, size, flags in regions:
        h += struct.pack("<QQII", addr, size, flags, 0)
    return h + code


def run_image(tmp_path, data, *extra):
    p = tmp_path / "img.bin"
    p.write_bytes(data)
    return run_rax(["--test", p, "--backend", "emulator", *extra], timeout=60)


def state(stdout):
    return dict((k, int(v, 16)) for k, v in re.findall(r"(\w+)=(0x[0-9a-f]+)", stdout))


def test_headerless_runs_with_defaults(tmp_path):
    # mov eax, 0x2a ; cli ; hlt  at the default load address, CPL0
    r = run_image(tmp_path, b"\xb8\x2a\x00\x00\x00\xfa\xf4")
    assert r.returncode == PASSED, r.stdout + r.stderr
    s = state(r.stdout)
    assert s["rax"] == 0x2A and s["cs"] == 0x08 and s["rsp"] == 0x800000
    assert "outcome: passed (halt)" in r.stdout


def test_initial_registers_and_exit_call_at_cpl3(tmp_path):
    # add rbx, rcx ; mov al, 0 ; int 0x30
    img = header(cpl=3, regs=[(3, 40), (1, 2), (16, 0x202 & ~0x200 | 1)],
                 code=b"\x48\x01\xcb\xb0\x00\xcd\x30")
    r = run_image(tmp_path, img)
    assert r.returncode == PASSED, r.stdout + r.stderr
    s = state(r.stdout)
    assert s["rbx"] == 42 and s["cs"] == 0x23 and s["cpl"] == 3
    assert "outcome: passed (exit call)" in r.stdout


def test_debug_exit_nonzero_fails(tmp_path):
    r = run_image(tmp_path, header(code=b"\xb0\x05\xe6\xf4\xf4"))  # mov al,5; out 0xf4,al
    assert r.returncode == FAILED
    assert "failed: debug-exit value 5" in r.stdout


def test_unexpected_exception_is_reported(tmp_path):
    r = run_image(tmp_path, header(cpl=3, code=b"\x90\x0f\x0b"))  # nop; ud2
    assert r.returncode == EXCEPTION, r.stdout + r.stderr
    assert re.search(r"exception: vector=0x06 error=0x0 rip=0x0000000000400039", r.stdout)
    assert state(r.stdout)["rip"] == 0x400039


def test_step_limit(tmp_path):
    r = run_image(tmp_path, header(steps=1000, code=b"\xeb\xfe"))  # jmp $
    assert r.returncode == TIMEOUT
    assert "step limit" in r.stderr


@pytest.mark.parametrize("data,msg", [
    (b"", "empty test image"),
    (b"RAXT\x01\x00", "truncated test image"),
    (header()[:40], "truncated test image"),
    (header(regs=[(3, 1)])[:60], "truncated test image"),
    (header(version=9), "unsupported test-image version 9"),
    (header(mode=32), "32-bit mode, which is not supported yet"),
    (header(mode=7), "invalid CPU mode 7"),
    (header(cpl=2), "invalid privilege level 2"),
    (header(load=0x1000), "overlaps the system area"),
    (header(entry=0x10), "entry point 0x10 is outside"),
    (header(regs=[(17, 0)]), "names register 17"),
    (header(regs=[(16, 1 << 17)]), "impossible initial RFLAGS"),
    (header(regions=[(0x1000000, 0, 1)]), "is empty"),
    (header(regions=[(0x1000000, 0x1000, 0x80)]), "unknown flags"),
    (header(regions=[(0x3fffffff000, 0x1000, 1)]), "mappable limit"),
    (header(regions=[(0x8000000, 0x1000, 1)]), "--mem is"),
    (header(load=0x700000), "overlaps the default stack"),
    (header(catch=0x500000), "catch block"),
    (header(end=0x80), "unknown end flags"),
])
def test_bad_images(tmp_path, data, msg):
    r = run_image(tmp_path, data, "--mem", "64M")
    assert r.returncode == USAGE, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and msg in lines[0], r.stderr


def test_corrupt_header_size(tmp_path):
    img = bytearray(header())
    img[6] = 99
    r = run_image(tmp_path, bytes(img))
    assert r.returncode == USAGE and "header size 99" in r.stderr


def test_test_excludes_kernel(tmp_path):
    r = run_rax(["--test", "x.bin", "--kernel", "y"])
    assert r.returncode == USAGE and "cannot be combined" in r.stderr


def test_runtime_stub_matches_source(tmp_path):
    if not shutil.which("nasm"):
        pytest.skip("nasm not installed")
    out = tmp_path / "stub.h"
    subprocess.run([sys.executable, str(ROOT / "asm/runtime/gen_stub.py"), str(out)], check=True)
    assert out.read_text() == (ROOT / "src/loader/testimg_stub.h").read_text(), \
        "src/loader/testimg_stub.h is stale: run asm/runtime/gen_stub.py"


@pytest.mark.parametrize("backend", ["emulator", "kvm"])
@pytest.mark.parametrize("level,status", [("v1", 1), ("v2", 15), (None, 15)])
def test_cpu_option_sets_the_cpuid_both_backends_show(backend, level, status):
    """asm/mb_cpuid.asm exits with SSE4.2, POPCNT and SSE3 from CPUID leaf 1
    as bits: v1 has none of them, v2 (the default) all three."""
    if backend == "kvm":
        # a KVM that runs CPL0 code in software lets CPUID reach the host CPU
        # (this host kind shows the host's leaves whatever KVM_SET_CPUID2 says)
        kvm_require("cpl0-native")
    r = run_rax(["--backend", backend, "--kernel", image("mb_cpuid")] + (["--cpu", level] if level else []),
                timeout=60)
    assert r.returncode == status, r.stderr


def test_cpu_option_is_checked():
    r = run_rax(["--cpu", "v5", "--test", image("t_sse4")])
    assert r.returncode == 2 and "unknown --cpu 'v5' (v1, v2 or v3)" in r.stderr
