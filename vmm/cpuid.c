// SPDX-License-Identifier: MIT
/*
 * Topology, the part KVM leaves to us. KVM_GET_SUPPORTED_CPUID reports the
 * host's cache leaves (Intel leaf 4, AMD 0x8000001D), whose "cores per
 * package" and "threads sharing this cache" fields describe the host, and
 * zeroes the extended topology leaves (0xB, 0x1F, AMD 0x8000001E). A guest
 * told N CPUs in leaf 1 but the host's core count in leaf 4 invents
 * hyperthreads (and splits the L3 among them). So every leaf that speaks of
 * topology is written here, consistently: one package of ncpus cores, one
 * thread each.
 */
#include "cpuid.h"

#include <string.h>

#define LEVEL_SMT  1u
#define LEVEL_CORE 2u

static unsigned order(unsigned n) /* log2 of n rounded up to a power of two */
{
	unsigned s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

/* The first entry of function fn (subleaf 0 where there are several), or NULL. */
static const struct kvm_cpuid_entry2 *find_function(const struct kvm_cpuid2 *c, unsigned fn)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn)
			return &c->entries[i];
	return NULL;
}

/* AMD and Hygon define 0x80000008 ECX as the core count; Intel reserves it (zero). */
static bool vendor_amd(const struct kvm_cpuid2 *c)
{
	const struct kvm_cpuid_entry2 *e = find_function(c, 0);

	return e && (e->ebx == 0x68747541 /* "Auth" */ || e->ebx == 0x6f677948 /* "Hygo" */);
}

/* Cache leaves: EAX[31:26] (leaf 4) cores per package - 1, EAX[25:14] sharers - 1. */
static void shape_cache(struct kvm_cpuid_entry2 *e, unsigned shift, bool cores_field)
{
	unsigned level = (e->eax >> 5) & 7, sharers = level >= 3 ? (1u << shift) - 1 : 0;

	if ((e->eax & 0x1f) == 0)
		return; /* no cache: the end of the list */
	e->eax &= ~(0xfffu << 14);
	e->eax |= sharers << 14;
	if (cores_field) {
		e->eax &= ~(0x3fu << 26);
		e->eax |= ((1u << shift) - 1) << 26;
	}
}

/* Extended topology (0xB, 0x1F): SMT level of 1 thread, core level of ncpus, then the end. */
static unsigned add_topology(struct kvm_cpuid_entry2 *e, unsigned fn, unsigned ncpus, unsigned id,
			     unsigned shift)
{
	const struct kvm_cpuid_entry2 sub[3] = {
	    {.eax = 0, .ebx = 1, .ecx = LEVEL_SMT << 8 | 0},
	    {.eax = shift, .ebx = ncpus, .ecx = LEVEL_CORE << 8 | 1},
	    {.eax = 0, .ebx = 0, .ecx = 2},
	};

	for (unsigned i = 0; i < 3; i++) {
		e[i] = sub[i];
		e[i].function = fn;
		e[i].index = i;
		e[i].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		e[i].edx = id; /* x2APIC ID */
	}
	return 3;
}

void cpuid_shape(const struct kvm_cpuid2 *supported, unsigned ncpus, unsigned id, bool tsc_deadline,
		 struct kvm_cpuid2 *out)
{
	unsigned shift = order(ncpus), n = 0;
	bool leaf_b = find_function(supported, 0xb), leaf_1f = find_function(supported, 0x1f);
	bool amd = vendor_amd(supported);

	for (unsigned i = 0; i < supported->nent; i++) {
		struct kvm_cpuid_entry2 e = supported->entries[i];

		switch (e.function) {
		case 0xb:
		case 0x1f:
			continue; /* rewritten whole below */
		case 1:
			/* APIC ID, addressable IDs per package (HTT says the count is valid). */
			e.ebx = (e.ebx & 0xffffu) | id << 24 | (1u << shift) << 16;
			/* "Hypervisor present": kvm-clock and the PV features. */
			e.ecx |= 1u << 31;
			/* The TSC-deadline LAPIC timer: no calibration against a PIT we keep quiet.
			 */
			if (tsc_deadline)
				e.ecx |= 1u << 24;
			if (ncpus > 1)
				e.edx |= 1u << 28;
			else
				e.edx &= ~(1u << 28);
			break;
		case 4:
			shape_cache(&e, shift, true);
			break;
		case 0x8000001d:
			shape_cache(&e, shift, false);
			break;
		case 0x80000008:
			/* AMD: cores per package - 1, and the APIC ID bits that number them. */
			if (amd)
				e.ecx = (e.ecx & ~0xf0ffu) | shift << 12 | (ncpus - 1);
			break;
		case 0x8000001e:
			/* AMD: extended APIC ID; core (compute unit) id, 1 thread; node 0 of 1. */
			e.eax = id;
			e.ebx = id & 0xff;
			e.ecx = 0;
			break;
		}
		out->entries[n++] = e;
	}
	if (leaf_b)
		n += add_topology(&out->entries[n], 0xb, ncpus, id, shift);
	if (leaf_1f)
		n += add_topology(&out->entries[n], 0x1f, ncpus, id, shift);
	out->nent = n;
}

unsigned cpuid_phys_bits(const struct kvm_cpuid2 *supported)
{
	const struct kvm_cpuid_entry2 *e = find_function(supported, 0x80000008);
	unsigned bits = e ? e->eax & 0xff : 0;

	return bits >= 32 && bits <= 52 ? bits : 0;
}
