"""The hot-loop kernels (asm/hot_int.asm, asm/hot_sse.asm; bench/hot-loops.sh).

Each runs a fixed number of iterations of a mixed integer or SSE2 body in
64-bit mode, folds a checksum and checks it against the expected one
(asm/include/hot.inc: "NAME: PASS", isa-debug-exit value 0). The build has
the short count (100000 iterations: a few hundredths of a second on the
interpreter); the bench assembles the long counts itself. The same bytes
must pass under rax's interpreter, under KVM where it runs CPL0 code, and
under qemu-system-x86_64 -kernel.
"""
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, asm_image, debug_exit_status, kvm_require, run_rax

PROGRAMS = ["hot_int", "hot_sse"]
PASSED = debug_exit_status(0)
ITERS = 100000


def check(out, status, name):
    tag = name.replace("_", "-").upper()
    m = re.search(rf"^{tag}: iterations (\d+) checksum (0x[0-9a-f]{{16}})$", out, re.M)
    assert m, out[-2000:]
    assert int(m.group(1)) == ITERS
    assert re.search(rf"^{tag}: PASS$", out, re.M), out[-2000:]
    assert status == PASSED, (status, out[-2000:])
    return m.group(0)


@pytest.mark.parametrize("name", PROGRAMS)
def test_hot_loop_on_the_interpreter(name):
    r = run_rax(["--backend", "emulator", "--kernel", asm_image(name), "--mem", "64M", "--stats",
                 "--timeout", "60"], timeout=90)
    check(r.stdout, r.returncode, name)
    # about 56 to 60 instructions an iteration, plus a little start-up
    n = int(re.search(r"instructions=(\d+)", r.stderr).group(1))
    assert 55 * ITERS < n < 61 * ITERS, n


@pytest.mark.parametrize("name", PROGRAMS)
def test_hot_loop_on_kvm(name):
    kvm_require("cpl0-native")
    r = run_rax(["--backend", "kvm", "--kernel", asm_image(name), "--mem", "64M", "--timeout", "60"], timeout=90)
    check(r.stdout, r.returncode, name)


@pytest.mark.parametrize("name", PROGRAMS)
def test_hot_loop_on_qemu(name):
    """QEMU prints the same report (the same expected checksum: PASS)."""
    if not shutil.which("qemu-system-x86_64"):
        pytest.skip("qemu-system-x86_64 not installed (ci/setup.sh installs it)")
    q = subprocess.run(["qemu-system-x86_64", "-accel", "tcg", "-m", "64", "-kernel", str(asm_image(name)),
                        "-serial", "stdio", "-display", "none", "-nodefaults", "-no-reboot",
                        "-device", "isa-debug-exit,iobase=0xf4,iosize=4"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace", timeout=60)
    check(q.stdout, q.returncode, name)


def test_bench_counts_have_expected_checksums(tmp_path):
    """bench/hot-loops.sh assembles 1000 iterations and the long counts: each
    has its expected checksum in the source (else NASM stops with %error)."""
    nasm = shutil.which("nasm")
    if not nasm:
        pytest.skip("nasm not installed")
    bench = (ROOT / "bench" / "hot-loops.sh").read_text()
    longs = dict(re.findall(r"^  (hot_\w+)\) echo (\d+) ;;$", bench, re.M))
    assert sorted(longs) == PROGRAMS
    for name in PROGRAMS:
        for n in (1000, int(longs[name])):
            r = subprocess.run([nasm, "-f", "bin", f"-DITERS={n}", f"-I{ROOT / 'asm'}/", "-o",
                                str(tmp_path / f"{name}-{n}.bin"), str(ROOT / "asm" / f"{name}.asm")],
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
