/* SPDX-License-Identifier: MIT */
/*
 * The host threads snvmm starts (vCPUs, device workers, the console reader),
 * each under the name that ps -L, top -H and perf show, and on the host CPU
 * that --pin gives that name. Where a worker runs next to the vCPU it serves
 * decides whether they take turns on one CPU (tests/bench/README.md,
 * "make bench-pin").
 */
#ifndef SNVMM_THREAD_H
#define SNVMM_THREAD_H

#include <pthread.h>

#define THREAD_NAME_MAX 16 /* the kernel's TASK_COMM_LEN, NUL included */
#define THREAD_PINS_MAX 72 /* every vCPU and a few more */

struct thread_pin {
	char name[THREAD_NAME_MAX];
	unsigned cpu;
};

struct thread_pins {
	unsigned n;
	struct thread_pin pin[THREAD_PINS_MAX];
};

/*
 * Adds "NAME=CPU[,NAME=CPU...]" to p. CPU must be one this process may run on,
 * NAME not pinned already; whether a thread of that name will exist is the
 * caller's to check. On error prints one line naming the entry, returns -EINVAL.
 */
int thread_pins_parse(struct thread_pins *p, const char *arg);

/* The CPU pinned for name, or -1. */
int thread_pins_cpu(const struct thread_pins *p, const char *name);

/* Starts fn(arg) as thread name, on its pinned CPU if it has one. 0 or -errno. */
int thread_start(pthread_t *t, const char *name, const struct thread_pins *pins,
		 void *(*fn)(void *), void *arg);

#endif
