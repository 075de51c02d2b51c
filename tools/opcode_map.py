#!/usr/bin/python3
"""opcode_map.py - where the interpreter stands, per instruction form and per opcode.

Reads the corpus manifest (forms.json and opcodes.json, written by
testcases/gen_corpus.py) and rax-diff --json results (the per-form files that
pytest/test_corpus.py leaves in CORPUS/results/, and/or whole-run files given
with --results) and the QEMU comparison's results (CORPUS/results/ID.qemu.json
from pytest/test_corpus_qemu.py), and writes:

  opcode_map.json  per form: row, opcode, size, kind, variant, and its status
                   against the native CPU, KVM and QEMU ("not run" where a
                   reference was not run); per cell and overall counts; the
                   numbers for the project note
  opcode_map.html  the one-byte, 0F, 0F38 and 0F3A maps and the VEX 0F, 0F38
                   and 0F3A maps as 16x16 grids, each cell coloured
                   untested / failing / passing (CPU) / passing (CPU+QEMU) /
                   passing (CPU+KVM) / passing (CPU+KVM+QEMU), form counts in the
                   cell, details on hover
  opcode_map.txt   the same as text: one line per form, then the grids

Usage:
  tools/opcode_map.py [--corpus DIR] [--results FILE...] [--out DIR]
  tools/opcode_map.py --update-baseline    # testcases/baseline.json := forms passing now
  tools/opcode_map.py --check-baseline     # exit 1 when a baseline form does not pass

DIR defaults to $RAX_BUILD/corpus (RAX_BUILD defaults to ./build).
"""
import argparse
import html
import json
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "testcases"))
import gen_corpus  # noqa: E402

BASELINE = ROOT / "testcases" / "baseline.json"
KNOWN = ROOT / "testcases" / "known_disagreements.json"
REFERENCE = ROOT / "testcases" / "reference_disagreements.json"


def load_results(corpus, extra):
    """form id -> {oracle: (status, reason)} from rax-diff (and mbrun) JSON files;
    for each oracle a later file (a rerun) replaces an earlier result."""
    files = sorted((corpus / "results").glob("*.json")) if (corpus / "results").is_dir() else []
    files += [pathlib.Path(p) for p in extra]
    res = {}
    for p in files:
        try:
            d = json.loads(p.read_text())
        except (OSError, ValueError):
            continue  # a run cut short leaves a partial file: its forms count as not run
        for t in d.get("tests", []):
            fid = t["name"][:-4] if t["name"].endswith(".bin") else t["name"]
            oracle = t.get("oracle") or ""
            st = t.get("status", "ERROR")
            if st == "SKIP":
                oracle = "kvm"  # a SKIP here is a CPL0 image waiting for KVM
            if oracle not in ("native", "kvm", "qemu"):
                oracle = "native"
            res.setdefault(fid, {})[oracle] = (st, t.get("reason", ""))
    return res


# The grids: (cell map key, title); VEX rows are keyed 4 + their map.
MAPS = ((0, "one-byte map"), (1, "0F map"), (2, "0F38 map"), (3, "0F3A map"),
        (5, "VEX 0F map"), (6, "VEX 0F38 map"), (7, "VEX 0F3A map"))


def map_key(row):
    return 4 + row["map"] if "VEX" in row["flags"] else row["map"]


def gp_row(row):
    """Whether a row belongs to the 64-bit general-purpose (integer/system) instruction set
    (rows that exist only outside 64-bit mode, flag I64, do not)."""
    if "I64" in row["flags"]:
        return False
    if row["map"] == 0 and 0xD8 <= row["op"] <= 0xDF:
        return False
    ops = row["operands"].split(",")
    if any(t[:1] in ("V", "W", "U", "P", "Q", "N") for t in ops if t):
        return False
    m = row["mnem"]
    if row["map"] == 1 and (m.startswith(("sse(", "fxsave", "fxrstor", "ldmxcsr", "stmxcsr", "emms"))):
        return False
    return True


def base_forms(row):
    """(size, kind) pairs of a row: the denominator's unit of counting."""
    return [(s, k) for s in gen_corpus.sizes_of(row) for k in gen_corpus.kinds_of(row)]


def summarize(corpus, extra):
    rows = json.loads((corpus / "opcodes.json").read_text())["rows"]
    man = json.loads((corpus / "forms.json").read_text())
    res = load_results(corpus, extra)
    known = json.loads(KNOWN.read_text())["forms"] if KNOWN.exists() else {}
    ref = json.loads(REFERENCE.read_text())["forms"] if REFERENCE.exists() else {}
    forms = []
    for f in man["forms"]:
        r = res.get(f["id"], {})
        st = {}
        for o in ("native", "kvm", "qemu"):
            if f["status"] != "generated":
                st[o] = "not generated"
            elif o in r:
                st[o] = r[o][0]
            else:
                st[o] = "not run"
        reason = next((r[o][1] for o in ("native", "kvm") if o in r and r[o][0] != "PASS"), "")
        forms.append(dict(f, native=st["native"], kvm=st["kvm"], qemu=st["qemu"],
                          detail=reason or f.get("reason", ""), known=known.get(f["id"]),
                          known_qemu=ref.get(f["id"]), qemu_detail=r["qemu"][1] if "qemu" in r else ""))
    # numbers: base forms (row x size x kind) of the general-purpose rows
    valid = impl = covered = passing = passing_qemu = 0
    by_row = {}
    for f in forms:
        if f["variant"] is None and f["status"] == "generated":
            by_row.setdefault(f["row"], []).append(f)
    same = lambda a, b: a is None or b is None or a == b  # noqa: E731
    for row in rows:
        if not gp_row(row):
            continue
        for s, k in base_forms(row):
            valid += 1
            if "UNIMPL" in row["flags"]:
                continue
            impl += 1
            fs = [f for f in by_row.get(row["index"], []) if same(f["size"], s) and same(f["kind"], k)]
            if fs:
                covered += 1
                if all(f["native"] == "PASS" or f["cpl"] == 0 for f in fs) and \
                        any(f["native"] == "PASS" for f in fs):
                    passing += 1
                if all(f["qemu"] == "PASS" for f in fs):
                    passing_qemu += 1
    count = lambda key, val: sum(1 for f in forms if f[key] == val)  # noqa: E731
    numbers = {
        "denominator_source": "src/emu/opcodes.def rows (implemented and UNIMPL) outside x87/SSE/MMX, "
                              "each counted once per operand size (8/16/32/64 as the row allows) and operand "
                              "kind (register/memory); the table lists only what the project models, so "
                              "this undercounts the architecture (no 0F38/0F3A maps, BMI, POPCNT, ...)",
        "gp_forms_valid": valid, "gp_forms_implemented": impl, "gp_forms_covered": covered,
        "gp_forms_passing_native": passing, "gp_forms_passing_qemu": passing_qemu,
        "corpus_forms": len(forms), "corpus_forms_generated": count("status", "generated"),
        "corpus_forms_passing_native": count("native", "PASS"),
        "corpus_forms_failing_native": sum(1 for f in forms if f["native"] in ("DIVERGE", "ERROR")),
        "corpus_forms_skipped_cpl0": count("kvm", "SKIP"),
        "corpus_forms_cpl0": sum(1 for f in forms if f["cpl"] == 0),
        "kvm": "not run here (no /dev/kvm)" if not any(f["kvm"] == "PASS" for f in forms) else
               f"{count('kvm', 'PASS')} passing",
        "qemu": f"{count('qemu', 'PASS')} forms agree with QEMU, "
                f"{sum(1 for f in forms if f['qemu'] == 'DIVERGE' and f['known_qemu'])} known reference "
                f"disagreements, {sum(1 for f in forms if f['qemu'] in ('DIVERGE', 'ERROR') and not f['known_qemu'])} "
                f"unexplained" if any(f["qemu"] != "not run" and f["qemu"] != "not generated" for f in forms)
                else "not run",
        "corpus_forms_agreeing_qemu": count("qemu", "PASS"),
    }
    cells = {}
    for row in rows:
        if "I64" in row["flags"]:
            continue  # the maps are 64-bit mode's
        c = cells.setdefault((map_key(row), row["op"]), {"rows": 0, "unimpl_rows": 0, "forms": []})
        c["rows"] += 1
        c["unimpl_rows"] += "UNIMPL" in row["flags"]
    by_index = {row["index"]: row for row in rows}
    for f in forms:
        key = map_key(by_index[f["row"]]) if f.get("row") in by_index else f["map"]
        cells.setdefault((key, f["op"]), {"rows": 0, "unimpl_rows": 0, "forms": []})["forms"].append(f)
    return forms, cells, numbers


def cell_state(c):
    fs = c["forms"]
    ran = [f for f in fs if f["native"] in ("PASS", "DIVERGE", "ERROR")]
    if not c["rows"]:
        return "none"
    if not ran:
        return "unimpl" if c["unimpl_rows"] == c["rows"] else "untested"
    if any(f["native"] in ("DIVERGE", "ERROR") for f in ran):
        return "failing"
    if all(f["kvm"] == "PASS" and f["qemu"] == "PASS" for f in ran):
        return "pass-all"
    if all(f["kvm"] == "PASS" for f in ran):
        return "pass-kvm"
    if all(f["qemu"] == "PASS" for f in ran):
        return "pass-cpu-qemu"
    return "pass-cpu"


COLORS = {"none": "#ffffff", "unimpl": "#e8e0c8", "untested": "#cccccc", "failing": "#e06060",
          "pass-cpu": "#8fd18f", "pass-cpu-qemu": "#7fc7c7", "pass-kvm": "#4fa84f", "pass-all": "#2f7fbf"}
LEGEND = [("none", "no row (#UD)"), ("unimpl", "only UNIMPL rows"), ("untested", "implemented, not run"),
          ("failing", "a form diverges"), ("pass-cpu", "passing against the CPU"),
          ("pass-cpu-qemu", "passing against the CPU and QEMU"),
          ("pass-kvm", "passing against CPU and KVM"), ("pass-all", "passing against CPU, KVM and QEMU")]


def cell_counts(c):
    n = lambda st: sum(1 for f in c["forms"] if f["native"] == st)  # noqa: E731
    bad = n("DIVERGE") + n("ERROR")
    return n("PASS"), bad, len(c["forms"])


def write_html(path, cells, numbers):
    out = ["<!doctype html><meta charset=utf-8><title>RAX opcode map</title><style>",
           "body{font:13px sans-serif} table{border-collapse:collapse;margin:1em 0}",
           "td,th{border:1px solid #999;width:64px;height:40px;text-align:center;font-size:11px}",
           "td small{display:block;color:#222}</style>",
           "<h1>RAX interpreter: opcode map</h1>",
           f"<p>General-purpose forms: {numbers['gp_forms_valid']} valid (source: "
           f"{html.escape(numbers['denominator_source'])}), {numbers['gp_forms_implemented']} implemented, "
           f"{numbers['gp_forms_covered']} covered by the corpus, {numbers['gp_forms_passing_native']} "
           f"passing against the native CPU, {numbers['gp_forms_passing_qemu']} agreeing with QEMU. "
           f"KVM: {html.escape(numbers['kvm'])}; QEMU: {html.escape(numbers['qemu'])}.</p>",
           "<p>" + " ".join(f"<span style='background:{COLORS[k]};border:1px solid #999;padding:2px 6px'>"
                            f"{html.escape(v)}</span>" for k, v in LEGEND) + "</p>",
           "<p>Cell: mnemonic, then passing/failing/all forms against the CPU. Hover for the forms.</p>"]
    for mp, title in MAPS:
        out.append(f"<h2>{title}</h2><table><tr><th></th>" +
                   "".join(f"<th>x{lo:X}</th>" for lo in range(16)) + "</tr>")
        for hi in range(16):
            out.append(f"<tr><th>{hi:X}x</th>")
            for lo in range(16):
                c = cells.get((mp, hi * 16 + lo), {"rows": 0, "unimpl_rows": 0, "forms": []})
                st = cell_state(c)
                p, b, n = cell_counts(c)
                tip = "\n".join(f"{f['id']}: CPU {f['native']}, KVM {f['kvm']}, QEMU {f['qemu']}"
                                + (f" ({f['detail'][:120]})" if f["native"] not in ("PASS",) and f["detail"]
                                   else "")
                                + (f" (QEMU: {f['qemu_detail'][:120]})" if f["qemu"] == "DIVERGE" else "")
                                for f in c["forms"])
                mn = sorted({f["mnem"].split("|")[0] for f in c["forms"]})
                label = html.escape(mn[0][:8]) if len(mn) == 1 else (html.escape(mn[0][:6]) + "&hellip;" if mn else "")
                out.append(f"<td style='background:{COLORS[st]}' title='{html.escape(tip, quote=True)}'>"
                           f"{label}<small>{p}/{b}/{n}</small></td>" if c["rows"] or c["forms"] else
                           f"<td style='background:{COLORS[st]}'></td>")
            out.append("</tr>")
        out.append("</table>")
    path.write_text("\n".join(out) + "\n")


def write_text(path, forms, cells, numbers):
    lines = [f"{'form':44} {'map':>3} {'op':>4} {'/r':>3} {'cpl':>3}  {'CPU':13} {'KVM':13} {'QEMU':8}"]
    for f in sorted(forms, key=lambda f: (f["map"], f["op"], f["reg"], f["id"])):
        lines.append(f"{f['id']:44} {f['map']:>3} {f['op']:>#4x} {f['reg'] if f['reg'] >= 0 else '-':>3} "
                     f"{f['cpl']:>3}  {f['native']:13} {f['kvm']:13} {f['qemu']:8}"
                     + (f"  {f['detail'][:100]}" if f["native"] in ("DIVERGE", "ERROR") else ""))
    sym = {"none": " .", "unimpl": " u", "untested": " -", "failing": " X", "pass-cpu": " +",
           "pass-cpu-qemu": " q", "pass-kvm": " K", "pass-all": " Q"}
    for mp, title in MAPS:
        lines += ["", f"{title}: . no row  u UNIMPL only  - not run  X failing  + passing (CPU)  "
                  "q (+QEMU)  K (+KVM)  Q (+KVM+QEMU)", "    " + "".join(f" {lo:X}" for lo in range(16))]
        for hi in range(16):
            lines.append(f" {hi:X}x " + "".join(
                sym[cell_state(cells.get((mp, hi * 16 + lo), {"rows": 0, "unimpl_rows": 0, "forms": []}))]
                for lo in range(16)))
    lines += [""] + [f"{k}: {v}" for k, v in numbers.items()]
    path.write_text("\n".join(lines) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    build = pathlib.Path(os.environ.get("RAX_BUILD", ROOT / "build"))
    ap.add_argument("--corpus", default=str(build / "corpus"))
    ap.add_argument("--results", nargs="*", default=[], help="rax-diff --json files")
    ap.add_argument("--out", help="output directory (default: the corpus directory)")
    ap.add_argument("--update-baseline", action="store_true")
    ap.add_argument("--check-baseline", action="store_true")
    a = ap.parse_args(argv)
    corpus = pathlib.Path(a.corpus)
    if not (corpus / "forms.json").exists():
        print(f"opcode_map: {corpus}/forms.json missing: run testcases/gen_corpus.py --out {corpus} "
              "(or the corpus tests) first", file=sys.stderr)
        return 2
    forms, cells, numbers = summarize(corpus, a.results)
    out = pathlib.Path(a.out or corpus)
    out.mkdir(parents=True, exist_ok=True)
    (out / "opcode_map.json").write_text(json.dumps(
        {"numbers": numbers, "forms": forms,
         "cells": [{"map": m, "op": o, "state": cell_state(c), "rows": c["rows"],
                    "forms": [f["id"] for f in c["forms"]]} for (m, o), c in sorted(cells.items())]},
        indent=1) + "\n")
    write_html(out / "opcode_map.html", cells, numbers)
    write_text(out / "opcode_map.txt", forms, cells, numbers)
    passing = sorted(f["id"] for f in forms if f["native"] == "PASS")
    print(f"opcode_map: {len(forms)} forms, {len(passing)} passing against the CPU -> {out}/opcode_map.{{json,html,txt}}")
    for k, v in numbers.items():
        if k != "denominator_source":
            print(f"  {k}: {v}")
    status = 0
    if a.check_baseline:
        base = json.loads(BASELINE.read_text())["passing"]
        st = {f["id"]: f["native"] for f in forms}
        bad = [b for b in base if st.get(b) != "PASS"]
        for b in bad:
            print(f"REGRESSION: {b}: {st.get(b, 'no such form')}", file=sys.stderr)
        status = 1 if bad else 0
    if a.update_baseline:
        ran = sum(1 for f in forms if f["status"] == "generated" and
                  (f["native"] != "not run" or f["kvm"] != "not run"))
        gen = sum(1 for f in forms if f["status"] == "generated")
        if ran < gen:
            print(f"opcode_map: only {ran} of {gen} generated forms have results: run the whole corpus "
                  "before --update-baseline", file=sys.stderr)
            return 2
        BASELINE.write_text(json.dumps({"comment": json.loads(BASELINE.read_text())["comment"]
                                        if BASELINE.exists() else "", "passing": passing}, indent=1) + "\n")
        print(f"opcode_map: {BASELINE} updated: {len(passing)} forms")
    return status


if __name__ == "__main__":
    sys.exit(main())
