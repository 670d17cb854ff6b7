// SPDX-License-Identifier: MIT
/*
 * The AML emitter's encodings, byte for byte against ACPI 6.5 chapter 20:
 * integers take the shortest prefix, PkgLength the shortest form at every
 * boundary (also when a nested package moves), names pad and prefix like
 * ASL, and nothing is ever written past the buffer.
 */
#include "aml.h"
#include "check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* Decodes the PkgLength at p; *nbytes gets its size. */
static uint32_t pkg_length(const uint8_t *p, unsigned *nbytes)
{
	unsigned extra = p[0] >> 6;
	uint32_t len = extra ? p[0] & 0xf : p[0] & 0x3f;

	for (unsigned i = 0; i < extra; i++)
		len |= (uint32_t)p[1 + i] << (4 + 8 * i);
	*nbytes = extra + 1;
	return len;
}

static void test_integers(void)
{
	static const struct {
		uint64_t v;
		size_t n;
		uint8_t bytes[9];
	} cases[] = {
	    {0, 1, {0x00}},
	    {1, 1, {0x01}},
	    {2, 2, {0x0a, 0x02}},
	    {0xff, 2, {0x0a, 0xff}},
	    {0x100, 3, {0x0b, 0x00, 0x01}},
	    {0xffff, 3, {0x0b, 0xff, 0xff}},
	    {0x10000, 5, {0x0c, 0x00, 0x00, 0x01, 0x00}},
	    {0xffffffff, 5, {0x0c, 0xff, 0xff, 0xff, 0xff}},
	    {1ULL << 32, 9, {0x0e, 0, 0, 0, 0, 1, 0, 0, 0}},
	};
	uint8_t b[16];
	struct aml a;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		aml_init(&a, b, sizeof(b));
		aml_integer(&a, cases[i].v);
		CHECK_EQ(a.len, cases[i].n);
		CHECK(memcmp(b, cases[i].bytes, cases[i].n) == 0);
	}
	aml_init(&a, b, sizeof(b));
	aml_string(&a, "AB");
	CHECK_EQ(a.len, 4);
	CHECK(memcmp(b,
		     "\x0d"
		     "AB",
		     4) == 0); /* StringPrefix, chars, NUL */
}

static void test_eisaid(void)
{
	uint32_t id;

	CHECK_EQ(aml_eisaid("PNP0501", &id), 0);
	CHECK_EQ(id, 0x0105d041);
	CHECK_EQ(aml_eisaid("PNP0A03", &id), 0);
	CHECK_EQ(id, 0x030ad041);
	CHECK_EQ(aml_eisaid("pnp0501", &id), -EINVAL);
	CHECK_EQ(aml_eisaid("PNP05011", &id), -EINVAL);
	CHECK_EQ(aml_eisaid("PNP0G01", &id), -EINVAL);
}

static void test_names(void)
{
	uint8_t b[32];
	struct aml a;

	aml_init(&a, b, sizeof(b));
	CHECK_EQ(aml_name_string(&a, "\\_SB.PCI0.S08"), 0);
	CHECK_EQ(a.len, 1 + 2 + 12);
	CHECK(memcmp(b, "\\\x2f\x03_SB_PCI0S08_", 15) == 0);
	aml_init(&a, b, sizeof(b));
	CHECK_EQ(aml_name_string(&a, "_SB.D001"), 0);
	CHECK_EQ(a.len, 9);
	CHECK(memcmp(b, "\x2e_SB_D001", 9) == 0);
	aml_init(&a, b, sizeof(b));
	CHECK_EQ(aml_name_string(&a, "_S5"), 0);
	CHECK_EQ(a.len, 4);
	CHECK(memcmp(b, "_S5_", 4) == 0);
	const char *bad[] = {
	    "1ABC",  "ABCDE",
	    "AB..C", "AB.",
	    "a",     "",
	    "\\",    "A.B.C.D.E.F.G.H.I.J.K.L.M.N.O.P.Q"}; /* 17 segments, 16 at most */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&a, b, sizeof(b));
		CHECK_EQ(aml_name_string(&a, bad[i]), -EINVAL);
		CHECK_EQ(a.len, 0);
	}
}

static void test_pkg_length(void)
{
	/* Body includes the NumElements byte, hence the off-by-one boundaries. */
	static const struct {
		size_t extra;
		unsigned nbytes;
	} cases[] = {{0, 1}, {61, 1}, {62, 2}, {63, 2}, {4092, 2}, {4093, 3}, {5000, 3}};
	static uint8_t b[8192];
	struct aml a;
	unsigned n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t extra = cases[i].extra;

		/* Exactly the final size: the emitter needs no slack while building. */
		size_t final = 1 + cases[i].nbytes + 1 + extra;
		uint8_t *exact = malloc(final);
		aml_init(&a, exact, final);
		size_t h = aml_package_begin(&a, 7);
		for (size_t k = 1; k <= extra; k++)
			aml_byte(&a, (uint8_t)k);
		aml_end(&a, h);
		CHECK(!a.overflow);
		CHECK_EQ(a.len, final);
		CHECK_EQ(exact[0], 0x12);
		CHECK_EQ(pkg_length(exact + 1, &n), final - 1);
		CHECK_EQ(n, cases[i].nbytes);
		CHECK_EQ(exact[1 + n], 7);
		CHECK_EQ(exact[final - 1], extra ? (uint8_t)extra : 7);
		free(exact);

		/* One byte short must overflow, not write past the end. */
		exact = malloc(final - 1);
		aml_init(&a, exact, final - 1);
		h = aml_package_begin(&a, 7);
		for (size_t k = 1; k <= extra; k++)
			aml_byte(&a, (uint8_t)k);
		aml_end(&a, h);
		CHECK(a.overflow);
		free(exact);
	}

	/* Nested: the inner package grows its PkgLength first, the outer measures after. */
	aml_init(&a, b, sizeof(b));
	size_t outer = aml_scope_begin(&a, "\\_SB");
	size_t inner = aml_device_begin(&a, "D000");
	for (int k = 0; k < 100; k++)
		aml_byte(&a, 0xaa);
	aml_end(&a, inner);
	aml_end(&a, outer);
	CHECK_EQ(b[0], 0x10);
	CHECK_EQ(1 + pkg_length(b + 1, &n), a.len);
	CHECK_EQ(n, 2);
	CHECK(memcmp(b + 1 + n, "\\_SB_\x5b\x82", 7) == 0);
	const uint8_t *dev = b + 1 + n + 7;
	CHECK_EQ(pkg_length(dev, &n), 2 + 4 + 100);
	CHECK(memcmp(dev + n, "D000", 4) == 0);
	CHECK_EQ(dev + n + 4 + 100, b + a.len);
}

static void test_overflow(void)
{
	uint8_t *tiny = malloc(5);
	struct aml a;

	aml_init(&a, tiny, 5);
	aml_string(&a, "QEMU0001");
	CHECK(a.overflow);
	CHECK(a.len <= 5);
	aml_byte(&a, 0); /* a later small write must not sneak in */
	CHECK(a.len <= 5);
	free(tiny);
}

static void test_resources(void)
{
	uint8_t b[128];
	struct aml a;

	aml_init(&a, b, sizeof(b));
	aml_rt_io(&a, 0x3f8, 8);
	CHECK(memcmp(b, "\x47\x01\xf8\x03\xf8\x03\x01\x08", 8) == 0);
	aml_rt_memory32_fixed(&a, 0xd0000000, 0x1000);
	CHECK(memcmp(b + 8, "\x86\x09\x00\x01\x00\x00\x00\xd0\x00\x10\x00\x00", 12) == 0);
	aml_rt_ext_irq_edge_high(&a, 5);
	CHECK(memcmp(b + 20, "\x89\x06\x00\x03\x01\x05\x00\x00\x00", 9) == 0);
	aml_rt_qword_memory(&a, 0x100000000ULL, 0x2000);
	CHECK_EQ(b[29], 0x8a);
	CHECK_EQ(b[30] | b[31] << 8, 43);
	CHECK_EQ(b[29 + 14 + 4], 0x01);			/* Range Minimum = 1 << 32 */
	CHECK_EQ(b[29 + 22] | b[29 + 23] << 8, 0x1fff); /* Range Maximum, low bytes */
	CHECK_EQ(b[29 + 38] | b[29 + 39] << 8, 0x2000); /* Length, low bytes */
	aml_rt_end(&a, 0);
	CHECK_EQ(a.len, 29 + 46 + 2);
	CHECK_EQ(b[a.len - 2], 0x79);
	CHECK_EQ(sum8(b, a.len), 0); /* checksum covers the whole template */
}

int main(void)
{
	test_integers();
	test_eisaid();
	test_names();
	test_pkg_length();
	test_overflow();
	test_resources();
	return check_summary("aml");
}
