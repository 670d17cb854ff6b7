/* The ACPI reset register ends the run as a reboot.
 * expect-status: 3
 */
#include "guest.inc"
	.code64
	.globl _start
_start:
	mov $ACPI_RESET, %dx
	mov $1, %al
	outb %al, %dx
	hlt
