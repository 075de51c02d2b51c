"""Nothing a user, a reader or a guest does can wedge rax.

Blocked and closed console output, signals at every stage of a run, the
terminal left as it was found, idle guests that must sleep on the host.
Each case asserts the documented exit status, one line on stderr, and an
end within a bound. The guests are small multiboot kernels (asm/mb_flood*.asm,
asm/mb_idle.asm) that run on both backends; Linux is booted for the
interactive (realtime clock) case (marked `boot`: CI runs the rest of the
module again against the ASan+UBSan build, `-m "not boot"`).
"""
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time

import pytest

from conftest import (OK, SIGNAL, TIMEOUT, USAGE, asm_image, debug_exit_status, guest_asset, kvm_require,
                      rax_path, run_rax)

OUTPUT = 16  # the console output's reader went away (src/vm.h)
FLOOD_BYTES = 200000  # asm/mb_flood.asm
BACKENDS = ["emulator", "kvm"]
SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"]


def backend_args(backend):
    if backend == "kvm":
        kvm_require()
    return ["--backend", backend]


def spawn(args, **kw):
    return subprocess.Popen([str(rax_path())] + [str(a) for a in args], stderr=subprocess.PIPE, **kw)


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def wait_end(p, bound):
    """Wait at most `bound` seconds; returns (status, stderr lines, seconds)."""
    t0 = time.monotonic()
    try:
        p.wait(timeout=bound)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        pytest.fail(f"rax did not end within {bound} s")
    err = p.stderr.read().decode(errors="replace").splitlines()
    return p.returncode, err, time.monotonic() - t0


def wait_caught(p, sig, bound=10):
    """Wait until process p catches sig (its handler is installed: rax's
    main has begun; before that the default action is all any process has)."""
    bit = 1 << (getattr(signal, sig) - 1)
    t0 = time.monotonic()
    while time.monotonic() - t0 < bound and p.poll() is None:
        try:
            with open(f"/proc/{p.pid}/status") as f:
                caught = int([l for l in f if l.startswith("SigCgt:")][0].split()[1], 16)
        except (OSError, IndexError):
            caught = 0
        if caught & bit:
            return
        time.sleep(0.0005)


def assert_one_line(err, must):
    """stderr holds the line `must` names, at most one other (bytes not
    written), and no sanitizer report."""
    assert any(must in line for line in err), err
    assert len(err) <= 2, err
    assert not any("Sanitizer" in line or "runtime error" in line for line in err), err


@pytest.mark.parametrize("backend", BACKENDS)
def test_stalled_reader_ends_at_timeout(backend):
    """The guest wrote more than the pipe and the buffer hold and powered
    off; nobody reads: --timeout still ends rax on time."""
    r, w = os.pipe()
    try:
        p = spawn(backend_args(backend) + ["--kernel", asm_image("mb_flood_rude"), "--timeout", "2"], stdout=w)
        os.close(w)
        status, err, _ = wait_end(p, 10)
    finally:
        os.close(r)
    assert status == TIMEOUT, err
    assert_one_line(err, "timeout after 2 seconds")
    if backend == "emulator":  # done in microseconds: the rest waits in the buffer
        assert any("console output not written" in line for line in err), err


@pytest.mark.parametrize("sig", SIGNALS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_signal_ends_a_guest_spinning_on_a_busy_line(backend, sig):
    """The polite flood waits for THRE with interrupts off while nobody
    reads: each of the four signals ends rax at once, and says which."""
    r, w = os.pipe()
    try:
        p = spawn(backend_args(backend) + ["--kernel", asm_image("mb_flood")], stdout=w)
        os.close(w)
        time.sleep(1.5)
        assert p.poll() is None, "the guest cannot finish while its output is stalled"
        p.send_signal(getattr(signal, sig))
        status, err, took = wait_end(p, 5)
    finally:
        os.close(r)
    assert status == SIGNAL, err
    assert_one_line(err, f"interrupted by {sig}")
    assert took < 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_closed_reader_ends_rax(backend):
    """`rax ... | head -c 1000`: rax ends promptly with status 16 and one line."""
    p = subprocess.Popen(f"'{rax_path()}' {' '.join(backend_args(backend))} --kernel '{asm_image('mb_flood')}' "
                         f"| head -c 1000 >/dev/null; exit ${{PIPESTATUS[0]}}", shell=True, executable="/bin/bash",
                         stderr=subprocess.PIPE)
    status, err, took = wait_end(p, 30)
    assert status == OUTPUT, err
    assert_one_line(err, "console output closed (Broken pipe)")


@pytest.mark.parametrize("backend", BACKENDS)
def test_slow_reader_loses_no_byte(backend):
    """A reader that stalls for a second and then reads: every byte arrives,
    in order; the guest saw the line busy and waited."""
    p = spawn(backend_args(backend) + ["--kernel", asm_image("mb_flood"), "--timeout", "120"], stdout=subprocess.PIPE)
    time.sleep(1)
    data = p.stdout.read()
    status, err, _ = wait_end(p, 130)
    assert status == debug_exit_status(0x21), err
    assert len(data) == FLOOD_BYTES
    assert data == bytes(i & 0xFF for i in range(FLOOD_BYTES))


@pytest.mark.parametrize("sig", SIGNALS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_signal_ends_a_halted_guest_that_sleeps(backend, sig):
    """HLT with interrupts on and no timer: the CPU sleeps on the host (no
    busy wait) until a signal ends the run."""
    p = spawn(backend_args(backend) + ["--kernel", asm_image("mb_idle")], stdout=subprocess.PIPE)
    assert p.stdout.readline() == b"idle\n"
    c0, t0 = cpu_seconds(p.pid), time.monotonic()
    time.sleep(1)
    busy = (cpu_seconds(p.pid) - c0) / (time.monotonic() - t0)
    p.send_signal(getattr(signal, sig))
    status, err, took = wait_end(p, 5)
    assert status == SIGNAL, err
    assert_one_line(err, f"interrupted by {sig}")
    assert took < 2
    assert busy < 0.10, f"a halted guest used {busy:.0%} of a core"


@pytest.mark.parametrize("sig", ["SIGHUP", "SIGQUIT", "SIGTERM"])
def test_terminal_restored_after_signal(sig):
    """At a terminal rax puts it in raw mode; a signal ends rax and the
    terminal's settings are as they were."""
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    try:
        p = spawn(["--backend", "emulator", "--kernel", asm_image("mb_idle")], stdin=slave, stdout=slave)
        got = b""
        t0 = time.monotonic()
        while b"idle" not in got and time.monotonic() - t0 < 10:
            if select.select([master], [], [], 0.2)[0]:
                got += os.read(master, 1024)
        assert b"idle" in got
        assert termios.tcgetattr(slave)[3] & termios.ICANON == 0, "raw mode while running"
        p.send_signal(getattr(signal, sig))
        status, err, _ = wait_end(p, 5)
        after = termios.tcgetattr(slave)
    finally:
        os.close(master)
        os.close(slave)
    assert status == SIGNAL, err
    assert after == before


def test_clock_option_is_checked():
    r = run_rax(["--backend", "emulator", "--clock", "sometimes", "--kernel", asm_image("mb_idle")])
    assert r.returncode == USAGE and "unknown --clock 'sometimes' (virtual or realtime)" in r.stderr
    r = run_rax(["--backend", "kvm", "--clock", "virtual", "--kernel", asm_image("mb_idle")])
    assert r.returncode == USAGE and "--clock virtual needs --backend emulator" in r.stderr


@pytest.mark.boot
def test_virtual_clock_skips_idle_time():
    """--clock virtual (the default off a terminal): a guest sleeping 3 s
    finishes in much less wall time, the same way every run."""
    kernel, initrd = guest_asset("bzImage"), guest_asset("initrd.img")
    cmd = "console=ttyS0 panic=-1 reboot=k rax.cmd=sleep 3"
    t0 = time.monotonic()
    r = run_rax(["--backend", "emulator", "--kernel", kernel, "--initrd", initrd, "--cmdline", cmd, "--stats"],
                timeout=120)
    assert r.returncode == OK, r.stderr[-2000:]
    stats = dict(kv.split("=") for kv in r.stderr.split("rax: stats: ")[1].split()[:2])
    assert int(stats["guest_ns"]) - int(stats["instructions"]) > 2.5e9  # the sleep was skipped, not slept
    assert time.monotonic() - t0 < 60


@pytest.mark.boot
def test_interactive_guest_sleeps_and_keeps_time():
    """At a terminal the default clock is realtime: at the busybox prompt
    rax uses under 5% of a core, and `sleep 2` takes two seconds."""
    kernel, initrd = guest_asset("bzImage"), guest_asset("initrd.img")
    master, slave = pty.openpty()
    out = b""

    def read_until(pattern, bound):
        nonlocal out
        t0 = time.monotonic()
        while pattern not in out and time.monotonic() - t0 < bound:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
        return pattern in out

    try:
        p = spawn(["--backend", "emulator", "--kernel", kernel, "--initrd", initrd, "--timeout", "240"],
                  stdin=slave, stdout=slave)
        assert read_until(b"/ # ", 180), out[-2000:]
        read_until(b"never", 1)  # let the shell settle
        c0, t0 = cpu_seconds(p.pid), time.monotonic()
        read_until(b"never", 4)
        busy = (cpu_seconds(p.pid) - c0) / (time.monotonic() - t0)
        os.write(master, b"sleep 2; echo SLE''PT\r")
        t1 = time.monotonic()
        assert read_until(b"SLEPT", 30), out[-2000:]
        slept = time.monotonic() - t1
        os.write(master, b"\x01x")  # Ctrl-A x
        status, err, _ = wait_end(p, 10)
    finally:
        os.close(master)
        os.close(slave)
    assert busy < 0.05, f"an idle guest at the prompt used {busy:.0%} of a core"
    assert 1.9 <= slept < 6, f"sleep 2 took {slept:.2f} s"
    assert status == SIGNAL, err


# ---- signals before and around the run: the KVM probe, loading, a stepped test ----

def _reference_kvm_info():
    r = run_rax(["--kvm-info"], timeout=120)
    return r.returncode, [line.split(":")[0] for line in r.stdout.splitlines()]


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_signal_during_the_kvm_probe(sig):
    """`rax --kvm-info` and a signal soon after, at several moments: either
    status 12 with one line and no findings (the probe's runs were cut
    short, so they would be wrong), or the probe had finished and its
    findings and status are the normal ones; never killed by the signal."""
    normal, names = _reference_kvm_info()
    for delay in (0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.4):
        p = spawn(["--kvm-info"], stdout=subprocess.PIPE)
        wait_caught(p, sig)
        time.sleep(delay)
        p.send_signal(getattr(signal, sig))
        out = p.stdout.read().decode()
        status, err, _ = wait_end(p, 30)
        assert status in (SIGNAL, normal), (delay, status, err)
        if status == SIGNAL and err:
            assert_one_line(err, f"interrupted by {sig}")
            assert out == "", out
        else:
            assert [line.split(":")[0] for line in out.splitlines()] == names, out
            assert "interrupted" not in out, out


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_signal_while_input_files_load(tmp_path, sig):
    """A large boot module takes a while to read and copy: a signal then is
    kept and ends the run before the guest starts (status 12, one line),
    never kills rax by the signal's default action."""
    big = tmp_path / "big.mod"
    with open(big, "wb") as f:
        f.truncate(128 << 20)
    p = spawn(["--backend", "emulator", "--kernel", asm_image("mb_idle"), "--initrd", big], stdout=subprocess.PIPE)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 10 and p.poll() is None:  # the module is open: rax is reading it
        try:
            fds = [os.readlink(f"/proc/{p.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{p.pid}/fd")]
        except OSError:
            fds = []
        if str(big) in fds:
            break
        time.sleep(0.001)
    p.send_signal(getattr(signal, sig))
    status, err, _ = wait_end(p, 30)
    assert status == SIGNAL, err
    assert_one_line(err, f"interrupted by {sig}")
    assert p.stdout.read() == b"", "the guest never ran"


def _spin_image(tmp_path, step_limit):
    """A test image that jumps to itself, with a step limit (a stepped run)."""
    load = 0x400000
    hdr = b"RAXT" + struct.pack("<HHBBHBBH", 1, 56, 64, 0, 0, 0, 0, 0)
    hdr += struct.pack("<QQQQQ", load, load + 56, 0, step_limit, 0)
    f = tmp_path / "spin.bin"
    f.write_bytes(hdr + b"\xeb\xfe")  # jmp $
    return f


@pytest.mark.parametrize("backend", BACKENDS)
def test_signal_and_timeout_end_a_stepped_test(tmp_path, backend):
    """rax --test with a step limit runs instruction by instruction: a
    signal and --timeout end it as they end any run, with one line."""
    if backend == "kvm":
        kvm_require("singlestep")
    img = _spin_image(tmp_path, 1 << 40)
    p = spawn(["--backend", backend, "--test", img], stdout=subprocess.PIPE)
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    status, err, took = wait_end(p, 10)
    assert status == SIGNAL, err
    assert_one_line(err, "interrupted by SIGTERM")
    assert "outcome: aborted: interrupted" in p.stdout.read().decode()
    r = run_rax(["--backend", backend, "--test", img, "--timeout", "0.5"], timeout=30)
    assert r.returncode == TIMEOUT, r.stderr
    assert r.stderr.strip() == "rax: timeout after 0.5 seconds", r.stderr
