/* Reads piped input until a newline as Linux's 8250 handler does, with the interrupt line
 * driven (OUT2, IER: received data; IF stays clear, so nothing is delivered), and powers off
 * (tests/guests/console.py). snvmm refills only a drained FIFO, so the edge-triggered line
 * drops between batches and rises again for each: devices.serial.irqs counts the rises. A
 * FIFO topped up at every read kept the line high, one rise for the whole input. */
#include "guest.inc"
	.code64
	.globl _start
_start:
	mov $COM1+4, %dx
	mov $0x08, %al /* MCR: OUT2, the PC's gate for the UART's interrupt */
	outb %al, %dx
	mov $COM1+1, %dx
	mov $0x01, %al /* IER: received data */
	outb %al, %dx
1:	wait_rx
	mov $COM1, %dx
	inb %dx, %al
	cmp $'\n', %al
	jne 1b
	poweroff
