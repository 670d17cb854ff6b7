/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables a stock Linux needs to find our CPUs, power off and reboot
 * through registers the VMM traps, and enumerate our devices: RSDP, XSDT,
 * FADT (hardware-reduced, ACPI 6.x), MADT and a DSDT. Devices arrive as plain
 * data, so no device name is known here.
 */
#ifndef SNVMM_ACPI_H
#define SNVMM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* xAPIC ids are 8 bits and 0xff is the broadcast id. */
#define ACPI_MAX_CPUS	 255u
#define ACPI_MAX_DEVICES 64u
#define ACPI_DEV_MAX_MEM 4
#define ACPI_DEV_MAX_IO	 4

/*
 * One \_SB.Dnnn device. hid is a PNP id ("PNP0501", emitted as an EISA id)
 * or an ACPI id ("QEMU0001", emitted as a string).
 */
struct acpi_device_desc {
	char hid[9];
	uint32_t uid;
	/* Memory32Fixed, or QWordMemory when the range reaches past 4 GiB. */
	struct {
		uint64_t base, len;
	} mem[ACPI_DEV_MAX_MEM];
	unsigned nmem;
	/* IO (Decode16); len 1..255. */
	struct {
		uint16_t base, len;
	} io[ACPI_DEV_MAX_IO];
	unsigned nio;
	/* Extended Interrupt: edge, active-high, exclusive, on IOAPIC pin irq (= GSI). */
	uint32_t irq;
	bool has_irq;
};

struct acpi_config {
	unsigned ncpus;
	const struct acpi_device_desc *devs;
	unsigned ndevs;
};

/*
 * Writes RSDP (v2, at buf[0]) + XSDT + FADT + MADT + DSDT into buf, which the
 * guest sees at gpa (16-byte aligned), and stores the RSDP's guest address in
 * *rsdp_gpa. Returns 0, -EINVAL for a bad config or -ENOSPC when size is too
 * small; never writes past buf + size.
 */
int acpi_build(uint8_t *buf, size_t size, uint64_t gpa, const struct acpi_config *cfg,
	       uint64_t *rsdp_gpa);

#endif
