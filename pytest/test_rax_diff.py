"""rax-diff: the lockstep differential runner (harness/).

Runs here with the native (ptrace) oracle for CPL3 images; KVM-only paths
check the documented "KVM unavailable" result when /dev/kvm is missing.
Bad command lines, bad and mutated images and bad --kernel inputs are in
test_hostile.py.
"""
import json

import pytest

from conftest import BUILD, kvm_probe, kvm_require, rax_diff

DIFF_OK, DIFF_DIVERGE, DIFF_USAGE, DIFF_ERROR, DIFF_SKIP, DIFF_NO_ORACLE = 0, 1, 2, 3, 4, 14
# A host without KVM, on any host: the KVM device path rax honours (README).
NO_KVM = {"RAX_KVM_DEVICE": "/nonexistent/kvm"}


def images():
    return sorted((BUILD / "asm").glob("t_*.bin")) + sorted((BUILD / "asm").glob("diff_*.bin"))


def is_cpl3(p):
    b = p.read_bytes()
    return b[:4] == b"RAXT" and b[9] == 3


@pytest.fixture(scope="module")
def native_run(tmp_path_factory):
    """Every CPL3 image against the native oracle, in one rax-diff process:
    {image name: its JSON report entry}, and the run's output."""
    out = tmp_path_factory.mktemp("native") / "r.json"
    r = rax_diff(["--oracle", "native", "--json", out] + [p for p in images() if is_cpl3(p)])
    return {t["name"]: t for t in json.loads(out.read_text())["tests"]}, r.stdout + r.stderr


@pytest.mark.xdist_group("native_run")
@pytest.mark.parametrize("img", [p for p in images() if is_cpl3(p)], ids=lambda p: p.name)
def test_cpl3_images_pass_native(img, native_run):
    tests, out = native_run
    assert img.name in tests, out
    assert tests[img.name]["status"] == "PASS", (tests[img.name], out)


def test_auto_oracle_never_errors_because_of_the_host():
    """--oracle auto picks per image an oracle that runs it on silicon (rax
    --kvm-info): every CPL3 image passes (KVM or native), a CPL0 image passes
    on a hardware KVM and is SKIP with the reason elsewhere; never ERROR."""
    imgs = images()
    r = rax_diff(["--quiet"] + imgs)
    lines = {l.split()[1]: l for l in r.stdout.splitlines() if l[:4] in ("PASS", "SKIP", "DIVE", "ERRO")}
    usable, kind, _ = kvm_probe()
    for img in imgs:
        line = lines[str(img)]
        if is_cpl3(img) or kind == "hardware":
            assert line.startswith("PASS"), line
        else:
            assert line.startswith("SKIP"), line
            assert ("emulates CPL0 code in software" if usable else "needs the KVM oracle") in line, line
    assert r.returncode in (DIFF_OK, DIFF_SKIP), r.stdout[-3000:]


def test_images_no_oracle_can_run_are_skip_status_4():
    """Images whose needs no available oracle meets: SKIP with the reason and
    exit status 4, never 3 (here: CPL0 images on a host without KVM)."""
    cpl0 = [p for p in images() if not is_cpl3(p)]
    r = rax_diff(cpl0, env=NO_KVM)
    assert r.returncode == DIFF_SKIP, r.stdout + r.stderr
    skips = [l for l in r.stdout.splitlines() if l.startswith("SKIP")]
    assert len(skips) == len(cpl0) and all("needs the KVM oracle" in l for l in skips), r.stdout


def test_kvm_oracle_goes_as_far_as_the_host_allows():
    """--oracle kvm on this host's KVM, whatever its kind: no image ERRORs.
    On a hardware KVM every image passes; where the host emulates CPL0 code,
    an instruction it cannot run ends that image as SKIP with its bytes."""
    kvm_require()
    r = rax_diff(["--oracle", "kvm", "--quiet"] + images(), timeout=600)
    assert " 0 errors" in r.stdout, r.stdout[-3000:]
    assert not [l for l in r.stdout.splitlines() if l.startswith("ERROR")], r.stdout[-3000:]
    if kvm_probe()[1] == "hardware":
        assert r.returncode == DIFF_OK, r.stdout[-3000:]
    for l in r.stdout.splitlines():
        if l.startswith("SKIP"):
            assert "cannot run it on this host" in l or "int 0x" in l, l


def test_cpl0_image_is_skip_not_pass():
    cpl0 = [p for p in images() if not is_cpl3(p)]
    if not cpl0:
        pytest.skip("no CPL0 test image built")
    r = rax_diff(["--oracle", "native", cpl0[0]])
    assert r.returncode == DIFF_SKIP
    assert r.stdout.startswith("SKIP") and "KVM" in r.stdout


def test_oracle_kvm_unavailable(tmp_path):
    r = rax_diff(["--oracle", "kvm", images()[0]], env=NO_KVM)
    assert r.returncode == DIFF_NO_ORACLE
    assert "KVM unavailable" in r.stderr


def test_kernel_mode_without_kvm():
    """A valid --kernel run on a host without KVM: the documented status 14."""
    kernel = BUILD / "asm" / "testkernel.bin"  # a bzImage (asm/testkernel.asm)
    r = rax_diff(["--kernel", kernel, "--steps", "100"], env=NO_KVM)
    assert r.returncode == DIFF_NO_ORACLE, r.stderr
    assert "KVM unavailable" in r.stderr and "kernel boot prefix" in r.stderr
    assert r.stdout == ""


def test_kernel_help_documents_it():
    h = rax_diff(["--help"])
    assert "--kernel" in h.stdout and "nokaslr" in h.stdout and "--timeout" in h.stdout


def test_shard_partitions():
    imgs = images()
    seen = []
    for i in range(3):
        r = rax_diff(["--quiet", "--shard", f"{i}/3"] + imgs)
        seen += [l.split()[1] for l in r.stdout.splitlines()
                 if l.split() and l.split()[0] in ("PASS", "DIVERGE", "ERROR", "SKIP")]
    assert sorted(seen) == sorted(str(p) for p in imgs)
    assert len(seen) == len(set(seen))


def test_help():
    h = rax_diff(["--help"])
    assert h.returncode == 0 and "Exit status" in h.stdout


def test_json_report(tmp_path):
    out = tmp_path / "r.json"
    imgs = [p for p in images() if is_cpl3(p)][:2]
    r = rax_diff(["--json", out] + imgs)
    doc = json.loads(out.read_text())
    assert len(doc["tests"]) == 2
    for t in doc["tests"]:
        assert t["status"] in ("PASS", "DIVERGE", "ERROR", "SKIP")
        assert isinstance(t["steps"], int)
    assert doc["summary"]["pass"] + doc["summary"]["diverge"] + doc["summary"]["error"] + \
        doc["summary"]["skip"] == 2


PLANTS = {"flag": "rflags", "result": None, "memory": "memory", "fault": "exception"}


@pytest.mark.xdist_group("native_run")
@pytest.mark.parametrize("plant", sorted(PLANTS))
def test_planted_bug_is_found(plant, tmp_path, native_run):
    """With one emulator behaviour broken on purpose, an image that passes
    without the plant diverges where the plant breaks it (images in order
    until one does)."""
    tests, _ = native_run
    imgs = [p for p in images() if is_cpl3(p) and tests.get(p.name, {}).get("status") == "PASS"]
    assert imgs, "no CPL3 image passes without a planted bug"
    out = tmp_path / "p.json"
    d = None
    for img in imgs:  # the first divergence of the kind the plant makes
        r = rax_diff(["--oracle", "native", "--json", out, img], env={"RAX_EMU_PLANT": plant})
        assert r.returncode in (DIFF_OK, DIFF_DIVERGE), r.stdout + r.stderr
        div = [t for t in json.loads(out.read_text())["tests"] if t["status"] == "DIVERGE"]
        if div and (not PLANTS[plant] or PLANTS[plant] in div[0]["divergences"][0]["what"]):
            d = div[0]["divergences"][0]
            break
    assert d, f"RAX_EMU_PLANT={plant}: no image diverges in {PLANTS[plant] or 'any field'}"
    assert d["step"] >= 1 and d["disasm"]
    if PLANTS[plant]:
        assert PLANTS[plant] in d["what"]
    if d["fields"]:
        f = d["fields"][0]
        assert f["emu"] != f["oracle"]


# ---- command-line values (bad ones: test_hostile.py) ----

def test_wellformed_shard_and_steps():
    img = [p for p in images() if is_cpl3(p)][0]
    r = rax_diff(["--oracle", "native", "--shard", "0/1", "--steps", "100000", img])
    assert r.returncode == DIFF_OK, r.stdout + r.stderr
