/* Never reads the console and never ends: the UART's receive FIFO fills up
 * and stays full (tests/guests/console.py). */
#include "guest.inc"
	.code64
	.globl _start
_start:
	jmp _start
