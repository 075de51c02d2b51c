"""Guest assets from ci/setup.sh and the nested-KVM runner ci/kvm-in-qemu.sh.

These boot the Debian cloud kernel under QEMU TCG (a few seconds each).
"""
import os
import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
CACHE = pathlib.Path(os.environ.get("RAX_CACHE", REPO / ".cache" / "guest"))
QEMU = shutil.which("qemu-system-x86_64")

needs_qemu = pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 not installed (run ci/setup.sh)")


@pytest.fixture(scope="module")
def assets():
    """Run ci/setup.sh (cached, fast when already done) and return the cache dir."""
    r = subprocess.run([str(REPO / "ci" / "setup.sh")], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"ci/setup.sh failed:\n{r.stdout}\n{r.stderr}"
    for name in ("bzImage", "initrd.img", "kernel-version"):
        assert (CACHE / name).is_file() and (CACHE / name).stat().st_size > 0, name
    return CACHE


def test_setup_outputs(assets):
    kver = (assets / "kernel-version").read_text().strip()
    assert kver.endswith("-cloud-amd64"), kver
    assert (assets / "kernel" / "lib" / "modules" / kver).is_dir()
    data = (assets / "bzImage").read_bytes()[:0x300]
    assert data[0x202:0x206] == b"HdrS", "bzImage lacks the boot-protocol magic"
    assert (assets / "initrd.img").read_bytes()[:2] == b"\x1f\x8b", "initrd.img is not gzip"
    gi = (REPO / ".gitignore").read_text().split()
    assert ".cache/" in gi


def test_setup_second_run_is_cached(assets):
    before = {n: (assets / n).stat().st_mtime_ns for n in ("bzImage", "initrd.img")}
    r = subprocess.run([str(REPO / "ci" / "setup.sh")], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, RAX_SETUP_NO_APT="1"))
    assert r.returncode == 0, r.stderr
    after = {n: (assets / n).stat().st_mtime_ns for n in ("bzImage", "initrd.img")}
    assert before == after, "second ci/setup.sh run rebuilt cached assets"


@needs_qemu
def test_initrd_runs_rax_cmd_under_qemu(assets):
    r = subprocess.run(
        [QEMU, "-accel", "tcg", "-m", "512", "-display", "none", "-monitor", "none", "-serial", "stdio",
         "-nodefaults", "-no-reboot", "-kernel", str(assets / "bzImage"), "-initrd", str(assets / "initrd.img"),
         "-append", "console=ttyS0 quiet rax.cmd=echo hello from $(uname -r); exit 3"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    out = r.stdout.decode(errors="replace").replace("\r", "")
    assert "RAX-INIT: busybox userspace up" in out, out
    assert "hello from " + (assets / "kernel-version").read_text().strip() in out, out
    assert "RAX-CMD-DONE rc=3" in out, out


KVM_PROG = r"""
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
int main(void) {
    int kvm = open("/dev/kvm", O_RDWR), vm, cpu;
    if (kvm < 0) { perror("/dev/kvm"); return 2; }
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    unsigned char *mem = mmap(0, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    static const unsigned char code[] = {0xb0, 0x42, 0xe6, 0xf4, 0xf4}; /* mov al,0x42; out 0xf4,al; hlt */
    memcpy(mem, code, sizeof code);
    struct kvm_userspace_memory_region r = {.slot = 0, .guest_phys_addr = 0x1000, .memory_size = 0x1000,
                                            .userspace_addr = (unsigned long)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0) { perror("region"); return 2; }
    cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    struct kvm_run *run = mmap(0, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
    struct kvm_sregs s; ioctl(cpu, KVM_GET_SREGS, &s); s.cs.base = 0; s.cs.selector = 0; ioctl(cpu, KVM_SET_SREGS, &s);
    struct kvm_regs g = {.rip = 0x1000, .rflags = 2}; ioctl(cpu, KVM_SET_REGS, &g);
    for (int i = 0; i < 4; i++) {
        if (ioctl(cpu, KVM_RUN, 0) < 0) { perror("KVM_RUN"); return 2; }
        if (run->exit_reason == KVM_EXIT_IO)
            printf("IO port=0x%x value=0x%x\n", run->io.port, *((unsigned char *)run + run->io.data_offset));
        else if (run->exit_reason == KVM_EXIT_HLT) { printf("HLT\n"); return 0; }
        else { printf("exit %d\n", run->exit_reason); return 1; }
    }
    return 1;
}
"""


@needs_qemu
def test_kvm_in_qemu_runs_a_kvm_guest(assets, tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    src = tmp_path / "kvmtiny.c"
    src.write_text(KVM_PROG)
    exe = tmp_path / "kvmtiny"
    subprocess.run([cc, "-O2", "-o", str(exe), str(src)], check=True)  # dynamic: exercises the ldd copy
    r = subprocess.run(
        [str(REPO / "ci" / "kvm-in-qemu.sh"), "--timeout", "300", "--copy", f"{exe}:bin/kvmtiny",
         "--run", "bin/kvmtiny && exit 5"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=360)
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 5, f"rc={r.returncode}\n{out}\n{r.stderr.decode(errors='replace')}"
    assert "IO port=0xf4 value=0x42" in out and "HLT" in out, out
