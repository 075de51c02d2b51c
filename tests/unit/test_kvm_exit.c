/*
 * test_kvm_exit.c - kvm_exit_handle() on synthetic KVM exits: port I/O (one
 * item and string I/O, both directions) and MMIO through the VM's bus, HLT
 * with IF=0 and IF=1, triple fault, system events, single-step, the texts
 * of internal errors (every suberror, with and without the CPL0 hint),
 * entry failures and unknown reasons. The vCPU is a fake: no /dev/kvm.
 */
#include <string.h>

#include "emu/decode.h"
#include "kvm/kvm_exit.h"
#include "test_dev_util.h"
#include "unit.h"

/* ---- a recording device on the bus ---- */

#define REC_PORT 0x510
#define REC_MMIO 0xfeb00000ull

struct rec_access {
	uint64_t offset, value;
	unsigned size;
};

static struct rec_access rec_w[16];
static unsigned rec_nw, rec_nr;

static uint64_t rec_read(void *opaque, uint64_t offset, unsigned size)
{
	/* reads answer 0x1234567890abcdef + number of earlier reads */
	return 0x1234567890abcdefull + rec_nr++;
}

static void rec_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	if (rec_nw < 16)
		rec_w[rec_nw++] = (struct rec_access){ offset, value, size };
}

static void rec_reset(void)
{
	memset(rec_w, 0, sizeof(rec_w));
	rec_nw = rec_nr = 0;
}

/* ---- the fake vCPU ---- */

static struct kvm_exit_where fake_where;
static bool fake_where_ok = true, fake_halted, fake_emulated;
static unsigned emulated_asked;

static int fake_where_fn(void *opaque, struct kvm_exit_where *w)
{
	if (!fake_where_ok)
		return -1;
	*w = fake_where;
	return 0;
}

static bool fake_halted_fn(void *opaque) { return fake_halted; }

static bool fake_emulated_fn(void *opaque)
{
	emulated_asked++;
	return fake_emulated;
}

static struct kvm_exit_vcpu vcpu = {
	.where = fake_where_fn,
	.halted_for_good = fake_halted_fn,
	.cpl0_emulated = fake_emulated_fn,
};

/* The run area: struct kvm_run, then the I/O data page as KVM maps it. */
static union {
	struct kvm_run run;
	uint8_t bytes[3 * 4096];
} area __attribute__((aligned(4096)));
static struct kvm_run *const run = &area.run;
#define IO_DATA_OFFSET 4096u

static struct rax_exit ex;

/* Run one synthetic exit: fresh exit record, the run area's reason set. */
static enum kvm_exit_next feed(uint32_t reason)
{
	memset(&ex, 0, sizeof(ex));
	run->exit_reason = reason;
	return kvm_exit_handle(&vm, run, &vcpu, &ex);
}

static void set_io(uint8_t dir, uint16_t port, uint8_t size, uint32_t count)
{
	memset(&area, 0, sizeof(area));
	run->io.direction = dir;
	run->io.port = port;
	run->io.size = size;
	run->io.count = count;
	run->io.data_offset = IO_DATA_OFFSET;
}

static uint8_t *io_data(void) { return area.bytes + IO_DATA_OFFSET; }

/* Where the fake vCPU stopped: rip, cpl, mode and code bytes (hex). */
static void set_where(uint64_t rip, unsigned cpl, unsigned mode, const char *hex)
{
	memset(&fake_where, 0, sizeof(fake_where));
	fake_where.rip = rip;
	fake_where.cpl = cpl;
	fake_where.mode = mode;
	uint8_t b[32];
	size_t n = unit_hex(hex, b);
	fake_where.nbytes = n > 15 ? 15 : (unsigned)n;
	memcpy(fake_where.bytes, b, fake_where.nbytes);
	fake_where_ok = true;
}

#define CHECK_STR(a, b)                                                                                       \
	do {                                                                                                  \
		const char *sa_ = (a), *sb_ = (b);                                                            \
		if (strcmp(sa_, sb_) == 0) {                                                                  \
			unit_pass++;                                                                          \
		} else {                                                                                      \
			unit_fail++;                                                                          \
			fprintf(stderr, "%s:%d: CHECK_STR failed:\n  got  \"%s\"\n  want \"%s\"\n", __FILE__, \
				__LINE__, sa_, sb_);                                                          \
		}                                                                                             \
	} while (0)

static void test_port_io(void)
{
	/* one OUT reaches the device with its size and value */
	rec_reset();
	set_io(KVM_EXIT_IO_OUT, REC_PORT + 2, 2, 1);
	memcpy(io_data(), "\x34\x12", 2);
	CHECK_EQ(feed(KVM_EXIT_IO), KVM_EXIT_NEXT_RUN);
	CHECK_EQ(rec_nw, 1);
	CHECK_EQ(rec_w[0].offset, 2);
	CHECK_EQ(rec_w[0].size, 2);
	CHECK_EQ(rec_w[0].value, 0x1234);

	/* rep outsd: count items back to back, in order */
	rec_reset();
	set_io(KVM_EXIT_IO_OUT, REC_PORT, 4, 3);
	const uint32_t words[3] = { 0x11111111, 0x22222222, 0x33333333 };
	memcpy(io_data(), words, sizeof(words));
	CHECK_EQ(feed(KVM_EXIT_IO), KVM_EXIT_NEXT_RUN);
	CHECK_EQ(rec_nw, 3);
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ(rec_w[i].size, 4);
		CHECK_EQ(rec_w[i].value, words[i]);
	}

	/* one IN: the device's answer lands in the data page, sized */
	rec_reset();
	set_io(KVM_EXIT_IO_IN, REC_PORT, 4, 1);
	memset(io_data(), 0xaa, 8);
	CHECK_EQ(feed(KVM_EXIT_IO), KVM_EXIT_NEXT_RUN);
	uint32_t v32;
	memcpy(&v32, io_data(), 4);
	CHECK_EQ(v32, 0x90abcdef);
	CHECK_EQ(io_data()[4], 0xaa); /* nothing past the item */

	/* rep insb: each read in its own slot */
	rec_reset();
	set_io(KVM_EXIT_IO_IN, REC_PORT, 1, 4);
	CHECK_EQ(feed(KVM_EXIT_IO), KVM_EXIT_NEXT_RUN);
	CHECK_EQ(rec_nr, 4);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(io_data()[i], (uint8_t)(0xef + i));

	/* rep insw from a port nobody claims: all ones */
	set_io(KVM_EXIT_IO_IN, 0x7770, 2, 2);
	CHECK_EQ(feed(KVM_EXIT_IO), KVM_EXIT_NEXT_RUN);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(io_data()[i], 0xff);

	/* a real device model: the PIC's mask register written and read back */
	set_io(KVM_EXIT_IO_OUT, 0x21, 1, 1);
	io_data()[0] = 0xa5;
	CHECK_EQ(feed(KVM_EXIT_IO), KVM_EXIT_NEXT_RUN);
	CHECK_EQ(in8(0x21), 0xa5);
	out8(0x21, 0x5a);
	set_io(KVM_EXIT_IO_IN, 0x21, 1, 1);
	CHECK_EQ(feed(KVM_EXIT_IO), KVM_EXIT_NEXT_RUN);
	CHECK_EQ(io_data()[0], 0x5a);
}

static void test_mmio(void)
{
	rec_reset();
	memset(&area, 0, sizeof(area));
	run->mmio.phys_addr = REC_MMIO + 0x40;
	run->mmio.len = 4;
	run->mmio.is_write = 1;
	memcpy(run->mmio.data, "\x78\x56\x34\x12\xff\xff\xff\xff", 8);
	CHECK_EQ(feed(KVM_EXIT_MMIO), KVM_EXIT_NEXT_RUN);
	CHECK_EQ(rec_nw, 1);
	CHECK_EQ(rec_w[0].offset, 0x40);
	CHECK_EQ(rec_w[0].size, 4);
	CHECK_EQ(rec_w[0].value, 0x12345678); /* only len bytes */

	memset(&area, 0, sizeof(area));
	run->mmio.phys_addr = REC_MMIO + 8;
	run->mmio.len = 8;
	run->mmio.is_write = 0;
	CHECK_EQ(feed(KVM_EXIT_MMIO), KVM_EXIT_NEXT_RUN);
	uint64_t v;
	memcpy(&v, run->mmio.data, 8);
	CHECK_EQ(v, 0x1234567890abcdefull);

	/* a 2-byte read leaves the rest of data alone */
	memset(&area, 0, sizeof(area));
	memset(run->mmio.data, 0xcc, 8);
	run->mmio.phys_addr = REC_MMIO;
	run->mmio.len = 2;
	CHECK_EQ(feed(KVM_EXIT_MMIO), KVM_EXIT_NEXT_RUN);
	CHECK_EQ(run->mmio.data[0], 0xf0);
	CHECK_EQ(run->mmio.data[1], 0xcd);
	CHECK_EQ(run->mmio.data[2], 0xcc);
}

static void test_hlt_and_events(void)
{
	set_where(0x1000, 0, EMU_MODE_64, "f4");

	/* HLT with IF=0: nothing can wake the CPU, a power-off */
	memset(&area, 0, sizeof(area));
	run->if_flag = 0;
	fake_halted = false;
	CHECK_EQ(feed(KVM_EXIT_HLT), KVM_EXIT_NEXT_RETURN);
	CHECK_EQ(ex.kind, RAX_EXIT_HLT);
	/* IF=1: an interrupt will come, keep running */
	run->if_flag = 1;
	CHECK_EQ(feed(KVM_EXIT_HLT), KVM_EXIT_NEXT_RUN);
	CHECK_EQ(ex.kind, RAX_EXIT_NONE);
	/* IF=1 in the run area, but the vCPU says halted with IF=0 */
	fake_halted = true;
	CHECK_EQ(feed(KVM_EXIT_HLT), KVM_EXIT_NEXT_RETURN);
	CHECK_EQ(ex.kind, RAX_EXIT_HLT);
	fake_halted = false;

	CHECK_EQ(feed(KVM_EXIT_INTR), KVM_EXIT_NEXT_RUN);

	/* triple fault: the exit carries the RIP (vm_run reports it) */
	set_where(0xffffffff81001234ull, 0, EMU_MODE_64, "0f 0b");
	CHECK_EQ(feed(KVM_EXIT_SHUTDOWN), KVM_EXIT_NEXT_RETURN);
	CHECK_EQ(ex.kind, RAX_EXIT_SHUTDOWN);
	CHECK_EQ(ex.rip, 0xffffffff81001234ull);
	CHECK_STR(ex.detail, "triple fault at rip 0xffffffff81001234, cpl 0: ud2 (bytes 0f 0b)");
	/* AMD resets the vCPU: the exit says 0xfff0 */
	set_where(0xfff0, 0, EMU_MODE_16, "ea 5b e0 00 f0");
	CHECK_EQ(feed(KVM_EXIT_SHUTDOWN), KVM_EXIT_NEXT_RETURN);
	CHECK_EQ(ex.rip, 0xfff0);

	/* system events become stop requests; the loop sees vm.stop */
	vm.stop = 0;
	memset(&area, 0, sizeof(area));
	run->system_event.type = KVM_SYSTEM_EVENT_RESET;
	CHECK_EQ(feed(KVM_EXIT_SYSTEM_EVENT), KVM_EXIT_NEXT_RUN);
	CHECK_EQ(vm.stop, 1);
	CHECK_EQ(vm.stop_status, RAX_STATUS_RESET);
	vm.stop = 0;
	run->system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
	CHECK_EQ(feed(KVM_EXIT_SYSTEM_EVENT), KVM_EXIT_NEXT_RUN);
	CHECK_EQ(vm.stop, 1);
	CHECK_EQ(vm.stop_status, RAX_STATUS_OK);
	vm.stop = 0;

	/* KVM_EXIT_DEBUG ends a single-step, and only then */
	memset(&area, 0, sizeof(area));
	run->debug.arch.pc = 0x401002;
	vcpu.want_debug = false;
	CHECK_EQ(feed(KVM_EXIT_DEBUG), KVM_EXIT_NEXT_RUN);
	vcpu.want_debug = true;
	CHECK_EQ(feed(KVM_EXIT_DEBUG), KVM_EXIT_NEXT_RETURN);
	CHECK_EQ(ex.kind, RAX_EXIT_STEP);
	CHECK_EQ(ex.rip, 0x401002);
	vcpu.want_debug = false;
}

static void internal(uint32_t suberror)
{
	memset(&area, 0, sizeof(area));
	run->internal.suberror = suberror;
	CHECK_EQ(feed(KVM_EXIT_INTERNAL_ERROR), KVM_EXIT_NEXT_RETURN);
	CHECK_EQ(ex.kind, RAX_EXIT_INTERNAL);
}

#define CMPXCHG16B "f0 48 0f c7 4d 20 90 90 90 90 90 90 90 90 90"
#define HINT_EMU \
	": this host's KVM emulates CPL0 code in software (kvm_pvm) and cannot emulate this instruction; use --backend emulator"

static void test_internal_errors(void)
{
	/* the Debian kernel's stop on kvm_pvm: instruction named, hint given */
	set_where(0xffffffff81a2b3c4ull, 0, EMU_MODE_64, CMPXCHG16B);
	fake_emulated = true;
	emulated_asked = 0;
	internal(KVM_INTERNAL_ERROR_EMULATION);
	CHECK_EQ(ex.rip, 0xffffffff81a2b3c4ull);
	CHECK_STR(ex.detail,
		  "KVM internal error, suberror 1 (emulation failure) at rip 0xffffffff81a2b3c4, "
		  "cpl 0: lock cmpxchg16b [rbp+0x20] (bytes f0 48 0f c7 4d 20)" HINT_EMU);
	CHECK_EQ(emulated_asked, 1);

	/* hardware KVM: the same without the hint */
	fake_emulated = false;
	internal(KVM_INTERNAL_ERROR_EMULATION);
	CHECK_STR(ex.detail,
		  "KVM internal error, suberror 1 (emulation failure) at rip 0xffffffff81a2b3c4, "
		  "cpl 0: lock cmpxchg16b [rbp+0x20] (bytes f0 48 0f c7 4d 20)");

	/* CPL3 code runs natively even on kvm_pvm: no hint, no probe */
	fake_emulated = true;
	emulated_asked = 0;
	set_where(0x401000, 3, EMU_MODE_64, "cc");
	internal(KVM_INTERNAL_ERROR_EMULATION);
	CHECK_STR(ex.detail,
		  "KVM internal error, suberror 1 (emulation failure) at rip 0x401000, cpl 3: "
		  "int3 (bytes cc)");
	CHECK_EQ(emulated_asked, 0);

	/* the other suberrors, at CPL0 on an emulating host */
	set_where(0xffffffff81000010ull, 0, EMU_MODE_64, "0f ae 55 f8");
	internal(KVM_INTERNAL_ERROR_SIMUL_EX);
	CHECK_STR(ex.detail,
		  "KVM internal error, suberror 2 (exception while delivering an exception) at rip "
		  "0xffffffff81000010, cpl 0: ldmxcsr [rbp-0x8] (bytes 0f ae 55 f8): this host's KVM emulates "
		  "CPL0 code in software (kvm_pvm); use --backend emulator");
	fake_emulated = false;
	internal(KVM_INTERNAL_ERROR_DELIVERY_EV);
	CHECK_STR(ex.detail,
		  "KVM internal error, suberror 3 (cannot deliver event) at rip "
		  "0xffffffff81000010, cpl 0: ldmxcsr [rbp-0x8] (bytes 0f ae 55 f8)");
	internal(KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
	CHECK_STR(ex.detail,
		  "KVM internal error, suberror 4 (unknown) at rip 0xffffffff81000010, cpl 0: "
		  "ldmxcsr [rbp-0x8] (bytes 0f ae 55 f8)");
	internal(77);
	CHECK_STR(ex.detail,
		  "KVM internal error, suberror 77 (unknown) at rip 0xffffffff81000010, cpl 0: "
		  "ldmxcsr [rbp-0x8] (bytes 0f ae 55 f8)");

	/* 32-bit code decodes as 32-bit code */
	set_where(0xc0001000, 0, EMU_MODE_32, "0f c7 0f 90");
	internal(KVM_INTERNAL_ERROR_EMULATION);
	CHECK_STR(ex.detail,
		  "KVM internal error, suberror 1 (emulation failure) at rip 0xc0001000, cpl 0: "
		  "cmpxchg8b [edi] (bytes 0f c7 0f)");

	/* bytes our decoder rejects are all shown */
	set_where(0x2000, 3, EMU_MODE_64, "0f 04 00");
	internal(KVM_INTERNAL_ERROR_EMULATION);
	CHECK_STR(ex.detail,
		  "KVM internal error, suberror 1 (emulation failure) at rip 0x2000, cpl 3: "
		  "(undecodable) (bytes 0f 04 00)");

	/* code not readable: the bytes KVM fetched stand in */
	set_where(0x3000, 3, EMU_MODE_64, "");
	internal(KVM_INTERNAL_ERROR_EMULATION);
	CHECK_STR(ex.detail,
		  "KVM internal error, suberror 1 (emulation failure) at rip 0x3000, cpl 3 "
		  "(code not readable)");
	memset(&area, 0, sizeof(area));
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.ndata = 3;
	run->emulation_failure.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	run->emulation_failure.insn_size = 2;
	memcpy(run->emulation_failure.insn_bytes, "\x0f\xa2", 2);
	CHECK_EQ(feed(KVM_EXIT_INTERNAL_ERROR), KVM_EXIT_NEXT_RETURN);
	CHECK_STR(ex.detail,
		  "KVM internal error, suberror 1 (emulation failure) at rip 0x3000, cpl 3: "
		  "cpuid (bytes 0f a2)");

	/* registers not readable: the error alone */
	fake_where_ok = false;
	internal(KVM_INTERNAL_ERROR_EMULATION);
	CHECK_STR(ex.detail, "KVM internal error, suberror 1 (emulation failure)");
	CHECK_EQ(ex.rip, 0);

	/* the longest text still ends with the advice in rax_exit.detail */
	set_where(0xffffffffffffffffull, 0, EMU_MODE_64, "f0 67 48 0f c7 8c 88 78 56 34 12 90 90 90 90");
	char buf[sizeof(ex.detail)];
	kvm_exit_internal_text(buf, sizeof(buf), 0xffffffffu, &fake_where, true);
	CHECK(strlen(buf) + 1 < sizeof(buf));
	kvm_exit_internal_text(buf, sizeof(buf), KVM_INTERNAL_ERROR_EMULATION, &fake_where, true);
	size_t n = strlen(buf), h = strlen(HINT_EMU);
	CHECK(n > h && strcmp(buf + n - h, HINT_EMU) == 0);
	/* a short buffer truncates, terminated */
	kvm_exit_internal_text(buf, 20, KVM_INTERNAL_ERROR_EMULATION, &fake_where, true);
	CHECK_STR(buf, "KVM internal error,");
}

static void test_entry_and_unknown(void)
{
	set_where(0x7c00, 0, EMU_MODE_16, "fa 31 c0");
	memset(&area, 0, sizeof(area));
	run->fail_entry.hardware_entry_failure_reason = 0x80000021;
	CHECK_EQ(feed(KVM_EXIT_FAIL_ENTRY), KVM_EXIT_NEXT_RETURN);
	CHECK_EQ(ex.kind, RAX_EXIT_INTERNAL);
	CHECK_EQ(ex.rip, 0x7c00);
	CHECK_STR(ex.detail, "KVM entry failed, hardware reason 0x80000021 at rip 0x7c00, cpl 0: cli (bytes fa)");

	memset(&area, 0, sizeof(area));
	CHECK_EQ(feed(12345), KVM_EXIT_NEXT_RETURN);
	CHECK_EQ(ex.kind, RAX_EXIT_INTERNAL);
	CHECK_STR(ex.detail, "unexpected KVM exit reason 12345 at rip 0x7c00, cpl 0: cli (bytes fa)");
}

int main(void)
{
	dev_setup(0, NULL);
	struct bus_device pio = {
		.name = "rec", .space = BUS_PIO, .base = REC_PORT, .len = 8, .read = rec_read, .write = rec_write
	};
	struct bus_device mmio = { .name = "rec-mmio",
				   .space = BUS_MMIO,
				   .base = REC_MMIO,
				   .len = 0x1000,
				   .read = rec_read,
				   .write = rec_write };
	CHECK_EQ(bus_register(&vm.bus, &pio), 0);
	CHECK_EQ(bus_register(&vm.bus, &mmio), 0);

	test_port_io();
	test_mmio();
	test_hlt_and_events();
	test_internal_errors();
	test_entry_and_unknown();

	dev_teardown();
	return unit_finish("test_kvm_exit");
}
