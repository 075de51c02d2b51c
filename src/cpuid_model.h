/*
 * cpuid_model.h - the one CPUID model both backends report.
 *
 * The KVM backend hands these leaves to KVM_SET_CPUID2; the interpreter
 * answers CPUID from them. Only features the interpreter implements are
 * advertised (see the list in cpuid_model.c).
 */
#ifndef RAX_CPUID_MODEL_H
#define RAX_CPUID_MODEL_H

#include <stdint.h>

/*
 * CPU levels (the x86-64 psABI micro-architecture levels as this model has
 * them). v1: the x86-64 baseline (CMOV CX8 FPU FXSR MMX SSE SSE2, plus
 * CMPXCHG16B and LAHF/SAHF, which the interpreter has always had). v2 adds
 * SSE3 SSSE3 SSE4.1 SSE4.2 POPCNT and, as the modelled AMD part has them,
 * ABM (LZCNT), MOVBE and 3DNowPrefetch (PREFETCHW), and the XSAVE feature
 * set (XSAVE, XSAVEOPT, XSAVEC, XGETBV with ECX=1; components x87, SSE,
 * AVX; CPUID leaf 0xD) and, as AMD Zen has them, RDTSCP, RDPID, RDRAND and
 * RDSEED (not psABI levels: Linux then uses them). v3 adds AVX, AVX2, FMA,
 * F16C, BMI1, BMI2 (the VEX encoding) and, as the modelled part has them,
 * AES-NI and PCLMULQDQ. The interpreter raises
 * #UD for instructions above its level (opcode-table flags V2, V3); CPUID
 * advertises exactly the level's features.
 */
enum rax_cpu_level { RAX_CPU_V1 = 1, RAX_CPU_V2 = 2, RAX_CPU_V3 = 3 };
#define RAX_CPU_LEVEL_DEFAULT RAX_CPU_V3
#define RAX_CPU_LEVEL_MAX RAX_CPU_V3 /* the highest level that exists */

/* "v1", "v2", "v3" (also "x86-64-v2" and "2") -> the level, or 0 when s names none. */
unsigned rax_cpu_level_parse(const char *s);
/* "v1", "v2", "v3"; "?" for a level that does not exist. */
const char *rax_cpu_level_name(unsigned level);

/* Leaf 1 EDX: the local APIC (a CPU clears it while IA32_APIC_BASE.EN is 0). */
#define CPUID_1_EDX_APIC (1u << 9)
/* Leaf 1 ECX: OSXSAVE, a copy of CR4.OSXSAVE (the CPU sets it dynamically). */
#define CPUID_1_ECX_OSXSAVE (1u << 27)
/* RDRAND (leaf 1 ECX), RDTSCP (0x80000001 EDX), RDSEED and RDPID (leaf 7.0
 * EBX, ECX): level v2 and up (the KVM backend also asks the host's KVM). */
#define CPUID_1_ECX_RDRAND (1u << 30)
#define CPUID_X1_EDX_RDTSCP (1u << 27)
#define CPUID_7_EBX_RDSEED (1u << 18)
#define CPUID_7_ECX_RDPID (1u << 22)

/* The v3 features (leaf 1 ECX, leaf 7.0 EBX). */
#define CPUID_1_ECX_PCLMULQDQ (1u << 1)
#define CPUID_1_ECX_FMA (1u << 12)
#define CPUID_1_ECX_AES (1u << 25)
#define CPUID_1_ECX_AVX (1u << 28)
#define CPUID_1_ECX_F16C (1u << 29)
#define CPUID_7_EBX_BMI1 (1u << 3)
#define CPUID_7_EBX_AVX2 (1u << 5)
#define CPUID_7_EBX_BMI2 (1u << 8)
/*
 * Features a KVM guest executes on the CPU without KVM's help: the KVM
 * backend offers them only where the host's KVM_GET_SUPPORTED_CPUID does,
 * and the ones that use AVX state (YMM, XCR0 bit 2) only where XSAVE and
 * the AVX component are offered too.
 */
#define CPUID_1_ECX_ONCPU                                                                                   \
	(CPUID_1_ECX_RDRAND | CPUID_1_ECX_PCLMULQDQ | CPUID_1_ECX_FMA | CPUID_1_ECX_AES | CPUID_1_ECX_AVX | \
	 CPUID_1_ECX_F16C)
#define CPUID_7_EBX_ONCPU (CPUID_7_EBX_RDSEED | CPUID_7_EBX_BMI1 | CPUID_7_EBX_AVX2 | CPUID_7_EBX_BMI2)
#define CPUID_1_ECX_AVXSTATE (CPUID_1_ECX_FMA | CPUID_1_ECX_AVX | CPUID_1_ECX_F16C)
#define CPUID_7_EBX_AVXSTATE CPUID_7_EBX_AVX2

/* Leaves whose answer depends on ECX (the sub-leaf): 7 and 0xD. */
static inline int cpuid_leaf_indexed(uint32_t function) { return function == 7 || function == 0xd; }

/* Leaf 0xD sub-leaves 0 and 1 EBX: the XSAVE area for the components
 * enabled in xcr0 (standard format; compacted is the same size for the
 * model's components: AVX is the first extended one). */
uint32_t cpuid_model_xsave_size(uint64_t xcr0);

struct cpuid_leaf {
	uint32_t function, index;
	uint32_t eax, ebx, ecx, edx;
};

/* The table of leaves the model defines at the default level (v1). */
const struct cpuid_leaf *cpuid_model_leaves(unsigned *count);

/* The same at a level: leaves the level's table, *count gets how many
 * (at most CPUID_MODEL_MAX_LEAVES). */
#define CPUID_MODEL_MAX_LEAVES 20
const struct cpuid_leaf *cpuid_model_leaves_level(unsigned level, unsigned *count);

/*
 * Topology: the leaves as CPU `cpu` of `ncpus` (one package of ncpus
 * cores, one thread each, AMD's legacy scheme): leaf 1 EBX[31:24] is the
 * initial APIC ID (= cpu); with more than one CPU, leaf 1 EDX HTT and EBX
 * [23:16] = ncpus (logical processors in the package), 0x80000001 ECX
 * CmpLegacy (they are cores, not threads) and 0x80000008 ECX NC = ncpus - 1
 * with ApicIdCoreIdSize the bits that hold a core number. With ncpus 1 the
 * leaves are the plain model's. out has room for CPUID_MODEL_MAX_LEAVES;
 * returns how many.
 */
unsigned cpuid_model_cpu(unsigned level, unsigned cpu, unsigned ncpus, struct cpuid_leaf *out);
/* One leaf of that (out-of-range leaves as AMD: zeros). */
void cpuid_model_query_cpu(unsigned level, unsigned cpu, unsigned ncpus, uint32_t function, uint32_t index,
			   uint32_t out[4]);

/* CPUID as the modelled CPU executes it (out-of-range leaves as AMD: zeros),
 * at the default level / at a level. */
void cpuid_model_query(uint32_t function, uint32_t index, uint32_t out[4]);
void cpuid_model_query_level(unsigned level, uint32_t function, uint32_t index, uint32_t out[4]);

#endif
