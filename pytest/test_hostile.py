"""Nothing a user, a reader, an input file or a guest does can wedge rax.

The one hostile-input module (issue 12): bad command lines and input files
for rax and rax-diff, kernels and test images mutated from a seed, huge and
tiny sizes, a guest that reads and writes where there is no RAM, blocked and
closed console output, signals at every stage of a run, the terminal left as
it was found, idle guests that must sleep on the host. Each case asserts a
documented exit status (README "Exit status"), one line on stderr or the
documented outcome, no sanitizer report, and an end within a bound.

Mutants are reproducible: mutant I of a kind comes from
random.Random("KIND:SEED:I") applied to a fixed base file; the test ids carry
the seed, a failure names the seed, the index and the mutations. Set
RAX_HOSTILE_SEED for another seed and RAX_HOSTILE_MUTANTS for another number
per kind (default 60). The guests are small multiboot kernels
(asm/mb_flood*.asm, asm/mb_idle.asm, asm/mb_wild.asm) that run on both
backends; Linux is booted for the interactive (realtime clock) case (marked
`boot`: CI runs the rest of the module again against the ASan+UBSan build,
`-m "not boot"`, ci/test.sh).
"""
import concurrent.futures
import os
import pathlib
import pty
import random
import re
import select
import signal
import socket
import struct
import subprocess
import termios
import time

import pytest

from conftest import (BUILD, INTERNAL, OK, RESET, SHUTDOWN, SIGNAL, TIMEOUT, USAGE, asm_image, debug_exit_status,
                      guest_asset, kvm_require, rax_diff, rax_path, run_rax)

OUTPUT = 16  # the console output's reader went away (src/vm.h)
FLOOD_BYTES = 200000  # asm/mb_flood.asm
BACKENDS = ["emulator", "kvm"]
SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"]
DIFF_OK, DIFF_DIVERGE, DIFF_USAGE, DIFF_ERROR, DIFF_SKIP = 0, 1, 2, 3, 4
SANITIZER = ("Sanitizer", "runtime error")
SEED = int(os.environ.get("RAX_HOSTILE_SEED", "20261204"))
MUTANTS = int(os.environ.get("RAX_HOSTILE_MUTANTS", "60"))
CHUNK = 10  # mutants per test case
SLOW = 30  # seconds: a run with --timeout 2 that takes longer is a finding (60: a hang)


def backend_args(backend):
    if backend == "kvm":
        kvm_require()
    return ["--backend", backend]


def spawn(args, **kw):
    return subprocess.Popen([str(rax_path())] + [str(a) for a in args], stderr=subprocess.PIPE, **kw)


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def wait_end(p, bound):
    """Wait at most `bound` seconds; returns (status, stderr lines, seconds)."""
    t0 = time.monotonic()
    try:
        p.wait(timeout=bound)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        pytest.fail(f"rax did not end within {bound} s")
    err = p.stderr.read().decode(errors="replace").splitlines()
    return p.returncode, err, time.monotonic() - t0


def wait_caught(p, sig, bound=10):
    """Wait until process p catches sig (its handler is installed: rax's
    main has begun; before that the default action is all any process has)."""
    bit = 1 << (getattr(signal, sig) - 1)
    t0 = time.monotonic()
    while time.monotonic() - t0 < bound and p.poll() is None:
        try:
            with open(f"/proc/{p.pid}/status") as f:
                caught = int([l for l in f if l.startswith("SigCgt:")][0].split()[1], 16)
        except (OSError, IndexError):
            caught = 0
        if caught & bit:
            return
        time.sleep(0.0005)


def no_sanitizer(text):
    assert not any(w in text for w in SANITIZER), text[-4000:]


def assert_one_line(err, must):
    """stderr holds the line `must` names, at most one other (bytes not
    written), and no sanitizer report."""
    assert any(must in line for line in err), err
    assert len(err) <= 2, err
    assert not any("Sanitizer" in line or "runtime error" in line for line in err), err


def one_line_error(r, *needles, prog="rax"):
    """stderr is exactly one line, "PROG: ...", holding every needle; no sanitizer report."""
    no_sanitizer(r.stderr)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"{prog}: "), lines[0]
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def resolve(args, tmp_path=None):
    """Arguments with placeholders: '@NAME' is build/asm/NAME.bin, '@tmp/F'
    a path in tmp_path; in a comma-separated list each item counts."""
    def one(a):
        if a.startswith("@tmp/"):
            return str(tmp_path / a[5:])
        if a.startswith("@"):
            return str(asm_image(a[1:]))
        return a
    return [",".join(one(x) for x in a.split(",")) if isinstance(a, str) and a.startswith("@") else a
            for a in args]


def sparse(path, size):
    """A file of `size` bytes that takes no disk space (truncate -s)."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


# ---- 1. the command line: unknown options, missing values, malformed numbers ----

RAX_USAGE = [
    ("no-kernel", [], ["no --kernel or --test given"]),
    ("unknown-option", ["--frobnicate"], ["unknown option", "--frobnicate"]),
    ("unknown-short-option", ["-x"], ["unknown option '-x'"]),
    ("stray-argument", ["--kernel", "@testkernel", "extra"], ["unexpected argument 'extra'"]),
    ("unknown-backend", ["--kernel", "@testkernel", "--backend", "bochs"], ["backend", "bochs"]),
    ("unknown-clock", ["--backend", "emulator", "--clock", "sometimes", "--kernel", "@mb_idle"],
     ["unknown --clock 'sometimes' (virtual or realtime)"]),
    ("virtual-clock-on-kvm", ["--backend", "kvm", "--clock", "virtual", "--kernel", "@mb_idle"],
     ["--clock virtual needs --backend emulator"]),
    ("kvm-info-and-kernel", ["--kvm-info", "--kernel", "@testkernel"], ["--kvm-info takes no other options"]),
    ("test-and-kernel", ["--test", "@t_string", "--kernel", "@testkernel"], ["--test cannot be combined"]),
    ("test-and-initrd", ["--test", "@t_string", "--initrd", "@mb_elf"], ["--test cannot be combined"]),
    ("empty-initrd-name", ["--kernel", "@mb_aout", "--initrd", "@mb_elf,,@mb_elf"], ["empty file name in --initrd"]),
    ("bzimage-two-initrds", ["--kernel", "@testkernel", "--initrd", "@mb_aout,@mb_elf"],
     ["a bzImage takes one initrd, 2 were given"]),
    ("cmdline-too-long", ["--kernel", "@testkernel", "--cmdline", "x" * 5000], ["command line"]),
    ("mem-1M", ["--kernel", "@testkernel", "--mem", "1M"], ["memory size", "out of range"]),
    ("mem-64G", ["--kernel", "@testkernel", "--mem", "64G"], ["memory size", "out of range"]),
]


@pytest.mark.parametrize("args,needles", [c[1:] for c in RAX_USAGE], ids=[c[0] for c in RAX_USAGE])
def test_rax_usage_error(args, needles):
    r = run_rax(resolve(args), timeout=30)
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, *needles)


@pytest.mark.parametrize("opt", ["--kernel", "--initrd", "--cmdline", "--mem", "--backend", "--timeout", "--rtc",
                                 "--test", "--clock"])
def test_rax_missing_value(opt):
    """`rax --kernel` says the value is missing, not "unknown option"."""
    r = run_rax([opt])
    assert r.returncode == USAGE, r.stderr
    assert "unknown" not in one_line_error(r, f"option '{opt}' needs a value (see --help)")


@pytest.mark.parametrize("opt", ["--json", "--shard", "--steps", "--oracle", "--step-mode", "--mem", "--kernel",
                                 "--initrd", "--cmdline", "--timeout"])
def test_rax_diff_missing_value(opt):
    r = rax_diff([opt])
    assert r.returncode == DIFF_USAGE, r.stderr
    assert "unknown" not in one_line_error(r, f"option '{opt}' needs a value (see --help)", prog="rax-diff")


RAX_MALFORMED = [("--mem", v) for v in ["12Q", "abc", "", "-1M", "+64M", " 64M", "64M ", "0x10M", "64MM",
                                        "18446744073709551616", "99999999999999999999G"]] + \
    [("--timeout", v) for v in ["soon", "-1", "+5", " 5", "5 ", "1e3", "inf", "nan", "0x10", "", ".", "0",
                                "5s"]] + \
    [("--rtc", v) for v in ["-1", "+5", "", "1x", "99999999999999999999", "0x10", " 5"]]


@pytest.mark.parametrize("opt,value", RAX_MALFORMED)
def test_rax_malformed_number(opt, value):
    """Plain decimal only: one line naming the option and the value."""
    r = run_rax(["--kernel", asm_image("testkernel"), opt, value])
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, opt, repr(value) if value else "''")


DIFF_MALFORMED = [("--shard", v) for v in ["1/3/4", "0/4294967297", "4/4", "/3", "1/", "-1/3", "+1/3", "0/0",
                                           " 1/3", "1/3 ", "1 /3", "1/ 3", "", "1", "3/3"]] + \
    [("--steps", v) for v in ["-1", "abc", "1x", "", "0", "+5", " 5", "18446744073709551616"]] + \
    [("--mem", "-64M"), ("--mem", "64M "), ("--mem", "0"), ("--mem", "16777217"), ("--timeout", "-1"),
     ("--timeout", "1e3"), ("--timeout", "nan")]


def _cpl3_image():
    return [p for p in sorted((BUILD / "asm").glob("t_*.bin")) if p.read_bytes()[9] == 3][0]


@pytest.mark.parametrize("opt,value", DIFF_MALFORMED)
def test_rax_diff_malformed_number(opt, value):
    r = rax_diff([opt, value, _cpl3_image()])
    assert r.returncode == DIFF_USAGE, (r.stdout, r.stderr)
    one_line_error(r, opt, f"'{value}'", prog="rax-diff")
    assert r.stdout == ""


@pytest.mark.parametrize("args", [["--oracle", "qemu", "x"], ["--step-mode", "sometimes", "x"], [], ["--bogus"]],
                         ids=["oracle", "step-mode", "no-images", "unknown-option"])
def test_rax_diff_usage_error(args):
    r = rax_diff(args)
    assert r.returncode == DIFF_USAGE, r.stderr
    one_line_error(r, prog="rax-diff")


# ---- 2. input files: missing, not regular, empty, the wrong kind, cut short ----

def _special(tmp_path, kind, keep):
    """A path of the given kind, and the words the refusal names it by."""
    if kind == "fifo":
        p = tmp_path / "fifo"
        os.mkfifo(p)
        return p, "a FIFO"
    if kind == "dir":
        return tmp_path, "a directory"
    if kind == "chardev":
        return pathlib.Path("/dev/zero"), "a character device"
    p = tmp_path / "sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(p))
    keep.append(s)  # bound for the test's life
    return p, "a socket"


SPECIAL = ["fifo", "dir", "chardev", "socket"]
ROLES = {  # how rax gets the file f
    "--kernel": lambda f: ["--kernel", f],
    "--initrd": lambda f: ["--kernel", asm_image("testkernel"), "--initrd", f],
    "module": lambda f: ["--kernel", asm_image("mb_aout"), "--initrd", f"{asm_image('mb_elf')},{f}"],
    "--test": lambda f: ["--test", f],
}


def _role_args(role, f):
    return ROLES[role](f)


@pytest.mark.parametrize("kind", SPECIAL)
@pytest.mark.parametrize("role", sorted(ROLES))
def test_non_regular_input_refused(tmp_path, role, kind):
    """Never opened for reading (a FIFO without a writer would block): one
    line naming the file and its kind, status 2."""
    keep = []
    p, word = _special(tmp_path, kind, keep)
    r = run_rax(["--backend", "emulator"] + _role_args(role, p), timeout=20)
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, f"'{p}'", "not a regular file", f"({word})")


@pytest.mark.parametrize("kind", SPECIAL)
def test_rax_diff_non_regular_image_is_error_not_hang(tmp_path, kind):
    keep = []
    p, word = _special(tmp_path, kind, keep)
    r = rax_diff(["--oracle", "native", p], timeout=30)
    assert r.returncode == DIFF_ERROR, r.stdout + r.stderr
    no_sanitizer(r.stderr)
    lines = [l for l in r.stdout.splitlines() if l.startswith("ERROR")]
    assert len(lines) == 1 and "not a regular file" in lines[0] and f"({word})" in lines[0], r.stdout


@pytest.mark.parametrize("kind", SPECIAL)
@pytest.mark.parametrize("opt", ["--kernel", "--initrd"])
def test_rax_diff_non_regular_kernel_inputs_refused(tmp_path, opt, kind):
    keep = []
    p, word = _special(tmp_path, kind, keep)
    kernel = asm_image("testkernel")
    args = ["--kernel", p] if opt == "--kernel" else ["--kernel", kernel, "--initrd", p]
    r = rax_diff(args + ["--steps", "10"], timeout=30)
    assert r.returncode == DIFF_USAGE, r.stdout + r.stderr
    one_line_error(r, f"'{p}'", "not a regular file", f"({word})", prog="rax-diff")


@pytest.mark.parametrize("role", sorted(ROLES))
def test_missing_input_file(tmp_path, role):
    f = tmp_path / "none"
    r = run_rax(["--backend", "emulator"] + _role_args(role, f), timeout=20)
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, f"'{f}'", "No such file or directory")


@pytest.mark.parametrize("role", sorted(ROLES))
def test_file_that_changes_size_while_read(role):
    """/proc files say 0 bytes and then read more: refused, never half-read."""
    f = "/proc/self/status"
    r = run_rax(["--backend", "emulator"] + _role_args(role, f), timeout=20)
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, f)


EMPTY = {  # role: the refusal's words; None: an empty file is fine there
    "--kernel": ["too short"],
    "--initrd": ["initrd", "empty"],
    "module": None,  # multiboot modules may be empty
    "--test": ["empty test image"],
}


@pytest.mark.parametrize("role", sorted(EMPTY))
def test_empty_input_file(tmp_path, role):
    f = tmp_path / "empty"
    f.write_bytes(b"")
    r = run_rax(["--backend", "emulator"] + _role_args(role, f), timeout=30)
    if EMPTY[role] is None:
        assert r.returncode == debug_exit_status(0), r.stderr
        assert "MB: mod 1 start" in r.stdout and " size 0 " in r.stdout, r.stdout
        no_sanitizer(r.stderr)
    else:
        assert r.returncode == USAGE, r.stderr
        one_line_error(r, *EMPTY[role])


@pytest.mark.parametrize("opt", ["--kernel", "--initrd"])
def test_rax_diff_empty_kernel_inputs(tmp_path, opt):
    f = tmp_path / "empty"
    f.write_bytes(b"")
    args = ["--kernel", f] if opt == "--kernel" else ["--kernel", asm_image("testkernel"), "--initrd", f]
    r = rax_diff(args + ["--steps", "10"], timeout=30)
    assert r.returncode == DIFF_USAGE, r.stdout + r.stderr
    one_line_error(r, f"'{f}'", "is empty", prog="rax-diff")


def _wrong_file(tmp_path, kind):
    f = tmp_path / kind
    if kind == "bzimage":
        f.write_bytes(asm_image("testkernel").read_bytes())
    elif kind == "elf":
        f.write_bytes(pathlib.Path("/bin/true").read_bytes())
    elif kind == "multiboot":
        f.write_bytes(asm_image("mb_aout").read_bytes())
    elif kind == "text":
        f.write_text("#!/bin/sh\necho this is a script\n")
    elif kind == "empty":
        f.write_bytes(b"")
    elif kind == "truncated":
        f.write_bytes(asm_image("t_arith").read_bytes()[:30])
    elif kind == "corrupt":
        f.write_bytes(b"RAXT" + b"\xff" * 60)
    return f


WRONG_FOR_TEST = [
    ("bzimage", ["not a RAX test image", "Linux bzImage", "--kernel"]),
    ("elf", ["not a RAX test image", "ELF", "--kernel"]),
    ("multiboot", ["not a RAX test image", "multiboot kernel", "--kernel"]),
    ("text", ["not a RAX test image", "text file"]),
    ("empty", ["empty test image"]),
    ("truncated", ["truncated test image"]),
    ("corrupt", ["unsupported test-image version"]),
]


@pytest.mark.parametrize("kind,words", WRONG_FOR_TEST, ids=[k for k, _ in WRONG_FOR_TEST])
def test_wrong_file_for_test(tmp_path, kind, words):
    """rax --test and rax-diff give the same reason: rax one line and
    status 2, rax-diff an ERROR line and status 3."""
    f = _wrong_file(tmp_path, kind)
    r = run_rax(["--backend", "emulator", "--test", f], timeout=20)
    assert r.returncode == USAGE, r.stdout + r.stderr
    one_line_error(r, f"--test '{f}'", *words)
    r = rax_diff(["--oracle", "native", f], timeout=30)
    assert r.returncode == DIFF_ERROR, r.stdout + r.stderr
    no_sanitizer(r.stderr)
    lines = [l for l in r.stdout.splitlines() if l.startswith("ERROR")]
    assert len(lines) == 1 and f.name in lines[0], r.stdout
    for w in words:
        if w != "--kernel":
            assert w in lines[0], lines[0]


WRONG_FOR_KERNEL = [
    ("elf", ["is not a bzImage", "nor a multiboot kernel"]),
    ("text", ["is not a bzImage", "nor a multiboot kernel"]),
    ("test-image", ["is not a bzImage", "nor a multiboot kernel"]),
    ("short", ["is too short to be a bzImage (32 bytes) and has no multiboot header"]),
]


@pytest.mark.parametrize("kind,words", WRONG_FOR_KERNEL, ids=[k for k, _ in WRONG_FOR_KERNEL])
def test_wrong_file_for_kernel(tmp_path, kind, words):
    f = tmp_path / kind
    if kind == "elf":
        f = _wrong_file(tmp_path, "elf")
    elif kind == "text":
        f.write_text("a line of notes, nothing to boot\n" * 40)
    elif kind == "test-image":
        f = asm_image("t_string")
    else:
        f.write_text("#!/bin/sh\necho this is a script\n")
    r = run_rax(["--backend", "emulator", "--kernel", f], timeout=20)
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, f"'{f}'", *words)


BZ_BAD = [  # (id, offset, format, value, extra arguments, words): one field of asm/testkernel.asm's header
    ("old-protocol", 0x206, "<H", 0x0209, [], ["2.09", "too old"]),
    ("no-64bit-entry", 0x236, "<H", 0, [], ["64-bit entry"]),
    ("zimage", 0x211, "<B", 0, [], ["zImage"]),
    ("syssize-too-big", 0x1F4, "<I", 0x100000, [], ["truncated bzImage"]),
    ("kernel-larger-than-mem", 0x260, "<I", 100 << 20, ["--mem", "32M"], ["kernel needs", "--mem"]),
    # pref_address + init_size wrapped past 2^64 and passed the check; near it, the rounded size read 0M
    ("pref-address-wraps", 0x258, "<Q", 0xFFFFFFFFFFFFF000, [], ["kernel needs 17592186044416M of RAM"]),
    ("pref-address-near-top", 0x258, "<Q", 0xFFFFFFFFFFF00000, [], ["kernel needs 17592186044416M of RAM"]),
    ("cmdline-size-small", 0x238, "<I", 8, ["--cmdline", "console=ttyS0"], ["the kernel accepts at most 8"]),
]


@pytest.mark.parametrize("off,fmt,value,extra,words", [c[1:] for c in BZ_BAD], ids=[c[0] for c in BZ_BAD])
def test_bad_bzimage_header(tmp_path, off, fmt, value, extra, words):
    data = bytearray(asm_image("testkernel").read_bytes())
    struct.pack_into(fmt, data, off, value)
    f = tmp_path / "patched"
    f.write_bytes(bytes(data))
    r = run_rax(["--backend", "emulator", "--kernel", f] + extra)
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, *words)


@pytest.mark.parametrize("cut", [0x206, 0x207, 0x208, 0x230])
def test_bzimage_cut_inside_the_setup_header(tmp_path, cut):
    """'HdrS' is there, the version (0x206) or the fields after it are not:
    one line, nothing read past the file (the version was, ASan saw it)."""
    f = tmp_path / "cut"
    f.write_bytes(asm_image("testkernel").read_bytes()[:cut])
    r = run_rax(["--backend", "emulator", "--kernel", f])
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, f"truncated bzImage: setup header cut at {cut} bytes")
    r = rax_diff(["--kernel", f, "--steps", "10"])
    assert r.returncode == DIFF_USAGE, r.stderr
    one_line_error(r, f"truncated bzImage: setup header cut at {cut} bytes", prog="rax-diff")


def test_truncated_bzimage(tmp_path):
    f = tmp_path / "cut"
    f.write_bytes(asm_image("testkernel").read_bytes()[:1500])
    r = run_rax(["--backend", "emulator", "--kernel", f])
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, "truncated")


def test_kernel_and_initrd_larger_than_mem(tmp_path):
    big = sparse(tmp_path / "big.img", 40 << 20)
    r = run_rax(["--backend", "emulator", "--kernel", asm_image("testkernel"), "--initrd", big, "--mem", "32M"])
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, "initrd", "--mem")


def test_rax_diff_kernel_inputs_validated_before_kvm(tmp_path):
    """Bad --kernel input is a usage error (2) with one line saying which,
    whether or not the host has KVM."""
    kernel = asm_image("testkernel")
    img = _cpl3_image()
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
        one_line_error(r, msg, prog="rax-diff")


def test_rax_diff_json_unwritable_is_one_line(tmp_path):
    bad = tmp_path / "no" / "such" / "dir" / "r.json"
    for args in (["--json", bad, _cpl3_image()], ["--json", bad, "--kernel", asm_image("testkernel"), "--steps", "10"]):
        r = rax_diff(args, env={"RAX_KVM_DEVICE": "/nonexistent/kvm"})
        assert r.returncode == DIFF_USAGE, r.stdout + r.stderr
        one_line_error(r, "--json", str(bad), "No such file or directory", prog="rax-diff")
        assert r.stdout == ""


def test_rax_diff_usage_errors_leak_nothing_under_asan(tmp_path):
    """The ASan+UBSan build (ci/test.sh builds it in build-asan; $RAX_ASAN_BUILD
    overrides) leaks nothing on rax-diff's usage errors."""
    root = pathlib.Path(__file__).resolve().parent.parent
    asan = pathlib.Path(os.environ.get("RAX_ASAN_BUILD", root / "build-asan"))
    exe = asan / "harness" / "rax-diff"
    if not exe.exists():
        pytest.skip(f"no ASan build: {exe} does not exist (ci/build.sh build-asan -DRAX_SANITIZE=ON ...)")
    img = _cpl3_image()
    bad = tmp_path / "no" / "such" / "dir" / "r.json"
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", RAX_KVM_DEVICE="/nonexistent/kvm")
    env.pop("RAX_EMU_PLANT", None)
    for args in (["--json", bad, img], ["--json", bad, img, img], ["--shard", "9/3", img], ["--steps", "x", img],
                 ["--json"], ["--bogus"]):
        r = subprocess.run([str(exe)] + [str(a) for a in args], capture_output=True, text=True, env=env,
                           timeout=120)
        no_sanitizer(r.stderr)
        assert r.returncode == DIFF_USAGE, r.stderr


# ---- 3. kernels mutated from a seed: bzImage and multiboot headers ----

def _new_value(rng, old, size, near=()):
    """A hostile replacement for a field of `size` bytes holding `old`."""
    bits = size * 8
    mask = (1 << bits) - 1
    pick = rng.randrange(12)
    if pick == 0:
        return 0
    if pick == 1:
        return mask
    if pick == 2:
        return old ^ (1 << rng.randrange(bits))
    if pick == 3:
        return (old + rng.choice([1, -1, 2, -2, 4, -4, 8, 16, 0x1000, -0x1000])) & mask
    if pick == 4:
        return 1 << rng.randrange(bits)
    if pick == 5:
        return rng.getrandbits(bits)
    if pick == 6:
        return (1 << (bits - 1)) | rng.getrandbits(bits - 1)  # huge
    if pick == 7:
        return rng.randrange(min(0x100, mask + 1))  # tiny
    if pick in (8, 9) and near:
        return (rng.choice(near) + rng.choice([0, 0, 1, -1, 4, -4, 0x1000, -0x1000])) & mask
    return (old + rng.randrange(-0x10000, 0x10000)) & mask


class Mutant:
    """Bytes and the list of what was done to the base to get them."""

    def __init__(self, base):
        self.data = bytearray(base)
        self.what = []

    def field(self, rng, name, off, size, near=()):
        if off + size > len(self.data):
            return
        old = int.from_bytes(self.data[off:off + size], "little")
        new = _new_value(rng, old, size, near)
        self.data[off:off + size] = new.to_bytes(size, "little")
        self.what.append(f"{name}@{off:#x} {old:#x}->{new:#x}")

    def truncate(self, at):
        self.what.append(f"cut at {at} of {len(self.data)} bytes")
        del self.data[at:]

    def fields(self, rng, table, count, near=()):
        for _ in range(count):
            name = rng.choice(sorted(table))
            self.field(rng, name, *table[name], near=near)


def _boundary(rng, table):
    """A length that ends just before, inside or just after a field of the table."""
    off, size = table[rng.choice(sorted(table))]
    return max(0, rng.choice([off - 1, off, off + 1, off + size - 1, off + size, off + size + 1]))


BZ_FIELDS = {  # Documentation/arch/x86/boot.rst: offset, size
    "setup_sects": (0x1F1, 1), "syssize": (0x1F4, 4), "boot_flag": (0x1FE, 2), "jump": (0x200, 2),
    "header": (0x202, 4), "version": (0x206, 2), "loadflags": (0x211, 1), "code32_start": (0x214, 4),
    "ramdisk_image": (0x218, 4), "ramdisk_size": (0x21C, 4), "initrd_addr_max": (0x22C, 4),
    "kernel_alignment": (0x230, 4), "relocatable_kernel": (0x234, 1), "min_alignment": (0x235, 1),
    "xloadflags": (0x236, 2), "cmdline_size": (0x238, 4), "payload_offset": (0x248, 4),
    "payload_length": (0x24C, 4), "pref_address": (0x258, 8), "init_size": (0x260, 4),
    "handover_offset": (0x264, 4),
}
BZ_NEAR = (0, 0x100000, 0x1000000, 0x4000000, 0x10000000, 0x7FFFFFFF, 0xFFFFFFFF, 0x20C, 0x20F, 1 << 63)


def bzimage_mutant(base, seed, i):
    rng = random.Random(f"bzimage:{seed}:{i}")
    m = Mutant(base)
    roll = rng.random()
    if roll < 0.04:
        m.truncate(0)
        return m
    if roll >= 0.25:
        m.fields(rng, BZ_FIELDS, rng.choice([1, 1, 1, 2, 2, 3]), BZ_NEAR)
    if roll < 0.25 or roll > 0.9:
        setup = ((base[0x1F1] or 4) + 1) * 512
        m.truncate(rng.choice([rng.randrange(1, 0x1F1), rng.randrange(0x1F1, 0x268), rng.randrange(0x268, setup),
                               rng.randrange(setup, len(base)), len(base) - rng.randrange(1, 32),
                               _boundary(rng, BZ_FIELDS), _boundary(rng, BZ_FIELDS)]))
    return m


AOUT_FIELDS = {"magic": (0, 4), "flags": (4, 4), "checksum": (8, 4), "header_addr": (12, 4), "load_addr": (16, 4),
               "load_end_addr": (20, 4), "bss_end_addr": (24, 4), "entry_addr": (28, 4)}
ELF_FIELDS = {"ei_class": (4, 1), "ei_data": (5, 1), "e_type": (16, 2), "e_machine": (18, 2), "e_entry": (24, 4),
              "e_phoff": (28, 4), "e_phentsize": (42, 2), "e_phnum": (44, 2)}
for _k in range(2):
    for _name, _off in (("p_type", 0), ("p_offset", 4), ("p_vaddr", 8), ("p_paddr", 12), ("p_filesz", 16),
                        ("p_memsz", 20)):
        ELF_FIELDS[f"ph{_k}.{_name}"] = (52 + 32 * _k + _off, 4)
MB_NEAR = (0, 0x100000, 0xFFFFF, 0x200000, 0x300000, 0x9F000, 0xF000000, 0x10000000, 0x7FFFFFFF, 0xFFFFF000)


def multiboot_mutant(base, kind, seed, i):
    """kind 'aout' (asm/mb_aout.asm) or 'elf' (asm/mb_elf.asm)."""
    rng = random.Random(f"multiboot-{kind}:{seed}:{i}")
    m = Mutant(base)
    hdr = next(off for off in range(0, min(len(base), 8192), 4) if base[off:off + 4] == b"\x02\xb0\xad\x1b")
    table = {k: (hdr + off, size) for k, (off, size) in AOUT_FIELDS.items()}
    if kind == "elf":
        table = {k: v for k, v in table.items() if k in ("magic", "flags", "checksum")}
        table.update(ELF_FIELDS)
    roll = rng.random()
    if roll < 0.04:
        m.truncate(0)
        return m
    if roll >= 0.2:
        m.fields(rng, table, rng.choice([1, 1, 1, 2, 2, 3]), MB_NEAR)
        if rng.random() < 0.75 and not any(w.startswith("checksum") for w in m.what):  # get past the checksum
            magic, flags = struct.unpack_from("<II", m.data, hdr)
            struct.pack_into("<I", m.data, hdr + 8, -(magic + flags) & 0xFFFFFFFF)
            m.what.append("checksum fixed")
    if roll < 0.2 or roll > 0.92:
        m.truncate(rng.choice([rng.randrange(0, len(m.data)), min(_boundary(rng, table), len(m.data))]))
    return m


def _run_one(args, bound):
    """(status or None for a hang, stderr, stdout, seconds)."""
    t0 = time.monotonic()
    try:
        r = subprocess.run([str(rax_path())] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=bound)
        return (r.returncode, r.stderr.decode(errors="replace"), r.stdout.decode(errors="replace"),
                time.monotonic() - t0)
    except subprocess.TimeoutExpired as e:
        return None, (e.stderr or b"").decode(errors="replace"), "", time.monotonic() - t0


def _judge(status, err, guest_statuses):
    """What is wrong with a run's end, or None."""
    if any(w in err for w in SANITIZER):
        return "sanitizer report"
    lines = [l for l in err.splitlines() if l.strip()]
    if status is None:
        return "no end within the bound (hang)"
    if any(not l.startswith("rax: ") for l in lines):
        return "stderr line without 'rax: '"
    if status == USAGE:
        return None if len(lines) == 1 else f"{len(lines)} lines for a refusal, not one"
    if status not in guest_statuses:
        return f"status {status} is not a documented end for this run"
    return None if len(lines) <= 1 else f"{len(lines)} lines on stderr"


# a kernel that loaded: powered off, reset, triple fault, internal error, timeout, or the guest's debug-exit
KERNEL_ENDS = {OK, RESET, SHUTDOWN, INTERNAL, TIMEOUT} | {s for s in range(1, 128, 2)}


def _run_mutants(tmp_path, kind, make, extra, first, workers=3, bound=60):
    """Write mutants first.. of a chunk, run rax on each, judge the end; fail
    with every finding, each naming the seed, the index and the mutations."""
    jobs = {}
    for i in range(first, min(first + CHUNK, MUTANTS)):
        m = make(i)
        f = tmp_path / f"{kind}-{i}.bin"
        f.write_bytes(bytes(m.data))
        jobs[i] = (m, f)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        ends = dict(zip(jobs, pool.map(lambda i: _run_one(["--backend", "emulator", "--kernel", jobs[i][1],
                                                            "--timeout", "2"] + extra, bound), jobs)))
    bad = []
    for i, (status, err, _, took) in ends.items():
        why = _judge(status, err, KERNEL_ENDS)
        if not why and took > SLOW:
            why = f"--timeout 2 but it took {took:.1f} s"
        if why:
            bad.append(f"{kind} seed {SEED} mutant {i} [{'; '.join(jobs[i][0].what)}]: {why}; status {status} "
                       f"after {took:.1f} s; stderr {err[-600:]!r}; the file: {jobs[i][1]}")
        else:
            jobs[i][1].unlink()  # (the bzImage's are 14 MB each)
    assert not bad, "\n".join(bad)
    return ends


def _chunks():
    return list(range(0, MUTANTS, CHUNK))


def _chunk_ids(c):
    return f"seed{SEED}-{c}-{min(c + CHUNK, MUTANTS) - 1}"


@pytest.mark.parametrize("first", _chunks(), ids=_chunk_ids)
def test_mutated_bzimage(tmp_path, first):
    """The Debian kernel's setup header mutated: refused with one line, or it
    boots (on the emulator, 2 s) and ends with a documented status."""
    base = guest_asset("bzImage").read_bytes()
    _run_mutants(tmp_path, "bzImage", lambda i: bzimage_mutant(base, SEED, i), [], first)


@pytest.mark.parametrize("first", _chunks(), ids=_chunk_ids)
def test_mutated_testkernel(tmp_path, first):
    """The same mutations on asm/testkernel.asm (a bzImage that ends at
    once), with an initrd: refused, or a documented end."""
    base = asm_image("testkernel").read_bytes()
    _run_mutants(tmp_path, "testkernel", lambda i: bzimage_mutant(base, SEED, i), ["--initrd", asm_image("mb_elf")],
                 first)


@pytest.mark.parametrize("first", _chunks(), ids=_chunk_ids)
@pytest.mark.parametrize("kind", ["aout", "elf"])
def test_mutated_multiboot(tmp_path, kind, first):
    """asm/mb_aout.asm and asm/mb_elf.asm with mutated multiboot, a.out and
    ELF headers (checksum mostly fixed up), cut short, empty; one module."""
    base = asm_image(f"mb_{kind}").read_bytes()
    other = asm_image("mb_elf" if kind == "aout" else "mb_aout")
    _run_mutants(tmp_path, f"mb_{kind}", lambda i: multiboot_mutant(base, kind, SEED, i), ["--initrd", other], first)


# ---- 4. test images mutated from a seed: rax --test and rax-diff ----

TI_FIELDS = {"magic": (0, 4), "version": (4, 2), "header_size": (6, 2), "mode": (8, 1), "cpl": (9, 1),
             "end_mask": (10, 2), "nregs": (12, 1), "nregions": (13, 1), "reserved": (14, 2), "load": (16, 8),
             "entry": (24, 8), "stack_top": (32, 8), "step_limit": (40, 8), "catch_addr": (48, 8)}
# images with register records (diff_fastop), regions (t_faults, the corpus form), CPL0 and CPL3
TI_BASES = ["asm/t_string.bin", "asm/t_faults.bin", "asm/diff_fastop.bin", "testcases/adc_EbGb-o8-mem-lock.bin",
            "testcases/hlt-cpl0.bin"]
# a test image that rax runs: passed, failed, exception, triple fault, internal error, timeout or step limit
TEST_ENDS = {OK, 1, 3, SHUTDOWN, INTERNAL, TIMEOUT}


def _testimg_bases():
    root = pathlib.Path(__file__).resolve().parent.parent
    bases = {}
    for name in TI_BASES:
        p = BUILD / name if name.startswith("asm/") else root / name
        if p.exists():  # the corpus forms exist once the plain build made them
            bases[name] = p.read_bytes()
    assert "asm/t_string.bin" in bases, "build/asm/t_string.bin not built"
    return bases


def _testimg_fields(base):
    t = dict(TI_FIELDS)
    nregs, nregions = base[12], base[13]
    for k in range(nregs):
        o = 56 + 16 * k
        t.update({f"reg{k}.index": (o, 1), f"reg{k}.pad": (o + 1 + k % 7, 1), f"reg{k}.value": (o + 8, 8)})
    for j in range(nregions):
        o = 56 + 16 * nregs + 24 * j
        t.update({f"region{j}.addr": (o, 8), f"region{j}.size": (o + 8, 8), f"region{j}.flags": (o + 16, 4),
                  f"region{j}.reserved": (o + 20, 4)})
    return t


def make_testimg_mutant(bases, seed, i):
    rng = random.Random(f"testimg:{seed}:{i}")
    name = rng.choice(sorted(bases))
    base = bases[name]
    m = Mutant(base)
    m.what.append(f"base {name}")
    load = int.from_bytes(base[16:24], "little") or 0x400000
    near = (0, 0x1FFFF8, 0x200000, load, load + 56, load + len(base) - 8, load + len(base), 0x600000, 0x7FFFF8,
            0x800000, 0x3FFFFFF8, 0x40000000, 0x4000000, 0x10000000, 1 << 47, 1 << 63)
    hdr = int.from_bytes(base[6:8], "little")
    roll = rng.random()
    if roll < 0.03:
        m.truncate(0)
    elif roll < 0.2:
        m.truncate(rng.choice([rng.randrange(1, 56), rng.randrange(56, hdr + 1), rng.randrange(1, len(base)),
                               min(_boundary(rng, _testimg_fields(base)), len(base))]))
    else:
        m.fields(rng, _testimg_fields(base), rng.choice([1, 1, 1, 2, 2, 3]), near)
        if roll > 0.93:
            m.truncate(rng.randrange(1, len(base)))
    return m


DIFF_LINE = re.compile(r"^(PASS|DIVERGE|ERROR|SKIP)\s+(\S+)\s+\d+ steps\s+\S+\s+\[[^]]*\]\s+(.*)$")


@pytest.mark.parametrize("first", _chunks(), ids=_chunk_ids)
def test_mutated_test_images(tmp_path, first):
    """Test images with mutated header fields, register and region records,
    cut short or empty: `rax --test` refuses each bad one with one line
    (status 2) or runs it to a documented end; `rax-diff` (native oracle,
    all the chunk in one process) gives each an ERROR line with the reason
    or a result, and an image rax refuses is an ERROR there too."""
    bases = _testimg_bases()
    jobs = {}
    for i in range(first, min(first + CHUNK, MUTANTS)):
        m = make_testimg_mutant(bases, SEED, i)
        f = tmp_path / f"testimg-{i}.bin"
        f.write_bytes(bytes(m.data))
        jobs[i] = (m, f)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        ends = dict(zip(jobs, pool.map(lambda i: _run_one(["--backend", "emulator", "--test", jobs[i][1],
                                                            "--timeout", "2"], 60), jobs)))
    bad = []

    def finding(i, why):
        bad.append(f"test image seed {SEED} mutant {i} [{'; '.join(jobs[i][0].what)}]: {why}")

    for i, (status, err, out, took) in ends.items():
        why = _judge(status, err, TEST_ENDS)
        if not why and status != USAGE and "\noutcome: " not in out:
            why = "no outcome line"
        if not why and took > SLOW:
            why = f"--timeout 2 but it took {took:.1f} s"
        if why:
            finding(i, f"rax --test: {why}; status {status} after {took:.1f} s; stderr {err[-600:]!r}")
    r = rax_diff(["--oracle", "native", "--steps", "20000", "--quiet"] + [f for _, f in jobs.values()], timeout=300)
    no_sanitizer(r.stdout + r.stderr)
    assert r.returncode in (DIFF_OK, DIFF_DIVERGE, DIFF_ERROR, DIFF_SKIP), r.stdout[-3000:] + r.stderr
    lines = {}
    for line in r.stdout.splitlines():
        got = DIFF_LINE.match(line)
        if got:
            lines[got.group(2)] = (got.group(1), got.group(3))
    for i, (m, f) in jobs.items():
        verdict, reason = lines.get(str(f), (None, None))
        if verdict is None:
            finding(i, f"rax-diff printed no line for it: {r.stdout[-2000:]!r}")
        elif verdict == "ERROR" and not reason.strip():
            finding(i, "rax-diff ERROR without a reason")
        elif ends[i][0] == USAGE and verdict != "ERROR":
            finding(i, f"rax refused it ({ends[i][1].strip()}) but rax-diff says {verdict}: {reason}")
    assert not bad, "\n".join(bad)


def _cpl3_test_image(tmp_path, code, regions=()):
    """A CPL3 test image at 0x400000 running `code`, with region records (addr, size, flags)."""
    load, hs = 0x400000, 56 + 24 * len(regions)
    hdr = b"RAXT" + struct.pack("<HHBBHBBH", 1, hs, 64, 3, 0, 0, len(regions), 0)
    hdr += struct.pack("<QQQQQ", load, load + hs, 0, 1000, 0)
    for addr, size, flags in regions:
        hdr += struct.pack("<QQII", addr, size, flags, 0)
    f = tmp_path / "cpl3.bin"
    f.write_bytes(hdr + code)
    return f


SUPERVISOR_PAGES = [  # (id, code, regions, the #PF error code: P=1, U=1, W and I/D as the access)
    ("read-system-area", b"\x8b\x04\x25\x00\x10\x00\x00", [], 0x5),  # mov eax, [0x1000]
    ("fetch-system-area", b"\xe9" + struct.pack("<i", 0x4000 - (0x400038 + 5)), [], 0x15),  # jmp 0x4000
    ("read-supervisor-region", b"\x8b\x04\x25\x00\x00\xa0\x00", [(0xA00000, 0x1000, 1)], 0x5),
    ("write-supervisor-region", b"\x89\x04\x25\x00\x00\xa0\x00", [(0xA00000, 0x1000, 1)], 0x7),
]


@pytest.mark.parametrize("code,regions,error", [c[1:] for c in SUPERVISOR_PAGES],
                         ids=[c[0] for c in SUPERVISOR_PAGES])
def test_cpl3_fault_on_a_supervisor_page(tmp_path, code, regions, error):
    """Found by a mutated region flag: CPL3 code touching a page the test
    machine maps for the supervisor only gets a protection fault (P=1).
    rax --test reports it, and rax-diff's native oracle, whose process has
    no such page at all (P=0 there), agrees with the interpreter: PASS."""
    f = _cpl3_test_image(tmp_path, code + b"\xcd\x30", regions)  # ... ; int 0x30
    r = run_rax(["--backend", "emulator", "--test", f], timeout=30)
    assert r.returncode == 3, r.stdout + r.stderr
    assert f"exception: vector=0x0e error=0x{error:x} " in r.stdout, r.stdout
    r = rax_diff(["--oracle", "native", f], timeout=60)
    no_sanitizer(r.stderr)
    assert r.returncode == DIFF_OK and r.stdout.startswith("PASS"), r.stdout


def test_read_modify_write_fault_is_a_write(tmp_path):
    """Found by mutated test images under rax-diff: `add [m], eax` on a page
    that is not there faults as a write (error 0x6 at CPL3) on the CPU."""
    f = _cpl3_test_image(tmp_path, b"\x01\x04\x25\x00\x00\x00\x10\xcd\x30")  # add [0x10000000], eax
    r = rax_diff(["--oracle", "native", f], timeout=60)
    no_sanitizer(r.stderr)
    assert r.returncode == DIFF_OK, r.stdout


# ---- 5. huge and tiny sizes ----

MEM_SIZES = [  # (--mem, words of the refusal; None: the kernel runs)
    ("16M", None), ("16384K", None), ("3G", None), ("3072MiB", None),
    ("16773120", ["memory size", "out of range (16M to 3072M)"]),  # 16 MiB - 4 KiB
    ("16777217", ["memory size must be a multiple of 4 KiB"]),
    ("3221229568", ["memory size", "out of range (16M to 3072M)"]),  # 3 GiB + 4 KiB
    ("4G", ["memory size", "out of range"]),
    ("16000000G", ["memory size", "out of range"]),
    ("17179869184G", ["malformed --mem"]),  # 2^64 bytes
    ("4096", ["memory size", "out of range"]),
    ("1", ["memory size", "out of range"]),  # (smaller than the kernel file: still about the size)
    ("0", ["memory size", "out of range"]),
]


@pytest.mark.parametrize("mem,words", MEM_SIZES, ids=[m for m, _ in MEM_SIZES])
def test_mem_at_and_beyond_its_limits(mem, words):
    """--mem at its limits boots; beyond them one line about the size (not
    about the kernel file, however small --mem is)."""
    r = run_rax(["--backend", "emulator", "--kernel", asm_image("mb_aout"), "--mem", mem], timeout=60)
    if words is None:
        assert r.returncode == debug_exit_status(0), r.stdout + r.stderr
        no_sanitizer(r.stderr)
    else:
        assert r.returncode == USAGE, r.stderr
        one_line_error(r, *words)


@pytest.mark.parametrize("mem", ["16M", "3G"])
def test_mem_limits_on_kvm(mem):
    kvm_require()
    r = run_rax(["--backend", "kvm", "--kernel", asm_image("mb_aout"), "--mem", mem], timeout=60)
    assert r.returncode == debug_exit_status(0), r.stdout + r.stderr
    assert f"mem_upper {((3 << 30) if mem == '3G' else (16 << 20)) // 1024 - 1024}" in r.stdout


@pytest.mark.parametrize("role", sorted(ROLES))
def test_sparse_4gib_file_refused_unread(tmp_path, role):
    """A 4 GiB file (sparse: truncate -s 4G) is larger than any guest RAM:
    refused from its size, at once, never read."""
    f = sparse(tmp_path / "huge", 4 << 30)
    t0 = time.monotonic()
    r = run_rax(["--backend", "emulator", "--mem", "3G"] + _role_args(role, f), timeout=60)
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, f"'{f}' (4294967296 bytes) is larger than guest RAM (--mem 3072M)")
    assert time.monotonic() - t0 < 20


def test_rax_diff_sparse_4gib_inputs(tmp_path):
    f = sparse(tmp_path / "huge", 4 << 30)
    r = rax_diff(["--oracle", "native", f], timeout=60)
    assert r.returncode == DIFF_ERROR, r.stdout + r.stderr
    no_sanitizer(r.stderr)
    assert "larger than guest RAM" in [l for l in r.stdout.splitlines() if l.startswith("ERROR")][0], r.stdout
    for args in (["--kernel", f], ["--kernel", asm_image("testkernel"), "--initrd", f]):
        r = rax_diff(args + ["--steps", "10"], timeout=60)
        assert r.returncode == DIFF_USAGE, r.stderr
        one_line_error(r, f"'{f}'", "larger than guest RAM", prog="rax-diff")


BIG_INITRD = [  # (kernel, initrd size, --mem, words)
    ("testkernel", (16 << 20) + 4096, "16M", ["initrd", "is larger than guest RAM (--mem 16M)"]),
    ("testkernel", 16 << 20, "16M", ["plus initrd (16M) do not fit in --mem 16M"]),
    ("mb_aout", (16 << 20) + 1, "16M", ["module", "is larger than guest RAM (--mem 16M)"]),
    ("mb_aout", 16 << 20, "16M", ["modules do not fit in RAM: module 1"]),
    ("mb_aout", 15 << 20, "16M", ["modules do not fit in RAM: module 1"]),
]


@pytest.mark.parametrize("kernel,size,mem,words", BIG_INITRD,
                         ids=[f"{k}-{s}-{m}" for k, s, m, _ in BIG_INITRD])
def test_initrd_larger_than_ram(tmp_path, kernel, size, mem, words):
    f = sparse(tmp_path / "initrd.img", size)
    r = run_rax(["--backend", "emulator", "--kernel", asm_image(kernel), "--initrd", f, "--mem", mem], timeout=120)
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, *words)


def test_cmdline_at_the_kernel_limit():
    """asm/testkernel.asm says cmdline_size 2047: 2047 bytes boot, 2048 do not."""
    r = run_rax(["--backend", "emulator", "--kernel", asm_image("testkernel"), "--cmdline", "x" * 2047], timeout=60)
    assert r.returncode == debug_exit_status(0), r.stderr
    assert "cmdline: " + "x" * 2047 in r.stdout
    r = run_rax(["--backend", "emulator", "--kernel", asm_image("testkernel"), "--cmdline", "x" * 2048], timeout=60)
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, "command line is 2048 bytes, the kernel accepts at most 2047")


def test_hundreds_of_empty_modules(tmp_path):
    """Hundreds of modules are fine, empty ones too (README)."""
    f = tmp_path / "m"
    f.write_bytes(b"")
    r = run_rax(["--backend", "emulator", "--kernel", asm_image("mb_aout"), "--initrd", ",".join([str(f)] * 300)],
                timeout=120)
    assert r.returncode == debug_exit_status(0), r.stderr
    assert "MB: mods 300\n" in r.stdout and "MB: mod 299 start" in r.stdout
    no_sanitizer(r.stderr)


def test_module_names_overflow_the_information_area(tmp_path):
    """Module names share the ~600 KiB boot information area: 2,600 names of
    about 260 bytes do not fit, and rax says so in one line."""
    f = tmp_path / ("m" * 200)
    f.write_bytes(b"\x90")
    names = [str(f)] * 2600
    args = ["--backend", "emulator", "--kernel", asm_image("mb_aout")]
    for k in range(0, len(names), 400):  # one argument holds at most 128 KiB
        args += ["--initrd", ",".join(names[k:k + 400])]
    r = run_rax(args, timeout=120)
    assert r.returncode == USAGE, r.stderr
    one_line_error(r, "2600 module names do not fit in the", "boot information area")


# ---- 6. a guest that reads and writes where there is no RAM ----

ONES32, ONES64 = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF
PATTERN32, PATTERN64 = 0x12345678, 0x0123456789ABCDEF
# asm/mb_wild.asm: probes whose value does not depend on where the RAM ends
WILD_FIXED = {
    "m32 end-read": ONES32, "m32 end": ONES32, "m32 far": ONES32, "m32 top": ONES32, "m32 top4": ONES32,
    "m32 across-before": 0xFFFF4433, "m32 across": 0xFFFFCCDD, "m32 across-ram": 0xCCDD2211,
    "m32 across16-ram": 0xEFDD2211, "m32 across16": 0xFFEF,
    "m32 stos-lo": 0x77777777, "m32 stos-hi": 0x77777777, "m32 stos-past": ONES32,
    "m32 movs-lo": 0x77777777, "m32 movs-hi": ONES32,
    "m64 vga": PATTERN64, "m64 end-read": ONES64, "m64 end": ONES64, "m64 4g": ONES64, "m64 8g": ONES64,
    "m64 top8": ONES64, "m64 across": 0xFFFFFFFF05060708, "m64 across-ram": 0x0506070844332211,
    "m64 across-4g": ONES64,
}
# written, then read: RAM below the end keeps the pattern (the legacy hole is RAM in rax)
WILD_WRITTEN = {"m32 vga": 0xA0000, "m32 bios": 0xFFFFC, "m32 2g": 0x80000000, "m32 3g": 0xC0000000}
# the IOAPIC and local APIC pages: what the device there answers (KVM's are in the kernel), or all ones
WILD_DEVICES = {"m32 ioapic", "m32 ioapic-rsvd", "m32 lapic-rsvd", "m32 lapic-ver"}


def _wild(backend, mem):
    r = run_rax(backend_args(backend) + ["--kernel", asm_image("mb_wild"), "--mem", mem, "--timeout", "60"],
                timeout=120)
    no_sanitizer(r.stderr)
    assert r.returncode == debug_exit_status(0), r.stdout + r.stderr
    assert r.stderr == "", r.stderr
    lines = r.stdout.splitlines()
    assert lines[-1] == "WILD: done", r.stdout
    probes = {}
    for line in lines[1:-1]:
        mode, name, addr, value = line.split()[1:]
        probes[f"{mode} {name}"] = (int(addr, 16), int(value, 16))
    return int(lines[0].split()[-1], 16), probes


@pytest.mark.parametrize("mem", ["16M", "3G"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_guest_touches_memory_outside_ram(backend, mem):
    """asm/mb_wild.asm, paging off and then in 64-bit mode: an address no
    RAM or device claims reads as all ones and drops writes, an access
    across the end of RAM is RAM for its first bytes only, rep stos/movs
    across the end likewise; the run ends normally (status 1)."""
    ram_end, probes = _wild(backend, mem)
    assert ram_end == {"16M": 16 << 20, "3G": 3 << 30}[mem]
    want = dict(WILD_FIXED)
    want.update({k: PATTERN32 if a < ram_end else ONES32 for k, a in WILD_WRITTEN.items()})
    got = {k: v for k, (_, v) in probes.items() if k not in WILD_DEVICES}
    assert got == want, "\n".join(f"{k}: {got.get(k, 0):#x} want {want.get(k, 0):#x}"
                                  for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k))
    assert set(probes) == set(want) | WILD_DEVICES
    assert probes["m32 end"][0] == ram_end and probes["m32 across"][0] == ram_end - 2


def test_outside_ram_backends_agree():
    """The same probes on KVM and on the interpreter print the same values
    (the APIC pages aside: what a device answers there is the device's)."""
    kvm_require()
    emu, kvm = _wild("emulator", "16M")[1], _wild("kvm", "16M")[1]
    for k in WILD_DEVICES:
        del emu[k], kvm[k]
    assert emu == kvm


# ---- 7. console output: stalled, closed and slow readers ----

@pytest.mark.parametrize("backend", BACKENDS)
def test_stalled_reader_ends_at_timeout(backend):
    """The guest wrote more than the pipe and the buffer hold and powered
    off; nobody reads: --timeout still ends rax on time."""
    r, w = os.pipe()
    try:
        p = spawn(backend_args(backend) + ["--kernel", asm_image("mb_flood_rude"), "--timeout", "2"], stdout=w)
        os.close(w)
        status, err, _ = wait_end(p, 10)
    finally:
        os.close(r)
    assert status == TIMEOUT, err
    assert_one_line(err, "timeout after 2 seconds")
    if backend == "emulator":  # done in microseconds: the rest waits in the buffer
        assert any("console output not written" in line for line in err), err


@pytest.mark.parametrize("sig", SIGNALS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_signal_ends_a_guest_spinning_on_a_busy_line(backend, sig):
    """The polite flood waits for THRE with interrupts off while nobody
    reads: each of the four signals ends rax at once, and says which."""
    r, w = os.pipe()
    try:
        p = spawn(backend_args(backend) + ["--kernel", asm_image("mb_flood")], stdout=w)
        os.close(w)
        time.sleep(1.5)
        assert p.poll() is None, "the guest cannot finish while its output is stalled"
        p.send_signal(getattr(signal, sig))
        status, err, took = wait_end(p, 5)
    finally:
        os.close(r)
    assert status == SIGNAL, err
    assert_one_line(err, f"interrupted by {sig}")
    assert took < 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_closed_reader_ends_rax(backend):
    """`rax ... | head -c 1000`: rax ends promptly with status 16 and one line."""
    p = subprocess.Popen(f"'{rax_path()}' {' '.join(backend_args(backend))} --kernel '{asm_image('mb_flood')}' "
                         f"| head -c 1000 >/dev/null; exit ${{PIPESTATUS[0]}}", shell=True, executable="/bin/bash",
                         stderr=subprocess.PIPE)
    status, err, took = wait_end(p, 30)
    assert status == OUTPUT, err
    assert_one_line(err, "console output closed (Broken pipe)")


@pytest.mark.parametrize("backend", BACKENDS)
def test_slow_reader_loses_no_byte(backend):
    """A reader that stalls for a second and then reads: every byte arrives,
    in order; the guest saw the line busy and waited."""
    p = spawn(backend_args(backend) + ["--kernel", asm_image("mb_flood"), "--timeout", "120"], stdout=subprocess.PIPE)
    time.sleep(1)
    data = p.stdout.read()
    status, err, _ = wait_end(p, 130)
    assert status == debug_exit_status(0x21), err
    assert len(data) == FLOOD_BYTES
    assert data == bytes(i & 0xFF for i in range(FLOOD_BYTES))


# ---- 8. signals while the guest runs, spins or sleeps; the terminal ----

@pytest.mark.parametrize("sig", SIGNALS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_signal_ends_a_halted_guest_that_sleeps(backend, sig):
    """HLT with interrupts on and no timer: the CPU sleeps on the host (no
    busy wait) until a signal ends the run."""
    p = spawn(backend_args(backend) + ["--kernel", asm_image("mb_idle")], stdout=subprocess.PIPE)
    assert p.stdout.readline() == b"idle\n"
    c0, t0 = cpu_seconds(p.pid), time.monotonic()
    time.sleep(1)
    busy = (cpu_seconds(p.pid) - c0) / (time.monotonic() - t0)
    p.send_signal(getattr(signal, sig))
    status, err, took = wait_end(p, 5)
    assert status == SIGNAL, err
    assert_one_line(err, f"interrupted by {sig}")
    assert took < 2
    assert busy < 0.10, f"a halted guest used {busy:.0%} of a core"


@pytest.mark.parametrize("sig", ["SIGHUP", "SIGQUIT", "SIGTERM"])
def test_terminal_restored_after_signal(sig):
    """At a terminal rax puts it in raw mode; a signal ends rax and the
    terminal's settings are as they were."""
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    try:
        p = spawn(["--backend", "emulator", "--kernel", asm_image("mb_idle")], stdin=slave, stdout=slave)
        got = b""
        t0 = time.monotonic()
        while b"idle" not in got and time.monotonic() - t0 < 10:
            if select.select([master], [], [], 0.2)[0]:
                got += os.read(master, 1024)
        assert b"idle" in got
        assert termios.tcgetattr(slave)[3] & termios.ICANON == 0, "raw mode while running"
        p.send_signal(getattr(signal, sig))
        status, err, _ = wait_end(p, 5)
        after = termios.tcgetattr(slave)
    finally:
        os.close(master)
        os.close(slave)
    assert status == SIGNAL, err
    assert after == before


# ---- 9. clocks: virtual time skips idle time, realtime sleeps ----

@pytest.mark.boot
def test_virtual_clock_skips_idle_time():
    """--clock virtual (the default off a terminal): a guest sleeping 3 s
    finishes in much less wall time, the same way every run."""
    kernel, initrd = guest_asset("bzImage"), guest_asset("initrd.img")
    cmd = "console=ttyS0 panic=-1 reboot=k rax.cmd=sleep 3"
    t0 = time.monotonic()
    r = run_rax(["--backend", "emulator", "--kernel", kernel, "--initrd", initrd, "--cmdline", cmd, "--stats"],
                timeout=120)
    assert r.returncode == OK, r.stderr[-2000:]
    stats = dict(kv.split("=") for kv in r.stderr.split("rax: stats: ")[1].split()[:2])
    assert int(stats["guest_ns"]) - int(stats["instructions"]) > 2.5e9  # the sleep was skipped, not slept
    assert time.monotonic() - t0 < 60


@pytest.mark.boot
def test_interactive_guest_sleeps_and_keeps_time():
    """At a terminal the default clock is realtime: at the busybox prompt
    rax uses under 5% of a core, and `sleep 2` takes two seconds."""
    kernel, initrd = guest_asset("bzImage"), guest_asset("initrd.img")
    master, slave = pty.openpty()
    out = b""

    def read_until(pattern, bound):
        nonlocal out
        t0 = time.monotonic()
        while pattern not in out and time.monotonic() - t0 < bound:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
        return pattern in out

    try:
        p = spawn(["--backend", "emulator", "--kernel", kernel, "--initrd", initrd, "--timeout", "240"],
                  stdin=slave, stdout=slave)
        assert read_until(b"/ # ", 180), out[-2000:]
        read_until(b"never", 1)  # let the shell settle
        c0, t0 = cpu_seconds(p.pid), time.monotonic()
        read_until(b"never", 4)
        busy = (cpu_seconds(p.pid) - c0) / (time.monotonic() - t0)
        os.write(master, b"sleep 2; echo SLE''PT\r")
        t1 = time.monotonic()
        assert read_until(b"SLEPT", 30), out[-2000:]
        slept = time.monotonic() - t1
        os.write(master, b"\x01x")  # Ctrl-A x
        status, err, _ = wait_end(p, 10)
    finally:
        os.close(master)
        os.close(slave)
    assert busy < 0.05, f"an idle guest at the prompt used {busy:.0%} of a core"
    assert 1.9 <= slept < 6, f"sleep 2 took {slept:.2f} s"
    assert status == SIGNAL, err


# ---- 10. signals before and around the run: the KVM probe, loading, a stepped test ----

def _reference_kvm_info():
    r = run_rax(["--kvm-info"], timeout=120)
    return r.returncode, [line.split(":")[0] for line in r.stdout.splitlines()]


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_signal_during_the_kvm_probe(sig):
    """`rax --kvm-info` and a signal soon after, at several moments: either
    status 12 with one line and no findings (the probe's runs were cut
    short, so they would be wrong), or the probe had finished and its
    findings and status are the normal ones; never killed by the signal."""
    normal, names = _reference_kvm_info()
    for delay in (0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.4):
        p = spawn(["--kvm-info"], stdout=subprocess.PIPE)
        wait_caught(p, sig)
        time.sleep(delay)
        p.send_signal(getattr(signal, sig))
        out = p.stdout.read().decode()
        status, err, _ = wait_end(p, 30)
        assert status in (SIGNAL, normal), (delay, status, err)
        if status == SIGNAL and err:
            assert_one_line(err, f"interrupted by {sig}")
            assert out == "", out
        else:
            assert [line.split(":")[0] for line in out.splitlines()] == names, out
            assert "interrupted" not in out, out


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_signal_while_input_files_load(tmp_path, sig):
    """A large boot module takes a while to read and copy: a signal then is
    kept and ends the run before the guest starts (status 12, one line),
    never kills rax by the signal's default action."""
    big = tmp_path / "big.mod"
    with open(big, "wb") as f:
        f.truncate(128 << 20)
    p = spawn(["--backend", "emulator", "--kernel", asm_image("mb_idle"), "--initrd", big], stdout=subprocess.PIPE)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 10 and p.poll() is None:  # the module is open: rax is reading it
        try:
            fds = [os.readlink(f"/proc/{p.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{p.pid}/fd")]
        except OSError:
            fds = []
        if str(big) in fds:
            break
        time.sleep(0.001)
    p.send_signal(getattr(signal, sig))
    status, err, _ = wait_end(p, 30)
    assert status == SIGNAL, err
    assert_one_line(err, f"interrupted by {sig}")
    assert p.stdout.read() == b"", "the guest never ran"


def _spin_image(tmp_path, step_limit):
    """A test image that jumps to itself, with a step limit (a stepped run)."""
    load = 0x400000
    hdr = b"RAXT" + struct.pack("<HHBBHBBH", 1, 56, 64, 0, 0, 0, 0, 0)
    hdr += struct.pack("<QQQQQ", load, load + 56, 0, step_limit, 0)
    f = tmp_path / "spin.bin"
    f.write_bytes(hdr + b"\xeb\xfe")  # jmp $
    return f


@pytest.mark.parametrize("backend", BACKENDS)
def test_signal_and_timeout_end_a_stepped_test(tmp_path, backend):
    """rax --test with a step limit runs instruction by instruction: a
    signal and --timeout end it as they end any run, with one line."""
    if backend == "kvm":
        kvm_require("singlestep")
    img = _spin_image(tmp_path, 1 << 40)
    p = spawn(["--backend", backend, "--test", img], stdout=subprocess.PIPE)
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    status, err, took = wait_end(p, 10)
    assert status == SIGNAL, err
    assert_one_line(err, "interrupted by SIGTERM")
    assert "outcome: aborted: interrupted" in p.stdout.read().decode()
    r = run_rax(["--backend", backend, "--test", img, "--timeout", "0.5"], timeout=30)
    assert r.returncode == TIMEOUT, r.stderr
    assert r.stderr.strip() == "rax: timeout after 0.5 seconds", r.stderr
