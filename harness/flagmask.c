/*
 * flagmask.c - undefined-flag masks per instruction (see flagmask.h).
 *
 * Sources: Intel SDM vol. 2 (each instruction's "Flags Affected"), AMD APM
 * vol. 3 (appendix "Instruction Effects on RFLAGS"). "Unaffected" flags are
 * not undefined: they must keep their value, so they are compared.
 */
#include "flagmask.h"

#include <stdio.h>

#define OSZAPC (RFLAGS_OF | RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF)

/*
 * The count rules (row bits):
 *   USHIFT  SHL/SAL/SHR: AF if count; OF if count > 1; CF if count >= width
 *   USAR    SAR: as USHIFT but CF is defined for any count (sign bit fills)
 *   UROT    ROL/ROR: OF undefined when the masked count is not 1
 *   URC     RCL/RCR: OF undefined when the (mod width+1) count is not 1
 *   USHD    SHLD/SHRD: AF if count; OF if count > 1; all six if count > width
 * Every other row: the fixed mask of its UOF..UCF bits.
 */
uint64_t flagmask_for(uint64_t f, unsigned opsize, int count)
{
	unsigned width = opsize * 8;
	if (f & (EMU_F_USHIFT | EMU_F_USAR)) {
		bool cf = (f & EMU_F_USHIFT) != 0;
		if (count < 0) /* unknown count: everything a shift may leave undefined */
			return RFLAGS_AF | RFLAGS_OF | (cf ? RFLAGS_CF : 0);
		if (count == 0)
			return 0; /* flags unaffected */
		return RFLAGS_AF | (count > 1 ? RFLAGS_OF : 0) | (cf && (unsigned)count >= width ? RFLAGS_CF : 0);
	}
	if (f & EMU_F_UROT) {
		if (count < 0)
			return RFLAGS_OF;
		return count == 0 || count == 1 ? 0 : RFLAGS_OF;
	}
	if (f & EMU_F_URC) {
		if (count < 0)
			return RFLAGS_OF;
		/* 8- and 16-bit RCL/RCR rotate through CF: count mod 9 or 17 */
		unsigned c = (unsigned)count;
		if (width < 32)
			c %= width + 1;
		return c == 0 || c == 1 ? 0 : RFLAGS_OF;
	}
	if (f & EMU_F_USHD) {
		if (count < 0)
			return OSZAPC;
		if (count == 0)
			return 0;
		if ((unsigned)count > width)
			return OSZAPC;
		return RFLAGS_AF | (count > 1 ? RFLAGS_OF : 0);
	}
	return ((f & EMU_F_UOF) ? RFLAGS_OF : 0) | ((f & EMU_F_USF) ? RFLAGS_SF : 0) |
		((f & EMU_F_UZF) ? RFLAGS_ZF : 0) | ((f & EMU_F_UAF) ? RFLAGS_AF : 0) |
		((f & EMU_F_UPF) ? RFLAGS_PF : 0) | ((f & EMU_F_UCF) ? RFLAGS_CF : 0);
}

#define COUNT_RULES (EMU_F_USHIFT | EMU_F_USAR | EMU_F_UROT | EMU_F_URC | EMU_F_USHD)

uint64_t flagmask_undefined(const struct emu_insn *in, const struct rax_cpu_state *before)
{
	uint64_t f = insn_facts(in);
	int count = -1;
	if (f & COUNT_RULES) {
		/* the masked count: CL, imm8, or 1 */
		unsigned cmask = in->osz == 8 ? 0x3f : 0x1f;
		if (f & EMU_F_UCL)
			count = (int)(before->gpr[RAX_REG_RCX] & 0xff & cmask);
		else if (f & EMU_F_IMM8)
			count = (int)(in->imm & cmask);
		else
			count = 1;
	}
	return flagmask_for(f, in->osz, count);
}

enum insn_nondet insn_nondet(const struct emu_insn *in, const struct rax_cpu_state *before)
{
	uint64_t f = insn_facts(in);
	if (f & EMU_F_XCPUID)
		return INSN_ND_CPUID;
	if ((f & EMU_F_XTSC) || ((f & EMU_F_XTSCP) && in->mod == 3 && (in->rm & 7) == 1))
		return INSN_ND_TSC;
	if ((f & EMU_F_XTSCMSR) && (uint32_t)before->gpr[RAX_REG_RCX] == MSR_IA32_TSC)
		return INSN_ND_TSC_MSR;
	if (f & EMU_F_XADOPT)
		return INSN_ND_ADOPT;
	if (f & EMU_F_XRAND)
		return INSN_ND_RAND;
	if (f & EMU_F_XAUX)
		return INSN_ND_AUX;
	return INSN_ND_NONE;
}

int insn_port(const struct emu_insn *in, const struct rax_cpu_state *before)
{
	uint64_t f = insn_facts(in);
	if (!(f & (EMU_F_PIN | EMU_F_POUT)) || (f & EMU_F_STR))
		return -1;
	return (f & EMU_F_IMM8) ? (int)(in->imm & 0xff) : (int)(uint16_t)before->gpr[RAX_REG_RDX];
}

const char *flagmask_names(uint64_t mask, char *buf, unsigned n)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{ RFLAGS_CF, "CF" }, { RFLAGS_PF, "PF" }, { RFLAGS_AF, "AF" }, { RFLAGS_ZF, "ZF" }, { RFLAGS_SF, "SF" },
		{ RFLAGS_TF, "TF" }, { RFLAGS_IF, "IF" }, { RFLAGS_DF, "DF" }, { RFLAGS_OF, "OF" }, { RFLAGS_NT, "NT" },
		{ RFLAGS_RF, "RF" }, { RFLAGS_AC, "AC" }, { RFLAGS_ID, "ID" },
	};
	unsigned pos = 0;
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(mask & names[i].bit))
			continue;
		int w = snprintf(buf + pos, n - pos, "%s%s", pos ? "|" : "", names[i].name);
		if (w < 0 || (unsigned)w >= n - pos)
			break;
		pos += (unsigned)w;
	}
	if (!pos)
		snprintf(buf, n, "-");
	return buf;
}
