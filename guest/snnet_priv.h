/* SPDX-License-Identifier: MIT */
/*
 * snnet: guest driver of the snvmm paravirtual NIC. Private state shared by
 * snnet_main.c (probe, handshake, open/stop, interrupt, NAPI), snnet_tx.c,
 * snnet_rx.c and snnet_ethtool.c. The device ABI is ring/snnet.h.
 *
 * Locking: everything that touches the TX ring (xmit, TX reclaim and re-arm
 * in NAPI) runs under the netdev TX queue lock, but for open/stop, which run
 * with the queue stopped and NAPI disabled; the RX ring is touched only by
 * NAPI, and by open/stop and refill_work while NAPI is disabled.
 */
#ifndef SNNET_PRIV_H
#define SNNET_PRIV_H

#include <linux/bitops.h>
#include <linux/netdevice.h>
#include <linux/timer.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>

#include "../ring/snnet.h"

#define SNNET_DRV_NAME "snnet"

/* The device writes the geometry; refuse sizes we would not allocate for. */
#define SNNET_MAX_QUEUE_SIZE 4096
/* Small RX buffers come from page-fragment caches; keep them well under 32 KiB. */
#define SNNET_MAX_MTU	  9000
#define SNNET_RX_HEADROOM (NET_SKB_PAD + NET_IP_ALIGN)
/* Bytes of a big RX frame copied into the skb head: covers every header the stack parses. */
#define SNNET_RX_COPY_LEN    256
#define SNNET_BIG_PAGES	     DIV_ROUND_UP(SNNET_MAX_BUF_LEN, PAGE_SIZE)
#define SNNET_INDIRECT_BYTES (SNNET_MAX_INDIRECT * sizeof(struct snring_desc))

/* Bounded waits for the device in the start/reset handshake. */
#define SNNET_HANDSHAKE_POLL_US	   200
#define SNNET_HANDSHAKE_TIMEOUT_US 1000000

/* The stack's TX watchdog: well past any stall a healthy host has, TCG's included. */
#define SNNET_TX_WATCHDOG (5 * HZ)

/*
 * TX completions are reclaimed without interrupts (next xmit, NAPI); this
 * deferrable timer reclaims the last skbs of a burst at the vCPU's next wake-up
 * when neither comes.
 */
#define SNNET_TX_RECLAIM_DELAY max_t(unsigned long, HZ / 100, 1)

enum snnet_stat {
	SNNET_TX_PACKETS,
	SNNET_TX_BYTES,
	SNNET_TX_KICKS,
	SNNET_TX_GSO,
	SNNET_TX_CSUM,
	SNNET_TX_INDIRECT,
	SNNET_TX_STOPS,
	SNNET_TX_WAKES,
	SNNET_TX_BUSY,
	SNNET_TX_DROPPED,
	SNNET_TX_ERRORS,
	SNNET_TX_BAD_COMPLETIONS,
	SNNET_TX_TIMEOUTS,
	SNNET_RX_PACKETS,
	SNNET_RX_BYTES,
	SNNET_RX_KICKS,
	SNNET_RX_GSO,
	SNNET_RX_CSUM_VALID,
	SNNET_RX_CSUM_PARTIAL,
	SNNET_RX_NO_BUFFER,
	SNNET_RX_ALLOC_FAILS,
	SNNET_RX_DROPPED,
	SNNET_RX_LENGTH_ERRORS,
	SNNET_RX_FRAME_ERRORS,
	SNNET_RX_ERRORS,
	SNNET_RX_BAD_COMPLETIONS,
	SNNET_NAPI_POLLS,
	SNNET_NAPI_REPOLLS,
	SNNET_INTERRUPTS,
	SNNET_NSTATS
};

/*
 * Each counter has exactly one writer context, hence one group with its own
 * seqcount; readers sum the groups (a counter is zero outside its own group).
 */
enum snnet_stat_group { SNNET_G_TX, SNNET_G_RX, SNNET_G_IRQ, SNNET_NGROUPS };

struct snnet_stats {
	struct u64_stats_sync syncp;
	u64_stats_t v[SNNET_NSTATS];
} ____cacheline_aligned_in_smp;

/* Ids are slot indices; a free-id stack lets completions come in any order. */
struct snnet_ids {
	u16 *stack;
	u32 nfree;
};

struct snnet_tx_slot {
	struct sk_buff *skb;	   /* non-NULL while posted */
	struct snring_desc *table; /* indirect table (SNNET_F_INDIRECT), else NULL */
	u32 posted_len;		   /* bytes the device may report, vnet header included */
	u32 bytes;		   /* frame length for the counters */
};

struct snnet_rx_slot {
	bool busy; /* posted to the device */
	u32 posted_len;
	void *buf;		   /* small buffer (page fragment), kept until an skb takes it */
	struct snring_desc *table; /* big buffers only */
	struct page *pages[SNNET_BIG_PAGES]; /* big buffers; NULL once an skb took it */
};

enum snnet_flags {
	SNNET_BROKEN, /* the device broke the ring protocol: leave the rings alone */
};

struct snnet_priv {
	struct net_device *ndev;
	struct device *dev;
	struct napi_struct napi;
	struct snnet_config *cfg; /* start of the shared region */
	void *ring_region;
	void __iomem *doorbells;
	struct snring_config geo;
	u32 features;	 /* negotiated SNNET_F_* */
	u32 rx_buf_len;	 /* bytes in one RX buffer, vnet header included */
	u32 rx_truesize; /* small buffers: fragment size */
	bool big;	 /* RX buffers are indirect page tables (GUEST_TSO) */
	bool wedged;	 /* a reset timed out: the device may still use its buffers */
	unsigned long flags;

	struct snring_drv tx;
	struct snnet_tx_slot *tx_slots;
	struct snnet_ids tx_ids;
	struct timer_list tx_timer; /* reclaims a burst's tail; armed by xmit */

	struct snring_drv rx;
	struct snnet_rx_slot *rx_slots;
	struct snnet_ids rx_ids;
	struct delayed_work refill_work;
	spinlock_t refill_lock; /* refill_on, and queueing refill_work */
	bool refill_on;		/* up: refill_work may be queued */

	struct snnet_stats stats[SNNET_NGROUPS];
};

static inline void snnet_stat_add(struct snnet_priv *p, enum snnet_stat_group g, enum snnet_stat s,
				  u64 n)
{
	u64_stats_update_begin(&p->stats[g].syncp);
	u64_stats_add(&p->stats[g].v[s], n);
	u64_stats_update_end(&p->stats[g].syncp);
}

static inline bool snnet_broken(const struct snnet_priv *p)
{
	return test_bit(SNNET_BROKEN, &p->flags);
}

static inline void snnet_doorbell(struct snnet_priv *p, unsigned int which)
{
	iowrite32(1, p->doorbells + which);
}

/* snnet_main.c */
void snnet_mark_broken(struct snnet_priv *p, const char *why);
void snnet_ids_reset(struct snnet_ids *ids, u32 size);

/* snnet_tx.c */
netdev_tx_t snnet_start_xmit(struct sk_buff *skb, struct net_device *ndev);
void snnet_tx_poll(struct snnet_priv *p, int budget);
void snnet_tx_drop_all(struct snnet_priv *p);
void snnet_tx_timer(struct timer_list *t);
bool snnet_tx_rearm(struct snnet_priv *p);
void snnet_tx_sync(struct snnet_priv *p);
void snnet_tx_timeout(struct net_device *ndev, unsigned int queue);

/* snnet_rx.c */
int snnet_rx_poll(struct snnet_priv *p, int budget);
bool snnet_rx_refill(struct snnet_priv *p, bool in_napi);
void snnet_rx_free_all(struct snnet_priv *p);
void snnet_rx_refill_work(struct work_struct *work);
void snnet_rx_refill_later(struct snnet_priv *p);
void snnet_rx_refill_enable(struct snnet_priv *p, bool on);

/* snnet_ethtool.c */
extern const struct ethtool_ops snnet_ethtool_ops;
void snnet_get_stats64(struct net_device *ndev, struct rtnl_link_stats64 *s);

#endif
