"""rax-diff checks the code that runs: the interpreter's fast ops.

step() executes an instruction through the threaded block runner's fast op
(src/emu/fastpath.c), as run() does, so a bug planted in one fast form only
(RAX_EMU_PLANT=fastop: ADD r/m64, r64 register form loses the carry out of
bit 31) must show up in rax-diff at the exact step and field. Uses the
native (ptrace) oracle, so it runs on any Linux x86-64 host.
asm/diff_fastop.asm: step 1 `add rcx, rbx` (no carry), step 2 `add rax, rbx`
with rax = 0x1ffffffff, rbx = 1.
"""
import json

from conftest import asm_image, rax_diff, run_rax

DIFF_OK, DIFF_DIVERGE = 0, 1


def test_fastop_image_passes_without_plant(tmp_path):
    out = tmp_path / "r.json"
    r = rax_diff(["--oracle", "native", "--json", out, asm_image("diff_fastop")])
    assert r.returncode == DIFF_OK, r.stdout + r.stderr
    assert r.stdout.startswith("PASS")
    t = json.loads(out.read_text())["tests"][0]
    assert t["status"] == "PASS" and t["divergences"] == []
    assert t["steps"] > 2


def test_fastop_plant_found_at_exact_step_and_field(tmp_path):
    out = tmp_path / "p.json"
    r = rax_diff(["--oracle", "native", "--json", out, asm_image("diff_fastop")],
                 env={"RAX_EMU_PLANT": "fastop"})
    assert r.returncode == DIFF_DIVERGE, r.stdout + r.stderr
    t = json.loads(out.read_text())["tests"][0]
    assert t["status"] == "DIVERGE"
    d = t["divergences"][0]
    assert d["step"] == 2  # step 1 (add rcx, rbx: no carry) agrees
    assert d["disasm"] == "add rax, rbx"
    assert d["bytes"].startswith("4801d8")
    f = d["fields"][0]
    assert f["name"] == "rax"
    assert int(f["emu"], 16) == 0x100000000  # the carry out of bit 31 is lost
    assert int(f["oracle"], 16) == 0x200000000
    # the wrong sum's flags follow it; nothing else differs
    assert [x["name"] for x in d["fields"]] in (["rax"], ["rax", "rflags"])
    assert d["memory"] == []


def test_fastop_plant_is_what_run_executes():
    """run() (rax --test) executes the same broken fast op: only the check of
    the carrying 64-bit register ADD fails; ADD's other forms stay right."""
    r = run_rax(["--test", asm_image("diff_fastop"), "--backend", "emulator"],
                env={"RAX_EMU_PLANT": "fastop"})
    assert r.returncode == 1, r.stdout + r.stderr
    fails = [l for l in r.stdout.splitlines() if l.startswith("FAIL:")]
    assert fails == ["FAIL: add64 r/m, r with carry out of bit 31: "
                     "got 0x0000000100000000 expected 0x0000000200000000"], r.stdout
    assert "SUMMARY: 4 passed, 1 failed" in r.stdout
    ok = run_rax(["--test", asm_image("diff_fastop"), "--backend", "emulator"],
                 env={"RAX_EMU_PLANT": ""})
    assert ok.returncode == 0, ok.stdout + ok.stderr
