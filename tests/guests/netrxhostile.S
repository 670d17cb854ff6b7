/* nethostile's other half: a guest that breaks the RX queue's side of the
 * protocol. Of three RX buffers the first lacks the device-write flag and the
 * second is shorter than a frame's headers: both must come back with the error
 * flag, and 10.0.2.1's answer to our ARP request must land in the third. Then
 * every RX slot gets a good buffer, the RX avail index jumps a ring and one
 * ahead (only the index is wrong) and the guest rings the RX
 * doorbell 20 times, each followed by a TX frame it waits for, so each ring is
 * seen in a worker round of its own: the 14th breaks the queue (2 + 14 = 16
 * errors), the device says so once, and TX goes on regardless. A reset brings
 * RX back, and a second request's answer arrives. The VMM never stops.
 * args: --net tap=snvmm-r0
 * netns: yes
 * setup: sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
 * setup: ip tuntap add dev snvmm-r0 mode tap && ip addr add 10.0.2.1/24 dev snvmm-r0
 * setup: ip link set snvmm-r0 up
 * expect-status: 0
 * expect-output: snvmm: net 'snvmm-r0': RX queue broken after 16 protocol errors
 * expect-output: netrxhostile: device reset, answer received again
 * expect-json: devices.net.rx_packets=2 devices.net.tx_packets=22 devices.net.protocol_errors=16
 * expect-json: devices.net.broken=1 vm.end=poweroff
 * 48 kicks (22 sends, 20 RX rings, 3 status changes ringing both doorbells), no exit
 * for any: the exits are the console line's bytes and the poweroff write.
 * expect-json: devices.net.kicks=48 exits.all.total=51 io.pio.serial.writes=50
 */
#include "guest.inc"
#include "snnet.inc"
#define RX_BUFS	   0x400000 /* RX buffer i at RX_BUFS + i * RX_BUF_LEN */
#define RX_BUF_LEN 2048
#define N_RINGS	   20

	.code64
	.globl _start
_start:
	call nic_find
	call quiet
	mov %r13, %r9			/* RX: no write flag, too short, good */
	xor %r10d, %r10d
	xor %r11d, %r11d
	mov $RX_BUFS, %rdi
	mov $RX_BUF_LEN, %esi
	call post
	inc %r10d
	mov $DESC_F_WRITE, %r11d
	add $RX_BUF_LEN, %rdi
	mov $20, %esi
	call post
	inc %r10d
	add $RX_BUF_LEN, %rdi
	mov $RX_BUF_LEN, %esi
	call post
	mov $3, %esi			/* two refusals and the answer */
	call start_and_ask
	testw $USED_F_ERROR, Q_USED_RING+2(%r13)
	jz accepted
	testw $USED_F_ERROR, Q_USED_RING+8+2(%r13)
	jz accepted
	call check_third

	mov %r13, %r9			/* every slot a good buffer: only the index is wrong */
	mov $(RX_BUFS + 2 * RX_BUF_LEN), %rdi
	mov $RX_BUF_LEN, %esi
	mov $DESC_F_WRITE, %r11d
	call fill
	mov Q_USED(%r13), %eax		/* RX avail a ring and one ahead */
	add $(QSIZE + 1), %eax
	mov %eax, Q_AVAIL(%r13)
	mov $N_RINGS, %r15d
1:	mov $DOORBELL_RX, %dx
	outl %eax, %dx
	lea junk(%rip), %rdi		/* waited for: the ring before it has been seen */
	mov $(junk_end - junk), %esi
	xor %r10d, %r10d
	xor %r11d, %r11d
	call tx
	test %eax, %eax
	jnz tx_failed
	dec %r15d
	jnz 1b

	xor %edi, %edi			/* reset: a fresh region, indices from 0 */
	call nic_status
	call quiet
	mov %r13, %r9			/* buffer 2 again, under id 2 */
	mov $2, %r10d
	mov $DESC_F_WRITE, %r11d
	mov $(RX_BUFS + 2 * RX_BUF_LEN), %rdi
	mov $RX_BUF_LEN, %esi
	call post
	mov $1, %esi
	call start_and_ask
	call check_third
	puts ok
	poweroff

/* start_and_ask: starts the device, sends the ARP request, waits for esi RX completions. */
start_and_ask:
	push %rsi
	mov $1, %edi
	call nic_status
	call arp_send
	pop %rsi
	test %eax, %eax
	jnz tx_failed
	lea Q_USED(%r13), %rdi
	call wait_eq32
	jc no_reply
	ret

/* quiet: no interrupts wanted, no offloads. */
quiet:
	movl $0x7fffffff, Q_IRQ_AT(%r12)
	movl $0x7fffffff, Q_IRQ_AT(%r13)
	movl $0, CFG_GUEST_FEAT(%rbx)
	ret

/* check_third: the last RX completion is buffer 2, clean, holding the ARP answer. */
check_third:
	mov Q_USED(%r13), %eax
	dec %eax
	and $(QSIZE - 1), %eax
	cmpw $2, Q_USED_RING(%r13,%rax,8)
	jne no_reply
	testw $USED_F_ERROR, Q_USED_RING+2(%r13,%rax,8)
	jnz no_reply
	mov $(RX_BUFS + 2 * RX_BUF_LEN), %rcx
	call arp_is_reply
	jne no_reply
	ret

accepted:
	puts accepted_msg
	poweroff
tx_failed:
	puts txfail_msg
	poweroff
no_reply:
	puts noreply_msg
	poweroff

	guest_lib
	nic_lib
ok:	      .asciz "netrxhostile: device reset, answer received again\n"
accepted_msg: .asciz "netrxhostile: a bad RX buffer was not refused\n"
txfail_msg:   .asciz "netrxhostile: a frame was not sent cleanly\n"
noreply_msg:  .asciz "netrxhostile: the ARP answer is not in the good buffer\n"
	.balign 16
junk:	.fill VNET, 1, 0
	.byte 0xff, 0xff, 0xff, 0xff, 0xff, 0xff	/* broadcast */
	.byte 0x02, 0, 0, 0, 0, 0x01
	.byte 0x88, 0xb5			/* local experimental ethertype: nobody answers */
	.fill 46, 1, 0
junk_end:
