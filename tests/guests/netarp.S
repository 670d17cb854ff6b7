/* The NIC's whole datapath on this host's KVM, without a guest kernel: the
 * micro-guest starts the device, posts RX buffers (the first one outside guest
 * RAM, which the device must refuse and hand back with an error), sends an ARP
 * request for 10.0.2.1 and waits for the host's answer in an RX buffer. So a
 * frame goes guest -> doorbell (ioeventfd) -> worker -> tap -> the host's ARP
 * code -> tap -> worker -> RX ring, and exactly one interrupt goes out through
 * the irqfd (the guest asks for RX interrupts and not for TX completions).
 * The namespace has IPv6 off, so the reply is the only frame the host sends.
 * args: --net tap=snvmm-a0
 * netns: yes
 * setup: sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
 * setup: ip tuntap add dev snvmm-a0 mode tap && ip addr add 10.0.2.1/24 dev snvmm-a0
 * setup: ip link set snvmm-a0 up
 * expect-status: 0
 * expect-output: netarp: 10.0.2.1 answered
 * expect-json: devices.net.tx_packets=1 devices.net.rx_packets=1 devices.net.protocol_errors=1
 * expect-json: devices.net.interrupts=1 devices.net.broken=0 vm.end=poweroff
 * Three doorbell kicks and not one exit to snvmm for them: the only exits are the
 * console line's 42 bytes, two stray doorbell accesses at the end (a byte write and a
 * read, which no ioeventfd takes: charged to the NIC, and no kick) and the poweroff write.
 * expect-json: devices.net.kicks=3 exits.all.total=45 io.pio.serial.writes=42
 * expect-json: io.pio.net.writes=1 io.pio.net.reads=1 io.unclaimed-pio.writes=0
 * expect-json: io.unclaimed-pio.reads=0
 */
#include "guest.inc"
#include "snnet.inc"
#define RX_BUFS	   0x400000 /* RX buffer i at RX_BUFS + i * RX_BUF_LEN */
#define RX_BUF_LEN 2048
#define RX_N	   8
#define RAM_END	   0x10000000 /* snvmm's default 256 MiB */

	.code64
	.globl _start
_start:
	call nic_find
	movl $0x7fffffff, Q_IRQ_AT(%r12) /* no interrupt for TX completions */
	movl $0, Q_IRQ_AT(%r13)		 /* one at the first RX completion */

	mov %r13, %r9			/* RX buffers: id 0 outside RAM, 1..7 good */
	xor %r10d, %r10d
	mov $DESC_F_WRITE, %r11d
	mov $RAM_END, %rdi
	mov $RX_BUF_LEN, %esi
	call post
1:	inc %r10d
	mov %r10, %rdi
	shl $11, %rdi
	add $RX_BUFS, %rdi
	call post
	cmp $(RX_N - 1), %r10d
	jne 1b

	xor %edi, %edi			/* guest_features 0: no offloads */
	movl %edi, CFG_GUEST_FEAT(%rbx)
	mov $1, %edi
	call nic_status

	call arp_send
	test %eax, %eax
	jnz tx_failed

	xor %r14d, %r14d		/* RX completions seen */
2:	lea Q_USED(%r13), %rdi		/* wait for the next one */
	mov %r14d, %esi
	call wait_ne32
	jc no_reply
	mov %r14d, %eax
	and $(QSIZE - 1), %eax
	movzwl Q_USED_RING(%r13,%rax,8), %ecx	/* id */
	movzwl Q_USED_RING+2(%r13,%rax,8), %edx	/* flags */
	inc %r14d
	test $USED_F_ERROR, %edx
	jnz 3f				/* the refused buffer (checked in the counters) */
	cmp $RX_N, %ecx
	jae bad_id
	shl $11, %rcx
	add $RX_BUFS, %rcx
	call arp_is_reply
	jne 3f
	puts ok
	mov $DOORBELL_TX, %dx
	outb %al, %dx
	inl %dx, %eax
	poweroff
3:	cmp $RX_N, %r14d
	jb 2b
no_reply:
	puts noreply_msg
	poweroff
tx_failed:
	puts txfail_msg
	poweroff
bad_id:
	puts badid_msg
	poweroff

	guest_lib
	nic_lib
ok:	     .asciz "netarp: 10.0.2.1 answered our ARP request\n"
noreply_msg: .asciz "netarp: no ARP reply from 10.0.2.1\n"
txfail_msg:  .asciz "netarp: the device did not complete the request cleanly\n"
badid_msg:   .asciz "netarp: the device completed an RX id we never posted\n"
