"""The generated conformance corpus (testcases/README.md): one test per
instruction form of the interpreter's opcode table, each run through rax-diff
against the real CPU (CPL3 images, native oracle) or KVM (CPL0 images).

Form list: testcases/gen_corpus.py reads src/emu/opcodes.def at collection
time, so a new row is a new test. Sources are generated once per session
(under a lock, shared by the xdist workers) into $RAX_BUILD/corpus; each test
assembles its own image and runs rax-diff on it, leaving the JSON result in
$RAX_BUILD/corpus/results/ for tools/opcode_map.py.

A form that diverges FAILS, with rax-diff's report, unless it is listed in
testcases/known_disagreements.json with its reason (then it is an xfail that
must keep failing: strict). A form in testcases/baseline.json that does not
pass is a regression and fails even when listed there. Refresh the baseline
after a full run with:  /usr/bin/python3 tools/opcode_map.py --update-baseline
"""
import fcntl
import json
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import BUILD, ROOT

sys.path.insert(0, str(ROOT / "testcases"))
import gen_corpus  # noqa: E402

CORPUS = BUILD / "corpus"
RESULTS = CORPUS / "results"
KNOWN = json.loads((ROOT / "testcases" / "known_disagreements.json").read_text())["forms"]
BASELINE = set(json.loads((ROOT / "testcases" / "baseline.json").read_text())["passing"])
SEED = int(os.environ.get("RAX_CORPUS_SEED", gen_corpus.DEFAULT_SEED))
CASES = int(os.environ.get("RAX_CORPUS_CASES", gen_corpus.DEFAULT_CASES))
DIFF_OK, DIFF_DIVERGE, DIFF_ERROR, DIFF_SKIP = 0, 1, 3, 4


def _args():
    return ["--out", str(CORPUS), "--seed", str(SEED), "--cases", str(CASES)]


def _forms():
    """Every form of the table (generated or not), computed at collection."""
    CORPUS.mkdir(parents=True, exist_ok=True)
    with open(CORPUS / "corpus.lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        args = gen_corpus.parse_args(_args())
        rows = gen_corpus.opcode_rows(args)
    return gen_corpus.build_forms(rows)


try:
    FORMS = _forms()
    COLLECT_ERROR = None
except Exception as e:  # reported by test_corpus_generates, never a silent empty corpus
    FORMS, COLLECT_ERROR = [], f"{type(e).__name__}: {e}"
GENERATED = [f for f in FORMS if f.status == "generated"]


@pytest.fixture(scope="session")
def corpus():
    """Generate every source once (the xdist workers share the directory)."""
    if COLLECT_ERROR:
        pytest.fail(f"the corpus generator failed: {COLLECT_ERROR}")
    with open(CORPUS / "corpus.lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        stamp = CORPUS / "generated.stamp"
        key = f"{SEED} {CASES} {gen_corpus.table_digest(gen_corpus.opcode_rows(gen_corpus.parse_args(_args())))}"
        key += f" {pathlib.Path(gen_corpus.__file__).stat().st_mtime}"
        if not stamp.exists() or stamp.read_text() != key:
            assert gen_corpus.main(_args()) == 0
            stamp.write_text(key)
    RESULTS.mkdir(parents=True, exist_ok=True)
    return CORPUS


def rax_diff_exe():
    exe = BUILD / "harness" / "rax-diff"
    if not exe.exists():
        pytest.fail(f"{exe} not built")
    return exe


def test_corpus_generates():
    assert COLLECT_ERROR is None, COLLECT_ERROR
    assert len(GENERATED) > 500, "the table yields far fewer forms than expected"
    ids = [f.id for f in FORMS]
    assert len(ids) == len(set(ids)), "form ids must be unique"
    for f in FORMS:
        assert f.status == "generated" or f.reason, f"{f.id}: not generated without a reason"


def test_generation_is_reproducible(tmp_path):
    """The same seed gives the same source; another seed another one."""
    f = next(x for x in GENERATED if x.id.startswith("adc_EvGv-o64-mem"))
    a = gen_corpus.generate(f, SEED, 8)
    assert a == gen_corpus.generate(f, SEED, 8)
    assert a != gen_corpus.generate(f, SEED + 1, 8)


def test_known_and_baseline_name_real_forms():
    ids = {f.id for f in FORMS}
    for k, why in KNOWN.items():
        assert k in ids, f"known_disagreements.json names {k}, which is not a form of the table"
        assert len(why) > 20, f"{k}: the reason must say why"
    missing = sorted(BASELINE - {f.id for f in GENERATED})
    assert not missing, f"forms passing in testcases/baseline.json are no longer generated: {missing[:20]}"


def run_form(form, corpus):
    src = corpus / "asm" / f"{form.id}.asm"
    img = corpus / "bin" / f"{form.id}.bin"
    if not img.exists() or img.stat().st_mtime < src.stat().st_mtime:
        err = gen_corpus.assemble(src, img, ROOT / "asm")
        assert err is None, f"{form.id}: nasm failed: {err}"
    out = RESULTS / f"{form.id}.json"
    r = subprocess.run([str(rax_diff_exe()), "--json", str(out), str(img)], capture_output=True,
                       text=True, timeout=120, env={k: v for k, v in os.environ.items()
                                                    if k != "RAX_EMU_PLANT"})
    return r


@pytest.mark.parametrize("form", GENERATED, ids=[f.id for f in GENERATED])
def test_form(form, corpus):
    r = run_form(form, corpus)
    report = (r.stdout + r.stderr).strip()
    if r.returncode == DIFF_SKIP:
        pytest.skip(report.splitlines()[0] if report else "rax-diff: SKIP")
    ok = r.returncode == DIFF_OK and r.stdout.startswith("PASS")
    if ok:
        if form.id in KNOWN:
            pytest.fail(f"{form.id} passes now: remove it from testcases/known_disagreements.json")
        return
    if form.id in BASELINE:
        pytest.fail(f"REGRESSION: {form.id} passed in testcases/baseline.json and fails now "
                    f"(rax-diff exit {r.returncode}):\n{report}")
    if form.id in KNOWN:
        pytest.xfail(f"known disagreement: {KNOWN[form.id]}")
    pytest.fail(f"{form.id}: rax-diff exit {r.returncode}:\n{report}")


@pytest.mark.parametrize("plant,form_id", [("flag", "add_EvGv-o64-reg"), ("result", "sub_GvEv-o32-mem"),
                                           ("memory", "mov_EvGv-o16-mem"), ("fault", "div_Ev-o64-reg")])
def test_planted_bug_fails_its_form(plant, form_id, corpus):
    """The corpus finds each bug planted in the interpreter (src/emu/plant.h)
    in the form that covers it: the form tests can fail."""
    form = next(f for f in GENERATED if f.id == form_id)
    img = corpus / "bin" / f"{form.id}.bin"
    if not img.exists():
        assert gen_corpus.assemble(corpus / "asm" / f"{form.id}.asm", img, ROOT / "asm") is None
    env = dict(os.environ, RAX_EMU_PLANT=plant)
    r = subprocess.run([str(rax_diff_exe()), str(img)], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == DIFF_DIVERGE, r.stdout + r.stderr
    assert r.stdout.startswith("DIVERGE"), r.stdout
