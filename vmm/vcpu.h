/* SPDX-License-Identifier: MIT */
/*
 * One thread per vCPU (named vcpuN) running KVM_RUN. Exits that reach
 * userspace go through one dispatch table indexed by exit reason, after being
 * counted in this vCPU's own counters (no locks, no shared cache lines).
 */
#ifndef SNVMM_VCPU_H
#define SNVMM_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "io.h"

struct vm;
struct kvm_run;
struct boot_regs;

/* KVM exit reasons we count individually; higher ones share the last slot. */
#define VCPU_EXIT_SLOTS 64

enum io_dir { IO_DIR_READ, IO_DIR_WRITE };

struct vcpu_counters {
	uint64_t exits[VCPU_EXIT_SLOTS];
	/* Port/MMIO exits charged to the range that owns the address, by direction. */
	uint64_t io[IO_SPACE_COUNT][IO_MAX_RANGES][2];
	/* Accesses nobody owns: reads see all ones, writes are dropped. */
	uint64_t io_unclaimed[IO_SPACE_COUNT][2];
};

/* Cache-line aligned so one vCPU's counter bumps never touch a neighbour's line. */
struct vcpu {
	_Alignas(64) struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	struct vcpu_counters counts;
};

/* Creates vCPU fds and kvm_run mappings, and programs CPUID for each. */
int vcpus_create(struct vm *vm);
void vcpus_destroy(struct vm *vm);
/* Puts vCPU 0 at the kernel's entry point. */
int vcpu_set_boot_state(struct vcpu *v, const struct boot_regs *b);
int vcpus_start(struct vm *vm);
/* Kicks every vCPU out of KVM_RUN and joins the threads. */
void vcpus_stop(struct vm *vm);

/*
 * Handles the exit described by v->run: counts it and calls its handler.
 * Returns 0 to run again, or 1 when the vCPU should stop (the VM's end reason
 * is then set). Exported so tests can feed synthetic exits without /dev/kvm.
 */
int vcpu_dispatch_exit(struct vcpu *v);

#endif
