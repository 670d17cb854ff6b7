/* SPDX-License-Identifier: MIT */
/*
 * Port and MMIO range tables. Devices register the ranges they own; the vCPU
 * loop looks an exit's address up here, so no device appears in the loop and
 * every exit is charged to the device that owns its address.
 */
#ifndef SNVMM_IO_H
#define SNVMM_IO_H

#include <stdbool.h>
#include <stdint.h>

enum io_space { IO_SPACE_PIO, IO_SPACE_MMIO, IO_SPACE_COUNT };

/*
 * offset is relative to the range's base; data holds len (1..8) bytes, filled by
 * the handler on reads. Handlers run on the vCPU thread that exited.
 */
typedef void (*io_handler_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			      bool is_write);

#define IO_MAX_RANGES 32

struct io_range {
	uint64_t base, len;
	io_handler_fn fn;
	void *opaque;
	const char *name;
};

struct io_bus {
	struct io_range ranges[IO_SPACE_COUNT][IO_MAX_RANGES];
	unsigned count[IO_SPACE_COUNT];
};

/* 0, or -EEXIST for an overlap, -ENOSPC when the table is full, -EINVAL for len 0/overflow. */
int io_register(struct io_bus *bus, enum io_space space, uint64_t base, uint64_t len,
		io_handler_fn fn, void *opaque, const char *name);
/* The range containing [addr, addr+len), or NULL. */
const struct io_range *io_find(const struct io_bus *bus, enum io_space space, uint64_t addr,
			       uint32_t len);

#endif
