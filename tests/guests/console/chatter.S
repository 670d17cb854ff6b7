/* Writes to the console without end, so a stdout nobody reads fills up
 * (tests/guests/console.py). */
#include "guest.inc"
	.code64
	.globl _start
_start:
	mov $COM1, %dx
	mov $'.', %al
1:	outb %al, %dx
	jmp 1b
