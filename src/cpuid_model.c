/*
 * cpuid_model.c - the modelled CPU: an AMD family 19h part with the x86-64
 * baseline feature set.
 *
 * Advertised (leaf 1 EDX): FPU PSE TSC MSR PAE CX8 PGE CMOV PAT CLFSH MMX
 * FXSR SSE SSE2; (leaf 1 ECX): CX16; (0x80000001 EDX): the AMD mirror of
 * the leaf-1 bits plus SYSCALL NX Page1GB LM; (0x80000001 ECX): LAHF_LM.
 * Deliberately absent: APIC (no local APIC model yet; KVM sets the bit
 * itself from its in-kernel APIC), XSAVE (kvm_pvm hosts cannot emulate
 * XRSTOR at CPL0, DESIGN.md), SSE3 and later.
 */
#include "cpuid_model.h"

#include <string.h>

#define F1_EDX_FPU (1u << 0)
#define F1_EDX_PSE (1u << 3)
#define F1_EDX_TSC (1u << 4)
#define F1_EDX_MSR (1u << 5)
#define F1_EDX_PAE (1u << 6)
#define F1_EDX_CX8 (1u << 8)
#define F1_EDX_PGE (1u << 13)
#define F1_EDX_CMOV (1u << 15)
#define F1_EDX_PAT (1u << 16)
#define F1_EDX_CLFSH (1u << 19)
#define F1_EDX_MMX (1u << 23)
#define F1_EDX_FXSR (1u << 24)
#define F1_EDX_SSE (1u << 25)
#define F1_EDX_SSE2 (1u << 26)
#define F1_ECX_CX16 (1u << 13)
#define X1_EDX_SYSCALL (1u << 11)
#define X1_EDX_NX (1u << 20)
#define X1_EDX_PAGE1GB (1u << 26)
#define X1_EDX_LM (1u << 29)
#define X1_ECX_LAHF_LM (1u << 0)

#define LEAF1_EDX                                                                                                 \
	(F1_EDX_FPU | F1_EDX_PSE | F1_EDX_TSC | F1_EDX_MSR | F1_EDX_PAE | F1_EDX_CX8 | F1_EDX_PGE | F1_EDX_CMOV | \
	 F1_EDX_PAT | F1_EDX_CLFSH | F1_EDX_MMX | F1_EDX_FXSR | F1_EDX_SSE | F1_EDX_SSE2)
/* AMD mirrors leaf-1 EDX bits 0-9, 12-17, 23 and 24 into 0x80000001 EDX. */
#define AMD_MIRROR_MASK 0x0183f3ffu

/* "AuthenticAMD" in EBX, EDX, ECX order; brand string 48 bytes. */
#define STR4(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

static const struct cpuid_leaf model[] = {
	{ 0x00000000, 0, 0x00000001, STR4('A', 'u', 't', 'h'), STR4('c', 'A', 'M', 'D'), STR4('e', 'n', 't', 'i') },
	/* family 0xf + extended 0xa = 19h, model 0x11, stepping 1; CLFLUSH 64 bytes */
	{ 0x00000001, 0, 0x00a10f11, 0x00000800, F1_ECX_CX16, LEAF1_EDX },
	{ 0x80000000, 0, 0x80000008, STR4('A', 'u', 't', 'h'), STR4('c', 'A', 'M', 'D'), STR4('e', 'n', 't', 'i') },
	{ 0x80000001, 0, 0x00a10f11, 0, X1_ECX_LAHF_LM,
	  (LEAF1_EDX & AMD_MIRROR_MASK) | X1_EDX_SYSCALL | X1_EDX_NX | X1_EDX_PAGE1GB | X1_EDX_LM },
	{ 0x80000002, 0, STR4('R', 'A', 'X', ' '), STR4('v', 'i', 'r', 't'), STR4('u', 'a', 'l', ' '),
	  STR4('x', '8', '6', '-') },
	{ 0x80000003, 0, STR4('6', '4', ' ', 'C'), STR4('P', 'U', 0, 0), 0, 0 },
	{ 0x80000004, 0, 0, 0, 0, 0 },
	{ 0x80000005, 0, 0, 0, 0x40020140, 0x40020140 }, /* L1: 64 KiB-ish, 64-byte lines */
	{ 0x80000006, 0, 0, 0, 0x02006140, 0 },
	{ 0x80000007, 0, 0, 0, 0, 0 },
	/* 40 physical, 48 linear address bits */
	{ 0x80000008, 0, 0x00003028, 0, 0, 0 },
};

const struct cpuid_leaf *cpuid_model_leaves(unsigned *count)
{
	*count = sizeof(model) / sizeof(model[0]);
	return model;
}

void cpuid_model_query(uint32_t function, uint32_t index, uint32_t out[4])
{
	memset(out, 0, 4 * sizeof(uint32_t));
	for (unsigned i = 0; i < sizeof(model) / sizeof(model[0]); i++) {
		if (model[i].function == function) {
			out[0] = model[i].eax;
			out[1] = model[i].ebx;
			out[2] = model[i].ecx;
			out[3] = model[i].edx;
			return;
		}
	}
	(void)index;
}
