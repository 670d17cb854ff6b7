// SPDX-License-Identifier: MIT
/*
 * snnet RX: the ring is kept full of buffers, one slot each.
 *
 * Small buffers (no GUEST_TSO): one page fragment holding headroom, the vnet
 * header and an MTU-sized frame, turned into an skb in place (build_skb).
 *
 * Big buffers (GUEST_TSO4/6): an indirect table of SNNET_BIG_PAGES pages,
 * SNNET_MAX_BUF_LEN bytes in all. The first SNNET_RX_COPY_LEN bytes of the
 * frame are copied into a fresh skb head and the rest attached as page
 * fragments. Pages an skb did not take stay in the slot and are posted again,
 * so a small frame (an ACK) costs no page allocation at all.
 *
 * Everything here runs in NAPI, or with NAPI disabled: in open/stop, and in
 * refill_work.
 */
#include <linux/etherdevice.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/virtio_net.h>

#include "snnet_priv.h"

static void snnet_rx_count(struct snnet_priv *p, enum snnet_stat s)
{
	snnet_stat_add(p, SNNET_G_RX, s, 1);
}

/* Gives the slot whatever it lacks and posts it. -ENOMEM leaves it partly filled. */
static int snnet_rx_post_slot(struct snnet_priv *p, u16 id, bool in_napi)
{
	struct snnet_rx_slot *s = &p->rx_slots[id];
	gfp_t gfp = (in_napi ? GFP_ATOMIC : GFP_KERNEL) | __GFP_NOWARN;
	struct snring_buf b = { .id = id, .flags = SNRING_DESC_F_WRITE };
	u32 i, left;
	int err;

	if (!p->big) {
		if (!s->buf) {
			s->buf = in_napi ? napi_alloc_frag(p->rx_truesize) :
					   netdev_alloc_frag(p->rx_truesize);
			if (!s->buf)
				return -ENOMEM;
		}
		b.addr = virt_to_phys(s->buf + SNNET_RX_HEADROOM);
		b.len = p->rx_buf_len;
	} else {
		left = p->rx_buf_len;
		for (i = 0; i < SNNET_BIG_PAGES; i++) {
			if (!s->pages[i]) {
				s->pages[i] = alloc_page(gfp);
				if (!s->pages[i])
					return -ENOMEM;
			}
			snring_drv_set_indirect(s->table, i, page_to_phys(s->pages[i]),
						min_t(u32, left, PAGE_SIZE), SNRING_DESC_F_WRITE);
			left -= min_t(u32, left, PAGE_SIZE);
		}
		b.addr = virt_to_phys(s->table);
		b.len = SNNET_BIG_PAGES * sizeof(struct snring_desc);
		b.flags |= SNRING_DESC_F_INDIRECT;
	}
	err = snring_drv_post(&p->rx, &b);
	if (err)
		return err;
	s->busy = true;
	s->posted_len = p->rx_buf_len;
	return 0;
}

/*
 * Posts buffers into every free slot, publishes them and kicks the device if
 * it asked. Returns false when an allocation failed, and then kicks anyway:
 * a device out of buffers waits for half a ring of posts (ring/snnet.h),
 * which a refill that stops short may never reach.
 */
bool snnet_rx_refill(struct snnet_priv *p, bool in_napi)
{
	bool ok = true;
	int err;

	while (p->rx_ids.nfree && snring_drv_free(&p->rx)) {
		err = snnet_rx_post_slot(p, p->rx_ids.stack[p->rx_ids.nfree - 1], in_napi);
		if (err) {
			if (err == -ENOMEM)
				snnet_rx_count(p, SNNET_RX_ALLOC_FAILS);
			else
				netdev_err_once(p->ndev, "RX post failed: %d\n", err);
			ok = false;
			break;
		}
		p->rx_ids.nfree--;
	}
	if (snring_drv_flush(&p->rx) || !ok) {
		snnet_doorbell(p, SNNET_DOORBELL_RX);
		snnet_rx_count(p, SNNET_RX_KICKS);
	}
	return ok;
}

/*
 * Retries a refill that found no memory while the ring was empty (nothing
 * else would). With NAPI off this is the ring's only writer, so it may sleep
 * and allocate with GFP_KERNEL, which can reclaim; NAPI's GFP_ATOMIC cannot,
 * so a retry from the poll could wait for memory that nothing frees. That
 * helps big buffers only (alloc_page(), used when GUEST_TSO was negotiated):
 * small buffers come from netdev_alloc_frag(), GFP_ATOMIC in any context.
 */
void snnet_rx_refill_work(struct work_struct *work)
{
	struct snnet_priv *p = container_of(to_delayed_work(work), struct snnet_priv, refill_work);
	bool ok, empty;

	napi_disable(&p->napi);
	ok = snnet_broken(p) || snnet_rx_refill(p, false);
	empty = !snring_drv_inflight(&p->rx);
	napi_enable(&p->napi);
	local_bh_disable();
	napi_schedule(&p->napi);
	local_bh_enable();
	if (!ok && empty)
		snnet_rx_refill_later(p);
}

/*
 * Queues refill_work unless the interface is going down. Under the lock, so
 * that once snnet_rx_refill_enable(p, false) returns nothing can queue it
 * again: ndo_stop cancels it before disabling NAPI, which it needs enabled.
 */
void snnet_rx_refill_later(struct snnet_priv *p)
{
	spin_lock_bh(&p->refill_lock);
	if (p->refill_on)
		schedule_delayed_work(&p->refill_work, HZ / 20);
	spin_unlock_bh(&p->refill_lock);
}

void snnet_rx_refill_enable(struct snnet_priv *p, bool on)
{
	spin_lock_bh(&p->refill_lock);
	p->refill_on = on;
	spin_unlock_bh(&p->refill_lock);
}

/*
 * Checks the vnet header against what was negotiated: the device may only
 * use the offloads the driver accepted.
 */
static bool snnet_rx_hdr_ok(const struct snnet_priv *p, const struct virtio_net_hdr *h)
{
	u8 gso = h->gso_type;

	if ((h->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) &&
	    !(p->features & SNNET_F_GUEST_CSUM))
		return false;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return p->features & SNNET_F_GUEST_TSO4;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return p->features & SNNET_F_GUEST_TSO6;
	default:
		return false;
	}
}

/* Builds an skb from a big buffer; pages it takes leave the slot. */
static struct sk_buff *snnet_rx_big_skb(struct snnet_priv *p, struct snnet_rx_slot *s, u32 frame)
{
	u32 copy = min_t(u32, frame, SNNET_RX_COPY_LEN);
	u32 off = SNNET_VNET_HDR_LEN + copy, left = frame - copy, seg;
	struct sk_buff *skb;
	unsigned int i = 0;

	BUILD_BUG_ON(SNNET_BIG_PAGES > MAX_SKB_FRAGS);
	skb = napi_alloc_skb(&p->napi, SNNET_RX_COPY_LEN);
	if (!skb)
		return NULL;
	skb_put_data(skb, page_address(s->pages[0]) + SNNET_VNET_HDR_LEN, copy);
	/* left fits: len <= posted_len, the sum of the table's segments. */
	while (left) {
		if (off >= PAGE_SIZE) {
			off -= PAGE_SIZE;
			if (++i == SNNET_BIG_PAGES)
				break;
		}
		seg = min_t(u32, left, PAGE_SIZE - off);
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, s->pages[i], off, seg, PAGE_SIZE);
		s->pages[i] = NULL;
		left -= seg;
		off += seg;
	}
	return skb;
}

/* Turns one completed buffer of len bytes into an skb for GRO. */
static void snnet_rx_one(struct snnet_priv *p, struct snnet_rx_slot *s, u32 len)
{
	struct virtio_net_hdr_mrg_rxbuf mh;
	struct sk_buff *skb;
	u32 frame;
	void *hdr;

	if (len < SNNET_VNET_HDR_LEN + ETH_HLEN) {
		snnet_rx_count(p, SNNET_RX_LENGTH_ERRORS);
		return; /* the buffer stays in the slot */
	}
	frame = len - SNNET_VNET_HDR_LEN;
	hdr = p->big ? page_address(s->pages[0]) : s->buf + SNNET_RX_HEADROOM;
	/* One copy: the header is checked and used from here only. */
	memcpy(&mh, hdr, sizeof(mh));
	if (!snnet_rx_hdr_ok(p, &mh.hdr)) {
		snnet_rx_count(p, SNNET_RX_FRAME_ERRORS);
		return;
	}

	if (p->big) {
		skb = snnet_rx_big_skb(p, s, frame);
	} else {
		skb = napi_build_skb(s->buf, p->rx_truesize);
		if (skb) {
			s->buf = NULL;
			skb_reserve(skb, SNNET_RX_HEADROOM + SNNET_VNET_HDR_LEN);
			skb_put(skb, frame);
		}
	}
	if (!skb) {
		snnet_rx_count(p, SNNET_RX_DROPPED);
		return;
	}

	if (mh.hdr.flags & VIRTIO_NET_HDR_F_DATA_VALID)
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	if (virtio_net_hdr_to_skb(skb, &mh.hdr, true)) {
		snnet_rx_count(p, SNNET_RX_FRAME_ERRORS);
		kfree_skb(skb);
		return;
	}
	skb->protocol = eth_type_trans(skb, p->ndev);

	u64_stats_update_begin(&p->stats[SNNET_G_RX].syncp);
	u64_stats_inc(&p->stats[SNNET_G_RX].v[SNNET_RX_PACKETS]);
	u64_stats_add(&p->stats[SNNET_G_RX].v[SNNET_RX_BYTES], frame);
	if (skb_is_gso(skb))
		u64_stats_inc(&p->stats[SNNET_G_RX].v[SNNET_RX_GSO]);
	if (skb->ip_summed == CHECKSUM_UNNECESSARY)
		u64_stats_inc(&p->stats[SNNET_G_RX].v[SNNET_RX_CSUM_VALID]);
	else if (skb->ip_summed == CHECKSUM_PARTIAL)
		u64_stats_inc(&p->stats[SNNET_G_RX].v[SNNET_RX_CSUM_PARTIAL]);
	u64_stats_update_end(&p->stats[SNNET_G_RX].syncp);

	napi_gro_receive(&p->napi, skb);
}


/* Receives up to budget frames, then refills. Returns the work done. */
int snnet_rx_poll(struct snnet_priv *p, int budget)
{
	struct snnet_rx_slot *s;
	struct snring_done d;
	int done = 0;
	int r;

	while (done < budget && !snnet_broken(p)) {
		r = snring_drv_reclaim(&p->rx, &d);
		if (r == 0)
			break;
		if (r == -EPROTO) {
			snnet_mark_broken(p, "RX used index ran ahead of avail");
			break;
		}
		/*
		 * The device may complete only buffers in flight, and write no more
		 * than it was given. Otherwise it lost track of which memory is
		 * whose (an id posted again may be named for a frame it never got;
		 * a long one has written past the buffer): stop using it.
		 */
		if (r < 0 || !p->rx_slots[d.id].busy) {
			snnet_rx_count(p, SNNET_RX_BAD_COMPLETIONS);
			snnet_mark_broken(p, "RX completion of a buffer not in flight");
			break;
		}
		s = &p->rx_slots[d.id];
		s->busy = false;
		p->rx_ids.stack[p->rx_ids.nfree++] = d.id;
		done++;
		if (d.len > s->posted_len) {
			snnet_rx_count(p, SNNET_RX_BAD_COMPLETIONS);
			snnet_mark_broken(p, "RX completion longer than the buffer");
		} else if (d.flags & SNRING_USED_F_ERROR)
			snnet_rx_count(p, SNNET_RX_ERRORS);
		else
			snnet_rx_one(p, s, d.len);
	}
	if (snnet_broken(p))
		return done;
	/* Every buffer was used up: the device has had to drop frames, or soon will. */
	if (!snring_drv_inflight(&p->rx))
		snnet_rx_count(p, SNNET_RX_NO_BUFFER);
	if (!snnet_rx_refill(p, true) && !snring_drv_inflight(&p->rx))
		snnet_rx_refill_later(p);
	return done;
}

/* After a reset: frees every buffer, posted or kept for reuse. */
void snnet_rx_free_all(struct snnet_priv *p)
{
	struct snnet_rx_slot *s;
	u32 i, j;

	for (i = 0; i < p->geo.queue_size; i++) {
		s = &p->rx_slots[i];
		if (s->buf)
			skb_free_frag(s->buf);
		s->buf = NULL;
		for (j = 0; j < SNNET_BIG_PAGES; j++) {
			if (s->pages[j])
				put_page(s->pages[j]);
			s->pages[j] = NULL;
		}
		s->busy = false;
	}
	snnet_ids_reset(&p->rx_ids, p->geo.queue_size);
}
