"""The generated conformance corpus (testcases/README.md): one test per
instruction form of the interpreter's opcode table, each run through rax-diff
against the real CPU (CPL3 images, native oracle) or KVM (CPL0 images).

Form list: testcases/gen_corpus.py reads src/emu/opcodes.def at collection
time, so a new row is a new test. Sources and images are generated once per
session (under a lock, shared by the xdist workers): sources into
$RAX_BUILD/corpus, images, assembled in parallel, into testcases/*.bin, the
same ones the CMake target `corpus` builds and `rax-diff testcases/*.bin`
runs (only with RAX_CORPUS_SEED or RAX_CORPUS_CASES set do they go to
$RAX_BUILD/corpus/bin instead). Both skip what is up to date.

Batched: the first test_form a process gets runs rax-diff once over every
selected form (all of them, or those left by -k), split into chunks run by
as many rax-diff processes at a time as there are xdist workers (one without
xdist); the xdist workers share that run through a lock and a file under
$RAX_BUILD/corpus/runs/. Each test then reads its own image's result: the
status, and its part of rax-diff's output (the per-image line and the
divergence report). The per-form JSON result (rax-diff --json, one test) is
left in $RAX_BUILD/corpus/results/ID.json for tools/opcode_map.py. When a
chunk's rax-diff crashes, times out or leaves no complete JSON, each of its
images is rerun alone: a form whose own run crashes or hangs fails saying so,
and the form that was running when the chunk died fails too (with its own
result) when it passes alone, so a crash is never lost; the other forms get
their own results.

A form that diverges (or ERRORs) FAILS, with rax-diff's report, unless it is
listed in testcases/known_disagreements.json with its reason (then it is an
xfail that must keep failing: strict). A form in testcases/baseline.json
that does not pass is a regression and fails even when listed there. A SKIP
(rax-diff exit 4: no oracle here, e.g. CPL0 images without KVM) is a skip
with rax-diff's line as the reason. Refresh the baseline after a full run
with:  /usr/bin/python3 tools/opcode_map.py --update-baseline

Environment: RAX_DIFF_ORACLE=auto|kvm|native is passed to rax-diff as
--oracle (unset: no --oracle, rax-diff's own auto choice); RAX_CORPUS_SEED,
RAX_CORPUS_CASES change the corpus; RAX_CORPUS_CHUNK is the number of images
per rax-diff process (default 400: each process starts with the KVM probe,
about 0.35 s where /dev/kvm exists).
"""
import concurrent.futures
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import BUILD, ROOT

sys.path.insert(0, str(ROOT / "testcases"))
import gen_corpus  # noqa: E402

CORPUS = BUILD / "corpus"
RESULTS = CORPUS / "results"
RUNS = CORPUS / "runs"
KNOWN = json.loads((ROOT / "testcases" / "known_disagreements.json").read_text())["forms"]
BASELINE = set(json.loads((ROOT / "testcases" / "baseline.json").read_text())["passing"])
SEED = int(os.environ.get("RAX_CORPUS_SEED", gen_corpus.DEFAULT_SEED))
CASES = int(os.environ.get("RAX_CORPUS_CASES", gen_corpus.DEFAULT_CASES))
# the default corpus is the one in the source tree (testcases/*.bin); another seed gets its own copy
BIN = ROOT / "testcases" if (SEED, CASES) == (gen_corpus.DEFAULT_SEED, gen_corpus.DEFAULT_CASES) else CORPUS / "bin"
ORACLE = os.environ.get("RAX_DIFF_ORACLE", "")
CHUNK = max(1, int(os.environ.get("RAX_CORPUS_CHUNK", 400)))
WORKERS = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", 1)))
RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"pid{os.getpid()}")
STALL = int(os.environ.get("RAX_CORPUS_STALL", 120))  # seconds without output (one image)
MAX_STALLS = 3  # consecutive hung images before the rest of a chunk is given up
DIFF_OK, DIFF_DIVERGE, DIFF_ERROR, DIFF_SKIP = 0, 1, 3, 4
EXIT_OF = {"PASS": DIFF_OK, "DIVERGE": DIFF_DIVERGE, "ERROR": DIFF_ERROR, "SKIP": DIFF_SKIP}


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


def image_path(form):
    return BIN / f"{form.id}.bin"


@pytest.fixture(scope="session")
def corpus():
    """Generate every source and assemble every image once (gen_corpus skips
    what is up to date; the xdist workers and the CMake target share it)."""
    if COLLECT_ERROR:
        pytest.fail(f"the corpus generator failed: {COLLECT_ERROR}")
    with open(CORPUS / "corpus.lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        rc = gen_corpus.main(_args() + ["--assemble", "--bin-dir", str(BIN)])
        if rc != 0:
            pytest.fail(f"gen_corpus.py {' '.join(_args())} --assemble --bin-dir {BIN} failed (exit {rc}): "
                        "see its ERROR lines above")
    RESULTS.mkdir(parents=True, exist_ok=True)
    return CORPUS


def rax_diff_exe():
    exe = BUILD / "harness" / "rax-diff"
    if not exe.exists():
        pytest.fail(f"{exe} not built")
    return exe


def diff_cmd():
    return [str(rax_diff_exe())] + (["--oracle", ORACLE] if ORACLE else [])


def diff_env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "RAX_EMU_PLANT"}
    env.update(extra)
    return env


# ---- batched rax-diff ----

def _text(b):
    return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")


def _died(rc):
    if rc < 0:
        try:
            return f"was killed by signal {-rc} ({signal.Signals(-rc).name})"
        except ValueError:
            return f"was killed by signal {-rc}"
    return f"exited with status {rc}"


def _run(paths):
    """rax-diff over paths: (why, stdout, stderr, {basename: json test}, stalled).
    why is None when it ended normally with one JSON result per image, else
    why not; it is killed (stalled) when it prints nothing for STALL seconds
    (one image's limit, as before batching; rax-diff prints a line per image)."""
    js = RUNS / RUN_ID / f"chunk-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}.json"
    p = subprocess.Popen(diff_cmd() + ["--json", str(js)] + paths, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, errors="replace",
                         env=diff_env(), start_new_session=True)
    out, err, last = [], [], [time.monotonic()]

    def read_out():
        for line in p.stdout:
            out.append(line)
            last[0] = time.monotonic()

    readers = [threading.Thread(target=read_out, daemon=True),
               threading.Thread(target=lambda: err.append(p.stderr.read()), daemon=True)]
    for t in readers:
        t.start()
    stalled = False
    while True:
        try:
            rc = p.wait(timeout=1)
            break
        except subprocess.TimeoutExpired:
            if time.monotonic() - last[0] > STALL:
                stalled = True
                os.killpg(p.pid, signal.SIGKILL)  # with the native oracle's traced child
    for t in readers:
        t.join(timeout=10)
    out, err = "".join(out), "".join(err)
    tests = {}
    try:
        tests = {t["name"]: t for t in json.loads(js.read_text())["tests"]}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    js.unlink(missing_ok=True)
    if stalled:
        return f"printed nothing for {STALL} s (killed)", out, err, tests, True
    if rc not in EXIT_OF.values():
        return _died(rc), out, err, tests, False
    missing = [q for q in paths if os.path.basename(q) not in tests]
    if missing:
        return f"exited {rc} without a JSON result for {os.path.basename(missing[0])}", out, err, tests, False
    return None, out, err, tests, False


def _sections(paths, stdout):
    """Each image's part of rax-diff's stdout: its line ("STATUS  PATH  ...")
    and what follows it (the divergence report), up to the next image's line
    or the summary. Images print in the order given (sorted, as rax-diff sorts)."""
    sec, cur, i = {}, None, 0
    for line in stdout.splitlines():
        head = line.split(None, 1)
        if (i < len(paths) and len(head) == 2 and head[0] in EXIT_OF
                and head[1].startswith(paths[i] + "  ")):
            cur = paths[i]
            sec[cur] = [line]
            i += 1
        elif line.startswith("rax-diff: ") and " tests: " in line:
            cur = None
        elif cur is not None:
            sec[cur].append(line)
    return {p: "\n".join(v).strip() for p, v in sec.items()}


def _result(test, report, stderr, note=None):
    st = test.get("status", "ERROR")
    return {"status": st, "exit": EXIT_OF.get(st, DIFF_ERROR), "report": report, "stderr": stderr.strip(),
            "test": test, "note": note}


def _broken(path, why, out, err):
    name = os.path.basename(path)
    test = {"name": name, "status": "ERROR", "reason": f"rax-diff {why}", "oracle": ""}
    report = f"rax-diff {why}:\n{out.strip()}".strip()
    return {"status": "BROKEN", "exit": None, "report": report, "stderr": err.strip(), "test": test,
            "note": None}


def _run_chunk(paths, stalls=0):
    """Results of one chunk (path -> result). When its rax-diff does not end
    normally, the image it was running is run alone (a hang is not run again)
    and the rest of the chunk again, so every other form gets its own result;
    after MAX_STALLS hangs in a row the rest of the chunk is not run (each of
    its forms fails saying so), so a host where every image hangs costs
    minutes, not hours."""
    if stalls >= MAX_STALLS:
        return {p: _broken(p, f"was not run: rax-diff printed nothing for {STALL} s on each of the "
                              f"{stalls} images before it in its chunk", "", "") for p in paths}
    why, out, err, tests, stalled = _run(paths)
    sec = _sections(paths, out)
    if why is None:
        return {p: _result(tests[os.path.basename(p)], sec.get(p, ""), err) for p in paths}
    running = next((p for p in paths if p not in sec), paths[-1])
    where = (f"in a chunk of {len(paths)} images (image {paths.index(running) + 1}, "
             f"the chunk starts at {os.path.basename(paths[0])})")
    if stalled:
        res = {running: _broken(running, f"{why} on this image {where}", sec.get(running, ""), err)}
    else:
        why1, out1, err1, tests1, _ = _run([running])
        if why1 is not None:
            res = {running: _broken(running, f"{why1} on this image alone", out1, err1)}
        else:
            res = {running: _result(tests1[os.path.basename(running)], _sections([running], out1).get(running, ""),
                                    err1, note=f"rax-diff {why} while running this image {where}, but ends "
                                               f"normally on it alone; the chunk's stderr:\n{err.strip()}")}
    rest = [p for p in paths if p != running]
    if rest:
        res.update(_run_chunk(rest, (stalls + 1 if running == paths[0] else 1) if stalled else 0))
    return res


def _write_result(form, res):
    RESULTS.mkdir(parents=True, exist_ok=True)
    t = res["test"]
    counts = {k: int(t.get("status") == k.upper()) for k in ("pass", "diverge", "error", "skip")}
    tmp = RESULTS / f".{form.id}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"tool": "rax-diff", "tests": [t], "summary": counts}) + "\n")
    os.replace(tmp, RESULTS / f"{form.id}.json")


def run_batch(forms):
    """rax-diff over the images of forms: {form id: result}, in chunks of
    CHUNK images, WORKERS chunks at a time."""
    by_path = {str(image_path(f)): f for f in forms}
    paths = sorted(by_path)  # rax-diff's order (strcmp of the names)
    n = max(1, min(CHUNK, -(-len(paths) // WORKERS)))
    chunks = [paths[i:i + n] for i in range(0, len(paths), n)]
    out = {}
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as ex:
        for res in ex.map(_run_chunk, chunks):
            for p, r in res.items():
                out[by_path[p].id] = r
                _write_result(by_path[p], r)
    return out


def _selected(session):
    """The forms whose test_form is in this session (the same in every xdist worker)."""
    ids = set()
    for item in session.items:
        if item.path.name == "test_corpus.py" and getattr(item, "originalname", None) == "test_form":
            ids.add(item.callspec.params["form"].id)
    return [f for f in GENERATED if f.id in ids]


@pytest.fixture(scope="session")
def diff_results(request, corpus):
    """{form id: result} of one batched rax-diff run over the selected forms,
    made by the first worker that needs it and read by the others."""
    forms = _selected(request.session)
    run = RUNS / RUN_ID
    if not run.exists():
        run.mkdir(parents=True, exist_ok=True)
        for old in RUNS.iterdir():  # earlier sessions' runs
            if old != run and time.time() - old.stat().st_mtime > 6 * 3600:
                shutil.rmtree(old, ignore_errors=True)
    done = run / "results.json"
    with open(run / "lock", "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if done.exists():
            return json.loads(done.read_text())
        res = run_batch(forms)
        tmp = done.with_suffix(".tmp")
        tmp.write_text(json.dumps(res))
        os.replace(tmp, done)
        return res


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


def test_images_are_the_generators(corpus):
    """Every generated form has its image in the image directory, and no
    image there is left over from a form that is gone."""
    have = {p.stem for p in BIN.glob("*.bin")}
    want = {f.id for f in GENERATED}
    assert not sorted(want - have)[:20], f"images missing from {BIN}"
    assert not sorted(have - want)[:20], f"stale images in {BIN}"


@pytest.mark.parametrize("form", GENERATED, ids=[f.id for f in GENERATED])
def test_form(form, diff_results):
    r = diff_results.get(form.id)
    assert r is not None, f"{form.id}: the batched rax-diff run has no result for it"
    report = r["report"] or f"(no output for {form.id}; rax-diff's stderr: {r['stderr']})"
    if r["status"] == "BROKEN":
        pytest.fail(f"{form.id}: {report}\n{r['stderr']}".strip())
    if r["note"]:
        pytest.fail(f"{form.id}: {r['note']}\nits own result:\n{report}")
    if r["exit"] == DIFF_SKIP:
        pytest.skip(report.splitlines()[0] if report else "rax-diff: SKIP")
    if r["exit"] == DIFF_OK and report.startswith("PASS"):
        if form.id in KNOWN:
            pytest.fail(f"{form.id} passes now: remove it from testcases/known_disagreements.json")
        if "V3" in form.row["flags"] and form.cpl == 3 and "exit call" not in report.splitlines()[0]:
            # every fault a v3 image expects is caught: an image that ends in an
            # exception ran its form on neither side (an encoding both #UD)
            pytest.fail(f"{form.id}: passes but does not reach its exit call:\n{report}")
        return
    if form.id in BASELINE:
        pytest.fail(f"REGRESSION: {form.id} passed in testcases/baseline.json and fails now "
                    f"(rax-diff {r['status']}, exit {r['exit']}):\n{report}")
    if form.id in KNOWN:
        pytest.xfail(f"known disagreement: {KNOWN[form.id]}")
    pytest.fail(f"{form.id}: rax-diff {r['status']} (exit {r['exit']}):\n{report}")


@pytest.mark.parametrize("plant,form_id", [("flag", "add_EvGv-o64-reg"), ("result", "sub_GvEv-o32-mem"),
                                           ("memory", "mov_EvGv-o16-mem"), ("fault", "div_Ev-o64-reg")])
def test_planted_bug_fails_its_form(plant, form_id, corpus):
    """The corpus finds each bug planted in the interpreter (src/emu/plant.h)
    in the form that covers it: the form tests can fail."""
    form = next(f for f in GENERATED if f.id == form_id)
    r = subprocess.run(diff_cmd() + [str(image_path(form))], capture_output=True, text=True, timeout=120,
                       env=diff_env(RAX_EMU_PLANT=plant))
    assert r.returncode == DIFF_DIVERGE, r.stdout + r.stderr
    assert r.stdout.startswith("DIVERGE"), r.stdout


CRASHER = """#!/usr/bin/python3
# stands in for rax-diff: runs the real one on the images before BOMB (its
# output and JSON as far as they got), then dies by SIGSEGV (MODE=crash),
# hangs (MODE=hang), or, given the bomb alone, runs it normally (MODE=flaky);
# MODE=hang-all hangs on any image
import os, signal, subprocess, sys, time
real, bomb, mode = sys.argv[1], sys.argv[2], os.environ["MODE"]
args = sys.argv[3:]
imgs = [a for a in args if a.endswith(".bin")]
if mode == "hang-all":
    time.sleep(600)
if bomb in imgs and not (mode == "flaky" and len(imgs) == 1):
    before = args[:args.index(bomb)]
    if [a for a in before if a.endswith(".bin")]:
        subprocess.run([real] + before)
    sys.stdout.flush()
    if mode == "hang":
        time.sleep(600)
    os.kill(os.getpid(), signal.SIGSEGV)
os.execv(real, [real] + args)
"""


@pytest.mark.parametrize("mode", ["crash", "flaky", "hang", "hang-all"])
def test_batch_survives_a_crash(corpus, tmp_path, monkeypatch, mode):
    """A rax-diff that dies or hangs in a chunk loses no other form's result:
    an image that kills rax-diff alone, or on which it hangs, fails with the
    reason; when the image it died on runs normally alone, that image fails
    saying so; the others get their own results. After three hangs in a row
    the rest of the chunk is given up, each form failing with the reason."""
    names = ["a_add.bin", "b_adc.bin", "c_bomb.bin", "d_sub.bin"]
    src = ["add_EvGv-o64-reg", "adc_ALIb-o8", "mov_EvGv-o16-mem", "sub_GvEv-o32-mem"]
    paths = []
    for name, fid in zip(names, src):
        shutil.copy(image_path(next(f for f in GENERATED if f.id == fid)), tmp_path / name)
        paths.append(str(tmp_path / name))
    bomb = paths[2]
    wrapper = tmp_path / "crasher"
    wrapper.write_text(CRASHER)
    wrapper.chmod(0o755)
    real = rax_diff_exe()
    mod = sys.modules[__name__]
    monkeypatch.setattr(mod, "diff_cmd",
                        lambda: [str(wrapper), str(real), bomb] + (["--oracle", ORACLE] if ORACLE else []))
    monkeypatch.setattr(mod, "STALL", 3)
    monkeypatch.setenv("MODE", mode)
    (RUNS / RUN_ID).mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    res = _run_chunk(paths)
    assert time.monotonic() - t0 < 60
    monkeypatch.undo()
    if mode == "hang-all":  # three hangs, then the rest is given up
        assert [res[p]["status"] for p in paths] == ["BROKEN"] * 4, res
        assert all("printed nothing for 3 s" in res[p]["report"] for p in paths[:3]), res
        assert "was not run" in res[paths[3]]["report"], res
        return
    alone = _run_chunk(paths)  # the real rax-diff
    for p in paths:
        r = res[p]
        if p == bomb and mode != "flaky":
            assert r["status"] == "BROKEN" and r["test"]["status"] == "ERROR", r
            assert ("signal 11" if mode == "crash" else "printed nothing for 3 s") in r["report"], r
            continue
        assert r["status"] == alone[p]["status"], (p, r, alone[p])
        assert r["report"].split("  ")[0] == alone[p]["report"].split("  ")[0], (p, r)
        if p == bomb:
            assert "signal 11" in r["note"] and "image 3," in r["note"], r
        else:
            assert r["note"] is None, (p, r)
