/*
 * oracle_kvm.c - the real CPU through RAX's KVM backend.
 *
 * singlestep: KVM_GUESTDBG_SINGLESTEP through the backend's step() (hosts
 *   with hardware VMX/SVM).
 * trapflag: the test runs with RFLAGS.TF; its #DB is delivered through a
 *   copy of the test's IDT whose vector 1 points at a two-byte handler
 *   (`out HARNESS_STEP_PORT, al`) on IST1 of a copy of the test's TSS, all in
 *   the harness area. The port write stops the VM; the interrupted state is
 *   read from the IST frame, and IDTR/TR/DR6/DR7 are reported as the test's
 *   own, so the test's stack and memory are never touched. When the emulator
 *   says the instruction entered a handler (CPL change), DR0 is set on the
 *   handler's first instruction, because delivery clears TF.
 */
#include "oracle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/decode.h"
#include "loader/boot64.h"
#include "vm.h"

#define STEP_STATUS 0x5354 /* vm->stop_status the step port sets (even: never a debug-exit code) */
#define H_IDT 0x0000
#define H_TSS 0x1000
#define H_CODE 0x2000
#define H_IST_TOP 0x10000

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
	struct rax_config cfg = { .backend = RAX_BACKEND_KVM, .mem_size = size, .console_in = -1,
				  .console_out = -1 };
	if (vm_create(vm, &cfg, err) < 0)
		return -1;
	struct bus_device d = { .name = "rax-diff-step", .space = BUS_PIO, .base = HARNESS_STEP_PORT,
				.len = 1, .opaque = vm, .write = step_port_write };
	if (bus_register(&vm->bus, &d) < 0 || vm_create_backend(vm, err) < 0) {
		if (!err || !err->msg[0])
			rax_errf(err, RAX_STATUS_HOST, "cannot register the harness step port");
		vm_destroy(vm);
		return -1;
	}
	return 0;
}

bool oracle_kvm_available(char *why, size_t n)
{
	struct rax_vm vm;
	struct rax_err err = { 0 };
	if (make_vm(&vm, GUEST_MEM_MIN, &err) < 0) {
		snprintf(why, n, "%s", err.msg);
		return false;
	}
	vm_destroy(&vm);
	why[0] = 0;
	return true;
}

int oracle_kvm_probe(enum kvm_step_mode *mode, char *why, size_t n, struct rax_err *err)
{
	struct rax_vm vm;
	if (make_vm(&vm, GUEST_MEM_MIN, err) < 0)
		return -1;
	struct rax_cpu_state st;
	const uint64_t entry = 0x100000;
	static const uint8_t code[] = { 0x90, 0x90, 0x90, 0xf4 };
	int ok = 0;
	if (boot64_setup(&vm.mem, &st, entry, err) < 0 ||
	    guest_mem_write(&vm.mem, entry, code, sizeof(code)) < 0 ||
	    vm.ops->set_state(&vm, &st, err) < 0) {
		vm_destroy(&vm);
		return -1;
	}
	for (int i = 1; i <= 2; i++) {
		struct rax_exit ex;
		memset(&ex, 0, sizeof(ex));
		struct rax_err e2 = { 0 };
		struct rax_cpu_state s;
		if (vm.ops->step(&vm, &ex, &e2) < 0 || ex.kind != RAX_EXIT_STEP ||
		    vm.ops->get_state(&vm, &s, &e2) < 0 || s.rip != entry + (uint64_t)i) {
			snprintf(why, n, "KVM_GUESTDBG_SINGLESTEP does not step CPL0 code here (%s)",
				 ex.kind == RAX_EXIT_INTERNAL ? ex.detail : "no single-instruction exit");
			break;
		}
		ok = i;
	}
	vm_destroy(&vm);
	if (ok == 2) {
		*mode = KVM_STEP_SINGLESTEP;
		snprintf(why, n, "KVM_GUESTDBG_SINGLESTEP steps one instruction");
	} else {
		*mode = KVM_STEP_TRAPFLAG;
	}
	return 0;
}

static struct kvmo *K(struct oracle *o)
{
	return o->priv;
}

static int kread(struct oracle *o, uint64_t addr, void *buf, size_t len)
{
	return guest_mem_read(&K(o)->vm.mem, addr, buf, len);
}

static int kwrite(struct oracle *o, uint64_t addr, const void *buf, size_t len)
{
	return guest_mem_write(&K(o)->vm.mem, addr, buf, len);
}

/* Linear to guest-physical under the test's paging, through KVM. */
static int lin(struct kvmo *k, uint64_t la, uint64_t *gpa)
{
	return k->vm.ops->translate(&k->vm, la, gpa);
}

/* Segment cache from a GDT descriptor (for CS/SS in an IST frame). */
static void seg_from_gdt(struct kvmo *k, uint16_t sel, struct rax_segment *s)
{
	uint64_t d = 0, gpa;
	*s = (struct rax_segment){ .selector = sel, .unusable = 1 };
	if ((sel & ~3u) == 0 || (sel & 4) || (sel | 7u) > k->cur.gdt.limit ||
	    lin(k, k->cur.gdt.base + (sel & ~7u), &gpa) < 0 || guest_mem_read(&k->vm.mem, gpa, &d, 8) < 0)
		return;
	s->limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	s->base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
	s->type = (d >> 40) & 0xf;
	s->s = (d >> 44) & 1;
	s->dpl = (d >> 45) & 3;
	s->present = (d >> 47) & 1;
	s->avl = (d >> 52) & 1;
	s->l = (d >> 53) & 1;
	s->db = (d >> 54) & 1;
	s->g = (d >> 55) & 1;
	if (s->g)
		s->limit = (s->limit << 12) | 0xfff;
	s->unusable = !s->present;
}

static int trapflag_step(struct oracle *o, const struct oracle_hint *hint, struct oracle_result *r,
			 struct rax_err *err)
{
	struct kvmo *k = K(o);
	struct rax_vm *vm = &k->vm;
	struct rax_cpu_state s = k->cur;
	uint64_t h = k->harea, gpa;
	/* our IDT: the test's, with vector 1 on IST1 to the harness handler */
	uint8_t idt[4096];
	memset(idt, 0, sizeof(idt));
	unsigned ilen = (unsigned)k->cur.idt.limit + 1 < sizeof(idt) ? k->cur.idt.limit + 1u : sizeof(idt);
	if (vm->ops->set_state(vm, &s, err) < 0)
		return -1;
	for (unsigned i = 0; i < ilen; i += 8)
		if (lin(k, k->cur.idt.base + i, &gpa) == 0)
			guest_mem_read(&vm->mem, gpa, idt + i, 8);
	uint16_t sel = (uint16_t)(idt[16 + 2] | idt[16 + 3] << 8);
	if (!sel)
		sel = s.seg[RAX_SEG_CS].dpl == 0 ? s.seg[RAX_SEG_CS].selector : 0x08;
	uint64_t hc = h + H_CODE;
	uint64_t lo = (hc & 0xffff) | (uint64_t)sel << 16 | 1ull << 32 /* IST1 */ | 0x8eull << 40 |
		      ((hc >> 16) & 0xffff) << 48;
	uint64_t hi = hc >> 32;
	memcpy(idt + 16, &lo, 8);
	memcpy(idt + 24, &hi, 8);
	guest_mem_write(&vm->mem, h + H_IDT, idt, sizeof(idt));
	uint8_t tss[104];
	memset(tss, 0, sizeof(tss));
	if (lin(k, k->cur.tr.base, &gpa) == 0)
		guest_mem_read(&vm->mem, gpa, tss, sizeof(tss));
	uint64_t ist1 = h + H_IST_TOP;
	memcpy(tss + 0x24, &ist1, 8);
	guest_mem_write(&vm->mem, h + H_TSS, tss, sizeof(tss));
	static const uint8_t handler[] = { 0xe6, HARNESS_STEP_PORT, 0xeb, 0xfc };
	guest_mem_write(&vm->mem, h + H_CODE, handler, sizeof(handler));
	s.idt = (struct rax_dtable){ .base = h + H_IDT, .limit = 4095 };
	s.tr.base = h + H_TSS;
	s.rflags |= RFLAGS_TF;
	if (hint && hint->valid && hint->cpl_changed) {
		s.dr[0] = hint->next_rip;
		s.dr7 = 0x401; /* L0, execute, 1 byte */
	}
	if (vm->ops->set_state(vm, &s, err) < 0)
		return -1;
	vm->stop = 0;
	struct rax_exit ex;
	memset(&ex, 0, sizeof(ex));
	if (vm->ops->run(vm, &ex, err) < 0)
		return -1;
	int status = vm->stop_status;
	vm->stop = 0;
	vm->stop_status = 0;
	if (vm->kick)
		*vm->kick = 0;
	if (ex.kind == RAX_EXIT_INTERNAL || ex.kind == RAX_EXIT_SHUTDOWN) {
		r->kind = ORACLE_INTERNAL;
		snprintf(r->detail, sizeof(r->detail), "%s", ex.detail[0] ? ex.detail : "triple fault");
		return 0;
	}
	if (ex.kind == RAX_EXIT_HLT || status != STEP_STATUS) {
		r->kind = ORACLE_EXITED;
		snprintf(r->detail, sizeof(r->detail), "%s",
			 ex.kind == RAX_EXIT_HLT ? "halt" : rax_status_name(status));
		vm->ops->get_state(vm, &k->cur, err);
		return 0;
	}
	struct rax_cpu_state t;
	if (vm->ops->get_state(vm, &t, err) < 0)
		return -1;
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
	t.idt = k->cur.idt;
	t.tr = k->cur.tr;
	memcpy(t.dr, k->cur.dr, sizeof(t.dr));
	t.dr6 = k->cur.dr6;
	t.dr7 = k->cur.dr7;
	/* PUSHF pushed our TF: the test never set it */
	uint8_t b[15];
	struct emu_insn in;
	if (!(k->cur.rflags & RFLAGS_TF) && lin(k, k->cur.rip, &gpa) == 0 &&
	    guest_mem_read(&vm->mem, gpa, b, 1) == 0 && emu_decode(b, 1, &in) == EMU_DEC_OK &&
	    in.op == 0x9c && in.map == 0) {
		uint64_t v;
		if (lin(k, t.gpr[RAX_REG_RSP], &gpa) == 0 && guest_mem_read(&vm->mem, gpa, &v, 8) == 0) {
			v &= ~(uint64_t)RFLAGS_TF;
			guest_mem_write(&vm->mem, gpa, &v, 8);
		}
	}
	k->cur = t;
	r->kind = ORACLE_STEPPED;
	return 0;
}

static int single_step(struct oracle *o, const struct oracle_hint *hint, struct oracle_result *r,
		       struct rax_err *err)
{
	struct kvmo *k = K(o);
	struct rax_vm *vm = &k->vm;
	if (!k->loaded) {
		if (vm->ops->set_state(vm, &k->cur, err) < 0)
			return -1;
		k->loaded = true;
	}
	struct rax_exit ex;
	memset(&ex, 0, sizeof(ex));
	if (vm->ops->step(vm, &ex, err) < 0)
		return -1;
	if (vm->ops->get_state(vm, &k->cur, err) < 0)
		return -1;
	switch (ex.kind) {
	case RAX_EXIT_STEP: r->kind = ORACLE_STEPPED; break;
	case RAX_EXIT_HLT:
		r->kind = ORACLE_EXITED;
		snprintf(r->detail, sizeof(r->detail), "halt");
		break;
	case RAX_EXIT_STOP:
		r->kind = ORACLE_EXITED;
		snprintf(r->detail, sizeof(r->detail), "%s", rax_status_name(vm->stop_status));
		break;
	default:
		r->kind = ORACLE_INTERNAL;
		snprintf(r->detail, sizeof(r->detail), "%s", ex.detail[0] ? ex.detail : "KVM stopped");
	}
	return 0;
}

static int kstep(struct oracle *o, const struct oracle_hint *hint, struct oracle_result *r,
		 struct rax_err *err)
{
	memset(r, 0, sizeof(*r));
	return K(o)->mode == KVM_STEP_SINGLESTEP ? single_step(o, hint, r, err)
						 : trapflag_step(o, hint, r, err);
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

static const struct oracle_ops kvm_ops = {
	.name = "kvm",
	.caps = ORACLE_SYSSTATE,
	.step = kstep,
	.get_state = kget,
	.set_state = kset,
	.read = kread,
	.write = kwrite,
	.close = kclose,
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
	o->priv = k;
	o->ops = &kvm_ops;
	/* everything but the flags the stepping mechanism owns */
	o->rflags_bits = 0x3f7fd5ull & ~(uint64_t)(RFLAGS_TF | RFLAGS_RF);
	snprintf(o->name, sizeof(o->name), "kvm/%s", kvm_step_mode_name(k->mode));
	return 0;
}

struct rax_vm *oracle_kvm_vm(struct oracle *o)
{
	return &K(o)->vm;
}
