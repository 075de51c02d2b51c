/* cpu_state.c - reset values and helpers for the canonical CPU state. */
#include "cpu_state.h"
#include "layout.h"

#include <string.h>

const char *const rax_gpr_names[RAX_NGPR] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
const char *const rax_seg_names[RAX_NSEG] = { "es", "cs", "ss", "ds", "fs", "gs" };

static void seg_real(struct rax_segment *s, uint16_t sel, uint8_t type)
{
	*s = (struct rax_segment){
		.base = (uint64_t)sel << 4, .limit = 0xffff, .selector = sel, .type = type, .s = 1, .present = 1
	};
}

void cpu_state_reset(struct rax_cpu_state *s)
{
	memset(s, 0, sizeof(*s));
	s->rip = 0xfff0;
	s->rflags = RFLAGS_FIXED1;
	for (int i = 0; i < RAX_NSEG; i++)
		seg_real(&s->seg[i], 0, 3 /* data RW accessed */);
	seg_real(&s->seg[RAX_SEG_CS], 0xf000, 11 /* code RX accessed */);
	s->seg[RAX_SEG_CS].base = 0xffff0000;
	s->tr = (struct rax_segment){ .limit = 0xffff, .type = 11, .present = 1 };
	s->ldtr = (struct rax_segment){ .limit = 0xffff, .type = 2, .present = 1 };
	s->gdt.limit = s->idt.limit = 0xffff;
	s->cr0 = CR0_ET | CR0_CD | CR0_NW;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->pat = 0x0007040600070406ull;
	s->apic_base = LAYOUT_APIC_BASE | (1u << 11) | (1u << 8); /* enabled, BSP */
	s->xcr0 = 1;
	s->fpu.fcw = 0x37f;
	s->fpu.mxcsr = 0x1f80;
}

void cpu_state_flat64(struct rax_segment *cs, struct rax_segment *ds, unsigned dpl)
{
	*cs = (struct rax_segment){
		.limit = 0xffffffff, .type = 11, .s = 1, .dpl = dpl, .present = 1, .l = 1, .g = 1, .selector = 0
	};
	*ds = (struct rax_segment){
		.limit = 0xffffffff, .type = 3, .s = 1, .dpl = dpl, .present = 1, .db = 1, .g = 1, .selector = 0
	};
}
