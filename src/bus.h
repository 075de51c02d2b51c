/*
 * bus.h - the one device bus: port I/O and MMIO ranges.
 *
 * Every device implements read/write on a range of one address space with
 * the same signature; devices never know which backend runs the CPU. An
 * access nobody claims is harmless: writes are dropped, reads return all ones.
 */
#ifndef RAX_BUS_H
#define RAX_BUS_H

#include <stdbool.h>
#include <stdint.h>

enum bus_space { BUS_PIO, BUS_MMIO };

struct bus_device {
	const char *name;
	enum bus_space space;
	uint64_t base, len;
	void *opaque;
	/* offset is relative to base; size is 1, 2, 4 or 8 bytes */
	uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
	void (*write)(void *opaque, uint64_t offset, unsigned size, uint64_t value);
};

#define BUS_MAX_DEVICES 32

struct bus {
	struct bus_device dev[BUS_MAX_DEVICES];
	unsigned ndev;
};

/* Register a device; -1 when the table is full or the range overlaps. */
int bus_register(struct bus *b, const struct bus_device *d);
const struct bus_device *bus_find(const struct bus *b, enum bus_space space, uint64_t addr);

/* Dispatch one access; unclaimed reads give all ones (masked to size). */
uint64_t bus_read(struct bus *b, enum bus_space space, uint64_t addr, unsigned size);
void bus_write(struct bus *b, enum bus_space space, uint64_t addr, unsigned size, uint64_t value);

#endif
