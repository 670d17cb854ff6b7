// SPDX-License-Identifier: MIT
#include "io.h"

#include <errno.h>
#include <stddef.h>

int io_register(struct io_bus *bus, enum io_space space, uint64_t base, uint64_t len,
		io_handler_fn fn, void *opaque, const char *name)
{
	if ((unsigned)space >= IO_SPACE_COUNT || len == 0 || base + len < base || !fn)
		return -EINVAL;
	if (space == IO_SPACE_PIO && base + len > 0x10000)
		return -EINVAL;
	unsigned n = bus->count[space];
	for (unsigned i = 0; i < n; i++) {
		const struct io_range *r = &bus->ranges[space][i];
		if (base < r->base + r->len && r->base < base + len)
			return -EEXIST;
	}
	if (n == IO_MAX_RANGES)
		return -ENOSPC;
	bus->ranges[space][n] = (struct io_range){base, len, fn, opaque, name};
	bus->count[space] = n + 1;
	return 0;
}

/*
 * A linear scan: a VM has a handful of ranges, and the hot paths (ring kicks)
 * never come here because KVM completes them through ioeventfd.
 */
const struct io_range *io_find(const struct io_bus *bus, enum io_space space, uint64_t addr,
			       uint32_t len)
{
	if ((unsigned)space >= IO_SPACE_COUNT)
		return NULL;
	for (unsigned i = 0; i < bus->count[space]; i++) {
		const struct io_range *r = &bus->ranges[space][i];
		if (addr >= r->base && addr - r->base < r->len && len <= r->len - (addr - r->base))
			return r;
	}
	return NULL;
}
