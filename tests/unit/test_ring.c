// SPDX-License-Identifier: MIT
/*
 * Single-threaded tests of the ring: layout, the happy path, notification
 * decisions, and every check the device side makes on a hostile driver.
 * The "driver" here is often the test writing shared memory by hand.
 */
#include "ring_rig.h"

#include <stdlib.h>

#define QSIZE  16
#define MAXLEN 2048

static void rig_setup(struct rig *r, bool device_writes)
{
	struct snring_config cfg = {.num_queues = 2, .queue_size = QSIZE, .max_len = MAXLEN};

	ring_rig_setup(r, &cfg, 1, device_writes);
}

static struct snring_queue *rig_q(struct rig *r)
{
	return snring_queue_at(r->region, QSIZE, 1);
}

/* Writes a raw descriptor at slot `pos` and publishes avail = pos + 1, as a hostile guest would. */
static void raw_post(struct rig *r, uint32_t pos, uint64_t addr, uint32_t len, uint16_t id,
		     uint16_t flags)
{
	struct snring_queue *q = rig_q(r);
	struct snring_desc *d = &q->desc[pos & (QSIZE - 1)];

	d->addr = htole64(addr);
	d->len = htole32(len);
	d->id = htole16(id);
	d->flags = htole16(flags);
	q->drv.avail = htole32(pos + 1);
}

static void test_layout(void)
{
	struct rig r;
	struct snring_config back;
	uint8_t *p;

	rig_setup(&r, false);
	p = r.region;
	CHECK_EQ(snring_queue_stride(QSIZE), 128 + 24 * QSIZE);
	CHECK_EQ(r.size, 64 + 2 * (128 + 24 * QSIZE));
	CHECK_EQ(p[0], 'S');
	CHECK_EQ(p[3], 'G');
	CHECK_EQ(snring_region_parse(r.region, r.size, &back), 0);
	CHECK_EQ(back.queue_size, QSIZE);
	CHECK_EQ(back.max_len, MAXLEN);
	CHECK_EQ(back.num_queues, 2);
	CHECK_EQ(snring_region_parse(r.region, r.size - 1, &back), -ENOSPC);
	/* A header shorter than its own size, or not on a cache line, is no region. */
	CHECK_EQ(snring_region_parse(r.region, SNRING_HDR_SIZE - 1, &back), -EINVAL);
	CHECK_EQ(snring_region_parse(p + 8, r.size - 8, &back), -EINVAL);
	/* Queue 1 starts right after queue 0. */
	CHECK_EQ((uint8_t *)rig_q(&r) - p, 64 + 128 + 24 * QSIZE);
	p[4] = 2; /* version */
	CHECK_EQ(snring_region_parse(r.region, r.size, &back), -EPROTO);
	p[4] = 1;
	p[16] = 12; /* queue_size not a power of two */
	CHECK_EQ(snring_region_parse(r.region, r.size, &back), -EPROTO);
	rig_teardown(&r);

	struct snring_config bad = {.num_queues = 2, .queue_size = 4, .max_len = 1};
	CHECK_EQ(snring_config_check(&bad), -EINVAL);
	bad.queue_size = 65536;
	CHECK_EQ(snring_config_check(&bad), -EINVAL);
	bad.queue_size = 64;
	bad.num_queues = 0;
	CHECK_EQ(snring_config_check(&bad), -EINVAL);
}

static void test_roundtrip(void)
{
	struct rig r;
	struct snring_buf b, got[QSIZE];
	struct snring_done d[QSIZE];
	int n;

	rig_setup(&r, true);
	CHECK_EQ(snring_drv_free(&r.drv), QSIZE);
	for (uint16_t i = 0; i < QSIZE; i++) {
		b = (struct snring_buf){
		    .addr = WBASE + i * 256u, .len = 256, .id = i, .flags = SNRING_DESC_F_WRITE};
		CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	}
	CHECK_EQ(snring_drv_post(&r.drv, &b), -ENOSPC);
	CHECK_EQ(snring_drv_free(&r.drv), 0);
	/* Nothing is visible before the flush; the fresh device asked for a kick. */
	CHECK_EQ(snring_dev_avail(&r.dev), 0);
	CHECK(snring_drv_flush(&r.drv));
	CHECK(!snring_drv_flush(&r.drv));
	CHECK_EQ(snring_dev_avail(&r.dev), QSIZE);

	CHECK_EQ(snring_dev_peek(&r.dev, &got[0]), 0);
	CHECK_EQ(snring_dev_peek(&r.dev, &got[1]), 0);
	CHECK_EQ(got[1].id, got[0].id);
	CHECK(got[0].ptr == r.win_mem);
	n = snring_dev_dequeue_batch(&r.dev, got, 5);
	CHECK_EQ(n, 5);
	CHECK_EQ(got[4].id, 4);
	CHECK(got[4].ptr == r.win_mem + 4 * 256);
	CHECK_EQ(snring_dev_outstanding(&r.dev), 5);

	/* Out-of-order completion is allowed. */
	CHECK_EQ(snring_dev_complete(&r.dev, 3, 60, 0), 0);
	CHECK_EQ(snring_dev_complete(&r.dev, 0, 61, 0), 0);
	CHECK_EQ(snring_drv_pending(&r.drv), 0);
	CHECK(snring_dev_flush(&r.dev)); /* irq_at starts at 0 */
	CHECK_EQ(snring_drv_reclaim_batch(&r.drv, d, QSIZE), 2);
	CHECK_EQ(d[0].id, 3);
	CHECK_EQ(d[0].len, 60);
	CHECK_EQ(d[1].id, 0);
	CHECK_EQ(snring_drv_free(&r.drv), 2);

	/* Driver polling: no interrupt until it re-enables. */
	CHECK_EQ(snring_dev_complete(&r.dev, 1, 1, 0), 0);
	CHECK(!snring_dev_flush(&r.dev));
	CHECK_EQ(snring_drv_want_irq(&r.drv), 1); /* work arrived: keep polling */
	CHECK_EQ(snring_drv_reclaim(&r.drv, d), 1);
	CHECK_EQ(snring_drv_want_irq(&r.drv), 0); /* now armed */
	CHECK_EQ(snring_dev_complete(&r.dev, 2, 1, 0), 0);
	CHECK_EQ(snring_dev_complete(&r.dev, 4, 1, 0), 0);
	CHECK(snring_dev_flush(&r.dev));
	CHECK_EQ(snring_dev_complete(&r.dev, 4, 1, 0), -EINVAL); /* nothing outstanding */

	/* Device consuming: no kick until it arms. */
	CHECK_EQ(snring_drv_reclaim_batch(&r.drv, d, QSIZE), 2);
	CHECK_EQ(snring_drv_free(&r.drv), 5);
	b.id = 0;
	CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	CHECK(!snring_drv_flush(&r.drv)); /* kick_at is stale: the device is busy */
	/* The device still knows of 11 and does not re-read avail to say so. */
	CHECK_EQ(snring_dev_want_kick(&r.dev), QSIZE - 5);
	n = snring_dev_dequeue_batch(&r.dev, got, QSIZE);
	CHECK_EQ(n, QSIZE - 5 + 1);
	CHECK_EQ(snring_dev_dequeue(&r.dev, got), -EAGAIN);
	CHECK_EQ(snring_dev_want_kick(&r.dev), 0);
	CHECK(snring_drv_flush(&r.drv) == false); /* nothing new to publish */
	CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	CHECK(snring_drv_flush(&r.drv)); /* armed: this post kicks */
	CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	CHECK(!snring_drv_flush(&r.drv)); /* but only once */

	/* Quiet: a device awake anyway withdraws its arm; posts kick again once it re-arms. */
	CHECK_EQ(snring_dev_dequeue_batch(&r.dev, got, QSIZE), 2);
	CHECK_EQ(snring_dev_want_kick(&r.dev), 0);
	snring_dev_quiet(&r.dev);
	CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	CHECK(!snring_drv_flush(&r.drv));
	CHECK_EQ(snring_dev_want_kick(&r.dev), 1); /* re-armed, and the post is seen */
	CHECK_EQ(snring_dev_dequeue(&r.dev, got), 0);
	CHECK_EQ(snring_dev_want_kick(&r.dev), 0);
	CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	CHECK(snring_drv_flush(&r.drv));
	CHECK_EQ(snring_dev_errors(&r.dev), 0);
	rig_teardown(&r);
}

/* A delayed interrupt request fires at the n-th completion, not before, and never past what is in
 * flight. */
static void test_want_irq_after(void)
{
	struct rig r;
	struct snring_buf b, got[QSIZE];
	struct snring_done d[QSIZE];

	rig_setup(&r, true);
	for (uint16_t i = 0; i < 8; i++) {
		b = (struct snring_buf){
		    .addr = WBASE + i * 256u, .len = 256, .id = i, .flags = SNRING_DESC_F_WRITE};
		CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	}
	snring_drv_flush(&r.drv);
	CHECK_EQ(snring_dev_dequeue_batch(&r.dev, got, QSIZE), 8);
	CHECK_EQ(snring_drv_want_irq_after(&r.drv, 3), 0);
	for (uint16_t i = 0; i < 2; i++) {
		CHECK_EQ(snring_dev_complete(&r.dev, i, 1, 0), 0);
		CHECK(!snring_dev_flush(&r.dev)); /* completions 1 and 2: not yet */
	}
	/* Two are ready but three were asked for: still safe to wait. */
	CHECK_EQ(snring_drv_want_irq_after(&r.drv, 3), 0);
	CHECK_EQ(snring_dev_complete(&r.dev, 2, 1, 0), 0);
	CHECK(snring_dev_flush(&r.dev));		   /* the third */
	CHECK_EQ(snring_drv_want_irq_after(&r.drv, 3), 3); /* already there: reclaim */
	/* Asked again before reclaiming: what it already saw answers, with no request made. */
	rig_q(&r)->drv.irq_at = htole32(0xdead);
	CHECK_EQ(snring_drv_want_irq_after(&r.drv, 3), 3);
	CHECK_EQ(snring_drv_want_irq_after(&r.drv, 1), 3);
	CHECK_EQ(le32toh(rig_q(&r)->drv.irq_at), 0xdead);
	CHECK_EQ(snring_drv_reclaim_batch(&r.drv, d, QSIZE), 3);
	/* Asking for more than is in flight (5) waits for the last one only. */
	CHECK_EQ(snring_drv_want_irq_after(&r.drv, 100), 0);
	for (uint16_t i = 3; i < 7; i++) {
		CHECK_EQ(snring_dev_complete(&r.dev, i, 1, 0), 0);
		CHECK(!snring_dev_flush(&r.dev));
	}
	CHECK_EQ(snring_dev_complete(&r.dev, 7, 1, 0), 0);
	CHECK(snring_dev_flush(&r.dev));
	CHECK_EQ(snring_drv_reclaim_batch(&r.drv, d, QSIZE), 5);
	/* A device whose used index runs ahead is caught here too. */
	rig_q(&r)->dev.used = htole32(100);
	CHECK_EQ(snring_drv_want_irq_after(&r.drv, 2), -EPROTO);
	rig_teardown(&r);
}

/*
 * A delayed kick request (the NIC's RX out of buffers) kicks at the n-th post,
 * not before; posts the device finds on its re-check are its to take, however
 * few; n is clamped to 1..size.
 */
static void test_want_kick_after(void)
{
	struct rig r;
	struct snring_buf b = {.addr = WBASE, .len = 256, .flags = SNRING_DESC_F_WRITE}, got[QSIZE];

	rig_setup(&r, true);
	CHECK_EQ(snring_dev_want_kick_after(&r.dev, 3), 0);
	CHECK_EQ(le32toh(rig_q(&r)->dev.kick_at), 2);
	for (int i = 0; i < 2; i++) {
		b.id = (uint16_t)i;
		CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
		CHECK(!snring_drv_flush(&r.drv)); /* posts 1 and 2: not yet */
	}
	/* Before it sleeps the device sees the two (a round woken by something else). */
	CHECK_EQ(snring_dev_want_kick_after(&r.dev, 3), 2);
	CHECK_EQ(snring_dev_dequeue_batch(&r.dev, got, QSIZE), 2);
	CHECK_EQ(snring_dev_want_kick_after(&r.dev, 3), 0);
	for (int i = 2; i < 5; i++) {
		b.id = (uint16_t)i;
		CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	}
	CHECK(snring_drv_flush(&r.drv)); /* three in one flush: past kick_at */
	CHECK_EQ(snring_dev_dequeue_batch(&r.dev, got, QSIZE), 3);
	CHECK_EQ(snring_dev_want_kick_after(&r.dev, 0), 0); /* 0 is 1: the next post */
	CHECK_EQ(le32toh(rig_q(&r)->dev.kick_at), 5);
	CHECK_EQ(snring_dev_want_kick_after(&r.dev, 1000), 0); /* at most a ring's worth */
	CHECK_EQ(le32toh(rig_q(&r)->dev.kick_at), 5 + QSIZE - 1);
	rig_teardown(&r);
}

/*
 * snring_drv_post_batch(): posts until the ring is full and says how many; a
 * bad descriptor ends the batch, refused with -EINVAL only when it comes first.
 */
static void test_post_batch(void)
{
	struct rig r;
	struct snring_buf b[QSIZE + 4], got[QSIZE];

	rig_setup(&r, false);
	for (uint16_t i = 0; i < QSIZE + 4; i++)
		b[i] = (struct snring_buf){.addr = WBASE + i * 64u, .len = 64, .id = i % QSIZE};
	CHECK_EQ(snring_drv_post_batch(&r.drv, b, 5), 5);
	CHECK_EQ(snring_drv_post_batch(&r.drv, b + 5, QSIZE), QSIZE - 5); /* the ring is full */
	CHECK_EQ(snring_drv_post_batch(&r.drv, b, 1), 0);
	snring_drv_flush(&r.drv);
	CHECK_EQ(snring_dev_dequeue_batch(&r.dev, got, QSIZE), QSIZE);
	CHECK_EQ(got[0].id, 0);
	CHECK_EQ(got[QSIZE - 1].id, QSIZE - 1);
	CHECK_EQ(got[QSIZE - 1].addr, WBASE + (QSIZE - 1) * 64u);
	rig_teardown(&r);

	rig_setup(&r, false);
	b[2].len = 0;
	CHECK_EQ(snring_drv_post_batch(&r.drv, b, 4), 2); /* the two before the bad one */
	CHECK_EQ(snring_drv_inflight(&r.drv), 2);
	CHECK_EQ(snring_drv_post_batch(&r.drv, b + 2, 2), -EINVAL);
	CHECK_EQ(snring_drv_inflight(&r.drv), 2);
	CHECK_EQ(snring_drv_post_batch(&r.drv, b, 0), 0);
	rig_teardown(&r);
}

static void test_need_event(void)
{
	CHECK(snring_need_event(5, 6, 5));
	CHECK(snring_need_event(5, 9, 3));
	CHECK(!snring_need_event(5, 5, 3));
	CHECK(!snring_need_event(2, 9, 3));
	CHECK(snring_need_event(0xffffffffu, 2, 0xfffffff0u)); /* across the wrap */
	CHECK(!snring_need_event(0xffffffe0u, 2, 0xfffffff0u));
}

/* One hostile descriptor: rejected with `err`, consumed, completed with the error flag. */
static void expect_bad_desc(uint64_t addr, uint32_t len, uint16_t id, uint16_t flags, int err)
{
	struct rig r;
	struct snring_buf b;
	struct snring_done d;

	rig_setup(&r, false);
	raw_post(&r, 0, addr, len, id, flags);
	raw_post(&r, 1, WBASE, 64, 7, 0);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), err);
	CHECK_EQ(snring_dev_errors(&r.dev), 1);
	CHECK(!snring_dev_broken(&r.dev));
	CHECK_EQ(snring_dev_outstanding(&r.dev), 0);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), 0); /* the next good one still works */
	CHECK_EQ(b.id, 7);
	CHECK_EQ(snring_dev_complete(&r.dev, b.id, 64, 0), 0);
	CHECK(snring_dev_flush(&r.dev));
	r.drv.avail = r.drv.avail_pub = 2; /* what the hand-written posts amount to */
	/* The bad id is echoed; the driver flags it too. */
	CHECK_EQ(snring_drv_reclaim(&r.drv, &d), id < QSIZE ? 1 : -EBADMSG);
	CHECK_EQ(d.flags, SNRING_USED_F_ERROR);
	CHECK_EQ(d.len, 0);
	CHECK_EQ(d.id, id);
	CHECK_EQ(snring_drv_reclaim(&r.drv, &d), 1);
	CHECK_EQ(d.id, 7);
	CHECK_EQ(r.drv.bad_ids, id < QSIZE ? 0u : 1u);
	rig_teardown(&r);
}

/* A bad completion id after a good one: the batch returns the good one, the bad is counted. */
static void test_batch_bad_id(void)
{
	struct rig r;
	struct snring_buf b;
	struct snring_done d[4];

	rig_setup(&r, false);
	raw_post(&r, 0, WBASE, 64, 7, 0);
	raw_post(&r, 1, WBASE, 64, QSIZE, 0);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), 0);
	CHECK_EQ(snring_dev_complete(&r.dev, b.id, 64, 0), 0);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), -ERANGE);
	CHECK(snring_dev_flush(&r.dev));
	r.drv.avail = r.drv.avail_pub = 2;
	CHECK_EQ(snring_drv_reclaim_batch(&r.drv, d, 4), 1);
	CHECK_EQ(d[0].id, 7);
	CHECK_EQ(r.drv.bad_ids, 1u);
	CHECK_EQ(snring_drv_reclaim_batch(&r.drv, d, 4), 0);
	rig_teardown(&r);
}

static void test_bad_descriptors(void)
{
	expect_bad_desc(WBASE - 1, 64, 0, 0, -EFAULT);		     /* starts before window */
	expect_bad_desc(WBASE + WSIZE - 63, 64, 0, 0, -EFAULT);	     /* ends past window */
	expect_bad_desc(WBASE + WSIZE, 1, 0, 0, -EFAULT);	     /* just past window */
	expect_bad_desc(0xffffffffffffffc0ULL, 0x80, 0, 0, -EFAULT); /* addr + len wraps */
	expect_bad_desc(WBASE, MAXLEN + 1, 0, 0, -EMSGSIZE);	     /* oversize */
	expect_bad_desc(WBASE, 0, 0, 0, -EMSGSIZE);		     /* empty */
	expect_bad_desc(WBASE, 64, QSIZE, 0, -ERANGE);		     /* id out of range */
	expect_bad_desc(WBASE, 64, 0xffff, 0, -ERANGE);		     /* id far out */
	expect_bad_desc(WBASE, 64, 0, SNRING_DESC_F_WRITE, -EINVAL); /* wrong direction */
	expect_bad_desc(WBASE, 64, 0, 0x8000, -EINVAL);		     /* unknown flag */

	/* The window's last byte is fine. */
	struct rig r;
	struct snring_buf b;
	rig_setup(&r, false);
	raw_post(&r, 0, WBASE + WSIZE - 1, 1, 0, 0);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), 0);
	CHECK(b.ptr == r.win_mem + WSIZE - 1);
	rig_teardown(&r);
}

static void test_bad_indices(void)
{
	struct rig r;
	struct snring_buf b;
	struct snring_queue *q;

	rig_setup(&r, false);
	q = rig_q(&r);
	q->drv.avail = htole32(QSIZE + 1); /* more than a ring ahead */
	CHECK_EQ(snring_dev_avail(&r.dev), -EPROTO);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), -EPROTO);
	CHECK_EQ(snring_dev_want_kick(&r.dev), -EPROTO);
	q->drv.avail = htole32(0xfffffff0u); /* backwards */
	CHECK_EQ(snring_dev_dequeue_batch(&r.dev, &b, 1), -EPROTO);
	CHECK_EQ(snring_dev_errors(&r.dev), 4);
	/* Exactly a ring ahead is legal. */
	for (uint32_t i = 0; i < QSIZE; i++)
		raw_post(&r, i, WBASE, 64, (uint16_t)i, 0);
	CHECK_EQ(snring_dev_avail(&r.dev), QSIZE);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), 0);
	CHECK_EQ(snring_dev_complete(&r.dev, b.id, 0, 0), 0);
	CHECK(snring_dev_flush(&r.dev));
	/* One completion published: the driver may now be QSIZE + 1 in total, not + 2. */
	q->drv.avail = htole32(QSIZE + 2);
	CHECK_EQ(snring_dev_avail(&r.dev), -EPROTO);
	q->drv.avail = htole32(QSIZE + 1);
	CHECK_EQ(snring_dev_avail(&r.dev), QSIZE);
	/* Behind what we consumed, but ahead of used_pub: still backwards. */
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), 0);
	q->drv.avail = htole32(1);
	r.dev.avail_known = 2; /* make the device re-read */
	CHECK_EQ(snring_dev_avail(&r.dev), -EPROTO);
	rig_teardown(&r);

	/* Driver side: a device completing more than was published. */
	rig_setup(&r, false);
	b = (struct snring_buf){.addr = WBASE, .len = 8, .id = 1};
	CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	rig_q(&r)->dev.used = htole32(1); /* not yet published by the driver */
	CHECK_EQ(snring_drv_pending(&r.drv), -EPROTO);
	snring_drv_flush(&r.drv);
	CHECK_EQ(snring_drv_pending(&r.drv), 1);
	rig_teardown(&r);
}

static void test_broken(void)
{
	struct rig r;
	struct snring_buf b[QSIZE];
	int n;

	rig_setup(&r, false);
	r.dev.error_limit = 5;
	for (uint32_t i = 0; i < QSIZE; i++)
		raw_post(&r, i, i == 9 ? WBASE : 0, 64, (uint16_t)i, 0);
	/* Bad slots are skipped; the batch stops once the queue is broken. */
	n = snring_dev_dequeue_batch(&r.dev, b, QSIZE);
	CHECK_EQ(n, -EIO);
	CHECK(snring_dev_broken(&r.dev));
	CHECK_EQ(snring_dev_errors(&r.dev), 5);
	CHECK_EQ(snring_dev_dequeue(&r.dev, b), -EIO);
	CHECK_EQ(snring_dev_peek(&r.dev, b), -EIO);
	CHECK_EQ(snring_dev_avail(&r.dev), -EIO);
	CHECK_EQ(snring_dev_want_kick(&r.dev), -EIO);
	CHECK_EQ(snring_dev_complete(&r.dev, 0, 0, 0), -EIO);
	CHECK(!snring_dev_flush(&r.dev));
	rig_teardown(&r);

	/* A batch that meets a bad slot mid-way keeps going past it. */
	rig_setup(&r, false);
	raw_post(&r, 0, WBASE, 64, 0, 0);
	raw_post(&r, 1, WBASE, 64, 99, 0);
	raw_post(&r, 2, WBASE, 64, 2, 0);
	n = snring_dev_dequeue_batch(&r.dev, b, QSIZE);
	CHECK_EQ(n, 2);
	CHECK_EQ(b[1].id, 2);
	CHECK_EQ(snring_dev_errors(&r.dev), 1);
	rig_teardown(&r);
}

/* The caller's own rejection that breaks the queue says so. */
static void test_reject_breaks(void)
{
	struct rig r;
	struct snring_buf b[2];

	rig_setup(&r, false);
	r.dev.error_limit = 2;
	raw_post(&r, 0, WBASE, 64, 0, 0);
	raw_post(&r, 1, WBASE, 64, 1, 0);
	CHECK_EQ(snring_dev_dequeue_batch(&r.dev, b, 2), 2);
	CHECK_EQ(snring_dev_reject(&r.dev, b[0].id), 0);
	CHECK(!snring_dev_broken(&r.dev));
	CHECK_EQ(snring_dev_reject(&r.dev, b[1].id), -EIO);
	CHECK(snring_dev_broken(&r.dev));
	rig_teardown(&r);
}

static void test_init_errors(void)
{
	struct snring_config c = {.num_queues = 2, .queue_size = 8, .max_len = 64};
	size_t size = snring_region_size(&c);
	uint8_t *mem = aligned_alloc(64, size + 64);
	struct snring_dev dev;
	struct snring_drv drv;
	struct snring_window w = {0};

	CHECK_EQ(snring_region_init(mem, size - 1, &c), -ENOSPC);
	CHECK_EQ(snring_region_init(mem + 8, size, &c), -EINVAL);
	CHECK_EQ(snring_region_init(mem, size, &c), 0);
	CHECK_EQ(snring_dev_init(&dev, mem, size - 1, &c, 0, false, snring_window_xlate, &w),
		 -ENOSPC);
	CHECK_EQ(snring_dev_init(&dev, mem, size, &c, 2, false, snring_window_xlate, &w), -EINVAL);
	CHECK_EQ(snring_dev_init(&dev, mem, size, &c, 0, false, NULL, &w), -EINVAL);
	CHECK_EQ(snring_drv_init(&drv, mem, &c, 2), -EINVAL);
	free(mem);
}

int main(void)
{
	test_layout();
	test_roundtrip();
	test_want_irq_after();
	test_want_kick_after();
	test_post_batch();
	test_need_event();
	test_bad_descriptors();
	test_batch_bad_id();
	test_bad_indices();
	test_broken();
	test_reject_breaks();
	test_init_errors();
	return check_summary("ring");
}
