"""rax-diff: the lockstep differential runner (harness/).

Runs here with the native (ptrace) oracle for CPL3 images; KVM-only paths
check the documented "KVM unavailable" result when /dev/kvm is missing.
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


@pytest.mark.parametrize("img", [p for p in images() if is_cpl3(p)], ids=lambda p: p.name)
def test_cpl3_images_pass_native(img):
    r = rax_diff(["--oracle", "native", img])
    assert r.returncode == DIFF_OK, r.stdout + r.stderr
    assert r.stdout.startswith("PASS")


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


def test_kernel_inputs_validated_before_kvm(tmp_path):
    """Bad --kernel input is a usage error (2) with one line saying which,
    whether or not the host has KVM."""
    kernel = BUILD / "asm" / "testkernel.bin"
    img = [p for p in images() if is_cpl3(p)][0]
    short = tmp_path / "short-bzImage"
    short.write_bytes(kernel.read_bytes()[:1024])
    cases = [
        (["--kernel", "/nonexistent", "--steps", "10"], "cannot read kernel"),
        (["--kernel", img, "--steps", "10"], "not a bzImage"),
        (["--kernel", short, "--steps", "10"], "truncated"),
        (["--kernel", tmp_path, "--steps", "10"], "not a regular file"),
        (["--kernel", kernel], "--steps"),
        (["--kernel", kernel, "--steps", "0"], "--steps"),
        (["--kernel", kernel, "--steps", "10", "--initrd", "/nonexistent"], "cannot read initrd"),
        (["--kernel", kernel, "--steps", "10", img], "no test images"),
        (["--kernel", kernel, "--steps", "10", "--oracle", "native"], "KVM oracle"),
        (["--kernel", kernel, "--steps", "10", "--shard", "0/2"], "--shard"),
        (["--kernel", kernel, "--steps", "10", "--timeout", "-1"], "--timeout"),
        (["--kernel", kernel, "--steps", "10", "--cmdline", "x" * 70000], "--cmdline"),
        (["--initrd", kernel, img], "need --kernel"),
    ]
    for args, msg in cases:
        r = rax_diff(args)
        assert r.returncode == DIFF_USAGE, (args[:4], r.stderr)
        assert msg in r.stderr, (args[:4], r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1


def test_kernel_help_documents_it():
    h = rax_diff(["--help"])
    assert "--kernel" in h.stdout and "nokaslr" in h.stdout and "--timeout" in h.stdout


def test_corrupt_and_truncated_images(tmp_path):
    good = [p for p in images() if is_cpl3(p)][0].read_bytes()
    bad = tmp_path / "corrupt.bin"
    bad.write_bytes(b"RAXT" + b"\xff" * 60)
    short = tmp_path / "truncated.bin"
    short.write_bytes(good[:20])
    for p in (bad, short):
        r = rax_diff([p])
        assert r.returncode == DIFF_ERROR, r.stdout
        lines = [l for l in r.stdout.splitlines() if l.startswith("ERROR")]
        assert len(lines) == 1 and p.name in lines[0]


def test_shard_partitions():
    imgs = images()
    seen = []
    for i in range(3):
        r = rax_diff(["--quiet", "--shard", f"{i}/3"] + imgs)
        seen += [l.split()[1] for l in r.stdout.splitlines()
                 if l.split() and l.split()[0] in ("PASS", "DIVERGE", "ERROR", "SKIP")]
    assert sorted(seen) == sorted(str(p) for p in imgs)
    assert len(seen) == len(set(seen))


def test_usage_errors():
    assert rax_diff(["--shard", "3/3", "x"]).returncode == DIFF_USAGE
    assert rax_diff(["--oracle", "qemu", "x"]).returncode == DIFF_USAGE
    assert rax_diff([]).returncode == DIFF_USAGE
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


@pytest.mark.parametrize("plant", sorted(PLANTS))
def test_planted_bug_is_found(plant, tmp_path):
    imgs = [p for p in images() if is_cpl3(p) and rax_diff(["--quiet", p]).returncode == DIFF_OK]
    if not imgs:
        pytest.skip("no CPL3 image passes without a planted bug")
    out = tmp_path / "p.json"
    r = rax_diff(["--json", out] + imgs, env={"RAX_EMU_PLANT": plant})
    if r.returncode == DIFF_OK:
        pytest.skip("RAX_EMU_PLANT has no call sites in the interpreter yet (see harness report)")
    doc = json.loads(out.read_text())
    div = [t for t in doc["tests"] if t["status"] == "DIVERGE"]
    assert div, r.stdout
    d = div[0]["divergences"][0]
    assert d["step"] >= 1 and d["disasm"]
    if PLANTS[plant]:
        assert PLANTS[plant] in d["what"]
    if d["fields"]:
        f = d["fields"][0]
        assert f["emu"] != f["oracle"]


# ---- command-line values and input files ----

import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent


def one_line(r, *needles):
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("rax-diff: "), lines[0]
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("opt", ["--json", "--shard", "--steps", "--oracle", "--step-mode", "--mem", "--kernel",
                                 "--initrd", "--cmdline", "--timeout"])
def test_missing_value_is_not_unknown_option(opt):
    r = rax_diff([opt])
    assert r.returncode == DIFF_USAGE, r.stderr
    line = one_line(r, f"option '{opt}' needs a value (see --help)")
    assert "unknown" not in line


@pytest.mark.parametrize("opt,value", [
    ("--shard", "1/3/4"), ("--shard", "0/4294967297"), ("--shard", "4/4"), ("--shard", "/3"), ("--shard", "1/"),
    ("--shard", "-1/3"), ("--shard", "+1/3"), ("--shard", "0/0"), ("--shard", " 1/3"), ("--shard", "1/3 "),
    ("--shard", "1 /3"), ("--shard", "1/ 3"), ("--shard", ""), ("--shard", "1"),
    ("--steps", "-1"), ("--steps", "abc"), ("--steps", "1x"), ("--steps", ""), ("--steps", "0"),
    ("--steps", "+5"), ("--steps", " 5"), ("--steps", "18446744073709551616"),
    ("--mem", "-64M"), ("--mem", "64M "),
    ("--timeout", "-1"), ("--timeout", "1e3"), ("--timeout", "nan"),
])
def test_malformed_numbers(opt, value):
    img = [p for p in images() if is_cpl3(p)][0]
    r = rax_diff([opt, value, img])
    assert r.returncode == DIFF_USAGE, (r.stdout, r.stderr)
    one_line(r, opt, f"'{value}'")
    assert r.stdout == ""


def test_wellformed_shard_and_steps():
    img = [p for p in images() if is_cpl3(p)][0]
    r = rax_diff(["--oracle", "native", "--shard", "0/1", "--steps", "100000", img])
    assert r.returncode == DIFF_OK, r.stdout + r.stderr


def _special(tmp_path, kind):
    if kind == "fifo":
        p = tmp_path / "fifo"
        os.mkfifo(p)
        return p, "a FIFO"
    if kind == "dir":
        return tmp_path, "a directory"
    if kind == "chardev":
        return pathlib.Path("/dev/zero"), "a character device"
    import socket
    p = tmp_path / "sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(p))
    _special.keep.append(s)
    return p, "a socket"


_special.keep = []


@pytest.mark.parametrize("kind", ["fifo", "dir", "chardev", "socket"])
def test_non_regular_image_is_error_not_hang(tmp_path, kind):
    p, word = _special(tmp_path, kind)
    r = rax_diff(["--oracle", "native", p], timeout=30)
    assert r.returncode == DIFF_ERROR, r.stdout + r.stderr
    lines = [l for l in r.stdout.splitlines() if l.startswith("ERROR")]
    assert len(lines) == 1 and "not a regular file" in lines[0] and f"({word})" in lines[0], r.stdout


@pytest.mark.parametrize("kind", ["fifo", "dir", "chardev", "socket"])
@pytest.mark.parametrize("opt", ["--kernel", "--initrd"])
def test_non_regular_kernel_inputs_refused(tmp_path, opt, kind):
    p, word = _special(tmp_path, kind)
    kernel = BUILD / "asm" / "testkernel.bin"
    args = ["--kernel", p, "--steps", "10"] if opt == "--kernel" else ["--kernel", kernel, "--initrd", p,
                                                                          "--steps", "10"]
    r = rax_diff(args, timeout=30)
    assert r.returncode == DIFF_USAGE, r.stdout + r.stderr
    one_line(r, f"'{p}'", "not a regular file", f"({word})")


@pytest.mark.parametrize("kind,words", [
    ("bzimage", ["not a RAX test image", "Linux bzImage", "--kernel"]),
    ("elf", ["not a RAX test image", "ELF"]),
    ("text", ["not a RAX test image", "text file"]),
    ("empty", ["empty test image"]),
])
def test_wrong_file_as_image(tmp_path, kind, words):
    f = tmp_path / kind
    if kind == "bzimage":
        f.write_bytes((BUILD / "asm" / "testkernel.bin").read_bytes())
    elif kind == "elf":
        f.write_bytes(pathlib.Path("/bin/true").read_bytes())
    elif kind == "text":
        f.write_text("just some notes\nabout nothing\n")
    else:
        f.write_bytes(b"")
    r = rax_diff(["--oracle", "native", f], timeout=30)
    assert r.returncode == DIFF_ERROR, r.stdout + r.stderr
    lines = [l for l in r.stdout.splitlines() if l.startswith("ERROR")]
    assert len(lines) == 1, r.stdout
    for w in words:
        assert w in lines[0], lines[0]


def test_json_unwritable_is_one_line(tmp_path):
    img = [p for p in images() if is_cpl3(p)][0]
    bad = tmp_path / "no" / "such" / "dir" / "r.json"
    for args in (["--json", bad, img], ["--json", bad, "--kernel", BUILD / "asm" / "testkernel.bin",
                                        "--steps", "10"]):
        r = rax_diff(args, env=NO_KVM)
        assert r.returncode == DIFF_USAGE, r.stdout + r.stderr
        one_line(r, "--json", str(bad), "No such file or directory")
        assert r.stdout == ""


def test_json_unwritable_no_leak_under_asan(tmp_path):
    """The ASan+UBSan build (ci/test.sh builds it in build-asan; $RAX_ASAN_BUILD
    overrides) leaks nothing on this error path."""
    asan = pathlib.Path(os.environ.get("RAX_ASAN_BUILD", ROOT / "build-asan"))
    exe = asan / "harness" / "rax-diff"
    if not exe.exists():
        print(f"no ASan build at {asan} (ci/build.sh build-asan -DRAX_SANITIZE=ON ...)")
        pytest.skip(f"no ASan build: {exe} does not exist")
    img = [p for p in images() if is_cpl3(p)][0]
    bad = tmp_path / "no" / "such" / "dir" / "r.json"
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", RAX_KVM_DEVICE="/nonexistent/kvm")
    env.pop("RAX_EMU_PLANT", None)
    for args in (["--json", bad, img], ["--json", bad, img, img], ["--shard", "9/3", img], ["--steps", "x", img],
                 ["--json"], ["--bogus"]):
        r = subprocess.run([str(exe)] + [str(a) for a in args], capture_output=True, text=True, env=env,
                           timeout=120)
        assert "LeakSanitizer" not in r.stderr and "ERROR: AddressSanitizer" not in r.stderr, r.stderr
        assert "runtime error" not in r.stderr, r.stderr
        assert r.returncode == DIFF_USAGE, r.stderr
