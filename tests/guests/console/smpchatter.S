/* Every vCPU writes to the console without end: vCPU 0 starts the others
 * (INIT, then SIPI to a real-mode loop it copies to 0x3000) and joins them.
 * With stdout a pipe nobody reads, one vCPU waits in poll and the rest on
 * the console's lock: a stop must not take a full poll timeout for each of
 * them in turn (tests/guests/console.py). */
#include "guest.inc"
	.code64
	.globl _start
_start:
	movq ap_loop(%rip), %rax
	movq %rax, 0x3000
	mov $0xfee00300, %ebx	/* local APIC ICR, low half */
	movl $0x000c4500, (%rbx)	/* INIT to all but self */
	movl $0x000c4603, (%rbx)	/* SIPI, vector 3: start at 0x3000 */
	movl $0x000c4603, (%rbx)
	mov $COM1, %dx
	mov $'B', %al
1:	outb %al, %dx
	jmp 1b
	/* Real mode: mov $0x3f8, %dx; mov $'x', %al; 1: out %al, %dx; jmp 1b */
ap_loop:
	.byte 0xba, 0xf8, 0x03, 0xb0, 0x78, 0xee, 0xeb, 0xfd
