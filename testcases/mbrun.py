#!/usr/bin/python3
"""Run test images through the multiboot runner (asm/mbrun.asm) under rax
(emulator or KVM backend) and under QEMU, and compare the reports.

    testcases/mbrun.py [--build DIR] [--runner emulator|kvm|qemu ...] [--trace | --steps] IMAGE...

With one runner it prints each image's final state; with two (the default:
emulator and qemu) it compares them image by image and, for every image that
differs, reruns it on both with TF set and names the first instruction after
which the two traces differ (and, when memory differs, the differing bytes).
--steps also compares a hash over the state after every instruction.
Exit status 0 when all images agree, 1 otherwise.

pytest/test_corpus_qemu.py uses run(), differences() and explain() over the
whole corpus.
"""
import argparse
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
MEM_MIB = 1536          # the module copies go above 1 GiB (asm/mbrun.asm MOD_AREA)
QEMU = "qemu-system-x86_64"
GPRS = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
FIELDS = {  # report line -> names of its values
    "regs": GPRS,
    "frame": ["rip", "cs", "rflags", "ss"],
    "x87": ["fcw", "fsw", "ftw", "mxcsr"],
    "st": [f"st{i}" for i in range(8)],
    "xmm": [f"xmm{i}" for i in range(16)],
    "ymmh": [f"ymm{i}h" for i in range(16)],  # where the runner has AVX on (CR4.OSXSAVE, XCR0 = 7)
}


class RunError(Exception):
    """The runner itself failed (not a test): no report to compare."""


def command(runner, build, images, trace=False, dump=False, steps=False):
    build = pathlib.Path(build)
    kernel = build / "asm" / "mbrun.bin"
    if not kernel.exists():
        raise RunError(f"{kernel} not built (needs nasm): run cmake --build {build}")
    for i in images:
        if "," in str(i):
            raise RunError(f"{i}: module paths must not contain commas")
    mods = ",".join(str(i) for i in images)
    opts = " ".join(o for o, on in (("trace", trace), ("dump", dump), ("steps", steps)) if on)
    if runner == "qemu":
        cmd = [QEMU, "-accel", "tcg", "-cpu", "max", "-m", str(MEM_MIB), "-kernel", str(kernel),
               "-initrd", mods, "-display", "none", "-monitor", "none", "-serial", "stdio",
               "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=1"]
        if opts:
            cmd += ["-append", opts]
        return cmd
    if runner not in ("emulator", "kvm"):
        raise RunError(f"unknown runner {runner!r} (emulator, kvm or qemu)")
    # the CPU level of the corpus' newest forms (x86-64-v3; QEMU's -cpu max has them too)
    cmd = [str(build / "rax"), "--backend", runner, "--cpu", "v3", "--kernel", str(kernel), "--mem", f"{MEM_MIB}M",
           "--initrd", mods]
    if opts:
        cmd += ["--cmdline", opts]
    return cmd


def parse(text):
    """The report of one run: ({module name: record}, number of modules
    announced by '@@ all', or None when the run did not finish)."""
    recs, cur, total = {}, None, None
    for chunk in text.split("\n@@ ")[1:]:
        head, _, rest = chunk.partition("\n")
        word, _, args = head.partition(" ")
        if word == "begin":
            _, _, name = args.partition(" ")
            cur = recs[name] = {"name": name, "out": rest, "trace": [], "dump": {}}
            continue
        if word == "all":
            total = int(args, 16)
            continue
        if word == "internal":
            raise RunError("mbrun: " + head)
        if cur is None:
            raise RunError(f"mbrun: report line before any test: {head!r}")
        if word == "t":
            cur["trace"].append(args.split())
        elif word == "d":
            addr, _, data = args.partition(" ")
            cur["dump"][int(addr, 16)] = bytes.fromhex(data)
        elif word in FIELDS:
            vals = args.split()
            cur[word] = dict(zip(FIELDS[word], vals))
        elif word == "mem":
            vals = args.split()
            names = ["image", "stack"] + [f"region{i}" for i in range(len(vals) - 2)]
            cur["mem"] = dict(zip(names, vals))
        elif word == "end":
            cur["end"] = args
        elif word == "steps":
            cur["steps"] = args
        else:
            raise RunError(f"mbrun: unknown report line {head!r}")
        if rest.strip():
            cur["out"] += rest  # the test's own output after a report line
    return recs, total


def run(runner, build, images, trace=False, dump=False, steps=False, timeout=600):
    """Run images (paths) on one runner; {path string: record}. trace: a line
    per instruction; steps: only the count and a hash over every step's state."""
    images = [str(i) for i in images]
    cmd = command(runner, build, images, trace, dump, steps)
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise RunError(f"{runner}: no end after {timeout} s: {' '.join(cmd[:6])} ...") from e
    text = r.stdout.decode("latin-1")
    recs, total = parse(text)
    if total != len(images) or r.returncode != 1:  # isa-debug-exit with 0: status 1
        tail = r.stderr.decode("latin-1").strip().splitlines()[-3:]
        raise RunError(f"{runner}: exit status {r.returncode}, {len(recs)} of {len(images)} reports"
                       + (f": {' | '.join(tail)}" if tail else ""))
    return recs


def differences(a, b):
    """Field-by-field differences between two records: [(field, a, b)]."""
    out = []
    for key in ["end", "regs", "frame", "x87", "st", "xmm", "ymmh", "mem", "steps", "out"]:
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            for k in sorted(set(va) | set(vb), key=lambda k: list(va).index(k) if k in va else 99):
                if va.get(k) != vb.get(k):
                    out.append((f"{key}.{k}" if key not in ("regs",) else k, va.get(k), vb.get(k)))
        elif va != vb:
            out.append((key, va, vb))
    return out


def first_trace_difference(ta, tb):
    """Index of the first step whose state differs (None: equal), and the lines."""
    for i, (x, y) in enumerate(zip(ta, tb)):
        if x != y:
            return i
    if len(ta) != len(tb):
        return min(len(ta), len(tb))
    return None


def image_load(path):
    """The image's load address (the loader's default when headerless or 0)."""
    data = pathlib.Path(path).read_bytes()[:24]
    load = int.from_bytes(data[16:24], "little") if data[:4] == b"RAXT" else 0
    return load or 0x400000


def image_bytes(path, rip):
    """Up to 15 bytes of the image at rip."""
    data = pathlib.Path(path).read_bytes()
    off = rip - image_load(path)
    return data[off:off + 15].hex(" ") if 0 <= off < len(data) else "(outside the image)"


def memory_differences(da, db, limit=8):
    """[(address, bytes a, bytes b)] of the first differing 8-byte spots of two dumps."""
    out = []
    for addr in sorted(set(da) | set(db)):
        a, b = da.get(addr, b""), db.get(addr, b"")
        for off in range(0, max(len(a), len(b)), 8):
            if a[off:off + 8] != b[off:off + 8]:
                out.append((addr + off, a[off:off + 8], b[off:off + 8]))
                if len(out) >= limit:
                    return out
    return out


def explain(path, names, build, diffs, timeout=600):
    """A report for one differing image: the differences (the differing bytes
    when memory differs), then the first instruction after which traces differ."""
    lines = [f"{path}: {names[0]} and {names[1]} differ:"]
    lines += [f"  {f}: {names[0]} {x}, {names[1]} {y}" for f, x, y in diffs]
    if any(f.startswith("mem.") for f, _, _ in diffs):
        try:
            da = run(names[0], build, [path], dump=True, timeout=timeout)[str(path)]["dump"]
            db = run(names[1], build, [path], dump=True, timeout=timeout)[str(path)]["dump"]
            load = image_load(path)
            for addr, x, y in memory_differences(da, db):
                lines.append(f"  memory at {addr:#x} (image offset {addr - load:#x}): "
                             f"{names[0]} {x.hex(' ')}, {names[1]} {y.hex(' ')}")
        except (RunError, KeyError) as e:
            lines.append(f"  (no memory dump: {e})")
    try:
        ta = run(names[0], build, [path], trace=True, timeout=timeout)[str(path)]["trace"]
        tb = run(names[1], build, [path], trace=True, timeout=timeout)[str(path)]["trace"]
    except (RunError, KeyError) as e:
        lines.append(f"  (no trace: {e})")
        return "\n".join(lines)
    i = first_trace_difference(ta, tb)
    if i is None:
        lines.append(f"  traces agree over {len(ta)} steps (the difference is in what the trace does not show)")
        return "\n".join(lines)
    cols = ["rip", "rflags"] + GPRS + ["x87/SSE state hash"]
    if i == 0:
        lines.append("  the traces differ before the first instruction")
    else:
        prev = ta[i - 1]
        rip = int(prev[0], 16)
        lines.append(f"  first difference after step {i}: the instruction at rip {rip:#x} "
                     f"(bytes {image_bytes(path, rip)})")
        lines.append("  state before it: " + " ".join(f"{c}={v}" for c, v in zip(cols, prev)))
    a = ta[i] if i < len(ta) else None
    b = tb[i] if i < len(tb) else None
    if a is None or b is None:
        lines.append(f"  {names[0] if a is None else names[1]} trace ends at step {i}")
    else:
        lines += [f"  after: {c}: {names[0]} {x}, {names[1]} {y}" for c, x, y in zip(cols, a, b) if x != y]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("RAX_BUILD", str(ROOT / "build")))
    ap.add_argument("--runner", action="append", choices=["emulator", "kvm", "qemu"])
    ap.add_argument("--trace", action="store_true", help="one line per instruction (one runner)")
    ap.add_argument("--steps", action="store_true",
                    help="step every instruction and compare a hash over all the steps' states too")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("images", nargs="+")
    a = ap.parse_args(argv)
    runners = a.runner or ["emulator", "qemu"]
    if len(runners) > 2:
        ap.error("at most two runners")
    for i in a.images:
        if not os.path.isfile(i):
            print(f"mbrun: {i}: no such file", file=sys.stderr)
            return 2
    images = [os.path.abspath(i) for i in a.images]
    try:
        res = [run(r, a.build, images, trace=a.trace, steps=a.steps, timeout=a.timeout) for r in runners]
    except RunError as e:
        print(f"mbrun: {e}", file=sys.stderr)
        return 2
    if len(runners) == 1:
        for i in images:
            rec = res[0][i]
            print(f"{i}: end {rec.get('end')}")
            for t in rec["trace"]:
                print("  t " + " ".join(t))
            for key in ["regs", "frame", "x87", "mem"]:
                print(f"  {key}: " + " ".join(f"{k}={v}" for k, v in rec.get(key, {}).items()))
        return 0
    bad = 0
    for i in images:
        d = differences(res[0][i], res[1][i])
        if d:
            bad += 1
            print(explain(i, runners, a.build, d, a.timeout))
        else:
            print(f"{i}: {runners[0]} and {runners[1]} agree ({res[0][i].get('end')})")
    print(f"{len(images) - bad} of {len(images)} images agree")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
