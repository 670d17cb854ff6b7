/* Console input: poll LSR.DR, read RBR, echo upper-cased until a newline.
 * stdin: abc xyz
 * expect-status: 0
 * expect-output: ABC XYZ
 */
#include "guest.inc"
	.code64
	.globl _start
_start:
1:	wait_rx
	mov $COM1, %dx
	inb %dx, %al
	cmp $'\n', %al
	je 3f
	cmp $'a', %al
	jb 2f
	cmp $'z', %al
	ja 2f
	sub $32, %al
2:	outb %al, %dx
	jmp 1b
3:	outb %al, %dx
	poweroff
