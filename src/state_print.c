/* state_print.c - stable text form of struct rax_cpu_state. */
#include "state_print.h"

#include <inttypes.h>
#include <string.h>

void rflags_decode(uint64_t rflags, char *buf, size_t n)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} bits[] = {
		{ RFLAGS_CF, "CF" }, { RFLAGS_PF, "PF" },   { RFLAGS_AF, "AF" },   { RFLAGS_ZF, "ZF" },
		{ RFLAGS_SF, "SF" }, { RFLAGS_TF, "TF" },   { RFLAGS_IF, "IF" },   { RFLAGS_DF, "DF" },
		{ RFLAGS_OF, "OF" }, { RFLAGS_NT, "NT" },   { RFLAGS_RF, "RF" },   { RFLAGS_VM, "VM" },
		{ RFLAGS_AC, "AC" }, { RFLAGS_VIF, "VIF" }, { RFLAGS_VIP, "VIP" }, { RFLAGS_ID, "ID" },
	};
	size_t len = 0;
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (rflags & bits[i].bit)
			len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s", len ? " " : "", bits[i].name);
	unsigned iopl = (unsigned)((rflags & RFLAGS_IOPL) >> 12);
	if (iopl && len < n)
		snprintf(buf + len, n - len, "%sIOPL=%u", len ? " " : "", iopl);
}

void cpu_state_print(FILE *f, const struct rax_cpu_state *s)
{
	for (int i = 0; i < RAX_NGPR; i++)
		fprintf(f, "%s=0x%016" PRIx64 "%s", rax_gpr_names[i], s->gpr[i], (i % 4 == 3) ? "\n" : " ");
	char flags[128];
	rflags_decode(s->rflags, flags, sizeof(flags));
	fprintf(f, "rip=0x%016" PRIx64 " rflags=0x%016" PRIx64 " [%s]\n", s->rip, s->rflags, flags);
	for (int i = 0; i < RAX_NSEG; i++)
		fprintf(f, "%s=0x%04x ", rax_seg_names[i], s->seg[i].selector);
	fprintf(f, "cpl=0x%x\n", cpu_state_cpl(s));
	fprintf(f, "fs_base=0x%016" PRIx64 " gs_base=0x%016" PRIx64 " kernel_gs_base=0x%016" PRIx64 "\n",
		s->seg[RAX_SEG_FS].base, s->seg[RAX_SEG_GS].base, s->kernel_gs_base);
	fprintf(f, "cr0=0x%016" PRIx64 " cr2=0x%016" PRIx64 " cr3=0x%016" PRIx64 " cr4=0x%016" PRIx64 "\n", s->cr0,
		s->cr2, s->cr3, s->cr4);
	fprintf(f,
		"efer=0x%016" PRIx64 " gdt_base=0x%016" PRIx64 " gdt_limit=0x%04x idt_base=0x%016" PRIx64
		" idt_limit=0x%04x tr=0x%04x\n",
		s->efer, s->gdt.base, s->gdt.limit, s->idt.base, s->idt.limit, s->tr.selector);
	fprintf(f, "xcr0=0x%016" PRIx64 "\n", s->xcr0);
	/* YMM upper halves: only the registers that are not zero */
	for (int i = 0; i < 16; i++) {
		static const uint8_t zero[16];
		if (!memcmp(s->fpu.ymmh[i], zero, 16))
			continue;
		fprintf(f, "ymm%dh=0x", i);
		for (int b = 15; b >= 0; b--)
			fprintf(f, "%02x", s->fpu.ymmh[i][b]);
		fputc('\n', f);
	}
}
