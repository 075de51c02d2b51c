/*
 * guest_mem.h - guest RAM: one host mapping, bounds-checked access.
 *
 * Guest-physical address 0 maps to host[0]; RAM is contiguous up to size.
 * Everything that touches guest memory goes through these accessors (or a
 * pointer obtained from guest_mem_ptr() for a range it checked), so the
 * guest can never reach host memory outside its RAM.
 */
#ifndef RAX_GUEST_MEM_H
#define RAX_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Largest RAM we accept: keeps RAM below the 32-bit MMIO/firmware area. */
#define GUEST_MEM_MAX (3ull << 30)
#define GUEST_MEM_MIN (16ull << 20)
#define GUEST_MEM_DEFAULT (256ull << 20)

struct guest_mem {
	uint8_t *host;
	uint64_t size;
};

/* A RAM size guest_mem_init() takes: GUEST_MEM_MIN..MAX, a multiple of 4 KiB. */
int guest_mem_check_size(uint64_t size, struct rax_err *err);
int guest_mem_init(struct guest_mem *m, uint64_t size, struct rax_err *err);
void guest_mem_free(struct guest_mem *m);

/* True when [gpa, gpa+len) lies inside RAM (overflow-safe). */
static inline bool guest_mem_contains(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	return gpa <= m->size && len <= m->size - gpa;
}

/* Host pointer for [gpa, gpa+len), or NULL when any byte is outside RAM. */
static inline void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	return guest_mem_contains(m, gpa, len) ? m->host + gpa : NULL;
}

/* Zero [gpa, gpa+len) of RAM (inside it): whole pages are given back to
 * the host (they read as zero and cost nothing until touched), the rest
 * cleared. */
void guest_mem_zero(struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Copy in or out of guest RAM; -1 (nothing copied) when out of range. */
int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *buf, uint64_t len);
int guest_mem_write(struct guest_mem *m, uint64_t gpa, const void *buf, uint64_t len);

#endif
