// SPDX-License-Identifier: MIT
/*
 * snnet TX: every skb is one ring slot, either one descriptor (linear skb) or
 * one indirect table (skb with page fragments). The device reads guest
 * memory by guest-physical address, so there is no DMA mapping: the skb head
 * and fragments are direct-mapped (or page) memory, physically contiguous
 * piece by piece. All of it runs under the TX queue lock, but for open and
 * stop (snring_drv_init, snnet_tx_drop_all), which run with the queue stopped,
 * NAPI disabled and tx_timer stopped.
 *
 * Completions raise no interrupt unless the queue is stopped: xmit reclaims
 * them, so does NAPI whenever it runs, and tx_timer catches a burst's tail.
 */
#include <linux/io.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/virtio_net.h>

#include "snnet_priv.h"


/* Frees completed skbs; returns how many slots came back. */
static unsigned int snnet_tx_reclaim(struct snnet_priv *p, int budget)
{
	u64 packets = 0, bytes = 0, errors = 0, bad = 0;
	struct snnet_tx_slot *s;
	struct snring_done d;
	unsigned int n = 0;
	int r;

	while (!snnet_broken(p)) {
		r = snring_drv_reclaim(&p->tx, &d);
		if (r == 0)
			break;
		if (r == -EPROTO) {
			snnet_mark_broken(p, "TX used index ran ahead of avail");
			break;
		}
		/*
		 * An id not in flight: the device lost track of what it holds (the
		 * slot it names may already carry another frame), and every id it
		 * fails to return keeps the queue from ever waking. Stop using it.
		 */
		if (r < 0 || !p->tx_slots[d.id].skb) {
			bad++;
			snnet_mark_broken(p, "TX completion of a slot not in flight");
			break;
		}
		s = &p->tx_slots[d.id];
		if (d.len > s->posted_len) {
			bad++;
			snnet_mark_broken(p, "TX completion longer than the frame");
		} else if (d.flags & SNRING_USED_F_ERROR) {
			errors++;
		} else {
			packets++;
			bytes += s->bytes;
		}
		napi_consume_skb(s->skb, budget);
		s->skb = NULL;
		p->tx_ids.stack[p->tx_ids.nfree++] = d.id;
		n++;
	}
	if (packets | errors | bad) {
		struct snnet_stats *st = &p->stats[SNNET_G_TX];

		u64_stats_update_begin(&st->syncp);
		u64_stats_add(&st->v[SNNET_TX_PACKETS], packets);
		u64_stats_add(&st->v[SNNET_TX_BYTES], bytes);
		u64_stats_add(&st->v[SNNET_TX_ERRORS], errors);
		u64_stats_add(&st->v[SNNET_TX_BAD_COMPLETIONS], bad);
		u64_stats_update_end(&st->syncp);
	}
	return n;
}

/* Any skb fits one slot (an indirect table holds all its fragments): room = a slot and an id. */
static bool snnet_tx_has_room(const struct snnet_priv *p)
{
	return p->tx_ids.nfree && snring_drv_free(&p->tx);
}

/* Fills the slot's indirect table from the skb; returns its byte length. */
static u32 snnet_tx_fill_table(struct snring_desc *t, const struct sk_buff *skb)
{
	const struct skb_shared_info *sh = skb_shinfo(skb);
	unsigned int i, n = 0;

	snring_drv_set_indirect(t, n++, virt_to_phys(skb->data), skb_headlen(skb), 0);
	for (i = 0; i < sh->nr_frags; i++) {
		const skb_frag_t *f = &sh->frags[i];

		if (!skb_frag_size(f))
			continue;
		snring_drv_set_indirect(t, n++, page_to_phys(skb_frag_page(f)) + skb_frag_off(f),
					skb_frag_size(f), 0);
	}
	return n * sizeof(*t);
}

/* Prepends the vnet header and posts the skb; the slot owns it on success. */
static int snnet_tx_post(struct snnet_priv *p, struct sk_buff *skb)
{
	struct virtio_net_hdr_mrg_rxbuf *hdr;
	struct virtio_net_hdr vh;
	struct snnet_tx_slot *s;
	struct snring_buf b;
	u32 bytes = skb->len;
	int err;

	/* Before the push: csum_start is relative to skb->data. */
	err = virtio_net_hdr_from_skb(skb, &vh, true, false, 0);
	if (err)
		return err;
	if (skb_shinfo(skb)->nr_frags && !(p->features & SNNET_F_INDIRECT) && skb_linearize(skb))
		return -ENOMEM;
	if (skb_cow_head(skb, SNNET_VNET_HDR_LEN))
		return -ENOMEM;
	hdr = skb_push(skb, SNNET_VNET_HDR_LEN);
	hdr->hdr = vh;
	hdr->num_buffers = __cpu_to_virtio16(true, 1);
	if (skb->len > p->tx.max_len)
		return -EMSGSIZE;

	b.id = p->tx_ids.stack[p->tx_ids.nfree - 1];
	s = &p->tx_slots[b.id];
	if (skb_shinfo(skb)->nr_frags) {
		b.len = snnet_tx_fill_table(s->table, skb);
		b.addr = virt_to_phys(s->table);
		b.flags = SNRING_DESC_F_INDIRECT;
	} else {
		b.addr = virt_to_phys(skb->data);
		b.len = skb->len;
		b.flags = 0;
	}
	err = snring_drv_post(&p->tx, &b);
	if (err)
		return err;
	p->tx_ids.nfree--;
	s->skb = skb;
	s->posted_len = skb->len;
	s->bytes = bytes;

	u64_stats_update_begin(&p->stats[SNNET_G_TX].syncp);
	if (skb_is_gso(skb))
		u64_stats_inc(&p->stats[SNNET_G_TX].v[SNNET_TX_GSO]);
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		u64_stats_inc(&p->stats[SNNET_G_TX].v[SNNET_TX_CSUM]);
	if (b.flags & SNRING_DESC_F_INDIRECT)
		u64_stats_inc(&p->stats[SNNET_G_TX].v[SNNET_TX_INDIRECT]);
	u64_stats_update_end(&p->stats[SNNET_G_TX].syncp);
	return 0;
}

/*
 * Wake only with half the ring free, so a full ring does not stop/wake per
 * packet, and one TX interrupt covers half a ring.
 */
static u32 snnet_tx_wake_room(const struct snnet_priv *p)
{
	return max_t(u32, p->geo.queue_size / 2, 1);
}

static bool snnet_tx_can_wake(const struct snnet_priv *p)
{
	u32 want = snnet_tx_wake_room(p);

	return p->tx_ids.nfree >= want && snring_drv_free(&p->tx) >= want;
}

/*
 * Asks for an interrupt once enough TX completions are back to wake the
 * queue, not at the first: one interrupt per half ring, and the device
 * still has the rest to send while we refill. Only a stopped queue asks:
 * otherwise completions are reclaimed by the next xmit, by NAPI when it runs
 * for RX, or by tx_timer, and an interrupt per kick would cost several exits
 * for nothing. >0: those completions are already waiting.
 */
static int snnet_tx_want_irq(struct snnet_priv *p)
{
	u32 want = snnet_tx_wake_room(p);
	u32 room = min_t(u32, p->tx_ids.nfree, snring_drv_free(&p->tx));
	int r;

	if (snnet_broken(p))
		return 0;
	r = snring_drv_want_irq_after(&p->tx, want > room ? want - room : 1);
	if (r < 0)
		snnet_mark_broken(p, "TX used index ran ahead of avail");
	return r;
}

/* NAPI is about to sleep: a stopped queue needs the interrupt that wakes it. */
bool snnet_tx_rearm(struct snnet_priv *p)
{
	struct netdev_queue *txq = netdev_get_tx_queue(p->ndev, 0);
	bool again = false;

	__netif_tx_lock(txq, raw_smp_processor_id());
	if (netif_tx_queue_stopped(txq))
		again = snnet_tx_want_irq(p) > 0;
	__netif_tx_unlock(txq);
	return again;
}

/*
 * The skbs in flight were orphaned, so nobody waits for them: the timer only
 * keeps the last ones of a burst from lingering when no xmit or NAPI poll
 * follows. It is deferrable (snnet_probe): an idle vCPU is not woken for it,
 * because a wake-up costs a guest several exits (timer programming, HLT, EOI)
 * and, with sparse traffic such as ping, would come once per packet.
 */
static void snnet_tx_arm_timer(struct snnet_priv *p)
{
	if (snring_drv_inflight(&p->tx) && !timer_pending(&p->tx_timer) && !snnet_broken(p))
		mod_timer(&p->tx_timer, jiffies + SNNET_TX_RECLAIM_DELAY);
}

void snnet_tx_timer(struct timer_list *t)
{
	struct snnet_priv *p = from_timer(p, t, tx_timer);

	napi_schedule(&p->napi);
}

static void snnet_tx_kick(struct snnet_priv *p)
{
	if (snring_drv_flush(&p->tx)) {
		snnet_doorbell(p, SNNET_DOORBELL_TX);
		snnet_stat_add(p, SNNET_G_TX, SNNET_TX_KICKS, 1);
	}
}

netdev_tx_t snnet_start_xmit(struct sk_buff *skb, struct net_device *ndev)
{
	struct snnet_priv *p = netdev_priv(ndev);
	struct netdev_queue *txq = netdev_get_tx_queue(ndev, 0);
	bool posted;

	snnet_tx_reclaim(p, 0);
	if (unlikely(snnet_broken(p))) {
		dev_kfree_skb_any(skb);
		snnet_stat_add(p, SNNET_G_TX, SNNET_TX_DROPPED, 1);
		return NETDEV_TX_OK;
	}
	if (unlikely(!snnet_tx_has_room(p))) {
		/*
		 * The queue stops before the ring fills, so this is a bug. The frame
		 * is dropped rather than handed back with NETDEV_TX_BUSY: that would
		 * need the queue stopped, and nothing here would wake it.
		 */
		netdev_WARN_ONCE(ndev, "TX ring full with the queue awake\n");
		dev_kfree_skb_any(skb);
		snnet_stat_add(p, SNNET_G_TX, SNNET_TX_BUSY, 1);
		if (!netdev_xmit_more())
			snnet_tx_kick(p);
		return NETDEV_TX_OK;
	}
	skb_tx_timestamp(skb);
	/*
	 * Completions come late (no TX interrupt): release the socket's memory
	 * and conntrack now, so TCP small queues and socket buffers do not wait.
	 * Frags lent by user space (a packet socket's TX ring) would go back to
	 * it with the socket's destructor while the host has yet to read them:
	 * skb_orphan_frags() copies those first.
	 */
	posted = false;
	if (likely(!skb_orphan_frags(skb, GFP_ATOMIC))) {
		skb_orphan(skb);
		nf_reset_ct(skb);
		posted = !snnet_tx_post(p, skb);
	}
	if (unlikely(!posted)) {
		dev_kfree_skb_any(skb);
		snnet_stat_add(p, SNNET_G_TX, SNNET_TX_DROPPED, 1);
	}
	if (!snnet_tx_has_room(p)) {
		netif_tx_stop_queue(txq);
		snnet_stat_add(p, SNNET_G_TX, SNNET_TX_STOPS, 1);
		/*
		 * The stopped queue is woken from the reclaim in NAPI, which needs an
		 * interrupt: arm it, and if completions slipped in meanwhile take
		 * them now rather than waiting for one that will not come.
		 */
		if (snnet_tx_want_irq(p) > 0 && snnet_tx_reclaim(p, 0) && snnet_tx_has_room(p)) {
			netif_tx_start_queue(txq);
			snnet_stat_add(p, SNNET_G_TX, SNNET_TX_WAKES, 1);
		}
	}
	if (!netdev_xmit_more() || netif_xmit_stopped(txq))
		snnet_tx_kick(p);
	snnet_tx_arm_timer(p);
	return NETDEV_TX_OK;
}

/* NAPI's share of TX: reclaim and wake a stopped queue. */
void snnet_tx_poll(struct snnet_priv *p, int budget)
{
	struct netdev_queue *txq = netdev_get_tx_queue(p->ndev, 0);

	__netif_tx_lock(txq, raw_smp_processor_id());
	snnet_tx_reclaim(p, budget);
	if (netif_tx_queue_stopped(txq) && snnet_tx_can_wake(p) && !snnet_broken(p)) {
		netif_tx_wake_queue(txq);
		snnet_stat_add(p, SNNET_G_TX, SNNET_TX_WAKES, 1);
	}
	if (!netif_tx_queue_stopped(txq))
		snnet_tx_arm_timer(p);
	__netif_tx_unlock(txq);
}

/*
 * Reclaims what the device completed so far, from process context: ethtool -S
 * calls it so the counters (which count at reclaim) are exact when read, though
 * the deferrable tx_timer may not have run in an idle guest. Caller holds rtnl
 * and the interface is up, so the rings are live.
 */
void snnet_tx_sync(struct snnet_priv *p)
{
	struct netdev_queue *txq = netdev_get_tx_queue(p->ndev, 0);

	__netif_tx_lock_bh(txq);
	snnet_tx_reclaim(p, 0);
	__netif_tx_unlock_bh(txq);
}

/*
 * The stack's watchdog: the queue has been stopped for watchdog_timeo. Its
 * wake needs a TX interrupt; should a kick or an interrupt have been lost,
 * ring the doorbell again and poll, which re-arms. The watchdog freezes the
 * queue but does not hold its lock, which the TX counters need (one writer).
 */
void snnet_tx_timeout(struct net_device *ndev, unsigned int queue)
{
	struct netdev_queue *txq = netdev_get_tx_queue(ndev, 0);
	struct snnet_priv *p = netdev_priv(ndev);
	u32 inflight;

	__netif_tx_lock(txq, smp_processor_id());
	snnet_stat_add(p, SNNET_G_TX, SNNET_TX_TIMEOUTS, 1);
	inflight = snring_drv_inflight(&p->tx);
	if (!snnet_broken(p))
		snnet_doorbell(p, SNNET_DOORBELL_TX);
	__netif_tx_unlock(txq);
	netdev_warn(ndev, "TX queue %u stopped for %u ms: %u in flight, kicking again\n", queue,
		    jiffies_to_msecs(ndev->watchdog_timeo), inflight);
	napi_schedule(&p->napi);
}

/* After the device was reset (or will never read again): frees every posted skb. */
void snnet_tx_drop_all(struct snnet_priv *p)
{
	u32 i;

	for (i = 0; i < p->geo.queue_size; i++) {
		if (p->tx_slots[i].skb) {
			dev_kfree_skb_any(p->tx_slots[i].skb);
			p->tx_slots[i].skb = NULL;
		}
	}
	snnet_ids_reset(&p->tx_ids, p->geo.queue_size);
}
