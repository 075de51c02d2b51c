"""rax --trace on the interpreter: text and binary records, the window and
RIP range filters, tools/rax-trace.py, bad arguments, and a window deep in a
Linux boot that costs no more than booting to it."""
import re
import subprocess
import sys
import time

import pytest

from conftest import ROOT, USAGE, asm_image, debug_exit_status, guest_asset, rax_path, run_rax

LINE = re.compile(r"^(\d+) cpu(\d+) ([0-9a-f]{4}):([0-9a-f]{16}) ([0-9a-f]*) +(.+?)( ; .*)?$")
EVENT = re.compile(r"^(\d+) cpu(\d+) -> ([0-9a-f]{4}):([0-9a-f]{16}) \(event at [0-9a-f]{16}\)$")
TOOL = ROOT / "tools" / "rax-trace.py"


def trace(tmp_path, name, *extra):
    out = tmp_path / name
    r = run_rax(["--backend", "emulator", "--kernel", asm_image("mb_aout"), "--trace", out] + list(extra))
    assert r.returncode == debug_exit_status(0), r.stderr  # the test kernel ends with debug-exit 0
    return out


def test_text_window(tmp_path):
    out = trace(tmp_path, "t.txt", "--trace-from", "1000", "--trace-count", "300")
    lines = out.read_text().splitlines()
    assert len(lines) == 300
    counts = []
    for ln in lines:
        m = LINE.match(ln)
        assert m, ln
        counts.append(int(m.group(1)))
    assert counts == list(range(1000, 1300))
    # registers and memory written: a CALL pushes its return address
    assert any(re.search(r"call .* ; rsp=[0-9a-f]+ \[[0-9a-f]+\]4=[0-9a-f]+$", ln) for ln in lines)


def test_binary_equals_text(tmp_path):
    txt = trace(tmp_path, "t.txt", "--trace-from", "500", "--trace-count", "2000")
    binf = trace(tmp_path, "t.bin", "--trace-from", "500", "--trace-count", "2000")
    assert binf.read_bytes().startswith(b"RAXTRC3\n")
    assert binf.stat().st_size * 4 < txt.stat().st_size  # compact: about 10 bytes an instruction
    conv = subprocess.run([sys.executable, str(TOOL), str(binf)], capture_output=True, text=True, timeout=60)
    assert conv.returncode == 0, conv.stderr
    assert conv.stdout == txt.read_text()
    # cut short: status 2 and one line
    cut = tmp_path / "cut.bin"
    cut.write_bytes(binf.read_bytes()[:-3])
    bad = subprocess.run([sys.executable, str(TOOL), str(cut)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "cut short" in bad.stderr


def test_rip_range(tmp_path):
    full = trace(tmp_path, "all.txt", "--trace-count", "3000").read_text().splitlines()
    rips = sorted({int(LINE.match(ln).group(4), 16) for ln in full if LINE.match(ln)})
    lo, hi = rips[len(rips) // 3], rips[2 * len(rips) // 3]
    part = trace(tmp_path, "part.txt", "--trace-count", "3000", "--trace-range", f"0x{lo:x}-0x{hi:x}")
    lines = [ln for ln in part.read_text().splitlines() if LINE.match(ln)]
    assert lines and all(lo <= int(LINE.match(ln).group(4), 16) < hi for ln in lines)
    assert lines == [ln for ln in full if LINE.match(ln) and lo <= int(LINE.match(ln).group(4), 16) < hi]


def test_guest_program_wide_registers_and_linear_stores(tmp_path):
    """`rax --test` traces too: a guest program at CPL3 under paging (t_avx,
    t_x87) shows the YMM, XMM, x87 and control registers it changes and its
    stores by linear address, merged (a 32-byte VMOVDQU store is one); the
    binary form converts back to the same text."""
    def run(prog, name):
        out = tmp_path / name
        r = run_rax(["--backend", "emulator", "--test", asm_image(prog), "--trace", out])
        assert r.returncode == 0, r.stdout + r.stderr
        return out
    avx = run("t_avx", "avx.txt").read_text()
    assert re.search(r"^\d+ cpu0 0008:\S+ \S+ +mov cr4, rax ; cr4=[0-9a-f]+$", avx, re.M)
    ymm = re.search(r"vmovdqu ymm0, ymmword \[.*\] ; ymm0=([0-9a-f]{64})$", avx, re.M)
    assert ymm, avx[:3000]
    store = re.search(r"vmovdqu ymmword \[rip\+\d+ ; 0x([0-9a-f]+)\], ymm0 ; \[([0-9a-f]+)\]32=([0-9a-f]{64})$", avx, re.M)
    assert store and store.group(1) == store.group(2), avx[:3000]  # the linear address, all 32 bytes at once
    assert re.search(r"vmovdqu xmm0, .* ; ymm0=0{32}[0-9a-f]{32}$", avx, re.M)  # VEX.128 zeroes the upper half
    x87 = run("t_x87", "x87.txt").read_text()
    assert re.search(r"fld1 ; fsw=3800 ftw=80 st0=3fff8000000000000000$", x87, re.M), x87[:2000]
    assert re.search(r"^\d+ cpu0 0023:", x87, re.M)  # CPL3 code
    binf = run("t_x87", "x87.bin")
    conv = subprocess.run([sys.executable, str(TOOL), str(binf)], capture_output=True, text=True, timeout=120)
    assert conv.returncode == 0 and conv.stdout == x87, conv.stderr


def test_step_limited_image_refused(tmp_path):
    """A corpus image runs step by step (its header's step limit): refused in one line."""
    r = run_rax(["--backend", "emulator", "--test", ROOT / "testcases" / "adc_ALIb-o8.bin", "--trace", tmp_path / "t"])
    assert r.returncode == USAGE and "step limit" in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr


@pytest.mark.parametrize("args,why", [
    (["--trace-from", "5"], "need --trace"),
    (["--trace", "X", "--trace-from", "-1"], "--trace-from"),
    (["--trace", "X", "--trace-count", "0"], "--trace-count"),
    (["--trace", "X", "--trace-range", "0x200-0x100"], "--trace-range"),
    (["--trace", "X", "--trace-range", "12"], "--trace-range"),
    (["--trace", "X", "--trace-format", "json"], "--trace-format"),
    (["--trace", "/nonexistent-dir/x.txt"], "cannot write"),
    (["--gdb-history", "12Q"], "--gdb-history"),
])
def test_bad_arguments(tmp_path, args, why):
    args = [str(tmp_path / a) if a == "X" else a for a in args]
    r = run_rax(["--backend", "emulator", "--kernel", asm_image("mb_aout")] + args)
    assert r.returncode == USAGE, r.stderr
    assert why in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_trace_needs_the_interpreter(tmp_path):
    r = run_rax(["--backend", "kvm", "--kernel", asm_image("mb_aout"), "--trace", tmp_path / "t.txt"])
    assert r.returncode == USAGE and "--backend emulator" in r.stderr


@pytest.mark.boot
def test_linux_window_costs_a_boot_to_it(tmp_path):
    """The 100,000,000th instruction of a Linux boot: the window's 1000
    lines come about as soon as the boot gets there untraced."""
    kernel, initrd = guest_asset("bzImage"), guest_asset("initrd.img")
    base = ["--backend", "emulator", "--kernel", kernel, "--initrd", initrd]
    plain = run_rax(base + ["--timeout", "1", "--stats"], timeout=60)
    mips = float(re.search(r"mips=([\d.]+)", plain.stderr).group(1))
    expect = 100e6 / (mips * 1e6)
    out = tmp_path / "lx.txt"
    t0 = time.monotonic()
    p = subprocess.Popen([str(rax_path())] + [str(a) for a in base] +
                         ["--trace", str(out), "--trace-from", "100000000", "--trace-count", "1000"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - t0 < 60:
            if out.exists() and out.read_text().count("\n") >= 1000:
                break
            time.sleep(0.05)
        took = time.monotonic() - t0
    finally:
        p.kill()
        p.wait()
    lines = [ln for ln in out.read_text().splitlines() if LINE.match(ln)]
    assert len(lines) == 1000
    assert int(LINE.match(lines[0]).group(1)) == 100000000
    assert int(LINE.match(lines[-1]).group(1)) == 100000999
    print(f"boot to 100M untraced: {expect:.2f} s expected at {mips:.0f} MIPS; traced window done at {took:.2f} s")
    assert took < 2.0 * expect + 1.0


def test_gdb_history_line(tmp_path):
    """--gdb-history without --gdb: snapshots are taken and their use printed at exit."""
    r = run_rax(["--backend", "emulator", "--kernel", asm_image("mb_aout"), "--gdb-history", "16M"])
    assert r.returncode == debug_exit_status(0), r.stderr
    m = re.search(r"rax: history: (\d+) snapshots \(0 dropped\), ([\d.]+) MiB of 16\.0 MiB .*positions 0\.\.(\d+)",
                  r.stderr)
    assert m, r.stderr
    assert int(m.group(1)) >= 1 and int(m.group(3)) > 1000
    off = run_rax(["--backend", "emulator", "--kernel", asm_image("mb_aout"), "--gdb-history", "0"])
    assert "history" not in off.stderr
