/* Reads piped input until a newline, as Linux's 8250 handler does (IER says received data),
 * and counts how often IIR says "no interrupt" between two bytes: the FIFO ran dry. snvmm
 * refills only a drained FIFO, so the edge-triggered line drops between batches; a FIFO
 * topped up at every read never runs dry and the count stays 0. Prints the count (a digit,
 * at most 9) and powers off (tests/guests/console.py). */
#include "guest.inc"
	.code64
	.globl _start
_start:
	mov $COM1+1, %dx
	mov $0x01, %al /* IER: received data (IF is clear: the line is watched through IIR) */
	outb %al, %dx
	xor %ebx, %ebx
	mov $COM1+5, %dx
1:	inb %dx, %al
	test $1, %al
	jz 1b
2:	mov $COM1, %dx
	inb %dx, %al
	cmp $'\n', %al
	je 5f
	mov $COM1+2, %dx
	inb %dx, %al
	test $1, %al /* IIR bit 0: nothing pending */
	jz 3f
	inc %ebx
3:	mov $COM1+5, %dx
4:	inb %dx, %al
	test $1, %al
	jz 4b
	jmp 2b
5:	cmp $9, %ebx
	jbe 6f
	mov $9, %ebx
6:	lea '0'(%rbx), %eax
	mov $COM1, %dx
	outb %al, %dx
	mov $'\n', %al
	outb %al, %dx
	poweroff
