/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM as the VMM sees it: one host mapping, split around the MMIO hole
 * below 4 GiB. guest_ptr() is the one place a guest-physical address becomes a
 * host pointer; everything the guest hands us (descriptors, boot structures)
 * goes through it, so a bad address can never reach outside guest RAM.
 */
#ifndef SNVMM_GUEST_MEM_H
#define SNVMM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem {
	uint8_t *host;	   /* ram_size bytes */
	uint64_t ram_size; /* total RAM */
	uint64_t low_size; /* RAM at [0, low_size); the rest sits at HIGH_RAM_START */
};

/* Maps ram_size bytes (MAP_NORESERVE: pages are taken as the guest touches them). */
int guest_mem_init(struct guest_mem *m, uint64_t ram_size);
void guest_mem_destroy(struct guest_mem *m);

/*
 * Host pointer for [gpa, gpa+len) when the whole range lies in one RAM block,
 * else NULL. len 0 is allowed (checks gpa alone). Overflow-safe.
 */
void *guest_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Size of the high RAM block (above 4 GiB), 0 when everything fits below the hole. */
static inline uint64_t guest_mem_high_size(const struct guest_mem *m)
{
	return m->ram_size - m->low_size;
}

#endif
