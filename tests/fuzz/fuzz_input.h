/* SPDX-License-Identifier: MIT */
/*
 * What the libFuzzer targets share: reading the input as operands (short
 * reads give zeros, so every script runs to its end) and memory between
 * PROT_NONE guard pages, where one byte too far faults.
 */
#ifndef SNVMM_FUZZ_INPUT_H
#define SNVMM_FUZZ_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct fz_in {
	const uint8_t *in;
	size_t left;
};

/* The next byte, or -1 at the end of the input. */
static inline int fz_byte(struct fz_in *f)
{
	if (!f->left)
		return -1;
	f->left--;
	return *f->in++;
}

/* The next n bytes (n <= 8) as a big-endian number; what is missing reads as 0. */
static inline uint64_t fz_uint(struct fz_in *f, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n && f->left; i++)
		v = v << 8 | (uint64_t)fz_byte(f);
	return v;
}

struct fz_map {
	uint8_t *base;
	size_t total;
};

/* Maps len bytes between two PROT_NONE pages; returns the usable start. */
static inline uint8_t *fz_guarded(size_t len, struct fz_map *m)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), body = (len + pg - 1) / pg * pg;

	m->total = body + 2 * pg;
	m->base = mmap(NULL, m->total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->base == MAP_FAILED)
		abort();
	if (mprotect(m->base + pg, body, PROT_READ | PROT_WRITE))
		abort();
	/* Flush against the upper guard: one byte too far faults. */
	return m->base + pg + (body - len);
}

#endif
