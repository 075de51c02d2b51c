"""The conformance corpus against QEMU as the second reference.

The multiboot runner (asm/mbrun.asm) runs every generated image in the
machine `rax --test` builds and reports the final state (GPRs, RIP, RFLAGS,
CS/SS, x87/SSE, memory hashes, the test's own output) on COM1, and (steps
mode, TF set) the instruction count and a hash over the state after every
instruction, so a difference that later code overwrites still shows. The same
runner and images boot under `rax --backend emulator --kernel mbrun.bin
--initrd IMAGES` (the multiboot loader, 32-bit entry and the runner's own
switch to long mode included) and under `qemu-system-x86_64 -accel tcg
-kernel mbrun.bin -initrd IMAGES`, a batch of 300 images per boot
(testcases/mbrun.py), so there is no per-image process start-up to batch.
The images are test_corpus.py's (testcases/*.bin, assembled once per session
by its `corpus` fixture). One test id per form: test_form_qemu[ID].

A form whose reports differ FAILS with both values of every differing field
and the first instruction after which the two TF traces differ, unless
testcases/reference_disagreements.json lists it with the reason (then it
is a strict xfail: it must keep differing). Results go to
$RAX_BUILD/corpus/results/ID.qemu.json for tools/opcode_map.py.
"""
import fcntl
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from conftest import BUILD, ROOT, rax_path
from test_corpus import CORPUS, GENERATED, RESULTS, corpus, image_path  # noqa: F401 (fixture)

sys.path.insert(0, str(ROOT / "testcases"))
import mbrun  # noqa: E402

REF = json.loads((ROOT / "testcases" / "reference_disagreements.json").read_text())
KNOWN = {form: REF["reasons"][why] for form, why in REF["forms"].items()}  # form -> reason text
NOT_RUNNABLE = REF["not_runnable"]
RUNNABLE = sorted((f for f in GENERATED if f.id not in NOT_RUNNABLE), key=lambda f: f.id)
BATCH = 300
BATCH_OF = {f.id: i // BATCH for i, f in enumerate(RUNNABLE)}
RUN_DIR = CORPUS / "mbrun" / os.environ.get("PYTEST_XDIST_TESTRUNUID", f"pid{os.getpid()}")


def image(form):
    """The form's image (the `corpus` fixture has assembled every one)."""
    img = image_path(form)
    assert img.exists(), f"{img} missing: the corpus fixture should have assembled it"
    return img


@functools.lru_cache(maxsize=None)
def batch(k):
    """Reports of batch k from the emulator and QEMU (one boot each), shared
    by the xdist workers through a file under a lock."""
    if not RUN_DIR.exists():
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        for old in RUN_DIR.parent.iterdir():  # earlier sessions' reports (about 12 MB each)
            if old != RUN_DIR and time.time() - old.stat().st_mtime > 6 * 3600:
                shutil.rmtree(old, ignore_errors=True)
    out = RUN_DIR / f"batch-{k}.json"
    with open(RUN_DIR / f"batch-{k}.lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if out.exists():
            return json.loads(out.read_text())
        imgs = [str(image(f)) for f in RUNNABLE[k * BATCH:(k + 1) * BATCH]]
        try:
            res = {r: mbrun.run(r, BUILD, imgs, steps=True, timeout=600) for r in ("emulator", "qemu")}
        except mbrun.RunError as e:
            res = {"error": str(e)}
        out.write_text(json.dumps(res))
        return res


def record_result(form, status, reason):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{form.id}.qemu.json").write_text(json.dumps(
        {"tool": "mbrun", "tests": [{"name": f"{form.id}.bin", "status": status, "oracle": "qemu",
                                     "reason": reason}]}))


def test_reference_list_names_real_forms():
    assert set(REF["forms"].values()) == set(REF["reasons"]), "every reason is used and every form has one"
    ids = {f.id for f in GENERATED}
    for k, why in list(KNOWN.items()) + list(NOT_RUNNABLE.items()):
        assert k in ids, f"reference_disagreements.json names {k}, which is not a generated form"
        assert len(why) > 20, f"{k}: the reason must say why"


@pytest.mark.parametrize("form", RUNNABLE, ids=[f.id for f in RUNNABLE])
def test_form_qemu(form, corpus):  # noqa: F811
    b = batch(BATCH_OF[form.id])
    if "error" in b:
        record_result(form, "ERROR", b["error"])
        pytest.fail(f"the batch with {form.id} did not run: {b['error']}")
    img = str(image_path(form))
    diffs = mbrun.differences(b["emulator"][img], b["qemu"][img])
    if not diffs:
        record_result(form, "PASS", "emulator and QEMU agree")
        if form.id in KNOWN:
            pytest.fail(f"{form.id} agrees with QEMU now: remove it from testcases/reference_disagreements.json")
        return
    fields = ", ".join(f for f, _, _ in diffs)
    if form.id in KNOWN:
        record_result(form, "DIVERGE", f"known reference disagreement ({fields}): {KNOWN[form.id]}")
        pytest.xfail(f"known reference disagreement: {KNOWN[form.id]}")
    record_result(form, "DIVERGE", fields)
    pytest.fail(mbrun.explain(img, ["emulator", "qemu"], BUILD, diffs))


# ---- the runner itself ----

FINAL = re.compile(r"(r\w+)=0x([0-9a-f]+)")


@pytest.mark.parametrize("form_id", ["adc_EvGv-o64-mem", "div_Ev-o64-reg", "push_Zv_50-o16", "clts-cpl0"])
def test_runner_state_matches_rax_test(form_id, corpus):  # noqa: F811
    """The multiboot runner rebuilds the machine `rax --test` builds: the
    same image ends in the same registers both ways on the emulator."""
    form = next(f for f in GENERATED if f.id == form_id)
    img = image(form)
    rec = mbrun.run("emulator", BUILD, [img])[str(img)]
    r = subprocess.run([str(rax_path()), "--test", str(img), "--backend", "emulator"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    final = dict(FINAL.findall(r.stdout))
    for reg in mbrun.GPRS + ["rip", "rflags"]:
        ours = rec["regs"].get(reg) or rec["frame"][reg]
        assert int(ours, 16) == int(final[reg], 16), f"{form_id}: {reg} {ours} (mbrun) vs {final[reg]} (rax --test)"
    assert rec["end"] == "exit 0000000000000000"


def test_comparison_finds_a_planted_bug(corpus, monkeypatch):  # noqa: F811
    """A flag bug planted in the interpreter's ADD (src/emu/plant.h) makes the
    emulator differ from QEMU, and the trace names the ADD instruction."""
    form = next(f for f in GENERATED if f.id == "add_EvGv-o64-reg")
    img = image(form)
    monkeypatch.setenv("RAX_EMU_PLANT", "flag")
    a = mbrun.run("emulator", BUILD, [img], steps=True)[str(img)]
    q = mbrun.run("qemu", BUILD, [img], steps=True)[str(img)]
    diffs = mbrun.differences(a, q)
    assert [f for f, _, _ in diffs] == ["steps"], f"only the per-step state should differ: {diffs}"
    text = mbrun.explain(str(img), ["emulator", "qemu"], BUILD, diffs)
    m = re.search(r"first difference after step \d+: the instruction at rip (0x[0-9a-f]+) \(bytes ([0-9a-f ]+)\)",
                  text)
    assert m, text
    code = bytes.fromhex(m.group(2).replace(" ", ""))
    assert code[0] in (0x48, 0x49, 0x4c, 0x4d) and code[1] == 0x01, f"not an ADD Ev,Gv: {text}"
    assert "after: rflags: emulator" in text, text


def test_runner_reports_bad_images(tmp_path, corpus):  # noqa: F811
    """A refused image gets an error line and the run goes on."""
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"RAXT" + bytes([2, 0]) + bytes(60))  # version 2
    good = next(f for f in GENERATED if f.id == "adc_ALIb-o8")
    img = image(good)
    for runner in ("emulator", "qemu"):
        recs = mbrun.run(runner, BUILD, [bad, img])
        assert recs[str(bad)]["end"] == "error unsupported image version", runner
        assert recs[str(img)]["end"] == "exit 0000000000000000", runner
