/* SPDX-License-Identifier: MIT */
/*
 * The NIC's worker: the snnet start/reset handshake and the TX/RX datapath
 * between the shared rings and a tap fd. It knows plain fds and guest RAM
 * only (no struct vm, no KVM), so tests drive it with a socketpair in place
 * of the tap and eventfds in place of doorbells and the interrupt.
 */
#ifndef SNVMM_NET_DATAPATH_H
#define SNVMM_NET_DATAPATH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guest_mem.h"
#include "snnet.h"

#define NET_BATCH 64 /* descriptors dequeued, or frames read, between flushes */

struct stats_writer;

struct net_counters {
	uint64_t tx_packets, rx_packets, tx_bytes, rx_bytes; /* frames, without vnet header */
	uint64_t kicks, interrupts, batches, drops, rx_no_buffer, protocol_errors, broken;
	uint64_t rx_too_big;   /* frames longer than the RX buffer they met: dropped */
	uint64_t tx_discarded; /* TX frames taken but never sent: the guest reset or broke TX */
	uint64_t syscalls;     /* made by the worker: what the benchmark divides by packets */
	uint64_t poll_rounds;  /* window rounds, woken by no event, with too little work to
				  extend it (poll: none; defer: fewer than defer_min frames) */
	uint64_t irq_msi;      /* 1 while the interrupt goes as an MSI (vm_irq_route_as_msi) */
};

struct net_dp_params {
	const char *name;	     /* for messages: the tap's name */
	const struct guest_mem *mem; /* where descriptors point */
	void *shared;		     /* config page + ring region, page aligned */
	size_t shared_size;	     /* at least net_shared_size() */
	int tap_fd;		     /* non-blocking; frames carry a SNNET_VNET_HDR_LEN header */
	int kick_fd[2];		     /* eventfds, [SNRING_QUEUE_TX] and [SNRING_QUEUE_RX] */
	int irq_fd;		     /* eventfd: one write raises the guest's interrupt */
	uint32_t poll_us;	     /* busy-poll this long after work before sleeping; 0: never */
	uint32_t defer_us; /* or sleep this long after work, TX kick unarmed, then look; 0: never */
	uint32_t defer_min; /* frames a round must send to open a defer window; 0: 4 */
	uint8_t mac[6];
	/* Applies the guest's accepted SNNET_F_GUEST_* bits to the tap; may be NULL. */
	int (*set_offload)(void *ctx, uint32_t guest_features);
	void *cb_ctx; /* the callbacks' ctx */
	/*
	 * Routes the interrupt as the guest has it set up, returning 1 when it
	 * goes as an MSI: at each start (the driver's interrupt is set up by
	 * then) and, with route_each_irq, before every interrupt too, since a
	 * guest with several CPUs may move it to another one. May be NULL.
	 */
	int (*route_irq)(void *ctx);
	bool route_each_irq;
};

struct net_dp {
	struct net_dp_params p;
	struct snnet_config *cfg;
	void *region;
	size_t region_size;
	struct snring_config rcfg;
	struct snring_dev q[2];
	int epfd, stop_fd;
	uint32_t tap_events; /* what epoll now watches on the tap */
	bool running;
	bool tx_blocked;  /* the tap said EAGAIN: wait for EPOLLOUT */
	bool rx_wait_buf; /* no RX buffer: the tap is ignored until an RX kick */
	bool tap_gone;	  /* the tap was deleted under us: out of the epoll set for good */
	bool more;	  /* work left (a budget ran out, a bad TX avail to re-read, TX frames
			     to fail after the tap went): next round without sleeping */
	bool polling;	  /* inside a poll or defer window: TX is watched, not armed */
	bool tx_unarmed;  /* TX went idle while polling: arm it before sleeping */
	uint64_t poll_until_ns;
	uint64_t round_work0;	/* window_work when this round began */
	bool broken_counted[2]; /* counted in broken, since the last start */
	bool broken_logged[2];	/* said on stderr, once per VM */
	bool features_logged;	/* bad guest features said on stderr, once per VM */
	uint32_t errors_seen[2];
	struct snring_buf tx_pend[NET_BATCH];
	uint32_t tx_npend, tx_ipend;
	struct snring_seg segs[SNNET_MAX_INDIRECT];
	struct iovec iov[SNNET_MAX_INDIRECT + 1]; /* + rx_spill */
	uint8_t rx_spill; /* one byte past a short RX buffer: did the frame fit? */
	struct net_counters c;
};

/* Bytes of shared memory the device needs: config page, ring region, page rounded. */
size_t net_shared_size(void);

/* Lays out the config page and ring region, creates the stop eventfd and epoll set. */
int net_dp_init(struct net_dp *dp, const struct net_dp_params *p);
/* One round: wait up to timeout_ms, then serve. 1 when stop was requested, else 0 or -errno. */
int net_dp_poll(struct net_dp *dp, int timeout_ms);
/* Rounds until stop is requested; the worker thread's body. */
int net_dp_run(struct net_dp *dp);
/* From any thread. */
void net_dp_request_stop(struct net_dp *dp);
/* Closes what net_dp_init made; the caller's fds and memory stay. */
void net_dp_destroy(struct net_dp *dp);
void net_dp_stats(const struct net_dp *dp, struct stats_writer *w);

#endif
