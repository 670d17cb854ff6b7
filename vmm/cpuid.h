/* SPDX-License-Identifier: MIT */
/*
 * The CPUID a vCPU sees: what KVM supports, plus what firmware would say about
 * the machine's shape. Pure data in, data out, so it is tested without KVM.
 */
#ifndef SNVMM_CPUID_H
#define SNVMM_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>

/* Entries cpuid_shape() may add to what KVM reported. */
#define CPUID_EXTRA_ENTRIES 6

/*
 * Writes into out (room for supported->nent + CPUID_EXTRA_ENTRIES entries)
 * the CPUID of vCPU id in a VM of ncpus: one package, ncpus cores of one
 * thread each, APIC ID = id, the L3 shared by all, L1 and L2 per core; the
 * hypervisor bit; the TSC-deadline timer when KVM has it.
 */
void cpuid_shape(const struct kvm_cpuid2 *supported, unsigned ncpus, unsigned id, bool tsc_deadline,
		 struct kvm_cpuid2 *out);

/*
 * The guest-physical address width KVM offers (0x80000008 EAX[7:0]), or 0
 * where it says none or nonsense (outside 32..52 bits).
 */
unsigned cpuid_phys_bits(const struct kvm_cpuid2 *supported);

#endif
