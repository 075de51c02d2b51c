#!/usr/bin/python3
"""idle-cpu.py - how much of a host core an idle interactive guest costs.

Boots the Debian cloud kernel and the busybox initrd on the emulator with a
pseudo-terminal as the console, waits for the shell prompt, then measures
rax's CPU time over a quiet window, once with --clock realtime (the default
at a terminal; the issue's target: under 5% of a core) and once with
--clock virtual (the reference: the same idle guest racing through its
timers), in the same run; also how long `sleep 2` takes in the guest.
    usage: bench/idle-cpu.py [BUILD_DIR] [SECONDS]
"""
import os
import pathlib
import pty
import select
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build")
WINDOW = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
CACHE = pathlib.Path(os.environ.get("RAX_CACHE", ROOT / ".cache" / "guest"))


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def measure(clock):
    master, slave = pty.openpty()
    p = subprocess.Popen([str(BUILD / "rax"), "--backend", "emulator", "--clock", clock, "--kernel",
                          str(CACHE / "bzImage"), "--initrd", str(CACHE / "initrd.img"), "--timeout", "300"],
                         stdin=slave, stdout=slave, stderr=subprocess.DEVNULL)
    out = b""

    def read_until(pattern, bound):
        nonlocal out
        t0 = time.monotonic()
        while pattern not in out and time.monotonic() - t0 < bound:
            if select.select([master], [], [], 0.2)[0]:
                out += os.read(master, 65536)
        return pattern in out

    try:
        if not read_until(b"/ # ", 240):
            sys.exit(f"idle-cpu: no shell prompt with --clock {clock}")
        read_until(b"never", 1)
        c0, t0 = cpu_seconds(p.pid), time.monotonic()
        read_until(b"never", WINDOW)
        busy = (cpu_seconds(p.pid) - c0) / (time.monotonic() - t0)
        os.write(master, b"sleep 2; echo SLE''PT\r")
        t1 = time.monotonic()
        read_until(b"SLEPT", 60)
        slept = time.monotonic() - t1
    finally:
        p.kill()
        p.wait()
        os.close(master)
        os.close(slave)
    return busy, slept


if not (CACHE / "bzImage").exists():
    sys.exit("idle-cpu: run ci/setup.sh first (no guest kernel)")
for clock in ("realtime", "virtual"):
    busy, slept = measure(clock)
    print(f"--clock {clock:8s}: idle guest at the prompt uses {100 * busy:5.1f}% of a core; "
          f"guest 'sleep 2' takes {slept:5.2f} s of wall time")
