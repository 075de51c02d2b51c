"""The gdb stub (src/gdb/) driven by real gdb in batch mode.

The guest is asm/gdb_kernel.asm: a multiboot kernel that enters long mode
and calls `tick` (counter += 1, watched = counter) until the debugger sets
`go`, then exits through the debug-exit port with result + RBX, so the
process status shows what gdb wrote. gdb reads its symbols from
build/asm/gdb_kernel.elf (the same bytes at the same addresses).

Each test starts one rax and one gdb (about a second). The KVM variants
skip with the host probe's finding where this host's KVM cannot do what
they need (`rax --kvm-info`): software breakpoints need CPL0 code to run on
the CPU (cpl0-native), stepping needs singlestep.
"""
import os
import pathlib
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import BUILD, OK, SIGNAL, USAGE, debug_exit_status, kvm_require, rax_path, run_rax

GDB = shutil.which("gdb") or "/usr/bin/gdb"

# gdb_kernel.asm's symbols, read from the ELF once
_syms = None


def kernel():
    b, e = BUILD / "asm" / "gdb_kernel.bin", BUILD / "asm" / "gdb_kernel.elf"
    if not b.exists() or not e.exists():
        pytest.fail(f"{b} / {e} not built (needs nasm and ld): run cmake --build {BUILD}")
    return b, e


def sym(name):
    global _syms
    if _syms is None:
        out = subprocess.run(["nm", str(kernel()[1])], capture_output=True, text=True, check=True).stdout
        _syms = {p[2]: int(p[0], 16) for p in (l.split() for l in out.splitlines()) if len(p) == 3}
    return _syms[name]


class Rax:
    """rax with --gdb on a unix socket in tmp_path (or tcp:127.0.0.1:0)."""

    def __init__(self, tmp_path, args, wait=True, tcp=False, console=False):
        """console: the guest's serial console on pipes (self.console reads
        it as it comes, self.type() writes to it)."""
        self.target = None
        spec = "tcp:127.0.0.1:0" if tcp else f"unix:{tmp_path}/gdb.sock"
        cmd = [str(rax_path())] + [str(a) for a in args] + ["--gdb", spec] + (["--gdb-wait"] if wait else [])
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE if console else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
        self.console = Stream(self.p.stdout) if console else None
        line = self.p.stderr.readline()
        m = re.match(r"rax: gdb: listening on (tcp:([\d.]+):(\d+)|unix:(\S+))", line)
        if not m:
            self.p.kill()
            pytest.fail(f"rax did not say where it listens: {line!r} {self.p.stderr.read()}")
        self.target = f"{m.group(2)}:{m.group(3)}" if m.group(2) else m.group(4)
        self.addr = (m.group(2), int(m.group(3))) if m.group(2) else m.group(4)

    def type(self, text):
        self.p.stdin.write(text)
        self.p.stdin.flush()

    def wait(self, timeout=20):
        try:
            out, err = self.p.communicate(timeout=timeout) if not self.console else (None, self._wait_err(timeout))
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate()
            pytest.fail(f"rax did not end: {err}")
        return self.p.returncode, err

    def _wait_err(self, timeout):
        self.p.wait(timeout)  # the console's own reader drains stdout
        return self.p.stderr.read()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            if self.console:
                self.p.wait()
            else:
                self.p.communicate()


class Stream:
    """A pipe drained by a thread (so a writer never blocks on it);
    until() waits for a string in what came since the last match."""

    def __init__(self, pipe):
        self.buf, self.pos, self.cv = "", 0, threading.Condition()
        threading.Thread(target=self._read, args=(pipe.fileno(),), daemon=True).start()

    def _read(self, fd):
        while chunk := os.read(fd, 65536):
            with self.cv:
                self.buf += chunk.decode("latin1")
                self.cv.notify_all()

    def until(self, needle, timeout):
        """The text before needle (and move past it), or None after timeout."""
        end = time.monotonic() + timeout
        with self.cv:
            while (i := self.buf.find(needle, self.pos)) < 0:
                if not self.cv.wait(max(end - time.monotonic(), 0)) and time.monotonic() >= end:
                    return None
            out, self.pos = self.buf[self.pos:i], i + len(needle)
            return out


class GdbSession:
    """gdb reading commands from a pipe, one at a time: each is followed by
    an echo of a marker, so the test knows when gdb finished it and can act
    on the guest (type on its console) in between."""

    MARK = "@@gdb-command-done@@"

    def __init__(self, target):
        self.p = subprocess.Popen([GDB, "-q", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
                                   "-ex", f"target remote {target}"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
        self.out = Stream(self.p.stdout)
        self.log = ""

    def send(self, cmd):
        """Start cmd; done() waits for its output."""
        self.p.stdin.write(f"{cmd}\necho {self.MARK}\\n\n")
        self.p.stdin.flush()

    def done(self, timeout=60):
        out = self.out.until(self.MARK, timeout)
        if out is None:
            pytest.fail(f"gdb did not finish a command:\n{self.log}{self.out.buf[self.out.pos:]}")
        out = out.replace("(gdb) ", "")  # prompts start the lines
        self.log += out
        return out

    def __call__(self, cmd, timeout=60):
        self.send(cmd)
        return self.done(timeout)

    def interrupt(self):
        self.p.send_signal(signal.SIGINT)  # gdb sends 0x03 to the stub

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


@pytest.fixture
def rax_gdb(tmp_path):
    started = []

    def start(args, **kw):
        r = Rax(tmp_path, args, **kw)
        started.append(r)
        return r

    yield start
    for r in started:
        r.kill()


def gdb(target, cmds, elf=True, timeout=30, sigint_after=None):
    """gdb -batch with cmds after `target remote`; its output."""
    args = [GDB, "-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off"]
    if elf:
        args += ["-ex", f"file {kernel()[1]}"]
    args += ["-ex", f"target remote {target}"]
    for c in cmds:
        args += ["-ex", c]
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, errors="replace")
    waited = 0.0
    for t in ([] if sigint_after is None else [sigint_after] if isinstance(sigint_after, float) else sigint_after):
        time.sleep(t - waited)
        waited = t
        p.send_signal(signal.SIGINT)  # gdb sends 0x03 to the stub
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        pytest.fail(f"gdb did not end:\n{out}")
    return out


def values(out, name):
    """Values printed as `$N = V` in order (ints where they parse)."""
    vals = []
    for m in re.finditer(r"^\$\d+ = (.*)$", out, re.M):
        v = m.group(1).strip()
        mm = re.search(r"0x[0-9a-f]+", v)
        vals.append(int(mm.group(0), 16) if mm else (int(v) if re.fullmatch(r"-?\d+", v) else v))
    return vals


BACKENDS = ["emulator", "kvm"]


def backend_args(backend, *findings):
    if backend == "kvm":
        kvm_require(*findings)
    return ["--backend", backend, "--kernel", kernel()[0]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_break_step_registers_memory(rax_gdb, backend):
    """Stopped at the first instruction (--gdb-wait); a breakpoint by symbol
    and one by address, continue, stepi, registers and memory read and
    written, and the guest exits with the values gdb wrote."""
    # KVM: int3 at CPL0 needs CPL0 code on the CPU; stepi needs single-step
    r = rax_gdb(backend_args(backend, "cpl0-native", "singlestep"))
    tick, counter = sym("tick"), sym("counter")
    out = gdb(r.target, [
        "p/x $pc",
        "break tick",
        f"break *{tick + 8:#x}",
        "continue",
        "p/x $pc",
        "continue",
        "p/x $pc",
        "stepi",
        "p/x $pc",
        "p/x *(long *)&counter",
        "continue",
        "continue",
        "p/x *(long *)&counter",
        "p/x $cr0",
        "p/x $efer",
        "p/x $cs",
        "set var *(long *)&go = 1",
        "set var *(long *)&result = 5",
        "set $rbx = 2",
        "delete",
        "continue",
    ])
    v = values(out, "")
    assert v[0] == sym("start"), out
    assert v[1] == tick and v[2] == tick + 8, out
    assert v[3] > tick + 8, out  # stepi moved on
    assert v[4] == 1 and v[5] == 2, out  # the counter as the guest keeps it (at tick, at tick+8)
    assert v[6] & 0x80000001 == 0x80000001, out  # CR0.PG, PE
    assert v[7] & 0x500 == 0x500, out  # EFER.LME, LMA
    assert v[8] == 8, out
    assert "exited with code 017" in out, out  # (5 + 2) << 1 | 1 = 15
    rc, err = r.wait()
    assert rc == debug_exit_status(7), err


@pytest.mark.parametrize("backend", BACKENDS)
def test_hbreak_interrupt_detach(rax_gdb, backend):
    """gdb attaches to a running guest (it stops), a hardware breakpoint,
    Ctrl-C interrupts the running guest, and after detach it runs to its
    end with what gdb wrote."""
    r = rax_gdb(backend_args(backend), wait=False)
    out = gdb(r.target, [
        "hbreak tick",
        "continue",
        "p/x $pc",
        "delete",
        "continue",
        "p/x *(long *)&counter",
        "set var *(long *)&go = 1",
        "set var *(long *)&result = 3",
        "detach",
    ], sigint_after=2.0)
    v = values(out, "")
    assert v[0] == sym("tick"), out
    assert "SIGINT" in out, out
    assert v[1] > 1, out
    assert "detached" in out.lower(), out
    rc, err = r.wait()
    assert rc == debug_exit_status(3), err


@pytest.mark.parametrize("backend", BACKENDS)
def test_watchpoint(rax_gdb, backend):
    """A write watchpoint: gdb shows the old and the new value. (KVM: the
    debug registers; a host that emulates CPL0 code does not check them on
    the data accesses it emulates.)"""
    r = rax_gdb(backend_args(backend, "cpl0-native"))
    out = gdb(r.target, ["watch *(long *)&watched", "continue", "continue", "kill"])
    if "E.watchpoints are not available" in out or "Could not insert" in out:
        pytest.skip("the interpreter's data-breakpoint hooks (src/emu/debug.h) are not in yet")
    assert re.search(r"Old value = 0\s+New value = 1", out), out
    assert re.search(r"Old value = 1\s+New value = 2", out), out


def test_monitor_and_target_description(rax_gdb):
    """monitor commands; the description's system, segment and AVX registers."""
    r = rax_gdb(backend_args("emulator") + ["--cpu", "v3"])
    out = gdb(r.target, [
        "monitor help",
        "monitor info registers",
        "monitor xp 0x100000 8",
        "monitor icount",
        "monitor bogus",
        "stepi 5",
        "monitor icount",
        "info registers fs_base gs_base cr3 efer",
        "p $ymm0.v8_int32",
        "kill",
    ])
    assert "icount" in out and "xp ADDR" in out, out
    assert "cr0" in out.lower() and "efer" in out.lower(), out
    assert "0000000000100000: 02 b0 ad 1b 00 00 01 00" in out, out  # the multiboot magic
    counts = [int(x) for x in re.findall(r"^(\d+)$", out, re.M)]
    assert counts[:2] == [0, 5], out
    assert "unknown monitor command 'bogus'" in out, out
    assert re.search(r"^fs_base\s+0x0", out, re.M) and re.search(r"^efer\s+0x", out, re.M), out
    assert "{0, 0, 0, 0, 0, 0, 0, 0}" in out, out
    rc, err = r.wait()
    assert rc == SIGNAL and "killed by the debugger" in err, err


@pytest.mark.parametrize("backend", BACKENDS)
def test_tcp_and_threads(rax_gdb, backend):
    """tcp:127.0.0.1:0 (the port rax prints), one thread per CPU (--smp 2):
    CPU 1 waits for a SIPI at its reset state."""
    r = rax_gdb(backend_args(backend, "smp") + ["--smp", "2"], tcp=True)
    out = gdb(r.target, ["info threads", "thread 2", "p/x $cs", "thread 1", "p/x $cs", "kill"], elf=True)
    assert re.search(r"Thread 1 .*\n.*Thread 2", out), out
    assert "CPU 1" in out, out
    assert values(out, "") == [0xF000, 8], out
    rc, _ = r.wait()
    assert rc == SIGNAL



def vmlinux_of(bzimage):
    """The bzImage's vmlinux (LZ4 legacy payload, as Debian builds it)."""
    d = open(bzimage, "rb").read()
    setup_sects = d[0x1f1] or 4
    po, pl = struct.unpack_from("<II", d, 0x248)
    off = (setup_sects + 1) * 512 + po
    payload = d[off:off + pl]
    assert payload[:4] == b"\x02\x21\x4c\x18", payload[:4]
    return subprocess.run(["lz4", "-dc"], input=payload[:-4], capture_output=True).stdout

def kallsyms(elf, want):
    """Addresses of the symbols in want from the kernel's own kallsyms tables:
    Debian's System.map is a placeholder (the real one is in the -dbg
    package). The token table holds the digits as one-character tokens in a
    row; its index, the markers, the names and the offsets are found from
    there (scripts/kallsyms.c's layout, 6.1 with kallsyms_seqs_of_names)."""
    pat = b"0\x001\x002\x003\x004\x005\x006\x007\x008\x009\x00"
    p = elf.find(pat)
    while p >= 0:
        # token_index: 256 increasing u16 after the table, idx[0x30] = p - start
        q = (p + 7) & ~7
        for q in range(q, q + 0x1000, 2):
            idx = struct.unpack_from("<256H", elf, q)
            start = p - idx[0x30]
            if idx[0] != 0 or start < 0 or start % 8 or q < start:
                continue
            if all(idx[i] < idx[i + 1] for i in range(255)) and all(
                    elf[start + idx[i + 1] - 1] == 0 for i in range(255)):
                break
        else:
            p = elf.find(pat, p + 1)
            continue
        break
    tokens = [elf[start + idx[i]:elf.index(b"\0", start + idx[i])].decode("latin1") for i in range(256)]
    tt = start
    # num_syms: N at s, names at s+8, markers (ceil(N/256) u32, first 0) end at tt (aligned 8)
    for s in range(tt - 16, max(tt - (8 << 20), 0), -8):
        n, = struct.unpack_from("<I", elf, s)
        if not 10000 < n < 1000000:
            continue
        nm = (n + 255) // 256
        # markers end at the token table, or (6.2, and 6.1 stable backports)
        # at kallsyms_seqs_of_names (3 bytes a symbol) that ends there
        for end in (tt, (tt - 3 * n) & ~7):
            ms = end - ((nm * 4 + 7) & ~7)
            if struct.unpack_from("<I", elf, ms)[0] == 0:
                break
        else:
            continue
        # walk names
        pos = s + 8
        ok = True
        for _ in range(n):
            l = elf[pos]
            if l & 0x80:
                l = (l & 0x7f) | (elf[pos + 1] << 7)
                pos += 1
            pos += 1 + l
            if pos > ms:
                ok = False
                break
        if ok and ((pos + 7) & ~7) == ms:
            break
    else:
        raise RuntimeError("kallsyms_num_syms not found")
    relbase, = struct.unpack_from("<Q", elf, s - 8)
    offs_start = s - 8 - 4 * n
    if offs_start % 8:
        offs_start -= 4
    offs = struct.unpack_from("<%di" % n, elf, offs_start)
    pos = s + 8
    out = {}
    for i in range(n):
        l = elf[pos]
        if l & 0x80:
            l = (l & 0x7f) | (elf[pos + 1] << 7)
            pos += 1
        name = "".join(tokens[b] for b in elf[pos + 1:pos + 1 + l])
        pos += 1 + l
        if name[1:] in want:
            o = offs[i]
            out[name[1:]] = o if o >= 0 else relbase - 1 - o
    return out


def test_reverse_step_and_continue(rax_gdb, tmp_path):
    """stepi N then reverse-stepi N gives back the same registers and
    memory; reverse-continue lands on the previous breakpoint hit (the
    counter one lower), then at the beginning of history."""
    r = rax_gdb(backend_args("emulator"))
    m1, m2 = tmp_path / "m1", tmp_path / "m2"
    lo, hi = 0x100000, sym("stack_top")
    out = gdb(r.target, [
        "break tick",
        "continue", "continue", "continue",
        "info registers",
        f"dump binary memory {m1} {lo:#x} {hi:#x}",
        "monitor icount",
        "disable",
        "stepi 25",
        "monitor icount",
        "reverse-stepi 25",
        "monitor icount",
        "enable",
        "info registers",
        f"dump binary memory {m2} {lo:#x} {hi:#x}",
        "p/x *(long *)&counter",
        "reverse-continue",
        "p/x $pc",
        "p/x *(long *)&counter",
        "delete",
        "reverse-continue",
        "p/x $pc",
        "kill",
    ])
    if "Target does not support this command" in out or "reverse execution needs" in out:
        pytest.fail(f"no reverse execution:\n{out}")
    regs = re.findall(r"^rax .*?^gs .*?$", out, re.M | re.S)
    assert len(regs) == 2 and regs[0] == regs[1], out
    assert m1.read_bytes() == m2.read_bytes()
    counts = [int(x) for x in re.findall(r"^(\d+)$", out, re.M)]
    assert counts[1] == counts[0] + 25 and counts[2] == counts[0], out
    v = values(out, "")
    assert v[0] == 2 and v[1] == sym("tick") and v[2] == 1, out  # the hit before: counter one lower
    assert "No more reverse-execution history" in out and v[3] == sym("start"), out
    rc, err = r.wait()
    assert rc == SIGNAL and "history:" in err, err


def test_reverse_watchpoints(rax_gdb):
    """reverse-continue stops at watchpoints as a forward run would, write,
    read and access alike: back from the third write of `watched` to the
    second (gdb shows the value going back); from there a read watchpoint
    on `go` (read once a loop, by the cmp) stops just after the first
    tick's loop read it, and an access watchpoint on `counter` after that
    tick's `mov rax, [counter]`."""
    r = rax_gdb(backend_args("emulator"))
    out = gdb(r.target, [
        "watch *(long *)&watched",
        "continue", "continue", "continue",
        "p *(long *)&watched",
        "reverse-continue",
        "p *(long *)&watched",
        "delete",
        "rwatch *(long *)&go",
        "reverse-continue",
        "x/i $pc",
        "p *(long *)&counter",
        "delete",
        "awatch *(long *)&counter",
        "reverse-continue",
        "x/i $pc",
        "p *(long *)&counter",
        "kill",
    ])
    v = values(out, "")
    assert v[0] == 3 and v[1] == 2, out  # the write of 3 undone: back after the write of 2
    assert re.search(r"Value = 0\n", out), out  # the read watchpoint reports the value it read
    jumps = re.findall(r"=> 0x[0-9a-f]+ <[^>]+>:\s+(\w+)", out)
    assert jumps[:1] == ["je"], out  # just after `cmp qword [go], 0`
    assert v[2] == 1, out  # the loop after the first tick
    assert jumps[1:] == ["mov"] and v[3] == 1, out  # after `mov rax, [counter]`, before the store
    rc, err = r.wait()
    assert rc == SIGNAL, err


def test_reverse_stepi_per_cpu(rax_gdb):
    """--smp 2: reverse-stepi moves the selected thread's CPU back; CPU 1,
    which never ran (it waits for a SIPI), has no history and nothing moves."""
    r = rax_gdb(backend_args("emulator") + ["--smp", "2"])
    out = gdb(r.target, ["break tick", "continue", "continue", "delete", "monitor icount",
                         "thread 2", "reverse-stepi", "monitor icount",
                         "thread 1", "reverse-stepi", "monitor icount", "p/x $pc", "kill"])
    counts = [int(x) for x in re.findall(r"^(\d+)$", out, re.M)]
    assert counts[1] == counts[0] and counts[2] == counts[0] - 1, out
    assert "No more reverse-execution history" in out, out
    assert values(out, "")[-1] == sym("main_loop"), out  # back before the call to tick


def test_reverse_continue_interrupt(rax_gdb):
    """Ctrl-C ends a long reverse-continue search (a breakpoint never hit,
    a second of running to search back through): gdb gets SIGINT, the
    machine is somewhere in the history, and forward execution goes on."""
    r = rax_gdb(backend_args("emulator"))
    out = gdb(r.target, ["hbreak finish", "continue", "monitor icount", "reverse-continue", "monitor icount",
                         "delete", "stepi", "monitor icount", "kill"], sigint_after=[1.0, 1.5])
    counts = [int(x) for x in re.findall(r"^(\d+)$", out, re.M)]
    assert out.count("SIGINT") == 2, out
    assert len(counts) == 3 and 0 < counts[1] < counts[0] and counts[2] == counts[1] + 1, out


# ---- the Debian kernel on the interpreter ----


@pytest.mark.boot
def test_linux_boot_to_shell(rax_gdb):
    """The Debian kernel on the interpreter under gdb, symbols from the
    kernel's own kallsyms (Debian's System.map is a placeholder; nokaslr, so
    the addresses hold): break at start_kernel and read boot_command_line;
    continue to the busybox shell; type `sync` and stop in its syscall
    handler (the pt_regs it gets hold the syscall number); 300 steps back
    and forth there; reverse-continue from there, about a billion and a half instructions into the run, to the
    shell's read of the line; detach, and the shell goes on to power off."""
    from conftest import guest_asset
    bz, initrd = guest_asset("bzImage"), guest_asset("initrd.img")
    if not shutil.which("lz4"):
        pytest.skip("lz4 is needed to read the kernel's symbols")
    names = {"start_kernel", "boot_command_line", "__x64_sys_sync", "__x64_sys_read"}
    syms = kallsyms(vmlinux_of(bz), names)
    assert set(syms) == names, syms
    cmdline = "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1 reboot=k nokaslr rax.gdb=1"
    r = rax_gdb(["--backend", "emulator", "--kernel", bz, "--initrd", initrd, "--cmdline", cmdline], console=True)
    g = GdbSession(r.target)
    try:
        g("")
        t0 = time.monotonic()
        g(f"hbreak *{syms['start_kernel']:#x}")
        g("continue", 120)
        assert values(g("p/x $pc"), "") == [syms["start_kernel"]], g.log
        assert cmdline in g(f"x/s {syms['boot_command_line']:#x}"), g.log
        at_start = int(g("monitor icount"))
        g("stepi 3")
        g("reverse-stepi 3")
        assert values(g("p/x $pc"), "") == [syms["start_kernel"]], g.log  # back, from a snapshot
        g("delete")

        g.send("continue")
        shell = r.console.until("/ # ", 300)
        assert shell is not None and "RAX-INIT: busybox userspace up" in shell, r.console.buf[-3000:]
        g.interrupt()
        assert "SIGINT" in g.done(), g.log
        g(f"hbreak *{syms['__x64_sys_sync']:#x}")
        g.send("continue")
        r.type("sync\n")  # the guest is stopped until gdb's continue: nothing is read before the breakpoint is in
        assert re.search(r"^Breakpoint 2, ", g.done(60), re.M), g.log
        assert values(g("p/x $pc"), "") == [syms["__x64_sys_sync"]], g.log
        assert values(g("p *(long *)($rdi + 120)"), "") == [SYS_SYNC], g.log  # pt_regs.orig_ax
        at_sync = int(g("monitor icount"))
        assert at_sync > at_start > 10_000_000, g.log
        t_boot = time.monotonic() - t0
        t1 = time.monotonic()
        g("reverse-stepi 300", 120)  # the first step leaves a snapshot near, the others start there
        t_steps = time.monotonic() - t1
        assert int(g("monitor icount")) == at_sync - 300, g.log
        g("stepi 300", 120)
        assert values(g("p/x $pc"), "") == [syms["__x64_sys_sync"]], g.log
        assert int(g("monitor icount")) == at_sync, g.log

        g(f"hbreak *{syms['__x64_sys_read']:#x}")
        t1 = time.monotonic()
        assert re.search(r"^Breakpoint 3, ", g("reverse-continue", 120), re.M), g.log
        t_rev = time.monotonic() - t1
        assert values(g("p/x $pc"), "") == [syms["__x64_sys_read"]], g.log
        assert values(g("p *(long *)($rdi + 120)"), "") == [SYS_READ], g.log
        at_read = int(g("monitor icount"))
        assert at_start < at_read < at_sync, g.log
        g("delete")
        g("detach")
    finally:
        g.close()
    r.type("echo typed-$((6*7))\n")
    assert r.console.until("typed-42", 60) is not None, r.console.buf[-3000:]
    r.type("exit\n")
    rc, err = r.wait(120)
    assert rc == OK, err
    print(f"start_kernel at instruction {at_start}, sys_sync at {at_sync} ({t_boot:.1f} s from gdb's attach); "
          f"reverse-stepi x300 there: {t_steps:.2f} s; "
          f"reverse-continue back {at_sync - at_read} instructions to sys_read: {t_rev:.2f} s")


SYS_READ, SYS_SYNC = 0, 162  # x86-64 syscall numbers


# ---- protocol robustness, over a raw socket ----


def packet(data):
    return b"$" + data + b"#" + b"%02x" % (sum(data) & 0xFF)


_rxbuf = {}


def recv_packet(s, timeout=5.0):
    """The next packet's data (acks skipped; what follows it is kept)."""
    s.settimeout(timeout)
    buf = _rxbuf.pop(s.fileno(), b"")
    while True:
        m = re.search(rb"\$([^#]*)#[0-9a-f]{2}", buf)
        if m:
            _rxbuf[s.fileno()] = buf[m.end():]
            return m.group(1)
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {buf!r}")
        buf += chunk


def connect(addr):
    s = socket.socket(socket.AF_UNIX)
    s.connect(addr)
    _rxbuf.pop(s.fileno(), None)
    return s


def test_protocol_robustness(rax_gdb):
    """Malformed, oversized and bad-checksum packets, a second client, a
    client gone mid-packet: errors or refusals; then k ends rax cleanly."""
    r = rax_gdb(backend_args("emulator"))
    s = connect(r.addr)
    s.sendall(b"$g#00")  # bad checksum: NAK
    s.settimeout(5)
    assert s.recv(1) == b"-"
    s.sendall(b"$" + b"m" * 100000 + b"#00")  # oversized: NAK, the reader stays in step
    assert s.recv(1) == b"-"
    for bad, want in [(b"m", b"E02"), (b"mzz,4", b"E02"), (b"m0,", b"E02"), (b"p999", b"E03"),
                      (b"P0=12", b"E02"), (b"M100000,2:zz", b"E02"), (b"Z9,0,1", b""), (b"Hgzz", b"E02"),
                      (b"vCont;q", b"E02"), (b"qXfer:features:read:nope.xml:0,10", b"E00"),
                      (b"m" + b"f" * 17 + b",4", b"E02"), (b"mffffffffffff0000,8", b"E14"),
                      (b"m7ffffff0000,8", b"E14"), (b"qRcmd,7a", b"O"), (b"X100000,4:ab", b"E02")]:
        s.sendall(packet(bad))
        got = recv_packet(s)
        assert got.startswith(want) if want else got == b"", (bad, got)
        while got.startswith(b"O") and got != b"OK":  # monitor output, then its OK
            got = recv_packet(s)
    # a second client is refused while one is attached
    s2 = connect(r.addr)
    s2.settimeout(5)
    data = s2.recv(100)
    assert data == b"" or b"another gdb" in data
    s2.close()
    # the first one still works
    s.sendall(packet(b"?"))
    assert recv_packet(s).startswith(b"T05")
    # gone mid-packet: the guest runs on (no gdb), a new client may attach and stops it
    s.sendall(b"$m10000")
    s.close()
    time.sleep(0.3)
    s = connect(r.addr)
    s.sendall(packet(b"?"))
    assert recv_packet(s).startswith(b"T")
    s.sendall(packet(b"k"))
    rc, err = r.wait()
    assert rc == SIGNAL, err


@pytest.mark.parametrize("args,msg", [
    (["--gdb", "tcp:1234"], "malformed --gdb 'tcp:1234'"),
    (["--gdb", "tcp::99999"], "the port must be 0 to 65535"),
    (["--gdb", "tcp::12a"], "the port must be 0 to 65535"),
    (["--gdb", "udp::1"], "tcp:HOST:PORT, tcp::PORT or unix:PATH"),
    (["--gdb", "unix:"], "unix:PATH needs a path"),
    (["--gdb-wait"], "--gdb-wait (-S) needs --gdb WHERE or -s"),
    (["-S"], "--gdb-wait (-S) needs --gdb WHERE or -s"),
    (["--gdb"], "needs a value"),
])
def test_bad_gdb_arguments(args, msg):
    r = run_rax(["--backend", "emulator", "--kernel", kernel()[0]] + args)
    assert r.returncode == USAGE
    assert msg in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_unix_path_not_a_socket(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    r = run_rax(["--backend", "emulator", "--kernel", kernel()[0], "--gdb", f"unix:{f}"])
    assert r.returncode == USAGE and "exists and is not a socket" in r.stderr, r.stderr
