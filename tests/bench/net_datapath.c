// SPDX-License-Identifier: MIT
/*
 * Host-only datapath benchmark (no KVM): a thread playing the guest drives
 * the TX ring with fixed-size frames, the real worker (net_dp_run) writes
 * them to a tap, and the rate is compared with a plain write() loop to the
 * same tap. Runs in a fresh network namespace (root needed), the tap holding
 * 10.0.2.1 and the frames addressed to a MAC nobody has, so the host stack
 * drops them right after the tap. Bounded: BENCH_FRAMES frames (default
 * 200000) or BENCH_SECS seconds (default 5) per run, whichever comes first.
 *
 * Syscalls per packet: the worker counts its own (epoll_wait, eventfd
 * reads/writes, writev, epoll_ctl); the guest's kicks are counted apart: in a
 * VM each is one ioeventfd exit, not a syscall of this process.
 */
#include "net_fake_guest.h"
#include "stats.h"
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <time.h>

#define TAP_NAME "snbench0"
#define TX_BASE	 0x100000ULL
#define SLOT	 2048u

struct result {
	double pps;
	uint64_t frames;
	double syscalls_per_pkt, kicks_per_pkt, irqs_per_pkt, avg_batch;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

/* vnet header, then an Ethernet frame of len bytes to a MAC that is not the tap's. */
static void make_frame(uint8_t *p, uint32_t len)
{
	static const uint8_t eth[14] = {0x02, 0,    0, 0, 0,	0x99, 0x02,
					0x53, 0x4e, 0, 0, 0x0f, 0x08, 0x00};

	memset(p, 0, SNNET_VNET_HDR_LEN + len);
	memcpy(p + SNNET_VNET_HDR_LEN, eth, sizeof(eth));
}

static struct result plain_loop(int fd, uint32_t len, uint64_t max, double secs)
{
	uint8_t buf[SLOT];
	struct result r = {0};
	double t0 = now(), t;

	make_frame(buf, len);
	while (r.frames < max) {
		if (write(fd, buf, SNNET_VNET_HDR_LEN + len) < 0 && errno != EAGAIN) {
			perror("bench: write tap");
			break;
		}
		r.frames++;
		if ((r.frames & 1023) == 0 && now() - t0 > secs)
			break;
	}
	t = now() - t0;
	r.pps = r.frames / t;
	r.syscalls_per_pkt = 1;
	return r;
}

static void *worker(void *arg)
{
	net_dp_run(arg);
	return NULL;
}

static struct result ring_run(int fd, uint32_t len, uint64_t max, double secs)
{
	struct fake_guest g;
	struct snring_done d[64];
	struct result r = {0};
	pthread_t th;
	uint64_t posted = 0, done = 0, kicks = 0;
	double t0, t;

	if (fg_init(&g, 64 << 20, fd) || fg_start(&g, SNNET_F_CSUM | SNNET_F_INDIRECT))
		exit(1);
	net_dp_poll(&g.dp, 0); /* the handshake, before timing */
	for (uint16_t i = 0; i < SNNET_QUEUE_SIZE; i++)
		make_frame(fg_ptr(&g, TX_BASE + i * SLOT, SLOT), len);
	g.dp.c = (struct net_counters){0};
	pthread_create(&th, NULL, worker, &g.dp);
	t0 = now();
	while (done < posted || posted < max) {
		int n;

		while (posted < max && snring_drv_free(&g.q[0])) {
			uint16_t id = (uint16_t)(posted % SNNET_QUEUE_SIZE);
			struct snring_buf b = {
			    .addr = TX_BASE + id * SLOT, .len = SNNET_VNET_HDR_LEN + len, .id = id};
			snring_drv_post(&g.q[0], &b);
			posted++;
		}
		if (snring_drv_flush(&g.q[0])) {
			fg_kick(&g, 0);
			kicks++;
		}
		n = snring_drv_reclaim_batch(&g.q[0], d, 64);
		if (n > 0) {
			done += (uint64_t)n;
			continue;
		}
		/*
		 * Nothing to reclaim: sleep for the interrupt, NAPI style, asking for it
		 * once half the ring is back, as the guest driver does.
		 */
		if (snring_drv_want_irq_after(&g.q[0], SNNET_QUEUE_SIZE / 2) == 0) {
			struct pollfd p = {.fd = g.irq, .events = POLLIN};
			poll(&p, 1, 1000);
			fg_irqs(&g);
		}
		if ((done & 1023) == 0 && now() - t0 > secs)
			max = posted; /* time is up: finish what is in flight */
	}
	t = now() - t0;
	net_dp_request_stop(&g.dp);
	pthread_join(th, NULL);
	r.frames = counter_read(&g.dp.c.tx_packets);
	r.pps = r.frames / t;
	r.syscalls_per_pkt = (double)g.dp.c.syscalls / (double)(r.frames ? r.frames : 1);
	r.kicks_per_pkt = (double)kicks / (double)(r.frames ? r.frames : 1);
	r.irqs_per_pkt = (double)g.dp.c.interrupts / (double)(r.frames ? r.frames : 1);
	r.avg_batch = g.dp.c.batches ? (double)r.frames / g.dp.c.batches : 0;
	if (g.dp.c.drops || g.dp.c.protocol_errors)
		fprintf(stderr, "bench: %llu drops, %llu protocol errors\n",
			(unsigned long long)g.dp.c.drops,
			(unsigned long long)g.dp.c.protocol_errors);
	g.tap[0] = -1; /* the tap is reused by the next run */
	fg_destroy(&g);
	return r;
}

int main(void)
{
	uint64_t max = env_ul("BENCH_FRAMES", 200000);
	double secs = (double)env_ul("BENCH_SECS", 5);
	const uint32_t sizes[2] = {64, 1500};
	int fd, worst = 100;

	if (unshare(CLONE_NEWNET)) {
		perror("bench: unshare(CLONE_NEWNET) (needs root)");
		return 1;
	}
	fd = tap_open(TAP_NAME);
	if (fd < 0 || fake_if_up(TAP_NAME, "10.0.2.1", NULL)) {
		fprintf(stderr, "bench: cannot set up tap %s\n", TAP_NAME);
		return 1;
	}
	printf("%-6s %-6s %10s %9s %10s %10s %9s %9s\n", "frame", "path", "frames", "Mpps",
	       "vs plain", "sys/pkt", "kick/pkt", "irq/pkt");
	for (int i = 0; i < 2; i++) {
		struct result p = plain_loop(fd, sizes[i], max, secs);
		struct result r = ring_run(fd, sizes[i], max, secs);
		int pct = (int)(100.0 * r.pps / p.pps);

		printf("%-6u %-6s %10llu %9.3f %9s%% %10.3f %9s %9s\n", sizes[i], "plain",
		       (unsigned long long)p.frames, p.pps / 1e6, "100", 1.0, "-", "-");
		printf("%-6u %-6s %10llu %9.3f %9d%% %10.3f %9.4f %9.4f  (avg batch %.1f)\n",
		       sizes[i], "ring", (unsigned long long)r.frames, r.pps / 1e6, pct,
		       r.syscalls_per_pkt, r.kicks_per_pkt, r.irqs_per_pkt, r.avg_batch);
		if (pct < worst)
			worst = pct;
	}
	printf("bench-datapath: worst ring/plain %d%% (target >= 80%%)\n", worst);
	close(fd);
	return 0;
}
