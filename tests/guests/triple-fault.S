/* An exception with an empty IDT escalates to a triple fault: a crash.
 * expect-status: 5
 * expect-output: guest triple fault (shutdown)
 */
#include "guest.inc"
	.code64
	.globl _start
_start:
	lidt idt(%rip)
	ud2
idt:	.word 0
	.quad 0
