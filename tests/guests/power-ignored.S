/* The power registers end the VM only for what they mean: the sleep control
 * register for S5 with SLP_EN (not S5 without it, nor another sleep type with
 * it), the reset register for its reset value, pvpanic for "panicked" (not
 * "crash kernel loaded", which Linux sends instead when a kdump kernel is to
 * take over); the sleep status register takes any write. Each reads as 0
 * (pvpanic: its events). Then an ordinary poweroff.
 * expect-status: 0
 * expect-output: power writes ignored ok
 * expect-json: io.pio.acpi-sleep-ctl.writes=3 io.pio.acpi-sleep-ctl.reads=1
 * expect-json: io.pio.acpi-sleep-sts.writes=1 io.pio.acpi-sleep-sts.reads=1
 * expect-json: io.pio.acpi-reset.writes=1 io.pio.acpi-reset.reads=1
 * expect-json: io.pio.pvpanic.writes=1 vm.end=poweroff
 */
#include "guest.inc"
#define ACPI_SLEEP_STS 0x601
	.code64
	.globl _start
_start:
	mov $ACPI_SLEEP, %dx
	inb %dx, %al
	test %al, %al
	jnz bad
	mov $ACPI_SLEEP_STS, %dx
	inb %dx, %al
	test %al, %al
	jnz bad
	mov $ACPI_RESET, %dx
	inb %dx, %al
	test %al, %al
	jnz bad
	mov $ACPI_SLEEP, %dx
	mov $0x14, %al          /* SLP_TYP 5 without SLP_EN */
	outb %al, %dx
	mov $0x2c, %al          /* SLP_EN with SLP_TYP 3 (S3: not in our DSDT) */
	outb %al, %dx
	mov $ACPI_SLEEP_STS, %dx
	mov $0xff, %al
	outb %al, %dx
	mov $ACPI_RESET, %dx
	mov $0x06, %al          /* not the FADT's reset value (1) */
	outb %al, %dx
	mov $PVPANIC, %dx
	mov $2, %al             /* crash kernel loaded, not panicked */
	outb %al, %dx
	puts ok
	poweroff
bad:	puts fail
	poweroff
	guest_lib
ok:	.asciz "power writes ignored ok\n"
fail:	.asciz "power registers read WRONG\n"
