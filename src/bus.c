/* bus.c - range lookup and dispatch for port I/O and MMIO devices. */
#include "bus.h"

static uint64_t size_mask(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }

int bus_register(struct bus *b, const struct bus_device *d)
{
	if (b->ndev >= BUS_MAX_DEVICES || d->len == 0)
		return -1;
	for (unsigned i = 0; i < b->ndev; i++) {
		const struct bus_device *o = &b->dev[i];
		if (o->space == d->space && d->base < o->base + o->len && o->base < d->base + d->len)
			return -1;
	}
	b->dev[b->ndev++] = *d;
	return 0;
}

const struct bus_device *bus_find(const struct bus *b, enum bus_space space, uint64_t addr)
{
	for (unsigned i = 0; i < b->ndev; i++) {
		const struct bus_device *d = &b->dev[i];
		if (d->space == space && addr >= d->base && addr - d->base < d->len)
			return d;
	}
	return 0;
}

uint64_t bus_read(struct bus *b, enum bus_space space, uint64_t addr, unsigned size)
{
	const struct bus_device *d = bus_find(b, space, addr);
	if (!d || !d->read)
		return size_mask(size);
	return d->read(d->opaque, addr - d->base, size) & size_mask(size);
}

void bus_write(struct bus *b, enum bus_space space, uint64_t addr, unsigned size, uint64_t value)
{
	const struct bus_device *d = bus_find(b, space, addr);
	if (d && d->write)
		d->write(d->opaque, addr - d->base, size, value & size_mask(size));
}
