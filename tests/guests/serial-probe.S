/* What Linux's 8250 driver checks before it trusts a UART: scratch register,
 * IER read-back, FIFO bits in IIR, and loopback wiring of MCR to MSR; and the
 * divisor latch firmware leaves set (console=uart8250,io,0x3f8 with no baud
 * makes Linux divide by it).
 * expect-status: 0
 * expect-output: 16550A probe ok
 */
#include "guest.inc"
	.code64
	.globl _start
_start:
	mov $COM1+7, %dx       /* scratch */
	mov $0xa5, %al
	outb %al, %dx
	inb %dx, %al
	cmp $0xa5, %al
	jne bad
	mov $COM1+1, %dx       /* IER */
	mov $0x0f, %al
	outb %al, %dx
	inb %dx, %al
	cmp $0x0f, %al
	jne bad
	xor %al, %al
	outb %al, %dx
	mov $COM1+2, %dx       /* FCR: enable FIFOs, IIR must show 0xc0 */
	mov $0x07, %al
	outb %al, %dx
	inb %dx, %al
	and $0xc0, %al
	cmp $0xc0, %al
	jne bad
	mov $COM1+4, %dx       /* MCR: loopback with RTS and OUT2 */
	mov $0x1a, %al
	outb %al, %dx
	mov $COM1+6, %dx       /* MSR must show CTS and DCD */
	inb %dx, %al
	and $0xf0, %al
	cmp $0x90, %al
	jne bad
	mov $COM1+4, %dx
	xor %al, %al
	outb %al, %dx
	mov $COM1+3, %dx       /* LCR: DLAB, then the divisor latch must not be zero */
	mov $0x80, %al
	outb %al, %dx
	mov $COM1, %dx
	inb %dx, %al
	mov %al, %bl
	mov $COM1+1, %dx
	inb %dx, %al
	or %al, %bl
	mov $COM1+3, %dx
	mov $0x03, %al         /* 8N1, DLAB off */
	outb %al, %dx
	test %bl, %bl
	jz bad
	puts ok
	poweroff
bad:	mov $COM1+4, %dx
	xor %al, %al
	outb %al, %dx
	puts fail
	poweroff
	guest_lib
ok:	.asciz "16550A probe ok\n"
fail:	.asciz "16550A probe FAILED\n"
