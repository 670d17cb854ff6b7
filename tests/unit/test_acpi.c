// SPDX-License-Identifier: MIT
/*
 * ACPI tables and the AML emitter, checked from the bytes up: the test reads
 * every field at its offset from the ACPI 6.5 spec rather than through the
 * builder's structs, walks RSDP -> XSDT -> FADT/MADT -> DSDT by address, and
 * parses the DSDT's AML with its own small decoder. (The emitter's encodings
 * on their own are in test_aml.c.)
 *
 * With ACPI_DUMP_DIR set it also writes the tables of a sample VM there as
 * <SIG>.dat for acpi_iasl_check.sh to disassemble with ACPICA's iasl.
 */
#include "acpi.h"
#include "check.h"
#include "layout.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GPA ACPI_TABLES_ADDR

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* Host pointer for a table at guest address gpa, after checking it lies in buf. */
static const uint8_t *table_at(const uint8_t *buf, size_t size, uint64_t gpa, const char *sig)
{
	if (gpa < GPA || gpa - GPA + 36 > size)
		return NULL;
	const uint8_t *t = buf + (gpa - GPA);
	if (memcmp(t, sig, 4) != 0 || le(t + 4, 4) > size - (gpa - GPA))
		return NULL;
	return t;
}

struct tables {
	const uint8_t *xsdt, *fadt, *madt, *dsdt;
};

/* Follows the pointers the way a guest does, checking each table on the way. */
static void walk(const uint8_t *buf, size_t size, uint64_t rsdp_gpa, struct tables *t)
{
	memset(t, 0, sizeof(*t));
	CHECK_EQ(rsdp_gpa, GPA); /* RSDP first, inside the legacy scan window */
	CHECK(memcmp(buf, "RSD PTR ", 8) == 0);
	CHECK_EQ(buf[15], 2);
	CHECK_EQ(le(buf + 16, 4), 0); /* no RSDT */
	CHECK_EQ(le(buf + 20, 4), 36);
	CHECK_EQ(sum8(buf, 20), 0);
	CHECK_EQ(sum8(buf, 36), 0);

	t->xsdt = table_at(buf, size, le(buf + 24, 8), "XSDT");
	CHECK(t->xsdt != NULL);
	if (!t->xsdt)
		return;
	uint32_t xlen = (uint32_t)le(t->xsdt + 4, 4);
	CHECK_EQ(xlen, 36 + 2 * 8);
	CHECK_EQ(sum8(t->xsdt, xlen), 0);
	t->fadt = table_at(buf, size, le(t->xsdt + 36, 8), "FACP");
	t->madt = table_at(buf, size, le(t->xsdt + 44, 8), "APIC");
	CHECK(t->fadt != NULL);
	CHECK(t->madt != NULL);
	if (!t->fadt || !t->madt)
		return;
	CHECK_EQ(le(t->fadt + 4, 4), 276);
	CHECK_EQ(t->fadt[8], 6);
	CHECK_EQ(sum8(t->fadt, 276), 0);
	CHECK_EQ(le(t->fadt + 40, 4), 0); /* 32-bit DSDT must be 0 when X_DSDT is used */
	t->dsdt = table_at(buf, size, le(t->fadt + 140, 8), "DSDT");
	CHECK(t->dsdt != NULL);
	if (t->dsdt)
		CHECK_EQ(sum8(t->dsdt, le(t->dsdt + 4, 4)), 0);
	CHECK_EQ(sum8(t->madt, le(t->madt + 4, 4)), 0);
	for (const uint8_t *p = buf; p < buf + size; p += 16)
		if (p != buf && memcmp(p, "RSD PTR ", 8) == 0)
			CHECK(!"a second RSDP would confuse the legacy scan");
}

static void check_gas(const uint8_t *g, uint64_t port)
{
	CHECK_EQ(g[0], 1); /* System I/O */
	CHECK_EQ(g[1], 8);
	CHECK_EQ(g[2], 0);
	CHECK_EQ(g[3], 1); /* byte access */
	CHECK_EQ(le(g + 4, 8), port);
}

static void check_fadt(const uint8_t *f)
{
	uint32_t flags = (uint32_t)le(f + 112, 4);
	uint16_t boot = (uint16_t)le(f + 109, 2);

	CHECK(flags & (1u << 20));	 /* HW_REDUCED_ACPI */
	CHECK(flags & (1u << 10));	 /* RESET_REG_SUP */
	CHECK_EQ(boot & 0x3, 0);	 /* no legacy devices, no 8042 */
	CHECK(boot & (1u << 2));	 /* VGA not present */
	CHECK(boot & (1u << 5));	 /* CMOS RTC not present */
	CHECK_EQ(le(f + 46, 2), 0);	 /* no SCI */
	CHECK_EQ(le(f + 36, 4), 0);	 /* no FACS */
	CHECK_EQ(le(f + 132, 8), 0);	 /* no X_FACS */
	CHECK_EQ(le(f + 208 + 4, 8), 0); /* no PM timer */
	check_gas(f + 116, ACPI_RESET_PORT);
	CHECK_EQ(f[128], ACPI_RESET_VALUE);
	check_gas(f + 244, ACPI_SLEEP_CTL_PORT);
	check_gas(f + 256, ACPI_SLEEP_STS_PORT);
}

static void check_madt(const uint8_t *m, unsigned ncpus)
{
	uint32_t len = (uint32_t)le(m + 4, 4);
	unsigned lapics = 0, ioapics = 0, nmis = 0, next_id = 0;
	uint32_t off = 44;

	CHECK_EQ(le(m + 36, 4), LAPIC_ADDR);
	while (off + 2 <= len && m[off + 1] >= 2 && off + m[off + 1] <= len) {
		const uint8_t *e = m + off;

		if (e[0] == 0 && e[1] == 8) {
			CHECK_EQ(e[3], next_id); /* APIC id = CPU index, in order */
			CHECK_EQ(e[2], next_id);
			CHECK_EQ(le(e + 4, 4) & 1, 1);
			next_id++;
			lapics++;
		} else if (e[0] == 1 && e[1] == 12) {
			CHECK_EQ(le(e + 4, 4), IOAPIC_ADDR);
			CHECK_EQ(le(e + 8, 4), 0);
			ioapics++;
		} else if (e[0] == 4 && e[1] == 6) {
			CHECK_EQ(e[5], 1);
			nmis++;
		} else {
			CHECK(!"unexpected MADT entry");
		}
		off += e[1];
	}
	CHECK_EQ(off, len); /* entries tile the table exactly */
	CHECK_EQ(lapics, ncpus);
	CHECK_EQ(ioapics, 1);
	CHECK_EQ(nmis, 1);
}

/* ---- a small AML reader, enough for the shapes the DSDT uses ---- */

struct rd {
	const uint8_t *p, *end;
	bool bad;
};

static uint8_t rd_byte(struct rd *r)
{
	if (r->p >= r->end) {
		r->bad = true;
		return 0;
	}
	return *r->p++;
}

/* Returns the end of the object whose PkgLength starts at r->p. */
static const uint8_t *rd_pkg(struct rd *r)
{
	const uint8_t *start = r->p;
	uint8_t lead = rd_byte(r);
	unsigned extra = lead >> 6;
	uint32_t len = extra ? lead & 0xf : lead & 0x3f;

	for (unsigned i = 0; i < extra; i++)
		len |= (uint32_t)rd_byte(r) << (4 + 8 * i);
	if (r->bad || len > (size_t)(r->end - start)) {
		r->bad = true;
		return r->end;
	}
	return start + len;
}

static uint64_t rd_int(struct rd *r)
{
	switch (rd_byte(r)) {
	case 0x00:
		return 0;
	case 0x01:
		return 1;
	case 0x0a:
		return rd_byte(r);
	case 0x0b:
		return r->end - r->p >= 2 ? (r->p += 2, le(r->p - 2, 2)) : (r->bad = true, 0);
	case 0x0c:
		return r->end - r->p >= 4 ? (r->p += 4, le(r->p - 4, 4)) : (r->bad = true, 0);
	case 0x0e:
		return r->end - r->p >= 8 ? (r->p += 8, le(r->p - 8, 8)) : (r->bad = true, 0);
	}
	r->bad = true;
	return 0;
}

static bool rd_expect(struct rd *r, const void *bytes, size_t n)
{
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, bytes, n) != 0) {
		r->bad = true;
		return false;
	}
	r->p += n;
	return true;
}

/* Parses one resource template and checks it against the descriptor. */
static void check_crs(const uint8_t *rt, size_t n, const struct acpi_device_desc *d)
{
	unsigned nmem = 0, nio = 0, nirq = 0;
	size_t off = 0;
	bool ended = false;

	CHECK(n >= 2);
	CHECK_EQ(sum8(rt, n), 0);
	while (off < n && !ended) {
		uint8_t tag = rt[off];
		size_t len = tag & 0x80 ? 3 + le(rt + off + 1, 2) : 1 + (tag & 7u);
		const uint8_t *e = rt + off;

		if (off + len > n)
			break;
		if (tag == 0x86 && nmem < d->nmem) {
			CHECK_EQ(le(e + 4, 4), d->mem[nmem].base);
			CHECK_EQ(le(e + 8, 4), d->mem[nmem].len);
			nmem++;
		} else if (tag == 0x8a && nmem < d->nmem) {
			CHECK_EQ(e[3], 0); /* memory range */
			CHECK_EQ(le(e + 14, 8), d->mem[nmem].base);
			CHECK_EQ(le(e + 22, 8), d->mem[nmem].base + d->mem[nmem].len - 1);
			CHECK_EQ(le(e + 38, 8), d->mem[nmem].len);
			nmem++;
		} else if (tag == 0x47 && nio < d->nio) {
			CHECK_EQ(le(e + 2, 2), d->io[nio].base);
			CHECK_EQ(le(e + 4, 2), d->io[nio].base);
			CHECK_EQ(e[7], d->io[nio].len);
			nio++;
		} else if (tag == 0x89) {
			CHECK_EQ(e[3] & 0x0f, 0x03); /* consumer, edge, high, exclusive */
			CHECK_EQ(e[4], 1);
			CHECK_EQ(le(e + 5, 4), d->irq);
			nirq++;
		} else if (tag == 0x79) {
			ended = true;
		} else {
			CHECK(!"unexpected resource descriptor");
		}
		off += len;
	}
	CHECK(ended);
	CHECK_EQ(off, n);
	CHECK_EQ(nmem, d->nmem);
	CHECK_EQ(nio, d->nio);
	CHECK_EQ(nirq, d->has_irq ? 1 : 0);
}

static void check_device(struct rd *r, unsigned idx, const struct acpi_device_desc *d)
{
	char name[16];

	snprintf(name, sizeof(name), "D%03u", idx);
	if (!rd_expect(r, "\x5b\x82", 2))
		return;
	struct rd dev = {.p = r->p, .end = r->end};
	const uint8_t *dev_end = rd_pkg(&dev);
	dev.end = dev_end;
	rd_expect(&dev, name, 4);

	rd_expect(&dev, "\x08_HID", 5);
	if (strlen(d->hid) == 7) {
		uint64_t v = rd_int(&dev);
		char back[8] = {(char)('@' + ((v >> 2) & 0x1f)),
				(char)('@' + ((v & 3) << 3 | (v >> 13 & 7))),
				(char)('@' + ((v >> 8) & 0x1f))};
		snprintf(back + 3, 5, "%02X%02X", (unsigned)(v >> 16 & 0xff),
			 (unsigned)(v >> 24 & 0xff));
		CHECK(strcmp(back, d->hid) == 0); /* EISA id decodes back to the PNP id */
	} else {
		rd_expect(&dev, "\x0d", 1);
		rd_expect(&dev, d->hid, strlen(d->hid) + 1);
	}
	rd_expect(&dev, "\x08_UID", 5);
	CHECK_EQ(rd_int(&dev), d->uid);
	rd_expect(&dev, "\x08_CRS\x11", 6);
	const uint8_t *buf_end = rd_pkg(&dev);
	struct rd b = {.p = dev.p, .end = buf_end};
	uint64_t n = rd_int(&b);
	CHECK(!b.bad);
	CHECK_EQ(n, (uint64_t)(buf_end - b.p));
	if (!b.bad && n == (uint64_t)(buf_end - b.p))
		check_crs(b.p, n, d);
	CHECK(buf_end == dev_end); /* nothing after _CRS */
	CHECK(!dev.bad);
	r->p = dev_end;
}

static void check_dsdt(const uint8_t *t, const struct acpi_config *cfg)
{
	struct rd r = {.p = t + 36, .end = t + le(t + 4, 4)};

	CHECK_EQ(t[8], 2);
	rd_expect(&r, "\x08_S5_\x12", 6);
	struct rd pkg = {.p = r.p, .end = r.end};
	pkg.end = rd_pkg(&pkg);
	CHECK_EQ(rd_byte(&pkg), 4);
	CHECK_EQ(rd_int(&pkg), ACPI_S5_SLEEP_TYPE);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(rd_int(&pkg), 0);
	CHECK(pkg.p == pkg.end && !pkg.bad);
	r.p = pkg.end;

	rd_expect(&r, "\x10", 1);
	struct rd sb = {.p = r.p, .end = r.end};
	sb.end = rd_pkg(&sb);
	CHECK(sb.end == r.end); /* \_SB closes the DSDT */
	rd_expect(&sb, "\\_SB_", 5);
	for (unsigned i = 0; i < cfg->ndevs && !sb.bad; i++)
		check_device(&sb, i, &cfg->devs[i]);
	CHECK(sb.p == sb.end);
	CHECK(!r.bad && !sb.bad);
}

/* ---- fixtures ---- */

/* pvpanic; the NIC (ring region, one range above 4 GiB, doorbell irq); COM1 as an EISA id. */
static const struct acpi_device_desc sample[3] = {
    {.hid = "QEMU0001", .nio = 1, .io = {{PVPANIC_PORT, 1}}},
    {.hid = "SNVM0001",
     .nmem = 2,
     .mem = {{DEVICE_MMIO_BASE, 0x200000}, {0x8000000000ULL, 0x1000}},
     .irq = DEVICE_GSI_BASE,
     .has_irq = true},
    {.hid = "PNP0501",
     .uid = 1,
     .nio = 1,
     .io = {{SERIAL_COM1_PORT, 8}},
     .irq = SERIAL_COM1_IRQ,
     .has_irq = true},
};

static void test_tables(unsigned ncpus, const struct acpi_device_desc *devs, unsigned ndevs)
{
	uint8_t *buf = malloc(ACPI_TABLES_SIZE);
	struct acpi_config cfg = {.ncpus = ncpus, .devs = devs, .ndevs = ndevs};
	uint64_t rsdp = 0;
	struct tables t;

	CHECK_EQ(acpi_build(buf, ACPI_TABLES_SIZE, GPA, &cfg, &rsdp), 0);
	walk(buf, ACPI_TABLES_SIZE, rsdp, &t);
	if (t.fadt)
		check_fadt(t.fadt);
	if (t.madt)
		check_madt(t.madt, ncpus);
	if (t.dsdt)
		check_dsdt(t.dsdt, &cfg);
	free(buf);
}

/* Bytes used by a config: the end of the last table. */
static size_t used_bytes(const struct acpi_config *cfg)
{
	uint8_t *buf = malloc(ACPI_TABLES_SIZE);
	uint64_t rsdp;
	struct tables t;
	size_t end = 0;

	if (acpi_build(buf, ACPI_TABLES_SIZE, GPA, cfg, &rsdp) == 0) {
		walk(buf, ACPI_TABLES_SIZE, rsdp, &t);
		const uint8_t *all[] = {t.xsdt, t.fadt, t.madt, t.dsdt};
		for (int i = 0; i < 4; i++)
			if (all[i] && (size_t)(all[i] - buf) + le(all[i] + 4, 4) > end)
				end = (size_t)(all[i] - buf) + le(all[i] + 4, 4);
	}
	free(buf);
	return end;
}

/* Sanitizer runtime hook, absent (NULL) in a build without sanitizers. */
extern void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

/*
 * Runs fn with stderr sent to a temp file and returns how many lines it
 * printed. Sanitizer reports keep going to the real stderr meanwhile.
 */
static unsigned count_stderr_lines(void (*fn)(void *), void *arg)
{
	char path[] = "/tmp/test_acpi_XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	unsigned lines = 0;
	int c;

	CHECK(fd >= 0 && saved >= 0);
	unlink(path);
	fflush(stderr);
	if (__sanitizer_set_report_fd)
		__sanitizer_set_report_fd((void *)(intptr_t)saved);
	dup2(fd, 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	if (__sanitizer_set_report_fd)
		__sanitizer_set_report_fd((void *)(intptr_t)2);
	close(saved);
	FILE *f = fdopen(fd, "r");
	rewind(f);
	while ((c = fgetc(f)) != EOF)
		lines += c == '\n';
	fclose(f);
	return lines;
}

struct small_run {
	const struct acpi_config *cfg;
	size_t full;
	unsigned tried, nospc;
};

static void small_buffers(void *arg)
{
	struct small_run *s = arg;

	for (size_t size = 0; size < s->full; size += size < 400 ? 1 : 13) {
		/* Exactly size bytes, so ASan sees any write past the end. */
		uint8_t *buf = malloc(size ? size : 1);
		uint64_t rsdp = 0;

		s->tried++;
		s->nospc += acpi_build(buf, size, GPA, s->cfg, &rsdp) == -ENOSPC;
		free(buf);
	}
}

static void test_too_small(void)
{
	struct acpi_config cfg = {.ncpus = 8, .devs = sample, .ndevs = 3};
	size_t full = used_bytes(&cfg);
	struct small_run run = {.cfg = &cfg, .full = full};

	CHECK(full > 36);
	unsigned lines = count_stderr_lines(small_buffers, &run);
	CHECK_EQ(run.nospc, run.tried);
	CHECK_EQ(lines, run.tried); /* one error line per failure */

	uint8_t *buf = malloc(full);
	uint64_t rsdp = 0;
	CHECK_EQ(acpi_build(buf, full, GPA, &cfg, &rsdp), 0); /* exactly enough */
	free(buf);
}

struct bad_case {
	const char *what;
	struct acpi_config cfg;
	uint64_t gpa;
};

static void run_bad(void *arg)
{
	struct bad_case *c = arg;
	uint8_t buf[4096];
	uint64_t rsdp = 0xdead;

	CHECK_EQ(acpi_build(buf, sizeof(buf), c->gpa, &c->cfg, &rsdp), -EINVAL);
	CHECK_EQ(rsdp, 0xdead);
}

static void test_bad_config(void)
{
	static struct acpi_device_desc many[ACPI_MAX_DEVICES + 1];
	struct bad_case cases[] = {
	    {"0 CPUs", {.ncpus = 0}, GPA},
	    {"256 CPUs", {.ncpus = ACPI_MAX_CPUS + 1}, GPA},
	    {"too many devices", {.ncpus = 1, .devs = many, .ndevs = ACPI_MAX_DEVICES + 1}, GPA},
	    {"devices without array", {.ncpus = 1, .ndevs = 1}, GPA},
	    {"unaligned area", {.ncpus = 1}, GPA + 8},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_EQ(count_stderr_lines(run_bad, &cases[i]), 1);

	/* Pairs: each broken device next to the closest one that is still valid. */
	static const struct acpi_device_desc broken[] = {
	    {.hid = "snvm0001"},
	    {.hid = "SNVM001"},
	    {.hid = "SNVM000G"},
	    {.hid = {'S', 'N', 'V', 'M', '0', '0', '0', '1', '1'}}, /* no NUL */
	    {.hid = "SNVM0001", .nmem = ACPI_DEV_MAX_MEM + 1},
	    {.hid = "SNVM0001", .nmem = 1, .mem = {{0x1000, 0}}},
	    {.hid = "SNVM0001", .nmem = 1, .mem = {{UINT64_MAX - 0xffe, 0x1000}}},
	    {.hid = "SNVM0001", .has_irq = true, .irq = IOAPIC_NUM_PINS},
	    {.hid = "SNVM0001", .nio = ACPI_DEV_MAX_IO + 1},
	    {.hid = "SNVM0001", .nio = 1, .io = {{0x600, 0}}},
	    {.hid = "SNVM0001", .nio = 1, .io = {{0x600, 256}}},
	    {.hid = "SNVM0001", .nio = 1, .io = {{0xfffd, 4}}},
	};
	static const struct acpi_device_desc valid[] = {
	    {.hid = "SNVM0001"},
	    {.hid = "PNP0001"},
	    {.hid = "SNVM000F"},
	    {.hid = "SNVM0001"},
	    {.hid = "SNVM0001", .nmem = ACPI_DEV_MAX_MEM, .mem = {{1, 1}, {2, 1}, {3, 1}, {4, 1}}},
	    {.hid = "SNVM0001", .nmem = 1, .mem = {{0x1000, 1}}},
	    {.hid = "SNVM0001", .nmem = 1, .mem = {{UINT64_MAX - 0xfff, 0x1000}}},
	    {.hid = "SNVM0001", .has_irq = true, .irq = IOAPIC_NUM_PINS - 1},
	    {.hid = "SNVM0001", .nio = ACPI_DEV_MAX_IO, .io = {{1, 1}, {2, 1}, {3, 1}, {4, 1}}},
	    {.hid = "SNVM0001", .nio = 1, .io = {{0x600, 1}}},
	    {.hid = "SNVM0001", .nio = 1, .io = {{0x600, 255}}},
	    {.hid = "SNVM0001", .nio = 1, .io = {{0xfffc, 4}}},
	};
	_Static_assert(sizeof(broken) == sizeof(valid), "pairs");
	uint8_t *buf = malloc(ACPI_TABLES_SIZE);
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		struct bad_case c = {
		    "bad device", {.ncpus = 1, .devs = &broken[i], .ndevs = 1}, GPA};
		struct acpi_config ok = {.ncpus = 1, .devs = &valid[i], .ndevs = 1};
		uint64_t rsdp;

		CHECK_EQ(count_stderr_lines(run_bad, &c), 1);
		CHECK_EQ(acpi_build(buf, ACPI_TABLES_SIZE, GPA, &ok, &rsdp), 0);
	}
	free(buf);
}

/* The biggest config acpi_build admits must fit the area layout.h reserves. */
static void test_largest_fits(void)
{
	static struct acpi_device_desc devs[ACPI_MAX_DEVICES];

	for (unsigned i = 0; i < ACPI_MAX_DEVICES; i++) {
		struct acpi_device_desc *d = &devs[i];
		snprintf(d->hid, sizeof(d->hid), "SNVM%04X", i);
		d->uid = UINT32_MAX - i;
		d->nmem = ACPI_DEV_MAX_MEM;
		for (unsigned k = 0; k < ACPI_DEV_MAX_MEM; k++) {
			d->mem[k].base = 0x100000000000ULL * (k + 1) + 0x1000ULL * i;
			d->mem[k].len = 0x1000;
		}
		d->nio = ACPI_DEV_MAX_IO;
		for (unsigned k = 0; k < ACPI_DEV_MAX_IO; k++) {
			d->io[k].base = (uint16_t)(0x1000 + 0x100 * k + i);
			d->io[k].len = 255;
		}
		d->irq = IOAPIC_NUM_PINS - 1;
		d->has_irq = true;
	}
	test_tables(ACPI_MAX_CPUS, devs, ACPI_MAX_DEVICES);
}

/* Writes the sample VM's tables as files named by signature, for iasl. */
static int dump_tables(const char *dir)
{
	struct acpi_config cfg = {.ncpus = 4, .devs = sample, .ndevs = 3};
	uint8_t *buf = malloc(ACPI_TABLES_SIZE);
	uint64_t rsdp;
	struct tables t;
	int rc = 0;

	if (acpi_build(buf, ACPI_TABLES_SIZE, GPA, &cfg, &rsdp) < 0) {
		free(buf);
		return 1;
	}
	walk(buf, ACPI_TABLES_SIZE, rsdp, &t);
	const uint8_t *all[] = {t.xsdt, t.fadt, t.madt, t.dsdt};
	for (int i = 0; i < 4; i++) {
		char path[4096];
		if (!all[i]) {
			rc = 1;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%.4s.dat", dir, (const char *)all[i]);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(all[i], 1, le(all[i] + 4, 4), f) != le(all[i] + 4, 4)) {
			fprintf(stderr, "test_acpi: writing %s failed\n", path);
			rc = 1;
		}
		if (f && fclose(f) != 0)
			rc = 1;
	}
	free(buf);
	return rc;
}

int main(void)
{
	const char *dump = getenv("ACPI_DUMP_DIR");

	const unsigned ncpus[] = {1, 2, 8, 64, ACPI_MAX_CPUS};
	for (size_t i = 0; i < sizeof(ncpus) / sizeof(ncpus[0]); i++) {
		test_tables(ncpus[i], NULL, 0);
		test_tables(ncpus[i], sample, 3);
	}
	test_largest_fits();
	test_too_small();
	test_bad_config();
	if (dump && dump_tables(dump) != 0)
		check_failed++;
	return check_summary("acpi");
}
