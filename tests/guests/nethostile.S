/* A guest that breaks the NIC's protocol on purpose, against the real device:
 * fifteen bad TX descriptors (addresses outside guest RAM, wrapping, in the
 * NIC's own region and the APIC page; lengths 0, too long and too short; a
 * device-write flag, an indirect table never negotiated, unknown flags; ids out
 * of range), each of which must come back completed with the error flag while
 * the device keeps serving; a good frame then goes out. An avail index a ring
 * and one ahead (every slot holding a good frame, so only the index is wrong)
 * is the sixteenth error and breaks the queue: the device says so once, serves nothing more on it, and the VMM runs on. A reset (status 0)
 * brings the device back, and a good frame goes out again. With indirect
 * tables negotiated this time, nine bad ones (misaligned, ragged, too long,
 * outside RAM; an entry outside RAM, nested, device-write, empty; entries
 * longer together than a buffer) are refused and a good two-segment one is
 * sent. The guest powers off: the VMM survived all of it.
 * args: --net tap=snvmm-h0
 * netns: yes
 * setup: ip tuntap add dev snvmm-h0 mode tap && ip link set snvmm-h0 up
 * expect-status: 0
 * expect-output: snvmm: net 'snvmm-h0': TX queue broken after 16 protocol errors
 * expect-output: nethostile: device reset and served again
 * expect-output: nethostile: indirect tables checked
 * expect-json: devices.net.tx_packets=3 devices.net.protocol_errors=25 devices.net.broken=1
 * expect-json: vm.end=poweroff
 * 34 doorbell kicks (28 sends, 3 status changes ringing both doorbells), none an exit to
 * snvmm: the exits are the two console lines' 78 bytes and the poweroff write.
 * expect-json: devices.net.kicks=34 exits.all.total=79 io.pio.serial.writes=78
 */
#include "guest.inc"
#include "snnet.inc"
#define RAM_END	 0x10000000 /* snvmm's default 256 MiB */
#define TOO_LONG 0x10101 /* SNNET_MAX_BUF_LEN + 1; t_sum's two entries add up to it */
#define SNNET_F_INDIRECT 0x40

	.code64
	.globl _start
_start:
	call nic_find
	movl $0x7fffffff, Q_IRQ_AT(%r12) /* polled: no interrupts wanted */
	xor %edi, %edi
	movl %edi, CFG_GUEST_FEAT(%rbx)	 /* no offloads, no indirect tables */
	mov $1, %edi
	call nic_status

	lea bad(%rip), %r14
	lea bad_end(%rip), %r15
	call send_bad
	call send_good

	mov %r12, %r9			/* every slot a good frame: only the index is wrong */
	lea nic_arp(%rip), %rdi
	mov $(nic_arp_end - nic_arp), %esi
	xor %r11d, %r11d
	call fill
	mov Q_USED(%r12), %eax		/* avail a ring and one past what was completed */
	add $(QSIZE + 1), %eax
	mov %eax, Q_AVAIL(%r12)
	mov $DOORBELL_TX, %dx
	outl %eax, %dx
	lea Q_USED(%r12), %rdi		/* a broken queue completes nothing */
	mov (%rdi), %esi
	mov $WAIT_SHORT, %rcx
	call wait_ne32_for
	jnc served_broken

	xor %edi, %edi			/* reset: a fresh region, indices from 0 */
	call nic_status
	movl $0x7fffffff, Q_IRQ_AT(%r12)
	movl $SNNET_F_INDIRECT, CFG_GUEST_FEAT(%rbx)	/* tables this time */
	mov $1, %edi
	call nic_status
	call send_good
	puts reset_ok

	lea bad_ind(%rip), %r14
	lea bad_ind_end(%rip), %r15
	call send_bad
	lea good_ind(%rip), %rdi	/* header and payload in two segments */
	mov $32, %esi
	xor %r10d, %r10d
	mov $DESC_F_INDIRECT, %r11d
	call tx
	test %eax, %eax
	jnz good_failed
	puts ind_ok
	poweroff

/* send_bad: sends each descriptor in [r14, r15); each must come back with the error flag. */
send_bad:
	mov (%r14), %rdi
	mov 8(%r14), %esi
	movzwl 12(%r14), %r10d
	movzwl 14(%r14), %r11d
	call tx
	cmp $USED_F_ERROR, %eax
	jne accepted
	add $16, %r14
	cmp %r15, %r14
	jb send_bad
	ret

/* send_good: one ARP request (nobody answers it), which must complete cleanly. */
send_good:
	call arp_send
	test %eax, %eax
	jnz good_failed
	ret

accepted:
	puts accepted_msg
	poweroff
good_failed:
	puts good_msg
	poweroff
served_broken:
	puts broken_msg
	poweroff

	guest_lib
	nic_lib
reset_ok:     .asciz "nethostile: device reset and served again\n"
ind_ok:	      .asciz "nethostile: indirect tables checked\n"
accepted_msg: .asciz "nethostile: a bad descriptor was not completed with an error\n"
good_msg:     .asciz "nethostile: a good frame was not completed cleanly\n"
broken_msg:   .asciz "nethostile: the broken queue still completed descriptors\n"

/* struct snring_desc: addr, len, id, flags */
.macro desc addr, len, id=0, flags=0 /* no spaces inside an argument */
	.quad \addr
	.long \len
	.word \id, \flags
.endm
	.balign 16
bad:	desc RAM_END, 64			/* just past guest RAM */
	desc RAM_END-32, 64			/* straddles its end */
	desc 0xfffffffffffffff0, 64		/* wraps past 2^64 */
	desc 0x100000000, 64			/* above 4 GiB: no RAM there */
	desc NET_CFG, 64			/* the NIC's own region */
	desc 0xfee00000, 64			/* the local APIC's page */
	desc nic_arp, 0				/* empty */
	desc nic_arp, TOO_LONG			/* longer than any buffer may be */
	desc nic_arp, 0xffffffff
	desc nic_arp, nic_arp_end-nic_arp, 0, DESC_F_WRITE	/* RX's flag on TX */
	desc nic_arp, 16, 0, DESC_F_INDIRECT		/* never negotiated */
	desc nic_arp, nic_arp_end-nic_arp, 0, 0x8000	/* unknown flag */
	desc nic_arp, nic_arp_end-nic_arp, QSIZE		/* id out of range */
	desc nic_arp, nic_arp_end-nic_arp, 0xffff
	desc nic_arp, 20				/* shorter than vnet header + Ethernet header */
bad_end:

/* Indirect tables, once negotiated: each refused, for its shape or for an entry. */
	.balign 16
bad_ind:
	desc good_ind+8, 32, 0, DESC_F_INDIRECT		/* table not 16-byte aligned */
	desc good_ind, 24, 0, DESC_F_INDIRECT		/* length not whole entries */
	desc t_long, 33*16, 0, DESC_F_INDIRECT		/* more entries than the device takes */
	desc RAM_END, 32, 0, DESC_F_INDIRECT		/* table outside guest RAM */
	desc t_far, 32, 0, DESC_F_INDIRECT		/* an entry outside guest RAM */
	desc t_nested, 32, 0, DESC_F_INDIRECT		/* an entry that is a table */
	desc t_write, 32, 0, DESC_F_INDIRECT		/* an entry with RX's flag */
	desc t_empty, 32, 0, DESC_F_INDIRECT		/* an empty entry */
	desc t_sum, 32, 0, DESC_F_INDIRECT		/* entries longer together than a buffer */
bad_ind_end:
	.balign 16
good_ind: desc nic_arp, 26
	desc nic_arp+26, nic_arp_end-nic_arp-26
t_far:	desc nic_arp, 26
	desc RAM_END-16, 32
t_nested: desc nic_arp, 26
	desc good_ind, 32, 0, DESC_F_INDIRECT
t_write: desc nic_arp, 26
	desc nic_arp+26, nic_arp_end-nic_arp-26, 0, DESC_F_WRITE
t_empty: desc nic_arp, 26
	desc nic_arp+26, 0
t_sum:	desc 0x400000, 0x8080
	desc 0x408080, 0x8081
t_long:	.rept 33
	desc nic_arp, 1
	.endr
