// SPDX-License-Identifier: MIT
#include "guest_mem.h"
#include "layout.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

int guest_mem_init(struct guest_mem *m, uint64_t ram_size)
{
	memset(m, 0, sizeof(*m));
	if (ram_size == 0 || ram_size > (1ULL << 46))
		return -EINVAL;
	/*
	 * KVM maps a 2 MiB guest page with one NPT/EPT entry only when the host
	 * page behind it is a transparent huge page at the same offset, so the
	 * mapping starts on a 2 MiB boundary: a guest then takes one nested page
	 * fault per 2 MiB it touches instead of one per 4 KiB.
	 */
	const uint64_t huge = 2ULL << 20;
	uint8_t *p = mmap(NULL, ram_size + huge, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	uint8_t *aligned = (uint8_t *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
	if (aligned > p)
		munmap(p, aligned - p);
	munmap(aligned + ram_size, p + huge - aligned);
	madvise(aligned, ram_size, MADV_HUGEPAGE);
	m->host = aligned;
	m->ram_size = ram_size;
	m->low_size = ram_size < MEM_32BIT_END ? ram_size : MEM_32BIT_END;
	return 0;
}

void guest_mem_destroy(struct guest_mem *m)
{
	if (m->host)
		munmap(m->host, m->ram_size);
	m->host = NULL;
}

void *guest_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t high = guest_mem_high_size(m);

	if (gpa < m->low_size) {
		if (len > m->low_size - gpa)
			return NULL;
		return m->host + gpa;
	}
	if (gpa >= HIGH_RAM_START && gpa - HIGH_RAM_START < high) {
		uint64_t off = gpa - HIGH_RAM_START;
		if (len > high - off)
			return NULL;
		return m->host + m->low_size + off;
	}
	return NULL;
}
