/* Exit accounting: exactly 37 port writes and 23 MMIO writes nobody owns, 11
 * NIC doorbell kicks (ioeventfds: KVM completes them, no exit reaches us),
 * then poweroff (one more port write). Nothing is printed on success, so the
 * counts below are the whole run. Each kick flips the NIC between started and
 * reset and waits for the device to answer, so every kick has been read from
 * its eventfd by the worker before the next one, and before poweroff.
 * args: --net tap=snvmm-k0
 * netns: yes
 * expect-status: 0
 * expect-json: exits.all.total=61 exits.all.io=38 exits.all.mmio=23 exits.all.intr=0
 * expect-json: io.unclaimed-pio.writes=37 io.unclaimed-pio.reads=0
 * expect-json: io.unclaimed-mmio.writes=23 io.unclaimed-mmio.reads=0
 * expect-json: io.pio.acpi-sleep-ctl.writes=1 io.pio.serial.writes=0
 * expect-json: devices.net.kicks=11 devices.net.protocol_errors=0 vm.end=poweroff
 * KVM's own counts (its binary stats) see at least what reached us:
 * expect-json: kvm.vcpu0.exits>=61 kvm.vcpu0.mmio_exits>=23
 * expect-perf: kvm:kvm_userspace_exit=61 kvm:kvm_pio=49 kvm:kvm_mmio=23
 */
#include "guest.inc"
#define NET_CFG	       0xd0000000 /* first window vm_reserve_mmio hands out: the NIC's */
#define SNNET_MAGIC    0x544e4e53
#define CFG_STATUS     24 /* offsetof(struct snnet_config, status) */
#define CFG_DEV_STATUS 28 /* offsetof(struct snnet_config, device_status) */
#define DOORBELL_TX    0x6200
#define DOORBELL_RX    0x6204
#define POKE_PORT      0x80	  /* POST port: nobody there */
#define POKE_MMIO      0xd8000000 /* in the MMIO hole, past the NIC's window */
#define N_PIO	       37
#define N_MMIO	       23
#define N_KICK	       11
#define ACK_CYCLES     20000000000 /* TSC ticks to wait for one kick's answer */

	.code64
	.globl _start
_start:
	mov $NET_CFG, %rbx
	cmpl $SNNET_MAGIC, (%rbx)
	jne nonic

	mov $N_PIO, %ecx
	mov $POKE_PORT, %dx
1:	outb %al, %dx
	loop 1b

	mov $N_MMIO, %ecx
	mov $POKE_MMIO, %rdi
2:	movl %ecx, (%rdi)
	loop 2b

	mov $N_KICK, %r12d
	xor %r13d, %r13d		/* the device_status we wait for: 1 started, 0 reset */
3:	xor $1, %r13d
	movl %r13d, CFG_STATUS(%rbx)	/* guest_features stays 0: a valid subset */
	mov $DOORBELL_TX, %dx
	test $1, %r12d
	jz 4f
	mov $DOORBELL_RX, %dx
4:	outl %eax, %dx
	rdtsc
	shl $32, %rdx
	or %rax, %rdx
	mov %rdx, %r14
	mov $ACK_CYCLES, %r15
5:	cmp CFG_DEV_STATUS(%rbx), %r13d
	je 6f
	pause
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	sub %r14, %rax
	cmp %r15, %rax
	jb 5b
	puts noack
	poweroff
6:	dec %r12d
	jnz 3b
	poweroff

nonic:	puts nonic_msg
	poweroff
	guest_lib
nonic_msg: .asciz "exits: no snnet config page at 0xd0000000 (run with --net)\n"
noack:	.asciz "exits: the NIC did not answer a kick\n"
