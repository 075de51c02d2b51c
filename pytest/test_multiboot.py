"""Multiboot (v1) kernels: rax --kernel with an ELF32 or a.out-kludge image.

asm/mb_aout.asm and asm/mb_elf.asm (body in asm/mb_common.inc) check the
entry state the specification promises (EAX magic, CR0, EFLAGS, segments
that reload from the GDT, a zeroed bss) and print the multiboot information
they were given over COM1. The same binaries run under rax (emulator, and
KVM where there is one; nested KVM: test_kvm_nested.py) and under
qemu-system-x86_64 -kernel, and each report is checked against what the
command line gave: memory size, command line, every module's bytes and
name. Error cases go through the CLI: one line on stderr, status 2.
"""
import re
import shutil
import subprocess

import pytest

from conftest import OK, USAGE, asm_image, debug_exit_status, rax_path, run_rax

KERNELS = ["mb_aout", "mb_elf"]
MB_DONE = debug_exit_status(0)


def mb_report(out):
    """The kernel's "MB: " lines as a dict (see asm/mb_common.inc)."""
    rep = {"ok": set(), "mods": {}, "mmap": [], "done": False, "fail": None}
    for line in out.splitlines():
        if not line.startswith("MB: "):
            continue
        body = line[4:]
        if m := re.fullmatch(r"FAIL (.*)", body):
            rep["fail"] = m.group(1)
        elif body in ("magic ok", "cr0 eflags ok", "segments reloaded", "bss zero",
                      "elf data segment ok"):
            rep["ok"].add(body)
        elif body == "done":
            rep["done"] = True
        elif m := re.fullmatch(r"flags (0x[0-9a-f]+)", body):
            rep["flags"] = int(m.group(1), 16)
        elif m := re.fullmatch(r"mem_lower (\d+) mem_upper (\d+)", body):
            rep["mem_lower"], rep["mem_upper"] = int(m.group(1)), int(m.group(2))
        elif body.startswith("cmdline "):
            rep["cmdline"] = body[len("cmdline "):]
        elif body.startswith("loader "):
            rep["loader"] = body[len("loader "):]
        elif m := re.fullmatch(r"mods (\d+)", body):
            rep["nmods"] = int(m.group(1))
        elif m := re.fullmatch(r"mod (\d+) start (0x[0-9a-f]+) end (0x[0-9a-f]+) size (\d+) "
                               r"(page|nopage) string (.*)", body):
            rep["mods"].setdefault(int(m.group(1)), {}).update(
                start=int(m.group(2), 16), end=int(m.group(3), 16), size=int(m.group(4)),
                page=m.group(5) == "page", string=m.group(6))
        elif m := re.fullmatch(r"mod (\d+) sum (0x[0-9a-f]+) bytes((?: [0-9a-f]{2})*)", body):
            rep["mods"].setdefault(int(m.group(1)), {}).update(
                sum=int(m.group(2), 16), bytes=m.group(3).split())
        elif m := re.fullmatch(r"mmap base (0x[0-9a-f]{16}) len (0x[0-9a-f]{16}) type (\d+)", body):
            rep["mmap"].append((int(m.group(1), 16), int(m.group(2), 16), int(m.group(3))))
    return rep


def check_report(rep, kernel, cmdline, modules, out=""):
    """What every multiboot loader must have passed: the entry checks, the
    command line "kernel args", and each module (name -> its bytes)."""
    ctx = out[-3000:]
    assert rep["fail"] is None, f"guest check failed: {rep['fail']}\n{ctx}"
    want_ok = {"magic ok", "cr0 eflags ok", "segments reloaded", "bss zero"}
    if kernel.endswith("mb_elf.bin"):
        want_ok.add("elf data segment ok")
    assert rep["ok"] == want_ok, ctx
    assert rep["done"], ctx
    # mem (bit 0), cmdline (2), mods (3), mmap (6), boot_loader_name (9)
    assert rep["flags"] & 0x24d == 0x24d, hex(rep["flags"])
    assert rep["cmdline"].rstrip() == f"{kernel} {cmdline}".rstrip()
    assert rep["nmods"] == len(modules)
    assert sorted(rep["mods"]) == list(range(len(modules)))
    prev_end = 0
    for i, (name, data) in enumerate(modules):
        m = rep["mods"][i]
        assert m["string"] == name
        assert m["size"] == len(data) and m["end"] - m["start"] == len(data)
        assert m["sum"] == sum(data) & 0xffffffff, name
        assert m["bytes"] == [f"{b:02x}" for b in data[:16]], name
        assert m["page"], f"module {i} not page-aligned (flag bit 0): {m['start']:#x}"
        assert m["start"] >= prev_end, "modules overlap"
        prev_end = m["end"]
    # the image lies at 1 MiB (a.out) or 2-3 MiB (ELF): modules above it
    if modules:
        assert rep["mods"][0]["start"] >= 0x100000
    ram = [b for b, _, t in rep["mmap"] if t == 1]
    assert 0 in ram and 0x100000 in ram, rep["mmap"]


def check_rax_exact(rep, mem_mib):
    """rax's own choices, exactly (README "Multiboot kernels")."""
    assert rep["flags"] == 0x24d
    assert rep["loader"] == "rax"
    assert rep["mem_lower"] == 639
    assert rep["mem_upper"] == (mem_mib - 1) * 1024
    assert rep["mmap"] == [(0, 0x9fc00, 1), (0x9fc00, 0x60400, 2),
                           (0x100000, (mem_mib - 1) << 20, 1)]


@pytest.fixture
def modules(tmp_path):
    """Three modules (text, binary, empty) as (path string, bytes), with
    paths relative to tmp_path (the runs' working directory)."""
    files = {"a.bin": b"hello module A", "sub/b.bin": bytes((i * 31 + 3) & 0xff for i in range(5000)),
             "empty.bin": b""}
    for name, data in files.items():
        p = tmp_path / name
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(data)
    return list(files.items())


def kernel_copy(tmp_path, name):
    dst = tmp_path / f"{name}.bin"
    shutil.copy(asm_image(name), dst)
    return dst.name


def run_rax_in(tmp_path, args, timeout=60):
    return subprocess.run([str(rax_path())] + [str(a) for a in args], cwd=tmp_path,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          errors="replace", timeout=timeout)


def run_qemu(tmp_path, kernel, initrd, append, mem_mib=64, timeout=60):
    if not shutil.which("qemu-system-x86_64"):
        pytest.skip("qemu-system-x86_64 not installed (ci/setup.sh installs it)")
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", str(mem_mib), "-kernel", kernel,
           "-serial", "stdio", "-display", "none", "-nodefaults", "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
    if initrd:
        cmd += ["-initrd", initrd]
    if append:
        cmd += ["-append", append]
    # subprocess.run kills QEMU when the timeout expires
    return subprocess.run(cmd, cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, errors="replace", timeout=timeout)


def rax_emulator_run(tmp_path, args):
    return run_rax_in(tmp_path, ["--backend", "emulator"] + args)


@pytest.mark.parametrize("name", KERNELS)
def test_qemu(tmp_path, modules, name):
    """The test kernels themselves, and the expectations, against QEMU's loader."""
    kernel = kernel_copy(tmp_path, name)
    r = run_qemu(tmp_path, kernel, ",".join(n for n, _ in modules), "arg1 arg2=x")
    rep = mb_report(r.stdout)
    check_report(rep, kernel, "arg1 arg2=x", modules, r.stdout + r.stderr)
    assert r.returncode == MB_DONE
    assert rep["loader"] == "qemu"
    # QEMU's firmware keeps the top of RAM for itself
    assert (64 - 1) * 1024 - 1024 <= rep["mem_upper"] <= (64 - 1) * 1024


@pytest.mark.parametrize("name", KERNELS)
def test_emulator(tmp_path, modules, name):
    kernel = kernel_copy(tmp_path, name)
    # modules from two --initrd options, one with a comma list
    r = rax_emulator_run(tmp_path, ["--kernel", kernel, "--mem", "64M", "--cmdline", "arg1 arg2=x",
                                    "--initrd", modules[0][0],
                                    "--initrd", ",".join(n for n, _ in modules[1:])])
    rep = mb_report(r.stdout)
    check_report(rep, kernel, "arg1 arg2=x", modules, r.stdout + r.stderr)
    check_rax_exact(rep, 64)
    assert r.returncode == MB_DONE, r.stderr
    # rax places the first module on the page after the image (bss included)
    assert rep["mods"][0]["start"] == (image_end(asm_image(name).read_bytes()) + 0xfff) & ~0xfff


def test_emulator_defaults(tmp_path):
    """No --cmdline: the command line is the kernel's file name alone; no
    modules; the default --mem (256M)."""
    kernel = kernel_copy(tmp_path, "mb_elf")
    r = rax_emulator_run(tmp_path, ["--kernel", kernel])
    rep = mb_report(r.stdout)
    check_report(rep, kernel, "", [], r.stdout)
    assert rep["cmdline"] == kernel
    check_rax_exact(rep, 256)
    assert r.returncode == MB_DONE


def many_modules(tmp_path, n):
    d = tmp_path / "cases"
    d.mkdir()
    mods = []
    for i in range(n):
        data = f"case {i:04d} ".encode() + bytes([i & 0xff, (i >> 8) & 0xff]) * (i % 7)
        (d / f"c{i:04d}.bin").write_bytes(data)
        mods.append((f"cases/c{i:04d}.bin", data))
    return mods


def test_many_modules(tmp_path):
    """Hundreds of modules in one comma list (what the corpus runner passes);
    rax and QEMU must report the same bytes and names."""
    mods = many_modules(tmp_path, 600)
    kernel = kernel_copy(tmp_path, "mb_aout")
    arg = ",".join(n for n, _ in mods)
    r = rax_emulator_run(tmp_path, ["--kernel", kernel, "--mem", "64M", "--cmdline", "many",
                                    "--initrd", arg])
    rep = mb_report(r.stdout)
    check_report(rep, kernel, "many", mods, r.stdout[-3000:])
    assert r.returncode == MB_DONE
    q = run_qemu(tmp_path, kernel, arg, "many")
    qrep = mb_report(q.stdout)
    check_report(qrep, kernel, "many", mods, q.stdout[-3000:])
    assert [(m["string"], m["sum"], m["bytes"]) for m in rep["mods"].values()] == \
        [(m["string"], m["sum"], m["bytes"]) for m in qrep["mods"].values()]


@pytest.mark.parametrize("name", KERNELS)
def test_kvm(tmp_path, modules, name, kvm):
    """The same on this host's KVM (skipped without /dev/kvm: nested KVM
    runs it in test_kvm_nested.py)."""
    kernel = kernel_copy(tmp_path, name)
    r = run_rax_in(tmp_path, ["--backend", "kvm", "--kernel", kernel, "--mem", "64M",
                              "--cmdline", "arg1 arg2=x", "--initrd", ",".join(n for n, _ in modules)])
    rep = mb_report(r.stdout)
    check_report(rep, kernel, "arg1 arg2=x", modules, r.stdout + r.stderr)
    check_rax_exact(rep, 64)
    assert r.returncode == MB_DONE


# ---- refusals: one line on stderr, status 2, nothing run ----

def patched(tmp_path, name, edits, out="bad.bin"):
    """asm image `name` with bytes replaced: {offset: bytes}."""
    data = bytearray(asm_image(name).read_bytes())
    for off, b in edits.items():
        data[off:off + len(b)] = b
    p = tmp_path / out
    p.write_bytes(bytes(data))
    return p


def image_end(data):
    """End of the image in memory, bss included, from its own headers."""
    h = header_offset(data)
    flags, bss_end = int.from_bytes(data[h + 4:h + 8], "little"), int.from_bytes(data[h + 24:h + 28], "little")
    if flags & 0x10000:
        return bss_end
    phoff, phnum = int.from_bytes(data[28:32], "little"), int.from_bytes(data[44:46], "little")
    ends = []
    for i in range(phnum):
        ph = [int.from_bytes(data[phoff + i * 32 + 4 * k:phoff + i * 32 + 4 * k + 4], "little")
              for k in range(8)]
        if ph[0] == 1:
            ends.append(ph[3] + ph[5])
    return max(ends)


def header_offset(data):
    for off in range(0, min(len(data), 8192) - 11, 4):
        if data[off:off + 4] == (0x1BADB002).to_bytes(4, "little"):
            return off
    raise AssertionError("no multiboot header")


def with_flags(tmp_path, name, flags):
    """Image with its header's flags replaced and the checksum fixed up."""
    data = asm_image(name).read_bytes()
    h = header_offset(data)
    csum = (-(0x1BADB002 + flags)) & 0xffffffff
    return patched(tmp_path, name, {h + 4: flags.to_bytes(4, "little") + csum.to_bytes(4, "little")})


def refused(args, *words):
    r = run_rax(["--backend", "emulator"] + [str(a) for a in args])
    assert r.returncode == USAGE, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rax: "), r.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert r.stdout == ""
    return lines[0]


def test_bad_checksum(tmp_path):
    data = asm_image("mb_aout").read_bytes()
    h = header_offset(data)
    bad = patched(tmp_path, "mb_aout", {h + 8: bytes([data[h + 8] ^ 1])})
    refused(["--kernel", bad], "multiboot kernel", "bad multiboot header checksum",
            f"offset {h:#x}")


def test_truncated(tmp_path):
    data = asm_image("mb_aout").read_bytes()
    p = tmp_path / "trunc.bin"
    p.write_bytes(data[:200])
    refused(["--kernel", p], "truncated")
    data = asm_image("mb_elf").read_bytes()
    p.write_bytes(data[:0x1008])  # the data segment cut short
    refused(["--kernel", p], "truncated: segment 1")


def test_missing_module(tmp_path):
    refused(["--kernel", asm_image("mb_elf"), "--initrd", f"{asm_image('mb_aout')},{tmp_path}/nope.bin"],
            "cannot open module", "nope.bin")


def test_empty_module_name():
    refused(["--kernel", asm_image("mb_elf"), "--initrd", "a.bin,,b.bin"], "empty file name")


def test_neither_format(tmp_path):
    p = tmp_path / "junk.bin"
    p.write_bytes(b"\x90" * 20000)
    refused(["--kernel", p], "not a bzImage", "nor a multiboot kernel")


def test_elf64_refused(tmp_path):
    refused(["--kernel", patched(tmp_path, "mb_elf", {4: b"\x02"})], "ELF64")


def test_non_x86_elf_refused(tmp_path):
    refused(["--kernel", patched(tmp_path, "mb_elf", {18: (40).to_bytes(2, "little")})],
            "ELF machine 40 is not x86")


def test_required_flags(tmp_path):
    refused(["--kernel", with_flags(tmp_path, "mb_elf", 0x4)], "video mode")
    refused(["--kernel", with_flags(tmp_path, "mb_elf", 0x103)], "unsupported required multiboot flags 0x0100")


def test_optional_flags_ignored(tmp_path):
    """Bits 16-31 the loader does not know are optional: loaded and run."""
    p = with_flags(tmp_path, "mb_elf", 0x80000003)
    r = rax_emulator_run(tmp_path, ["--kernel", p])
    assert r.returncode == MB_DONE, r.stderr


def test_image_outside_ram(tmp_path):
    # the ELF's data segment moved to 255 MiB, past --mem 64M
    paddr = (255 << 20).to_bytes(4, "little")
    refused(["--kernel", patched(tmp_path, "mb_elf", {0x34 + 32 + 12: paddr}), "--mem", "64M"],
            "ELF segment 1 loads to [0xff00000,", "outside the RAM")
    # a.out kludge below 1 MiB, over the loader's own structures
    data = asm_image("mb_aout").read_bytes()
    h = header_offset(data)
    fields = b"".join(v.to_bytes(4, "little") for v in (0x9000 + h, 0x9000, 0, 0, 0x9000 + h + 32))
    refused(["--kernel", patched(tmp_path, "mb_aout", {h + 12: fields})], "outside the RAM")


def test_modules_do_not_fit(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (10 << 20))
    refused(["--kernel", asm_image("mb_aout"), "--mem", "16M", "--initrd", f"{big},{big}"],
            "modules do not fit", "module 2")


def test_bzimage_takes_one_initrd():
    tk = asm_image("testkernel")
    refused(["--kernel", tk, "--initrd", f"{tk},{tk}"], "a bzImage takes one initrd, 2 were given")
    refused(["--kernel", tk, "--initrd", tk, "--initrd", tk], "a bzImage takes one initrd")


def test_help_mentions_multiboot():
    r = run_rax(["--help"])
    assert r.returncode == OK
    assert "multiboot" in r.stdout and "--initrd FILE[,FILE...]" in r.stdout
