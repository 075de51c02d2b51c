#!/usr/bin/env bash
# bench/corpus.sh - time the whole conformance corpus (testcases/README.md):
# generate, assemble, and run every image through rax-diff on N parallel
# shards (default: the number of cores), then print the corpus wall time,
# the number of forms and images, the lockstep steps and steps per second;
# then the same images through the multiboot runner (testcases/mbrun.py)
# on the interpreter and on QEMU TCG, batches of 100 per boot, with both
# wall times and how many images agree (RAX_CORPUS_NO_QEMU=1 skips it).
#
# usage: bench/corpus.sh [BUILD_DIR [JOBS]]   (BUILD_DIR default: build)
# RAX_CORPUS_ONLY=REGEX limits it to matching forms (a quick check).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
jobs=${2:-$(nproc)}
diff="$build/harness/rax-diff"
[ -x "$diff" ] || { echo "bench/corpus.sh: $diff not built" >&2; exit 2; }
out="$build/corpus-bench"
rm -rf "$out"
t0=$(date +%s.%N)
/usr/bin/python3 testcases/gen_corpus.py --out "$out" --assemble --jobs "$jobs" \
	${RAX_CORPUS_ONLY:+--only "$RAX_CORPUS_ONLY"} >/dev/null
t1=$(date +%s.%N)
pids=()
for ((i = 0; i < jobs; i++)); do
	"$diff" --quiet --json "$out/run$i.json" --shard "$i/$jobs" "$out"/bin/*.bin >"$out/run$i.txt" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
t2=$(date +%s.%N)
/usr/bin/python3 - "$out" "$t0" "$t1" "$t2" "$jobs" <<'PY'
import json, pathlib, sys
out, t0, t1, t2, jobs = pathlib.Path(sys.argv[1]), *map(float, sys.argv[2:5]), int(sys.argv[5])
forms = json.loads((out / "forms.json").read_text())["forms"]
imgs = {p.stem for p in (out / "bin").glob("*.bin")}
tests = []
for p in sorted(out.glob("run*.json")):
    tests += json.loads(p.read_text())["tests"]
steps = sum(t["steps"] for t in tests)
st = {}
for t in tests:
    st[t["status"]] = st.get(t["status"], 0) + 1
run = t2 - t1
print(f"corpus wall time: {t2 - t0:.1f} s (generate+assemble {t1 - t0:.1f} s, rax-diff {run:.1f} s on {jobs} shards)")
print(f"forms: {len(forms)} in the table ({sum(f['status'] == 'generated' for f in forms)} generated, {len(imgs)} built now)")
print(f"images: {len(tests)}  " + "  ".join(f"{k} {v}" for k, v in sorted(st.items())))
print(f"steps: {steps}  steps/s: {steps / run:.0f} (wall, all shards)")
PY
[ -n "${RAX_CORPUS_NO_QEMU:-}" ] && exit 0
/usr/bin/python3 - "$out" "$build" "$jobs" <<'PY'
import concurrent.futures, json, pathlib, sys, time
sys.path.insert(0, "testcases")
import mbrun
out, build, jobs = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
skip = set(json.loads(pathlib.Path("testcases/reference_disagreements.json").read_text())["not_runnable"])
imgs = sorted(str(p) for p in (out / "bin").glob("*.bin") if p.stem not in skip)
batches = [imgs[i:i + 100] for i in range(0, len(imgs), 100)]
res, secs = {}, {}
for runner in ("emulator", "qemu"):
    t = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        parts = list(ex.map(lambda b: mbrun.run(runner, build, b), batches))
    secs[runner] = time.monotonic() - t
    res[runner] = {k: v for p in parts for k, v in p.items()}
same = sum(1 for i in imgs if not mbrun.differences(res["emulator"][i], res["qemu"][i]))
print(f"multiboot runner, {len(imgs)} images in {len(batches)} boots on {jobs} cores: "
      f"emulator {secs['emulator']:.1f} s, QEMU TCG {secs['qemu']:.1f} s; {same} images agree, "
      f"{len(imgs) - same} differ (pytest/test_corpus_qemu.py names them and their reasons)")
PY
