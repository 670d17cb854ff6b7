/* SPDX-License-Identifier: MIT */
/*
 * Counting and reporting. Counters live with their writers (each vCPU, each
 * device thread) and are bumped with counter_inc(): one plain load and store,
 * no lock and no locked instruction, readable from the reporting thread at any
 * time. Reports go through a stats_writer, which formats the same tree of
 * groups and name/value pairs as a table, as JSON, or hands values to a
 * callback (the --stats-interval line).
 */
#ifndef SNVMM_STATS_H
#define SNVMM_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vm;

/* Single writer per counter; readers on other threads see whole values. */
static inline void counter_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}
static inline void counter_set(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, v, __ATOMIC_RELAXED);
}
static inline void counter_inc(uint64_t *c)
{
	counter_add(c, 1);
}
static inline uint64_t counter_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

enum stats_format { STATS_TABLE, STATS_JSON, STATS_COLLECT };

#define STATS_MAX_DEPTH 8

struct stats_writer {
	enum stats_format format;
	FILE *f;
	unsigned depth;
	unsigned skipped; /* groups opened past STATS_MAX_DEPTH, so their ends match */
	bool first[STATS_MAX_DEPTH + 1];
	/* STATS_COLLECT: called with the innermost group's name and each value. */
	void (*collect)(void *ctx, const char *group, const char *name, uint64_t value);
	void *ctx;
	const char *group[STATS_MAX_DEPTH + 1];
};

void stats_writer_init(struct stats_writer *w, enum stats_format format, FILE *f);
void stats_begin(struct stats_writer *w, const char *group);
void stats_end(struct stats_writer *w);
void stats_u64(struct stats_writer *w, const char *name, uint64_t value);
void stats_str(struct stats_writer *w, const char *name, const char *value);
/* Closes the document (JSON's outer brace); call once after the last group. */
void stats_finish(struct stats_writer *w);

/* KVM's binary statistics (KVM_GET_STATS_FD) for the VM and each vCPU. */
struct kvm_stats_fd;
struct kvm_stats_fd *kvm_stats_open(int fd);
void kvm_stats_close(struct kvm_stats_fd *s);
/* Emits every scalar counter the running kernel describes, by its own name. */
void kvm_stats_write(struct kvm_stats_fd *s, struct stats_writer *w);
/* One counter by name, or false when this kernel has none by that name. */
bool kvm_stats_get(struct kvm_stats_fd *s, const char *name, uint64_t *value);

/* Name of a KVM_EXIT_* reason ("io", "mmio", "hlt", ...). */
const char *kvm_exit_name(unsigned reason);

#endif
