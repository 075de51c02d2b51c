"""The block translator (rax --jit on, src/emu/jit/) against the interpreter.

* Every guest program (asm/t_*.asm) passes with every block translated on
  its first whole run (--jit-hot 1), and t_smc (code rewritten while hot,
  code and data on one page) at the default threshold too.
* rax-diff --jit runs each image twice, translated and interpreted, and
  compares the whole state after every block: clean over the guest
  programs and a shard of the generated corpus.
* Planted bugs in three translated forms are each reported at the block
  that holds the form, in the field it breaks: RAX_EMU_PLANT=jit (ADD r64,
  r64 loses the high half: the register it writes), jit-adc (ADC adds no
  carry in: the register it writes), jit-inc (INC/DEC clear CF: rflags).
* Bad --jit options are one-line usage errors.
The Linux boot with --jit on (same bytes, same instruction count as the
interpreter's boot) is test_emulator_linux.py's replay test, which reuses
that module's boot.
"""
import os
import re

import pytest

from conftest import BUILD, ROOT, USAGE, rax_diff, run_rax
from test_guest_programs import NEEDS_LEVEL, PROGRAMS, image

PASSED, DIVERGE = 0, 1
# every n-th generated corpus image (rax-diff --shard 0/n): the whole corpus
# takes minutes; CI time is short
CORPUS_SHARDS = 8


def check_program(r):
    fails = [line for line in r.stdout.splitlines() if line.startswith("FAIL")]
    assert not fails, "\n".join(fails)
    m = re.search(r"^SUMMARY: (\d+) passed, (\d+) failed$", r.stdout, re.M)
    assert m and int(m.group(1)) > 0 and int(m.group(2)) == 0, r.stdout[-2000:] + r.stderr
    assert r.returncode == PASSED, r.stdout[-1500:] + r.stderr


@pytest.mark.parametrize("program", PROGRAMS)
def test_program_translated_at_once(program):
    level = ["--cpu", NEEDS_LEVEL[program]] if program in NEEDS_LEVEL else []
    r = run_rax(["--test", image(program), "--backend", "emulator", "--jit", "on", "--jit-hot", "1",
                 "--timeout", "120"] + level, timeout=180)
    check_program(r)


def test_self_modifying_code_at_the_default_threshold():
    r = run_rax(["--test", image("t_smc"), "--backend", "emulator", "--jit", "on", "--timeout", "60"], timeout=90)
    check_program(r)


def diff_images():
    return sorted(str(p) for p in (BUILD / "asm").glob("t_*.bin")) + \
        sorted(str(p) for p in (BUILD / "asm").glob("diff_*.bin"))


def test_rax_diff_jit_guest_programs():
    imgs = diff_images()
    assert imgs, f"no guest programs in {BUILD / 'asm'}"
    r = rax_diff(["--jit", "--quiet"] + imgs)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert f"{len(imgs)} tests: {len(imgs)} passed" in r.stdout, r.stdout[-2000:]


def test_rax_diff_jit_corpus_shard():
    imgs = sorted(str(p) for p in (ROOT / "testcases").glob("*.bin"))
    if not imgs:
        msg = "no generated corpus in testcases/ (built with -DRAX_CORPUS=ON, or by test_corpus.py)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    r = rax_diff(["--jit", "--quiet", "--mem", "16M", "--shard", f"0/{CORPUS_SHARDS}"] + imgs, timeout=600)
    assert r.returncode == 0, "\n".join(line for line in r.stdout.splitlines() if not line.startswith("PASS"))
    m = re.search(r"(\d+) tests: (\d+) passed, 0 diverged, 0 errors, 0 skipped", r.stdout)
    assert m and int(m.group(1)) == int(m.group(2)) >= len(imgs) // CORPUS_SHARDS, r.stdout[-500:]


# plant, the mnemonic of the broken form, and the field it breaks (None:
# the register the form writes)
PLANTS = [("jit", "add", None), ("jit-adc", "adc", None), ("jit-inc", "inc|dec", "rflags")]
SUBREGS = {"rax": {"al", "ax", "eax", "rax"}, "rbx": {"bl", "bx", "ebx", "rbx"},
           "rcx": {"cl", "cx", "ecx", "rcx"}, "rdx": {"dl", "dx", "edx", "rdx"}}


@pytest.mark.parametrize("plant, mnem, field", PLANTS)
def test_planted_bugs_in_translated_forms_are_found_at_their_block(plant, mnem, field):
    r = rax_diff(["--jit", str(image("t_arith"))], env={"RAX_EMU_PLANT": plant})
    assert r.returncode == DIVERGE, r.stdout[-3000:] + r.stderr
    m = re.search(r"^DIVERGE .*block at rip (0x[0-9a-f]+) \(instruction (\d+)\): first differing field: (\w+)",
                  r.stdout, re.M)
    assert m, r.stdout[-3000:]
    rip, got = m.group(1), m.group(3)
    listing = re.findall(r"^  [ >] (0x[0-9a-f]+)  (.*)$", r.stdout, re.M)
    assert listing and listing[0][0] == rip, r.stdout[-3000:]
    forms = [dis for _, dis in listing if re.match(rf"({mnem}) ", dis)]
    assert forms, f"no {mnem} in the reported block:\n{listing}"
    if field:
        assert got == field, r.stdout[-3000:]
    else:  # the register the form writes
        dests = {dis.split()[1].rstrip(",") for dis in forms}
        assert dests & SUBREGS.get(got, {got}), f"{got} is not written by {forms}"


@pytest.mark.parametrize("args, message", [
    (["--jit", "maybe"], "unknown --jit 'maybe' (off or on)"),
    (["--jit", "on", "--backend", "kvm"], "--jit on needs --backend emulator"),
    (["--jit-hot", "4", "--backend", "emulator", "--jit", "off"], "--jit-hot needs --jit on"),
    (["--jit-hot", "4", "--backend", "kvm"], "--jit-hot needs --jit on"),
    (["--jit", "on", "--jit-hot", "0", "--backend", "emulator"], "malformed --jit-hot '0'"),
])
def test_bad_jit_options(args, message):
    r = run_rax(args + ["--test", image("t_smc")])
    assert r.returncode == USAGE, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r.stderr


@pytest.mark.parametrize("args, message", [
    (["--oracle", "interp"], "--oracle interp checks the translator: add --jit"),
    (["--jit", "--oracle", "native"], "--jit compares against the interpreter"),
])
def test_rax_diff_bad_jit_options(args, message):
    r = rax_diff(args + [str(image("t_smc"))])
    assert r.returncode == USAGE, r.stdout + r.stderr
    assert message in r.stderr, r.stderr
