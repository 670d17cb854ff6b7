/* Serial output, then ACPI poweroff.
 * expect-status: 0
 * expect-output: hello from a micro-guest
 */
#include "guest.inc"
	.code64
	.globl _start
_start:
	puts msg
	poweroff
	guest_lib
msg:	.asciz "hello from a micro-guest\n"
