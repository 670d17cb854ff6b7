/* --memory above 3072 MiB: RAM stops at 3 GiB, where the MMIO hole starts, and
 * the rest is at 4 GiB (here 1 GiB of it, to 5 GiB), its own memory, not an
 * alias of low RAM. The boot page tables map 0..4 GiB; the guest maps 4..6 GiB
 * itself (2 MiB pages, PDPT entries 4 and 5). Only the two reads meant to
 * miss RAM (the hole's first byte, the byte past high RAM) are MMIO exits.
 * args: --memory 4096
 * expect-status: 0
 * expect-output: high memory ok
 * expect-json: io.unclaimed-mmio.reads=2 io.unclaimed-mmio.writes=0 vm.end=poweroff
 */
#include "guest.inc"
#define PDPT     0xa000   /* vmm/layout.h PDPT_ADDR */
#define PD_4G    0x300000 /* free RAM past this image */
#define PD_5G    0x301000
#define PAGE_2M  0x83     /* present, writable, 2 MiB */
	.code64
	.globl _start
_start:
	mov $PD_4G, %edi
	movabs $0x100000000 + PAGE_2M, %rax
	mov $512, %ecx
1:	mov %rax, (%rdi)
	add $8, %rdi
	add $0x200000, %rax
	loop 1b
	movabs $0x140000000 + PAGE_2M, %rax
	mov %rax, PD_5G
	movq $PD_4G + 3, PDPT + 4 * 8
	movq $PD_5G + 3, PDPT + 5 * 8
	mov %cr3, %rax
	mov %rax, %cr3

	mov $0xbffffff8, %edi          /* low RAM's last 8 bytes */
	movabs $0x1122334455667788, %rbx
	mov %rbx, (%rdi)
	cmp (%rdi), %rbx
	jne bad
	movabs $0x100000000, %rdi      /* high RAM's first */
	movabs $0x0123456789abcdef, %rbx
	mov %rbx, (%rdi)
	cmp (%rdi), %rbx
	jne bad
	movabs $0x13ffffff8, %rdi      /* and last 8 bytes */
	movabs $0x5a5a5a5aa5a5a5a5, %rbx
	mov %rbx, (%rdi)
	cmp (%rdi), %rbx
	jne bad
	/* 4 GiB + 1 MiB is not this code at 1 MiB: writing it changes neither copy. */
	mov $_start, %esi
	mov (%rsi), %rax
	mov %rax, %rbx
	not %rbx
	movabs $0x100100000, %rdi
	mov %rbx, (%rdi)
	cmp (%rsi), %rax
	jne bad
	cmp (%rdi), %rbx
	jne bad
	/* Not RAM: the hole at 3 GiB, and 5 GiB, past the end. */
	mov $0xc0000000, %edi
	expect_unclaimed %rdi
	movabs $0x140000000, %rdi
	expect_unclaimed %rdi
	puts ok
	poweroff
bad:	puts fail
	poweroff
	guest_lib
ok:	.asciz "high memory ok\n"
fail:	.asciz "high memory WRONG\n"
