/* step.c - the per-instruction step engine of rax-diff (see step.h). */
#include "step.h"

#include <stdio.h>
#include <string.h>

#include "vm.h"

void step_fetch(const struct step_engine *E, struct step *s)
{
	memset(s, 0, sizeof(*s));
	struct rax_err err = { 0 };
	struct rax_vm *vm = E->emu;
	vm->ops->get_state(vm, &s->e0, &err);
	for (unsigned i = 0; i < 15; i++) {
		uint64_t gpa;
		if (vm->ops->translate(vm, s->e0.rip + i, &gpa) < 0 ||
		    guest_mem_read(&vm->mem, gpa, &s->bytes[i], 1) < 0)
			break;
		s->nb++;
	}
	/* the emulator's instruction, as its CPU level decodes it */
	s->dec = s->nb && emu_decode_level(s->bytes, s->nb, EMU_MODE_64, emu_cpu_level(vm), &s->in) == EMU_DEC_OK;
	if (!s->dec) {
		memset(&s->in, 0, sizeof(s->in));
		if (E->disasm)
			snprintf(s->dis, sizeof(s->dis), "(undecodable)");
		return;
	}
	if (E->disasm)
		emu_disasm_at(&s->in, s->e0.rip, s->dis, sizeof(s->dis));
	s->nd = insn_nondet(&s->in, &s->e0);
	s->undefined = E->strict_flags ? 0 : flagmask_undefined(&s->in, &s->e0);
}

int step_oracle_first(const struct step_engine *E, struct step *s, struct rax_err *err)
{
	if (!(E->first & (1u << s->nd)))
		return 0;
	struct oracle *o = E->orc;
	s->oracle_first = true;
	if (o->ops->step(o, &s->hint, &s->r, err) < 0)
		return -1;
	s->o1 = s->e0;
	o->ops->get_state(o, &s->o1, err);
	if (s->r.kind != ORACLE_STEPPED)
		return 0;
	const uint64_t *g = s->o1.gpr;
	if (s->nd == INSN_ND_CPUID) {
		uint32_t v[4] = { (uint32_t)g[RAX_REG_RAX], (uint32_t)g[RAX_REG_RBX], (uint32_t)g[RAX_REG_RCX],
				  (uint32_t)g[RAX_REG_RDX] };
		emu_override_cpuid(E->emu, v);
		s->injected = STEP_INJ_CPUID;
	} else if (s->nd == INSN_ND_RAND) {
		/* the destination register (16/32/64 bits) and CF */
		uint64_t v = g[s->in.rm & 15];
		if (s->in.osz < 8)
			v &= s->in.osz == 2 ? 0xffff : 0xffffffffull;
		emu_override_rand(E->emu, v, (s->o1.rflags & RFLAGS_CF) != 0);
		s->injected = STEP_INJ_RAND;
	} else if (s->nd == INSN_ND_AUX) {
		emu_override_tsc_aux(E->emu, (uint32_t)g[s->in.rm & 15]);
		s->injected = STEP_INJ_AUX;
	} else {
		emu_override_rdtsc(E->emu, (g[RAX_REG_RDX] << 32) | (g[RAX_REG_RAX] & 0xffffffffull));
		if (insn_facts(&s->in) & EMU_F_XTSCP) /* RDTSCP: ECX = TSC_AUX */
			emu_override_tsc_aux(E->emu, (uint32_t)g[RAX_REG_RCX]);
		s->injected = STEP_INJ_TSC;
	}
	return 0;
}

int step_emu(const struct step_engine *E, struct step *s, struct rax_err *err)
{
	struct rax_vm *vm = E->emu;
	if (vm->ops->step(vm, &s->ex, err) < 0)
		return -1;
	s->nw = emu_written_pages(vm, s->written, EMU_MAX_WRITTEN_PAGES);
	vm->ops->get_state(vm, &s->e1, err);
	return 0;
}

/*
 * The oracle delivered the same event with the stepping mechanism's TF set,
 * so its frame's RFLAGS image has TF=1 where the test (and so the emulator's
 * frame) has TF=0: clear that bit on the oracle's side. RF in the image is
 * not compared either (like RF in the registers, see oracle_kvm_open): the
 * emulator sets it for faults as the SDM describes, but QEMU's TCG CPU model
 * (the CPU behind KVM in ci/kvm-in-qemu.sh) never does. Any other
 * difference in the frame is left for the memory comparison.
 */
static void fix_frame_tf(const struct step_engine *E, const struct step *s, int rfl_off)
{
	struct rax_vm *vm = E->emu;
	struct oracle *o = E->orc;
	const struct rax_cpu_state *e0 = &s->e0, *e1 = &s->e1, *o1 = &s->o1;
	uint64_t la = e1->gpr[RAX_REG_RSP] + (uint64_t)rfl_off, gpa, ev, ov;
	if (rfl_off < 0 || (e0->rflags & RFLAGS_TF) || o1->rip != e1->rip ||
	    o1->gpr[RAX_REG_RSP] != e1->gpr[RAX_REG_RSP] || !diff_emu_read_lin(vm, la, &ev, 8) || (ev & RFLAGS_TF) ||
	    vm->ops->translate(vm, la, &gpa) < 0 || (gpa & 7) > 0 || o->ops->read(o, gpa, &ov, 8) < 0 || ov == ev ||
	    ((ov ^ ev) & ~(uint64_t)(RFLAGS_TF | RFLAGS_RF)) != 0)
		return;
	o->ops->write(o, gpa, &ev, 8);
}

int step_oracle(const struct step_engine *E, struct step *s, struct rax_err *err)
{
	if (s->oracle_first)
		return 0;
	struct oracle *o = E->orc;
	int rfl_off = -1;
	/* (an undecodable instruction raises #UD: entered too) */
	bool ended = E->emu->stop || s->ex.kind == RAX_EXIT_HLT;
	bool entered = E->entered && !ended &&
		diff_emu_entered(E->emu, &s->e0, &s->e1, s->dec ? s->in.len : 0, &rfl_off);
	s->hint = (struct oracle_hint){ .valid = true,
					.next_rip = s->e1.rip,
					.next_cpl = cpu_state_cpl(&s->e1),
					.cpl_changed = cpu_state_cpl(&s->e1) != cpu_state_cpl(&s->e0),
					.entered = entered };
	if (o->ops->step(o, &s->hint, &s->r, err) < 0)
		return -1;
	s->o1 = s->e1;
	o->ops->get_state(o, &s->o1, err);
	if (E->frame_tf && entered && s->r.kind == ORACLE_STEPPED)
		fix_frame_tf(E, s, rfl_off);
	/* the trap flag stops a REP string instruction after every iteration;
	 * the emulator's step is the whole instruction */
	bool rep = s->dec && (s->in.pfx & (EMU_P_REP | EMU_P_REPNE)) && (insn_facts(&s->in) & EMU_F_STR);
	for (uint64_t it = 0; rep && s->r.kind == ORACLE_STEPPED && s->o1.rip == s->e0.rip && it < (1u << 26); it++) {
		if (o->ops->step(o, &s->hint, &s->r, err) < 0)
			return -1;
		o->ops->get_state(o, &s->o1, err);
	}
	return 0;
}

bool step_take_result(const struct step_engine *E, struct step *s, struct rax_err *err)
{
	if (!(E->adopt & (1u << s->nd)))
		return false;
	s->e1 = s->o1;
	E->emu->ops->set_state(E->emu, &s->e1, err);
	return true;
}

bool step_adopt_undefined(const struct step_engine *E, struct step *s, struct rax_err *err)
{
	uint64_t u = s->undefined;
	if (!u || !((s->e1.rflags ^ s->o1.rflags) & u & E->orc->rflags_bits))
		return false;
	s->e1.rflags = (s->e1.rflags & ~u) | (s->o1.rflags & u);
	E->emu->ops->set_state(E->emu, &s->e1, err);
	return true;
}
