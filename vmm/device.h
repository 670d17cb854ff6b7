/* SPDX-License-Identifier: MIT */
/*
 * The one interface the core knows devices by. A device registers its port and
 * MMIO ranges, memory slots, eventfds and ACPI description in setup(), starts its
 * threads in start(), and stops them in stop(); destroy() frees what setup() made.
 * The core calls them in the order devices/devices.c lists, and stops in reverse.
 */
#ifndef SNVMM_DEVICE_H
#define SNVMM_DEVICE_H

#include <stdint.h>
#include <stdio.h>

struct vm;
struct vm_config;
struct stats_writer;

struct device_ops {
	const char *name;
	/* Is this device wanted for this configuration? NULL means always. */
	int (*wanted)(const struct vm_config *cfg);
	int (*setup)(struct vm *vm, const struct vm_config *cfg, void **state);
	int (*start)(void *state);
	void (*stop)(void *state);
	void (*destroy)(void *state);
	/* Writes this device's counters as name/value pairs (see vmm/stats.h). */
	void (*stats)(void *state, struct stats_writer *w);
};

/* devices/devices.c: the built-in devices in setup order, NULL-terminated. */
extern const struct device_ops *const builtin_devices[];

#endif
