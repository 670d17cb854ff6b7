// SPDX-License-Identifier: MIT
/*
 * cpuid_shape() on synthetic KVM_GET_SUPPORTED_CPUID tables of an Intel and an
 * AMD host with more cores than the VM: every topology leaf must describe one
 * package of ncpus single-thread cores, whatever the host's own shape.
 */
#include "check.h"
#include "cpuid.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ENT 32

struct table {
	struct kvm_cpuid2 h;
	struct kvm_cpuid_entry2 e[MAX_ENT];
};

static void add(struct table *t, unsigned fn, unsigned idx, unsigned eax, unsigned ebx,
		unsigned ecx, unsigned edx)
{
	t->e[t->h.nent++] = (struct kvm_cpuid_entry2){
	    .function = fn, .index = idx, .eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx};
}

/* A 16-core, 2-thread Intel host: leaf 4 says 16 cores, L1/L2 shared by 2, L3 by 32. */
static void intel_host(struct table *t)
{
	memset(t, 0, sizeof(*t));
	add(t, 0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69);
	add(t, 1, 0, 0x000906ea, 0x00100800, 0x7ffafbff, 0xbfebfbff);
	add(t, 4, 0, 0x3c004121, 0x01c0003f, 0x3f, 0);	 /* L1d: 2 sharers, 16 cores */
	add(t, 4, 1, 0x3c004122, 0x01c0003f, 0x3f, 0);	 /* L1i */
	add(t, 4, 2, 0x3c004143, 0x01c0003f, 0x3ff, 0);	 /* L2 */
	add(t, 4, 3, 0x3c07c163, 0x04c0003f, 0x3fff, 6); /* L3: 32 sharers */
	add(t, 4, 4, 0, 0, 0, 0);
	add(t, 0xb, 0, 0, 0, 0, 0); /* KVM reports the extended topology zeroed */
	add(t, 0x1f, 0, 0, 0, 0, 0);
	add(t, 0x40000000, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(t, 0x80000008, 0, 0x3027, 0, 0, 0);
}

/* An AMD host with TOPOEXT: 0x8000001D caches, 0x8000001E zeroed, 0x80000008 of 64 cores. */
static void amd_host(struct table *t)
{
	memset(t, 0, sizeof(*t));
	add(t, 0, 0, 0x10, 0x68747541, 0x444d4163, 0x69746e65);
	add(t, 1, 0, 0x00830f10, 0x00800800, 0x7ed8320b, 0x178bfbff);
	add(t, 0x80000001, 0, 0, 0, 1u << 22, 0);
	add(t, 0x80000008, 0, 0x3030, 0, 0x703f, 0); /* 64 cores, APIC ID size 7 */
	add(t, 0x8000001d, 0, 0x00004121, 0x01c0003f, 0x3f, 0);
	add(t, 0x8000001d, 1, 0x00004122, 0x01c0003f, 0x3f, 0);
	add(t, 0x8000001d, 2, 0x00004143, 0x01c0003f, 0x3ff, 0);
	add(t, 0x8000001d, 3, 0x0001c163, 0x03c0003f, 0x3fff, 1);
	add(t, 0x8000001e, 0, 0, 0, 0, 0);
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *c, unsigned fn, unsigned idx)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

static unsigned count(const struct kvm_cpuid2 *c, unsigned fn)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nent; i++)
		n += c->entries[i].function == fn;
	return n;
}

static struct kvm_cpuid2 *shape(const struct table *t, unsigned ncpus, unsigned id)
{
	struct kvm_cpuid2 *out =
	    calloc(1, sizeof(*out) + (t->h.nent + CPUID_EXTRA_ENTRIES) * sizeof(out->entries[0]));

	cpuid_shape(&t->h, ncpus, id, true, out);
	return out;
}

static unsigned pow2(unsigned n)
{
	unsigned p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static void test_intel(unsigned ncpus)
{
	struct table t;

	intel_host(&t);
	for (unsigned id = 0; id<ncpus; id += ncpus> 2 ? ncpus - 1 : 1) {
		struct kvm_cpuid2 *c = shape(&t, ncpus, id);
		const struct kvm_cpuid_entry2 *e = find(c, 1, 0);

		CHECK(e != NULL);
		if (!e) {
			free(c);
			continue;
		}
		CHECK_EQ(e->ebx >> 24, id);
		CHECK_EQ((e->ebx >> 16) & 0xff, pow2(ncpus));
		CHECK_EQ(!!(e->edx & (1u << 28)), ncpus > 1);
		CHECK(e->ecx & (1u << 31));
		CHECK(e->ecx & (1u << 24));
		CHECK_EQ(e->eax, 0x000906ea); /* the rest is KVM's */
		/* Leaf 4: ncpus cores; L1 and L2 private, L3 shared by the package. */
		for (unsigned i = 0; i < 4; i++) {
			e = find(c, 4, i);
			CHECK(e != NULL);
			if (!e)
				continue;
			CHECK_EQ(e->eax >> 26, pow2(ncpus) - 1);
			CHECK_EQ((e->eax >> 14) & 0xfff, i == 3 ? pow2(ncpus) - 1 : 0);
			CHECK_EQ(e->eax & 0x3fff, t.e[2 + i].eax & 0x3fff); /* type, level kept */
		}
		CHECK_EQ(find(c, 4, 4)->eax, 0);
		/* 0xB and 0x1F: SMT level of 1, core level of ncpus, then the end. */
		for (unsigned fn = 0xb; fn <= 0x1f; fn += 0x1f - 0xb) {
			CHECK_EQ(count(c, fn), 3);
			e = find(c, fn, 0);
			CHECK(e && e->ebx == 1 && e->eax == 0 && e->ecx == 0x100 && e->edx == id);
			e = find(c, fn, 1);
			CHECK(e && e->ebx == ncpus && (1u << e->eax) == pow2(ncpus) &&
			      e->ecx == 0x201 && e->edx == id);
			e = find(c, fn, 2);
			CHECK(e && e->ebx == 0 && ((e->ecx >> 8) & 0xff) == 0);
			CHECK(e && (e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX));
		}
		CHECK(find(c, 0x40000000, 0) != NULL);	  /* KVM's own leaves untouched */
		CHECK_EQ(find(c, 0x80000008, 0)->ecx, 0); /* reserved on Intel */
		free(c);
	}
}

static void test_amd(unsigned ncpus)
{
	struct table t;
	unsigned id = ncpus - 1;
	struct kvm_cpuid2 *c;
	const struct kvm_cpuid_entry2 *e;

	amd_host(&t);
	c = shape(&t, ncpus, id);
	e = find(c, 0x80000008, 0);
	CHECK(e && (e->ecx & 0xff) == ncpus - 1 && (1u << ((e->ecx >> 12) & 0xf)) == pow2(ncpus));
	CHECK(e && (e->ecx & ~0xf0ffu) == 0); /* nothing else of the host's count left */
	e = find(c, 0x8000001e, 0);
	CHECK(e && e->eax == id && (e->ebx & 0xff) == id && ((e->ebx >> 8) & 0xff) == 0 &&
	      e->ecx == 0);
	for (unsigned i = 0; i < 4; i++) {
		e = find(c, 0x8000001d, i);
		CHECK(e && ((e->eax >> 14) & 0xfff) == (i == 3 ? pow2(ncpus) - 1 : 0));
	}
	CHECK_EQ(count(c, 0xb), 0); /* not reported, not invented */
	free(c);
}

/* Hygon ("HygonGenuine") defines 0x80000008 ECX as AMD does. */
static void test_hygon(void)
{
	struct table t;
	struct kvm_cpuid2 *c;
	const struct kvm_cpuid_entry2 *e;

	amd_host(&t);
	t.e[0].ebx = 0x6f677948;
	t.e[0].edx = 0x6e65476e;
	t.e[0].ecx = 0x656e6975;
	c = shape(&t, 4, 3);
	e = find(c, 0x80000008, 0);
	CHECK(e && (e->ecx & 0xff) == 3 && ((e->ecx >> 12) & 0xf) == 2);
	free(c);
}

static void test_phys_bits(void)
{
	struct table t;

	intel_host(&t);
	CHECK_EQ(cpuid_phys_bits(&t.h), 39);
	amd_host(&t);
	CHECK_EQ(cpuid_phys_bits(&t.h), 48);
	t.e[3].eax = 0x3000; /* 0 bits: nonsense, as if not reported */
	CHECK_EQ(cpuid_phys_bits(&t.h), 0);
	t.h.nent = 3; /* no 0x80000008 at all */
	CHECK_EQ(cpuid_phys_bits(&t.h), 0);
}

int main(void)
{
	test_phys_bits();
	test_hygon();
	const unsigned sizes[] = {1, 2, 3, 4, 6, 64};

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		test_intel(sizes[i]);
		test_amd(sizes[i]);
	}
	return check_summary("cpuid");
}
