// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the NIC's host side as snvmm runs it (net_datapath.c over
 * the ring and guest_ptr, with a SOCK_SEQPACKET socketpair in the tap's place)
 * against a guest that writes anything at all into the shared region and its
 * RAM, posts descriptors good and bad, rings either doorbell when it likes and
 * resets the device, while the host stack sends frames of any size. The input is
 *
 *   byte 0   the worker: bits 0-1 plain, poll=1 us or defer=1 us; bits 2-7 the
 *            frames a round must send to open a defer window, less one
 *   then     a script of one-byte ops (low nibble: what; high nibble: an
 *            argument), some followed by operand bytes: see fz_op
 *
 * Guest RAM lies between PROT_NONE guard pages and the shared region is
 * ASan-checked heap, so an access the datapath lets through outside either
 * faults. What the worker hands the kernel is checked too: a socketpair drops
 * no frame, so a drop means a read or a write failed on the addresses it was
 * given (EFAULT). Every frame that reaches the host must be one a descriptor
 * may carry (headers at least, SNNET_MAX_BUF_LEN at most). The worker runs
 * with a zero timeout: whatever the guest did, a round must return.
 */
#include "fuzz_input.h"
#include "net_fake_guest.h"

#include <stdio.h>

#define FZ_RAM	       (1u << 20)
#define FZ_HOST_FRAME  70000 /* the largest frame the host sends: more than a buffer holds */
#define FZ_MIN_FRAME   (SNNET_VNET_HDR_LEN + 14)
#define FZ_MAX_ENTRIES 40 /* indirect entries the fuzzer writes: past SNNET_MAX_INDIRECT */

static struct fake_guest g;
static uint8_t host_frame[FZ_HOST_FRAME];
static uint8_t got[SNNET_MAX_BUF_LEN + 1];

/* An address in guest RAM, 16-byte aligned; or, when wild, anywhere near it. */
static uint64_t fz_gpa(struct fz_in *in, bool wild)
{
	if (wild)
		return fz_uint(in, 3) % (FZ_RAM + 0x10000);
	return fz_uint(in, 2) * 16 % FZ_RAM;
}

/* Writes n bytes of input at guest-physical gpa, as far as RAM goes. */
static void fz_ram_write(struct fz_in *in, uint64_t gpa, size_t n)
{
	for (size_t i = 0; i < n && in->left; i++) {
		uint8_t *p = guest_ptr(&g.mem, gpa + i, 1);
		int b = fz_byte(in);

		if (p)
			*p = (uint8_t)b;
	}
}

/*
 * An indirect table at gpa with entries chosen by the input (lengths mostly
 * sane, flags mostly right); returns its length in bytes.
 */
static uint32_t fz_table(struct fz_in *in, uint64_t gpa, uint16_t flags)
{
	uint32_t k = 1 + (uint32_t)fz_uint(in, 1) % FZ_MAX_ENTRIES;
	struct snring_desc e;

	for (uint32_t i = 0; i < k; i++) {
		uint8_t *p = guest_ptr(&g.mem, gpa + i * sizeof(e), sizeof(e));
		int how = fz_byte(in);

		e.addr = htole64(fz_gpa(in, how & 1));
		e.len = htole32(how & 2 ? (uint32_t)fz_uint(in, 4)
					: 1 + (uint32_t)fz_uint(in, 2) % 4096);
		e.id = 0;
		e.flags = htole16(how & 4 ? (uint16_t)fz_uint(in, 2) : flags);
		if (p)
			memcpy(p, &e, sizeof(e));
	}
	return k * (uint32_t)sizeof(e);
}

/* n descriptors on queue qi, written straight into the ring (no driver-side checks). */
static void fz_post(struct fz_in *in, uint32_t qi, uint32_t n)
{
	struct snring_drv *q = &g.q[qi];
	uint16_t want = qi == SNRING_QUEUE_RX ? SNRING_DESC_F_WRITE : 0;

	if (!q->desc)
		return; /* not started */
	for (uint32_t i = 0; i < n; i++) {
		int how = fz_byte(in);
		struct snring_desc d;
		uint64_t addr = fz_gpa(in, how & 1);
		uint32_t len;
		uint16_t flags = how & 4 ? want ^ SNRING_DESC_F_WRITE : want;

		if (how & 2)
			len = (uint32_t)fz_uint(in, 3) % (SNNET_MAX_BUF_LEN + 64);
		else
			len = FZ_MIN_FRAME + (uint32_t)fz_uint(in, 1) * 8;
		if (how & 8) {
			len = fz_table(in, addr, want);
			flags |= SNRING_DESC_F_INDIRECT;
		} else if (!(flags & SNRING_DESC_F_WRITE)) {
			fz_ram_write(in, addr, (size_t)fz_uint(in, 1)); /* a frame's start */
		}
		d.addr = htole64(addr);
		d.len = htole32(len);
		d.id =
		    htole16(how & 16 ? (uint16_t)fz_uint(in, 2) : (uint16_t)(q->avail & q->mask));
		d.flags = htole16(how & 32 ? (uint16_t)fz_uint(in, 2) : flags);
		memcpy(&q->desc[q->avail & q->mask], &d, sizeof(d));
		q->avail++;
	}
	if (snring_drv_flush(q))
		fg_kick(&g, (int)qi);
}

/* The host side reads what the worker sent: every frame must fit a descriptor. */
static void fz_drain(void)
{
	ssize_t r;

	for (int i = 0; i < SNNET_QUEUE_SIZE * 2; i++) {
		r = recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT | MSG_TRUNC);
		if (r < 0)
			break;
		if (r < FZ_MIN_FRAME || r > SNNET_MAX_BUF_LEN)
			abort();
	}
	(void)fg_irqs(&g);
}

static void fz_poll(void)
{
	if (net_dp_poll(&g.dp, 0) != 0)
		abort();
	if (g.dp.c.drops)
		abort(); /* a read or write on the tap failed: an address it should not have had */
}

static void fz_op(struct fz_in *in, int op)
{
	uint32_t arg = (uint32_t)op >> 4;
	struct snring_done done[64];
	uint8_t *p;
	size_t off;

	switch (op & 15) {
	case 0: /* raw bytes into the shared region: config, indices, descriptors */
		off = (size_t)fz_uint(in, 2) % net_shared_size();
		p = (uint8_t *)g.shared + off;
		for (size_t i = 0; i < 4 * arg + 1 && off + i < net_shared_size() && in->left; i++)
			p[i] = (uint8_t)fz_byte(in);
		break;
	case 1: /* raw bytes into guest RAM */
		fz_ram_write(in, fz_gpa(in, true), 4 * arg + 1);
		break;
	case 2: /* the driver's handshake, with any features at all */
		/*
		 * The fake driver finds the rings where the config page says, and
		 * case 0 may have scribbled there; the device never reads it back.
		 */
		g.cfg->ring_offset = htole32(SNNET_CONFIG_SIZE);
		g.cfg->ring_size = htole32((uint32_t)g.dp.region_size);
		(void)fg_start(&g, (uint32_t)fz_uint(in, 1));
		break;
	case 3: /* reset */
		__atomic_store_n(&g.cfg->status, 0, __ATOMIC_RELEASE);
		fg_kick(&g, (int)(arg & 1));
		break;
	case 4:
		fz_post(in, arg & 1, 1 + (arg >> 1));
		break;
	case 5:
		fg_kick(&g, (int)(arg & 1));
		break;
	case 6: /* the host stack sends a frame of any length, 0 included */
		(void)send(g.tap[1], host_frame, (size_t)fz_uint(in, 3) % FZ_HOST_FRAME,
			   MSG_DONTWAIT);
		break;
	case 7:
		for (uint32_t i = 0; i <= arg; i++)
			fz_poll();
		break;
	case 8:
		fz_drain();
		break;
	case 9: /* the driver takes back what the device completed */
		if (g.q[arg & 1].desc)
			(void)snring_drv_reclaim_batch(&g.q[arg & 1], done, 64);
		break;
	case 10: /* asks for an interrupt, after some completions or at any index */
		if (!g.q[arg & 1].desc)
			break;
		if (arg & 2)
			g.q[arg & 1].mine->irq_at = htole32((uint32_t)fz_uint(in, 4));
		else
			(void)snring_drv_want_irq(&g.q[arg & 1]);
		break;
	default:
		fz_poll();
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data + 1, size ? size - 1 : 0};
	struct net_dp_params p = {0};
	struct fz_map ram;

	if (size < 1)
		return 0;
	memset(&g, 0, sizeof(g));
	g.mem = (struct guest_mem){
	    .host = fz_guarded(FZ_RAM, &ram), .ram_size = FZ_RAM, .low_size = FZ_RAM};
	if ((data[0] & 3) == 1)
		p.poll_us = 1;
	if ((data[0] & 3) == 2) {
		p.defer_us = 1;
		p.defer_min = 1 + (data[0] >> 2);
	}
	if (fg_init_dp(&g, -1, p))
		abort();
	if (!host_frame[1])
		for (size_t i = 0; i < sizeof(host_frame); i++)
			host_frame[i] = (uint8_t)(i * 7);
	while (in.left)
		fz_op(&in, fz_byte(&in));
	/* However the script ended, the worker settles within a few rounds. */
	for (int i = 0; i < 4; i++) {
		fz_poll();
		fz_drain();
	}
	if (getenv("FUZZ_NET_VERBOSE")) /* for whoever writes a seed: did it get anywhere? */
		fprintf(stderr,
			"fuzz_net: running %d tx %lu rx %lu errors %lu broken %lu kicks %lu\n",
			g.dp.running, (unsigned long)g.dp.c.tx_packets,
			(unsigned long)g.dp.c.rx_packets, (unsigned long)g.dp.c.protocol_errors,
			(unsigned long)g.dp.c.broken, (unsigned long)g.dp.c.kicks);
	g.mem.host = NULL; /* the guarded mapping is ours to unmap */
	fg_destroy(&g);
	munmap(ram.base, ram.total);
	return 0;
}
