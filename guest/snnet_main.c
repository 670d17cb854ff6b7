// SPDX-License-Identifier: MIT
/*
 * snnet: guest driver of the snvmm paravirtual NIC (ring/snnet.h). This file:
 * discovery (ACPI platform device), config checks, feature negotiation, the
 * start/reset handshake, open/stop, the interrupt and the NAPI poll.
 *
 * The host is trusted less than usual: everything it writes (config, ring
 * geometry, completions) is checked before use, and a device that breaks the
 * ring protocol gets its rings left alone until the next reset (ifdown/ifup).
 */
#include <linux/acpi.h>
#include <linux/etherdevice.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/virtio_net.h>

#include "snnet_priv.h"

#define SNNET_FEATURES                                                                             \
	(SNNET_F_CSUM | SNNET_F_GUEST_CSUM | SNNET_F_TSO4 | SNNET_F_TSO6 | SNNET_F_GUEST_TSO4 |    \
	 SNNET_F_GUEST_TSO6 | SNNET_F_INDIRECT)
#define SNNET_F_ANY_TSO	      (SNNET_F_TSO4 | SNNET_F_TSO6)
#define SNNET_F_ANY_GUEST_TSO (SNNET_F_GUEST_TSO4 | SNNET_F_GUEST_TSO6)

void snnet_ids_reset(struct snnet_ids *ids, u32 size)
{
	u32 i;

	/* Lowest id on top: the first posts use ids 0, 1, 2... (easier to read in a dump). */
	for (i = 0; i < size; i++)
		ids->stack[i] = size - 1 - i;
	ids->nfree = size;
}

void snnet_mark_broken(struct snnet_priv *p, const char *why)
{
	if (test_and_set_bit(SNNET_BROKEN, &p->flags))
		return;
	netdev_err(p->ndev, "device broke the ring protocol (%s); down/up the link to reset it\n",
		   why);
	netif_carrier_off(p->ndev);
}

static u32 snnet_device_status(struct snnet_priv *p)
{
	/* Acquire: after seeing the status, read what the device wrote before it. */
	return le32_to_cpu(virt_load_acquire(&p->cfg->device_status));
}

static void snnet_set_status(struct snnet_priv *p, u32 status)
{
	/* Release: features and posted buffers are visible before the status. */
	virt_store_release(&p->cfg->status, cpu_to_le32(status));
}

/*
 * Reset handshake: status 0, a doorbell, then a bounded wait until the device
 * says it stopped (device_status 0; a running one re-initialises the region
 * first). Only then may posted buffers be freed. Sleeps: process context only.
 */
static int snnet_reset_device(struct snnet_priv *p)
{
	u32 st;
	int err;

	snnet_set_status(p, 0);
	/*
	 * Status 0 is visible before we read the device's: pairs with the
	 * device's re-read of our status after it says RUNNING (handshake() in
	 * the VMM's devices/net_datapath.c), so a start that timed out can never
	 * see 0 here, free its buffers, and have the device go on running on them.
	 */
	virt_mb();
	snnet_doorbell(p, SNNET_DOORBELL_TX);
	err = read_poll_timeout(snnet_device_status, st, st == 0, SNNET_HANDSHAKE_POLL_US,
				SNNET_HANDSHAKE_TIMEOUT_US, false, p);
	if (err)
		dev_err(p->dev, "device reset: no answer (device_status %u)\n", st);
	return err;
}

/* Checks the config page the device wrote; every field is bounded before use. */
static int snnet_check_config(struct snnet_priv *p, size_t region_size)
{
	const struct snnet_config *c = p->cfg;
	u32 off = le32_to_cpu(READ_ONCE(c->ring_offset));
	u32 size = le32_to_cpu(READ_ONCE(c->ring_size));
	int err;

	if (le32_to_cpu(c->magic) != SNNET_MAGIC || le16_to_cpu(c->version) != SNNET_VERSION)
		return dev_err_probe(p->dev, -ENODEV, "config: bad magic %#x or version %u\n",
				     le32_to_cpu(c->magic), le16_to_cpu(c->version));
	if (le16_to_cpu(c->size) < sizeof(*c) || le32_to_cpu(c->vnet_hdr_len) != SNNET_VNET_HDR_LEN)
		return dev_err_probe(p->dev, -EPROTO, "config: size %u or vnet_hdr_len %u\n",
				     le16_to_cpu(c->size), le32_to_cpu(c->vnet_hdr_len));
	if (off < SNNET_CONFIG_SIZE || off > region_size || size > region_size - off)
		return dev_err_probe(p->dev, -EPROTO,
				     "config: ring [%#x, +%#x) outside the %zu-byte region\n", off,
				     size, region_size);
	p->ring_region = (u8 *)p->cfg + off;
	err = snring_region_parse(p->ring_region, size, &p->geo);
	if (err)
		return dev_err_probe(p->dev, err, "ring region: bad header\n");
	if (p->geo.num_queues < 2 || p->geo.queue_size > SNNET_MAX_QUEUE_SIZE ||
	    p->geo.max_len < SNNET_VNET_HDR_LEN + ETH_HLEN + VLAN_HLEN + ETH_MIN_MTU)
		return dev_err_probe(p->dev, -EPROTO, "ring region: %u queues of %u, max_len %u\n",
				     p->geo.num_queues, p->geo.queue_size, p->geo.max_len);
	return 0;
}

/* Accepts what the device offers and we implement, minus what lacks a prerequisite. */
static u32 snnet_negotiate(const struct snnet_priv *p)
{
	u32 f = le32_to_cpu(READ_ONCE(p->cfg->host_features)) & SNNET_FEATURES;

	if (!(f & SNNET_F_CSUM))
		f &= ~SNNET_F_ANY_TSO;
	if (!(f & SNNET_F_GUEST_CSUM))
		f &= ~SNNET_F_ANY_GUEST_TSO;
	/* GSO frames need scatter-gather (TX) and big buffers (RX): both are indirect tables. */
	if (!(f & SNNET_F_INDIRECT) || p->geo.max_len < SNNET_MAX_BUF_LEN)
		f &= ~(SNNET_F_ANY_TSO | SNNET_F_ANY_GUEST_TSO);
	return f;
}

static void snnet_setup_netdev(struct snnet_priv *p)
{
	struct net_device *nd = p->ndev;
	u32 mtu = le16_to_cpu(READ_ONCE(p->cfg->mtu));
	u32 limit =
	    min_t(u32, SNNET_MAX_MTU, p->geo.max_len - SNNET_VNET_HDR_LEN - ETH_HLEN - VLAN_HLEN);
	u8 mac[ETH_ALEN];

	memcpy(mac, p->cfg->mac, ETH_ALEN);
	if (is_valid_ether_addr(mac)) {
		eth_hw_addr_set(nd, mac);
	} else {
		dev_warn(p->dev, "config: invalid MAC %pM, using a random one\n", mac);
		eth_hw_addr_random(nd);
	}
	if (mtu < ETH_MIN_MTU || mtu > limit) {
		dev_warn(p->dev, "config: MTU %u out of [%u, %u], using %u\n", mtu, ETH_MIN_MTU,
			 limit, min_t(u32, ETH_DATA_LEN, limit));
		mtu = min_t(u32, ETH_DATA_LEN, limit);
	}
	nd->mtu = mtu;
	nd->min_mtu = ETH_MIN_MTU;
	nd->max_mtu = mtu;

	if (p->features & SNNET_F_CSUM)
		nd->hw_features |= NETIF_F_HW_CSUM;
	if (p->features & SNNET_F_INDIRECT)
		nd->hw_features |= NETIF_F_SG;
	if (p->features & SNNET_F_TSO4)
		nd->hw_features |= NETIF_F_TSO;
	if (p->features & SNNET_F_TSO6)
		nd->hw_features |= NETIF_F_TSO6;
	nd->features = nd->hw_features;
	if (p->features & SNNET_F_GUEST_CSUM)
		nd->features |= NETIF_F_RXCSUM;
	nd->vlan_features = nd->features;
	nd->needed_headroom = SNNET_VNET_HDR_LEN;

	p->big = p->features & SNNET_F_ANY_GUEST_TSO;
	if (p->big) {
		p->rx_buf_len = SNNET_MAX_BUF_LEN;
	} else {
		p->rx_buf_len = SNNET_VNET_HDR_LEN + ETH_HLEN + VLAN_HLEN + mtu;
		p->rx_truesize = SKB_DATA_ALIGN(SNNET_RX_HEADROOM + p->rx_buf_len) +
				 SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	}
}

/*
 * Indirect tables are kmalloc'd (physically contiguous: one guest-physical
 * range each) and freed by a devm action that keeps them when a reset failed:
 * a device still running would read them to find where to read and write.
 */
static void snnet_free_tables(void *data)
{
	struct snnet_priv *p = data;
	u32 i;

	if (p->wedged)
		return;
	for (i = 0; i < p->geo.queue_size; i++) {
		kfree(p->tx_slots[i].table);
		kfree(p->rx_slots[i].table);
	}
}

/* Slot arrays, id stacks and per-slot indirect tables, all device-managed. */
static int snnet_alloc_queues(struct snnet_priv *p)
{
	u32 n = p->geo.queue_size, i;
	int err;

	p->tx_slots = devm_kcalloc(p->dev, n, sizeof(*p->tx_slots), GFP_KERNEL);
	p->rx_slots = devm_kcalloc(p->dev, n, sizeof(*p->rx_slots), GFP_KERNEL);
	p->tx_ids.stack = devm_kcalloc(p->dev, n, sizeof(u16), GFP_KERNEL);
	p->rx_ids.stack = devm_kcalloc(p->dev, n, sizeof(u16), GFP_KERNEL);
	if (!p->tx_slots || !p->rx_slots || !p->tx_ids.stack || !p->rx_ids.stack)
		return -ENOMEM;
	/* Registered before the tables exist: on failure it frees the ones made so far. */
	err = devm_add_action_or_reset(p->dev, snnet_free_tables, p);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (p->features & SNNET_F_INDIRECT) {
			p->tx_slots[i].table = kmalloc(SNNET_INDIRECT_BYTES, GFP_KERNEL);
			if (!p->tx_slots[i].table)
				return -ENOMEM;
		}
		if (p->big) {
			p->rx_slots[i].table = kmalloc(SNNET_INDIRECT_BYTES, GFP_KERNEL);
			if (!p->rx_slots[i].table)
				return -ENOMEM;
		}
	}
	snnet_ids_reset(&p->tx_ids, n);
	snnet_ids_reset(&p->rx_ids, n);
	return 0;
}

/*
 * Stops the device and frees what it held. A device that did not answer the
 * reset may still write into posted RX buffers and read posted TX frames
 * (which would put whatever reuses that memory on the wire): both are leaked.
 */
static void snnet_stop_device(struct snnet_priv *p)
{
	if (snnet_reset_device(p)) {
		p->wedged = true;
		dev_err(p->dev, "device did not stop: its buffers stay leaked until it answers a reset (next up)\n");
		return;
	}
	snnet_rx_free_all(p);
	snnet_tx_drop_all(p);
}

/* Start handshake: features, RX buffers, DRIVER_OK, both doorbells, wait for RUNNING. */
static int snnet_start_device(struct snnet_priv *p)
{
	u32 st;
	int err;

	/*
	 * Indices start at 0 on both sides: each side's init zeroes its own in the
	 * region, which is not fresh after a start the device refused.
	 */
	err = snring_drv_init(&p->tx, p->ring_region, &p->geo, SNRING_QUEUE_TX);
	if (!err)
		err = snring_drv_init(&p->rx, p->ring_region, &p->geo, SNRING_QUEUE_RX);
	if (err)
		return err;
	clear_bit(SNNET_BROKEN, &p->flags);
	WRITE_ONCE(p->cfg->guest_features, cpu_to_le32(p->features));
	snnet_rx_refill(p, false);
	if (!snring_drv_inflight(&p->rx)) {
		snnet_rx_free_all(p);
		return -ENOMEM;
	}
	snnet_set_status(p, SNNET_STATUS_DRIVER_OK);
	snnet_doorbell(p, SNNET_DOORBELL_TX);
	snnet_doorbell(p, SNNET_DOORBELL_RX);
	err = read_poll_timeout(snnet_device_status, st, st == SNNET_DEVICE_RUNNING,
				SNNET_HANDSHAKE_POLL_US, SNNET_HANDSHAKE_TIMEOUT_US, false, p);
	if (err) {
		netdev_err(p->ndev, "device start: not running (device_status %u, features %#x)\n",
			   st, p->features);
		snnet_stop_device(p);
	}
	return err;
}

static int snnet_open(struct net_device *nd)
{
	struct snnet_priv *p = netdev_priv(nd);
	int err;

	/*
	 * A reset that timed out may have finished since (a host stalled for a
	 * second): ask again, and free what the device held only once it says so.
	 */
	if (p->wedged) {
		if (snnet_reset_device(p))
			return -EIO;
		p->wedged = false;
		snnet_rx_free_all(p);
		snnet_tx_drop_all(p);
		netdev_info(nd, "device answered its reset at last: restarting\n");
	}
	err = snnet_start_device(p);
	if (err)
		return err;
	/* Before NAPI: a poll that finds no memory must be able to queue refill_work. */
	snnet_rx_refill_enable(p, true);
	napi_enable(&p->napi);
	netif_carrier_on(nd);
	netif_start_queue(nd);
	/* An interrupt raised before napi_enable was a no-op: poll once, which also re-arms. */
	local_bh_disable();
	napi_schedule(&p->napi);
	local_bh_enable();
	return 0;
}

static int snnet_stop(struct net_device *nd)
{
	struct snnet_priv *p = netdev_priv(nd);

	/*
	 * refill_work disables and enables NAPI itself: stopped and cancelled
	 * first, or it could wait for ever on the NAPI disabled here.
	 */
	snnet_rx_refill_enable(p, false);
	cancel_delayed_work_sync(&p->refill_work);
	/* NAPI next: once it is off nothing wakes the queue that tx_disable stops. */
	napi_disable(&p->napi);
	netif_tx_disable(nd);
	netif_carrier_off(nd);
	/* Only xmit and NAPI arm it, and both are off now. */
	del_timer_sync(&p->tx_timer);
	snnet_stop_device(p);
	return 0;
}

/*
 * One interrupt line covers both queues. Nothing needs writing to keep the
 * device quiet while NAPI runs: the event index it just passed (irq_at) is
 * stale until the poll re-arms, so it raises nothing more.
 */
static irqreturn_t snnet_interrupt(int irq, void *data)
{
	struct snnet_priv *p = data;

	snnet_stat_add(p, SNNET_G_IRQ, SNNET_INTERRUPTS, 1);
	napi_schedule(&p->napi);
	return IRQ_HANDLED;
}

/*
 * Re-enables interrupts after the poll ran out of work: RX always, TX only
 * while its queue is stopped (snnet_tx_rearm). Returns true when completions arrived meanwhile and
 * the poll must run again.
 *
 * Why re-check after arming -- the lost wake-up this avoids:
 *
 *   NAPI poll (guest)                       device worker (host)
 *   ----------------------------------      --------------------------------
 *   reclaim: used == 7, ring empty
 *                                           completes buffer #8: used = 8
 *                                           reads irq_at == 3 (stale, from the
 *                                           last arm): 3 not in [7, 8), no irq
 *   napi_complete_done()
 *   irq_at = 7   ("interrupt me after 7")
 *   ... sleeps: #8 sits in the ring and no interrupt will ever come,
 *       because the device already published 8 and will not flush again.
 *
 * snring_drv_want_irq() stores irq_at, issues a full fence [B8] and reads
 * used again; the device's flush does the mirror image [B7]. At least one of
 * the two loads sees the other's store: either the device sees irq_at = 7 and
 * raises the interrupt, or we see used = 8 here and poll again.
 */
static bool snnet_rearm(struct snnet_priv *p)
{
	int rx;

	if (snnet_broken(p))
		return false;
	rx = snring_drv_want_irq(&p->rx);
	if (rx < 0) {
		snnet_mark_broken(p, "RX used index ran ahead of avail");
		return false;
	}
	return snnet_tx_rearm(p) || rx > 0;
}

static int snnet_poll(struct napi_struct *napi, int budget)
{
	struct snnet_priv *p = container_of(napi, struct snnet_priv, napi);
	int done = 0;

	snnet_stat_add(p, SNNET_G_RX, SNNET_NAPI_POLLS, 1);
	snnet_tx_poll(p, budget);
	if (budget)
		done = snnet_rx_poll(p, budget);
	if (done >= budget)
		return done;
	/*
	 * Re-armed while NAPI is still ours: once napi_complete_done() returns,
	 * an interrupt on another vCPU (or tx_timer, refill_work) can start the
	 * next poll there, and the re-arm writes the rings' driver state. An
	 * interrupt that lands between arming and completing finds NAPI still
	 * scheduled, and napi_complete_done() then schedules it again.
	 */
	if (snnet_rearm(p)) {
		snnet_stat_add(p, SNNET_G_RX, SNNET_NAPI_REPOLLS, 1);
		return budget; /* completions arrived meanwhile: poll again */
	}
	napi_complete_done(napi, done);
	return done;
}

static const struct net_device_ops snnet_netdev_ops = {
    .ndo_open = snnet_open,
    .ndo_stop = snnet_stop,
    .ndo_start_xmit = snnet_start_xmit,
    .ndo_tx_timeout = snnet_tx_timeout,
    .ndo_get_stats64 = snnet_get_stats64,
    .ndo_set_mac_address = eth_mac_addr,
    .ndo_validate_addr = eth_validate_addr,
};

static int snnet_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct resource *mem, *io;
	struct net_device *nd;
	struct snnet_priv *p;
	void *region;
	int irq, err;

	BUILD_BUG_ON(SNNET_VNET_HDR_LEN != sizeof(struct virtio_net_hdr_mrg_rxbuf));
	BUILD_BUG_ON(MAX_SKB_FRAGS + 1 > SNNET_MAX_INDIRECT);
	BUILD_BUG_ON(SNNET_BIG_PAGES > SNNET_MAX_INDIRECT);

	/* _CRS order (snnet.h): the shared region, the doorbells, the interrupt. */
	mem = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	io = platform_get_resource(pdev, IORESOURCE_IO, 0);
	if (!mem || !io)
		return dev_err_probe(dev, -ENODEV, "resources: need a memory and an I/O range\n");
	if (resource_size(mem) < SNNET_CONFIG_SIZE || resource_size(io) < SNNET_DOORBELL_LEN)
		return dev_err_probe(dev, -ENODEV, "resources: %pR or %pR too small\n", mem, io);
	irq = platform_get_irq(pdev, 0);
	if (irq < 0)
		return irq;

	/* Every allocation below is devm: freed in reverse, the IRQ before the netdev. */
	nd = devm_alloc_etherdev(dev, sizeof(*p));
	if (!nd)
		return -ENOMEM;
	SET_NETDEV_DEV(nd, dev);
	p = netdev_priv(nd);
	p->ndev = nd;
	p->dev = dev;
	platform_set_drvdata(pdev, p);
	u64_stats_init(&p->stats[SNNET_G_TX].syncp);
	u64_stats_init(&p->stats[SNNET_G_RX].syncp);
	u64_stats_init(&p->stats[SNNET_G_IRQ].syncp);
	INIT_DELAYED_WORK(&p->refill_work, snnet_rx_refill_work);
	spin_lock_init(&p->refill_lock);
	timer_setup(&p->tx_timer, snnet_tx_timer, TIMER_DEFERRABLE);

	if (!devm_request_mem_region(dev, mem->start, resource_size(mem), SNNET_DRV_NAME))
		return dev_err_probe(dev, -EBUSY, "region %pR: busy\n", mem);
	region = devm_memremap(dev, mem->start, resource_size(mem), MEMREMAP_WB);
	if (IS_ERR(region))
		return dev_err_probe(dev, PTR_ERR(region), "region %pR: cannot map\n", mem);
	if (!devm_request_region(dev, io->start, SNNET_DOORBELL_LEN, SNNET_DRV_NAME))
		return dev_err_probe(dev, -EBUSY, "doorbells %pR: busy\n", io);
	p->doorbells = devm_ioport_map(dev, io->start, SNNET_DOORBELL_LEN);
	if (!p->doorbells)
		return dev_err_probe(dev, -ENOMEM, "doorbells %pR: cannot map\n", io);
	p->cfg = region;

	/*
	 * Whatever the device says, reset it first: one left running
	 * (module reload, kexec) may also have been told DRIVER_OK just before the
	 * last kernel died, and not have answered yet. A reset costs one doorbell.
	 */
	err = snnet_reset_device(p);
	if (err)
		return err;
	err = snnet_check_config(p, resource_size(mem));
	if (err)
		return err;
	p->features = snnet_negotiate(p);
	snnet_setup_netdev(p);
	err = snnet_alloc_queues(p);
	if (err)
		return dev_err_probe(dev, err, "queues of %u: no memory\n", p->geo.queue_size);

	nd->netdev_ops = &snnet_netdev_ops;
	nd->ethtool_ops = &snnet_ethtool_ops;
	nd->watchdog_timeo = SNNET_TX_WATCHDOG;
	netif_napi_add(nd, &p->napi, snnet_poll);
	netif_carrier_off(nd);
	/* After netif_napi_add: until napi_enable an interrupt's napi_schedule is a no-op. */
	err = devm_request_irq(dev, irq, snnet_interrupt, 0, dev_name(dev), p);
	if (err)
		return dev_err_probe(dev, err, "irq %d: cannot request\n", irq);
	err = register_netdev(nd);
	if (err)
		return dev_err_probe(dev, err, "register_netdev failed\n");
	netdev_info(nd, "%pM mtu %u, queues of %u, features %#x of %#x, irq %d\n", nd->dev_addr,
		    nd->mtu, p->geo.queue_size, p->features,
		    le32_to_cpu(READ_ONCE(p->cfg->host_features)), irq);
	return 0;
}

static int snnet_remove(struct platform_device *pdev)
{
	struct snnet_priv *p = platform_get_drvdata(pdev);

	/* Stops the device and frees the buffers (ndo_stop) if the link was up. */
	unregister_netdev(p->ndev);
	/* devm now frees the IRQ, the tables, the mappings and the netdev, in that order. */
	return 0;
}

/*
 * Reboot, poweroff and kexec: a device left running would go on writing into
 * RX buffers that the next kernel owns. Closing the link resets it (ndo_stop);
 * detaching keeps it from being opened again.
 */
static void snnet_shutdown(struct platform_device *pdev)
{
	struct snnet_priv *p = platform_get_drvdata(pdev);

	rtnl_lock();
	netif_device_detach(p->ndev);
	if (netif_running(p->ndev))
		dev_close(p->ndev);
	rtnl_unlock();
}

static const struct acpi_device_id snnet_acpi_ids[] = {{SNNET_ACPI_HID, 0}, {}};
MODULE_DEVICE_TABLE(acpi, snnet_acpi_ids);

static struct platform_driver snnet_driver = {
    .probe = snnet_probe,
    .remove = snnet_remove,
    .shutdown = snnet_shutdown,
    .driver =
	{
	    .name = SNNET_DRV_NAME,
	    .acpi_match_table = snnet_acpi_ids,
	},
};
module_platform_driver(snnet_driver);

MODULE_DESCRIPTION("snvmm paravirtual NIC");
MODULE_AUTHOR("snvmm");
MODULE_LICENSE("Dual MIT/GPL");
