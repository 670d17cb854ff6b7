/* Waits for input and lets it fill the FIFO, clears the FIFO (as Linux does at every open and
 * close of the tty) while more input is held back on the host, then echoes what still comes
 * until a newline and powers off (tests/guests/console.py). */
#include "guest.inc"
	.code64
	.globl _start
_start:
	wait_rx
	mov $200000, %ecx
2:	inb %dx, %al
	loop 2b
	mov $COM1+2, %dx
	mov $0x07, %al /* FCR: FIFO on, clear receive and transmit */
	outb %al, %dx
3:	wait_rx
	mov $COM1, %dx
	inb %dx, %al
	outb %al, %dx
	cmp $'\n', %al
	jne 3b
	poweroff
