// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the device side of the ring against a driver that writes
 * anything at all into shared memory. The input is
 *
 *   byte 0   queue size 8 << (b & 3); bit 2: indirect tables allowed (8 entries)
 *   byte 1   error limit 1 + b
 *   then     the initial region contents (header, indices, descriptors), as far as it goes
 *   then     a script of one-byte ops, some followed by operand bytes, that
 *            interleaves device calls with hostile writes to shared memory
 *
 * The buffer window and the region sit between PROT_NONE guard pages, so any
 * access the ring lets through outside them faults; the harness also touches
 * every byte of every buffer the ring hands out. Every loop is bounded by the
 * input length or the ring size; the ring must not need more.
 */
#include "fuzz_input.h"
#include "snring.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FZ_WBASE  0x10000ULL
#define FZ_WSIZE  0x10000ULL
#define FZ_QUEUES 2
#define FZ_MAXLEN 2048
#define FZ_MAXIND 8

struct fz_queue {
	struct snring_dev dev;
	uint16_t outstanding[SNRING_MAX_SIZE];
	uint32_t nout;
};

struct fz {
	struct fz_in in;
	uint8_t *win;
	uint8_t *region;
	struct snring_config cfg;
	struct fz_queue q[FZ_QUEUES];
};

static void fz_touch(struct fz *f, struct fz_queue *q, uint8_t *ptr, uint32_t len)
{
	volatile uint8_t *p = ptr;
	uint8_t sum = 0;

	if (!p || ptr < f->win || len == 0 || len > FZ_MAXLEN ||
	    len > FZ_WSIZE - (size_t)(ptr - f->win))
		abort();
	for (uint32_t i = 0; i < len; i++) {
		if (q->dev.want_flags)
			p[i] = (uint8_t)i;
		else
			sum ^= p[i];
	}
	(void)sum;
}

/* An indirect table: whatever the driver wrote there, segments stay in the window. */
static void fz_check_table(struct fz *f, struct fz_queue *q, const struct snring_buf *b)
{
	struct snring_seg segs[FZ_MAXIND];
	uint32_t total = 0, sum = 0;
	int n;

	if (!q->dev.max_indirect || b->len % 16 || b->len / 16 > FZ_MAXIND)
		abort();
	n = snring_dev_segments(&q->dev, b, segs, FZ_MAXIND, &total);
	if (n < 0)
		return;
	if (n == 0 || (uint32_t)n != b->len / 16)
		abort();
	for (int i = 0; i < n; i++) {
		fz_touch(f, q, segs[i].ptr, segs[i].len);
		sum += segs[i].len;
	}
	if (sum != total || total > FZ_MAXLEN)
		abort();
}

static void fz_check_buf(struct fz *f, struct fz_queue *q, const struct snring_buf *b)
{
	volatile uint8_t *p = b->ptr;
	uint8_t sum = 0;

	if (!p || (uint8_t *)b->ptr < f->win || b->len == 0 || b->len > FZ_MAXLEN ||
	    b->len > FZ_WSIZE - (size_t)((uint8_t *)b->ptr - f->win) || b->id >= f->cfg.queue_size)
		abort();
	if (b->addr - FZ_WBASE != (uint64_t)((uint8_t *)b->ptr - f->win))
		abort();
	if (b->flags & SNRING_DESC_F_INDIRECT) {
		fz_check_table(f, q, b);
	} else {
		for (uint32_t i = 0; i < b->len; i++) {
			if (q->dev.want_flags)
				p[i] = (uint8_t)i; /* RX: the device writes */
			else
				sum ^= p[i];
		}
	}
	(void)sum;
	if (q->nout >= f->cfg.queue_size)
		abort(); /* the ring handed out more than a ring's worth */
	q->outstanding[q->nout++] = b->id;
}

static void fz_op(struct fz *f, int op)
{
	struct fz_queue *q = &f->q[(op >> 3) & 1];
	struct snring_queue *sq = snring_queue_at(f->region, f->cfg.queue_size, (op >> 3) & 1);
	struct snring_buf b[16];
	int n;

	switch (op & 7) {
	case 0:
		n = snring_dev_dequeue_batch(&q->dev, b, 1 + ((unsigned)op >> 4));
		for (int i = 0; i < n; i++)
			fz_check_buf(f, q, &b[i]);
		break;
	case 1:
		if (q->nout) {
			uint16_t id = q->outstanding[--q->nout];
			if (snring_dev_complete(&q->dev, id, (uint32_t)op, 0) && !q->dev.broken)
				abort();
		} else if (snring_dev_complete(&q->dev, 0, 0, 0) == 0) {
			abort(); /* completed something never consumed */
		}
		break;
	case 2:
		(void)snring_dev_flush(&q->dev);
		break;
	case 3: /* n from 0 (taken as 1) to 15, clamped to the ring */
		(void)snring_dev_want_kick_after(&q->dev, (unsigned)op >> 4);
		break;
	case 4:
		if (snring_dev_peek(&q->dev, b) == 0 && snring_dev_dequeue(&q->dev, &b[1]) == 0) {
			if (memcmp(&b[0], &b[1], sizeof(b[0])))
				abort(); /* peek and dequeue must agree: no second fetch */
			fz_check_buf(f, q, &b[1]);
		}
		break;
	case 5:
		sq->drv.avail = htole32((uint32_t)fz_uint(&f->in, 4));
		break;
	case 6: {
		int slot = fz_byte(&f->in);
		uint8_t raw[16] = {0};
		for (int i = 0; i < 16 && f->in.left; i++)
			raw[i] = (uint8_t)fz_byte(&f->in);
		if (slot >= 0)
			memcpy(&sq->desc[(uint32_t)slot & (f->cfg.queue_size - 1)], raw, 16);
		break;
	}
	case 7:
		sq->drv.irq_at = htole32((uint32_t)fz_uint(&f->in, 4));
		break;
	}
	/* What the device believes must stay within a ring, whatever the driver did. */
	if (q->dev.next - q->dev.used > q->dev.size ||
	    q->dev.used - q->dev.used_pub > q->dev.size ||
	    q->dev.avail_known - q->dev.next > q->dev.size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz *f;
	size_t rsize, n;
	struct fz_map rmap, wmap;
	struct snring_window w;

	if (size < 2)
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		abort();
	f->cfg = (struct snring_config){.num_queues = FZ_QUEUES,
					.queue_size = 8u << (data[0] & 3),
					.max_len = FZ_MAXLEN,
					.max_indirect = (data[0] & 4) ? FZ_MAXIND : 0};
	rsize = snring_region_size(&f->cfg);
	f->region = fz_guarded(rsize, &rmap);
	f->win = fz_guarded(FZ_WSIZE, &wmap);
	w = (struct snring_window){FZ_WBASE, FZ_WSIZE, f->win};
	if (snring_region_init(f->region, rsize, &f->cfg))
		abort();
	for (uint32_t i = 0; i < FZ_QUEUES; i++) {
		if (snring_dev_init(&f->q[i].dev, f->region, rsize, &f->cfg, i,
				    i == SNRING_QUEUE_RX, snring_window_xlate, &w))
			abort();
		f->q[i].dev.error_limit = 1u + data[1];
	}
	f->in = (struct fz_in){data + 2, size - 2};
	n = f->in.left < rsize ? f->in.left : rsize;
	memcpy(f->region, f->in.in, n);
	f->in.in += n;
	f->in.left -= n;
	while (f->in.left)
		fz_op(f, fz_byte(&f->in));
	/* Drain as a worker would: bounded by the ring, not by the driver's goodwill. */
	for (uint32_t i = 0; i < FZ_QUEUES; i++) {
		struct snring_buf b;
		uint32_t rounds = 0;
		int r;
		while ((r = snring_dev_dequeue(&f->q[i].dev, &b)) != -EAGAIN && r != -EIO) {
			/* Good slots are at most a ring; bad ones and bad indices break the queue.
			 */
			if (++rounds > f->cfg.queue_size + 257u)
				abort();
			if (r == 0)
				fz_check_buf(f, &f->q[i], &b);
		}
	}
	munmap(rmap.base, rmap.total);
	munmap(wmap.base, wmap.total);
	free(f);
	return 0;
}
