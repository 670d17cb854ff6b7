// SPDX-License-Identifier: MIT
/*
 * The tap backend and the datapath against a real tap. Everything happens in
 * a child process inside a network namespace it creates with
 * unshare(CLONE_NEWNET), so the host's network is never touched and the
 * namespace (and the tap) vanish when the child exits. The tap gets 10.0.2.1;
 * the fake guest (10.0.2.15) asks for it with ARP through the TX ring and
 * must find the kernel's reply in an RX buffer; then the tap is deleted under
 * the running NIC. Needs root and /dev/net/tun:
 * without them the test fails, it does not skip.
 */
#include "check.h"
#include "net_fake_guest.h"
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>

#define TAP_NAME "snvmmt0"

static const uint8_t guest_mac[6] = {0x02, 0x53, 0x4e, 0x00, 0x00, 0x0f};

/* vnet header (zero), then an ARP request: who has 10.0.2.1? tell 10.0.2.15. */
static uint32_t arp_request(uint8_t *p)
{
	static const uint8_t hdr[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2,  0x53, 0x4e, 0,  0,
				      0x0f, 0x08, 0x06, 0,    1,    8,	  0,  6,    4,	  0,  1,
				      2,    0x53, 0x4e, 0,    0,    0x0f, 10, 0,    2,	  15, 0,
				      0,    0,	  0,	0,    0,    10,	  0,  2,    1};

	memset(p, 0, SNNET_VNET_HDR_LEN);
	memcpy(p + SNNET_VNET_HDR_LEN, hdr, sizeof(hdr));
	return SNNET_VNET_HDR_LEN + sizeof(hdr);
}

/* Interface name's index, or 0. */
static int if_index(const char *name)
{
	struct ifreq ifr = {0};
	int q = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), index = 0;

	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (q >= 0 && ioctl(q, SIOCGIFINDEX, &ifr) == 0)
		index = ifr.ifr_ifindex;
	if (q >= 0)
		close(q);
	return index;
}

/* Posts RX buffer id (64 KiB at 0x100000 + id * 64 KiB); snring_drv_post's result. */
static int rx_give_back(struct fake_guest *g, uint16_t id)
{
	struct snring_buf b = {.addr = 0x100000 + id * 0x10000ULL,
			       .len = 0x10000,
			       .id = id,
			       .flags = SNRING_DESC_F_WRITE};

	return snring_drv_post(&g->q[1], &b);
}

/* Deletes interface name as `ip link del` does (RTM_DELLINK); 0 once the kernel acked it. */
static int link_delete(const char *name)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {.nh = {.nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_DELLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK},
		 .ifi = {.ifi_family = AF_UNSPEC, .ifi_index = if_index(name)}};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), r = -1;

	if (s >= 0 && req.ifi.ifi_index && send(s, &req, sizeof(req), 0) == sizeof(req) &&
	    recv(s, &ack, sizeof(ack), 0) >= (ssize_t)sizeof(ack) &&
	    ack.nh.nlmsg_type == NLMSG_ERROR)
		r = ack.err.error;
	if (s >= 0)
		close(s);
	return r;
}

/* Sends frame (Ethernet header on) out of interface name through a packet socket. */
static ssize_t packet_send(const char *name, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = if_index(name)};
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ssize_t r = -1;

	if (s >= 0 && sll.sll_ifindex)
		r = sendto(s, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll));
	if (s >= 0)
		close(s);
	return r;
}

/*
 * A frame longer than the guest's buffer (the host raised the tap's MTU past
 * it): tun copies what fits and says no more, so unchecked the cut frame would
 * pass for one that fit. The worker must drop it (rx_too_big), and the same
 * buffer takes the next frame.
 */
static void frame_too_big(struct fake_guest *g)
{
	static uint8_t big[65521 + 14]; /* tun's largest MTU for a tap */
	struct ifreq ifr = {0};
	struct snring_done d;
	int q = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), found = 0;
	uint64_t drops = g->dp.c.drops, too_big = g->dp.c.rx_too_big;
	const uint8_t *f;

	strncpy(ifr.ifr_name, TAP_NAME, IFNAMSIZ - 1);
	ifr.ifr_mtu = 65521;
	CHECK_EQ(ioctl(q, SIOCSIFMTU, &ifr), 0);
	close(q);
	memset(big, 0xff, 6);				/* broadcast */
	memcpy(big + 6, "\x02\x00\x00\x00\x00\x01", 6); /* from a made-up host MAC */
	big[12] = 0x88, big[13] = 0xb5;			/* local experimental EtherType */
	/* With its vnet header this is 11 bytes more than a 64 KiB buffer holds. */
	CHECK_EQ(packet_send(TAP_NAME, big, sizeof(big)), (ssize_t)sizeof(big));
	CHECK_EQ(packet_send(TAP_NAME, big, 60), 60);
	/* Other frames (IPv6 chatter) may come too; every completion must fit its buffer. */
	for (int round = 0; round < 50 && !found; round++) {
		CHECK_EQ(net_dp_poll(&g->dp, 20), 0);
		while (snring_drv_reclaim(&g->q[1], &d) == 1) {
			CHECK(d.len <= 0x10000);
			f = fg_ptr(g, 0x100000 + d.id * 0x10000ULL, 64);
			if (d.len >= SNNET_VNET_HDR_LEN + 14 &&
			    f[SNNET_VNET_HDR_LEN + 12] == 0x88 &&
			    f[SNNET_VNET_HDR_LEN + 13] == 0xb5) {
				CHECK_EQ(d.len,
					 SNNET_VNET_HDR_LEN + 60); /* never the cut big one */
				found = 1;
			}
			rx_give_back(g, d.id);
		}
		if (snring_drv_flush(&g->q[1]))
			fg_kick(g, 1);
	}
	CHECK(found);
	CHECK_EQ(g->dp.c.rx_too_big - too_big, 1);
	CHECK_EQ(g->dp.c.drops - drops, 0);
	CHECK_EQ(g->dp.c.protocol_errors, 0);
}

/*
 * The tap deleted on the host while the NIC runs: tun then reports EPOLLERR
 * for good. The worker says so once and drops the tap from its epoll set, so
 * it sleeps again instead of spinning; a TX frame afterwards comes back with
 * the error flag, counted as a drop, and the guest is not blamed.
 */
static void tap_deleted(struct fake_guest *g)
{
	struct snring_buf b = {.addr = 0x80000, .id = 2};
	struct snring_done d;
	struct timespec t0, t1;
	uint64_t sys, drops = g->dp.c.drops;

	CHECK_EQ(link_delete(TAP_NAME), 0);
	CHECK_EQ(net_dp_poll(&g->dp, 20), 0);
	CHECK(g->dp.tap_gone);
	sys = g->dp.c.syscalls;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(net_dp_poll(&g->dp, 2), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_EQ(g->dp.c.syscalls - sys, 10); /* one epoll_wait each */
	/* ... and each waited its 2 ms out: a tap still in the set would end every wait at once. */
	CHECK((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) >= 18000000L);
	CHECK_EQ(g->dp.c.drops - drops, 0);
	while (snring_drv_reclaim(&g->q[0], &d) == 1)
		;
	b.len = arp_request(fg_ptr(g, 0x80000, 64));
	CHECK_EQ(snring_drv_post(&g->q[0], &b), 0);
	if (snring_drv_flush(&g->q[0]))
		fg_kick(g, 0);
	CHECK_EQ(net_dp_poll(&g->dp, 20), 0);
	CHECK_EQ(snring_drv_reclaim(&g->q[0], &d), 1);
	CHECK_EQ(d.id, 2);
	CHECK(d.flags & SNRING_USED_F_ERROR);
	CHECK_EQ(g->dp.c.drops - drops, 1);
	CHECK_EQ(g->dp.c.protocol_errors, 0);
}

static int child(void)
{
	struct fake_guest g;
	struct snring_buf b;
	struct snring_done d;
	uint8_t tap_mac[6] = {0};
	const uint8_t *f;
	int fd, found = 0;

	CHECK_EQ(unshare(CLONE_NEWNET), 0);
	CHECK_EQ(tap_open("a-name-far-too-long-for-linux"), -EINVAL);
	CHECK_EQ(tap_open("lo"), -EINVAL); /* exists, and is not a tap */
	fd = tap_open(TAP_NAME);
	CHECK(fd >= 0);
	if (fd < 0)
		return check_summary("test_tap (netns)");
	CHECK_EQ(tap_open(TAP_NAME), -EBUSY); /* one process at a time */
	CHECK_EQ(tap_set_offload(fd, true, true, true), 0);
	CHECK_EQ(tap_set_offload(fd, false, false, false), 0);
	CHECK_EQ(fake_if_up(TAP_NAME, "10.0.2.1", tap_mac), 0);

	CHECK_EQ(fg_init(&g, 16 << 20, fd), 0);
	CHECK_EQ(fg_start(&g, SNNET_F_CSUM | SNNET_F_GUEST_CSUM | SNNET_F_INDIRECT), 0);
	for (uint16_t i = 0; i < 8; i++)
		CHECK_EQ(rx_give_back(&g, i), 0);
	snring_drv_flush(&g.q[1]);
	CHECK_EQ(net_dp_poll(&g.dp, 0), 0);
	CHECK_EQ(fg_device_status(&g), SNNET_DEVICE_RUNNING);

	b = (struct snring_buf){.addr = 0x80000, .id = 0};
	b.len = arp_request(fg_ptr(&g, 0x80000, 64));
	CHECK_EQ(snring_drv_post(&g.q[0], &b), 0);
	if (snring_drv_flush(&g.q[0]))
		fg_kick(&g, 0);
	/* The kernel may send IPv6 chatter first; look through what arrives for 2 s. */
	for (int round = 0; round < 100 && !found; round++) {
		CHECK_EQ(net_dp_poll(&g.dp, 20), 0);
		while (snring_drv_reclaim(&g.q[1], &d) == 1) {
			f = fg_ptr(&g, 0x100000 + d.id * 0x10000ULL, d.len);
			if (d.len >= SNNET_VNET_HDR_LEN + 42 &&
			    f[SNNET_VNET_HDR_LEN + 12] == 0x08 &&
			    f[SNNET_VNET_HDR_LEN + 13] == 0x06 && f[SNNET_VNET_HDR_LEN + 21] == 2) {
				found = 1;
				CHECK(memcmp(f + SNNET_VNET_HDR_LEN, guest_mac, 6) == 0);
				CHECK(memcmp(f + SNNET_VNET_HDR_LEN + 6, tap_mac, 6) == 0);
				CHECK(memcmp(f + SNNET_VNET_HDR_LEN + 28, "\x0a\x00\x02\x01", 4) ==
				      0);
				CHECK(memcmp(f + SNNET_VNET_HDR_LEN + 38, "\x0a\x00\x02\x0f", 4) ==
				      0);
			}
			rx_give_back(&g, d.id);
		}
		if (snring_drv_flush(&g.q[1]))
			fg_kick(&g, 1);
	}
	CHECK(found);
	CHECK_EQ(g.dp.c.tx_packets, 1);
	CHECK(g.dp.c.rx_packets >= 1);
	CHECK_EQ(g.dp.c.protocol_errors, 0);
	frame_too_big(&g);
	tap_deleted(&g);
	fg_destroy(&g); /* closes the tap; the namespace goes with this process */
	return check_summary("test_tap (netns)");
}

int main(void)
{
	int status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		status = child();
		fflush(stdout);
		_exit(status);
	}
	CHECK(pid > 0);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return check_summary("test_tap");
}
