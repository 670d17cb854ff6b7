/* Console input: poll LSR.DR, read RBR, echo upper-cased until a newline.
 * stdin: abc xyz
 * expect-status: 0
 * expect-output: ABC XYZ
 */
#include "guest.inc"
	.code64
	.globl _start
_start:
	mov $COM1+5, %dx
1:	inb %dx, %al
	test $1, %al
	jz 1b
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
	mov $COM1+5, %dx
	jmp 1b
3:	outb %al, %dx
	poweroff
