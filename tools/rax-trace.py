#!/usr/bin/env python3
"""rax-trace.py - print a binary rax --trace file as the text form.

    tools/rax-trace.py TRACE.bin [OUT.txt]

The output equals what `rax --trace FILE --trace-format text` writes for the
same run (the format is in docs/TRACE.md). Exit status 2 for a file that is
not a rax trace or is cut short.
"""
import struct
import sys

# register numbers (docs/TRACE.md): name, width in bytes (up to 8: a varint)
REGS = ([(n, 8) for n in ("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10",
                          "r11", "r12", "r13", "r14", "r15", "rflags")]
        + [(n, 2) for n in ("es", "cs", "ss", "ds", "fs", "gs")]
        + [(n, 8) for n in ("fs_base", "gs_base", "cr0", "cr2", "cr3", "cr4", "cr8", "efer")]
        + [("mxcsr", 4), ("fcw", 2), ("fsw", 2), ("ftw", 1)]
        + [("st%d" % i, 10) for i in range(8)]
        + [("xmm%d" % i, 16) for i in range(16)]
        + [("ymm%d" % i, 32) for i in range(16)])
MEM_PHYS = 0x80  # the size byte's flag: a guest-physical address
MAGIC = b"RAXTRC3\n"


class Cut(Exception):
    pass


def hexval(v, width):
    """As the text form writes values: up to 8 bytes without leading zeros,
    wider ones (little-endian bytes) with all their digits."""
    if width <= 8:
        return "%x" % (v if isinstance(v, int) else int.from_bytes(v, "little"))
    return v[::-1].hex()


def convert(data, out):
    if not data.startswith(MAGIC):
        raise ValueError("not a rax binary trace (no RAXTRC3 header)")
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
            parts = []
            for _ in range(varint()):
                (reg,) = take("<B")
                if reg >= len(REGS):
                    raise ValueError("bad register number %d at offset %d" % (reg, pos - 1))
                name, width = REGS[reg]
                parts.append("%s=%s" % (name, hexval(varint() if width <= 8 else raw(width), width)))
            for _ in range(varint()):
                (size,) = take("<B")
                addr = varint()
                phys, size = size & MEM_PHYS, size & ~MEM_PHYS
                parts.append("[%s%x]%u=%s" % ("p:" if phys else "", addr, size, hexval(raw(size), size)))
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
