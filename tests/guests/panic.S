/* pvpanic: the device reports its events, the guest says "panicked".
 * expect-status: 4
 * expect-output: pvpanic events ok
 */
#include "guest.inc"
	.code64
	.globl _start
_start:
	mov $PVPANIC, %dx
	inb %dx, %al
	cmp $3, %al
	jne 1f
	puts ok
1:	mov $PVPANIC, %dx
	mov $1, %al
	outb %al, %dx
	hlt
	guest_lib
ok:	.asciz "pvpanic events ok\n"
