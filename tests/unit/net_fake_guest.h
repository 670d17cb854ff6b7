/* SPDX-License-Identifier: MIT */
/*
 * A fake guest for the NIC datapath: guest RAM from guest_mem_init(), the
 * shared region in separate memory (as the VMM's memslot is), the driver
 * side of the rings, eventfds for the doorbells and the interrupt, and a
 * SOCK_SEQPACKET socketpair in place of the tap (one message = one frame).
 * Shared by test_net.c and the datapath benchmark.
 */
#ifndef SNVMM_NET_FAKE_GUEST_H
#define SNVMM_NET_FAKE_GUEST_H

#include "net_datapath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

struct fake_guest {
	struct guest_mem mem;
	void *shared;
	struct snnet_config *cfg;
	struct snring_config rcfg;
	struct snring_drv q[2];
	int kick[2], irq, tap[2]; /* tap[0]: the device's end, tap[1]: the host stack's */
	struct net_dp dp;
};

/*
 * The rest of fg_init, for a guest whose RAM (g->mem) is already there: the
 * fuzzer maps its own between guard pages. p: datapath settings beyond the
 * fake's own (poll_us, defer_us), or zeros.
 */
static inline int fg_init_dp(struct fake_guest *g, int tap_fd, struct net_dp_params p)
{
	p.name = "fake";
	memcpy(p.mac, (uint8_t[6]){0x02, 1, 2, 3, 4, 5}, 6);
	g->shared = aligned_alloc(4096, net_shared_size());
	if (tap_fd < 0) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, g->tap))
			return -1;
		fcntl(g->tap[0], F_SETFL, O_NONBLOCK);
	} else {
		g->tap[0] = tap_fd;
		g->tap[1] = -1;
	}
	g->kick[0] = eventfd(0, EFD_NONBLOCK);
	g->kick[1] = eventfd(0, EFD_NONBLOCK);
	g->irq = eventfd(0, EFD_NONBLOCK);
	p.mem = &g->mem;
	p.shared = g->shared;
	p.shared_size = net_shared_size();
	p.tap_fd = g->tap[0];
	p.kick_fd[0] = g->kick[0];
	p.kick_fd[1] = g->kick[1];
	p.irq_fd = g->irq;
	if (net_dp_init(&g->dp, &p))
		return -1;
	g->cfg = g->shared;
	return 0;
}

/* tap_fd < 0: use a socketpair; else the device talks to that fd. */
static inline int fg_init(struct fake_guest *g, uint64_t ram, int tap_fd)
{
	memset(g, 0, sizeof(*g));
	if (guest_mem_init(&g->mem, ram))
		return -1;
	return fg_init_dp(g, tap_fd, (struct net_dp_params){0});
}

static inline void fg_destroy(struct fake_guest *g)
{
	net_dp_destroy(&g->dp);
	for (int i = 0; i < 2; i++) {
		close(g->kick[i]);
		if (g->tap[i] >= 0)
			close(g->tap[i]);
	}
	close(g->irq);
	free(g->shared);
	guest_mem_destroy(&g->mem);
}

static inline void fg_kick(struct fake_guest *g, int q)
{
	uint64_t one = 1;

	if (write(g->kick[q], &one, sizeof(one)) != sizeof(one))
		abort();
}

/* Interrupts raised since the last call. */
static inline uint64_t fg_irqs(struct fake_guest *g)
{
	uint64_t v = 0;

	if (read(g->irq, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* The driver's side of the handshake, up to writing DRIVER_OK and ringing both doorbells. */
static inline int fg_start(struct fake_guest *g, uint32_t features)
{
	uint8_t *region = (uint8_t *)g->shared + le32toh(g->cfg->ring_offset);
	int r = snring_region_parse(region, le32toh(g->cfg->ring_size), &g->rcfg);

	if (r)
		return r;
	for (uint32_t i = 0; i < 2; i++)
		if ((r = snring_drv_init(&g->q[i], region, &g->rcfg, i)))
			return r;
	__atomic_store_n(&g->cfg->guest_features, htole32(features), __ATOMIC_RELAXED);
	__atomic_store_n(&g->cfg->status, htole32(SNNET_STATUS_DRIVER_OK), __ATOMIC_RELEASE);
	fg_kick(g, 0);
	fg_kick(g, 1);
	return 0;
}

static inline uint32_t fg_device_status(struct fake_guest *g)
{
	return le32toh(__atomic_load_n(&g->cfg->device_status, __ATOMIC_ACQUIRE));
}

static inline uint8_t *fg_ptr(struct fake_guest *g, uint64_t gpa, uint64_t len)
{
	return guest_ptr(&g->mem, gpa, len);
}

/*
 * Gives interface name the address ip/24 and brings it up; copies its MAC to
 * mac when mac is not NULL. Only ever called inside a throwaway namespace.
 */
static inline int fake_if_up(const char *name, const char *ip, uint8_t mac[6])
{
	struct ifreq ifr = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return -errno;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin->sin_addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		r = -errno;
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	if (!r && ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		r = -errno;
	if (!r && mac && ioctl(s, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (!r && ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!r && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		r = -errno;
	close(s);
	return r;
}

#endif
