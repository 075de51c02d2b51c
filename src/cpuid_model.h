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

struct cpuid_leaf {
	uint32_t function, index;
	uint32_t eax, ebx, ecx, edx;
};

/* The table of leaves the model defines. */
const struct cpuid_leaf *cpuid_model_leaves(unsigned *count);

/* CPUID as the modelled CPU executes it (out-of-range leaves as AMD: zeros). */
void cpuid_model_query(uint32_t function, uint32_t index, uint32_t out[4]);

#endif
