// SPDX-License-Identifier: MIT
/*
 * The NIC datapath against a fake guest (net_fake_guest.h), single-threaded:
 * the test plays the driver, then runs one worker round with net_dp_poll(),
 * then checks what reached the "tap" (a socketpair), the completions and the
 * interrupts. Then a hostile driver: every bad descriptor is completed with
 * an error, counted, and past the threshold the queue is broken, not the VMM.
 * Last, the real worker thread against a guest thread, both directions.
 */
#include "check.h"
#include "layout.h"
#include "net_fake_guest.h"
#include "stats.h"

#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <stdio.h>

#define RAM	 (MEM_32BIT_END + (64ULL << 20)) /* so the MMIO hole is a real hole */
#define BUF_GPA	 0x100000ULL
#define BUF_SIZE 4096ULL
#define ALL_F                                                                                      \
	(SNNET_F_CSUM | SNNET_F_GUEST_CSUM | SNNET_F_TSO4 | SNNET_F_TSO6 | SNNET_F_GUEST_TSO4 |    \
	 SNNET_F_GUEST_TSO6 | SNNET_F_INDIRECT)

static uint64_t buf_gpa(unsigned i)
{
	return BUF_GPA + i * BUF_SIZE;
}

/* A frame: zero vnet header, then bytes derived from seed. */
static void make_frame(uint8_t *p, uint32_t len, unsigned seed)
{
	memset(p, 0, SNNET_VNET_HDR_LEN);
	for (uint32_t i = SNNET_VNET_HDR_LEN; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i);
}

static int post(struct fake_guest *g, int q, uint64_t gpa, uint32_t len, uint16_t id,
		uint16_t flags)
{
	struct snring_buf b = {.addr = gpa, .len = len, .id = id, .flags = flags};

	return snring_drv_post(&g->q[q], &b);
}

/* Writes a descriptor the driver helpers would refuse, as a hostile guest does. */
static void post_raw(struct fake_guest *g, int q, uint64_t gpa, uint32_t len, uint16_t id,
		     uint16_t flags)
{
	struct snring_drv *d = &g->q[q];
	struct snring_desc *e = &d->desc[d->avail & d->mask];

	e->addr = htole64(gpa);
	e->len = htole32(len);
	e->id = htole16(id);
	e->flags = htole16(flags);
	d->avail++;
}

static void flush_kick(struct fake_guest *g, int q)
{
	if (snring_drv_flush(&g->q[q]))
		fg_kick(g, q);
}

/* Reclaims up to max completions; an entry with an id the driver never used still counts. */
static int reclaim_all(struct fake_guest *g, int q, struct snring_done *d, uint32_t max)
{
	int n = 0, r;

	while ((uint32_t)n < max &&
	       ((r = snring_drv_reclaim(&g->q[q], &d[n])) == 1 || r == -EBADMSG))
		n++;
	return n;
}

static void test_layout(void)
{
	struct fake_guest g;

	CHECK_EQ(fg_init(&g, RAM, -1), 0);
	CHECK_EQ(le32toh(g.cfg->magic), SNNET_MAGIC);
	CHECK_EQ(le16toh(g.cfg->version), SNNET_VERSION);
	CHECK_EQ(le16toh(g.cfg->mtu), 1500);
	CHECK_EQ(g.cfg->mac[0], 0x02);
	CHECK_EQ(le32toh(g.cfg->host_features), ALL_F);
	CHECK_EQ(le32toh(g.cfg->ring_offset), SNNET_CONFIG_SIZE);
	CHECK(SNNET_CONFIG_SIZE + le32toh(g.cfg->ring_size) <= net_shared_size());
	CHECK_EQ(le32toh(g.cfg->vnet_hdr_len), SNNET_VNET_HDR_LEN);
	CHECK_EQ(fg_device_status(&g), 0);

	/*
	 * A feature we never offered: not started, counted each time, said once
	 * (a guest could ask again at every kick and fill the host's disk).
	 */
	char path[] = "/tmp/snvmm-test-net-XXXXXX";
	int tfd = mkstemp(path), saved = dup(STDERR_FILENO);
	CHECK(tfd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(tfd, STDERR_FILENO);
	for (int i = 0; i < 50; i++) {
		CHECK_EQ(fg_start(&g, 1u << 20), 0);
		CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	}
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	char said[4096] = "";
	CHECK(pread(tfd, said, sizeof(said) - 1, 0) >= 0);
	close(tfd);
	unlink(path);
	const char *first = strstr(said, "not a valid subset");
	CHECK(first && !strstr(first + 1, "not a valid subset"));
	CHECK_EQ(fg_device_status(&g), 0);
	CHECK_EQ(g.dp.c.protocol_errors, 50);
	/* TSO without CSUM is not a valid set either. */
	CHECK_EQ(fg_start(&g, SNNET_F_TSO4), 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), 0);
	CHECK_EQ(fg_start(&g, SNNET_F_GUEST_TSO4), 0); /* nor receive TSO without GUEST_CSUM */
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), 0);
	CHECK_EQ(fg_start(&g, ALL_F), 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), SNNET_DEVICE_RUNNING);
	CHECK_EQ(g.dp.q[0].max_indirect, SNNET_MAX_INDIRECT);
	fg_destroy(&g);
}

static void test_tx(void)
{
	struct fake_guest g;
	struct snring_done d[8];
	uint8_t got[4096];
	const uint32_t lens[3] = {SNNET_VNET_HDR_LEN + 14, SNNET_VNET_HDR_LEN + 60, 1514 + 12};

	CHECK_EQ(fg_init(&g, RAM, -1), 0);
	CHECK_EQ(fg_start(&g, ALL_F), 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	fg_irqs(&g);
	for (unsigned i = 0; i < 3; i++) {
		make_frame(fg_ptr(&g, buf_gpa(i), lens[i]), lens[i], i);
		CHECK_EQ(post(&g, 0, buf_gpa(i), lens[i], (uint16_t)i, 0), 0);
	}
	/* Fresh rings are armed: the first publish asks for a kick. */
	CHECK(snring_drv_flush(&g.q[0]));
	fg_kick(&g, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ(recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT), lens[i]);
		CHECK(memcmp(got, fg_ptr(&g, buf_gpa(i), lens[i]), lens[i]) == 0);
	}
	CHECK_EQ(recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT), -1);
	CHECK_EQ(reclaim_all(&g, 0, d, 8), 3);
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ(d[i].id, i);
		CHECK_EQ(d[i].len, lens[i]);
		CHECK_EQ(d[i].flags, 0);
	}
	CHECK_EQ(fg_irqs(&g), 1); /* irq_at was 0: armed */
	CHECK_EQ(g.dp.c.tx_packets, 3);
	CHECK_EQ(g.dp.c.tx_bytes, lens[0] + lens[1] + lens[2] - 3 * SNNET_VNET_HDR_LEN);

	/* The guest keeps polling (irq_at stale): no interrupt; the device re-armed its kick. */
	CHECK_EQ(post(&g, 0, buf_gpa(0), lens[0], 0, 0), 0);
	CHECK(snring_drv_flush(&g.q[0]));
	fg_kick(&g, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_irqs(&g), 0);
	CHECK_EQ(reclaim_all(&g, 0, d, 8), 1);
	/* Now it re-enables interrupts: the next completion raises one. */
	CHECK_EQ(snring_drv_want_irq(&g.q[0]), 0);
	CHECK_EQ(post(&g, 0, buf_gpa(1), lens[1], 1, 0), 0);
	flush_kick(&g, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_irqs(&g), 1);
	CHECK_EQ(reclaim_all(&g, 0, d, 8), 1);
	while (recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT) > 0)
		;

	/* Indirect: a 1514-byte frame in three pieces on three pages. */
	struct snring_desc *t = (struct snring_desc *)fg_ptr(&g, buf_gpa(10), 3 * 16);
	uint8_t frame[1526];
	make_frame(frame, sizeof(frame), 7);
	memcpy(fg_ptr(&g, buf_gpa(11), 12), frame, 12);
	memcpy(fg_ptr(&g, buf_gpa(12) + 100, 500), frame + 12, 500);
	memcpy(fg_ptr(&g, buf_gpa(13), 1014), frame + 512, 1014);
	snring_drv_set_indirect(t, 0, buf_gpa(11), 12, 0);
	snring_drv_set_indirect(t, 1, buf_gpa(12) + 100, 500, 0);
	snring_drv_set_indirect(t, 2, buf_gpa(13), 1014, 0);
	CHECK_EQ(post(&g, 0, buf_gpa(10), 3 * 16, 5, SNRING_DESC_F_INDIRECT), 0);
	flush_kick(&g, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT), sizeof(frame));
	CHECK(memcmp(got, frame, sizeof(frame)) == 0);
	CHECK_EQ(reclaim_all(&g, 0, d, 8), 1);
	CHECK_EQ(d[0].id, 5);
	CHECK_EQ(d[0].len, sizeof(frame));
	CHECK_EQ(g.dp.c.protocol_errors, 0);
	fg_destroy(&g);
}

/*
 * A started fake guest whose tap takes almost nothing (SO_SNDBUF 1) and n
 * posted 1500-byte TX frames, kicked: one round sends what fits and leaves
 * the rest pending (tx_blocked).
 */
static void tx_flood(struct fake_guest *g, unsigned n)
{
	int small = 1;

	CHECK_EQ(fg_init(g, RAM, -1), 0);
	setsockopt(g->tap[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	CHECK_EQ(fg_start(g, ALL_F), 0);
	CHECK_EQ(net_dp_poll(&g->dp, 0), 0);
	for (unsigned i = 0; i < n; i++) {
		make_frame(fg_ptr(g, buf_gpa(i), 1500), 1500, i);
		CHECK_EQ(post(g, 0, buf_gpa(i), 1500, (uint16_t)i, 0), 0);
	}
	flush_kick(g, 0);
	CHECK_EQ(net_dp_poll(&g->dp, 0), 0);
	CHECK(g->dp.tx_blocked);
}

/* A tap that cannot take more: the rest of the batch waits for EPOLLOUT, in order. */
static void test_tx_backpressure(void)
{
	struct fake_guest g;
	struct snring_done d[64];
	uint8_t got[2048];
	int total = 0, n;
	const unsigned N = 64;

	tx_flood(&g, N);
	n = reclaim_all(&g, 0, d, 64);
	CHECK(n > 0 && n < (int)N);
	total += n;
	for (unsigned i = 0, rounds = 0; i < N && rounds < 1000; rounds++) {
		ssize_t r = recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT);
		if (r > 0) {
			CHECK_EQ(r, 1500);
			CHECK(memcmp(got, fg_ptr(&g, buf_gpa(i), 1500), 1500) == 0);
			i++;
			continue;
		}
		CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
		total += reclaim_all(&g, 0, d, 64);
	}
	total += reclaim_all(&g, 0, d, 64);
	CHECK_EQ(total, N);
	CHECK_EQ(g.dp.c.tx_packets, N);
	CHECK(!g.dp.tx_blocked);
	fg_destroy(&g);
}

static void test_rx(void)
{
	struct fake_guest g;
	struct snring_done d[8];
	uint8_t f1[60 + 12], f2[1514 + 12];

	CHECK_EQ(fg_init(&g, RAM, -1), 0);
	CHECK_EQ(fg_start(&g, ALL_F), 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	fg_irqs(&g);
	make_frame(f1, sizeof(f1), 1);
	make_frame(f2, sizeof(f2), 2);
	CHECK_EQ(send(g.tap[1], f1, sizeof(f1), 0), sizeof(f1));
	/* No buffer posted: counted, the frame stays, the tap leaves the epoll set. */
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(g.dp.c.rx_no_buffer, 1);
	CHECK(g.dp.rx_wait_buf);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(g.dp.c.rx_no_buffer, 1); /* not spinning on the readable tap */

	/* One plain buffer and one indirect buffer of two pieces. */
	struct snring_desc *t = (struct snring_desc *)fg_ptr(&g, buf_gpa(20), 32);
	snring_drv_set_indirect(t, 0, buf_gpa(21), 700, SNRING_DESC_F_WRITE);
	snring_drv_set_indirect(t, 1, buf_gpa(22) + 8, 2000, SNRING_DESC_F_WRITE);
	CHECK_EQ(post(&g, 1, buf_gpa(1), 2048, 1, SNRING_DESC_F_WRITE), 0);
	CHECK_EQ(post(&g, 1, buf_gpa(20), 32, 2, SNRING_DESC_F_WRITE | SNRING_DESC_F_INDIRECT), 0);
	/*
	 * With a frame waiting the device asked for its kick only after half a
	 * ring of posts: the 128th post kicks, not the 127th.
	 */
	CHECK(!snring_drv_flush(&g.q[1]));
	for (uint16_t i = 3; i < SNNET_QUEUE_SIZE / 2; i++) {
		CHECK_EQ(post(&g, 1, buf_gpa(40), 2048, i, SNRING_DESC_F_WRITE), 0);
		CHECK(!snring_drv_flush(&g.q[1]));
	}
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0); /* no kick, tap ignored: still waiting */
	CHECK_EQ(g.dp.c.rx_packets, 0);
	CHECK_EQ(post(&g, 1, buf_gpa(40), 2048, SNNET_QUEUE_SIZE / 2, SNRING_DESC_F_WRITE), 0);
	CHECK(snring_drv_flush(&g.q[1]));
	fg_kick(&g, 1);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(reclaim_all(&g, 1, d, 8), 1);
	CHECK_EQ(d[0].id, 1);
	CHECK_EQ(d[0].len, sizeof(f1));
	CHECK(memcmp(fg_ptr(&g, buf_gpa(1), sizeof(f1)), f1, sizeof(f1)) == 0);
	CHECK_EQ(fg_irqs(&g), 1);

	CHECK_EQ(send(g.tap[1], f2, sizeof(f2), 0), sizeof(f2));
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(reclaim_all(&g, 1, d, 8), 1);
	CHECK_EQ(d[0].id, 2);
	CHECK_EQ(d[0].len, sizeof(f2));
	CHECK(memcmp(fg_ptr(&g, buf_gpa(21), 700), f2, 700) == 0);
	CHECK(memcmp(fg_ptr(&g, buf_gpa(22) + 8, sizeof(f2) - 700), f2 + 700, sizeof(f2) - 700) ==
	      0);
	CHECK_EQ(fg_irqs(&g), 0); /* the guest did not re-enable */
	CHECK_EQ(g.dp.c.rx_packets, 2);
	CHECK_EQ(g.dp.c.rx_bytes, 60 + 1514);
	fg_destroy(&g);
}

/*
 * Woken for RX with TX armed, the worker withdraws the TX kick for the round
 * and looks at TX after RX: a frame the guest sends meanwhile (here posted
 * with no kick, as a guest that read the withdrawn kick_at does) leaves in
 * that round, and TX is armed again before the worker sleeps.
 */
static void test_tx_quiet(void)
{
	struct fake_guest g;
	uint8_t f[60 + 12], got[128];

	CHECK_EQ(fg_init(&g, RAM, -1), 0);
	CHECK_EQ(fg_start(&g, ALL_F), 0);
	CHECK_EQ(post(&g, 1, buf_gpa(1), 2048, 1, SNRING_DESC_F_WRITE), 0);
	flush_kick(&g, 1);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(g.dp.c.kicks, 3); /* both doorbells at start, then the RX post */
	make_frame(f, sizeof(f), 7);
	CHECK_EQ(send(g.tap[1], f, sizeof(f), 0), sizeof(f));
	make_frame(fg_ptr(&g, buf_gpa(2), sizeof(f)), sizeof(f), 8);
	CHECK_EQ(post(&g, 0, buf_gpa(2), sizeof(f), 0, 0), 0);
	(void)snring_drv_flush(&g.q[0]); /* published, not kicked */
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(g.dp.c.rx_packets, 1);
	CHECK_EQ(g.dp.c.tx_packets, 1);
	CHECK_EQ(recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT), sizeof(f));
	/* Armed again, at the next slot: the next post kicks. */
	CHECK_EQ(le32toh(__atomic_load_n(&g.q[0].theirs->kick_at, __ATOMIC_ACQUIRE)), 1);
	CHECK_EQ(post(&g, 0, buf_gpa(2), sizeof(f), 1, 0), 0);
	CHECK(snring_drv_flush(&g.q[0]));
	fg_destroy(&g);
}

struct fake_route {
	int calls, answer;
};

static int fake_route_irq(void *ctx)
{
	struct fake_route *r = ctx;

	r->calls++;
	return r->answer;
}

/* Delivers one frame into a freshly posted buffer: one interrupt, as the guest asked. */
static void rx_one(struct fake_guest *g, uint16_t id)
{
	uint8_t f[60 + 12];
	struct snring_done d;

	make_frame(f, sizeof(f), id);
	CHECK_EQ(post(g, 1, buf_gpa(id), 2048, id, SNRING_DESC_F_WRITE), 0);
	flush_kick(g, 1);
	CHECK_EQ(snring_drv_want_irq(&g->q[1]), 0);
	CHECK_EQ(send(g->tap[1], f, sizeof(f), 0), sizeof(f));
	CHECK_EQ(net_dp_poll(&g->dp, 0), 0);
	CHECK_EQ(reclaim_all(g, 1, &d, 1), 1);
	CHECK_EQ(fg_irqs(g), 1);
}

/*
 * A start slower than the driver's wait: the driver gives up (status 0) while
 * the device is between reading DRIVER_OK and saying RUNNING, and frees the
 * buffers it posted as soon as it reads device_status 0. The device must look
 * again and reset before it touches them. The route_irq callback plays the
 * driver: it runs in the middle of the device's start.
 */
static int abandon_start(void *ctx)
{
	struct fake_guest *g = ctx;

	__atomic_store_n(&g->cfg->status, 0, __ATOMIC_SEQ_CST);
	CHECK_EQ(fg_device_status(g), 0);
	g->dp.p.route_irq = NULL; /* the next start is an ordinary one */
	return 1;
}

/* A fake guest whose start runs hook (as the driver) in the middle of the device's. */
static void start_with_hook(struct fake_guest *g, int (*hook)(void *ctx))
{
	CHECK_EQ(fg_init(g, RAM, -1), 0);
	g->dp.p.route_irq = hook;
	g->dp.p.cb_ctx = g;
	CHECK_EQ(fg_start(g, ALL_F), 0);
}

static void test_start_abandoned(void)
{
	struct fake_guest g;
	uint8_t f[60 + 12];
	struct snring_done d;

	start_with_hook(&g, abandon_start);
	CHECK_EQ(post(&g, 1, buf_gpa(1), 2048, 1, SNRING_DESC_F_WRITE), 0);
	(void)snring_drv_flush(&g.q[1]);
	make_frame(f, sizeof(f), 3);
	CHECK_EQ(send(g.tap[1], f, sizeof(f), 0), sizeof(f));
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), 0);
	CHECK(!g.dp.running);
	CHECK_EQ(g.dp.c.rx_packets, 0);
	static const uint8_t zero[sizeof(f)];
	CHECK(memcmp(fg_ptr(&g, buf_gpa(1), sizeof(f)), zero, sizeof(f)) == 0); /* not written */

	/* A later start works as usual and gets the frame. */
	CHECK_EQ(fg_start(&g, ALL_F), 0);
	CHECK_EQ(post(&g, 1, buf_gpa(1), 2048, 1, SNRING_DESC_F_WRITE), 0);
	(void)snring_drv_flush(&g.q[1]);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), SNNET_DEVICE_RUNNING);
	CHECK_EQ(reclaim_all(&g, 1, &d, 1), 1);
	CHECK_EQ(d.len, sizeof(f));
	fg_destroy(&g);
}

/*
 * The same race, with a driver quick to start again: having read
 * device_status 0 before the device said RUNNING, it posts for its next start
 * while the device is still in the middle of this one. The device must stop
 * without wiping the region, or those posts are lost.
 */
static int abandon_and_repost(void *ctx)
{
	struct fake_guest *g = ctx;
	uint8_t *region = (uint8_t *)g->shared + le32toh(g->cfg->ring_offset);

	CHECK_EQ(abandon_start(g), 1);
	for (uint32_t i = 0; i < 2; i++)
		CHECK_EQ(snring_drv_init(&g->q[i], region, &g->rcfg, i), 0);
	CHECK_EQ(post(g, 1, buf_gpa(2), 2048, 2, SNRING_DESC_F_WRITE), 0);
	(void)snring_drv_flush(&g->q[1]);
	return 1;
}

static void test_start_abandoned_repost(void)
{
	struct fake_guest g;
	uint8_t f[60 + 12];
	struct snring_done d;

	start_with_hook(&g, abandon_and_repost);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), 0);
	CHECK(!g.dp.running);
	/* Its next start: DRIVER_OK over the buffer it posted meanwhile. */
	__atomic_store_n(&g.cfg->status, htole32(SNNET_STATUS_DRIVER_OK), __ATOMIC_RELEASE);
	fg_kick(&g, 0);
	fg_kick(&g, 1);
	make_frame(f, sizeof(f), 4);
	CHECK_EQ(send(g.tap[1], f, sizeof(f), 0), sizeof(f));
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), SNNET_DEVICE_RUNNING);
	CHECK_EQ(reclaim_all(&g, 1, &d, 1), 1);
	CHECK_EQ(d.id, 2);
	CHECK_EQ(d.len, sizeof(f));
	CHECK(memcmp(fg_ptr(&g, buf_gpa(2), sizeof(f)), f, sizeof(f)) == 0);
	CHECK_EQ(g.dp.c.protocol_errors, 0);
	fg_destroy(&g);
}

/*
 * A start the device refuses (features it never offered) answers the reset
 * that follows at once, with the region as the driver left it. The driver's
 * next start must not hand the device what the refused one had posted: a TX
 * frame it has taken back is never sent, and RX gets the new buffer.
 */
static void test_refused_start_stale_posts(void)
{
	struct fake_guest g;
	uint8_t f[60 + 12], got[128];
	struct snring_done d;

	CHECK_EQ(fg_init(&g, RAM, -1), 0);
	CHECK_EQ(fg_start(&g, 1u << 31), 0);
	make_frame(fg_ptr(&g, buf_gpa(0), 100), 100, 9);
	CHECK_EQ(post(&g, 0, buf_gpa(0), 100, 0, 0), 0);
	CHECK_EQ(post(&g, 1, buf_gpa(1), 2048, 1, SNRING_DESC_F_WRITE), 0);
	flush_kick(&g, 0);
	flush_kick(&g, 1);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK(!g.dp.running);
	CHECK_EQ(g.dp.c.protocol_errors, 1);
	__atomic_store_n(&g.cfg->status, 0, __ATOMIC_SEQ_CST);
	fg_kick(&g, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), 0);

	CHECK_EQ(fg_start(&g, ALL_F), 0);
	CHECK_EQ(post(&g, 1, buf_gpa(3), 2048, 3, SNRING_DESC_F_WRITE), 0);
	flush_kick(&g, 1);
	make_frame(f, sizeof(f), 5);
	CHECK_EQ(send(g.tap[1], f, sizeof(f), 0), sizeof(f));
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), SNNET_DEVICE_RUNNING);
	CHECK_EQ(recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT), -1);
	CHECK_EQ(g.dp.c.tx_packets, 0);
	CHECK_EQ(reclaim_all(&g, 1, &d, 1), 1);
	CHECK_EQ(d.id, 3);
	CHECK_EQ(d.len, sizeof(f));
	CHECK_EQ(g.dp.c.protocol_errors, 1);
	fg_destroy(&g);
}

/*
 * The interrupt's route is set at each start, and with route_each_irq (a guest
 * with several CPUs) again before each interrupt; irq_msi says what it is.
 */
static void test_route_irq(void)
{
	for (int each = 0; each < 2; each++) {
		struct fake_route r = {.answer = 1};
		struct fake_guest g;

		CHECK_EQ(fg_init(&g, RAM, -1), 0);
		g.dp.p.route_irq = fake_route_irq;
		g.dp.p.cb_ctx = &r;
		g.dp.p.route_each_irq = each;
		CHECK_EQ(fg_start(&g, ALL_F), 0);
		CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
		fg_irqs(&g);
		CHECK_EQ(r.calls, 1);
		CHECK_EQ(g.dp.c.irq_msi, 1);
		rx_one(&g, 1);
		CHECK_EQ(r.calls, each ? 2 : 1);
		r.answer = 0; /* the guest masked the pin, say */
		rx_one(&g, 2);
		CHECK_EQ(r.calls, each ? 3 : 1);
		CHECK_EQ(g.dp.c.irq_msi, each ? 0 : 1);
		fg_destroy(&g);
	}
}

static void test_hostile(void)
{
	struct fake_guest g;
	struct snring_done d[32];
	uint8_t got[2048];
	int n, errs = 0;

	CHECK_EQ(fg_init(&g, RAM, -1), 0);
	CHECK_EQ(fg_start(&g, ALL_F), 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	make_frame(fg_ptr(&g, buf_gpa(0), 100), 100, 0);
	make_frame(fg_ptr(&g, buf_gpa(1), 90000), 90000, 0);

	struct snring_desc *t[8];
	for (unsigned i = 0; i < 8; i++) {
		t[i] = (struct snring_desc *)fg_ptr(&g, buf_gpa(40 + i), 33 * 16);
		snring_drv_set_indirect(t[i], 0, buf_gpa(0), 50, 0);
		snring_drv_set_indirect(t[i], 1, buf_gpa(0) + 50, 50, 0);
	}
	snring_drv_set_indirect(t[0], 1, buf_gpa(0), 50, SNRING_DESC_F_INDIRECT); /* nested */
	snring_drv_set_indirect(t[1], 1, buf_gpa(0), 50, SNRING_DESC_F_WRITE);	  /* wrong way */
	snring_drv_set_indirect(t[2], 1, buf_gpa(0), 0, 0);			  /* empty */
	snring_drv_set_indirect(t[3], 1, 0xd0000000ULL, 50, 0);			  /* hole */
	snring_drv_set_indirect(t[4], 0, buf_gpa(1), 40000, 0); /* sum over max_len */
	snring_drv_set_indirect(t[4], 1, buf_gpa(1) + 40000, 40000, 0);
	snring_drv_set_indirect(t[5], 1, UINT64_MAX - 10, 50, 0); /* wraps */

	post_raw(&g, 0, HIGH_RAM_START + (64ULL << 20), 100, 0, 0);	  /* past the end of RAM */
	post_raw(&g, 0, 0xd0000000ULL, 100, 1, 0);			  /* in the MMIO hole */
	post_raw(&g, 0, MEM_32BIT_END - 50, 100, 2, 0);			  /* straddles the hole */
	post_raw(&g, 0, 0xfffffffffffff000ULL, 0x2000, 3, 0);		  /* wraps */
	post_raw(&g, 0, buf_gpa(1), SNNET_MAX_BUF_LEN + 1, 4, 0);	  /* too long */
	post_raw(&g, 0, buf_gpa(0), 100, 300, 0);			  /* id out of range */
	post_raw(&g, 0, buf_gpa(0), 20, 6, 0);				  /* shorter than a frame */
	post_raw(&g, 0, buf_gpa(40), 24, 7, SNRING_DESC_F_INDIRECT);	  /* not whole entries */
	post_raw(&g, 0, buf_gpa(40), 33 * 16, 8, SNRING_DESC_F_INDIRECT); /* too many */
	for (unsigned i = 0; i < 6; i++)
		post_raw(&g, 0, buf_gpa(40 + i), 32, (uint16_t)(9 + i), SNRING_DESC_F_INDIRECT);
	errs = 15;
	post_raw(&g, 0, buf_gpa(46), 32, 20, SNRING_DESC_F_INDIRECT); /* a good one */
	flush_kick(&g, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	n = reclaim_all(&g, 0, d, 32);
	CHECK_EQ(n, errs + 1);
	for (int i = 0; i < n && i < errs; i++)
		CHECK_EQ(d[i].flags, SNRING_USED_F_ERROR);
	CHECK_EQ(d[errs].flags, 0);
	CHECK_EQ(d[errs].len, 100);
	CHECK_EQ(recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT), 100);
	CHECK(memcmp(got, fg_ptr(&g, buf_gpa(0), 100), 100) == 0);
	CHECK_EQ(recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT), -1);
	CHECK_EQ(g.dp.c.protocol_errors, errs);
	CHECK_EQ(g.dp.c.broken, 0);

	/* The 16th error breaks TX; later frames are not sent and nothing crashes. */
	post_raw(&g, 0, 0xd0000000ULL, 100, 0, 0);
	post_raw(&g, 0, buf_gpa(0), 100, 1, 0);
	flush_kick(&g, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(g.dp.c.broken, 1);
	CHECK(snring_dev_broken(&g.dp.q[0]));
	fg_kick(&g, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT), -1);
	CHECK_EQ(g.dp.c.broken, 1);

	/* RX: an avail index more than a ring ahead, again and again. */
	for (int i = 0; i < SNRING_ERROR_LIMIT; i++) {
		g.q[1].mine->avail = htole32(SNNET_QUEUE_SIZE + 5 + (uint32_t)i);
		fg_kick(&g, 1);
		CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	}
	CHECK(snring_dev_broken(&g.dp.q[1]));
	CHECK_EQ(g.dp.c.broken, 2);
	CHECK_EQ(g.dp.c.protocol_errors, 2 * SNRING_ERROR_LIMIT);
	CHECK(!(g.dp.tap_events & EPOLLIN)); /* a readable tap would wake the worker for ever */

	/* A reset brings the device back to a fresh region; a restart serves again. */
	__atomic_store_n(&g.cfg->status, 0, __ATOMIC_RELEASE);
	fg_kick(&g, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), 0);
	CHECK_EQ(fg_start(&g, 0), 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), SNNET_DEVICE_RUNNING);
	CHECK_EQ(post(&g, 0, buf_gpa(0), 100, 0, 0), 0);
	/* Without SNNET_F_INDIRECT a table is refused. */
	CHECK_EQ(post(&g, 0, buf_gpa(46), 32, 1, SNRING_DESC_F_INDIRECT), 0);
	flush_kick(&g, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT), 100);
	CHECK_EQ(reclaim_all(&g, 0, d, 32), 2);
	/* Completions may come in any order: a refused descriptor is completed at once. */
	for (int i = 0; i < 2; i++)
		CHECK_EQ(d[i].flags, d[i].id == 1 ? SNRING_USED_F_ERROR : 0);
	CHECK_EQ(g.dp.c.protocol_errors, 2 * SNRING_ERROR_LIMIT + 1); /* the fresh queues' own */
	/* Broken again after the restart: counted again. */
	for (int i = 0; i < SNRING_ERROR_LIMIT; i++) {
		g.q[1].mine->avail = htole32(SNNET_QUEUE_SIZE + 5 + (uint32_t)i);
		fg_kick(&g, 1);
		CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	}
	CHECK_EQ(g.dp.c.broken, 3);
	fg_destroy(&g);
}

/*
 * RX edges: a frame exactly the size of its buffer fits; a bad buffer (too
 * short, or a table naming the MMIO hole) is completed with an error and
 * skipped, and the frame goes into the next one.
 */
static void test_rx_edges(void)
{
	struct fake_guest g;
	struct snring_done d[8];
	uint8_t f[60 + 12];

	alarm(10); /* a worker stuck on a bad buffer fails loudly rather than hanging */
	CHECK_EQ(fg_init(&g, RAM, -1), 0);
	CHECK_EQ(fg_start(&g, ALL_F), 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	make_frame(f, sizeof(f), 9);
	CHECK_EQ(post(&g, 1, buf_gpa(1), sizeof(f), 1, SNRING_DESC_F_WRITE), 0);
	flush_kick(&g, 1);
	CHECK_EQ(send(g.tap[1], f, sizeof(f), 0), sizeof(f));
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(reclaim_all(&g, 1, d, 8), 1);
	CHECK_EQ(d[0].len, sizeof(f));
	CHECK(memcmp(fg_ptr(&g, buf_gpa(1), sizeof(f)), f, sizeof(f)) == 0);
	CHECK_EQ(g.dp.c.rx_too_big, 0);

	struct snring_desc *t = (struct snring_desc *)fg_ptr(&g, buf_gpa(20), 32);
	snring_drv_set_indirect(t, 0, buf_gpa(21), 700, SNRING_DESC_F_WRITE);
	snring_drv_set_indirect(t, 1, 0xd0000000ULL, 2000, SNRING_DESC_F_WRITE); /* the hole */
	CHECK_EQ(post(&g, 1, buf_gpa(2), 20, 2, SNRING_DESC_F_WRITE), 0);	 /* too short */
	CHECK_EQ(post(&g, 1, buf_gpa(20), 32, 3, SNRING_DESC_F_WRITE | SNRING_DESC_F_INDIRECT), 0);
	CHECK_EQ(post(&g, 1, buf_gpa(4), 2048, 4, SNRING_DESC_F_WRITE), 0);
	flush_kick(&g, 1);
	CHECK_EQ(send(g.tap[1], f, sizeof(f), 0), sizeof(f));
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(reclaim_all(&g, 1, d, 8), 3);
	CHECK_EQ(d[0].id, 2);
	CHECK_EQ(d[0].flags, SNRING_USED_F_ERROR);
	CHECK_EQ(d[1].id, 3);
	CHECK_EQ(d[1].flags, SNRING_USED_F_ERROR);
	CHECK_EQ(d[2].id, 4);
	CHECK_EQ(d[2].flags, 0);
	CHECK_EQ(d[2].len, sizeof(f));
	CHECK_EQ(g.dp.c.rx_packets, 2);
	CHECK_EQ(g.dp.c.protocol_errors, 2);
	CHECK(!snring_dev_broken(&g.dp.q[SNRING_QUEUE_RX]));
	fg_destroy(&g);
	alarm(0);
}

/* TX frames taken in a batch but never sent because the queue broke mid-batch: counted. */
static void test_broken_discards(void)
{
	struct fake_guest g;
	uint8_t got[256];

	CHECK_EQ(fg_init(&g, RAM, -1), 0);
	CHECK_EQ(fg_start(&g, ALL_F), 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	g.dp.q[SNRING_QUEUE_TX].error_limit = 1; /* the next error breaks TX */
	struct snring_desc *t = (struct snring_desc *)fg_ptr(&g, buf_gpa(20), 16);
	snring_drv_set_indirect(t, 0, 0xd0000000ULL, 100, 0); /* the hole: found when sending */
	make_frame(fg_ptr(&g, buf_gpa(0), 100), 100, 0);
	CHECK_EQ(post(&g, 0, buf_gpa(0), 100, 0, 0), 0);
	CHECK_EQ(post(&g, 0, buf_gpa(20), 16, 1, SNRING_DESC_F_INDIRECT), 0);
	CHECK_EQ(post(&g, 0, buf_gpa(0), 100, 2, 0), 0);
	flush_kick(&g, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK(snring_dev_broken(&g.dp.q[SNRING_QUEUE_TX]));
	CHECK_EQ(recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT), 100);
	CHECK_EQ(recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT), -1);
	CHECK_EQ(g.dp.c.tx_packets, 1);
	CHECK_EQ(g.dp.c.tx_discarded, 1);
	fg_destroy(&g);
}

/* ---- The real worker thread, both directions at once ---- */

#define T_FRAMES 20000
#define T_TXBASE 0x200000ULL
#define T_RXBASE 0x400000ULL
#define T_SLOT	 2048u

static uint32_t t_len(uint32_t seq)
{
	return SNNET_VNET_HDR_LEN + 14 + (seq * 7919u) % 1500u;
}

static void *t_worker(void *arg)
{
	net_dp_run(arg);
	return NULL;
}

/* The host stack's side: reads TX frames in order, writes RX frames. */
struct t_host {
	struct fake_guest *g;
	unsigned bad;
};

static void *t_host_reader(void *arg)
{
	struct t_host *h = arg;
	uint8_t got[T_SLOT], want[T_SLOT];

	for (uint32_t seq = 0; seq < T_FRAMES; seq++) {
		ssize_t r = recv(h->g->tap[1], got, sizeof(got), 0);
		make_frame(want, t_len(seq), seq);
		if (r != (ssize_t)t_len(seq) || memcmp(got, want, (size_t)r))
			h->bad++;
	}
	return NULL;
}

static void *t_host_writer(void *arg)
{
	struct t_host *h = arg;
	uint8_t f[T_SLOT];

	for (uint32_t seq = 0; seq < T_FRAMES; seq++) {
		make_frame(f, t_len(seq), seq + 1000000);
		if (send(h->g->tap[1], f, t_len(seq), 0) != (ssize_t)t_len(seq))
			h->bad++;
	}
	return NULL;
}

/*
 * The guest's RX poll: takes up to budget (at most 64, NAPI's) completions,
 * checks each against what t_host_writer sent, reposts its buffer, publishes
 * and kicks if asked. Returns how many it took.
 */
static int t_rx_poll(struct fake_guest *g, uint32_t budget, uint32_t *rx_done, uint32_t *rx_bad)
{
	struct snring_done d[64];
	uint8_t want[T_SLOT];
	int n = reclaim_all(g, 1, d, budget < 64 ? budget : 64);

	for (int i = 0; i < n; i++, (*rx_done)++) {
		make_frame(want, t_len(*rx_done), *rx_done + 1000000);
		if (d[i].len != t_len(*rx_done) ||
		    memcmp(fg_ptr(g, T_RXBASE + d[i].id * T_SLOT, T_SLOT), want, d[i].len))
			(*rx_bad)++;
		post(g, 1, T_RXBASE + d[i].id * T_SLOT, T_SLOT, d[i].id, SNRING_DESC_F_WRITE);
	}
	flush_kick(g, 1);
	return n;
}

/* poll_us or defer_us > 0: the same with the worker busy-polling or deferring between kicks. */
static void test_threads(uint32_t poll_us, uint32_t defer_us)
{
	struct fake_guest g;
	struct t_host rd = {&g, 0}, wr = {&g, 0};
	pthread_t worker, reader, writer;
	struct snring_done d[64];
	uint32_t tx_posted = 0, tx_done = 0, rx_done = 0, rx_bad = 0, sleeps = 0, lost_irqs = 0;

	CHECK_EQ(fg_init(&g, RAM, -1), 0);
	g.dp.p.poll_us = poll_us;
	g.dp.p.defer_us = defer_us;
	CHECK_EQ(fg_start(&g, ALL_F), 0);
	for (uint16_t i = 0; i < SNNET_QUEUE_SIZE; i++)
		post(&g, 1, T_RXBASE + i * T_SLOT, T_SLOT, i, SNRING_DESC_F_WRITE);
	snring_drv_flush(&g.q[1]);
	alarm(60); /* a lost wake-up fails loudly rather than hanging */
	pthread_create(&worker, NULL, t_worker, &g.dp);
	pthread_create(&reader, NULL, t_host_reader, &rd);
	pthread_create(&writer, NULL, t_host_writer, &wr);
	while (tx_done < T_FRAMES || rx_done < T_FRAMES) {
		bool progress = false;
		int n;

		while (tx_posted < T_FRAMES && snring_drv_free(&g.q[0])) {
			uint16_t id = (uint16_t)(tx_posted % SNNET_QUEUE_SIZE);
			make_frame(fg_ptr(&g, T_TXBASE + id * T_SLOT, T_SLOT), t_len(tx_posted),
				   tx_posted);
			post(&g, 0, T_TXBASE + id * T_SLOT, t_len(tx_posted), id, 0);
			tx_posted++;
			progress = true;
		}
		flush_kick(&g, 0);
		n = reclaim_all(&g, 0, d, 64);
		tx_done += (uint32_t)n;
		progress |= n > 0;
		progress |= t_rx_poll(&g, 64, &rx_done, &rx_bad) > 0;
		/* TX asks as the guest driver does: once half the ring is back. */
		if (!progress && snring_drv_want_irq_after(&g.q[0], SNNET_QUEUE_SIZE / 2) == 0 &&
		    snring_drv_want_irq(&g.q[1]) == 0) {
			struct pollfd pfd = {.fd = g.irq, .events = POLLIN};
			sleeps++;
			if (poll(&pfd, 1, 5000) == 0)
				lost_irqs++; /* an interrupt that should have come did not */
			fg_irqs(&g);
		}
	}
	pthread_join(reader, NULL);
	pthread_join(writer, NULL);
	net_dp_request_stop(&g.dp);
	pthread_join(worker, NULL);
	alarm(0);
	CHECK_EQ(rd.bad, 0);
	CHECK_EQ(wr.bad, 0);
	CHECK_EQ(rx_bad, 0);
	CHECK_EQ(lost_irqs, 0);
	CHECK_EQ(g.dp.c.tx_packets, T_FRAMES);
	CHECK_EQ(g.dp.c.rx_packets, T_FRAMES);
	CHECK_EQ(g.dp.c.protocol_errors, 0);
	printf("threads (poll %u us, defer %u us): %u frames each way, kicks %llu, interrupts "
	       "%llu, batches "
	       "%llu, guest sleeps %u, rx_no_buffer %llu\n",
	       poll_us, defer_us, T_FRAMES, (unsigned long long)g.dp.c.kicks,
	       (unsigned long long)g.dp.c.interrupts, (unsigned long long)g.dp.c.batches, sleeps,
	       (unsigned long long)g.dp.c.rx_no_buffer);
	fg_destroy(&g);
}

/*
 * RX only, a guest far slower than the host: each of its polls takes at most
 * 16 frames, reposts those buffers and then dawdles a millisecond, so the
 * worker keeps running out of buffers with frames waiting. Asked to kick only
 * after half a ring of posts, the guest kicks at most once per 128 frames
 * (one kick per poll, 1250, would fail here), and no frame is lost or stuck.
 */
static void test_rx_slow_guest(void)
{
	struct fake_guest g;
	struct t_host wr = {&g, 0};
	pthread_t worker, writer;
	uint32_t rx_done = 0, rx_bad = 0, lost_irqs = 0;

	CHECK_EQ(fg_init(&g, RAM, -1), 0);
	CHECK_EQ(fg_start(&g, ALL_F), 0);
	for (uint16_t i = 0; i < SNNET_QUEUE_SIZE; i++)
		post(&g, 1, T_RXBASE + i * T_SLOT, T_SLOT, i, SNRING_DESC_F_WRITE);
	snring_drv_flush(&g.q[1]);
	alarm(60); /* a stalled RX fails loudly rather than hanging */
	pthread_create(&worker, NULL, t_worker, &g.dp);
	pthread_create(&writer, NULL, t_host_writer, &wr);
	while (rx_done < T_FRAMES && !lost_irqs) {
		if (t_rx_poll(&g, 16, &rx_done, &rx_bad)) {
			struct timespec ts = {0, 1000000}; /* the guest's stack at work */
			nanosleep(&ts, NULL);
		} else if (snring_drv_want_irq(&g.q[1]) == 0) {
			struct pollfd pfd = {.fd = g.irq, .events = POLLIN};
			if (poll(&pfd, 1, 5000) == 0)
				lost_irqs++;
			fg_irqs(&g);
		}
	}
	pthread_join(writer, NULL);
	net_dp_request_stop(&g.dp);
	pthread_join(worker, NULL);
	alarm(0);
	CHECK_EQ(wr.bad, 0);
	CHECK_EQ(rx_bad, 0);
	CHECK_EQ(lost_irqs, 0);
	CHECK_EQ(g.dp.c.rx_packets, T_FRAMES);
	CHECK(g.dp.c.rx_no_buffer > 10); /* the case under test did happen */
	/* Slack: the start's doorbells, and arms at the next post once the tap ran empty. */
	CHECK(g.dp.c.kicks <= T_FRAMES / (SNNET_QUEUE_SIZE / 2) + 8);
	printf("slow guest: %u frames in, kicks %llu, rx_no_buffer %llu, interrupts %llu\n",
	       T_FRAMES, (unsigned long long)g.dp.c.kicks, (unsigned long long)g.dp.c.rx_no_buffer,
	       (unsigned long long)g.dp.c.interrupts);
	fg_destroy(&g);
}

static void collect(void *ctx, const char *group, const char *name, uint64_t value)
{
	(void)group;
	if (!strcmp(name, "tx_packets"))
		*(uint64_t *)ctx = value;
}

static void test_stats(void)
{
	struct fake_guest g;
	struct stats_writer w;
	uint64_t tx = 99;

	CHECK_EQ(fg_init(&g, RAM, -1), 0);
	g.dp.c.tx_packets = 7;
	stats_writer_init(&w, STATS_COLLECT, NULL);
	w.collect = collect;
	w.ctx = &tx;
	net_dp_stats(&g.dp, &w);
	CHECK_EQ(tx, 7);
	fg_destroy(&g);
}

#define WIN_LEN (SNNET_VNET_HDR_LEN + 60) /* the window tests' frames */

/*
 * The window tests' device, started with poll_us or defer_us, frames 0..2
 * made; returns the kicks so far (the handshake's).
 */
static uint64_t window_start(struct fake_guest *g, uint32_t poll_us, uint32_t defer_us)
{
	CHECK_EQ(fg_init(g, RAM, -1), 0);
	g->dp.p.poll_us = poll_us;
	g->dp.p.defer_us = defer_us;
	CHECK_EQ(fg_start(g, ALL_F), 0);
	CHECK_EQ(net_dp_poll(&g->dp, 0), 0);
	for (unsigned i = 0; i < 3; i++)
		make_frame(fg_ptr(g, buf_gpa(i), WIN_LEN), WIN_LEN, i);
	return g->dp.c.kicks;
}

/*
 * Frames first..first+n-1 while the TX kick is armed: their publish asks for a
 * kick, and one round sends them.
 */
static void window_send_kicked(struct fake_guest *g, unsigned first, unsigned n)
{
	uint8_t got[256];

	for (unsigned i = first; i < first + n; i++)
		CHECK_EQ(post(g, 0, buf_gpa(i), WIN_LEN, (uint16_t)i, 0), 0);
	CHECK(snring_drv_flush(&g->q[0]));
	fg_kick(g, 0);
	CHECK_EQ(net_dp_poll(&g->dp, 0), 0);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(recv(g->tap[1], got, sizeof(got), MSG_DONTWAIT), WIN_LEN);
}

/*
 * Frames first..first+n-1 inside a window: their publish asks for no kick;
 * the next round, waiting up to timeout_ms, sends them, in order.
 */
static void window_send_unkicked(struct fake_guest *g, unsigned first, unsigned n, int timeout_ms)
{
	uint8_t got[256];

	for (unsigned i = first; i < first + n; i++)
		CHECK_EQ(post(g, 0, buf_gpa(i), WIN_LEN, (uint16_t)i, 0), 0);
	CHECK(!snring_drv_flush(&g->q[0]));
	CHECK_EQ(net_dp_poll(&g->dp, timeout_ms), 0);
	for (unsigned i = first; i < first + n; i++) {
		CHECK_EQ(recv(g->tap[1], got, sizeof(got), MSG_DONTWAIT), WIN_LEN);
		CHECK(memcmp(got, fg_ptr(g, buf_gpa(i), WIN_LEN), WIN_LEN) == 0);
	}
}

/* All three frames sent and completed, with a kick for two of them: frame 1 went in a window. */
static void window_totals(struct fake_guest *g, uint64_t kicks0)
{
	struct snring_done d[8];

	CHECK_EQ(reclaim_all(g, 0, d, 8), 3);
	CHECK_EQ(g->dp.c.tx_packets, 3);
	CHECK_EQ(g->dp.c.kicks - kicks0, 2);
	CHECK_EQ(g->dp.c.protocol_errors, 0);
}

/*
 * Busy-polling: after a round that moved a frame the worker leaves the TX kick
 * unarmed and keeps looking, so the next frame needs no kick; once the window
 * passes, one round arms the kick again and the guest's next publish asks for one.
 */
static void test_busy_poll(void)
{
	struct fake_guest g;
	const uint64_t kicks0 = window_start(&g, 10 * 1000 * 1000, 0); /* longer than the test */

	window_send_kicked(&g, 0, 1);
	/* In the window: a round that would block finds the frame at once. */
	window_send_unkicked(&g, 1, 1, 5000);
	CHECK_EQ(g.dp.c.poll_rounds, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 5000), 0); /* nothing there: an empty poll round */
	CHECK_EQ(g.dp.c.poll_rounds, 1);
	CHECK(g.dp.tx_unarmed);

	/* The window passes: the next round arms the kick before the worker would sleep. */
	g.dp.poll_until_ns = 0;
	CHECK_EQ(net_dp_poll(&g.dp, 5000), 0);
	CHECK(!g.dp.tx_unarmed);
	window_send_kicked(&g, 2, 1);
	window_totals(&g, kicks0);

	/* The guest resets the device mid-window: the worker stops polling and sleeps again. */
	CHECK(g.dp.tx_unarmed);
	__atomic_store_n(&g.cfg->status, 0, __ATOMIC_RELEASE);
	fg_kick(&g, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), 0);
	CHECK(!g.dp.tx_unarmed);
	CHECK_EQ(g.dp.poll_until_ns, 0);
	fg_destroy(&g);
}

/*
 * Deferring: after a round that moved a frame the worker leaves the TX kick
 * unarmed and sleeps out the window (the tap still wakes it); a frame posted
 * meanwhile goes when the window ends, without a kick, and a window that finds
 * nothing ends with the kick armed again.
 */
static void test_defer(void)
{
	struct fake_guest g;
	struct snring_done d[8];
	uint8_t f[60 + 12];
	const uint64_t win = 300 * 1000000ull; /* ns: far above a round, far below a hang */
	const uint64_t kicks0 = window_start(&g, 0, (uint32_t)(win / 1000));
	uint64_t t0, end;

	g.dp.p.defer_min = 1; /* one frame opens a window here; test_defer_min has the default */
	CHECK_EQ(post(&g, 1, buf_gpa(10), 2048, 10, SNRING_DESC_F_WRITE), 0);
	snring_drv_flush(&g.q[1]);
	window_send_kicked(&g, 0, 1);
	CHECK(g.dp.tx_unarmed);

	/* In the window the frame waits for the window's end. */
	end = g.dp.poll_until_ns;
	window_send_unkicked(&g, 1, 1, 5000);
	CHECK(mono_ns() >= end);

	/* The tap wakes the worker at once, and RX work leaves the window as it was. */
	make_frame(f, sizeof(f), 7);
	CHECK_EQ(send(g.tap[1], f, sizeof(f), 0), sizeof(f));
	end = g.dp.poll_until_ns;
	t0 = mono_ns();
	CHECK_EQ(net_dp_poll(&g.dp, 5000), 0);
	CHECK(mono_ns() - t0 < win / 2); /* did not sleep out the window */
	CHECK_EQ(g.dp.poll_until_ns, end);
	CHECK_EQ(reclaim_all(&g, 1, d, 8), 1);
	CHECK_EQ(d[0].len, sizeof(f));
	CHECK(memcmp(fg_ptr(&g, buf_gpa(10), sizeof(f)), f, sizeof(f)) == 0);

	/* A window with nothing sleeps to its end, then one round arms the kick. */
	t0 = mono_ns();
	end = g.dp.poll_until_ns;
	CHECK_EQ(g.dp.c.poll_rounds, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 5000), 0);
	CHECK(mono_ns() >= end);
	CHECK_EQ(g.dp.c.poll_rounds, 1);
	CHECK(g.dp.tx_unarmed);
	CHECK_EQ(net_dp_poll(&g.dp, 5000), 0);
	CHECK(!g.dp.tx_unarmed);
	CHECK(mono_ns() - t0 < 5 * win); /* that round did not wait for events */
	window_send_kicked(&g, 2, 1);
	window_totals(&g, kicks0);
	fg_destroy(&g);
}

/*
 * The default defer_min (4): a round that sent fewer frames opens no window,
 * so a lone request or reply never waits in one; a burst of 4 opens one, and
 * a window whose end finds fewer than 4 closes with the kick armed.
 */
static void test_defer_min(void)
{
	struct fake_guest g;
	struct snring_done d[16];
	const uint64_t kicks0 = window_start(&g, 0, 300 * 1000);
	uint64_t t0;

	for (unsigned i = 3; i < 12; i++)
		make_frame(fg_ptr(&g, buf_gpa(i), WIN_LEN), WIN_LEN, i);
	window_send_kicked(&g, 0, 3);
	CHECK(!g.dp.tx_unarmed);
	CHECK_EQ(g.dp.poll_until_ns, 0);
	window_send_kicked(&g, 3, 4); /* its publish asked for a kick: the kick was armed */
	CHECK(g.dp.tx_unarmed);
	CHECK(g.dp.poll_until_ns > mono_ns());

	/* Three frames in the window go at its end, unkicked, and do not extend it. */
	window_send_unkicked(&g, 7, 3, 5000);
	CHECK_EQ(g.dp.c.tx_packets, 10);
	CHECK(g.dp.poll_until_ns < mono_ns());
	t0 = mono_ns();
	CHECK_EQ(net_dp_poll(&g.dp, 5000), 0); /* as any window's end: one round arms the kick */
	CHECK(mono_ns() - t0 < 1000 * 1000000ull);
	CHECK(!g.dp.tx_unarmed);
	window_send_kicked(&g, 10, 2); /* armed again: the next publish kicks */
	CHECK(!g.dp.tx_unarmed);
	CHECK_EQ(reclaim_all(&g, 0, d, 16), 12);
	CHECK_EQ(g.dp.c.kicks - kicks0, 3);
	CHECK_EQ(g.dp.c.protocol_errors, 0);
	fg_destroy(&g);
}

/*
 * A defer window that ends while the tap is full: the worker waits for the tap
 * to take frames again (EPOLLOUT), not in a loop of zero-timeout polls.
 */
static void test_defer_blocked(void)
{
	struct fake_guest g;
	struct snring_done d[64];
	uint8_t got[2048];
	int small = 1;
	const unsigned N = 32;
	uint64_t t0, sent = 0, done = 0;

	window_start(&g, 0, 1000);
	g.dp.p.defer_min = 1;
	window_send_kicked(&g, 0, 1); /* a window opens: the kick stays unarmed */
	CHECK(g.dp.tx_unarmed);
	CHECK_EQ(reclaim_all(&g, 0, d, 64), 1);
	setsockopt(g.tap[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	for (unsigned i = 1; i <= N; i++) {
		make_frame(fg_ptr(&g, buf_gpa(i), 1500), 1500, i);
		CHECK_EQ(post(&g, 0, buf_gpa(i), 1500, (uint16_t)i, 0), 0);
	}
	CHECK(!snring_drv_flush(&g.q[0])); /* unarmed: no kick */
	CHECK_EQ(net_dp_poll(&g.dp, 50), 0);
	CHECK(g.dp.tx_blocked);
	CHECK(g.dp.tx_unarmed);
	usleep(3000); /* the 1 ms window is over */
	t0 = mono_ns();
	for (int i = 0; i < 5; i++)
		CHECK_EQ(net_dp_poll(&g.dp, 20), 0);
	CHECK(mono_ns() - t0 >= 90 * 1000000ull); /* five 20 ms waits, not five returns */
	/* The host reads again: the rest goes out. */
	for (unsigned rounds = 0; sent < N && rounds < 1000; rounds++) {
		while (recv(g.tap[1], got, sizeof(got), MSG_DONTWAIT) == 1500)
			sent++;
		CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
		done += (uint64_t)reclaim_all(&g, 0, d, 64);
	}
	CHECK_EQ(sent, N);
	CHECK_EQ(done + (uint64_t)reclaim_all(&g, 0, d, 64), N);
	fg_destroy(&g);
}

/* TX frames the worker took but had not sent when the guest reset: counted, not lost. */
static void test_reset_discards(void)
{
	struct fake_guest g;
	const unsigned N = 64;

	tx_flood(&g, N);
	CHECK(g.dp.c.tx_packets < N);
	__atomic_store_n(&g.cfg->status, 0, __ATOMIC_SEQ_CST);
	fg_kick(&g, 0);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), 0);
	CHECK_EQ(g.dp.c.tx_packets + g.dp.c.tx_discarded, N);
	CHECK_EQ(g.dp.c.drops, 0);
	fg_destroy(&g);
}

/*
 * A round woken for RX withdraws the TX kick (quiet), then finds a bad TX
 * avail: the kick must be armed again, so the guest's next good post kicks.
 */
static void test_quiet_bad_avail(void)
{
	struct fake_guest g;
	uint8_t f[60 + 12];

	CHECK_EQ(fg_init(&g, RAM, -1), 0);
	CHECK_EQ(fg_start(&g, ALL_F), 0);
	CHECK_EQ(post(&g, 1, buf_gpa(1), 2048, 1, SNRING_DESC_F_WRITE), 0);
	flush_kick(&g, 1);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	__atomic_store_n(&g.q[0].mine->avail, htole32(1000), __ATOMIC_RELEASE);
	make_frame(f, sizeof(f), 4);
	CHECK_EQ(send(g.tap[1], f, sizeof(f), 0), sizeof(f));
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(g.dp.c.rx_packets, 1);
	CHECK(g.dp.c.protocol_errors > 0);
	CHECK(!snring_dev_broken(&g.dp.q[SNRING_QUEUE_TX]));
	/* The guest puts avail right and posts as usual: that post asks for a kick. */
	__atomic_store_n(&g.q[0].mine->avail, htole32(g.q[0].avail_pub), __ATOMIC_RELEASE);
	make_frame(fg_ptr(&g, buf_gpa(2), sizeof(f)), sizeof(f), 5);
	CHECK_EQ(post(&g, 0, buf_gpa(2), sizeof(f), 0, 0), 0);
	CHECK(snring_drv_flush(&g.q[0]));
	fg_destroy(&g);
}

int main(void)
{
	test_layout();
	test_tx();
	test_tx_backpressure();
	test_busy_poll();
	test_defer();
	test_defer_min();
	test_defer_blocked();
	test_reset_discards();
	test_quiet_bad_avail();
	test_rx();
	test_tx_quiet();
	test_start_abandoned_repost();
	test_refused_start_stale_posts();
	test_route_irq();
	test_start_abandoned();
	test_hostile();
	test_rx_edges();
	test_broken_discards();
	test_threads(0, 0);
	test_threads(50, 0);
	test_threads(0, 50);
	test_rx_slow_guest();
	test_stats();
	return check_summary("test_net");
}
