/* SPDX-License-Identifier: MIT */
/*
 * Two-thread stress of one queue, shared by the ASan (test_ring_stress.c) and
 * TSan (tsan_ring_stress.c) builds. The driver thread fills buffers with a
 * sequence number and a checksummed payload, posts them in random batches
 * and checks every completion against what it posted; the device thread
 * checks order and payload and completes in scrambled order. Both sleep at
 * random now and then so the ring runs empty, full and everything between.
 */
#ifndef RING_STRESS_H
#define RING_STRESS_H

#include "check.h"
#include "snring.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#define STRESS_QSIZE 256
#define STRESS_SLOT  128 /* bytes per buffer; a buffer carries 16..128 */
#define STRESS_BASE  0x40000000ULL
#define STRESS_TOTAL 10000000ULL
#define STRESS_BATCH 64

struct stress_side {
	uint64_t rng;
	uint64_t done;	 /* descriptors fully handled by this side */
	uint64_t errors; /* anything unexpected; each is also reported once below */
	uint64_t batches;
	uint64_t kicks; /* notifications the protocol asked for */
};

struct stress {
	uint64_t total;
	struct snring_config cfg;
	void *region;
	uint64_t *pool;
	struct snring_window win;
	struct snring_drv drv;
	struct snring_dev dev;
	struct stress_side ds, vs; /* driver side, device side */
	int abort;		   /* set by a side that failed; atomic */
};

static inline uint64_t stress_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline uint64_t stress_sum(const uint64_t *w, uint32_t words, uint64_t seq)
{
	uint64_t h = seq * 0x9e3779b97f4a7c15ULL;

	for (uint32_t i = 2; i < words; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL;
	return h;
}

static inline void stress_nap(uint64_t *rng)
{
	if (stress_rand(rng) % 2048 == 0) {
		struct timespec ts = {0, (long)(stress_rand(rng) % 50000)};
		nanosleep(&ts, NULL);
	}
}

static inline void stress_fail(struct stress *t, struct stress_side *s, const char *what,
			       uint64_t a, uint64_t b)
{
	__atomic_store_n(&t->abort, 1, __ATOMIC_RELAXED);
	if (s->errors++ < 5)
		fprintf(stderr, "ring stress: %s (%llu vs %llu)\n", what, (unsigned long long)a,
			(unsigned long long)b);
}

static void *stress_driver(void *arg)
{
	struct stress *t = arg;
	struct stress_side *s = &t->ds;
	uint16_t free_ids[STRESS_QSIZE];
	uint32_t nfree = STRESS_QSIZE, lens[STRESS_QSIZE] = {0};
	struct snring_done done[STRESS_BATCH];
	uint64_t sent = 0;

	for (uint32_t i = 0; i < STRESS_QSIZE; i++)
		free_ids[i] = (uint16_t)i;
	while (s->done < t->total && !__atomic_load_n(&t->abort, __ATOMIC_RELAXED)) {
		int got = snring_drv_reclaim_batch(&t->drv, done, STRESS_BATCH);
		if (got < 0)
			stress_fail(t, s, "reclaim", (uint64_t)-got, 0);
		for (int i = 0; i < got; i++) {
			if (done[i].flags || lens[done[i].id] != done[i].len)
				stress_fail(t, s, "completion length", done[i].len,
					    lens[done[i].id]);
			lens[done[i].id] = 0;
			free_ids[nfree++] = done[i].id;
			s->done++;
		}
		uint64_t want = 1 + stress_rand(&s->rng) % STRESS_BATCH;
		uint32_t posted = 0;
		while (posted < want && nfree && sent < t->total) {
			uint16_t id = free_ids[--nfree];
			uint64_t *w = t->pool + (size_t)id * (STRESS_SLOT / 8);
			uint32_t words =
			    2 + (uint32_t)(stress_rand(&s->rng) % (STRESS_SLOT / 8 - 1));
			for (uint32_t k = 2; k < words; k++)
				w[k] = sent * words + k;
			w[0] = sent;
			w[1] = stress_sum(w, words, sent);
			lens[id] = words * 8;
			struct snring_buf b = {.addr = STRESS_BASE + (uint64_t)id * STRESS_SLOT,
					       .len = words * 8,
					       .id = id};
			if (snring_drv_post(&t->drv, &b))
				stress_fail(t, s, "post", id, nfree);
			sent++;
			posted++;
		}
		s->kicks += snring_drv_flush(&t->drv);
		s->batches++;
		if (!posted && !got) {
			/* Exercise the re-enable path; the result only says whether to keep
			 * polling. */
			if (snring_drv_want_irq(&t->drv) < 0)
				stress_fail(t, s, "want_irq", 0, 0);
			sched_yield();
		}
		stress_nap(&s->rng);
	}
	return NULL;
}

static void *stress_device(void *arg)
{
	struct stress *t = arg;
	struct stress_side *s = &t->vs;
	struct snring_buf b[STRESS_BATCH];

	while (s->done < t->total && !__atomic_load_n(&t->abort, __ATOMIC_RELAXED)) {
		uint32_t max = 1 + (uint32_t)(stress_rand(&s->rng) % STRESS_BATCH);
		int n = snring_dev_dequeue_batch(&t->dev, b, max);
		if (n < 0) {
			stress_fail(t, s, "dequeue", (uint64_t)-n, 0);
			break;
		}
		for (int i = 0; i < n; i++) {
			const uint64_t *w = b[i].ptr;
			uint32_t words = b[i].len / 8;
			if (w[0] != s->done + (uint64_t)i)
				stress_fail(t, s, "sequence", w[0], s->done + (uint64_t)i);
			if (words < 2 || w[1] != stress_sum(w, words, w[0]))
				stress_fail(t, s, "checksum", w[0], words);
		}
		/* Complete back to front: completions need not follow posting order. */
		for (int i = n - 1; i >= 0; i--)
			if (snring_dev_complete(&t->dev, b[i].id, b[i].len, 0))
				stress_fail(t, s, "complete", b[i].id, 0);
		s->done += (uint64_t)n;
		s->kicks += snring_dev_flush(&t->dev);
		s->batches++;
		if (!n) {
			if (snring_dev_want_kick(&t->dev) < 0)
				stress_fail(t, s, "want_kick", 0, 0);
			sched_yield();
		}
		stress_nap(&s->rng);
	}
	return NULL;
}

static inline int ring_stress_main(const char *suite)
{
	struct stress t = {
	    .cfg = {.num_queues = 1, .queue_size = STRESS_QSIZE, .max_len = STRESS_SLOT}};
	const char *env = getenv("RING_STRESS_TOTAL");
	struct timespec t0, t1;
	pthread_t th[2];
	size_t size = snring_region_size(&t.cfg);

	t.total = env ? strtoull(env, NULL, 0) : STRESS_TOTAL;
	t.region = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	t.pool = aligned_alloc(4096, (size_t)STRESS_QSIZE * STRESS_SLOT);
	CHECK(t.region && t.pool);
	if (!t.region || !t.pool)
		return check_summary(suite);
	t.win = (struct snring_window){STRESS_BASE, (uint64_t)STRESS_QSIZE * STRESS_SLOT, t.pool};
	CHECK_EQ(snring_region_init(t.region, size, &t.cfg), 0);
	CHECK_EQ(snring_drv_init(&t.drv, t.region, &t.cfg, 0), 0);
	CHECK_EQ(
	    snring_dev_init(&t.dev, t.region, size, &t.cfg, 0, false, snring_window_xlate, &t.win),
	    0);
	env = getenv("RING_STRESS_SEED"); /* to replay a failing run */
	t.ds.rng = env ? strtoull(env, NULL, 0) : 0x1234567ULL ^ (uint64_t)time(NULL);
	t.ds.rng += !t.ds.rng; /* xorshift's one fixed point */
	t.vs.rng = t.ds.rng * 31 + 7;
	printf("%s: seed %llu, %llu descriptors\n", suite, (unsigned long long)t.ds.rng,
	       (unsigned long long)t.total);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(pthread_create(&th[0], NULL, stress_driver, &t), 0);
	CHECK_EQ(pthread_create(&th[1], NULL, stress_device, &t), 0);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	CHECK_EQ(t.ds.errors, 0);
	CHECK_EQ(t.vs.errors, 0);
	CHECK_EQ(t.ds.done, t.total);
	CHECK_EQ(t.vs.done, t.total);
	CHECK_EQ(snring_dev_errors(&t.dev), 0);
	CHECK_EQ(snring_drv_inflight(&t.drv), 0);
	printf("%s: %.2f s, %llu driver / %llu device batches\n", suite,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (unsigned long long)t.ds.batches, (unsigned long long)t.vs.batches);
	free(t.region);
	free(t.pool);
	return check_summary(suite);
}

#endif
