/* SPDX-License-Identifier: MIT */
/*
 * What a VM reports about itself: every userspace exit by reason, port and MMIO
 * exits by the device that owns the address, KVM's own counters for the VM and
 * each vCPU, and each device's counters, as a --stats table, --stats-json, or a
 * compact --stats-interval line.
 */
#ifndef SNVMM_REPORT_H
#define SNVMM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "stats.h"

struct vm;
struct vm_report;

/* Opens KVM's statistics for the VM and its vCPUs (after vcpus_create). */
struct vm_report *report_open(struct vm *vm);
void report_close(struct vm_report *r);
void report_write(struct vm_report *r, struct stats_writer *w);
/* One line of rates since the previous call (or since start). */
void report_interval(struct vm_report *r, FILE *f);

#endif
