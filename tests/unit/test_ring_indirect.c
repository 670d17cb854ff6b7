// SPDX-License-Identifier: MIT
/*
 * Indirect descriptors (SNRING_DESC_F_INDIRECT) and snring_dev_segments():
 * a good table becomes a scatter list of host pointers; every bad table is
 * refused, counted, and enough of them break the queue.
 */
#include "ring_rig.h"

#include <stdlib.h>

#define QSIZE  16
#define MAXLEN 4096
#define MAXIND 8

static void rig_setup(struct rig *r, bool device_writes, uint32_t max_indirect)
{
	struct snring_config cfg = {
	    .num_queues = 1, .queue_size = QSIZE, .max_len = MAXLEN, .max_indirect = max_indirect};

	ring_rig_setup(r, &cfg, 0, device_writes);
}

static struct snring_desc *table(struct rig *r, uint64_t gpa)
{
	return (struct snring_desc *)(r->win_mem + (gpa - WBASE));
}

/* Posts a table of n entries at gpa, dequeues it, returns snring_dev_segments()'s answer. */
static int post_table(struct rig *r, uint64_t gpa, uint32_t n, struct snring_seg *segs,
		      uint32_t max, uint32_t *total)
{
	struct snring_buf b = {
	    .addr = gpa, .len = n * 16, .id = 3, .flags = SNRING_DESC_F_INDIRECT};

	b.flags |= r->dev.want_flags;
	CHECK_EQ(snring_drv_post(&r->drv, &b), 0);
	snring_drv_flush(&r->drv);
	CHECK_EQ(snring_dev_dequeue(&r->dev, &b), 0);
	CHECK_EQ(b.flags & SNRING_DESC_F_INDIRECT, SNRING_DESC_F_INDIRECT);
	return snring_dev_segments(&r->dev, &b, segs, max, total);
}

static void test_good(void)
{
	struct rig r;
	struct snring_seg segs[MAXIND];
	struct snring_buf b = {.addr = WBASE + 0x100, .len = 300, .id = 1};
	uint32_t total = 0;
	struct snring_desc *t;

	rig_setup(&r, true, MAXIND);
	/* A plain descriptor: one segment. */
	b.flags = SNRING_DESC_F_WRITE;
	CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	snring_drv_flush(&r.drv);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), 0);
	CHECK_EQ(snring_dev_segments(&r.dev, &b, segs, MAXIND, &total), 1);
	CHECK(segs[0].ptr == r.win_mem + 0x100);
	CHECK_EQ(segs[0].len, 300);
	CHECK_EQ(total, 300);
	CHECK_EQ(snring_dev_complete(&r.dev, b.id, 300, 0), 0);

	t = table(&r, WBASE + 0x1000);
	snring_drv_set_indirect(t, 0, WBASE + 0x2000, 12, SNRING_DESC_F_WRITE);
	snring_drv_set_indirect(t, 1, WBASE + 0x3000, 1000, SNRING_DESC_F_WRITE);
	snring_drv_set_indirect(t, 2, WBASE + WSIZE - 100, 100, SNRING_DESC_F_WRITE);
	CHECK_EQ(post_table(&r, WBASE + 0x1000, 3, segs, MAXIND, &total), 3);
	CHECK(segs[0].ptr == r.win_mem + 0x2000);
	CHECK(segs[1].ptr == r.win_mem + 0x3000);
	CHECK(segs[2].ptr == r.win_mem + WSIZE - 100);
	CHECK_EQ(segs[1].len, 1000);
	CHECK_EQ(total, 1112);
	/* The table is read at the call: later guest writes do not alter the list. */
	snring_drv_set_indirect(t, 1, 0, 1000, SNRING_DESC_F_WRITE);
	CHECK(segs[1].ptr == r.win_mem + 0x3000);
	/* Exactly max_len in segments is fine. */
	snring_drv_set_indirect(t, 0, WBASE, MAXLEN - 1, SNRING_DESC_F_WRITE);
	snring_drv_set_indirect(t, 1, WBASE, 1, SNRING_DESC_F_WRITE);
	CHECK_EQ(post_table(&r, WBASE + 0x1000, 2, segs, MAXIND, &total), 2);
	CHECK_EQ(total, MAXLEN);
	CHECK_EQ(snring_dev_errors(&r.dev), 0);
	rig_teardown(&r);
}

/* Publishes an indirect descriptor the driver helpers would refuse, as a hostile guest does. */
static void raw_indirect(struct rig *r, uint64_t addr, uint32_t len)
{
	struct snring_desc *d = &r->drv.desc[r->drv.avail & r->drv.mask];

	d->addr = htole64(addr);
	d->len = htole32(len);
	d->id = htole16(1);
	d->flags = htole16(SNRING_DESC_F_INDIRECT);
	r->drv.avail++;
	snring_drv_flush(&r->drv);
}

static void test_bad(void)
{
	struct rig r;
	struct snring_seg segs[MAXIND];
	struct snring_buf b;
	uint32_t total = 0, errs = 0;
	struct snring_desc *t;

	rig_setup(&r, false, MAXIND);
	t = table(&r, WBASE + 0x1000);
	for (int i = 0; i < MAXIND; i++)
		snring_drv_set_indirect(t, (uint32_t)i, WBASE + 0x2000, 64, 0);

	snring_drv_set_indirect(t, 1, WBASE + 0x2000, 64, SNRING_DESC_F_INDIRECT);
	CHECK_EQ(post_table(&r, WBASE + 0x1000, 2, segs, MAXIND, &total), -EINVAL); /* nested */
	snring_drv_set_indirect(t, 1, WBASE + 0x2000, 64, SNRING_DESC_F_WRITE);
	CHECK_EQ(post_table(&r, WBASE + 0x1000, 2, segs, MAXIND, &total), -EINVAL); /* direction */
	snring_drv_set_indirect(t, 1, WBASE + 0x2000, 0, 0);
	CHECK_EQ(post_table(&r, WBASE + 0x1000, 2, segs, MAXIND, &total), -EMSGSIZE); /* empty */
	snring_drv_set_indirect(t, 1, WBASE + WSIZE - 10, 64, 0);
	CHECK_EQ(post_table(&r, WBASE + 0x1000, 2, segs, MAXIND, &total), -EFAULT); /* outside */
	snring_drv_set_indirect(t, 1, UINT64_MAX - 8, 64, 0);
	CHECK_EQ(post_table(&r, WBASE + 0x1000, 2, segs, MAXIND, &total), -EFAULT); /* wraps */
	snring_drv_set_indirect(t, 1, WBASE, MAXLEN, 0);
	CHECK_EQ(post_table(&r, WBASE + 0x1000, 2, segs, MAXIND, &total), -EMSGSIZE); /* sum */
	snring_drv_set_indirect(t, 1, WBASE, UINT32_MAX, 0);
	CHECK_EQ(post_table(&r, WBASE + 0x1000, 2, segs, MAXIND, &total), -EMSGSIZE); /* u32 */
	snring_drv_set_indirect(t, 1, WBASE + 0x2000, 64, 0);
	/* A caller with room for fewer segments than the queue allows: its mistake, not counted. */
	CHECK_EQ(post_table(&r, WBASE + 0x1000, 4, segs, 3, &total), -ENOBUFS);
	errs = 7;
	CHECK_EQ(snring_dev_errors(&r.dev), errs);
	CHECK_EQ(snring_dev_outstanding(&r.dev), 8); /* the caller completes them */

	/* Bad table shapes never get past the fetch: completed with an error there. */
	b = (struct snring_buf){.addr = WBASE + 0x1000, .len = (MAXIND + 1) * 16, .id = 1};
	b.flags = SNRING_DESC_F_INDIRECT;
	CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	snring_drv_flush(&r.drv);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), -EMSGSIZE);
	b = (struct snring_buf){.addr = WBASE + 0x1000, .len = 24, .id = 1};
	b.flags = SNRING_DESC_F_INDIRECT;
	CHECK_EQ(snring_drv_post(&r.drv, &b), -EINVAL); /* the driver helper refuses too */
	raw_indirect(&r, WBASE + 0x1000, 24);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), -EMSGSIZE);
	/* A table not 16-byte aligned (found by the fuzzer: entries are read in place). */
	b = (struct snring_buf){.addr = WBASE + 0x1001, .len = 16, .id = 1};
	b.flags = SNRING_DESC_F_INDIRECT;
	CHECK_EQ(snring_drv_post(&r.drv, &b), -EINVAL);
	raw_indirect(&r, WBASE + 0x1001, 16);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), -EINVAL);
	errs += 3;
	CHECK_EQ(snring_dev_errors(&r.dev), errs);

	/* A caller's own finding counts the same way (a frame too short, say). */
	snring_drv_set_indirect(t, 0, WBASE + 0x2000, 64, 0);
	CHECK_EQ(post_table(&r, WBASE + 0x1000, 1, segs, MAXIND, &total), 1);
	CHECK_EQ(snring_dev_reject(&r.dev, 3), 0);
	errs++;
	CHECK_EQ(snring_dev_errors(&r.dev), errs);
	while (errs < SNRING_ERROR_LIMIT - 1) {
		snring_drv_set_indirect(t, 0, 0, 64, 0);
		CHECK_EQ(post_table(&r, WBASE + 0x1000, 1, segs, MAXIND, &total), -EFAULT);
		CHECK_EQ(snring_dev_complete(&r.dev, 3, 0, SNRING_USED_F_ERROR), 0);
		snring_dev_flush(&r.dev);
		struct snring_done done[QSIZE];
		snring_drv_reclaim_batch(&r.drv, done, QSIZE);
		errs++;
	}
	CHECK(!snring_dev_broken(&r.dev));
	b = (struct snring_buf){.addr = WBASE, .len = 16, .id = 2, .flags = SNRING_DESC_F_INDIRECT};
	CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	snring_drv_flush(&r.drv);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), 0);
	CHECK_EQ(snring_dev_segments(&r.dev, &b, segs, MAXIND, &total),
		 -EMSGSIZE); /* a zero entry */
	CHECK(snring_dev_broken(&r.dev));
	CHECK_EQ(snring_dev_segments(&r.dev, &b, segs, MAXIND, &total), -EIO);
	rig_teardown(&r);
}

/* Each limit exactly met passes, one past it fails; the first bad entry decides the error. */
static void test_limits(void)
{
	struct rig r;
	struct snring_seg segs[MAXIND];
	struct snring_buf b;
	uint32_t total = 0;
	struct snring_desc *t;

	rig_setup(&r, false, MAXIND);
	t = table(&r, WBASE + 0x1000);
	for (uint32_t i = 0; i < MAXIND; i++)
		snring_drv_set_indirect(t, i, WBASE + 0x2000 + i * 64, 64, 0);
	/* max_indirect entries, into a caller's list of exactly that many. */
	CHECK_EQ(post_table(&r, WBASE + 0x1000, MAXIND, segs, MAXIND, &total), MAXIND);
	CHECK_EQ(total, MAXIND * 64);
	CHECK(segs[MAXIND - 1].ptr == r.win_mem + 0x2000 + (MAXIND - 1) * 64);
	CHECK_EQ(snring_dev_errors(&r.dev), 0);

	snring_drv_set_indirect(t, 0, WBASE, MAXLEN, 0);
	snring_drv_set_indirect(t, 1, WBASE, 1, 0);
	CHECK_EQ(post_table(&r, WBASE + 0x1000, 2, segs, MAXIND, &total), -EMSGSIZE); /* sum + 1 */
	snring_drv_set_indirect(t, 0, WBASE, 64, SNRING_DESC_F_WRITE);
	snring_drv_set_indirect(t, 1, WBASE, 0, 0);
	CHECK_EQ(post_table(&r, WBASE + 0x1000, 2, segs, MAXIND, &total), -EINVAL); /* first */
	raw_indirect(&r, WBASE + 0x1000, 0);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), -EMSGSIZE); /* an empty table */
	/* A caller with no room even for a plain descriptor's one segment. */
	b = (struct snring_buf){.addr = WBASE, .len = 64, .id = 4};
	CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	snring_drv_flush(&r.drv);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), 0);
	CHECK_EQ(snring_dev_segments(&r.dev, &b, segs, 0, &total), -ENOBUFS);
	CHECK_EQ(snring_dev_errors(&r.dev), 3);
	rig_teardown(&r);
}

/* The guest, from another vCPU, rewrites each entry while the device translates it. */
struct racing_win {
	struct snring_window win;
	struct snring_desc *t;
	bool armed;
};

static void *racing_xlate(void *ctx, uint64_t addr, uint64_t len)
{
	struct racing_win *rw = ctx;

	for (uint32_t i = 0; rw->armed && i < 2; i++)
		if (le64toh(rw->t[i].addr) == addr)
			rw->t[i].len = htole32(WSIZE); /* the entry being translated only */
	return snring_window_xlate(&rw->win, addr, len);
}

/* Each entry is read once: what was checked is what the scatter list holds. */
static void test_read_once(void)
{
	struct rig r;
	struct snring_seg segs[MAXIND];
	uint32_t total = 0;
	struct racing_win rw;

	rig_setup(&r, false, MAXIND);
	rw = (struct racing_win){.win = r.win, .t = table(&r, WBASE + 0x1000)};
	r.dev.xlate = racing_xlate;
	r.dev.xlate_ctx = &rw;
	snring_drv_set_indirect(rw.t, 0, WBASE + 0x2000, 100, 0);
	snring_drv_set_indirect(rw.t, 1, WBASE + 0x3000, 200, 0);
	struct snring_buf b = {
	    .addr = WBASE + 0x1000, .len = 32, .id = 3, .flags = SNRING_DESC_F_INDIRECT};
	CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	snring_drv_flush(&r.drv);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), 0);
	rw.armed = true;
	CHECK_EQ(snring_dev_segments(&r.dev, &b, segs, MAXIND, &total), 2);
	CHECK_EQ(segs[0].len, 100);
	CHECK_EQ(segs[1].len, 200);
	CHECK_EQ(total, 300);
	rig_teardown(&r);
}

static void test_config(void)
{
	struct rig r;
	struct snring_config c = {.num_queues = 1, .queue_size = 16, .max_len = 64};
	struct snring_buf b = {.addr = WBASE, .len = 32, .id = 0, .flags = SNRING_DESC_F_INDIRECT};
	void *region;

	c.max_indirect = SNRING_MAX_INDIRECT + 1;
	CHECK_EQ(snring_config_check(&c), -EINVAL);
	c.max_indirect = SNRING_MAX_INDIRECT;
	CHECK_EQ(snring_config_check(&c), 0);

	/* Not offered (max_indirect 0): a table is refused at the fetch. */
	rig_setup(&r, false, 0);
	CHECK_EQ(snring_drv_post(&r.drv, &b), 0);
	snring_drv_flush(&r.drv);
	CHECK_EQ(snring_dev_dequeue(&r.dev, &b), -EINVAL);
	CHECK_EQ(snring_dev_errors(&r.dev), 1);

	/* The driver's parse never inherits a stale device-side limit. */
	region = r.region;
	c.max_indirect = 0xdead;
	CHECK_EQ(snring_region_parse(region, r.size, &c), 0);
	CHECK_EQ(c.max_indirect, 0);
	rig_teardown(&r);
}

int main(void)
{
	test_good();
	test_bad();
	test_config();
	test_limits();
	test_read_once();
	return check_summary("test_ring_indirect");
}
