#!/usr/bin/python3
"""bench/corpus-levels.py - the conformance corpus by ISA level: how many
forms the generator has for the rows of each CPU level (v1 baseline, v2,
v3: the level flag of the form's opcode-table row, src/emu/decode.h V2/V3),
how many it generates images for, and how many of those pass rax-diff,
diverge, error or are skipped (CPL0 forms without KVM), with each level's
steps and rax-diff time.

The forms and rows come from gen_corpus.py's forms.json and opcodes.json in
BUILD/corpus (written by the CMake target `corpus` and pytest). The results
come from a fresh rax-diff run over the images (testcases/*.bin, the
default corpus), on JOBS parallel shards, or with --results from the
per-form JSON that pytest/test_corpus.py leaves in BUILD/corpus/results/.

usage: bench/corpus-levels.py [--build DIR] [--jobs N] [--results] [--oracle native|kvm|auto]
"""
import argparse
import collections
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
LEVELS = ("v1", "v2", "v3")


def level(flags):
    return "v3" if "V3" in flags else "v2" if "V2" in flags else "v1"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("RAX_BUILD", str(ROOT / "build")))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--results", action="store_true",
                    help="read BUILD/corpus/results/*.json (pytest's) instead of running rax-diff")
    ap.add_argument("--oracle", choices=["auto", "kvm", "native"])
    a = ap.parse_args()
    build = pathlib.Path(a.build).resolve()
    corpus = build / "corpus"
    try:
        forms = json.loads((corpus / "forms.json").read_text())["forms"]
        rows = {r["index"]: r for r in json.loads((corpus / "opcodes.json").read_text())["rows"]}
    except OSError as e:
        sys.exit(f"corpus-levels: {e}: build the corpus first (cmake --build {build})")
    lvl = {f["id"]: level(rows[f["row"]]["flags"]) for f in forms}
    gen = [f for f in forms if f["status"] == "generated"]
    results, seconds = {}, None
    if a.results:
        for f in gen:
            p = corpus / "results" / f"{f['id']}.json"
            if p.exists():
                results[f["id"]] = json.loads(p.read_text())["tests"][0]
    else:
        diff = build / "harness" / "rax-diff"
        if not diff.exists():
            sys.exit(f"corpus-levels: {diff} not built")
        imgs = [ROOT / "testcases" / f["image"] for f in gen]
        missing = [p for p in imgs if not p.exists()]
        if missing:
            sys.exit(f"corpus-levels: {len(missing)} images missing (e.g. {missing[0]}): build the corpus first")
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.monotonic()
            procs = []
            for i in range(a.jobs):
                js = pathlib.Path(tmp) / f"run{i}.json"
                cmd = [str(diff), "--quiet", "--json", str(js), "--shard", f"{i}/{a.jobs}"]
                cmd += (["--oracle", a.oracle] if a.oracle else []) + [str(p) for p in imgs]
                procs.append((subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), js))
            for p, js in procs:
                p.wait()
                for t in json.loads(js.read_text())["tests"]:
                    results[t["name"][:-4]] = t
            seconds = time.monotonic() - t0
    count = {k: collections.Counter() for k in LEVELS}
    steps = collections.Counter()
    secs = collections.Counter()
    for f in forms:
        c = count[lvl[f["id"]]]
        c["forms"] += 1
        if f["status"] != "generated":
            continue
        c["images"] += 1
        t = results.get(f["id"])
        c[t["status"].lower() if t else "no result"] += 1
        if t:
            steps[lvl[f["id"]]] += t.get("steps", 0)
            secs[lvl[f["id"]]] += t.get("seconds", 0.0)
    cols = ["forms", "images", "pass", "diverge", "error", "skip", "no result"]
    print(f"{'level':6}" + "".join(f"{c:>10}" for c in cols) + f"{'steps':>10}{'seconds':>9}")
    total = collections.Counter()
    for k in LEVELS:
        total.update(count[k])
        print(f"{k:6}" + "".join(f"{count[k][c]:>10}" for c in cols) + f"{steps[k]:>10}{secs[k]:>9.1f}")
    print(f"{'all':6}" + "".join(f"{total[c]:>10}" for c in cols) + f"{sum(steps.values()):>10}"
          f"{sum(secs.values()):>9.1f}")
    src = "pytest's results in " + str(corpus / "results") if a.results else \
        f"rax-diff over testcases/*.bin, {a.jobs} shards, {seconds:.1f} s wall"
    print(f"(levels: the V2/V3 flag of each form's row; results: {src})")


if __name__ == "__main__":
    main()
