/*
 * cpuid_model.c - the modelled CPU: an AMD family 19h part with the x86-64
 * baseline feature set.
 *
 * Advertised at every level (leaf 1 EDX): FPU PSE TSC MSR PAE CX8 APIC PGE
 * CMOV PAT CLFSH MMX FXSR SSE SSE2; (leaf 1 ECX): CX16 x2APIC TSC-deadline;
 * (0x80000001 EDX): the AMD mirror of the leaf-1 bits plus SYSCALL NX
 * Page1GB LM; (0x80000001 ECX): LAHF_LM; (0x80000007 EDX): invariant TSC.
 * Level v2 adds (leaf 1 ECX) SSE3 SSSE3 SSE4_1 SSE4_2 MOVBE POPCNT XSAVE
 * (OSXSAVE follows CR4) and (0x80000001 ECX) ABM (LZCNT) and 3DNowPrefetch
 * (PREFETCH/W), RDRAND (leaf 1 ECX), RDTSCP (0x80000001 EDX), RDSEED and
 * RDPID (leaf 7.0 EBX, ECX), with the maximum basic leaf raised to 0xD for the XSAVE
 * leaves: 0xD.0 (XCR0 may enable x87, SSE, AVX; the area is 576 or 832
 * bytes as XCR0 says), 0xD.1 (XSAVEOPT, XSAVEC, XGETBV with ECX=1, as AMD
 * Zen reports them; not XSAVES/XRSTORS, which need supervisor state this
 * model does not have) and 0xD.2 (AVX: 256 bytes at offset 576). At v2
 * AVX itself (leaf 1 ECX bit 28) is not advertised: the YMM upper halves
 * are state that XSAVE/XRSTOR move. Level v3 adds (leaf 1 ECX) FMA
 * PCLMULQDQ AES AVX F16C and (leaf 7.0 EBX) BMI1 AVX2 BMI2: the VEX
 * encoding. With more than one CPU, the topology bits of cpuid_model_cpu
 * (HTT, CmpLegacy, the core count in 0x80000008). Deliberately absent:
 * MONITOR/MWAIT (#UD in the interpreter), SSE4A and MisAlignSse (AMD-only,
 * not emulated), AVX-512, VAES, VPCLMULQDQ, SHA, ADX and later.
 */
#include "cpuid_model.h"

#include <string.h>

#define F1_EDX_FPU (1u << 0)
#define F1_EDX_PSE (1u << 3)
#define F1_EDX_TSC (1u << 4)
#define F1_EDX_MSR (1u << 5)
#define F1_EDX_PAE (1u << 6)
#define F1_EDX_CX8 (1u << 8)
#define F1_EDX_APIC CPUID_1_EDX_APIC
#define F1_EDX_PGE (1u << 13)
#define F1_EDX_CMOV (1u << 15)
#define F1_EDX_PAT (1u << 16)
#define F1_EDX_CLFSH (1u << 19)
#define F1_EDX_MMX (1u << 23)
#define F1_EDX_FXSR (1u << 24)
#define F1_EDX_SSE (1u << 25)
#define F1_EDX_SSE2 (1u << 26)
#define F1_EDX_HTT (1u << 28)
#define F1_ECX_SSE3 (1u << 0)
#define F1_ECX_PCLMULQDQ CPUID_1_ECX_PCLMULQDQ
#define F1_ECX_FMA CPUID_1_ECX_FMA
#define F1_ECX_AES CPUID_1_ECX_AES
#define F1_ECX_AVX CPUID_1_ECX_AVX
#define F1_ECX_F16C CPUID_1_ECX_F16C
#define F1_ECX_SSSE3 (1u << 9)
#define F1_ECX_CX16 (1u << 13)
#define F1_ECX_SSE4_1 (1u << 19)
#define F1_ECX_SSE4_2 (1u << 20)
#define F1_ECX_X2APIC (1u << 21)
#define F1_ECX_MOVBE (1u << 22)
#define F1_ECX_POPCNT (1u << 23)
#define F1_ECX_TSC_DEADLINE (1u << 24)
#define F1_ECX_XSAVE (1u << 26)
#define F1_ECX_RDRAND CPUID_1_ECX_RDRAND
#define X1_EDX_SYSCALL (1u << 11)
#define X1_EDX_NX (1u << 20)
#define X1_EDX_PAGE1GB (1u << 26)
#define X1_EDX_RDTSCP CPUID_X1_EDX_RDTSCP
#define X1_EDX_LM (1u << 29)
#define X1_ECX_LAHF_LM (1u << 0)
#define X1_ECX_CMP_LEGACY (1u << 1)
#define X1_ECX_ABM (1u << 5)
#define X1_ECX_3DNOWPREFETCH (1u << 8)
#define X7_EDX_INVARIANT_TSC (1u << 8)
#define L7_EBX_RDSEED CPUID_7_EBX_RDSEED
#define L7_ECX_RDPID CPUID_7_ECX_RDPID

#define LEAF1_ECX_V1 (F1_ECX_CX16 | F1_ECX_X2APIC | F1_ECX_TSC_DEADLINE)
#define LEAF1_ECX_V2                                                                                                \
	(LEAF1_ECX_V1 | F1_ECX_SSE3 | F1_ECX_SSSE3 | F1_ECX_SSE4_1 | F1_ECX_SSE4_2 | F1_ECX_MOVBE | F1_ECX_POPCNT | \
	 F1_ECX_XSAVE | F1_ECX_RDRAND)
#define X1_ECX_V1 X1_ECX_LAHF_LM
#define X1_ECX_V2 (X1_ECX_V1 | X1_ECX_ABM | X1_ECX_3DNOWPREFETCH)
#define X1_EDX_V1 0u
#define X1_EDX_V2 X1_EDX_RDTSCP
#define L7_EBX_V2 L7_EBX_RDSEED
#define L7_ECX_V2 L7_ECX_RDPID
#define LEAF1_ECX_V3 (LEAF1_ECX_V2 | F1_ECX_PCLMULQDQ | F1_ECX_FMA | F1_ECX_AES | F1_ECX_AVX | F1_ECX_F16C)
#define L7_EBX_V3 (L7_EBX_V2 | CPUID_7_EBX_BMI1 | CPUID_7_EBX_AVX2 | CPUID_7_EBX_BMI2)

/* XSAVE (leaf 0xD): components x87, SSE, AVX; the area's sizes */
#define XSAVE_XCR0_MASK 0x7u
#define XSAVE_SIZE_LEGACY 576u /* legacy region + header: XCR0 = 1 or 3 */
#define XSAVE_SIZE_AVX 832u    /* + AVX (256 bytes at 576) */
#define D1_EAX_XSAVEOPT (1u << 0)
#define D1_EAX_XSAVEC (1u << 1)
#define D1_EAX_XGETBV1 (1u << 2)

#define LEAF1_EDX                                                                                                 \
	(F1_EDX_FPU | F1_EDX_PSE | F1_EDX_TSC | F1_EDX_MSR | F1_EDX_PAE | F1_EDX_CX8 | F1_EDX_APIC | F1_EDX_PGE | \
	 F1_EDX_CMOV | F1_EDX_PAT | F1_EDX_CLFSH | F1_EDX_MMX | F1_EDX_FXSR | F1_EDX_SSE | F1_EDX_SSE2)
/* AMD mirrors leaf-1 EDX bits 0-9, 12-17, 23 and 24 into 0x80000001 EDX. */
#define AMD_MIRROR_MASK 0x0183f3ffu

/* "AuthenticAMD" in EBX, EDX, ECX order; brand string 48 bytes. */
#define STR4(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* The leaves, with the maximum basic leaf, leaf 1 ECX, 0x80000001 ECX and
 * whether there is XSAVE (the 0xD leaves are zeros without it), the
 * level's 0x80000001 EDX bits and leaf 7.0 EBX and ECX (zeros below v2,
 * where the maximum basic leaf is 1) by level. */
// clang-format off
#define MODEL_LEAVES(max_basic, leaf1_ecx, x1_ecx, xs, x1_edx, l7_ebx, l7_ecx)                                   \
	{ 0x00000000, 0, max_basic, STR4('A', 'u', 't', 'h'), STR4('c', 'A', 'M', 'D'), STR4('e', 'n', 't', 'i') }, \
	/* family 0xf + extended 0xa = 19h, model 0x11, stepping 1; CLFLUSH 64 bytes */                           \
	{ 0x00000001, 0, 0x00a10f11, 0x00000800, leaf1_ecx, LEAF1_EDX },                                           \
	/* structured extended features, sub-leaf 0 (EAX: the last sub-leaf, 0) */                              \
	{ 0x00000007, 0, 0, l7_ebx, l7_ecx, 0 },                                                                    \
	/* XSAVE: EBX of sub-leaves 0 and 1 follows XCR0 (XCR0 = 1 at reset) */                                   \
	{ 0x0000000d, 0, (xs) * XSAVE_XCR0_MASK, (xs) * XSAVE_SIZE_LEGACY, (xs) * XSAVE_SIZE_AVX, 0 },             \
	{ 0x0000000d, 1, (xs) * (D1_EAX_XSAVEOPT | D1_EAX_XSAVEC | D1_EAX_XGETBV1), (xs) * XSAVE_SIZE_LEGACY, 0, 0 },\
	{ 0x0000000d, 2, (xs) * 256u, (xs) * XSAVE_SIZE_LEGACY, 0, 0 },                                             \
	{ 0x80000000, 0, 0x80000008, STR4('A', 'u', 't', 'h'), STR4('c', 'A', 'M', 'D'), STR4('e', 'n', 't', 'i') }, \
	{ 0x80000001, 0, 0x00a10f11, 0, x1_ecx,                                                                     \
	  (LEAF1_EDX & AMD_MIRROR_MASK) | X1_EDX_SYSCALL | X1_EDX_NX | X1_EDX_PAGE1GB | X1_EDX_LM | (x1_edx) },   \
	{ 0x80000002, 0, STR4('R', 'A', 'X', ' '), STR4('v', 'i', 'r', 't'), STR4('u', 'a', 'l', ' '),              \
	  STR4('x', '8', '6', '-') },                                                                               \
	{ 0x80000003, 0, STR4('6', '4', ' ', 'C'), STR4('P', 'U', 0, 0), 0, 0 },                                    \
	{ 0x80000004, 0, 0, 0, 0, 0 },                                                                              \
	{ 0x80000005, 0, 0, 0, 0x40020140, 0x40020140 }, /* L1: 64 KiB-ish, 64-byte lines */                       \
	{ 0x80000006, 0, 0, 0, 0x02006140, 0 },                                                                     \
	/* invariant TSC: virtual time (interpreter), the host's invariant TSC (KVM) */                             \
	{ 0x80000007, 0, 0, 0, 0, X7_EDX_INVARIANT_TSC },                                                           \
	/* 40 physical, 48 linear address bits */                                                                   \
	{ 0x80000008, 0, 0x00003028, 0, 0, 0 },
// clang-format on

static const struct cpuid_leaf model_v1[] = { MODEL_LEAVES(0x1, LEAF1_ECX_V1, X1_ECX_V1, 0, X1_EDX_V1, 0, 0) };
static const struct cpuid_leaf model_v2[] = { MODEL_LEAVES(0xd, LEAF1_ECX_V2, X1_ECX_V2, 1, X1_EDX_V2, L7_EBX_V2,
							   L7_ECX_V2) };
static const struct cpuid_leaf model_v3[] = { MODEL_LEAVES(0xd, LEAF1_ECX_V3, X1_ECX_V2, 1, X1_EDX_V2, L7_EBX_V3,
							   L7_ECX_V2) };
_Static_assert(sizeof(model_v1) == sizeof(model_v2) && sizeof(model_v2) == sizeof(model_v3),
	       "one set of leaves per level");
#define NLEAVES (sizeof(model_v1) / sizeof(model_v1[0]))
_Static_assert(NLEAVES <= CPUID_MODEL_MAX_LEAVES, "CPUID_MODEL_MAX_LEAVES");

unsigned rax_cpu_level_parse(const char *s)
{
	if (!s)
		return 0;
	if (!strncmp(s, "x86-64-", 7))
		s += 7;
	if (s[0] == 'v' || s[0] == 'V')
		s++;
	if (!strcmp(s, "1"))
		return RAX_CPU_V1;
	if (!strcmp(s, "2"))
		return RAX_CPU_V2;
	if (!strcmp(s, "3"))
		return RAX_CPU_V3;
	return 0;
}

const char *rax_cpu_level_name(unsigned level)
{
	switch (level) {
	case RAX_CPU_V1: return "v1";
	case RAX_CPU_V2: return "v2";
	case RAX_CPU_V3: return "v3";
	default: return "?";
	}
}

const struct cpuid_leaf *cpuid_model_leaves_level(unsigned level, unsigned *count)
{
	*count = NLEAVES;
	return level >= RAX_CPU_V3 ? model_v3 : level >= RAX_CPU_V2 ? model_v2 : model_v1;
}

const struct cpuid_leaf *cpuid_model_leaves(unsigned *count)
{
	return cpuid_model_leaves_level(RAX_CPU_LEVEL_DEFAULT, count);
}

unsigned cpuid_model_cpu(unsigned level, unsigned cpu, unsigned ncpus, struct cpuid_leaf *out)
{
	unsigned n;
	const struct cpuid_leaf *model = cpuid_model_leaves_level(level, &n);
	unsigned bits = 0;
	while ((1u << bits) < ncpus)
		bits++;
	for (unsigned i = 0; i < n; i++) {
		struct cpuid_leaf l = model[i];
		if (l.function == 1) {
			l.ebx = (l.ebx & 0xffffu) | (cpu & 0xffu) << 24;
			if (ncpus > 1) {
				l.ebx |= (ncpus & 0xffu) << 16;
				l.edx |= F1_EDX_HTT;
			}
		} else if (l.function == 0x80000001 && ncpus > 1) {
			l.ecx |= X1_ECX_CMP_LEGACY;
		} else if (l.function == 0x80000008 && ncpus > 1) {
			l.ecx = (l.ecx & ~0xf0ffu) | bits << 12 | (ncpus - 1);
		}
		out[i] = l;
	}
	return n;
}

void cpuid_model_query_cpu(unsigned level, unsigned cpu, unsigned ncpus, uint32_t function, uint32_t index,
			   uint32_t out[4])
{
	struct cpuid_leaf model[CPUID_MODEL_MAX_LEAVES];
	unsigned n = cpuid_model_cpu(level, cpu, ncpus, model);
	memset(out, 0, 4 * sizeof(uint32_t));
	for (unsigned i = 0; i < n; i++) {
		/* leaves 7 and 0xD have sub-leaves (ECX); the others ignore ECX */
		if (model[i].function == function && (!cpuid_leaf_indexed(function) || model[i].index == index)) {
			out[0] = model[i].eax;
			out[1] = model[i].ebx;
			out[2] = model[i].ecx;
			out[3] = model[i].edx;
			return;
		}
	}
}

uint32_t cpuid_model_xsave_size(uint64_t xcr0) { return (xcr0 & 4) ? XSAVE_SIZE_AVX : XSAVE_SIZE_LEGACY; }

void cpuid_model_query_level(unsigned level, uint32_t function, uint32_t index, uint32_t out[4])
{
	cpuid_model_query_cpu(level, 0, 1, function, index, out);
}

void cpuid_model_query(uint32_t function, uint32_t index, uint32_t out[4])
{
	cpuid_model_query_level(RAX_CPU_LEVEL_DEFAULT, function, index, out);
}
