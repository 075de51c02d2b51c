#!/usr/bin/env python3
"""rax-trace.py - print a binary rax --trace file as the text form.

    tools/rax-trace.py TRACE.bin [OUT.txt]

The output equals what `rax --trace FILE --trace-format text` writes for the
same run (the format is in docs/TRACE.md). Exit status 2 for a file that is
not a rax trace or is cut short.
"""
import struct
import sys

REGS = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10",
        "r11", "r12", "r13", "r14", "r15", "rflags"]
MAGIC = b"RAXTRC1\n"


class Cut(Exception):
    pass


def convert(data, out):
    if not data.startswith(MAGIC):
        raise ValueError("not a rax binary trace (no RAXTRC1 header)")
    pos, n = len(MAGIC), len(data)
    dis = {}

    def take(fmt):
        nonlocal pos
        size = struct.calcsize(fmt)
        if pos + size > n:
            raise Cut()
        v = struct.unpack_from(fmt, data, pos)
        pos += size
        return v

    while pos < n:
        kind = data[pos:pos + 1]
        pos += 1
        if kind == b"D":
            ident, length = take("<IH")
            if pos + length > n:
                raise Cut()
            dis[ident] = data[pos:pos + length].decode("utf-8", "replace")
            pos += length
        elif kind == b"I":
            cpu, cs, count, rip, ident, length = take("<BHQQIB")
            if pos + length > n:
                raise Cut()
            code = data[pos:pos + length]
            pos += length
            parts = []
            (nregs,) = take("<B")
            for _ in range(nregs):
                reg, val = take("<BQ")
                parts.append("%s=%x" % (REGS[reg], val))
            (nmem,) = take("<B")
            for _ in range(nmem):
                size, gpa, val = take("<BQQ")
                parts.append("[%x]%u=%x" % (gpa, size, val))
            line = "%u cpu%u %04x:%016x %-30s %s" % (count, cpu, cs, rip, code.hex(), dis.get(ident, "?"))
            if parts:
                line += " ; " + " ".join(parts)
            out.write(line + "\n")
        elif kind == b"E":
            cpu, cs, count, rip, frm = take("<BHQQQ")
            out.write("%u cpu%u -> %04x:%016x (event at %016x)\n" % (count, cpu, cs, rip, frm))
        else:
            raise ValueError("bad record type %r at offset %d" % (kind, pos - 1))


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write("usage: rax-trace.py TRACE.bin [OUT.txt]\n")
        return 2
    try:
        with open(argv[1], "rb") as f:
            data = f.read()
    except OSError as e:
        sys.stderr.write("rax-trace.py: %s\n" % e)
        return 2
    out = open(argv[2], "w") if len(argv) == 3 else sys.stdout
    try:
        convert(data, out)
    except Cut:
        sys.stderr.write("rax-trace.py: %s: cut short (the last record is incomplete)\n" % argv[1])
        return 2
    except ValueError as e:
        sys.stderr.write("rax-trace.py: %s: %s\n" % (argv[1], e))
        return 2
    except BrokenPipeError:  # (| head)
        sys.stderr.close()
        return 0
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
