// SPDX-License-Identifier: MIT
/*
 * How the guest tells us it is ending, through mechanisms a stock kernel uses
 * without any driver of ours:
 *  - poweroff: the ACPI hardware-reduced sleep control register (FADT), written
 *    with SLP_TYP = \_S5's value and SLP_EN;
 *  - reboot: the ACPI reset register (FADT);
 *  - panic: the pvpanic device (ACPI "QEMU0001", one I/O port) whose driver
 *    writes "panicked" from the kernel's panic notifier.
 * Telling these apart is what lets snvmm exit with a status that says how the
 * guest ended, where a VMM without them sees only a halted CPU.
 */
#include "device.h"
#include "layout.h"
#include "vm.h"

#include <stdio.h>
#include <stdlib.h>

#define SLP_EN		 0x20
#define SLP_TYP_SHIFT	 2
#define SLP_TYP_MASK	 0x1c
#define PVPANIC_PANICKED 0x1
#define PVPANIC_CRASH_LD 0x2

struct power {
	struct vm *vm;
};

static void sleep_ctl(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct power *p = opaque;
	(void)offset;
	(void)len;
	if (!is_write) {
		data[0] = 0;
		return;
	}
	uint8_t v = data[0];
	if ((v & SLP_EN) && ((v & SLP_TYP_MASK) >> SLP_TYP_SHIFT) == ACPI_S5_SLEEP_TYPE)
		vm_request_end(p->vm, VM_END_POWEROFF);
	/* Other sleep states are not offered in the DSDT; a write of one is ignored. */
}

static void sleep_sts(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	(void)opaque;
	(void)offset;
	(void)len;
	if (!is_write)
		data[0] = 0;
}

static void reset_reg(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct power *p = opaque;
	(void)offset;
	(void)len;
	if (is_write && data[0] == ACPI_RESET_VALUE)
		vm_request_end(p->vm, VM_END_REBOOT);
	else if (!is_write)
		data[0] = 0;
}

static void pvpanic(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct power *p = opaque;
	(void)offset;
	(void)len;
	if (!is_write) {
		/* The events we understand; the driver only sends those. */
		data[0] = PVPANIC_PANICKED | PVPANIC_CRASH_LD;
		return;
	}
	if (data[0] & PVPANIC_PANICKED)
		vm_request_end(p->vm, VM_END_PANIC);
}

static int power_setup(struct vm *vm, const struct vm_config *cfg, void **state)
{
	(void)cfg;
	struct power *p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	p->vm = vm;
	*state = p;
	int r;
	if ((r = io_register(&vm->io, IO_SPACE_PIO, ACPI_SLEEP_CTL_PORT, 1, sleep_ctl, p,
			     "acpi-sleep-ctl")) ||
	    (r = io_register(&vm->io, IO_SPACE_PIO, ACPI_SLEEP_STS_PORT, 1, sleep_sts, p,
			     "acpi-sleep-sts")) ||
	    (r = io_register(&vm->io, IO_SPACE_PIO, ACPI_RESET_PORT, 1, reset_reg, p,
			     "acpi-reset")) ||
	    (r = io_register(&vm->io, IO_SPACE_PIO, PVPANIC_PORT, 1, pvpanic, p, "pvpanic"))) {
		fprintf(stderr, "snvmm: power: registering ports: error %d\n", r);
		return r;
	}
	struct acpi_device_desc panic_dev = {.hid = "QEMU0001", .uid = 0, .nio = 1};
	panic_dev.io[0].base = PVPANIC_PORT;
	panic_dev.io[0].len = 1;
	return vm_add_acpi_device(vm, &panic_dev);
}

static void power_destroy(void *state)
{
	free(state);
}

const struct device_ops power_device = {
    .name = "power",
    .setup = power_setup,
    .destroy = power_destroy,
};
