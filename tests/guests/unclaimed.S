/* Ports and MMIO nobody owns read as all ones; writes to them are dropped.
 * expect-status: 0
 * expect-output: unclaimed reads ok
 */
#include "guest.inc"
	.code64
	.globl _start
_start:
	mov $0x80, %dx
	outb %al, %dx          /* POST port: nobody there */
	mov $0x1234, %dx
	inl %dx, %eax
	cmp $0xffffffff, %eax
	jne bad
	mov $0xd8000000, %rbx  /* in the MMIO hole, no device */
	movl $0, (%rbx)
	expect_unclaimed %rbx
	puts ok
	poweroff
bad:	puts fail
	poweroff
	guest_lib
ok:	.asciz "unclaimed reads ok\n"
fail:	.asciz "unclaimed reads WRONG\n"
