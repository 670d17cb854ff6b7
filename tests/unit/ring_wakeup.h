/* SPDX-License-Identifier: MIT */
/*
 * Notification suppression, end to end: the device thread sleeps on a "kick"
 * eventfd and the driver thread on an "irq" eventfd, each following the
 * arm-then-recheck protocol. A lost wake-up shows as a side asleep past the
 * watchdog while the other left it work; that fails the test. Shared by
 * test_ring_wakeup.c (ASan) and tsan_ring_wakeup.c (TSan).
 *
 * Phase 1 (ping-pong): the driver posts 1..8 and waits for all of them to
 * complete before posting again, so a single lost kick or interrupt leaves
 * both sides asleep: nothing heals it by posting more.
 * Phase 2 (bursty): small batches and frequent naps, so both sides go to
 * sleep thousands of times at every point of the other's loop.
 * Phase 3 (load): no naps; reports kicks per 1000 descriptors.
 */
#ifndef RING_WAKEUP_H
#define RING_WAKEUP_H

#include "check.h"
#include "snring.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define WAKE_QSIZE     256
#define WAKE_BASE      0x1000ULL
#define WAKE_PINGPONG  100000ULL
#define WAKE_BURSTY    300000ULL /* end of phase 2 */
#define WAKE_LOAD      2000000ULL
#define WAKE_WATCHDOG  2000 /* ms a side may sleep while the other left it work */
#define WAKE_MAX_KICKS 100  /* per 1000 descriptors under load */

struct wake {
	struct snring_config cfg;
	void *region;
	uint64_t slots[WAKE_QSIZE]; /* the buffers: one sequence number each */
	struct snring_window win;
	struct snring_drv drv;
	struct snring_dev dev;
	int kick_fd, irq_fd;
	int abort; /* atomic */
	/* driver thread */
	uint64_t kicks, load_kicks, irq_arms, irq_sleeps, lost_irqs, drv_errors;
	/* device thread */
	uint64_t irqs, kick_arms, kick_sleeps, lost_kicks, dev_errors, spurious;
};

static inline uint64_t wake_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Stands for being preempted between "found nothing" and "arm": the window a
 * missing re-check would lose a wake-up in. Only outside the load phase.
 */
static inline void wake_dawdle(uint64_t *rng, bool load)
{
	if (!load && wake_rand(rng) % 4 == 0) {
		struct timespec ts = {0, (long)(wake_rand(rng) % 20000)};
		nanosleep(&ts, NULL);
	}
}

/* Sleeps on fd. Returns 1 woken, 0 watchdog expired. */
static inline int wake_wait(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	eventfd_t v;

	if (poll(&p, 1, WAKE_WATCHDOG) <= 0)
		return 0;
	return eventfd_read(fd, &v) == 0;
}

static void *wake_driver(void *arg)
{
	struct wake *w = arg;
	const uint64_t total = WAKE_BURSTY + WAKE_LOAD;
	uint64_t rng = 0x9e3779b97f4a7c15ULL, sent = 0, reclaimed = 0;
	uint16_t free_ids[WAKE_QSIZE];
	uint32_t nfree = WAKE_QSIZE;
	struct snring_done d[64];

	for (uint32_t i = 0; i < WAKE_QSIZE; i++)
		free_ids[i] = (uint16_t)i;
	while (reclaimed < total && !__atomic_load_n(&w->abort, __ATOMIC_RELAXED)) {
		int got = snring_drv_reclaim_batch(&w->drv, d, 64);
		for (int i = 0; i < got; i++)
			free_ids[nfree++] = d[i].id;
		reclaimed += got > 0 ? (uint64_t)got : 0;
		w->drv_errors += got < 0;

		bool bursty = sent < WAKE_BURSTY;
		uint64_t want = 1 + wake_rand(&rng) % (bursty ? 8 : 64);
		if (sent < WAKE_PINGPONG && snring_drv_inflight(&w->drv))
			want = 0;
		uint32_t posted = 0;
		while (posted < want && nfree && sent < total) {
			uint16_t id = free_ids[--nfree];
			struct snring_buf b = {.addr = WAKE_BASE + id * 8u, .len = 8, .id = id};
			w->slots[id] = sent++;
			w->drv_errors += snring_drv_post(&w->drv, &b) != 0;
			posted++;
		}
		if (snring_drv_flush(&w->drv)) {
			w->kicks++;
			w->load_kicks += !bursty;
			eventfd_write(w->kick_fd, 1);
		}
		if (bursty && wake_rand(&rng) % 4 == 0) {
			struct timespec ts = {0, (long)(wake_rand(&rng) % 100000)};
			nanosleep(&ts, NULL);
		}
		if (posted || got)
			continue;
		/* Nothing to post (ring full or all sent), nothing reclaimed: wait for an irq. */
		wake_dawdle(&rng, !bursty);
		int r = snring_drv_want_irq(&w->drv);
		w->irq_arms++;
		if (r != 0) {
			w->drv_errors += r < 0;
			continue;
		}
		w->irq_sleeps++;
		if (!wake_wait(w->irq_fd) && snring_drv_pending(&w->drv) > 0) {
			w->lost_irqs++;
			__atomic_store_n(&w->abort, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void *wake_device(void *arg)
{
	struct wake *w = arg;
	const uint64_t total = WAKE_BURSTY + WAKE_LOAD;
	uint64_t seq = 0, rng = 0x2545f4914f6cdd1dULL;
	struct snring_buf b[64];

	while (seq < total && !__atomic_load_n(&w->abort, __ATOMIC_RELAXED)) {
		int n = snring_dev_dequeue_batch(&w->dev, b, 64);
		if (n < 0) {
			w->dev_errors++;
			/* The driver would wait for completions that never come: stop it too. */
			__atomic_store_n(&w->abort, 1, __ATOMIC_RELAXED);
			break;
		}
		for (int i = 0; i < n; i++) {
			w->dev_errors += *(uint64_t *)b[i].ptr != seq++;
			w->dev_errors += snring_dev_complete(&w->dev, b[i].id, 8, 0) != 0;
		}
		if (snring_dev_flush(&w->dev)) {
			w->irqs++;
			eventfd_write(w->irq_fd, 1);
		}
		if (n)
			continue;
		wake_dawdle(&rng, seq >= WAKE_BURSTY);
		int r = snring_dev_want_kick(&w->dev);
		w->kick_arms++;
		if (r != 0) {
			w->dev_errors += r < 0;
			continue;
		}
		w->kick_sleeps++;
		if (!wake_wait(w->kick_fd)) {
			if (snring_dev_avail(&w->dev) > 0) {
				w->lost_kicks++;
				__atomic_store_n(&w->abort, 1, __ATOMIC_RELAXED);
			}
		} else if (snring_dev_avail(&w->dev) == 0) {
			w->spurious++;
		}
	}
	return NULL;
}

static inline int ring_wakeup_main(const char *suite)
{
	struct wake *w = calloc(1, sizeof(*w));
	struct timespec t0, t1;
	pthread_t th[2];
	size_t size;

	if (!w)
		return 1;
	w->cfg = (struct snring_config){.num_queues = 1, .queue_size = WAKE_QSIZE, .max_len = 8};
	size = snring_region_size(&w->cfg);
	w->region = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	w->win = (struct snring_window){WAKE_BASE, sizeof(w->slots), w->slots};
	w->kick_fd = eventfd(0, EFD_NONBLOCK);
	w->irq_fd = eventfd(0, EFD_NONBLOCK);
	CHECK(w->region && w->kick_fd >= 0 && w->irq_fd >= 0);
	CHECK_EQ(snring_region_init(w->region, size, &w->cfg), 0);
	CHECK_EQ(snring_drv_init(&w->drv, w->region, &w->cfg, 0), 0);
	CHECK_EQ(snring_dev_init(&w->dev, w->region, size, &w->cfg, 0, false, snring_window_xlate,
				 &w->win),
		 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(pthread_create(&th[0], NULL, wake_driver, w), 0);
	CHECK_EQ(pthread_create(&th[1], NULL, wake_device, w), 0);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	double kpk = 1000.0 * (double)w->load_kicks / (double)WAKE_LOAD;
	printf("%s: %.2f s; kicks %llu (device slept %llu), irqs %llu (driver slept %llu), "
	       "spurious wake-ups %llu; under load %.2f kicks per 1000 descriptors\n",
	       suite, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (unsigned long long)w->kicks, (unsigned long long)w->kick_sleeps,
	       (unsigned long long)w->irqs, (unsigned long long)w->irq_sleeps,
	       (unsigned long long)w->spurious, kpk);
	CHECK_EQ(w->lost_kicks, 0);
	CHECK_EQ(w->lost_irqs, 0);
	CHECK_EQ(w->drv_errors, 0);
	CHECK_EQ(w->dev_errors, 0);
	CHECK_EQ(snring_drv_inflight(&w->drv), 0);
	/* The phases really slept: otherwise this test proves nothing about wake-ups. */
	CHECK(w->kick_sleeps > 1000);
	CHECK(w->irq_sleeps > 0);
	/* Event index: a kick answers an arm (the initial kick_at = 0 counts as one). */
	CHECK(w->kicks <= w->kick_arms + 1);
	CHECK(w->irqs <= w->irq_arms + 1);
	CHECK(kpk < WAKE_MAX_KICKS);
	close(w->kick_fd);
	close(w->irq_fd);
	free(w->region);
	free(w);
	return check_summary(suite);
}

#endif
