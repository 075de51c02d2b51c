#!/usr/bin/python3
"""gen_corpus.py - generate the per-form conformance corpus (see testcases/README.md).

Reads the interpreter's one opcode table at run time (src/emu/opcodes.def and
the .def files it includes, printed as JSON by testcases/rax-opcodes.c) and
writes, for every implemented instruction form, a NASM test image that
executes that form many times over operand values from a seeded PRNG plus
edge values, with random flag inputs. rax-diff then runs each image in
lockstep against the real CPU (CPL3 images) or KVM (CPL0 images).

A *form* is one row of the table (one ModRM.reg member of a group) at one
operand size (8/16/32/64 through the row's B flag, 66 and REX.W), with one
operand kind (reg: ModRM.mod = 3, mem: a memory operand) and one variant
(lock: F0 prefix; seg: FS/GS and ignored segment overrides on the memory
operand; rep/repe/repne for string rows; cpl3: a privileged instruction run
at CPL3 where it must fault). Its id is e.g. "add_EvGv-o64-mem-lock".

The instruction under test is always emitted as explicit bytes (`db`) by the
small encoder below, so the opcode, ModRM.reg member and prefixes are
exactly the row's (NASM would pick other encodings for some forms and cannot
write aliases such as SAL /6 or TEST F6 /1). Set-up code around it is NASM.

Outputs in OUT (a build directory):
  forms.json         every form: id, image, cpl, row, opcode, status
                     ("generated", or "not-generated" with the reason)
  asm/FORM.asm       the image sources
  opcodes.json       the table as read
and with --assemble, in BIN (--bin-dir, default OUT/bin; the CMake target
`corpus` and pytest/test_corpus.py use testcases/ for the default seed and
case count, so that `rax-diff testcases/*.bin` runs the corpus):
  FORM.bin           the images
  .corpus.stamp      what they were built from: the key (seed, cases, table,
                     generator, NASM includes) and a hash of each image's
                     source and includes; an image is reassembled only when
                     its hash changes, images of forms that no longer exist
                     are removed, and a run whose key matches and whose
                     images all exist does nothing ("up to date")
  .corpus.lock       serialises concurrent runs on one BIN (flock)

Usage: gen_corpus.py --out DIR [--seed N] [--cases N] [--assemble [--bin-dir BIN]]
                     [--jobs N] [--opcodes-json FILE | --rax-opcodes EXE] [--only REGEX]
Reproducible: the same table, seed and --cases give byte-identical sources
(and, with the same NASM, byte-identical images).
"""
import argparse
import concurrent.futures
import fcntl
import hashlib
import json
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys
import zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_SEED = 20240501
DEFAULT_CASES = 24
STEP_LIMIT = 200000
RO_PAGE = 0xA00000  # a read-only user page (its own 2 MiB page in the test's page tables)

REG64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
         "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
RSP = 4
RAX, RCX, RDX, RBX, RBP, RSI, RDI = 0, 1, 2, 3, 5, 6, 7
MASK64 = (1 << 64) - 1

# RFLAGS inputs: the status flags and DF; AC (alignment checks natively, where
# Linux sets CR0.AM) and TF (the stepping mechanism) are never set.
FL_CF, FL_PF, FL_AF, FL_ZF, FL_SF, FL_DF, FL_OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x400, 0x800
FL_STATUS = FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF

# Exception vectors
DE, DB, BP, UD, GP = 0, 1, 3, 6, 13


# --------------------------------------------------------------------------
# the opcode table

def opcode_rows(args):
    """Rows of the table as dicts (see rax-opcodes.c)."""
    if args.opcodes_json:
        return json.loads(pathlib.Path(args.opcodes_json).read_text())["rows"]
    exe = find_rax_opcodes(args)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["rows"]


def find_rax_opcodes(args):
    """The rax-opcodes tool: --rax-opcodes, the CMake-built one when it is newer
    than every .def file, else compiled here into OUT with cc."""
    defs = list((ROOT / "src" / "emu").glob("*.def")) + [ROOT / "src" / "emu" / "decode.h",
                                                          ROOT / "testcases" / "rax-opcodes.c"]
    newest = max(p.stat().st_mtime for p in defs)
    if args.rax_opcodes:
        return pathlib.Path(args.rax_opcodes)
    build = pathlib.Path(os.environ.get("RAX_BUILD", ROOT / "build"))
    cand = build / "testcases" / "rax-opcodes"
    if cand.exists() and cand.stat().st_mtime >= newest:
        return cand
    exe = pathlib.Path(args.out) / "rax-opcodes"
    if exe.exists() and exe.stat().st_mtime >= newest:
        return exe
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        sys.exit("gen_corpus: no C compiler to build testcases/rax-opcodes.c (or pass --opcodes-json)")
    tmp = exe.with_suffix(".tmp")
    subprocess.run([cc, "-std=c17", "-O0", "-I", str(ROOT / "src"), "-o", str(tmp),
                    str(ROOT / "testcases" / "rax-opcodes.c")], check=True)
    os.replace(tmp, exe)
    return exe


def first_mnem(m, size=None):
    """'a|b|c' picks by operand size 16|32|64 (RMSEL rows by ModRM.rm)."""
    parts = m.split("|")
    if len(parts) == 3 and size in (16, 32, 64):
        return parts[{16: 0, 32: 1, 64: 2}[size]]
    return parts[0]


def ident(s):
    return re.sub(r"[^A-Za-z0-9]+", "", s)


# --------------------------------------------------------------------------
# the encoder

class Mem:
    """A memory operand: kind rip | abs | base | sib | index, resolved to a label."""

    def __init__(self, kind, label, base=None, index=None, scale=1, disp=0, seg=None):
        self.kind, self.label, self.base, self.index = kind, label, base, index
        self.scale, self.disp, self.seg = scale, disp, seg

    def regs(self):
        return [r for r in (self.base, self.index) if r is not None]


def encode(lab, prefixes, opcode, reg=None, rm=None, imm=(), rex_w=False, force_rex=False,
           opreg=None, rel=None, vex=None):
    """NASM lines for one instruction: prefixes (list of bytes, in order),
    opcode (list of bytes incl. 0F), ModRM reg field and rm (int register or
    Mem), immediates [(size, value-or-expr)], an opcode register (Zv forms),
    rel (size, label) for branch displacements. lab: unique end label.
    vex: a Vex (then opcode is the one opcode byte of the VEX map, and REX.R/
    X/B go into the VEX prefix)."""
    rex = 0x48 if rex_w else 0
    modrm = []
    disp = None
    if rm is not None:
        r = reg or 0
        if r & 8:
            rex |= 0x44
        if isinstance(rm, int):
            if rm & 8:
                rex |= 0x41
            modrm = [0xC0 | (r & 7) << 3 | (rm & 7)]
        else:
            m = rm
            ss = {1: 0, 2: 1, 4: 2, 8: 3}[m.scale]
            if m.kind == "rip":
                modrm = [(r & 7) << 3 | 5]
                disp = ("dd", f"({m.label} + {m.disp}) - {lab}")
            elif m.kind == "abs":
                modrm = [(r & 7) << 3 | 4, 0x25]
                disp = ("dd", f"{m.label} + {m.disp}")
            elif m.kind == "index":  # [index*scale + disp32], no base
                if m.index & 8:
                    rex |= 0x42
                modrm = [(r & 7) << 3 | 4, ss << 6 | (m.index & 7) << 3 | 5]
                disp = ("dd", f"{m.disp}")
            else:
                b = m.base
                if b & 8:
                    rex |= 0x41
                if m.disp == 0 and (b & 7) != 5:
                    mod, disp = 0, None
                elif -128 <= m.disp <= 127:
                    mod, disp = 1, ("db", f"{m.disp}")
                else:
                    mod, disp = 2, ("dd", f"{m.disp}")
                if m.index is None and (b & 7) != 4:
                    modrm = [mod << 6 | (r & 7) << 3 | (b & 7)]
                else:
                    idx = 4 if m.index is None else m.index
                    if idx & 8:
                        rex |= 0x42
                    modrm = [mod << 6 | (r & 7) << 3 | 4, ss << 6 | (idx & 7) << 3 | (b & 7)]
    if opreg is not None and opreg & 8:
        rex |= 0x41
    if force_rex:
        rex |= 0x40
    ops = list(opcode)
    if opreg is not None:
        ops[-1] |= opreg & 7
    pre = list(prefixes)
    if isinstance(rm, Mem) and rm.seg is not None:
        pre = [rm.seg] + pre
    if vex is not None:
        byts = pre + vex.prefix(rex) + ops + modrm
    else:
        byts = pre + ([rex] if rex else []) + ops + modrm
    lines = ["\tdb " + ", ".join(f"0x{b:02x}" for b in byts)]
    if disp:
        lines.append(f"\t{disp[0]} {disp[1]}")
    for size, val in imm:
        d = {1: "db", 2: "dw", 4: "dd", 8: "dq"}[size]
        if isinstance(val, int):
            val = val & ((1 << (8 * size)) - 1)
            lines.append(f"\t{d} 0x{val:x}")
        else:
            lines.append(f"\t{d} {val}")
    if rel:
        d = {1: "db", 4: "dd"}[rel[0]]
        lines.append(f"\t{d} {rel[1]} - {lab}")
    lines.append(f"{lab}:")
    return lines


class Vex:
    """A VEX prefix (SDM vol. 2, 2.3.5): map (1 0F, 2 0F38, 3 0F3A), pp (0
    none, 1 66, 2 F3, 3 F2), L, W, vvvv (a register number; the prefix holds
    it inverted). The 2-byte form C5 is used where it can say everything
    (map 0F, W=0, no REX.X/B), as assemblers do, unless c4 asks for the
    3-byte form."""

    def __init__(self, map_, pp, l, w, vvvv=0, c4=False):
        self.map, self.pp, self.l, self.w, self.vvvv, self.c4 = map_, pp, l, w, vvvv, c4

    def prefix(self, rex):
        r, x, b = (rex >> 2) & 1, (rex >> 1) & 1, rex & 1
        tail = (~self.vvvv & 15) << 3 | self.l << 2 | self.pp
        if not self.c4 and self.map == 1 and not self.w and not x and not b:
            return [0xC5, (r ^ 1) << 7 | tail]
        return [0xC4, (r ^ 1) << 7 | (x ^ 1) << 6 | (b ^ 1) << 5 | self.map, self.w << 7 | tail]


# --------------------------------------------------------------------------
# values

def mask(w):
    return (1 << w) - 1


def edges(w):
    m = mask(w)
    smin = 1 << (w - 1)
    return [0, 1, m, smin, smin - 1, smin + 1, m - 1, 2, 0x0f & m, 0x10 & m, 0x7f & m, 0x80 & m]


class Gen:
    """Per-form PRNG helpers."""

    def __init__(self, seed, form_id):
        self.r = random.Random((seed << 32) ^ zlib.crc32(form_id.encode()))

    def u(self, w):
        return self.r.getrandbits(w)

    def val(self, w, i):
        """Operand value for case i: edges first, then random (biased to small/sign)."""
        e = edges(w)
        if i < len(e) and self.r.random() < 0.85:
            return e[i] & mask(w)
        k = self.r.random()
        if k < 0.15:
            return self.r.choice(e) & mask(w)
        if k < 0.3:
            return self.r.getrandbits(min(w, 4))
        return self.r.getrandbits(w)

    def pair(self, w, i):
        """(a, b) for a binary operation, edge pairs first (carry, overflow, borrow, AF)."""
        m, smin = mask(w), 1 << (w - 1)
        ep = [(0, 0), (smin - 1, 1), (smin, m), (m, 1), (0, 1), (smin, 1), (m, m), (smin, smin),
              (0x0f, 1), (0x10, 1), (smin - 1, smin - 1), (1, smin), (m, 0), (5, 5)]
        if i < len(ep):
            a, b = ep[i]
            if self.r.random() < 0.5:
                a, b = b, a
            return a & m, b & m
        return self.val(w, 99), self.val(w, 99)

    def flags(self, df=True):
        f = self.r.getrandbits(12) & (FL_STATUS | (FL_DF if df else 0))
        return f | 2

    def full(self, w, v, shift=0):
        """A 64-bit register holding v at [shift, shift + w) and random bits elsewhere."""
        x = self.r.getrandbits(64)
        return (x & ~(mask(w) << shift) | (v & mask(w)) << shift) & MASK64


# --------------------------------------------------------------------------
# one image

class Image:
    """NASM source of one test image."""

    def __init__(self, form_id, cpl, gen):
        self.id, self.cpl, self.g = form_id, cpl, gen
        self.code, self.data = [], []
        self.nlab = 0
        self.ncase = 0
        self.needs_xmm = False
        self.needs_mmx = False
        self.needs_fpu = False
        self.needs_ymm = False
        self.ymm_upper = False
        self.ro_used = 0
        self.prologue = []

    def lab(self, what="l"):
        self.nlab += 1
        return f"{what}_{self.nlab}"

    def emit(self, *lines):
        self.code.extend(lines)

    def case(self, comment):
        self.ncase += 1
        self.emit(f"\t; case {self.ncase}: {comment}")

    def set_reg(self, r, v):
        self.emit(f"\tmov {REG64[r]}, 0x{v & MASK64:x}")

    def set_flags(self, f):
        self.emit(f"\tpush 0x{f:x}", "\tpopfq")

    def slot(self, content, align=16, misalign=0, page_cross=0, lines=None):
        """A data slot with the given bytes (or NASM data lines); returns its label."""
        L = self.lab("slot")
        if page_cross:
            self.data.append(f"\talign 4096, db 0")
            self.data.append(f"\ttimes 4096 - {page_cross} db 0")
        else:
            self.data.append(f"\talign {align}, db 0")
            if misalign:
                self.data.append(f"\ttimes {misalign} db 0xa5")
        self.data.append(f"{L}:")
        if lines:
            self.data.extend(lines)
            return L
        for i in range(0, len(content), 16):
            self.data.append("\tdb " + ", ".join(f"0x{b:02x}" for b in content[i:i + 16]))
        return L

    def ro_slot(self):
        """An operand address in the read-only user page (zero-filled): a write
        there raises #PF with P|W|U (7) on the CPU."""
        self.ro_used += 1
        return f"0x{RO_PAGE + 64 * (self.ro_used - 1) + 8:x}"

    def expect_fault(self):
        """Arm the catch block: a fault in what follows resumes at the returned label."""
        L = self.lab("resume")
        self.emit(f"\tmov qword [rel raxt_catch], {L}")
        return L

    def source(self):
        out = [f"; {self.id}: generated by testcases/gen_corpus.py (do not edit)",
               '%include "include/raxtest.inc"',
               f"RAXT_HEADER {self.cpl}, {STEP_LIMIT}"]
        if self.ro_used:
            out.append(f"RAXT_REGION 0x{RO_PAGE:x}, 0x1000, RAXT_R_USER   ; read-only user page")
        out.append("RAXT_HEADER_END")
        out += self.prologue
        if self.needs_ymm:
            # x87, SSE and AVX state to their initial values (all YMM zero,
            # MXCSR 0x1f80) by XRSTOR, with no VEX instruction: the native
            # child would otherwise inherit rax-diff's registers
            out += ["\tmov eax, 7", "\txor edx, edx", "\txrstor64 [rel vex_init]",
                    f"\tpush 0x{self.g.flags():x}", "\tpopfq"]
        elif self.needs_xmm or self.needs_mmx or self.needs_fpu:
            # the native child inherits rax-diff's x87/SSE state: define it
            out += ["\tfninit", "\tmov dword [rel saved_rsp], 0x1f80", "\tldmxcsr [rel saved_rsp]"]
        if self.needs_xmm:
            # the native child inherits rax-diff's XMM contents: define them all
            out.append("\tlea rax, [rel xmm_init]")
            for i in range(16):
                out.append(f"\tmovdqu xmm{i}, [rax + {16 * i}]")
            if self.ymm_upper:
                # legacy SSE forms of v3 rows (AES-NI, PCLMULQDQ): random YMM
                # upper halves, which a legacy SSE instruction must keep
                for i in range(16):
                    out.append(f"\tvinsertf128 ymm{i}, ymm{i}, [rax + {256 + 16 * i}], 1")
        if self.needs_mmx:
            out.append("\tfninit")
            for i in range(8):
                out.append(f"\tmovq mm{i}, [rax + {8 * i}]")
        out += self.code
        out += ["\tcld", "\txor eax, eax", "\tRAXT_EXIT", "\tjmp $", "RAXT_RUNTIME",
                "\talign 16, db 0", "saved_rsp: dq 0, 0"]
        if self.needs_ymm:
            init = bytearray(XS_SIZE)
            init[0:2] = le(0x37f, 2)
            init[24:28] = le(0x1f80, 4)
            init[28:32] = le(0xffff, 4)  # MXCSR_MASK
            out += ["\talign 64, db 0", "vex_init:"]
            out += ["\tdb " + ", ".join(f"0x{x:02x}" for x in init[k:k + 32]) for k in range(0, XS_SIZE, 32)]
        if self.needs_xmm:
            out.append("xmm_init:")
            for i in range(32 if self.ymm_upper else 16):
                b = bytes(self.g.r.getrandbits(8) for _ in range(16))
                out.append("\tdb " + ", ".join(f"0x{x:02x}" for x in b))
        out += self.data
        return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# operand choice

class Ctx:
    """Register allocation for one case."""

    def __init__(self, g, byte_rex=None):
        self.g = g
        self.used = {RSP}
        self.byte_rex = byte_rex  # None: no byte registers; True/False: REX byte-register style

    def take(self, r):
        self.used.add(r)
        return r

    def reg(self, low_only=False, avoid=()):
        pool = [r for r in range(16 if not (low_only or self.byte_rex is False) else 8)
                if r not in self.used and r not in avoid]
        return self.take(self.g.r.choice(pool))

    def breg(self):
        """A byte register number as encoded: without REX 4-7 are AH..BH."""
        if self.byte_rex:
            pool = [r for r in range(16) if r != RSP and r not in self.used]
        else:
            pool = [r for r in range(8) if (r & 3) not in self.used and r & 3 != RSP and
                    (r if r < 4 else r - 4) not in self.used]
        r = self.g.r.choice(pool)
        self.used.add(r if self.byte_rex or r < 4 else r - 4)
        return r

    def mem(self, img, label, width=8, kind=None, seg=None):
        """A memory operand addressing label (+0), with the set-up code emitted."""
        g = self.g
        low = self.byte_rex is False
        kind = kind or g.r.choice(["rip", "abs", "base", "base", "sib", "sib", "index"])
        if kind == "rip" or kind == "abs":
            return Mem(kind, label, seg=seg)
        if kind == "index":
            i = self.reg(low_only=low)
            scale = g.r.choice([1, 2, 4, 8])
            k = g.r.randrange(0, 64)
            img.set_reg(i, k)
            return Mem("index", label, index=i, scale=scale, disp=f"{label} - {k * scale}", seg=seg)
        b = self.reg(low_only=low)
        disp = g.r.choice([0, 0, g.r.randrange(-128, 128), g.r.randrange(-0x10000, 0x10000)])
        if kind == "base":
            img.emit(f"\tmov {REG64[b]}, {label} - ({disp})")
            return Mem("base", label, base=b, disp=disp, seg=seg)
        i = self.reg(low_only=low)
        scale = g.r.choice([1, 2, 4, 8])
        k = g.r.randrange(-64, 64)
        img.set_reg(i, k)
        img.emit(f"\tmov {REG64[b]}, {label} - ({disp}) - ({k * scale})")
        return Mem("sib", label, base=b, index=i, scale=scale, disp=disp, seg=seg)


def seg_prefix(g):
    """FS/GS (bases are 0 in both the emulator and the native child) or an
    ignored CS/DS/ES/SS override."""
    return g.r.choice([0x64, 0x65, 0x64, 0x65, 0x2e, 0x3e, 0x26, 0x36])


def le(v, n):
    return list((v & ((1 << (8 * n)) - 1)).to_bytes(n, "little"))


# --------------------------------------------------------------------------
# form descriptions

class Form:
    def __init__(self, row, fid, size=None, kind=None, variant=None, cpl=3, recipe=None, **kw):
        self.row, self.id, self.size, self.kind, self.variant = row, fid, size, kind, variant
        self.cpl, self.recipe, self.kw = cpl, recipe, kw
        self.status, self.reason = "generated", ""

    def manifest(self):
        r = self.row
        return {"id": self.id, "image": f"{self.id}.bin" if self.status == "generated" else None,
                "cpl": self.cpl, "map": r["map"], "op": r["op"], "reg": r["reg"],
                "row": r["index"], "handler": r["handler"], "mnem": r["mnem"],
                "operands": r["operands"], "size": self.size, "kind": self.kind,
                "variant": self.variant, "status": self.status, "reason": self.reason}


def row_prefixes(row, size):
    """Operand-size and mandatory prefixes of a row at a size, and REX.W."""
    fl = row["flags"]
    pre = []
    w = False
    if "P66" in fl:
        pre.append(0x66)
    elif size == 16 and "B" not in fl:
        pre.append(0x66)
    if "PF3" in fl:
        pre.append(0xF3)
    if "PF2" in fl:
        pre.append(0xF2)
    if size == 64 and "D64" not in fl and "B" not in fl:
        w = True
    return pre, w


def opbytes(row):
    return ([0x0F] if row["map"] == 1 else [0x0F, 0x38] if row["map"] == 2 else
            [0x0F, 0x3A] if row["map"] == 3 else []) + [row["op"]]


def imm_list(row, size, g, val=None):
    """Immediates of the row: [(nbytes, value)]."""
    fl = row["flags"]
    if "I8" in fl:
        return [(1, g.u(8) if val is None else val)]
    if "I16" in fl:
        return [(2, g.u(16) if val is None else val)]
    if "IZ" in fl:
        n = 2 if size == 16 else 4
        return [(n, g.u(8 * n) if val is None else val)]
    if "IV" in fl:
        n = size // 8
        return [(n, g.u(8 * n) if val is None else val)]
    if "I16_8" in fl:
        return [(2, g.u(16)), (1, g.u(8))]
    return []


# ---- generic ModRM recipe: E/G/immediate forms with chosen values ----

def gen_acc(img, form, values):
    """AL,Ib / rAX,Iz forms (no ModRM): the E value goes to the accumulator."""
    row, g = form.row, img.g
    w = form.size or 8
    pre, rexw = row_prefixes(row, form.size)
    for i in range(img.ncases):
        v = values(i, w, g)
        img.case(f"{form.id} E={v.get('E', 0):#x} imm={v.get('imm', 0):#x}")
        img.set_reg(RAX, g.full(w, v.get("E", g.u(w))))
        img.set_flags(v.get("flags", g.flags()))
        img.emit(*encode(img.lab("i"), pre, opbytes(row), imm=imm_list(row, form.size, g, v.get("imm")),
                         rex_w=rexw))


def gen_modrm(img, form, values):
    """Generic recipe for rows with ModRM: E operand (reg or memory), G register,
    immediate; values(i, w, g) -> dict with optional keys
    E, G, imm, rax, rdx, rcx, flags, Gfull (value for G without width)."""
    row, g = form.row, img.g
    if "M" not in row["flags"]:
        return gen_acc(img, form, values)
    w = form.size or 64
    fl = row["flags"]
    ops = row["operands"].split(",") if row["operands"] else []
    byte = "B" in fl
    pre0, rexw = row_prefixes(row, form.size)
    for i in range(form.kw.get("cases", img.ncases)):
        v = values(i, w, g)
        ctx = Ctx(g, byte_rex=(g.r.random() < 0.5) if byte else None)
        for r in v.get("fixed", ()):
            ctx.take(r)
        img.case(f"{form.id} {', '.join(f'{k}={x:#x}' for k, x in v.items() if isinstance(x, int))}")
        # implicit registers first
        for r, name in ((RAX, "rax"), (RDX, "rdx"), (RCX, "rcx"), (RBX, "rbx")):
            if name in v:
                ctx.take(r)
        # G operand
        greg = row["reg"] if row["reg"] >= 0 else None
        gloc = None
        if greg is None:
            if byte and ops and ops[0].startswith("G") or byte and len(ops) > 1 and ops[1].startswith("G"):
                gnum = ctx.breg()
                gloc = (gnum if ctx.byte_rex or gnum < 4 else gnum - 4, 8 if (not ctx.byte_rex and gnum >= 4) else 0)
            else:
                gnum = ctx.reg()
                gloc = (gnum, 0)
            greg = gnum
        # E operand
        if form.kind == "mem":
            content = bytearray(g.u(8) for _ in range(32))
            ev = v.get("E", g.u(w))
            content[0:max(1, w // 8)] = le(ev, max(1, w // 8))
            pc = 0
            if i == 3 and w >= 16:
                pc = g.r.randrange(1, w // 8)
            ro = i == 5 and form.variant != "seg"
            if ro:
                slot = img.ro_slot()
            else:
                slot = img.slot(bytes(content), misalign=g.r.choice([0, 0, 0, 1, 3, 7]), page_cross=pc)
            seg = seg_prefix(g) if form.variant == "seg" else None
            rm = ctx.mem(img, slot, seg=seg)
        else:
            if byte:
                rnum = ctx.breg()
                eloc = (rnum if ctx.byte_rex or rnum < 4 else rnum - 4,
                        8 if (not ctx.byte_rex and rnum >= 4) else 0)
            else:
                rnum = ctx.reg()
                eloc = (rnum, 0)
            rm = rnum
            ew = 8 if byte else w
            img.set_reg(eloc[0], g.full(ew, v.get("E", g.u(ew)), eloc[1]))
        if gloc is not None:
            gw = 8 if byte else w
            gv = v.get("G", g.u(gw))
            # a G register that is also the E register keeps E's value
            if not (isinstance(rm, int) and gloc[0] == (rm if ctx.byte_rex or not byte or rm < 4 else rm - 4)):
                img.set_reg(gloc[0], v["Gfull"] if "Gfull" in v else g.full(gw, gv, gloc[1]))
        for r, name in ((RAX, "rax"), (RDX, "rdx"), (RCX, "rcx"), (RBX, "rbx")):
            if name in v:
                img.set_reg(r, v[name])
        img.set_flags(v.get("flags", g.flags()))
        resume = img.expect_fault() if form.kw.get("faults") or (form.kind == "mem" and ro) else None
        pre = list(pre0)
        if form.variant == "lock":
            pre = [0xF0] + pre
        imm = v.get("immlist") or imm_list(row, form.size, g, v.get("imm"))
        img.emit(*encode(img.lab("i"), pre, opbytes(row), reg=greg, rm=rm, imm=imm, rex_w=rexw,
                         force_rex=bool(byte and ctx.byte_rex)))
        if resume:
            img.emit(f"{resume}:")


# value recipes (i, w, g) -> dict

def v_binary(i, w, g):
    a, b = g.pair(w, i)
    return {"E": a, "G": b, "imm": b, "flags": g.flags()}


def v_unary(i, w, g):
    return {"E": g.val(w, i), "flags": g.flags()}


def v_movsx(i, w, g):
    return {"E": g.val(16, i), "flags": g.flags()}


def shift_counts(w):
    return [0, 1, w - 1, w, w + 1, 31, 32, 33, 63, 64, 65, 255, 2, 7, 8, 9, 16, 17]


def v_shift(i, w, g):
    c = shift_counts(w)
    cnt = c[i] if i < len(c) else g.u(8)
    return {"E": g.val(w, i + 3), "rcx": g.full(8, cnt), "imm": cnt, "flags": g.flags()}


def v_shd(i, w, g):
    c = shift_counts(w)
    cnt = c[i] if i < len(c) else g.u(8)
    if w == 16 and (cnt & 31) > 16:
        # SDM/APM: a 16-bit SHLD/SHRD count above 16 leaves the result undefined
        cnt = (cnt & ~31) | g.r.randrange(0, 17)
    return {"E": g.val(w, i + 3), "G": g.u(w), "rcx": g.full(8, cnt), "imm": cnt, "flags": g.flags()}


def v_mul(i, w, g):
    a, b = g.pair(w, i)
    return {"E": b, "rax": g.full(w, a), "rdx": g.u(64), "G": a, "imm": b, "flags": g.flags()}


def v_div(signed):
    def f(i, w, g):
        m, smin = mask(w), 1 << (w - 1)
        cases = [("zero",), ("ovf",), ("ok",), ("ok",)]
        kind = cases[i % 4][0] if i < 12 else "ok"
        if signed and i == 5:
            kind = "minneg"
        div = g.val(w, i) or 1
        if kind == "zero":
            div = 0
        lo, hi = g.u(w), 0
        if kind == "ovf":
            hi = g.u(w) | 1
            div = max(1, hi >> g.r.randrange(0, 3)) if not signed else 1 + g.u(max(1, w // 4))
            if not signed:
                hi = (div + g.u(w)) & m if div < m else m
                if hi < div:
                    hi = div
        elif kind == "ok":
            if signed:
                # |quotient| small: sign-extend a small dividend into the high half
                q = g.val(w, i + 1) >> g.r.randrange(1, w)
                d = div if div & smin == 0 else div
                dividend = (q * (d if d < smin else d - (1 << w)))
                dividend += g.r.randrange(0, 3)
                lo = dividend & m
                hi = m if dividend < 0 else 0
            else:
                hi = g.r.randrange(0, div) if div > 1 else 0
        elif kind == "minneg":
            lo, hi, div = smin, m, m
        if w == 8:
            rax = g.full(16, (hi << 8) | lo)
            return {"E": div, "rax": rax, "rdx": g.u(64), "flags": g.flags()}
        return {"E": div, "rax": g.full(w, lo), "rdx": g.full(w, hi), "flags": g.flags()}
    return f


def v_bt(kind):
    def f(i, w, g):
        # memory forms: a bit offset within +-2 KiB of the operand
        if kind == "mem":
            off = g.r.randrange(-16000, 16000) if w > 16 else g.r.randrange(-32768, 32768) // 8
            off = [0, 1, w - 1, w, -1, -w][i] if i < 6 else off
        else:
            off = g.val(w, i)
        return {"E": g.u(w), "G": off & mask(w), "imm": g.u(8), "flags": g.flags()}
    return f


def v_bsf(i, w, g):
    e = [0, 1, 1 << (w - 1), mask(w), 0]
    v = e[i] if i < len(e) else g.u(w) >> g.r.randrange(0, w)
    return {"E": v, "flags": g.flags()}


def v_cmpxchg(i, w, g):
    e = g.val(w, i)
    a = e if i % 2 == 0 else g.u(w)
    return {"E": e, "G": g.u(w), "rax": g.full(w, a), "flags": g.flags()}


def v_cc(i, w, g):
    return {"E": g.u(w), "G": g.u(w), "flags": g.flags()}


def v_plain(i, w, g):
    return {"E": g.val(w, i), "G": g.val(w, i + 1), "imm": g.val(w, i + 2), "flags": g.flags()}


# ---- special recipes ----

def r_zv(img, form):
    """Opcode-register forms: push/pop/xchg/bswap/mov Z, plus NOP/PAUSE at 90."""
    row, g = form.row, img.g
    pre, rexw = row_prefixes(row, form.size)
    w = form.size or 64
    m = row["mnem"]
    for i in range(img.ncases):
        r = g.r.choice([row["op"] & 7, (row["op"] & 7) | 8])
        if r == RSP and m not in ("push", "pop"):
            r = 12  # the same row with REX.B; RSP itself would lose the stack
        if m == "xchg" and form.variant in ("nop", "pause"):
            r = RAX
        img.case(f"{form.id} reg {r}")
        val = g.full(w, g.val(w, i)) if w < 64 else g.val(64, i)
        if r != RSP:
            img.set_reg(r, g.u(64) if m != "bswap" else val)
        img.set_reg(RAX, g.u(64)) if m == "xchg" and r != RAX else None
        img.set_flags(g.flags())
        lab = img.lab("i")
        if m == "push" or m == "pop":
            n = 8 if w == 64 else 2
            img.emit("\tmov [rel saved_rsp], rsp")
            if m == "pop":
                if r == RSP:
                    # POP rSP: the popped value keeps the stack inside its page
                    d = 2 * g.r.randrange(0, 8)
                    img.emit(f"\tlea r15, [rsp - {8 - n + d}]" if n == 2 else f"\tlea r15, [rsp - {d}]")
                else:
                    img.emit(f"\tmov r15, 0x{g.val(64, i):x}" if r != 15 else "\tmov r14, 0x1234")
                img.emit(f"\tpush {'r15' if r != 15 else 'r14'}")
            img.emit(*encode(lab, pre, opbytes(row), rex_w=False, opreg=r))
            img.emit("\tmov rsp, [rel saved_rsp]")
        elif form.variant == "pause":
            img.emit(*encode(lab, [0xF3], [0x90]))
        else:
            img.emit(*encode(lab, pre, opbytes(row), rex_w=rexw, opreg=r,
                             imm=imm_list(row, form.size, g, g.val(w, i + 1) if "IV" in row["flags"] or "I8" in row["flags"] else None)))


def r_noop(img, form):
    """No-operand forms executed under random flags and registers."""
    row, g = form.row, img.g
    pre, rexw = row_prefixes(row, form.size)
    w = form.size or 64
    for i in range(img.ncases):
        img.case(form.id)
        for r in (RAX, RCX, RDX, RBX):
            img.set_reg(r, g.full(w, g.val(w, i + r)) if r == RAX else g.u(64))
        img.set_flags(g.flags(df=row["mnem"] not in ("cld", "std")) if row["mnem"] not in ("cld", "std")
                      else g.flags())
        if row["mnem"] == "sahf":
            img.set_reg(RAX, g.u(64))
        img.emit(*encode(img.lab("i"), pre, opbytes(row), rex_w=rexw))


def r_xlat(img, form):
    g = img.g
    for i in range(img.ncases):
        img.case(form.id)
        table = bytes(g.u(8) for _ in range(256))
        s = img.slot(table)
        img.emit(f"\tlea rbx, [rel {s}]")
        img.set_reg(RAX, g.u(64))
        img.set_flags(g.flags())
        seg = [seg_prefix(g)] if g.r.random() < 0.3 else []
        img.emit(*encode(img.lab("i"), seg, [0xD7], rex_w=g.r.random() < 0.3))


def r_moffs(img, form):
    row, g = form.row, img.g
    pre, rexw = row_prefixes(row, form.size)
    w = form.size or 8
    for i in range(img.ncases):
        img.case(form.id)
        s = img.slot(bytes(g.u(8) for _ in range(16)), misalign=g.r.choice([0, 1, 5]))
        img.set_reg(RAX, g.u(64))
        img.set_flags(g.flags())
        p = ([seg_prefix(g)] if form.variant == "seg" else []) + pre
        img.emit(*encode(img.lab("i"), p, opbytes(row), rex_w=rexw, imm=[(8, s)]))


def r_lea(img, form):
    """LEA over every addressing kind; the base/index values are arbitrary."""
    row, g = form.row, img.g
    pre, rexw = row_prefixes(row, form.size)
    for i in range(img.ncases):
        img.case(form.id)
        ctx = Ctx(g)
        d = ctx.reg()
        img.set_reg(d, g.u(64))
        kind = g.r.choice(["rip", "abs", "base", "sib", "index"])
        if kind in ("rip", "abs"):
            rm = Mem(kind, "lea_anchor", disp=g.r.randrange(-4096, 4096))
        else:
            b = ctx.reg()
            img.set_reg(b, g.val(64, i))
            idx = ctx.reg() if kind != "base" else None
            if idx is not None:
                img.set_reg(idx, g.val(64, i + 1))
            disp = g.r.choice([0, g.r.randrange(-128, 128), g.r.randrange(-(1 << 31), 1 << 31)])
            rm = Mem("base" if kind == "base" else "sib", None, base=b if kind != "index" else None,
                     index=idx, scale=g.r.choice([1, 2, 4, 8]), disp=disp)
            if kind == "index":
                rm = Mem("index", None, index=idx, scale=rm.scale, disp=disp)
        img.emit(*encode(img.lab("i"), pre, opbytes(row), reg=d, rm=rm, rex_w=rexw))
    img.data.append("lea_anchor: dq 0")


def r_jcc(img, form):
    """Jcc/JMP rel8/rel32, LOOP/JRCXZ: forward and backward targets under random flags."""
    row, g = form.row, img.g
    fl = row["flags"]
    n = 1 if "I8" in fl else 4
    m = row["mnem"]
    for i in range(img.ncases):
        img.case(form.id)
        back = g.r.random() < 0.4
        far = n == 4 and g.r.random() < 0.3
        target, end = img.lab("t"), img.lab("e")
        if m.startswith("loop") or m == "jrcxz":
            cnt = [0, 1, 2, 1 << 32, MASK64, 0x100000001][i] if i < 6 else g.r.choice([0, 1, g.u(64)])
            img.set_reg(RCX, cnt)
        img.set_flags(g.flags())
        if back:
            skip = img.lab("s")
            img.emit(f"\tjmp {skip}", f"{target}:", f"\tjmp {end}", f"{skip}:")
            img.emit(*encode(img.lab("i"), [], opbytes(row), rel=(n, target)))
            img.emit("\tnop")
        else:
            img.emit(*encode(img.lab("i"), [], opbytes(row), rel=(n, target)))
            img.emit("\tnop", "\tjmp " + end)
            if far:
                img.emit("\ttimes 300 db 0xcc")
            img.emit(f"{target}:", "\tnop")
        img.emit(f"{end}:")


def r_call_rel(img, form):
    row, g = form.row, img.g
    for i in range(img.ncases):
        img.case(form.id)
        t = img.lab("t")
        img.set_flags(g.flags())
        img.emit(*encode(img.lab("i"), [], opbytes(row), rel=(4, t)))
        img.emit("\tint3")
        if g.r.random() < 0.3:
            img.emit("\ttimes 200 db 0xcc")
        img.emit(f"{t}:", "\tlea rsp, [rsp + 8]")


def r_branch_ev(img, form):
    """CALL/JMP Ev (FF /2, /4), register or memory target."""
    row, g = form.row, img.g
    call = row["reg"] == 2
    for i in range(img.ncases):
        img.case(form.id)
        t = img.lab("t")
        ctx = Ctx(g)
        if form.kind == "mem":
            s = img.slot(None, lines=[f"\tdq {t}, 0"])
            rm = ctx.mem(img, s, seg=seg_prefix(g) if form.variant == "seg" else None)
        else:
            r = ctx.reg()
            img.emit(f"\tlea {REG64[r]}, [rel {t}]")
            rm = r
        img.set_flags(g.flags())
        img.emit(*encode(img.lab("i"), [], opbytes(row), reg=row["reg"], rm=rm))
        img.emit("\tint3", f"{t}:")
        if call:
            img.emit("\tlea rsp, [rsp + 8]")


def r_ret(img, form):
    row, g = form.row, img.g
    for i in range(img.ncases):
        img.case(form.id)
        t = img.lab("t")
        imm = []
        if row["op"] == 0xC2:
            n = [0, 8, 16, 3, 0xfff8][i] if i < 5 else g.r.randrange(0, 512)
            imm = [(2, n)]
            img.emit(f"\tlea rsp, [rsp - {n}]")
        img.emit(f"\tlea r11, [rel {t}]", "\tpush r11")
        img.set_flags(g.flags())
        img.emit(*encode(img.lab("i"), [], opbytes(row), imm=imm))
        img.emit("\tint3", f"{t}:")


def r_push_imm(img, form):
    row, g = form.row, img.g
    pre, _ = row_prefixes(row, form.size)
    n = 2 if form.size == 16 else 8
    for i in range(img.ncases):
        img.case(form.id)
        img.set_flags(g.flags())
        img.emit(*encode(img.lab("i"), pre, opbytes(row), imm=imm_list(row, form.size, g, g.val(32, i))))
        img.emit(f"\tlea rsp, [rsp + {n}]")


def r_push_pop_ev(img, form):
    row, g = form.row, img.g
    pre, _ = row_prefixes(row, form.size)
    n = 2 if form.size == 16 else 8
    pop = row["op"] == 0x8F
    for i in range(img.ncases):
        img.case(form.id)
        ctx = Ctx(g)
        ctx.take(15)
        if pop:
            img.set_reg(15, g.val(64, i))
            img.emit("\tpush r15")
            if n == 2:
                img.emit("\tlea rsp, [rsp + 6]")
        if form.kind == "mem":
            s = img.slot(bytes(g.u(8) for _ in range(16)), misalign=g.r.choice([0, 2]))
            rm = ctx.mem(img, s, seg=seg_prefix(g) if form.variant == "seg" else None)
        else:
            rm = ctx.reg()
            img.set_reg(rm, g.val(64, i))
        img.set_flags(g.flags())
        img.emit(*encode(img.lab("i"), pre, opbytes(row), reg=row["reg"], rm=rm))
        if not pop:
            img.emit(f"\tlea rsp, [rsp + {n}]")


def r_pushf(img, form):
    row, g = form.row, img.g
    pre, _ = row_prefixes(row, form.size)
    n = 2 if form.size == 16 else 8
    popf = row["op"] == 0x9D
    for i in range(img.ncases):
        img.case(form.id)
        # away from the stack top: rax-diff's PUSHF fix-up reads 8 bytes at RSP
        img.emit("\tlea rsp, [rsp - 64]")
        img.set_flags(g.flags())
        if popf:
            # status flags, DF, and bits CPL3 cannot change (IF, IOPL) or may (NT, ID)
            # (NT is left out: Linux clears it when the stopped native child is switched back in)
            v = g.flags() | g.r.choice([0, 0x200, 0x3000, 0x200000, 0x10000])
            img.set_reg(15, g.full(16, v) if n == 2 else v)
            if n == 2:
                img.emit("\tsub rsp, 2", "\tmov [rsp], r15w")
            else:
                img.emit("\tpush r15")
        img.emit(*encode(img.lab("i"), pre, opbytes(row)))
        if not popf:
            img.emit(f"\tlea rsp, [rsp + {n}]")
        else:
            img.emit("\tpushfq", "\tlea rsp, [rsp + 8]")
        img.emit("\tlea rsp, [rsp + 64]")


def r_enter_leave(img, form):
    row, g = form.row, img.g
    pre, _ = row_prefixes(row, form.size)
    enter = row["op"] == 0xC8
    for i in range(img.ncases):
        img.case(form.id)
        img.emit("\tmov [rel saved_rsp], rsp", "\tmov [rel saved_rsp + 8], rbp")
        img.emit("\tlea rbp, [rsp - 256]" if enter else "\tlea rsp, [rsp - 64]")
        if enter:
            lvl = [0, 1, 2, 3, 31, 32, 33][i] if i < 7 else g.r.randrange(0, 40)
            size = g.r.choice([0, 8, 16, g.r.randrange(0, 300)])
            imm = [(2, size), (1, lvl)]
        else:
            img.emit(f"\tmov r15, 0x{g.u(64):x}", "\tmov [rsp + 16], r15", "\tlea rbp, [rsp + 16]")
            imm = []
        img.set_flags(g.flags())
        img.emit(*encode(img.lab("i"), pre, opbytes(row), imm=imm))
        img.emit("\tmov rbp, [rel saved_rsp + 8]", "\tmov rsp, [rel saved_rsp]")


def r_string(img, form):
    """MOVS CMPS STOS LODS SCAS with REP/REPE/REPNE, both directions, FS/GS on the source."""
    row, g = form.row, img.g
    pre, rexw = row_prefixes(row, form.size)
    w = form.size or 8
    n = w // 8
    m = first_mnem(row["mnem"])[:4]
    for i in range(img.ncases):
        img.case(form.id)
        cnt = ([0, 1, 2, 3, 17][i] if i < 5 else g.r.randrange(0, 24)) if form.variant else 1
        df = g.r.random() < 0.4
        ln = (cnt + 2) * n + 16
        src = bytes(g.u(8) for _ in range(ln))
        dst = bytearray(src) if m in ("cmps", "scas") and g.r.random() < 0.7 else bytearray(g.u(8) for _ in range(ln))
        if m == "cmps" and cnt:
            k = g.r.randrange(0, cnt * n + 1)
            if k < len(dst):
                dst[k] ^= 1 << g.r.randrange(0, 8)
        sv = g.u(64)
        if m == "scas" and cnt:
            k = g.r.randrange(0, cnt)
            part = dst[8 + k * n: 8 + (k + 1) * n] if not df else None
            if part:
                sv = (sv & ~mask(w)) | int.from_bytes(part, "little")
        ss = img.slot(src)
        ds = img.slot(bytes(dst))
        off = 8 if not df else 8 + max(cnt - 1, 0) * n
        img.emit(f"\tlea rsi, [rel {ss} + {off}]", f"\tlea rdi, [rel {ds} + {off}]")
        img.set_reg(RCX, cnt)
        img.set_reg(RAX, sv)
        img.set_flags(g.flags() & ~FL_DF | (FL_DF if df else 0))
        p = []
        if form.variant == "seg" and m in ("movs", "cmps", "lods"):
            p.append(seg_prefix(g))
        if form.variant in ("rep", "repe"):
            p.append(0xF3)
        elif form.variant == "repne":
            p.append(0xF2)
        img.emit(*encode(img.lab("i"), p + pre, opbytes(row), rex_w=rexw))
        img.emit("\tcld")


def r_fault(img, form):
    """A privileged instruction at CPL3: it must fault (#GP(0) or #UD); the
    catch block resumes after it."""
    row, g = form.row, img.g
    pre, rexw = row_prefixes(row, form.size)
    for i in range(min(img.ncases, 6)):
        img.case(form.id)
        ctx = Ctx(g)
        for r in (RAX, RCX, RDX):
            ctx.take(r)
            img.set_reg(r, g.u(64))
        img.emit("\tlea rsi, [rel fault_buf]", "\tlea rdi, [rel fault_buf + 64]")
        img.set_flags(g.flags(df=False))
        resume = img.expect_fault()
        rm = None
        reg = row["reg"] if row["reg"] >= 0 else form.kw.get("regfield", 0)
        if "M" in row["flags"]:
            if form.kind == "mem":
                rm = Mem("rip", "fault_buf")
            else:
                rm = form.kw.get("rm", ctx.reg())
        imm = imm_list(row, form.size, g, form.kw.get("imm"))
        img.emit(*encode(img.lab("i"), pre, opbytes(row), reg=reg, rm=rm, imm=imm, rex_w=rexw))
        img.emit(f"{resume}:")
    img.data.append("\talign 16, db 0")
    img.data.append("fault_buf: times 128 db 0x5a")


# CPL0 set-up per privileged row: NASM lines that give the instruction sane
# inputs (it re-reads and writes back the machine's own state), and the
# ModRM reg/rm to use. The catch block is armed: a fault is compared too.
PORT_POST = 0x80  # PORT_POST in src/layout.h: writes ignored, reads all ones
CPL0_SETUP = {
    "hlt": [], "cli": [], "sti": ["\tcli"], "clts": [], "invd": [], "wbinvd": [],
    "in": [f"\tmov edx, 0x{PORT_POST:x}"], "out": [f"\tmov edx, 0x{PORT_POST:x}"],
    "ins": [f"\tmov edx, 0x{PORT_POST:x}", "\tlea rdi, [rel fault_buf]", "\tmov ecx, 3"],
    "outs": [f"\tmov edx, 0x{PORT_POST:x}", "\tlea rsi, [rel fault_buf]", "\tmov ecx, 3"],
    "wrmsr": ["\tmov ecx, 0xc0000102", "\trdmsr", "\txor eax, 0x1000"],  # IA32_KERNEL_GS_BASE
    "rdmsr": ["\tmov ecx, 0xc0000102"], "rdpmc": ["\txor ecx, ecx"],
    "lgdt": ["\tsgdt [rel fault_buf]"], "lidt": ["\tsidt [rel fault_buf]"],
    "lmsw": ["\tsmsw eax"], "invlpg": [], "lldt": ["\txor eax, eax"], "ltr": ["\tstr eax"],
    "sgdt": [], "sidt": [], "sldt": [], "str": [], "smsw": [],
}


def r_cpl0(img, form):
    """A privileged instruction at CPL0 (compared under KVM only)."""
    row, g = form.row, img.g
    pre, rexw = row_prefixes(row, form.size)
    what = form.kw["what"]
    for i in range(min(img.ncases, 4)):
        img.case(form.id)
        if what == "hlt" and i:
            break
        img.emit(*CPL0_SETUP.get(what, []))
        img.set_flags(g.flags(df=False))
        resume = img.expect_fault()
        reg = row["reg"] if row["reg"] >= 0 else 0
        rm = None
        if "M" in row["flags"]:
            if form.kind == "mem":
                rm = Mem("rip", "fault_buf")
            else:
                rm = RAX
        if what in ("mov cr", "mov dr"):
            # read CRn/DRn into rax, write the same value back
            n = g.r.choice([0, 2, 3, 4, 8] if what == "mov cr" else [0, 1, 2, 3, 6, 7])
            reg = n
            if row["op"] in (0x22, 0x23):
                img.emit(*encode(img.lab("i"), [], [0x0F, row["op"] - 2], reg=n & 7, rm=RAX,
                                 force_rex=False) if n < 8 else
                         encode(img.lab("i"), [0x44], [0x0F, row["op"] - 2], reg=0, rm=RAX))
        imm = imm_list(row, form.size, g, PORT_POST if what in ("in", "out") else None)
        if what == "hlt":
            img.emit("\tcli")
        img.emit(*encode(img.lab("i"), pre, opbytes(row), reg=reg, rm=rm, imm=imm, rex_w=rexw))
        img.emit(f"{resume}:")
    img.data.append("\talign 16, db 0")
    img.data.append("fault_buf: times 128 db 0x5a")


def r_int(img, form):
    row, g = form.row, img.g
    # not 4 (#OF) nor 0x30-0x32: their gates are DPL3 and enter the loader's CPL0
    # stub, which the native oracle cannot run; 3 (#BP) is delivered natively
    vecs = [0, 1, 2, 3, 6, 8, 13, 14, 0x20, 0x2f, 0x33, 0x40, 0x80, 0xff]
    for i in range(img.ncases):
        img.case(form.id)
        img.set_flags(g.flags(df=False))
        resume = img.expect_fault()
        imm = [(1, vecs[i % len(vecs)])] if row["op"] == 0xCD else []
        img.emit(*encode(img.lab("i"), [], opbytes(row), imm=imm))
        img.emit(f"{resume}:")


def r_cpuid_rdtsc(img, form):
    row, g = form.row, img.g
    leaves = [(0, 0), (1, 0), (7, 0), (0xd, 0), (0xd, 1), (0x80000000, 0), (0x80000001, 0), (2, 0)]
    for i in range(min(img.ncases, 12)):
        img.case(form.id)
        a, c = leaves[i % len(leaves)]
        img.set_reg(RAX, g.u(32) << 32 | a)
        img.set_reg(RCX, g.u(32) << 32 | c)
        img.set_reg(RDX, g.u(64))
        img.set_reg(RBX, g.u(64))
        img.set_flags(g.flags())
        img.emit(*encode(img.lab("i"), [], opbytes(row)))


def r_rd(img, form):
    """RDTSCP, RDPID, RDRAND, RDSEED: the TSC, TSC_AUX and the random value
    are the oracle's (injected); the rest (which registers, widths, flags)
    is compared."""
    row, g = form.row, img.g
    pre, rexw = row_prefixes(row, form.size)
    for i in range(min(img.ncases, 12)):
        img.case(form.id)
        ctx = Ctx(g)
        rm = form.kw["rm"] if "rm" in form.kw else ctx.reg()
        for r in {RAX, RCX, RDX, rm}:
            img.set_reg(r, g.u(64))
        img.set_flags(g.flags())
        img.emit(*encode(img.lab("i"), pre, opbytes(row), reg=row["reg"], rm=rm, rex_w=rexw))


def r_segreg(img, form):
    """MOV Sreg / PUSH/POP FS/GS with the null selector (the only selector whose
    meaning is the same in the test's GDT and the host's)."""
    row, g = form.row, img.g
    pre, rexw = row_prefixes(row, form.size)
    op, m = row["op"], row["mnem"]
    for i in range(img.ncases):
        img.case(form.id)
        sreg = g.r.choice([0, 3, 4, 5])  # es ds fs gs
        img.set_flags(g.flags())
        if row["map"] == 0 and op == 0x8C:
            img.emit(f"\txor r11d, r11d", f"\tmov {['es','cs','ss','ds','fs','gs'][sreg]}, r11w")
            ctx = Ctx(g)
            ctx.take(11)
            if form.kind == "mem":
                s = img.slot(bytes(g.u(8) for _ in range(16)))
                rm = ctx.mem(img, s)
            else:
                rm = ctx.reg()
                img.set_reg(rm, g.u(64))
            img.emit(*encode(img.lab("i"), pre, opbytes(row), reg=sreg, rm=rm, rex_w=rexw))
        elif row["map"] == 0 and op == 0x8E:
            ctx = Ctx(g)
            sel = 0
            if form.kind == "mem":
                s = img.slot(bytes(le(sel, 2) + [g.u(8) for _ in range(14)]))
                rm = ctx.mem(img, s)
            else:
                rm = ctx.reg()
                img.set_reg(rm, g.full(16, sel))
            img.emit(*encode(img.lab("i"), pre, opbytes(row), reg=sreg, rm=rm, rex_w=rexw))
            img.emit(f"\tmov r11, {['es','cs','ss','ds','fs','gs'][sreg]}")
        else:
            fsgs = "fs" if op in (0xA0, 0xA1) else "gs"
            img.emit(f"\txor r11d, r11d", f"\tmov {fsgs}, r11w")
            n = 2 if form.size == 16 else 8
            if op in (0xA1, 0xA9):
                img.emit("\tpush 0" if n == 8 else "\tpush word 0")
            img.emit(*encode(img.lab("i"), pre, opbytes(row)))
            if op in (0xA0, 0xA8):
                img.emit(f"\tlea rsp, [rsp + {n}]")
            img.emit(f"\tmov r11, {fsgs}")


def r_lfs(img, form):
    row, g = form.row, img.g
    pre, rexw = row_prefixes(row, form.size)
    w = form.size
    for i in range(img.ncases):
        img.case(form.id)
        ctx = Ctx(g)
        d = ctx.reg()
        img.set_reg(d, g.u(64))
        sel = 0
        s = img.slot(bytes(le(g.u(w), w // 8) + le(sel, 2) + [g.u(8) for _ in range(14)]))
        rm = ctx.mem(img, s)
        img.set_flags(g.flags())
        fs = "fs" if row["op"] == 0xB4 else "gs"
        img.emit(*encode(img.lab("i"), pre, opbytes(row), reg=d, rm=rm, rex_w=rexw))
        img.emit(f"\tmov r11, {fs}")


def r_cmpxchg8b(img, form):
    row, g = form.row, img.g
    w = form.size
    n = 16 if w == 64 else 8
    for i in range(img.ncases):
        img.case(form.id)
        ctx = Ctx(g)
        for r in (RAX, RCX, RDX, RBX):
            ctx.take(r)
        mem = bytes(g.u(8) for _ in range(n))
        lo, hi = int.from_bytes(mem[:n // 2], "little"), int.from_bytes(mem[n // 2:], "little")
        eq = i % 2 == 0
        half = 8 * n // 2
        img.set_reg(RAX, g.full(min(half, 64), lo if eq else g.u(half)) if half < 64 else (lo if eq else g.u(64)))
        img.set_reg(RDX, g.full(half, hi) if half < 64 else hi)
        img.set_reg(RBX, g.u(64))
        img.set_reg(RCX, g.u(64))
        mis = 8 if (w == 64 and i == 3) else 0
        s = img.slot(mem + bytes(16), align=16, misalign=mis)
        rm = ctx.mem(img, s, seg=seg_prefix(g) if form.variant == "seg" else None)
        img.set_flags(g.flags())
        resume = img.expect_fault() if w == 64 else None
        pre = [0xF0] if form.variant == "lock" else []
        img.emit(*encode(img.lab("i"), pre, opbytes(row), reg=1, rm=rm, rex_w=w == 64))
        if resume:
            img.emit(f"{resume}:")


def r_x87(img, form):
    row, g = form.row, img.g
    img.needs_fpu = True
    m = first_mnem(row["mnem"])
    for i in range(img.ncases):
        img.case(form.id)
        ctx = Ctx(g)
        if m == "fldcw":
            cw = g.r.choice([0x37f, 0x27f, 0x7f, 0xc7f, 0x47f, 0x87f, 0x1372, g.u(16)])
            s = img.slot(bytes(le(cw, 2) + [g.u(8) for _ in range(14)]), misalign=g.r.choice([0, 1]))
            rm = ctx.mem(img, s)
            img.emit(*encode(img.lab("i"), [], opbytes(row), reg=5, rm=rm))
            out = img.slot(bytes(16))
            img.emit(f"\tfnstcw [rel {out}]")
        elif m in ("fnstcw", "fnstsw") and form.kind == "mem":
            if i % 3 == 1:
                cw = g.r.choice([0x37f, 0x27f, 0xc7f, 0x7f])
                img.emit(f"\tmov word [rel saved_rsp], 0x{cw:x}", "\tfldcw [rel saved_rsp]")
            s = img.slot(bytes(g.u(8) for _ in range(16)), misalign=g.r.choice([0, 1, 3]))
            rm = ctx.mem(img, s, seg=seg_prefix(g) if form.variant == "seg" else None)
            img.emit(*encode(img.lab("i"), [], opbytes(row), reg=row["reg"], rm=rm))
        elif m == "fnstsw":  # DF E0
            img.set_reg(RAX, g.u(64))
            img.emit(*encode(img.lab("i"), [], [0xDF, 0xE0]))
        else:  # DB E0-E4 (RMSEL)
            img.set_flags(g.flags())
            img.emit(*encode(img.lab("i"), [], [0xDB, 0xE0 | form.kw["rmsel"]]))
            img.emit("\tfnstsw ax", "\tfnstcw [rel saved_rsp]")


SIMD_RM = {"W", "Q", "E", "M", "U", "N"}  # operand letters encoded in ModRM.rm
FP32 = [0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000,
        0xffc00000, 0x7f800001, 0x00000001, 0x007fffff, 0x7f7fffff, 0x4f000000, 0xcf000000,
        0x3fc00000, 0x40490fdb, 0x4b800000]
FP64 = [0, 1 << 63, 0x3ff0000000000000, 0xbff0000000000000, 0x7ff0000000000000, 0xfff0000000000000,
        0x7ff8000000000000, 0xfff8000000000000, 0x7ff0000000000001, 1, 0x000fffffffffffff,
        0x7fefffffffffffff, 0x43e0000000000000, 0xc3e0000000000000, 0x3ff8000000000000,
        0x400921fb54442d18, 0x41e0000000000000]


def simd_elem(mnem):
    """Element width of a floating-point SIMD mnemonic, or None for integer data."""
    m = mnem
    if m.startswith("cvt"):
        src = m[3:].split("2")[0]
        return {"ps": 32, "ss": 32, "pd": 64, "sd": 64}.get(src.lstrip("t"))
    for sfx, w in (("ps", 32), ("ss", 32), ("pd", 64), ("sd", 64)):
        if m.endswith(sfx) and not m.startswith(("movs", "movap", "movup", "movnt", "movhp", "movlp",
                                                 "movmsk", "movhl", "movlh", "unpck", "shuf", "and",
                                                 "or", "xor")):
            return w
    if m in ("comiss", "ucomiss"):
        return 32
    if m in ("comisd", "ucomisd"):
        return 64
    return None


def simd_bytes(g, n, ew):
    """n bytes of SIMD data: floats from special values and random numbers, or integers."""
    out = []
    if ew is None:
        e = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x81]
        for _ in range(n):
            out.append(g.r.choice(e) if g.r.random() < 0.3 else g.u(8))
        return bytes(out)
    for _ in range(max(1, n * 8 // ew)):
        k = g.r.random()
        if k < 0.35:
            v = g.r.choice(FP32 if ew == 32 else FP64)
        elif k < 0.7:  # a float of moderate exponent
            if ew == 32:
                v = (g.u(1) << 31) | (g.r.randrange(100, 160) << 23) | g.u(23)
            else:
                v = (g.u(1) << 63) | (g.r.randrange(990, 1060) << 52) | g.u(52)
        else:
            v = g.u(ew)
        out += le(v, ew // 8)
    return bytes(out[:n])


ROUND32 = [0x3f000000, 0xbf000000, 0x3fc00000, 0xc0200000, 0x40200000, 0x3f7fffff, 0x4affffff,
           0xcb000001, 0x4b7fffff, 0x3effffff, 0x00000001, 0x80400000]
ROUND64 = [0x3fe0000000000000, 0xbfe0000000000000, 0x3ff8000000000000, 0xc004000000000000,
           0x4004000000000000, 0x3fefffffffffffff, 0x432fffffffffffff, 0xc330000000000001,
           0x433fffffffffffff, 0x3fdfffffffffffff, 1, 0x8008000000000000]


def round_bytes(g, n, ew):
    """ROUND* inputs: simd_bytes with halves, near-integers and large values mixed in."""
    out = bytearray(simd_bytes(g, n, ew))
    w = ew // 8
    for k in range(0, n - w + 1, w):
        if g.r.random() < 0.4:
            out[k:k + w] = bytes(le(g.r.choice(ROUND32 if ew == 32 else ROUND64), w))
    return bytes(out)


def simd_size(tok, size):
    t = tok[1:] if len(tok) > 1 else "x"
    return {"x": 16, "q": 8, "d": 4, "w": 2, "y": (size or 32) // 8, "b": 1, "": 16}.get(t, 16)


def x87_mem_bytes(g, row, n):
    """Contents of an x87 memory operand: floats, integers, BCD or an environment."""
    op, reg, ops = row["op"], row["reg"], row["operands"]
    if ops == "M":  # FLDENV/FRSTOR source, or FNSTENV/FNSAVE destination: a sane 32-bit-format image
        env = le(0x37f | g.r.choice([0, 0x400, 0x800, 0xc00, 0x200]), 4) + \
            le((g.u(3) << 11) | (g.u(4) << 8) & 0x4700, 4) + le(g.r.choice([0xffff, 0, g.u(16)]), 4) + \
            [0] * 16
        regs = []
        for _ in range(8):
            regs += x87_mem_bytes(g, {"op": 0xDB, "reg": 5, "operands": "Mt"}, 10)
        return bytes(env + regs + [0] * 32)[:max(n, 140)]
    if ops == "Mt" and op == 0xDF:  # packed BCD
        return bytes([g.r.randrange(10) | g.r.randrange(10) << 4 for _ in range(9)] + [g.r.choice([0, 0x80])])
    if ops == "Mt":
        k = g.r.random()
        if k < 0.5:
            e = g.r.randrange(0x3fb0, 0x4050)
            return bytes(le(g.u(63) | 1 << 63, 8) + le(e | g.u(1) << 15, 2))
        return bytes(g.r.choice([le(0, 8) + le(0, 2), le(1 << 63, 8) + le(0x7fff, 2),
                                 le(3 << 62, 8) + le(0xffff, 2), le(g.u(64), 8) + le(g.u(16), 2),
                                 le(1, 8) + le(0, 2), le(g.u(63), 8) + le(0x4000, 2)]))
    integer = op in (0xDA, 0xDE) or (op in (0xDB, 0xDF) and ops != "Mt")
    if integer:
        w = 8 * n
        return bytes(le(g.val(w, g.r.randrange(16)), n))
    return simd_bytes(g, n, 32 if n == 4 else 64)


def r_x87gen(img, form):
    """x87 arithmetic, loads, stores, compares: each case starts from FNINIT and three
    loaded values; the stack (FSTP m80 x 8) and status word are stored afterwards
    (the native oracle compares memory, not the x87 registers)."""
    row, g = form.row, img.g
    img.needs_fpu = True
    ops = row["operands"]
    nbytes = {"Md": 4, "Mq": 8, "Mw": 2, "Mt": 10, "M": 108}.get(ops, 0)
    store = row["mnem"].startswith(("fst", "fist", "fbst", "fnst", "fnsave")) and form.kind == "mem"
    for i in range(img.ncases):
        img.case(form.id)
        ctx = Ctx(g)
        img.emit("\tfninit")
        if i % 4 == 1:
            cw = g.r.choice([0x37f, 0x77f, 0xb7f, 0xf7f, 0x07f, 0x27f, 0x37e])
            img.emit(f"\tmov word [rel saved_rsp], 0x{cw:x}", "\tfldcw [rel saved_rsp]")
        for k in range(g.r.choice([1, 2, 3, 3, 3, 8]) if i else 0):
            kind = g.r.choice(["q", "q", "t", "d"])
            if kind == "q":
                s = img.slot(simd_bytes(g, 8, 64))
                img.emit(f"\tfld qword [rel {s}]")
            elif kind == "d":
                s = img.slot(bytes(le(g.val(32, g.r.randrange(16)), 4)))
                img.emit(f"\tfild dword [rel {s}]")
            else:
                s = img.slot(x87_mem_bytes(g, {"op": 0xDB, "reg": 5, "operands": "Mt"}, 10))
                img.emit(f"\tfld tword [rel {s}]")
        if form.kind == "mem":
            content = x87_mem_bytes(g, row, nbytes) if not store else bytes(g.u(8) for _ in range(nbytes or 16))
            s = img.slot(content + bytes(16), misalign=g.r.choice([0, 0, 1, 4]))
            rm = ctx.mem(img, s, seg=seg_prefix(g) if form.variant == "seg" else None)
        else:
            rm = form.kw["rmsel"] if "rmsel" in form.kw else g.r.randrange(8)
        img.set_flags(g.flags())
        img.emit(*encode(img.lab("i"), [], opbytes(row), reg=row["reg"], rm=rm))
        out = img.slot(bytes(96))
        img.emit(f"\tfnstsw [rel {out}]")
        img.emit(*[f"\tfstp tword [rel {out} + {2 + 10 * k}]" for k in range(8)])
        img.emit(f"\tfnstsw [rel {out} + 82]")


def r_simd(img, form):
    """SSE/SSE2/MMX forms. XMM/MM inputs come from fresh slots; results are stored
    (MOVDQU/MOVQ) because the native oracle compares GPRs, RFLAGS and memory only."""
    row, g = form.row, img.g
    img.needs_xmm = True
    img.ymm_upper = "V3" in row["flags"]
    pre, rexw = row_prefixes(row, form.size)
    # "Rd/Mb" (a 32-bit register, or a byte in memory) is generated as Eb;
    # "xmm0" (the implicit mask of the variable blends) gets a value per case
    ops = [("E" + o.split("/")[1][1:]) if "/" in o else o for o in row["operands"].split(",") if o]
    xmm0 = "xmm0" in ops
    ops = [o for o in ops if o != "xmm0"]
    mn = first_mnem(row["mnem"], form.size)
    ew = simd_elem(mn)
    # x86-64-v2 floating point: MXCSR rounding, DAZ and FTZ vary per case, and
    # some cases unmask exceptions (#XM, caught)
    v2fp = "V2" in row["flags"] and ew is not None
    mmx = any(o[0] in "PNQ" for o in ops)
    img.needs_mmx = img.needs_mmx or mmx
    nonimm = [o for o in ops if o[0] != "I"]
    rmop = next((o for o in nonimm if o[0] in SIMD_RM), None)
    regop = next((o for o in nonimm if o is not rmop), None)
    if row["reg"] >= 0:
        regop = None
    msize = simd_size(rmop, form.size) if rmop else 0
    unaligned_ok = mn in ("movups", "movupd", "movdqu", "maskmovdqu", "lddqu") or msize != 16 or mmx
    for i in range(img.ncases):
        img.case(form.id)
        ctx = Ctx(g)
        ctx.take(RDI)
        fault = form.kind == "mem" and not unaligned_ok and i == 2
        xm = False
        if v2fp:
            csr = 0x1f80 if i == 0 else 0x1f80 | g.r.randrange(4) << 13 | g.r.choice([0, 0x40]) | g.r.choice([0, 0x8000])
            if i % 6 == 5:
                csr &= ~(g.r.randrange(1, 64) << 7)  # some exceptions unmasked
                xm = True
            img.emit(f"\tmov dword [rel saved_rsp], 0x{csr:x}", "\tldmxcsr [rel saved_rsp]")
        if xmm0:
            s0 = img.slot(simd_bytes(g, 16, ew))
            img.emit(f"\tmovdqu xmm0, [rel {s0}]")

        def load(tok, n):
            """Give register operand tok a fresh value; returns its number."""
            if tok[0] in "VU":
                r = g.r.randrange(16)
                s = img.slot(round_bytes(g, 16, ew) if mn.startswith("round") else simd_bytes(g, 16, ew))
                img.emit(f"\tmovdqu xmm{r}, [rel {s}]")
            elif tok[0] in "PN":
                r = g.r.randrange(8)
                s = img.slot(simd_bytes(g, 8, ew))
                img.emit(f"\tmovq mm{r}, [rel {s}]")
            else:  # G, E: a GPR
                r = ctx.reg()
                img.set_reg(r, g.full(32, g.val(32, i), 0) if tok in ("Ey", "Ew") and g.r.random() < 0.5
                            else g.u(64))
            return r

        rm = None
        if rmop:
            if form.kind == "mem":
                mis = g.r.choice([1, 4, 8]) if fault else 0 if not unaligned_ok else g.r.choice([0, 0, 1, 4, 8])
                s = img.slot((round_bytes if mn.startswith("round") else simd_bytes)(g, max(16, msize) + 16, ew)
                             if rmop[0] != "E" else bytes(g.u(8) for _ in range(32)), misalign=mis)
                rm = ctx.mem(img, s, seg=seg_prefix(g) if form.variant == "seg" else None)
            else:
                rm = load("U" if rmop[0] in "WU" else "N" if rmop[0] in "QN" else "E", msize)
        reg = row["reg"] if row["reg"] >= 0 else (load(regop, 16) if regop else 0)
        if mn.startswith("maskmov"):
            s = img.slot(bytes(g.u(8) for _ in range(32)), misalign=g.r.choice([0, 3]))
            img.emit(f"\tlea rdi, [rel {s}]")
        if mn in ("pmovmskb", "movmskps", "movmskpd") and i % 3 == 0:
            if rmop[0] == "U":
                img.emit(f"\tpcmpeqb xmm{rm}, xmm{(rm + 5) % 16}")
        img.set_flags(g.flags())
        resume = img.expect_fault() if fault or xm else None
        imm = []
        if any(o[0] == "I" for o in ops):
            cnt = [0, 1, 7, 8, 15, 16, 31, 32, 63, 64, 255][i] if i < 11 else g.u(8)
            shift = "pshift" in row["handler"] or "palignr" in row["handler"]
            imm = [(1, cnt if shift else g.u(8) if "cmp" not in mn else g.u(4))]
        img.emit(*encode(img.lab("i"), pre, opbytes(row), reg=reg, rm=rm, imm=imm, rex_w=rexw))
        if resume:
            img.emit(f"{resume}:")
        # the destination is the first operand
        dst = ops[0]
        out = img.slot(bytes(16))
        if dst[0] in "VU" or (dst[0] == "W" and form.kind == "reg"):
            img.emit(f"\tmovdqu [rel {out}], xmm{reg if dst[0] == 'V' else rm}")
        elif dst[0] in "PN" or (dst[0] == "Q" and form.kind == "reg"):
            img.emit(f"\tmovq [rel {out}], mm{reg if dst[0] == 'P' else rm}")
    if mmx:
        img.emit("\temms")


STR_LENS = [0, 1, 2, 7, 8, 9, 15, 16, 17, -1, -3, -8, -15, -16, -17, 0x7fffffff, -0x80000000]


def r_pcmpstr(img, form):
    """PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM: the register forms run every
    imm8[6:0] mode (bit 7 random), the memory forms random modes; strings
    over small alphabets (so that elements match, order and range), with
    zero terminators (implicit lengths) or EAX/EDX (RAX/RDX) lengths from
    edge values (negative, past the end, INT_MIN)."""
    row, g = form.row, img.g
    img.needs_xmm = True
    pre, rexw = row_prefixes(row, form.size)
    explicit = "pcmpestr" in row["handler"]
    ncases = 128 if form.kind == "reg" else 32
    for i in range(ncases):
        img.case(f"{form.id} mode {i}")
        ctx = Ctx(g)
        for r in (RAX, RCX, RDX, RDI):
            ctx.take(r)
        imm = (i if form.kind == "reg" else g.u(7)) | g.r.choice([0, 0x80])
        words = imm & 1
        n = 8 if words else 16
        ew = 2 if words else 1
        alpha = [g.u(8 * ew) for _ in range(g.r.choice([2, 3, 4, 6]))]
        if g.r.random() < 0.3:  # the signed/unsigned boundaries
            alpha += [0x7fff, 0x8000, 0xffff] if words else [0x7f, 0x80, 0xff]

        def string():
            e = [g.r.choice(alpha) & mask(8 * ew) for _ in range(n)]
            if not explicit and g.r.random() < 0.6:
                e[g.r.randrange(n)] = 0  # a terminator
            elif not explicit:
                e = [x or 1 for x in e]
            return b"".join(bytes(le(x, ew)) for x in e)

        a, b = string(), string()
        if g.r.random() < 0.4:  # a needle taken from the data
            k = g.r.randrange(0, n) * ew
            a = (b[k:] + a)[:16]
        ra = g.r.randrange(16)
        sa = img.slot(a)
        img.emit(f"\tmovdqu xmm{ra}, [rel {sa}]")
        if form.kind == "mem":
            sb = img.slot(b + bytes(g.u(8) for _ in range(16)), misalign=g.r.choice([0, 0, 1, 4, 8]))
            rm = ctx.mem(img, sb, seg=seg_prefix(g) if form.variant == "seg" else None)
        else:
            rm = g.r.randrange(16)
            sb = img.slot(b)
            img.emit(f"\tmovdqu xmm{rm}, [rel {sb}]")
        if explicit:
            for r in (RAX, RDX):
                ln = g.r.choice(STR_LENS) if g.r.random() < 0.6 else g.r.randrange(-20, 21)
                if rexw:  # 64-bit lengths, sometimes huge
                    img.set_reg(r, g.u(64) if g.r.random() < 0.15 else ln & MASK64)
                else:  # EAX/EDX: the upper halves are ignored
                    img.set_reg(r, g.u(32) << 32 | (ln & 0xffffffff))
        img.set_reg(RCX, g.u(64))
        img.set_flags(g.flags())
        img.emit(*encode(img.lab("i"), pre, opbytes(row), reg=ra, rm=rm, imm=[(1, imm)], rex_w=rexw))
        if "strm" in row["handler"]:
            out = img.slot(bytes(16))
            img.emit(f"\tmovdqu [rel {out}], xmm0")


def r_mxcsr(img, form):
    """LDMXCSR/STMXCSR, and their VEX forms (form.kw l: VEX.L)."""
    row, g = form.row, img.g
    vex = "VEX" in row["flags"]
    if vex:
        img.needs_ymm = True
    for i in range(img.ncases if not vex else VEX_CASES):
        img.case(form.id)
        ctx = Ctx(g)
        v = [0x1f80, 0x1fbf, 0x9f80, 0x7f80, 0x0040, 0xffff, 0x1f80 | 0x10000, 0x1f80 | 0x20000][i] \
            if i < 8 else (g.u(16) & 0xffbf | 0x1f80 * (i & 1))
        if row["reg"] == 3:
            img.emit(f"\tmov dword [rel saved_rsp], 0x{v & 0xffff:x}", "\tldmxcsr [rel saved_rsp]")
        s = img.slot(bytes(le(v, 4) + [g.u(8) for _ in range(12)]), misalign=g.r.choice([0, 1, 2]))
        rm = ctx.mem(img, s, seg=seg_prefix(g) if form.variant == "seg" else None)
        img.set_flags(g.flags())
        resume = img.expect_fault() if row["reg"] == 2 else None
        if vex:
            img.emit(*encode(img.lab("i"), [], [row["op"]], reg=row["reg"], rm=rm,
                             vex=Vex(row["map"], vex_pp(row["flags"]), form.kw["l"], g.u(1), 0, g.r.random() < 0.25)))
        else:
            img.emit(*encode(img.lab("i"), [], opbytes(row), reg=row["reg"], rm=rm))
        if resume:
            img.emit(f"{resume}:")
        if row["reg"] == 2:
            img.emit("\tstmxcsr [rel saved_rsp]")
    img.emit("\tmov dword [rel saved_rsp], 0x1f80", "\tldmxcsr [rel saved_rsp]")


def fxsave_area(g):
    a = bytearray(512)
    a[0:2] = le(0x37f, 2)       # FCW
    a[2:4] = le(g.u(16) & 0x3800, 2)  # FSW: TOP only
    a[4] = g.u(8)               # abridged tag
    a[24:28] = le(0x1f80 | (g.u(6) & 0x3f), 4)  # MXCSR (flags only)
    for k in range(8):          # ST0-7 (80 bits each in 16-byte slots)
        a[32 + 16 * k: 42 + 16 * k] = bytes(g.u(8) for _ in range(10))
    for k in range(16):
        a[160 + 16 * k: 176 + 16 * k] = bytes(g.u(8) for _ in range(16))
    return bytes(a)


def r_fxsave(img, form):
    row, g = form.row, img.g
    img.needs_xmm = True
    rexw = form.size == 64
    for i in range(min(img.ncases, 6)):
        img.case(form.id)
        ctx = Ctx(g)
        if row["reg"] == 1:
            src = img.slot(fxsave_area(g), align=16)
            rm = ctx.mem(img, src)
            img.emit(*encode(img.lab("i"), [], opbytes(row), reg=1, rm=rm, rex_w=rexw))
            dst = img.slot(bytes(512), align=16)
            img.emit(f"\tfxsave64 [rel {dst}]")
        else:
            dst = img.slot(bytes(g.u(8) for _ in range(512)), align=16)
            rm = ctx.mem(img, dst)
            img.emit(*encode(img.lab("i"), [], opbytes(row), reg=0, rm=rm, rex_w=rexw))
        if i == 2:
            bad = img.slot(bytes(512), align=16, misalign=8)
            resume = img.expect_fault()
            img.emit(*encode(img.lab("i"), [], opbytes(row), reg=row["reg"], rm=Mem("rip", bad),
                             rex_w=rexw))
            img.emit(f"{resume}:")


# XSAVE areas: the model's components are x87, SSE and AVX (XCR0 = 7, the
# AVX upper halves at 576). rax-diff starts the image's machine with
# CR4.OSXSAVE and XCR0 = 7; the host's XCR0 enables more (AVX-512), so
# instruction masks only use bits 0-2 and bits no XCR0 here has (3, 4, 8,
# 10-63): the requested-feature bitmap is then the same on both sides.
XS_AVX = 576
XS_SIZE = 832


def xs_mask(g):
    """EDX:EAX: a random subset of x87/SSE/AVX, sometimes with bits outside
    both XCR0s."""
    m = g.r.choice([7, 7, 1, 2, 3, 4, 5, 6, 0, g.u(3)])
    if g.r.random() < 0.3:
        m |= g.r.choice([0x8, 0x10, 0x100, 0xfffffc00 << 32, 0x18])
    return m


def xs_image(g, bv, comp=0, mxcsr=None):
    """A standard (or, with comp, compacted) XSAVE image with random contents."""
    a = bytearray(fxsave_area(g)) + bytearray(XS_SIZE - 512)
    if mxcsr is not None:
        a[24:28] = le(mxcsr, 4)
    a[512:520] = le(bv, 8)
    a[520:528] = le(comp, 8)
    for k in range(XS_AVX, XS_SIZE):
        a[k] = g.u(8)
    return bytes(a)


def xs_state(img, g, i):
    """Set up x87/SSE/AVX state for case i: x87 and AVX initial, or some
    components in use with random values (an x87 register, XMM registers,
    MXCSR flags, the YMM upper halves loaded by XRSTOR). SSE is always in use
    (XMM registers not zero): on the host measured, whether the native
    child's SSE component counts as in use once its XMM registers are zero
    depends on how the host kernel last restored its state (after a ptrace
    write of the XSAVE image it stays in use for good), so no form depends
    on it."""
    kind = i % 4
    if kind == 0:  # x87 and AVX in their initial state
        init = img.slot(xs_image(g, 0, mxcsr=0x1f80), align=64)
        img.emit("\tmov eax, 5", "\txor edx, edx", f"\txrstor64 [rel {init}]")
        return
    src = img.slot(fxsave_area(g), align=16)
    img.emit(f"\tfxrstor64 [rel {src}]", "\tfld1")  # x87 in use: ST0 = 1.0
    if kind == 2:  # x87 back to its initial state, SSE in use
        init = img.slot(xs_image(g, 0), align=64)
        img.emit("\tmov eax, 1", "\txor edx, edx", f"\txrstor64 [rel {init}]")
    if kind != 3:  # the YMM upper halves: random (kind 1, 2), initial (kind 3)
        avx = img.slot(xs_image(g, 4), align=64)
        img.emit("\tmov eax, 4", "\txor edx, edx", f"\txrstor64 [rel {avx}]")


def r_xsave(img, form):
    """XSAVE/XSAVEOPT/XSAVEC (32-bit and REX.W forms) into a random area, from
    initial and in-use states, with random instruction masks; a misaligned
    area (#GP(0))."""
    row, g = form.row, img.g
    img.needs_xmm = True
    rexw = form.size == 64
    for i in range(min(img.ncases, 8)):
        img.case(form.id)
        xs_state(img, g, i)  # case 3, the fault, has the YMM upper halves initial (see r_xrstor)
        ctx = Ctx(g)
        for r in (RAX, RDX):
            ctx.take(r)
        m = xs_mask(g)
        bad = i == 3
        dst = img.slot(bytes(g.u(8) for _ in range(1024)), align=64, misalign=g.r.choice([8, 16, 32]) if bad else 0)
        rm = ctx.mem(img, dst, seg=seg_prefix(g) if form.variant == "seg" else None)
        img.set_reg(RAX, m & 0xffffffff)
        img.set_reg(RDX, m >> 32)
        resume = img.expect_fault() if bad else None
        img.emit(*encode(img.lab("i"), [], opbytes(row), reg=row["reg"], rm=rm, rex_w=rexw))
        if resume:
            img.emit(f"{resume}:")


def r_xrstor(img, form):
    """XRSTOR (32-bit and REX.W forms) of random standard and compacted images
    with random XSTATE_BV and masks; faults: misaligned, reserved header bits,
    XCOMP_BV without bit 63, XSTATE_BV outside XCOMP_BV, MXCSR reserved bits."""
    row, g = form.row, img.g
    img.needs_xmm = True
    rexw = form.size == 64
    for i in range(min(img.ncases, 10)):
        img.case(form.id)
        fault = {5: "misaligned", 6: "bv", 7: "header", 8: "comp", 9: "mxcsr"}.get(i)
        # a fault case starts with the YMM upper halves initial: the native
        # oracle then puts the state back without writing the child's XSAVE
        # image (which would leave its SSE component in use for good)
        xs_state(img, g, 3 if fault else i + 1)
        ctx = Ctx(g)
        for r in (RAX, RDX):
            ctx.take(r)
        m = xs_mask(g)
        bv = g.u(3)
        comp = 0
        if i % 3 == 1:  # compacted
            comp = (1 << 63) | bv | g.u(3)
        a = bytearray(xs_image(g, bv, comp))
        misalign = 0
        if fault == "misaligned":
            misalign = g.r.choice([16, 32, 48])
        elif fault == "bv":  # XSTATE_BV bit 3 or 8: in no XCR0 here
            a[512:520] = le(bv | g.r.choice([0x8, 0x100, 1 << 63]), 8)
        elif fault == "header":  # standard: bytes 16-23; compacted: 16-63
            a[512 + 16 + g.r.randrange(8)] = 1 + g.u(7)
        elif fault == "comp":  # compacted without bit 63 / XSTATE_BV outside XCOMP_BV
            if g.r.random() < 0.5:
                a[520:528] = le(1 + g.u(2), 8)
            else:
                a[512:520] = le(4, 8)
                a[520:528] = le((1 << 63) | 3, 8)
        elif fault == "mxcsr":  # standard form, SSE or AVX requested
            a[512:528] = bytes(16)
            a[24:28] = le(0x1f80 | (1 << g.r.choice([16, 18, 20, 31])), 4)
            m = g.r.choice([2, 4, 6, 7])
        src = img.slot(bytes(a), align=64, misalign=misalign)
        rm = ctx.mem(img, src, seg=seg_prefix(g) if form.variant == "seg" else None)
        img.set_reg(RAX, m & 0xffffffff)
        img.set_reg(RDX, m >> 32)
        resume = img.expect_fault() if fault else None
        img.emit(*encode(img.lab("i"), [], opbytes(row), reg=row["reg"], rm=rm, rex_w=rexw))
        if resume:
            img.emit(f"{resume}:")
        # what was loaded, also as memory (the FPU registers are compared too):
        # XSAVEC with XMM15 all ones, so SSE is in use on both sides (see xs_state)
        out = img.slot(bytes(1024), align=64)
        img.emit("\tpcmpeqb xmm15, xmm15", "\tmov eax, 7", "\txor edx, edx", f"\txsavec64 [rel {out}]")


def r_xgetbv(img, form):
    """XGETBV with an ECX that names no XCR: #GP(0)."""
    row, g = form.row, img.g
    for i in range(min(img.ncases, 6)):
        img.case(form.id)
        img.set_reg(RCX, g.r.choice([2, 3, 0x80000000, 0xffffffff, g.u(32) | 2]) | (g.u(32) << 32))
        img.set_reg(RAX, g.u(64))
        img.set_reg(RDX, g.u(64))
        resume = img.expect_fault()
        img.emit(*encode(img.lab("i"), [], opbytes(row), reg=2, rm=0))
        img.emit(f"{resume}:")


def r_misc0f(img, form):
    """Fences, CLFLUSH, PREFETCH, hint NOPs, EMMS, MOVNTI."""
    row, g = form.row, img.g
    pre, rexw = row_prefixes(row, form.size)
    m = row["mnem"]
    if m == "emms":
        img.needs_fpu = True
    for i in range(img.ncases):
        img.case(form.id)
        ctx = Ctx(g)
        reg = row["reg"] if row["reg"] >= 0 else form.kw.get("regfield", g.r.randrange(8))
        if m == "movnti":
            reg = ctx.reg()
            img.set_reg(reg, g.u(64))
        if form.kind == "mem":
            s = img.slot(bytes(g.u(8) for _ in range(32)), misalign=g.r.choice([0, 4]))
            rm = ctx.mem(img, s, seg=seg_prefix(g) if form.variant == "seg" else None)
        elif form.kind == "reg":
            rm = form.kw.get("rm", ctx.reg())
            if isinstance(rm, int) and rm != RSP:
                img.set_reg(rm, g.u(64))
        else:
            rm = None
        img.set_flags(g.flags())
        img.emit(*encode(img.lab("i"), pre, opbytes(row), reg=reg if rm is not None else None, rm=rm,
                         rex_w=rexw))
        if m == "emms":
            s = img.slot(bytes(512), align=16)
            img.emit(f"\tfxsave64 [rel {s}]")


# --------------------------------------------------------------------------
# VEX forms (x86-64-v3: AVX, AVX2, FMA, F16C, BMI1/BMI2, the VEX forms of
# AES-NI and PCLMULQDQ). Every vector input is a full YMM register of
# random data (so VEX.128 forms show that they zero bits 255:128); the
# results stay in registers (rax-diff compares XMM and the YMM upper halves
# after every instruction). Fewer cases per form than the legacy forms: the
# VEX forms are many, and each also runs one or more decoder checks (a
# legacy prefix before VEX, VEX.vvvv != 1111b on NV rows, the wrong VEX.L on
# VL0/VL1 rows, a gather with two equal registers), each expecting #UD.

VEX_CASES = 8
UNMAPPED = 0x20000000  # no image declares it: a read there is #PF (U, not present) on both sides
# rows whose opcode has another row at the other VEX.L (VZEROUPPER/VZEROALL):
# (map, op, pp, reg) -> set of L; filled by build_forms
VEX_L_ROWS = {}


def vex_pp(fl):
    return 1 if "P66" in fl else 2 if "PF3" in fl else 3 if "PF2" in fl else 0


def vex_tokens(row):
    """[(kind letter, size)] of a VEX row's operands ('Rd/Mb' is E with the memory size)."""
    out = []
    for o in row["operands"].split(","):
        if not o:
            continue
        if "/" in o:
            o = "E" + o.split("/")[1][1:]
        out.append((o[0], o[1:]))
    return out


def vex_is_gather(row):
    return "gather" in first_mnem(row["mnem"])


def vex_is_vector(row):
    """Vector rows get forms per VEX.L (-l128/-l256); general-register rows (BMI) by VEX.W (-o32/-o64)."""
    toks = vex_tokens(row)
    return (vex_is_gather(row) or not toks or any(k in "VHWUL" for k, _ in toks)
            or any(k == "M" and s in ("x", "o") for k, s in toks))


def vex_gpr_sized(row):
    return any(s == "y" for _, s in vex_tokens(row))


def vex_ls(row):
    fl = row["flags"]
    return [0] if "VL0" in fl else [1] if "VL1" in fl else [0, 1]


def vex_ws(row):
    """VEX.W per form: fixed by VW0/VW1, both for rows whose general registers it sizes, else None
    (W is ignored: each case draws it, and W=1 needs the 3-byte prefix)."""
    fl = row["flags"]
    if "VW0" in fl:
        return [0]
    if "VW1" in fl:
        return [1]
    return [0, 1] if vex_gpr_sized(row) else [None]


def vex_kinds(row):
    fl = row["flags"]
    if "M" not in fl:
        return [None]
    if vex_is_gather(row) or "MEMO" in fl:
        return ["mem"]
    if "REGO" in fl:
        return ["reg"]
    rm = [k for k, _ in vex_tokens(row) if k in "WEMUR"]
    if "M" in rm:
        return ["mem"]
    if any(k in "UR" for k in rm):
        return ["reg"]
    return ["reg", "mem"]


def vex_size(tok, l, w):
    """Bytes of an operand: x by VEX.L, y by VEX.W."""
    s = tok[1]
    if s == "x":
        return 32 if l else 16
    if s == "y":
        return 8 if w else 4
    return {"o": 16, "q": 8, "d": 4, "w": 2, "b": 1}.get(s, 16)


def vex_bytes(g, n, ew):
    """n bytes of vector data: floats as simd_bytes, or integers with small dwords mixed in
    (counts for variable shifts, indices for permutes)."""
    if ew is not None:
        return simd_bytes(g, n, ew)
    out = bytearray(simd_bytes(g, n, None))
    for k in range(0, n - 3, 4):
        if g.r.random() < 0.25:
            out[k:k + 4] = bytes(le(g.r.randrange(0, 70), 4))
    return bytes(out)


def vex_bad_prefix(g):
    """A prefix that makes any VEX instruction #UD: 66, F2, F3, LOCK or REX."""
    return g.r.choice([0x66, 0xF2, 0xF3, 0xF0, 0x40 | g.u(4)])


def vex_mxcsr(img, g, i):
    """MXCSR for case i of a floating-point form: rounding, DAZ, FTZ vary;
    every sixth case unmasks some exceptions (#XM, caught): True then."""
    csr = 0x1f80 if i == 0 else 0x1f80 | g.r.randrange(4) << 13 | g.r.choice([0, 0x40]) | g.r.choice([0, 0x8000])
    xm = i % 6 == 5
    if xm:
        csr &= ~(g.r.randrange(1, 64) << 7)
    img.emit(f"\tmov dword [rel saved_rsp], 0x{csr:x}", "\tldmxcsr [rel saved_rsp]")
    return xm


def r_vex(img, form):
    """A VEX row: operands from the row's operand string (V/G ModRM.reg, H/B
    VEX.vvvv, W/U/E/R/M ModRM.rm, L imm8[7:4], Ib), each vector register
    loaded with 32 random bytes; C5 where assemblers would use it (and C4
    sometimes, also with high registers through VEX.X/B); VEX.W drawn per
    case where the row ignores it. Memory cases: misaligned (#GP on VA
    rows), one crossing a page, a store to the read-only page (#PF),
    sometimes an FS/GS/ignored segment override or 67."""
    row, g = form.row, img.g
    img.needs_ymm = True
    if vex_is_gather(row):
        return r_gather(img, form)
    fl = row["flags"]
    l, wfix = form.kw["l"], form.kw["w"]
    toks = vex_tokens(row)
    mn = first_mnem(row["mnem"], 64 if wfix else 32)
    ew = simd_elem(mn[1:] if mn.startswith("v") else mn)
    regop = None if row["reg"] >= 0 else next((t for t in toks if t[0] in "VG"), None)
    rmop = next((t for t in toks if t[0] in "WEMUR"), None)
    vop = next((t for t in toks if t[0] in "HB"), None)
    is4 = any(t[0] == "L" for t in toks)
    has_imm = "I8" in fl or any(t[0] == "I" for t in toks)
    dst = toks[0] if toks else None
    store = form.kind == "mem" and dst is not None and dst[0] in "WME"
    gpr = any(k in "GEBR" for k, _ in toks)
    flag_in = gpr or "test" in mn or "comis" in mn
    shift = ("pshift" in row["handler"] or "palignr" in row["handler"]
             or re.match(r"vps(ll|rl|ra)(w|d|q|dq)$", mn) is not None)
    # immediate-controlled modes spread over a row's forms: case i of the
    # k-th form (l128 reg, l128 mem, l256 reg, l256 mem) takes mode 8k + i
    part = 8 * (2 * l + (form.kind == "mem"))
    pp = vex_pp(fl)
    maskmov = "maskmovdqu" in mn
    checks = ["pfx"]
    if "NV" in fl:
        checks.append("nv")
    other_l = VEX_L_ROWS.get((row["map"], row["op"], pp, row["reg"]), set())
    # (not for VEX AES/PCLMULQDQ: the host's VAES/VPCLMULQDQ give them a 256-bit
    # form, which the model, without those features, does not have)
    if ("VL0" in fl or "VL1" in fl) and (1 - l) not in other_l and not mn.startswith(("vaes", "vpclmul")):
        checks.append("vl")
    ncases = form.kw.get("cases", VEX_CASES)
    for i in range(ncases + len(checks)):
        check = checks[i - ncases] if i >= ncases else None
        img.case(f"{form.id}" + (f" check {check}" if check else ""))
        ctx = Ctx(g)
        w = wfix if wfix is not None else int(g.r.random() < 0.3)
        armed = check is not None
        if ew is not None and not check:
            armed |= vex_mxcsr(img, g, i)
        if maskmov:
            ctx.take(RDI)
            s = img.slot(bytes(g.u(8) for _ in range(32)), misalign=g.r.choice([0, 3]))
            img.emit(f"\tlea rdi, [rel {s}]")

        def load(tok):
            """A register operand with a fresh value; returns its number."""
            if tok[0] in "VHUWL":
                r = g.r.randrange(16)
                s = img.slot(vex_bytes(g, 32, ew))
                img.emit(f"\tvmovdqu ymm{r}, [rel {s}]")
                return r
            r = ctx.reg()
            bits = 64 if tok[1] in ("y", "q") and w else 32 if tok[1] in ("y", "d") else 16 if tok[1] == "w" else 64
            v = g.val(bits, i) if g.r.random() < 0.6 else g.u(64)
            if tok[0] == "B" and g.r.random() < 0.5:
                v = g.r.randrange(0, 72) | g.r.randrange(0, 72) << 8  # counts, BEXTR start/length
            img.set_reg(r, g.full(bits, v))
            return r

        rm = None
        resume = None
        if rmop is not None:
            if form.kind == "mem":
                msize = vex_size(rmop, l, w)
                va = "VA" in fl
                if store and i == 5:
                    img.ro_used += 1
                    rm_label = f"0x{RO_PAGE + 64 * (img.ro_used - 1):x}"
                    armed = True
                else:
                    mis = 0
                    if va and i == 2 and not check:
                        mis = g.r.choice([1, 4, 8, 16]) if msize == 32 else g.r.choice([1, 4, 8])
                        armed = True
                    elif not va:
                        mis = g.r.choice([0, 0, 1, 4, 8, 13])
                    pc = g.r.randrange(1, msize) if (i == 3 and not va and msize > 1) else 0
                    data = vex_bytes(g, 64, ew) if rmop[0] != "E" else bytes(g.u(8) for _ in range(64))
                    rm_label = img.slot(data, align=32, misalign=mis, page_cross=pc)
                seg = seg_prefix(g) if g.r.random() < 0.15 else None
                rm = ctx.mem(img, rm_label, seg=seg)
            else:
                rm = load(("U" if rmop[0] in "WU" else "E", rmop[1]))
        reg = row["reg"] if row["reg"] >= 0 else (load(regop) if regop else 0)
        vvvv = load(vop) if vop else 0
        imm = []
        if is4:
            lreg = load(next(t for t in toks if t[0] == "L"))
            imm = [(1, lreg << 4 | g.u(4))]
        elif has_imm:
            if shift:
                cnt = [0, 1, 7, 8, 15, 16, 31, 32, 63, 64, 255][i] if i < 11 else g.u(8)
            elif re.match(r"vcmp(p|s)[sd]$", mn):  # the 32 predicates (bits 7:5 ignored)
                cnt = (part + i) & 31 | (g.u(3) << 5 if g.r.random() < 0.25 else 0)
            elif mn.startswith("vround"):  # rounding control, MXCSR.RC, precision exception
                cnt = (part + i) & 15 | (g.u(4) << 4 if g.r.random() < 0.25 else 0)
            elif mn == "vcvtps2ph":  # rounding control and MXCSR.RC
                cnt = i & 7 | (g.u(5) << 3 if g.r.random() < 0.25 else 0)
            elif "pclmul" in mn:  # which quadwords
                cnt = [0x00, 0x01, 0x10, 0x11][i & 3] | (g.u(8) & 0xee if g.r.random() < 0.25 else 0)
            else:
                cnt = g.u(8)
            imm = [(1, cnt)]
        if flag_in:
            img.set_flags(g.flags())
        pre = []
        if form.kind == "mem" and g.r.random() < 0.1 and not check:
            pre.append(0x67)  # 32-bit addressing: every address here is below 4 GiB
        ll = l
        if check == "pfx":
            pre.append(vex_bad_prefix(g))
        elif check == "nv":
            vvvv = g.r.randrange(1, 16)
        elif check == "vl":
            ll = 1 - l
        c4 = g.r.random() < 0.25
        if armed:
            resume = img.expect_fault()
        img.emit(*encode(img.lab("i"), pre, [row["op"]], reg=reg, rm=rm, imm=imm,
                         vex=Vex(row["map"], pp, ll, w, vvvv, c4)))
        if resume:
            img.emit(f"{resume}:")
    if ew is not None:
        img.emit("\tmov dword [rel saved_rsp], 0x1f80", "\tldmxcsr [rel saved_rsp]")


def r_gather(img, form):
    """VGATHERD/Q PS/PD, VPGATHERD/Q D/Q: VSIB addressing (base + vector
    index * scale + disp, or no base), index vectors of random in-range
    offsets (negative ones too) into a table, masks all set, all clear or
    partial; the index and mask elements the form does not use are random.
    The -fault forms put one element, masked in, on an unmapped page (#PF:
    the mask and destination show the elements done before it); and a case
    with two of destination, index and mask the same register (#UD)."""
    row, g = form.row, img.g
    fl = row["flags"]
    l = form.kw["l"]
    mn = first_mnem(row["mnem"])
    rest = mn.split("gather", 1)[1]
    idxw = 32 if rest[0] == "d" else 64
    elw = 32 if rest[1:] in ("ps", "d") else 64
    w = form.kw["w"] if form.kw["w"] is not None else int(elw == 64)
    n = (256 if l else 128) // max(idxw, elw)
    fault = form.variant == "fault"
    ncases = form.kw.get("cases", VEX_CASES)
    for i in range(ncases + 1):
        check = i == ncases
        img.case(f"{form.id}" + (" check: two equal registers" if check else ""))
        ctx = Ctx(g)
        d, m, x = g.r.sample(range(16), 3)
        if check:
            d, m, x = g.r.choice([(d, d, x), (d, m, d), (d, m, m)])
        scale = g.r.choice([1, 2, 4, 8])
        tbl = img.slot(bytes(g.u(8) for _ in range(272)), misalign=g.r.choice([0, 0, 4, 8]))
        # element offsets from tbl + 128
        ks = [(g.r.randrange(-128, 128 - elw // 8 + 1)) // scale for _ in range(n)]
        if i == 1:
            ks = [ks[0]] * n  # every element from one address
        msb = [1] * n if i in (0, 1) else [0] * n if i == 2 else [g.u(1) for _ in range(n)]
        bad = None
        if fault and not check:
            bad = g.r.randrange(n)
            msb[bad] = 1 if i != 2 else 0  # case 2: the element is masked out (no fault)
        # index register: the used elements, then random ones
        iw = idxw // 8
        lines = []
        for j in range(32 // iw):
            dd = "dd" if iw == 4 else "dq"
            if j == bad:
                lines.append(f"\t{dd} (0x{UNMAPPED:x} - 0x400000 - ({tbl} - $$) - 128) / {scale}")
            elif j < n:
                lines.append(f"\t{dd} 0x{ks[j] & mask(idxw):x}")
            else:
                lines.append(f"\t{dd} 0x{g.u(idxw):x}")
        sx = img.slot(None, lines=lines)
        mb = bytearray(g.u(8) for _ in range(32))
        ebytes = elw // 8
        for j in range(n):
            mb[(j + 1) * ebytes - 1] = (mb[(j + 1) * ebytes - 1] & 0x7f) | (msb[j] << 7)
        sm = img.slot(bytes(mb))
        sd = img.slot(bytes(g.u(8) for _ in range(32)))
        img.emit(f"\tvmovdqu ymm{d}, [rel {sd}]", f"\tvmovdqu ymm{x}, [rel {sx}]", f"\tvmovdqu ymm{m}, [rel {sm}]")
        if g.r.random() < 0.2:  # no base: [index*scale + disp32]
            mem = Mem("index", tbl, index=x, scale=scale, disp=f"{tbl} + 128")
        else:
            b = ctx.reg()
            disp = g.r.choice([0, g.r.randrange(-128, 128), g.r.randrange(-0x10000, 0x10000)])
            img.emit(f"\tmov {REG64[b]}, {tbl} + 128 - ({disp})")
            mem = Mem("sib", tbl, base=b, index=x, scale=scale, disp=disp,
                      seg=seg_prefix(g) if g.r.random() < 0.15 else None)
        resume = img.expect_fault() if fault or check else None
        img.emit(*encode(img.lab("i"), [], [row["op"]], reg=d, rm=mem,
                         vex=Vex(row["map"], vex_pp(fl), l, w, m, g.r.random() < 0.25)))
        if resume:
            img.emit(f"{resume}:")


def vex_forms(row, name, dup, add):
    """The forms of a VEX row: per VEX.W where it sizes general registers
    (-o32/-o64), per VEX.L the row allows (-l128/-l256), reg and mem."""
    fl = row["flags"]
    h = row["handler"]
    ls = vex_ls(row)
    vector = vex_is_vector(row)
    gpr = vex_gpr_sized(row)
    if h.startswith(("ldmxcsr", "stmxcsr")):
        for l in ls:
            lname = f"-l{128 << l}" if len(ls) > 1 else ""
            add(f"{name}{lname}-mem", kind="mem", recipe=r_mxcsr, l=l, w=None)
            add(f"{name}{lname}-mem-seg", kind="mem", variant="seg", recipe=r_mxcsr, l=l, w=None)
        return
    for w in vex_ws(row):
        osz = (64 if w else 32) if gpr else None
        nm = base_name(row, osz)
        if name != base_name(row):  # a name shared with another opcode: keep its suffix
            nm = name
        for l in ls:
            for k in vex_kinds(row):
                fid = nm + (f"-o{osz}" if osz else "") + (f"-l{128 << l}" if vector or len(ls) > 1 else "") + \
                    (f"-{k}" if k else "")
                add(fid, size=osz, kind=k, recipe=r_vex, l=l, w=w)
                if vex_is_gather(row):
                    add(fid + "-fault", size=osz, kind=k, variant="fault", recipe=r_vex, l=l, w=w)


# --------------------------------------------------------------------------
# which forms exist

# privileged instructions: at CPL3 they fault (checked natively); at CPL0 the
# KVM oracle checks their effect (skipped without KVM). (map, op, reg) -> note
PRIV = {
    (0, 0xF4, -1): "hlt", (0, 0xFA, -1): "cli", (0, 0xFB, -1): "sti",
    (0, 0xE4, -1): "in", (0, 0xE5, -1): "in", (0, 0xE6, -1): "out", (0, 0xE7, -1): "out",
    (0, 0xEC, -1): "in", (0, 0xED, -1): "in", (0, 0xEE, -1): "out", (0, 0xEF, -1): "out",
    (0, 0x6C, -1): "ins", (0, 0x6D, -1): "ins", (0, 0x6E, -1): "outs", (0, 0x6F, -1): "outs",
    (1, 0x20, -1): "mov cr", (1, 0x21, -1): "mov dr", (1, 0x22, -1): "mov cr", (1, 0x23, -1): "mov dr",
    (1, 0x30, -1): "wrmsr", (1, 0x32, -1): "rdmsr", (1, 0x33, -1): "rdpmc",
    (1, 0x06, -1): "clts", (1, 0x08, -1): "invd", (1, 0x09, -1): "wbinvd",
    (1, 0x01, 2): "lgdt", (1, 0x01, 3): "lidt", (1, 0x01, 6): "lmsw", (1, 0x01, 7): "invlpg",
    (1, 0x00, 2): "lldt", (1, 0x00, 3): "ltr",
}

# forms that are not generated (or only at CPL0), with the reason
NOT_NATIVE = {
    (0, 0xCA, -1): "far return: the native child's CS/SS selectors are Linux's (0x33/0x2b), not the test GDT's",
    (0, 0xCB, -1): "far return: the native child's CS/SS selectors are Linux's, not the test GDT's",
    (0, 0xCF, -1): "IRETQ pops CS/SS selectors, which differ between the test GDT and the native child",
    (0, 0xFF, 3): "far call through memory: selectors differ between the test GDT and the native child",
    (0, 0xFF, 5): "far jump through memory: selectors differ between the test GDT and the native child",
    (1, 0x07, -1): "SYSRET: at CPL3 the host has EFER.SCE=1 (#GP) where the test machine has SCE=0 (#UD)",
    (1, 0x34, -1): "SYSENTER: rax-diff cannot run it natively (vendor-specific in long mode)",
    (1, 0x35, -1): "SYSEXIT: rax-diff cannot run it natively (vendor-specific in long mode)",
    (1, 0xB2, -1): "LSS: the only selector valid both in the test GDT and natively is null, and null SS faults; run at CPL0",
    (1, 0x00, 0): "SLDT at CPL3: UMIP-emulated by the host kernel, not checkable natively",
    (1, 0x00, 1): "STR at CPL3: UMIP-emulated by the host kernel, not checkable natively",
    (1, 0x01, 0): "SGDT at CPL3: UMIP-emulated by the host kernel, not checkable natively",
    (1, 0x01, 1): "SIDT at CPL3: UMIP-emulated by the host kernel, not checkable natively",
    (1, 0x01, 4): "SMSW at CPL3: UMIP-emulated by the host kernel, not checkable natively",
}

XGETBV_NOTE = ("XGETBV ECX=0/1 returns XCR0 and XINUSE: natively the host's (XCR0 0xe7, AVX-512 enabled), "
               "the model's XCR0 is 7; asm/t_xsave.asm and tests/unit/test_emu_xsave.c check them")

CPL0_ONLY_NOTE = "CPL0 form: compared only against KVM (rax-diff SKIPs it without /dev/kvm)"


def sizes_of(row):
    fl, ops = row["flags"], row["operands"]
    if "B" in fl:
        return [8]
    if row["handler"].startswith("movbe_"):
        return [16] if "P66" in fl else [32, 64]  # the 66 row is the 16-bit form
    if row["handler"] == "crc32_GyEv":
        return [16, 32, 64]
    if row["handler"].startswith("pcmpestr"):
        return [32, 64]  # lengths in EAX/EDX, or RAX/RDX with REX.W
    if "Ey" in ops or "Gy" in ops or row["mnem"] == "movnti" or "cmpxchg8b" in row["mnem"] or "fxsave" in row["mnem"] \
            or "fxrstor" in row["mnem"]:
        return [32, 64]
    if any(t in ops for t in ("Ev", "Gv", "rAX", "Zv", "Iv")) or "STR" in fl or \
            row["mnem"] in ("cbw|cwde|cdqe", "cwd|cdq|cqo", "pushf|pushfq|pushfq", "popf|popfq|popfq",
                            "enter", "leave") or row["op"] in (0xA0, 0xA1, 0xA8, 0xA9) and row["map"] == 1:
        if "D64" in fl:
            return [64, 16]
        if "REL" in fl:
            return [None]
        return [16, 32, 64]
    return [None]


def kinds_of(row):
    fl, ops = row["flags"], row["operands"]
    if "M" not in fl:
        return [None]
    if "MEMO" in fl:
        return ["mem"]
    if "REGO" in fl:
        return ["reg"]
    first = ops.split(",")
    if any(t in ("M", "Mp", "Mq", "Md", "Mw", "Mx") for t in first):
        return ["mem"]
    if any(t[:1] in ("R", "U", "N") and "/" not in t for t in first):
        return ["reg"]
    return ["reg", "mem"]


def base_name(row, size=None):
    m = first_mnem(row["mnem"], size)
    if "RMSEL" in row["flags"]:
        m = "x87db4"
    if m.startswith("sse(") or m.startswith("fpu("):
        m = ident(m)
    return ident(m.replace("call far", "callf").replace("jmp far", "jmpf")) + \
        ("_" + ident(row["operands"]) if row["operands"] else "")


def g_seg_ok(row):
    """One segment-override form per x87 memory row with an 8-byte or smaller operand."""
    return row["operands"] in ("Md", "Mq", "Mw")


def forms_of_row(row, dup_names):
    """Forms of one implemented row."""
    fl = row["flags"]
    key = (row["map"], row["op"], row["reg"])
    name = base_name(row)
    if name in dup_names:
        name += f"_{'0f' if row['map'] == 1 else ''}{row['op']:02x}"
    out = []
    m = first_mnem(row["mnem"])
    h = row["handler"]

    def add(fid, **kw):
        out.append(Form(row, fid, **kw))

    def nsz(s):
        return f"-o{s}" if s else ""

    if "VEX" in fl:
        vex_forms(row, name, dup_names, add)
        return out

    if h == "xgetbv_xsetbv":
        f = Form(row, "xgetbv", cpl=3)
        f.status, f.reason = "not-generated", XGETBV_NOTE
        out.append(f)
        add("xgetbv-ecx-gp", kind="reg", recipe=r_xgetbv)
        add("xsetbv-cpl3", kind="reg", recipe=r_fault, rm=1)
        return out
    if h == "grp7_7":
        # 0F 01 /7 register forms: SWAPGS (privileged), RDTSCP
        add("swapgs-cpl3", kind="reg", recipe=r_fault, rm=0)
        add("rdtscp", kind="reg", recipe=r_rd, rm=1)
        return out
    if h in ("rdrand_Rv", "rdseed_Rv", "rdpid_Rq"):
        for s in sizes_of(row) if h != "rdpid_Rq" else [None]:
            add(f"{name}{nsz(s)}-reg", size=s, kind="reg", recipe=r_rd)
        return out
    if key in NOT_NATIVE:
        f = Form(row, name, cpl=3)
        f.status, f.reason = "not-generated", NOT_NATIVE[key]
        out.append(f)
        what = first_mnem(row["mnem"])
        if what in ("sgdt", "sidt", "sldt", "str", "smsw"):
            for s in ([16, 32, 64] if what in ("sldt", "str", "smsw") else [None]):
                for k in kinds_of(row):
                    if k == "mem" and s not in (None, 16):
                        continue
                    add(f"{name}{nsz(s)}-{k}-cpl0", size=s, kind=k, cpl=0, recipe=r_cpl0, what=what)
        return out
    if key in PRIV:
        for s in sizes_of(row) if "STR" not in fl else [8] if "B" in fl else [16, 32]:
            for k in kinds_of(row):
                sfx = nsz(s) + (f"-{k}" if k else "")
                kw = {}
                if row["map"] == 1 and row["op"] in (0x20, 0x22):
                    kw = {"regfield": 0}
                add(f"{name}{sfx}-cpl3", size=s, kind=k, recipe=r_fault, **kw)
        for s in sizes_of(row) if "STR" not in fl else [8] if "B" in fl else [16, 32]:
            for k in kinds_of(row):
                add(f"{name}{nsz(s)}" + (f"-{k}" if k else "") + "-cpl0", size=s, kind=k, cpl=0,
                    recipe=r_cpl0, what=PRIV[key])
        return out
    if h in ("int3", "int1", "int_Ib"):
        add(name, recipe=r_int)
        return out
    if h == "ud":
        add(name + ("-reg" if "M" in fl else ""), kind="reg" if "M" in fl else None, recipe=r_fault,
            **({"rm": 0} if "M" in fl else {}))
        if "M" in fl:
            add(name + "-mem", kind="mem", recipe=r_fault)
        return out
    if h == "syscall":
        add(name, recipe=r_fault)
        return out
    if h in ("cpuid", "rdtsc"):
        add(name, recipe=r_cpuid_rdtsc)
        return out
    if h in ("push_FS", "pop_FS", "push_GS", "pop_GS", "mov_EvSw", "mov_SwEw"):
        for s in sizes_of(row) if h not in ("mov_SwEw",) else [16, 32]:
            for k in kinds_of(row):
                if k == "mem" and h == "mov_EvSw" and s != 16:
                    continue
                add(f"{name}{nsz(s)}" + (f"-{k}" if k else ""), size=s, kind=k, recipe=r_segreg)
        return out
    if h in ("lfs_GvMp", "lgs_GvMp"):
        for s in (16, 32, 64):
            add(f"{name}-o{s}-mem", size=s, kind="mem", recipe=r_lfs)
        return out
    if h == "cmpxchg8b_Mq":
        for s in (32, 64):
            base = base_name(row, s)
            for v in (None, "lock", "seg"):
                add(f"{base}-mem" + (f"-{v}" if v else ""), size=s, kind="mem", variant=v,
                    recipe=r_cmpxchg8b)
        return out
    if row["map"] == 0 and 0xD8 <= row["op"] <= 0xDF and h not in (
            "fldcw_Mw", "fnstcw_Mw", "fnstsw_Mw", "fnstsw_AX", "x87_db4"):
        for k in kinds_of(row):
            if "RMSEL" in fl:
                for rm, mn in enumerate(row["mnem"].split("|")):
                    if not mn.startswith("("):
                        add(ident(mn), kind="reg", recipe=r_x87gen, rmsel=rm)
                continue
            add(f"{name}-{k}", kind=k, recipe=r_x87gen)
            if k == "mem" and g_seg_ok(row):
                add(f"{name}-{k}-seg", kind=k, variant="seg", recipe=r_x87gen)
        return out
    if h in ("fldcw_Mw", "fnstcw_Mw", "fnstsw_Mw", "fnstsw_AX"):
        for k in kinds_of(row):
            add(f"{name}" + (f"-{k}" if k != "reg" else ""), kind=k, recipe=r_x87)
            if k == "mem" and h != "fldcw_Mw":
                add(f"{name}-mem-seg", kind=k, variant="seg", recipe=r_x87)
        return out
    if h == "x87_db4":
        for rm, mn in enumerate(row["mnem"].split("|")):
            if mn.startswith("("):
                continue
            add(f"{mn}", kind="reg", recipe=r_x87, rmsel=rm)
        return out
    if h in ("xsave_M", "xsaveopt_M", "xsavec_M", "xrstor_M"):
        for sz in (32, 64):
            base = base_name(row, sz)
            for v in (None, "seg"):
                add(f"{base}-mem" + (f"-{v}" if v else ""), size=sz, kind="mem", variant=v,
                    recipe=r_xrstor if h == "xrstor_M" else r_xsave)
        return out
    if h in ("fxsave_M", "fxrstor_M"):
        for s in (32, 64):
            add(f"{base_name(row, s)}-mem", size=s, kind="mem", recipe=r_fxsave)
        return out
    if h in ("ldmxcsr_Md", "stmxcsr_Md"):
        add(f"{name}-mem", kind="mem", recipe=r_mxcsr)
        add(f"{name}-mem-seg", kind="mem", variant="seg", recipe=r_mxcsr)
        return out
    if h in ("grp15_fence",):
        add(f"{name}", kind="reg", recipe=r_misc0f, rm=0)
        return out
    if h == "grp15_7":
        add("sfence", kind="reg", recipe=r_misc0f, rm=0)
        add("clflush_M-mem", kind="mem", recipe=r_misc0f)
        add("clflush_M-mem-seg", kind="mem", variant="seg", recipe=r_misc0f)
        return out
    if h in ("nop_Ev", "emms", "movnti_MyGy"):
        for s in sizes_of(row) if h != "emms" else [None]:
            for k in kinds_of(row) if h != "emms" else [None]:
                add(f"{name}{nsz(s)}" + (f"-{k}" if k else ""), size=s, kind=k, recipe=r_misc0f)
                if k == "mem":
                    add(f"{name}{nsz(s)}-mem-seg", size=s, kind=k, variant="seg", recipe=r_misc0f)
        return out
    if h.startswith("pcmp") and "str" in h:
        for s in sizes_of(row):
            for k in kinds_of(row):
                fid = f"{name}{nsz(s)}-{k}"
                add(fid, size=s, kind=k, recipe=r_pcmpstr)
                if k == "mem":
                    add(fid + "-seg", size=s, kind=k, variant="seg", recipe=r_pcmpstr)
        return out
    if any(t[:1] in "VWUPQN" and t not in ("") for t in row["operands"].split(",")):
        for s in sizes_of(row):
            for k in kinds_of(row):
                fid = f"{base_name(row, s)}{nsz(s) if s else ''}-{k}"
                add(fid, size=s, kind=k, recipe=r_simd)
                if k == "mem":
                    add(fid + "-seg", size=s, kind=k, variant="seg", recipe=r_simd)
        return out
    if "STR" in fl:
        cmp = m[:4] in ("cmps", "scas")
        vs = [None, "rep"] + (["repne"] if cmp else []) + (["seg"] if m[:4] in ("movs", "cmps", "lods") else [])
        for s in sizes_of(row):
            for v in vs:
                n = f"{m[:4]}{'b' if s == 8 else ''}" if s == 8 else f"{m[:4]}"
                nm = name if "B" in fl else first_mnem(row["mnem"], s)
                vn = ("repe" if cmp and v == "rep" else v)
                add(f"{nm}-o{s}" + (f"-{vn}" if vn else ""), size=s, variant=vn, recipe=r_string)
        return out
    # control flow
    if "REL" in fl:
        add(name, recipe=r_call_rel if h == "call_Jz" else r_jcc)
        return out
    if h in ("call_Ev", "jmp_Ev"):
        for k in ("reg", "mem"):
            add(f"{name}-o64-{k}", size=64, kind=k, recipe=r_branch_ev)
        add(f"{name}-o64-mem-seg", size=64, kind="mem", variant="seg", recipe=r_branch_ev)
        return out
    if h in ("ret", "ret_Iw"):
        add(name, recipe=r_ret)
        return out
    if h in ("push_Iz", "push_Ib"):
        for s in (64, 16):
            add(f"{name}-o{s}", size=s, recipe=r_push_imm)
        return out
    if h in ("push_Ev", "pop_Ev"):
        for s in (64, 16):
            for k in ("reg", "mem"):
                add(f"{name}-o{s}-{k}", size=s, kind=k, recipe=r_push_pop_ev)
            add(f"{name}-o{s}-mem-seg", size=s, kind="mem", variant="seg", recipe=r_push_pop_ev)
        return out
    if h in ("pushf", "popf"):
        for s in (64, 16):
            add(f"{first_mnem(row['mnem'])}-o{s}", size=s, recipe=r_pushf)
        return out
    if h in ("enter", "leave"):
        for s in (64, 16):
            add(f"{name}-o{s}", size=s, recipe=r_enter_leave)
        return out
    if h in ("push_Zv", "pop_Zv", "xchg_ZvrAX", "bswap_Zv", "mov_ZbIb", "mov_ZvIv"):
        for s in sizes_of(row):
            if h == "bswap_Zv" and s == 16:
                continue  # BSWAP r16 is undefined (SDM): not generated
            add(f"{name}{nsz(s)}", size=s, recipe=r_zv)
        if h == "xchg_ZvrAX" and row["op"] == 0x90:
            add("nop_90", size=32, variant="nop", recipe=r_zv)
            add("pause_f390", size=32, variant="pause", recipe=r_zv)
        return out
    if h == "xlat":
        add(name, recipe=r_xlat)
        return out
    if "MOFFS" in fl:
        for s in sizes_of(row):
            add(f"{name}{nsz(s)}", size=s, recipe=r_moffs)
            add(f"{name}{nsz(s)}-seg", size=s, variant="seg", recipe=r_moffs)
        return out
    if h == "lea_GvM":
        for s in (16, 32, 64):
            add(f"{name}-o{s}-mem", size=s, kind="mem", recipe=r_lea)
        return out
    if "M" not in fl and not row["operands"] or h in ("fwait",):
        for s in sizes_of(row):
            add(f"{name}{nsz(s)}", size=s, recipe=r_noop)
        return out
    if "M" in fl or row["operands"] in ("AL,Ib", "rAX,Iz"):
        vals = value_recipe(row)
        if vals is None:
            f = Form(row, name)
            f.status, f.reason = "not-generated", "no generator recipe for this row yet"
            out.append(f)
            return out
        faults = m in ("div", "idiv")
        for s in sizes_of(row):
            if h == "movsxd_GvEd" and s == 16:
                pass
            for k in kinds_of(row):
                sfx = nsz(s) + (f"-{k}" if k else "")
                add(name + sfx, size=s, kind=k, recipe=gen_modrm, values=vals, faults=faults)
                if k == "mem":
                    if "L" in fl:
                        add(name + sfx + "-lock", size=s, kind=k, variant="lock", recipe=gen_modrm,
                            values=vals, faults=faults)
                    add(name + sfx + "-seg", size=s, kind=k, variant="seg", recipe=gen_modrm,
                        values=vals, faults=faults)
        return out
    f = Form(row, name)
    f.status, f.reason = "not-generated", "no generator recipe for this row yet"
    out.append(f)
    return out


def value_recipe(row):
    m = first_mnem(row["mnem"])
    h = row["handler"]
    if m in ("add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test", "xadd", "xchg", "mov"):
        return v_binary
    if m in ("inc", "dec", "not", "neg"):
        return v_unary
    if m in ("rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"):
        return v_shift
    if m in ("shld", "shrd"):
        return v_shd
    if m in ("mul", "imul"):
        return v_mul
    if m == "div":
        return v_div(False)
    if m == "idiv":
        return v_div(True)
    if m in ("bt", "bts", "btr", "btc"):
        return "bt"
    if m in ("bsf", "bsr"):
        return v_bsf
    if m == "cmpxchg":
        return v_cmpxchg
    if m in ("popcnt", "lzcnt", "tzcnt"):
        return v_bsf
    if m == "crc32":
        return v_cc
    if m == "movbe":
        return v_plain
    if m.startswith("cmov") or m.startswith("set"):
        return v_cc
    if m in ("movzx", "movsx", "movsxd"):
        return v_plain
    return None


# --------------------------------------------------------------------------

def build_forms(rows):
    # I64 rows exist only outside 64-bit mode: no 64-bit forms
    impl = [r for r in rows if "UNIMPL" not in r["flags"] and "I64" not in r["flags"]]
    names = {}
    for r in impl:
        names.setdefault(base_name(r), set()).add(("VEX" in r["flags"], r["map"], r["op"]))
    VEX_L_ROWS.clear()
    for r in impl:
        if "VEX" in r["flags"]:
            for l in vex_ls(r):
                VEX_L_ROWS.setdefault((r["map"], r["op"], vex_pp(r["flags"]), r["reg"]), set()).add(l)
    # one name over several opcodes: suffix the opcode (push_Zv_50); rows of one
    # opcode that share a name (TEST F6 /0 and /1) get the ModRM.reg member below
    # (legacy and VEX rows apart: a VEX row never renames a legacy row's forms)
    dup = {v: {n for n, s in names.items() if len({x for x in s if x[0] == v}) > 1} for v in (False, True)}
    forms = []
    for r in impl:
        forms.extend(forms_of_row(r, dup["VEX" in r["flags"]]))
    # bit tests: the value recipe depends on the operand kind
    for f in forms:
        if f.kw.get("values") == "bt":
            f.kw["values"] = v_bt(f.kind)
    seen = {}
    for f in forms:
        if f.id in seen:
            base, _, rest = f.id.partition("-")
            f.id = f"{base}_r{f.row['reg']}" + (f"-{rest}" if rest else "")
        assert f.id not in seen, f"duplicate form id {f.id}"
        seen[f.id] = f
    return forms


def generate(form, seed, ncases):
    g = Gen(seed, form.id)
    img = Image(form.id, form.cpl, g)
    img.ncases = ncases
    form.recipe(img, form) if form.recipe is not gen_modrm else gen_modrm(img, form, form.kw["values"])
    return img.source()


def assemble(src, out, inc):
    tmp = out.with_suffix(f".{os.getpid()}.tmp")  # concurrent assemblers of one image
    r = subprocess.run(["nasm", "-f", "bin", "-w-number-overflow", "-I", str(inc), "-o", str(tmp), str(src)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return r.stderr.strip() or f"nasm exit {r.returncode}"
    os.replace(tmp, out)
    return None


def table_digest(rows):
    return f"{zlib.crc32(json.dumps(rows, sort_keys=True).encode()):08x}"


def include_digest(inc=ROOT / "asm" / "include"):
    """Hash of the NASM include files every image source pulls in."""
    h = hashlib.sha256()
    for p in sorted(inc.glob("*.inc")):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def corpus_key(args, rows):
    """What a complete set of images depends on: same key, same images."""
    gen = hashlib.sha256(pathlib.Path(__file__).read_bytes()).hexdigest()[:16]
    return f"seed={args.seed} cases={args.cases} table={table_digest(rows)} gen={gen} inc={include_digest()}"


def image_hash(src, inc_hash):
    return hashlib.sha256((inc_hash + "\0" + src).encode()).hexdigest()[:16]


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="build directory for the corpus")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--cases", type=int, default=DEFAULT_CASES, help="operand cases per form")
    ap.add_argument("--assemble", action="store_true", help="run nasm on every generated source")
    ap.add_argument("--bin-dir", help="where --assemble writes the images (default OUT/bin)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--opcodes-json")
    ap.add_argument("--rax-opcodes")
    ap.add_argument("--only", help="regular expression on form ids")
    return ap.parse_args(argv)


def bin_dir(args):
    return pathlib.Path(args.bin_dir) if args.bin_dir else pathlib.Path(args.out) / "bin"


def manifest_key(out):
    """The key OUT/forms.json was written for (the image directory's stamp can
    be up to date while this build directory's manifest is another table's:
    two build directories share testcases/)."""
    try:
        return json.loads((pathlib.Path(out) / "forms.json").read_text()).get("key")
    except (OSError, ValueError, AttributeError):
        return None


def read_stamp(path):
    try:
        d = json.loads(path.read_text())
        return d if isinstance(d.get("images"), dict) else {"key": None, "images": {}}
    except (OSError, ValueError, AttributeError):
        return {"key": None, "images": {}}


def main(argv=None):
    args = parse_args(argv)
    out = pathlib.Path(args.out)
    (out / "asm").mkdir(parents=True, exist_ok=True)
    bdir = bin_dir(args)
    bdir.mkdir(parents=True, exist_ok=True)
    with open(bdir / ".corpus.lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)  # one writer per image directory (CMake and pytest may share it)
        return _main_locked(args, out, bdir)


def _main_locked(args, out, bdir):
    rows = opcode_rows(args)
    forms = build_forms(rows)
    key = corpus_key(args, rows)
    stamp_path = bdir / ".corpus.stamp"
    stamp = read_stamp(stamp_path)
    if (args.assemble and not args.only and stamp.get("key") == key and manifest_key(out) == key
            and (out / "opcodes.json").exists()
            and all((bdir / f"{f.id}.bin").exists() for f in forms if f.status == "generated")):
        print(f"gen_corpus: {bdir}: up to date ({key})")
        return 0
    (out / "opcodes.json").write_text(json.dumps({"rows": rows}, indent=1) + "\n")
    inc_hash = include_digest()
    images = stamp["images"]
    todo = []
    for f in forms:
        if f.status != "generated" or (args.only and not re.search(args.only, f.id)):
            continue
        src = generate(f, args.seed, args.cases)
        p = out / "asm" / f"{f.id}.asm"
        if not p.exists() or p.read_text() != src:
            p.write_text(src)
        b = bdir / f"{f.id}.bin"
        h = image_hash(src, inc_hash)
        if args.assemble and (not b.exists() or images.get(f.id) != h):
            todo.append((f, p, b, h))
    if todo:
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
            errs = list(ex.map(lambda t: assemble(t[1], t[2], ROOT / "asm"), todo))
        for (f, p, b, h), e in zip(todo, errs):
            if e:
                f.status, f.reason = "error", f"nasm: {e.splitlines()[0]}"
                images.pop(f.id, None)
            else:
                images[f.id] = h
    bad = [f for f in forms if f.status == "error"]
    if args.assemble:
        removed = 0
        if not args.only:  # images of forms that are gone (or no longer generated)
            keep = {f.id for f in forms if f.status == "generated"}
            for b in bdir.glob("*.bin"):
                if b.stem not in keep:
                    b.unlink()
                    images.pop(b.stem, None)
                    removed += 1
        complete = not args.only and not bad
        tmp = stamp_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": key if complete else None, "images": images}, indent=0,
                                  sort_keys=True) + "\n")
        os.replace(tmp, stamp_path)
        print(f"gen_corpus: {len(todo)} images assembled, {removed} stale images removed -> {bdir}")
    # the manifest always lists every form (--only restricts what is written)
    manifest = {"seed": args.seed, "cases": args.cases, "key": key, "forms": [f.manifest() for f in forms]}
    (out / "forms.json").write_text(json.dumps(manifest, indent=1) + "\n")
    ng = sum(f.status == "generated" for f in forms)
    print(f"gen_corpus: {len(forms)} forms, {ng} generated, {len(bad)} errors, "
          f"{len(forms) - ng - len(bad)} not generated -> {out}")
    for f in bad:
        print(f"  ERROR {f.id}: {f.reason}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
