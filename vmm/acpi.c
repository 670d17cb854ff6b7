// SPDX-License-Identifier: MIT
/*
 * ACPI tables for a hardware-reduced x86 platform (ACPI 6.5, FADT revision 6).
 *
 * Why hardware-reduced: with FADT flag HW_REDUCED_ACPI Linux needs no PM1/GPE
 * blocks, PM timer, SCI or FACS, and powers off through the FADT sleep control
 * register (acpi_hw_extended_sleep) instead of PM1a_CNT. x86 Linux also drops
 * the legacy PIC and the PIT/HPET timer probe (acpi_generic_reduced_hw_init),
 * which a VM with kvmclock and a TSC-deadline LAPIC timer does not need.
 *
 * Layout in the buffer, each table 16-byte aligned:
 *   RSDP (first, so the legacy 0xE0000-0xFFFFF scan also finds it)
 *   XSDT -> FADT, MADT
 *   FADT -> DSDT (X_DSDT only; ACPI says the 32-bit field must then be 0)
 */
#include "acpi.h"

#include "aml.h"
#include "layout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tables are written in host order");

#define OEM_ID	     "SNVMM "
#define OEM_REVISION 1
#define CREATOR_ID   "SNVM"
#define CREATOR_REV  1

/*
 * KVM's in-kernel IOAPIC resets its ID register to 0, and 64-bit Linux only
 * requires IOAPIC ids to be unique among IOAPICs, so the MADT says 0 too.
 */
#define IOAPIC_ID 0

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_header) == 36, "ACPI header");

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum; /* over the first 20 bytes (ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum; /* over all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");

struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");

#define GAS_SYSTEM_IO	1
#define GAS_ACCESS_BYTE 1

struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint8_t legacy[61]; /* SMI_CMD .. CENTURY: nothing of it exists here */
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_blocks[8]; /* X_PM1a_EVT_BLK .. X_GPE1_BLK, all absent */
	struct acpi_gas sleep_control;
	struct acpi_gas sleep_status;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "IAPC_BOOT_ARCH");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, sleep_control) == 244, "SLEEP_CONTROL_REG");

#define FADT_REVISION 6
#define FADT_MINOR    5 /* ACPI 6.5 */

/* IAPC_BOOT_ARCH: LEGACY_DEVICES (bit 0) and 8042 (bit 1) stay clear. */
#define BOOT_ARCH_NO_VGA      (1u << 2)
#define BOOT_ARCH_NO_CMOS_RTC (1u << 5)

#define FADT_PWR_BUTTON	   (1u << 4) /* no fixed-feature power button */
#define FADT_SLP_BUTTON	   (1u << 5) /* no fixed-feature sleep button */
#define FADT_RESET_REG_SUP (1u << 10)
#define FADT_HW_REDUCED	   (1u << 20)

struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_address;
	uint32_t flags;
} __attribute__((packed));

struct madt_lapic {
	uint8_t type, length, processor_uid, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, length, id, reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type, length, processor_uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

_Static_assert(sizeof(struct madt_lapic) == 8 && sizeof(struct madt_ioapic) == 12 &&
		   sizeof(struct madt_lapic_nmi) == 6,
	       "MADT entries");

#define MADT_REVISION	  5
#define MADT_LAPIC	  0
#define MADT_IOAPIC	  1
#define MADT_LAPIC_NMI	  4
#define MADT_LAPIC_ENABLE 1
#define MADT_ALL_CPUS	  0xff

/* Largest resource template: four QWordMemory, four IO, one interrupt, End. */
#define RT_MAX 256

static uint8_t checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + b[i]);
	return (uint8_t)-sum;
}

static void header_init(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	char table_id[9];

	/* Distinct OEM table ids make the tables easy to tell apart in a dump. */
	snprintf(table_id, sizeof(table_id), "SNVM%.4s", sig);
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, table_id, 8);
	h->oem_revision = OEM_REVISION;
	memcpy(h->creator_id, CREATOR_ID, 4);
	h->creator_revision = CREATOR_REV;
}

/* Run last, after everything else in the table is final. */
static void header_seal(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = checksum(h, h->length);
}

static bool acpi_id_ok(const char *id)
{
	if (strlen(id) != 8)
		return false;
	for (int i = 0; i < 8; i++) {
		char c = id[i];
		bool hex = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');

		if (i < 4 ? !(hex || (c >= 'A' && c <= 'Z')) : !hex)
			return false;
	}
	return true;
}

static int device_check(unsigned i, const struct acpi_device_desc *d)
{
	uint32_t eisa;
	const char *why = NULL;

	if (!memchr(d->hid, '\0', sizeof(d->hid)) ||
	    (aml_eisaid(d->hid, &eisa) < 0 && !acpi_id_ok(d->hid)))
		why = "_HID is neither a PNP id (AAA####) nor an ACPI id (NNNN####)";
	else if (d->nmem > ACPI_DEV_MAX_MEM || d->nio > ACPI_DEV_MAX_IO)
		why = "too many resources";
	else if (d->has_irq && d->irq >= IOAPIC_NUM_PINS)
		why = "interrupt beyond the IOAPIC's pins";
	for (unsigned k = 0; !why && k < d->nmem; k++)
		if (d->mem[k].len == 0 || d->mem[k].base + d->mem[k].len - 1 < d->mem[k].base)
			why = "empty or wrapping memory range";
	for (unsigned k = 0; !why && k < d->nio; k++)
		if (d->io[k].len == 0 || d->io[k].len > 0xff ||
		    (uint32_t)d->io[k].base + d->io[k].len - 1 > 0xffff)
			why = "I/O range empty, over 255 ports or past 0xffff";
	if (!why)
		return 0;
	fprintf(stderr, "snvmm: ACPI device %u (%.8s): %s\n", i, d->hid, why);
	return -EINVAL;
}

static int config_check(const struct acpi_config *cfg, uint64_t gpa, size_t size)
{
	if (cfg->ncpus == 0 || cfg->ncpus > ACPI_MAX_CPUS) {
		fprintf(stderr, "snvmm: ACPI tables: %u CPUs, expected 1..%u\n", cfg->ncpus,
			ACPI_MAX_CPUS);
		return -EINVAL;
	}
	if (cfg->ndevs > ACPI_MAX_DEVICES) {
		fprintf(stderr, "snvmm: ACPI tables: %u devices, expected at most %u\n", cfg->ndevs,
			ACPI_MAX_DEVICES);
		return -EINVAL;
	}
	if (cfg->ndevs && !cfg->devs) {
		fprintf(stderr, "snvmm: ACPI tables: %u devices but no descriptors\n", cfg->ndevs);
		return -EINVAL;
	}
	if (gpa % 16 || gpa + size < gpa) {
		fprintf(stderr,
			"snvmm: ACPI tables: bad area 0x%llx+0x%zx (need 16-byte alignment)\n",
			(unsigned long long)gpa, size);
		return -EINVAL;
	}
	for (unsigned i = 0; i < cfg->ndevs; i++) {
		int r = device_check(i, &cfg->devs[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

/* Device (Dnnn) { Name (_HID, ..) Name (_UID, ..) Name (_CRS, ResourceTemplate () {..}) } */
static void dsdt_device(struct aml *a, unsigned idx, const struct acpi_device_desc *d)
{
	uint8_t rt_buf[RT_MAX];
	struct aml rt;
	char name[5];
	uint32_t eisa;
	size_t dev;

	aml_init(&rt, rt_buf, sizeof(rt_buf));
	for (unsigned k = 0; k < d->nmem; k++) {
		uint64_t base = d->mem[k].base, len = d->mem[k].len;

		if (base + len - 1 <= UINT32_MAX && len <= UINT32_MAX)
			aml_rt_memory32_fixed(&rt, (uint32_t)base, (uint32_t)len);
		else
			aml_rt_qword_memory(&rt, base, len);
	}
	for (unsigned k = 0; k < d->nio; k++)
		aml_rt_io(&rt, d->io[k].base, (uint8_t)d->io[k].len);
	if (d->has_irq)
		aml_rt_ext_irq_edge_high(&rt, d->irq);
	aml_rt_end(&rt, 0);
	if (rt.overflow) {
		/* RT_MAX covers the largest template device_check() admits. */
		a->overflow = true;
		return;
	}

	snprintf(name, sizeof(name), "D%03u", idx % 1000);
	dev = aml_device_begin(a, name);
	aml_name(a, "_HID");
	if (aml_eisaid(d->hid, &eisa) == 0)
		aml_integer(a, eisa);
	else
		aml_string(a, d->hid);
	aml_name(a, "_UID");
	aml_integer(a, d->uid);
	aml_name(a, "_CRS");
	aml_buffer(a, rt.buf, rt.len);
	aml_end(a, dev);
}

static void dsdt_body(struct aml *a, const struct acpi_config *cfg)
{
	size_t pkg, sb;

	/* SLP_TYPa, SLP_TYPb, reserved, reserved: Linux writes SLP_TYPa << 2 | SLP_EN. */
	aml_name(a, "_S5");
	pkg = aml_package_begin(a, 4);
	aml_integer(a, ACPI_S5_SLEEP_TYPE);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_end(a, pkg);

	sb = aml_scope_begin(a, "\\_SB");
	for (unsigned i = 0; i < cfg->ndevs; i++)
		dsdt_device(a, i, &cfg->devs[i]);
	aml_end(a, sb);
}

static void fill_fadt(struct acpi_fadt *f, uint64_t dsdt_gpa)
{
	const struct acpi_gas byte_port = {
	    .space_id = GAS_SYSTEM_IO, .bit_width = 8, .access_size = GAS_ACCESS_BYTE};

	header_init(&f->h, "FACP", sizeof(*f), FADT_REVISION);
	f->iapc_boot_arch = BOOT_ARCH_NO_VGA | BOOT_ARCH_NO_CMOS_RTC;
	f->flags = FADT_HW_REDUCED | FADT_RESET_REG_SUP | FADT_PWR_BUTTON | FADT_SLP_BUTTON;
	f->reset_reg = byte_port;
	f->reset_reg.address = ACPI_RESET_PORT;
	f->reset_value = ACPI_RESET_VALUE;
	f->minor_version = FADT_MINOR;
	f->x_dsdt = dsdt_gpa;
	f->sleep_control = byte_port;
	f->sleep_control.address = ACPI_SLEEP_CTL_PORT;
	f->sleep_status = byte_port;
	f->sleep_status.address = ACPI_SLEEP_STS_PORT;
	header_seal(&f->h);
}

static size_t madt_size(unsigned ncpus)
{
	return sizeof(struct acpi_madt) + ncpus * sizeof(struct madt_lapic) +
	       sizeof(struct madt_ioapic) + sizeof(struct madt_lapic_nmi);
}

/*
 * No Interrupt Source Overrides: in hardware-reduced mode x86 Linux uses no
 * legacy PIC, so it maps no ISA IRQs and skips the PIT timer check, and every
 * device here names its GSI directly. (The PC-typical IRQ0->GSI2 override
 * would also be wrong: KVM's default routing sends GSI 0 to IOAPIC pin 0.)
 * PCAT_COMPAT stays clear for the same reason: the guest must not use the PIC.
 */
static void fill_madt(uint8_t *t, unsigned ncpus)
{
	struct acpi_madt *m = (struct acpi_madt *)t;
	size_t off = sizeof(*m);

	header_init(&m->h, "APIC", (uint32_t)madt_size(ncpus), MADT_REVISION);
	m->lapic_address = (uint32_t)LAPIC_ADDR;
	for (unsigned i = 0; i < ncpus; i++) {
		struct madt_lapic *l = (struct madt_lapic *)(t + off);

		/* KVM gives vCPU n APIC id n; the UID pairs it with any _UID n. */
		*l = (struct madt_lapic){.type = MADT_LAPIC,
					 .length = sizeof(*l),
					 .processor_uid = (uint8_t)i,
					 .apic_id = (uint8_t)i,
					 .flags = MADT_LAPIC_ENABLE};
		off += sizeof(*l);
	}
	struct madt_ioapic *io = (struct madt_ioapic *)(t + off);
	*io = (struct madt_ioapic){.type = MADT_IOAPIC,
				   .length = sizeof(*io),
				   .id = IOAPIC_ID,
				   .address = (uint32_t)IOAPIC_ADDR,
				   .gsi_base = 0};
	off += sizeof(*io);
	/* LINT1 carries NMI on every CPU, as on real boards; the guest programs LVT1 from this. */
	struct madt_lapic_nmi *nmi = (struct madt_lapic_nmi *)(t + off);
	*nmi = (struct madt_lapic_nmi){.type = MADT_LAPIC_NMI,
				       .length = sizeof(*nmi),
				       .processor_uid = MADT_ALL_CPUS,
				       .lint = 1};
	header_seal(&m->h);
}

/* Reserves len bytes at the next 16-byte boundary; -ENOSPC past size. */
static int place(size_t *cursor, size_t len, size_t size, size_t *at)
{
	size_t start = (*cursor + 15) & ~(size_t)15;

	if (start < *cursor || start > size || len > size - start)
		return -ENOSPC;
	*at = start;
	*cursor = start + len;
	return 0;
}

int acpi_build(uint8_t *buf, size_t size, uint64_t gpa, const struct acpi_config *cfg,
	       uint64_t *rsdp_gpa)
{
	size_t cursor = 0, rsdp_at, xsdt_at, fadt_at, madt_at, dsdt_at;
	const size_t xsdt_len = sizeof(struct acpi_header) + 2 * sizeof(uint64_t);
	struct aml aml;
	int r;

	r = config_check(cfg, gpa, size);
	if (r < 0)
		return r;
	if (place(&cursor, sizeof(struct acpi_rsdp), size, &rsdp_at) < 0 ||
	    place(&cursor, xsdt_len, size, &xsdt_at) < 0 ||
	    place(&cursor, sizeof(struct acpi_fadt), size, &fadt_at) < 0 ||
	    place(&cursor, madt_size(cfg->ncpus), size, &madt_at) < 0 ||
	    place(&cursor, sizeof(struct acpi_header), size, &dsdt_at) < 0)
		goto nospc;
	memset(buf, 0, size);

	aml_init(&aml, buf + cursor, size - cursor);
	dsdt_body(&aml, cfg);
	if (aml.overflow)
		goto nospc;
	struct acpi_header *dsdt = (struct acpi_header *)(buf + dsdt_at);
	header_init(dsdt, "DSDT", (uint32_t)(sizeof(*dsdt) + aml.len), 2); /* 2: 64-bit integers */
	header_seal(dsdt);

	fill_fadt((struct acpi_fadt *)(buf + fadt_at), gpa + dsdt_at);
	fill_madt(buf + madt_at, cfg->ncpus);

	struct acpi_header *xsdt = (struct acpi_header *)(buf + xsdt_at);
	uint64_t entries[2] = {gpa + fadt_at, gpa + madt_at};
	header_init(xsdt, "XSDT", (uint32_t)xsdt_len, 1);
	memcpy(xsdt + 1, entries, sizeof(entries));
	header_seal(xsdt);

	struct acpi_rsdp *rsdp = (struct acpi_rsdp *)(buf + rsdp_at);
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, OEM_ID, 6);
	rsdp->revision = 2; /* ACPI 2.0+: XSDT only, no RSDT */
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = gpa + xsdt_at;
	rsdp->checksum = checksum(rsdp, 20);
	rsdp->extended_checksum = checksum(rsdp, sizeof(*rsdp));

	*rsdp_gpa = gpa + rsdp_at;
	return 0;
nospc:
	fprintf(stderr, "snvmm: ACPI tables: %u CPUs and %u devices do not fit in %zu bytes\n",
		cfg->ncpus, cfg->ndevs, size);
	return -ENOSPC;
}
