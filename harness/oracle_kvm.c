/*
 * oracle_kvm.c - the real CPU through RAX's KVM backend.
 *
 * singlestep: KVM_GUESTDBG_SINGLESTEP through the backend's step() (hosts
 *   with hardware VMX/SVM).
 * trapflag: the test runs with RFLAGS.TF; its #DB is delivered through a
 *   copy of the test's IDT whose vector 1 points at a two-byte handler
 *   (`out PORT_HARNESS_STEP, al`) on an IST slot no other gate uses (IST7
 *   unless taken) of a copy of the test's TSS, all in
 *   the harness area. The port write stops the VM; the interrupted state is
 *   read from the IST frame, and IDTR/TR/DR6/DR7 are reported as the test's
 *   own, so the test's stack and memory are never touched. LIDT is run with
 *   its operand pointed at the shadow of the new table; SIDT's stored IDTR
 *   is replaced by the test's.
 * Both: when the emulator says the instruction entered a handler (exception,
 *   INT n: delivery clears TF, so no step trap comes there), the handler's
 *   first bytes are patched to `out PORT_HARNESS_STEP, al` for that step
 *   (see patch_entry); PUSHF images and exception frames lose the
 *   mechanism's TF (here and in lockstep.c).
 */
#include "oracle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/decode.h"
#include "flagmask.h"
#include "kvm_probe.h"
#include "layout.h"
#include "loader/boot64.h"
#include "vm.h"

/* what the KVM oracle can do on any host; kvm_host_caps() adds what the probe finds */
#define kvm_ops_caps (ORACLE_SYSSTATE | ORACLE_CPL0 | ORACLE_CPL3 | ORACLE_FPU | ORACLE_RUNTIME)
#define STEP_STATUS 0x5354 /* vm->stop_status the step port sets (even: never a debug-exit code) */
#define H_IDT 0x0000
#define H_TSS 0x1000
#define H_CODE 0x2000
#define H_IST_TOP LAYOUT_HARNESS_SIZE /* the top of the area */

struct kvmo {
	struct rax_vm vm;
	bool vm_ok;
	enum kvm_step_mode mode;
	uint64_t harea;
	struct rax_cpu_state cur; /* the test-visible state */
	bool loaded;              /* singlestep: cur is in the vCPU */
};

const char *kvm_step_mode_name(enum kvm_step_mode m)
{
	switch (m) {
	case KVM_STEP_AUTO: return "auto";
	case KVM_STEP_SINGLESTEP: return "singlestep";
	case KVM_STEP_TRAPFLAG: return "trapflag";
	}
	return "?";
}

static void step_port_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	vm_request_stop(opaque, STEP_STATUS);
}

static int make_vm(struct rax_vm *vm, uint64_t size, struct rax_err *err)
{
	struct rax_config cfg = { .backend = RAX_BACKEND_KVM, .mem_size = size, .console_in = -1, .console_out = -1 };
	if (vm_create(vm, &cfg, err) < 0)
		return -1;
	struct bus_device d = { .name = "rax-diff-step",
				.space = BUS_PIO,
				.base = PORT_HARNESS_STEP,
				.len = 1,
				.opaque = vm,
				.write = step_port_write };
	if (bus_register(&vm->bus, &d) < 0 || vm_create_backend(vm, err) < 0) {
		if (!err || !err->msg[0])
			rax_errf(err, RAX_STATUS_HOST, "cannot register the harness step port");
		vm_destroy(vm);
		return -1;
	}
	return 0;
}

/* The KVM oracle's capabilities on this host. */
static unsigned kvm_host_caps(void)
{
	const struct kvm_caps *c = kvm_probe();
	return kvm_ops_caps | (c->int_cpl3.ok ? ORACLE_INT_CPL3 : 0) | (c->cpl0_native.ok ? ORACLE_CPL0_CPU : 0);
}

bool oracle_kvm_usable(enum kvm_step_mode *mode, unsigned *caps, char *why, size_t n)
{
	const struct kvm_caps *c = kvm_probe();
	why[0] = 0;
	if (!c->usable.ok) {
		snprintf(why, n, "%s", c->usable.why);
		return false;
	}
	if (*mode == KVM_STEP_AUTO)
		*mode = c->singlestep.ok && c->singlestep_cpl3.ok ? KVM_STEP_SINGLESTEP : KVM_STEP_TRAPFLAG;
	const struct kvm_finding *m = *mode == KVM_STEP_SINGLESTEP ? &c->singlestep : &c->trapflag;
	if (!m->ok) {
		snprintf(why, n, "%s stepping does not work on this host's KVM: %s", kvm_step_mode_name(*mode), m->why);
		return false;
	}
	*caps = kvm_host_caps();
	return true;
}

/*
 * KVM_GET_FPU copies the legacy area of the vCPU's XSAVE image as it is.
 * When the guest's x87 or SSE state is in its initial configuration the
 * host's XSAVES (as seen under nested KVM on QEMU) does not write that
 * component, and the area reads as zeros: MXCSR 0 where the CPU holds
 * 0x1f80, FCW 0 where it holds 0x37f. Zeros everywhere in a component is
 * exactly that case (an MXCSR of 0 with all XMM registers zero, or FCW 0,
 * are not states a guest reaches by accident: FCW 0 unmasks every x87
 * exception and selects 24-bit precision); report the initial values then.
 */
void oracle_kvm_fpu_fixup(struct rax_fpu_state *f)
{
	static const uint8_t zero[sizeof(f->xmm)];
	if (f->mxcsr == 0 && !memcmp(f->xmm, zero, sizeof(f->xmm)))
		f->mxcsr = 0x1f80;
	if (f->fcw == 0 && f->fsw == 0 && f->ftw == 0)
		f->fcw = 0x37f;
}

static struct kvmo *K(struct oracle *o) { return o->priv; }

static int kread(struct oracle *o, uint64_t addr, void *buf, size_t len)
{
	return guest_mem_read(&K(o)->vm.mem, addr, buf, len);
}

static int kwrite(struct oracle *o, uint64_t addr, const void *buf, size_t len)
{
	return guest_mem_write(&K(o)->vm.mem, addr, buf, len);
}

/* Linear to guest-physical under the test's paging, through KVM. */
static int lin(struct kvmo *k, uint64_t la, uint64_t *gpa) { return k->vm.ops->translate(&k->vm, la, gpa); }

/* Segment cache from a GDT descriptor (for CS/SS in an IST frame). */
static void seg_from_gdt(struct kvmo *k, uint16_t sel, struct rax_segment *s)
{
	uint64_t d = 0, gpa;
	*s = (struct rax_segment){ .selector = sel, .unusable = 1 };
	if ((sel & ~3u) == 0 || (sel & 4) || (sel | 7u) > k->cur.gdt.limit ||
	    lin(k, k->cur.gdt.base + (sel & ~7u), &gpa) < 0 || guest_mem_read(&k->vm.mem, gpa, &d, 8) < 0)
		return;
	emu_desc_to_seg(d, sel, s);
	s->unusable = !s->present;
}

/* Bytes at a linear address under the test's paging (the vCPU's CR3). */
static int lread(struct kvmo *k, uint64_t la, void *buf, size_t n)
{
	uint8_t *b = buf;
	while (n) {
		uint64_t gpa;
		size_t c = 4096 - (la & 4095);
		if (c > n)
			c = n;
		if (lin(k, la, &gpa) < 0 || guest_mem_read(&k->vm.mem, gpa, b, c) < 0)
			return -1;
		la += c, b += c, n -= c;
	}
	return 0;
}

static int lwrite(struct kvmo *k, uint64_t la, const void *buf, size_t n)
{
	const uint8_t *b = buf;
	while (n) {
		uint64_t gpa;
		size_t c = 4096 - (la & 4095);
		if (c > n)
			c = n;
		if (lin(k, la, &gpa) < 0 || guest_mem_write(&k->vm.mem, gpa, b, c) < 0)
			return -1;
		la += c, b += c, n -= c;
	}
	return 0;
}

/* Decode the instruction at rip (the vCPU must hold the test's paging). */
static bool decode_at(struct kvmo *k, uint64_t rip, struct emu_insn *in)
{
	uint8_t b[15];
	unsigned n = sizeof(b);
	if (lread(k, rip, b, n) < 0)
		for (n = 0; n < sizeof(b); n++)
			if (lread(k, rip + n, &b[n], 1) < 0)
				break;
	memset(in, 0, sizeof(*in));
	return n && emu_decode(b, n, in) == EMU_DEC_OK;
}

/* The memory form of a row with fact bit fact (EMU_F_LIDT, EMU_F_SIDT). */
static bool mem_form(const struct emu_insn *in, uint64_t fact) { return (insn_facts(in) & fact) && in->mod != 3; }

/*
 * PUSHF under either stepping mechanism pushes the TF the harness set (KVM
 * sets TF itself for KVM_GUESTDBG_SINGLESTEP): clear it in the pushed image
 * when the test never set TF. And a host that runs guest CPL3 code with
 * interrupts enabled whatever the guest's IF (rax --kvm-info: pushf-cpl3)
 * pushes IF=1: put the guest's IF there. pre and post are the states
 * before and after the PUSHF.
 */
static void fix_pushf(struct kvmo *k, const struct emu_insn *in, const struct rax_cpu_state *pre,
		      const struct rax_cpu_state *post)
{
	if (!(insn_facts(in) & EMU_F_PUSHF))
		return;
	uint8_t b, was; /* TF and IF are bits 0 and 1 of the image's second byte (16- and 64-bit PUSHF) */
	if (lread(k, post->gpr[RAX_REG_RSP] + 1, &b, 1) < 0)
		return;
	was = b;
	if (!(pre->rflags & RFLAGS_TF))
		b &= (uint8_t)~1u;
	if (cpu_state_cpl(pre) == 3 && !kvm_probe()->pushf_cpl3.ok)
		b = (uint8_t)((b & ~2u) | ((pre->rflags & RFLAGS_IF) ? 2u : 0u));
	if (b != was)
		lwrite(k, post->gpr[RAX_REG_RSP] + 1, &b, 1);
}

/*
 * A port write that ends the guest (debug-exit) stops the VM at the KVM I/O
 * exit, before KVM completes the OUT: RIP is still on it. The instruction
 * did execute (the device saw the write): report RIP after it.
 */
static void out_done(const struct emu_insn *in, const struct rax_cpu_state *pre, struct rax_cpu_state *t)
{
	bool out = (insn_facts(in) & EMU_F_POUT) && !(insn_facts(in) & EMU_F_STR);
	if (out && t->rip == pre->rip)
		t->rip += in->len;
}

/*
 * A handler entry the oracle must stop at. Event delivery (exception, INT n)
 * clears TF, so neither stepping mechanism traps on the handler's first
 * instruction; hardware breakpoints are not reliable either (DR0 does not
 * fire under nested SVM on QEMU TCG). So the handler's first two bytes
 * become `out PORT_HARNESS_STEP, al` for the one step, which ends the run
 * at the handler with nothing of the handler executed.
 */
struct entry_patch {
	bool on;
	uint64_t la;
	uint8_t save[2];
};

static void patch_entry(struct kvmo *k, const struct oracle_hint *hint, struct entry_patch *p)
{
	static const uint8_t out[2] = { 0xe6, PORT_HARNESS_STEP };
	p->on = false;
	if (!hint || !hint->valid || !hint->entered || hint->next_cpl != 0 ||
	    lread(k, hint->next_rip, p->save, 2) < 0 || lwrite(k, hint->next_rip, out, 2) < 0)
		return;
	p->la = hint->next_rip;
	p->on = true;
}

static void unpatch_entry(struct kvmo *k, struct entry_patch *p)
{
	if (p->on)
		lwrite(k, p->la, p->save, 2);
}

/*
 * The vCPU stopped on a port exit (the patched OUT at a handler, or any
 * port access in --kernel mode) that KVM completes on the next KVM_RUN:
 * for an OUT still under RIP it skips the instruction, for an IN it also
 * writes RAX - unless RIP has moved since (KVM compares the linear RIP), in
 * which case it drops the access. Let it be dropped on the harness's own
 * code instead (H_CODE: out PORT_HARNESS_STEP, al; jmp $-2 - entered at the
 * jmp), run in flat 32-bit protected mode without paging so that it works
 * whatever the guest's page tables map. The vCPU then holds junk state
 * (and a pending OUT at H_CODE, which the next state load drops): the
 * caller loads the state it wants next.
 */
static int run_flat32(struct kvmo *k, const struct rax_cpu_state *like, uint64_t entry, struct rax_err *err);

static int settle(struct kvmo *k, const struct rax_cpu_state *like, struct rax_err *err)
{
	return run_flat32(k, like, k->harea + H_CODE + 2, err);
}

static int run_flat32(struct kvmo *k, const struct rax_cpu_state *like, uint64_t entry, struct rax_err *err)
{
	struct rax_vm *vm = &k->vm;
	struct rax_cpu_state d = *like;
	const struct rax_segment code = {
		.limit = 0xffffffff, .selector = 0x08, .type = 11, .s = 1, .present = 1, .db = 1, .g = 1
	};
	const struct rax_segment data = {
		.limit = 0xffffffff, .selector = 0x10, .type = 3, .s = 1, .present = 1, .db = 1, .g = 1
	};
	for (int i = 0; i < RAX_NSEG; i++)
		d.seg[i] = data;
	d.seg[RAX_SEG_CS] = code;
	d.cr0 = CR0_PE | CR0_ET | CR0_NE;
	d.cr4 = 0;
	d.efer = 0;
	d.rip = entry;
	d.rflags = RFLAGS_FIXED1;
	d.dr7 = 0x400;
	vm->stop = 0;
	vm->stop_status = 0;
	if (vm->ops->set_state(vm, &d, err) < 0)
		return -1;
	struct rax_exit ex;
	memset(&ex, 0, sizeof(ex));
	if (vm->ops->run(vm, &ex, err) < 0)
		return -1;
	int status = vm->stop_status;
	vm->stop = 0;
	vm->stop_status = 0;
	if (vm->kick)
		*vm->kick = 0;
	if (status != STEP_STATUS)
		return rax_errf(err, RAX_STATUS_INTERNAL, "KVM oracle: harness stub did not stop (%s)",
				ex.detail[0] ? ex.detail : rax_status_name(status));
	return 0;
}

static int flush_port_exit(struct kvmo *k, const struct rax_cpu_state *at, struct rax_err *err)
{
	return settle(k, at, err);
}

int oracle_kvm_settle(struct oracle *o, struct rax_err *err)
{
	struct kvmo *k = K(o);
	return settle(k, &k->cur, err);
}

/*
 * A KVM internal error on CPL0 code where the host emulates CPL0 code
 * (kvm_pvm) is the host's limit, not a failure of the test or of RAX: the
 * instruction cannot be checked here.
 */
static enum oracle_event internal_kind(const struct rax_exit *ex, const struct rax_cpu_state *at)
{
	if (ex->kind == RAX_EXIT_INTERNAL && cpu_state_cpl(at) == 0 && !kvm_probe()->cpl0_native.ok)
		return ORACLE_CANNOT;
	return ORACLE_INTERNAL;
}

/*
 * Port I/O at CPL0 on a host that emulates CPL0 code: measured on kvm_pvm,
 * the host completes the access after the exit to user space and runs on
 * through the next instruction before the step trap, so no step can stop
 * after it. The lockstep engines end the comparison there (SKIP).
 */
static bool cannot_step(const struct oracle *o, bool dec, const struct emu_insn *in, const struct rax_cpu_state *s,
			struct oracle_result *r)
{
	bool io = dec && insn_port_io(in);
	if (!io || cpu_state_cpl(s) != 0 || (o->caps & ORACLE_CPL0_CPU))
		return false;
	r->kind = ORACLE_CANNOT;
	snprintf(r->detail, sizeof(r->detail),
		 "port I/O at CPL0: this host's KVM emulates it and runs on past it when stepped");
	return true;
}

/* Whether the run ended on the patched handler entry. */
static bool at_patch(const struct entry_patch *p, int status, const struct rax_cpu_state *t)
{
	return p->on && status == STEP_STATUS && (t->rip == p->la || t->rip == p->la + 2);
}

static int trapflag_step(struct oracle *o, const struct oracle_hint *hint, struct oracle_result *r, struct rax_err *err)
{
	struct kvmo *k = K(o);
	struct rax_vm *vm = &k->vm;
	struct rax_cpu_state s = k->cur;
	uint64_t h = k->harea, gpa;
	/* the vCPU must translate with the test's paging (it still does after a step) */
	if (!k->loaded && vm->ops->set_state(vm, &s, err) < 0)
		return -1;
	k->loaded = true;
	struct emu_insn in;
	bool dec = decode_at(k, s.rip, &in);
	if (cannot_step(o, dec, &in, &s, r))
		return 0;
	/* the IDT the test will have after this instruction: LIDT's operand is
	 * pointed at our shadow of the new table for the one step */
	struct rax_dtable tidt = k->cur.idt;
	bool lidt = false;
	uint64_t lidt_ea = 0;
	uint8_t lidt_save[10];
	if (dec && mem_form(&in, EMU_F_LIDT) && cpu_state_cpl(&s) == 0) {
		lidt_ea = emu_insn_linear(&in, &s);
		if (lread(k, lidt_ea, lidt_save, sizeof(lidt_save)) == 0) {
			lidt = true;
			memcpy(&tidt.limit, lidt_save, 2);
			memcpy(&tidt.base, lidt_save + 2, 8);
		}
	}
	/* our IDT: the test's, with vector 1 on IST1 to the harness handler */
	uint8_t idt[4096];
	memset(idt, 0, sizeof(idt));
	unsigned ilen = (unsigned)tidt.limit + 1 < sizeof(idt) ? tidt.limit + 1u : sizeof(idt);
	if (lread(k, tidt.base, idt, ilen) < 0)
		for (unsigned i = 0; i < ilen; i += 8)
			if (lin(k, tidt.base + i, &gpa) == 0)
				guest_mem_read(&vm->mem, gpa, idt + i, 8);
	uint16_t sel = (uint16_t)(idt[16 + 2] | idt[16 + 3] << 8);
	if (!sel)
		sel = s.seg[RAX_SEG_CS].dpl == 0 ? s.seg[RAX_SEG_CS].selector : 0x08;
	uint64_t hc = h + H_CODE;
	/* the handler's stack: an IST slot no other gate of the test uses */
	unsigned ist = 7;
	for (unsigned used = 0, i = 0;; i++) {
		if (i * 16 + 16 <= ilen && i != 1) {
			used |= 1u << (idt[i * 16 + 4] & 7);
			continue;
		}
		while (ist > 1 && (used & (1u << ist)))
			ist--;
		break;
	}
	uint64_t lo = (hc & 0xffff) | (uint64_t)sel << 16 | (uint64_t)ist << 32 | 0x8eull << 40 |
		((hc >> 16) & 0xffff) << 48;
	uint64_t hi = hc >> 32;
	memcpy(idt + 16, &lo, 8);
	memcpy(idt + 24, &hi, 8);
	guest_mem_write(&vm->mem, h + H_IDT, idt, sizeof(idt));
	/* the same limit as the test's (other vectors fault as they would), but
	 * vector 1 always inside it */
	uint16_t hlimit = ilen - 1 < 31 ? 31 : (uint16_t)(ilen - 1);
	if (lidt) {
		uint8_t op[10];
		uint64_t hb = h + H_IDT;
		memcpy(op, &hlimit, 2);
		memcpy(op + 2, &hb, 8);
		lwrite(k, lidt_ea, op, sizeof(op));
	}
	uint8_t tss[104];
	memset(tss, 0, sizeof(tss));
	if (lin(k, k->cur.tr.base, &gpa) == 0)
		guest_mem_read(&vm->mem, gpa, tss, sizeof(tss));
	uint64_t istp = h + H_IST_TOP;
	memcpy(tss + 0x24 + 8 * (ist - 1), &istp, 8);
	guest_mem_write(&vm->mem, h + H_TSS, tss, sizeof(tss));
	static const uint8_t handler[] = { 0xe6, PORT_HARNESS_STEP, 0xeb, 0xfc };
	guest_mem_write(&vm->mem, h + H_CODE, handler, sizeof(handler));
	s.idt = (struct rax_dtable){ .base = h + H_IDT, .limit = hlimit };
	s.tr.base = h + H_TSS;
	s.rflags |= RFLAGS_TF;
	if (vm->ops->set_state(vm, &s, err) < 0)
		return -1;
	struct entry_patch p;
	patch_entry(k, hint, &p);
	vm->stop = 0;
	struct rax_exit ex;
	memset(&ex, 0, sizeof(ex));
	int rc = vm->ops->run(vm, &ex, err);
	unpatch_entry(k, &p);
	if (lidt)
		lwrite(k, lidt_ea, lidt_save, sizeof(lidt_save));
	if (rc < 0)
		return -1;
	int status = vm->stop_status;
	vm->stop = 0;
	vm->stop_status = 0;
	if (vm->kick)
		*vm->kick = 0;
	if (ex.kind == RAX_EXIT_INTERNAL || ex.kind == RAX_EXIT_SHUTDOWN) {
		r->kind = internal_kind(&ex, &k->cur);
		snprintf(r->detail, sizeof(r->detail), "%s", ex.detail[0] ? ex.detail : "triple fault");
		return 0;
	}
	if (ex.kind == RAX_EXIT_HLT || status != STEP_STATUS) {
		r->kind = ORACLE_EXITED;
		snprintf(r->detail, sizeof(r->detail), "%s",
			 ex.kind == RAX_EXIT_HLT ? "halt" : rax_status_name(status));
		struct rax_cpu_state t;
		if (vm->ops->get_state(vm, &t, err) < 0)
			return -1;
		oracle_kvm_fpu_fixup(&t.fpu);
		t.idt = tidt;
		t.tr = k->cur.tr;
		t.rflags = (t.rflags & ~(uint64_t)RFLAGS_TF) | (k->cur.rflags & RFLAGS_TF);
		if (dec)
			out_done(&in, &k->cur, &t);
		k->cur = t;
		k->loaded = false;
		return 0;
	}
	struct rax_cpu_state t;
	if (vm->ops->get_state(vm, &t, err) < 0)
		return -1;
	oracle_kvm_fpu_fixup(&t.fpu);
	if (at_patch(&p, status, &t)) {
		/* stopped on the handler's first instruction, entered by delivery */
		t.rip = p.la;
		if (flush_port_exit(k, &t, err) < 0)
			return -1;
	} else {
		uint64_t f[5];
		if (guest_mem_read(&vm->mem, h + H_IST_TOP - 40, f, sizeof(f)) < 0)
			return rax_errf(err, RAX_STATUS_INTERNAL, "trap-flag step: IST frame unreadable");
		t.rip = f[0];
		if ((uint16_t)f[1] == k->cur.seg[RAX_SEG_CS].selector)
			t.seg[RAX_SEG_CS] = k->cur.seg[RAX_SEG_CS];
		else
			seg_from_gdt(k, (uint16_t)f[1], &t.seg[RAX_SEG_CS]);
		t.rflags = (f[2] & ~(uint64_t)(RFLAGS_TF | RFLAGS_RF)) | (k->cur.rflags & RFLAGS_TF);
		t.gpr[RAX_REG_RSP] = f[3];
		if ((uint16_t)f[4] == k->cur.seg[RAX_SEG_SS].selector)
			t.seg[RAX_SEG_SS] = k->cur.seg[RAX_SEG_SS];
		else
			seg_from_gdt(k, (uint16_t)f[4], &t.seg[RAX_SEG_SS]);
	}
	t.idt = tidt;
	t.tr = k->cur.tr;
	memcpy(t.dr, k->cur.dr, sizeof(t.dr));
	t.dr6 = k->cur.dr6;
	t.dr7 = k->cur.dr7;
	if (dec && t.rip == k->cur.rip + in.len) {
		fix_pushf(k, &in, &k->cur, &t);
		/* SIDT stored our IDT copy's address: store the test's IDTR */
		if (mem_form(&in, EMU_F_SIDT)) {
			uint8_t op[10];
			memcpy(op, &k->cur.idt.limit, 2);
			memcpy(op + 2, &k->cur.idt.base, 8);
			lwrite(k, emu_insn_linear(&in, &k->cur), op, sizeof(op));
		}
	}
	k->cur = t;
	r->kind = ORACLE_STEPPED;
	return 0;
}

/*
 * KVM_GUESTDBG_SINGLESTEP: KVM sets TF in the guest's RFLAGS (and hides it
 * from KVM_GET_REGS), but only when the guest-debug ioctl is issued; TF is
 * set here on every step so that it survives state loads, IRET and POPF.
 */
static int single_step(struct oracle *o, const struct oracle_hint *hint, struct oracle_result *r, struct rax_err *err)
{
	struct kvmo *k = K(o);
	struct rax_vm *vm = &k->vm;
	struct rax_cpu_state s = k->cur, pre = k->cur;
	s.rflags |= RFLAGS_TF;
	if (vm->ops->set_state(vm, &s, err) < 0)
		return -1;
	k->loaded = true;
	struct emu_insn in;
	bool dec = decode_at(k, s.rip, &in);
	if (cannot_step(o, dec, &in, &s, r))
		return 0;
	struct entry_patch p;
	patch_entry(k, hint, &p);
	vm->stop = 0;
	struct rax_exit ex;
	memset(&ex, 0, sizeof(ex));
	int rc = vm->ops->step(vm, &ex, err);
	unpatch_entry(k, &p);
	if (rc < 0)
		return -1;
	int status = vm->stop_status;
	if (vm->ops->get_state(vm, &k->cur, err) < 0)
		return -1;
	oracle_kvm_fpu_fixup(&k->cur.fpu);
	if (ex.kind == RAX_EXIT_STOP && at_patch(&p, status, &k->cur)) {
		k->cur.rip = p.la;
		if (flush_port_exit(k, &k->cur, err) < 0)
			return -1;
		ex.kind = RAX_EXIT_STEP;
	}
	k->cur.rflags &= ~(uint64_t)RFLAGS_TF;
	if (ex.kind == RAX_EXIT_STEP && dec && k->cur.rip == s.rip + in.len)
		fix_pushf(k, &in, &pre, &k->cur);
	switch (ex.kind) {
	case RAX_EXIT_STEP: r->kind = ORACLE_STEPPED; break;
	case RAX_EXIT_HLT:
		r->kind = ORACLE_EXITED;
		snprintf(r->detail, sizeof(r->detail), "halt");
		break;
	case RAX_EXIT_STOP:
		r->kind = ORACLE_EXITED;
		snprintf(r->detail, sizeof(r->detail), "%s", rax_status_name(status));
		if (dec)
			out_done(&in, &s, &k->cur);
		break;
	default:
		r->kind = internal_kind(&ex, &s);
		snprintf(r->detail, sizeof(r->detail), "%s", ex.detail[0] ? ex.detail : "KVM stopped");
	}
	return 0;
}

static int kstep(struct oracle *o, const struct oracle_hint *hint, struct oracle_result *r, struct rax_err *err)
{
	memset(r, 0, sizeof(*r));
	return K(o)->mode == KVM_STEP_SINGLESTEP ? single_step(o, hint, r, err) : trapflag_step(o, hint, r, err);
}

static int kget(struct oracle *o, struct rax_cpu_state *s, struct rax_err *err)
{
	*s = K(o)->cur;
	return 0;
}

static int kset(struct oracle *o, const struct rax_cpu_state *s, struct rax_err *err)
{
	K(o)->cur = *s;
	K(o)->loaded = false;
	return 0;
}

static void kclose(struct oracle *o)
{
	struct kvmo *k = K(o);
	if (!k)
		return;
	if (k->vm_ok)
		vm_destroy(&k->vm);
	free(k);
	o->priv = NULL;
}

/*
 * INT n at CPL3 on a host whose KVM raises #UD for it instead of using the
 * gate (rax --kvm-info: int-cpl3; the test runtime's own services are
 * pseudo-steps, see lockstep.c): not checkable here.
 */
static enum oracle_pre kprecheck(struct oracle *o, const struct emu_insn *in, const struct rax_cpu_state *s,
				 struct rax_vm *emu, struct oracle_result *r)
{
	if (!(insn_facts(in) & EMU_F_INTN) || (o->caps & ORACLE_INT_CPL3) || cpu_state_cpl(s) != 3)
		return ORACLE_PRE_STEP;
	snprintf(r->detail, sizeof(r->detail),
		 "int 0x%x at CPL3: this host's KVM raises #UD for it instead of using the gate "
		 "(rax --kvm-info: int-cpl3)",
		 (unsigned)(in->imm & 0xff));
	return ORACLE_PRE_CANNOT;
}

static const struct oracle_ops kvm_ops = {
	.name = "kvm",
	.caps = kvm_ops_caps,
	.step = kstep,
	.get_state = kget,
	.set_state = kset,
	.read = kread,
	.write = kwrite,
	.close = kclose,
	.precheck = kprecheck,
};

int oracle_kvm_open(struct oracle *o, enum kvm_step_mode mode, const uint8_t *ram, uint64_t ram_size,
		    const struct rax_cpu_state *st, uint64_t harness_area, struct rax_err *err)
{
	memset(o, 0, sizeof(*o));
	struct kvmo *k = calloc(1, sizeof(*k));
	if (!k)
		return rax_errf(err, RAX_STATUS_HOST, "out of memory");
	if (make_vm(&k->vm, ram_size, err) < 0) {
		free(k);
		return -1;
	}
	k->vm_ok = true;
	memcpy(k->vm.mem.host, ram, ram_size);
	k->mode = mode == KVM_STEP_AUTO ? KVM_STEP_TRAPFLAG : mode;
	k->harea = harness_area;
	k->cur = *st;
	static const uint8_t hcode[] = { 0xe6, PORT_HARNESS_STEP, 0xeb, 0xfc };
	guest_mem_write(&k->vm.mem, harness_area + H_CODE, hcode, sizeof(hcode));
	o->priv = k;
	o->ops = &kvm_ops;
	/* everything but the flags the stepping mechanism owns */
	o->rflags_bits = 0x3f7fd5ull & ~(uint64_t)(RFLAGS_TF | RFLAGS_RF);
	o->caps = kvm_host_caps();
	/* where CPL0 code is the host's software, every report says so */
	snprintf(o->name, sizeof(o->name), "kvm/%s%s", kvm_step_mode_name(k->mode),
		 (o->caps & ORACLE_CPL0_CPU) ? "" : " (host-emulated CPL0)");
	return 0;
}

struct rax_vm *oracle_kvm_vm(struct oracle *o) { return &K(o)->vm; }
