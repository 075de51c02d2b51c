/*
 * boot64.h - shared long-mode entry set-up for the loaders.
 *
 * Writes the boot GDT and the identity-mapped page tables into guest RAM
 * and fills a canonical CPU state that starts in 64-bit mode at `entry`.
 */
#ifndef RAX_BOOT64_H
#define RAX_BOOT64_H

#include <stddef.h>
#include <stdint.h>

#include "cpu_state.h"
#include "err.h"
#include "guest_mem.h"

/* Selectors of the boot GDT (the Linux boot protocol's __BOOT_CS/__BOOT_DS). */
#define BOOT_CS 0x10
#define BOOT_DS 0x18

int boot64_setup(struct guest_mem *mem, struct rax_cpu_state *st, uint64_t entry, struct rax_err *err);

#endif
