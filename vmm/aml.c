// SPDX-License-Identifier: MIT
/*
 * AML encoding per ACPI 6.5 chapter 20. Only what snvmm's DSDT uses; every
 * write goes through aml_bytes(), the single place that checks capacity.
 */
#include "aml.h"

#include <errno.h>
#include <string.h>

enum {
	AML_ZERO_OP = 0x00,
	AML_ONE_OP = 0x01,
	AML_NAME_OP = 0x08,
	AML_BYTE_PREFIX = 0x0a,
	AML_WORD_PREFIX = 0x0b,
	AML_DWORD_PREFIX = 0x0c,
	AML_STRING_PREFIX = 0x0d,
	AML_QWORD_PREFIX = 0x0e,
	AML_SCOPE_OP = 0x10,
	AML_BUFFER_OP = 0x11,
	AML_PACKAGE_OP = 0x12,
	AML_DUAL_NAME_PREFIX = 0x2e,
	AML_MULTI_NAME_PREFIX = 0x2f,
	AML_EXT_OP_PREFIX = 0x5b,
	AML_DEVICE_OP = 0x82, /* after AML_EXT_OP_PREFIX */
	AML_ROOT_CHAR = 0x5c,
};

#define PKG_LENGTH_LIMIT 0x0fffffffu /* 28 bits */

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	a->buf = buf;
	a->cap = cap;
	a->len = 0;
	a->overflow = false;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->overflow || n > a->cap - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned nbytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < nbytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_bytes(a, b, nbytes);
}

static bool name_char_ok(char c, bool lead)
{
	if ((c >= 'A' && c <= 'Z') || c == '_')
		return true;
	return !lead && c >= '0' && c <= '9';
}

int aml_name_string(struct aml *a, const char *path)
{
	char segs[16][4];
	unsigned nseg = 0;
	const char *p = path;
	bool root = false;

	if (*p == '\\') {
		root = true;
		p++;
	}
	while (*p) {
		size_t n = strcspn(p, ".");

		if (n == 0 || n > 4 || nseg == 16)
			return -EINVAL;
		for (size_t i = 0; i < 4; i++) {
			/* Short segments are padded with '_', as ASL does. */
			char c = i < n ? p[i] : '_';

			if (!name_char_ok(c, i == 0))
				return -EINVAL;
			segs[nseg][i] = c;
		}
		nseg++;
		p += n;
		if (*p == '.' && *++p == '\0')
			return -EINVAL;
	}
	if (nseg == 0)
		return -EINVAL;
	if (root)
		aml_byte(a, AML_ROOT_CHAR);
	if (nseg == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (nseg > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)nseg);
	}
	aml_bytes(a, segs, 4 * nseg);
	return 0;
}

/* A name we cannot encode is a bug in the caller's constant: poison the stream. */
static void aml_name_or_poison(struct aml *a, const char *path)
{
	if (aml_name_string(a, path) < 0)
		a->overflow = true;
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int aml_eisaid(const char *id, uint32_t *out)
{
	uint32_t vendor = 0, product = 0;

	if (strlen(id) != 7)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return -EINVAL;
		vendor = vendor << 5 | (uint32_t)(id[i] - 0x40);
	}
	for (int i = 3; i < 7; i++) {
		int d = hex_digit(id[i]);

		if (d < 0)
			return -EINVAL;
		product = product << 4 | (uint32_t)d;
	}
	/* Both 16-bit halves are stored big-endian inside the little-endian dword. */
	*out = (vendor >> 8 | (vendor & 0xff) << 8) | (product >> 8 | (product & 0xff) << 8) << 16;
	return 0;
}

/*
 * One byte is reserved for the PkgLength; aml_end() grows it in place when the
 * body turns out longer, so the buffer never needs more than the final size.
 */
static size_t pkg_begin(struct aml *a)
{
	size_t handle = a->len;

	aml_byte(a, 0);
	return handle;
}

void aml_end(struct aml *a, size_t handle)
{
	size_t body_start = handle + 1, body, total;
	unsigned nbytes;

	if (a->overflow)
		return;
	body = a->len - body_start;
	/* The encoded length counts the PkgLength bytes themselves. */
	if (body + 1 <= 0x3f)
		nbytes = 1;
	else if (body + 2 <= 0xfff)
		nbytes = 2;
	else if (body + 3 <= 0xfffff)
		nbytes = 3;
	else if (body + 4 <= PKG_LENGTH_LIMIT)
		nbytes = 4;
	else
		nbytes = 0;
	if (nbytes == 0 || nbytes - 1 > a->cap - a->len) {
		a->overflow = true;
		return;
	}
	/* Nested packages inside the body are position-independent: move them along. */
	memmove(a->buf + handle + nbytes, a->buf + body_start, body);
	a->len += nbytes - 1;
	total = body + nbytes;
	if (nbytes == 1) {
		a->buf[handle] = (uint8_t)total;
	} else {
		a->buf[handle] = (uint8_t)((nbytes - 1) << 6 | (total & 0xf));
		for (unsigned i = 1; i < nbytes; i++)
			a->buf[handle + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
}

size_t aml_scope_begin(struct aml *a, const char *path)
{
	size_t h;

	aml_byte(a, AML_SCOPE_OP);
	h = pkg_begin(a);
	aml_name_or_poison(a, path);
	return h;
}

size_t aml_device_begin(struct aml *a, const char *path)
{
	size_t h;

	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	h = pkg_begin(a);
	aml_name_or_poison(a, path);
	return h;
}

size_t aml_package_begin(struct aml *a, uint8_t nelem)
{
	size_t h;

	aml_byte(a, AML_PACKAGE_OP);
	h = pkg_begin(a);
	aml_byte(a, nelem);
	return h;
}

void aml_name(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME_OP);
	aml_name_or_poison(a, path);
}

void aml_buffer(struct aml *a, const uint8_t *bytes, size_t n)
{
	size_t h;

	aml_byte(a, AML_BUFFER_OP);
	h = pkg_begin(a);
	aml_integer(a, n);
	aml_bytes(a, bytes, n);
	aml_end(a, h);
}

enum {
	RT_IO = 0x47,	   /* small item, 7 data bytes */
	RT_END_TAG = 0x79, /* small item, 1 data byte */
	RT_MEMORY32_FIXED = 0x86,
	RT_EXT_IRQ = 0x89,
	RT_QWORD_ADDRESS = 0x8a,
};

void aml_rt_memory32_fixed(struct aml *a, uint32_t base, uint32_t len)
{
	aml_byte(a, RT_MEMORY32_FIXED);
	aml_le(a, 9, 2);
	aml_byte(a, 0x01); /* read/write */
	aml_le(a, base, 4);
	aml_le(a, len, 4);
}

void aml_rt_qword_memory(struct aml *a, uint64_t base, uint64_t len)
{
	aml_byte(a, RT_QWORD_ADDRESS);
	aml_le(a, 43, 2);
	aml_byte(a, 0x00); /* resource type: memory range */
	aml_byte(a, 0x0d); /* consumer, positive decode, min and max fixed */
	aml_byte(a, 0x01); /* read/write, non-cacheable, AddressRangeMemory */
	aml_le(a, 0, 8);   /* granularity */
	aml_le(a, base, 8);
	aml_le(a, base + len - 1, 8);
	aml_le(a, 0, 8); /* translation offset */
	aml_le(a, len, 8);
}

void aml_rt_io(struct aml *a, uint16_t base, uint8_t len)
{
	aml_byte(a, RT_IO);
	aml_byte(a, 0x01); /* decodes all 16 address bits */
	aml_le(a, base, 2);
	aml_le(a, base, 2);
	aml_byte(a, 0x01); /* alignment */
	aml_byte(a, len);
}

void aml_rt_ext_irq_edge_high(struct aml *a, uint32_t gsi)
{
	aml_byte(a, RT_EXT_IRQ);
	aml_le(a, 6, 2);
	aml_byte(a, 0x03); /* consumer, edge, active-high, exclusive, not wake */
	aml_byte(a, 1);
	aml_le(a, gsi, 4);
}

void aml_rt_end(struct aml *a, size_t start)
{
	uint8_t sum = 0;

	aml_byte(a, RT_END_TAG);
	if (a->overflow)
		return;
	for (size_t i = start; i < a->len; i++)
		sum = (uint8_t)(sum + a->buf[i]);
	aml_byte(a, (uint8_t)-sum);
}
