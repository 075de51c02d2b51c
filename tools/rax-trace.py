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
MAGIC = b"RAXTRC2\n"


class Cut(Exception):
    pass


def convert(data, out):
    if not data.startswith(MAGIC):
        raise ValueError("not a rax binary trace (no RAXTRC2 header)")
    pos, n = len(MAGIC), len(data)
    insn = {}  # id -> (cs, rip, bytes, text)
    last = 0

    def take(fmt):
        nonlocal pos
        size = struct.calcsize(fmt)
        if pos + size > n:
            raise Cut()
        v = struct.unpack_from(fmt, data, pos)
        pos += size
        return v

    def raw(k):
        nonlocal pos
        if pos + k > n:
            raise Cut()
        b = data[pos:pos + k]
        pos += k
        return b

    def varint():
        nonlocal pos
        v, shift = 0, 0
        while True:
            if pos >= n:
                raise Cut()
            b = data[pos]
            pos += 1
            v |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                return v

    def zigzag(v):
        return (v >> 1) ^ -(v & 1)

    while pos < n:
        kind = raw(1)
        if kind == b"D":
            ident = varint()
            cs, rip, length = take("<HQB")
            code = raw(length)
            text = raw(varint()).decode("utf-8", "replace")
            insn[ident] = (cs, rip, code, text)
        elif kind == b"I":
            (cpu,) = take("<B")
            last += zigzag(varint())
            cs, rip, code, text = insn[varint()]
            (packed,) = take("<B")
            nregs, nmem = packed & 31, packed >> 5
            if nmem == 7:
                nmem = varint()
            parts = []
            for _ in range(nregs):
                (reg,) = take("<B")
                parts.append("%s=%x" % (REGS[reg], varint()))
            for _ in range(nmem):
                (size,) = take("<B")
                gpa = varint()
                parts.append("[%x]%u=%x" % (gpa, size, int.from_bytes(raw(size), "little")))
            line = "%u cpu%u %04x:%016x %-30s %s" % (last, cpu, cs, rip, code.hex(), text)
            if parts:
                line += " ; " + " ".join(parts)
            out.write(line + "\n")
        elif kind == b"E":
            (cpu,) = take("<B")
            last += zigzag(varint())
            cs, rip, frm = take("<HQQ")
            out.write("%u cpu%u -> %04x:%016x (event at %016x)\n" % (last, cpu, cs, rip, frm))
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
