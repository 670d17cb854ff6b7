/* SPDX-License-Identifier: MIT */
/*
 * snnet: the paravirtual NIC built on snring. Compiled unchanged into the
 * guest driver (guest/snnet_*.c, through snnet_priv.h) and the VMM
 * (devices/net.c, devices/net_datapath.c).
 *
 * Discovery: an ACPI device with _HID SNNET_ACPI_HID whose _CRS lists, in this
 * order, one Memory32Fixed range (the shared region), one I/O range of
 * SNNET_DOORBELL_LEN ports (the doorbells) and one interrupt (a GSI, edge,
 * active-high) that covers both queues.
 *
 * Shared region: [0, SNNET_CONFIG_SIZE) holds struct snnet_config; the snring
 * region (struct snring_hdr, then queue SNRING_QUEUE_TX and SNRING_QUEUE_RX)
 * starts at config.ring_offset. The region is guest memory to KVM (its own
 * memory slot), so the guest maps it write-back cacheable.
 *
 * Doorbells: a 32-bit write of any value to port base + SNNET_DOORBELL_TX
 * (or _RX) says "look at that queue"; reads and other widths do nothing. KVM
 * turns the write into an eventfd signal in the kernel (ioeventfd): the vCPU
 * never exits to the VMM process.
 *
 * Buffers: every packet buffer starts with a struct virtio_net_hdr_mrg_rxbuf
 * (SNNET_VNET_HDR_LEN bytes, little-endian, the format Linux's tap speaks with
 * IFF_VNET_HDR), then the Ethernet frame; the device passes the header between
 * ring and tap unchanged. TX: flags/csum_* only under SNNET_F_CSUM and gso_*
 * only under SNNET_F_TSO4/6, else 0; num_buffers = 1. RX: NEEDS_CSUM comes
 * only under GUEST_CSUM, GSO only under GUEST_TSO4/6; num_buffers is undefined
 * (tun skips or zeroes it, by kernel version) and ignored.
 * A buffer is one descriptor or, under SNNET_F_INDIRECT (both queues), an
 * indirect table of at most SNNET_MAX_INDIRECT segments: SNNET_VNET_HDR_LEN +
 * 14 to SNNET_MAX_BUF_LEN bytes in all (shorter is a protocol error). A used
 * entry's len: TX, the buffer's length; RX, header + frame as written. An RX
 * buffer takes every frame if it holds SNNET_VNET_HDR_LEN + 14 + 4 + mtu, or
 * SNNET_MAX_BUF_LEN under GUEST_TSO4/6; a longer frame is dropped (rx_too_big)
 * and the buffer it met stays posted, its bytes undefined, for the next frame.
 * RX kicks: with frames waiting and no buffer posted, the device asks to be
 * kicked only after SNNET_QUEUE_SIZE / 2 more posts (kick_at), so that a
 * guest that falls behind kicks once per half ring, not once per NAPI poll.
 * So a driver keeps at least that many RX buffers, reposts each one it takes
 * back, and rings the RX doorbell whatever kick_at says when it cannot (no
 * memory): else its RX waits for good. A wrong driver stalls only itself.
 * An error completion (SNRING_USED_F_ERROR, len 0) means the buffer was not
 * used (TX: not sent): a bad descriptor or table or a too-short buffer (protocol
 * errors), or the tap refused the frame (counted in drops). At its 16th
 * protocol error a queue breaks: that descriptor and all later ones get no
 * completion until the driver resets the device.
 *
 * Start and reset handshake:
 *   driver start: a reset (below); reads config, checks magic, version,
 *           size >= 64, vnet_hdr_len and that [ring_offset, +ring_size) lies in
 *           the region, and snring_region_parse()s the ring there;
 *           snring_drv_init()s both queues, which zeroes avail and irq_at (a
 *           reset answered by a stopped device leaves the region as it was,
 *           with whatever a start the device never took published; the
 *           device's init zeroes its own used and kick_at the same way);
 *           writes guest_features (a subset of host_features), posts RX
 *           buffers, then status = SNNET_STATUS_DRIVER_OK, rings both
 *           doorbells and waits (bounded) for device_status ==
 *           SNNET_DEVICE_RUNNING, resetting on timeout. A refused start shows
 *           only as that timeout.
 *   device: on any doorbell, reads status once (values other than 0 and
 *           DRIVER_OK do nothing); DRIVER_OK while stopped → reads
 *           guest_features once (later writes count from the next start),
 *           refuses (stays stopped; counted in protocol_errors) bits it did not
 *           offer, TSO4/6 without CSUM and GUEST_TSO4/6 without GUEST_CSUM;
 *           else sets up the tap offloads and queues, device_status =
 *           SNNET_DEVICE_RUNNING, then (full fence) reads status again and, if
 *           the driver gave up meanwhile (a start slower than the driver's
 *           wait), sets device_status = 0 without touching the region;
 *           0 while running → drops in-flight work without completing it (TX
 *           frames not yet written are not sent; frames waiting in the tap stay
 *           there), re-initialises the ring region (indices back to 0),
 *           device_status = 0.
 *   driver reset: status = 0, full fence, a doorbell (either), wait (bounded)
 *           for device_status == 0 (at once from a stopped device); only then
 *           are posted buffers, completed or not, its own again.
 * Each field has exactly one writer (marked below). Device side: handshake()
 * and device_reset() in devices/net_datapath.c; driver side:
 * snnet_start_device() and snnet_reset_device() in guest/snnet_main.c.
 */
#ifndef SNNET_H
#define SNNET_H

#include "snring.h"

#define SNNET_ACPI_HID	   "SNVM0001"
#define SNNET_MAGIC	   0x544e4e53u /* "SNNT" in memory */
#define SNNET_VERSION	   1
#define SNNET_CONFIG_SIZE  4096
#define SNNET_DOORBELL_TX  0
#define SNNET_DOORBELL_RX  4
#define SNNET_DOORBELL_LEN 8
#define SNNET_VNET_HDR_LEN 12
#define SNNET_QUEUE_SIZE   256
#define SNNET_MAX_INDIRECT 32 /* segments in one indirect table */
/* A buffer may hold a 64 KiB GSO frame plus its headers and vnet header. */
#define SNNET_MAX_BUF_LEN (65536 + 256)

/* Feature bits (host_features offers, guest_features accepts, read at DRIVER_OK). */
#define SNNET_F_CSUM	   (1u << 0) /* driver sends partially checksummed frames */
#define SNNET_F_GUEST_CSUM (1u << 1) /* device may deliver frames with checksum not filled */
#define SNNET_F_TSO4	   (1u << 2) /* driver sends TCPv4 GSO frames (needs CSUM) */
#define SNNET_F_TSO6	   (1u << 3)
#define SNNET_F_GUEST_TSO4 (1u << 4) /* device may deliver TCPv4 GSO frames (needs GUEST_CSUM) */
#define SNNET_F_GUEST_TSO6 (1u << 5)
#define SNNET_F_INDIRECT   (1u << 6) /* indirect descriptor tables */

#define SNNET_STATUS_DRIVER_OK 1u
#define SNNET_DEVICE_RUNNING   1u

struct snnet_config {
	snring_le32 magic;	    /* device */
	snring_le16 version;	    /* device */
	snring_le16 size;	    /* device: sizeof(struct snnet_config) */
	uint8_t mac[6];		    /* device */
	snring_le16 mtu;	    /* device */
	snring_le32 host_features;  /* device */
	snring_le32 guest_features; /* driver */
	snring_le32 status;	    /* driver */
	snring_le32 device_status;  /* device */
	snring_le32 ring_offset;    /* device: where the snring region starts */
	snring_le32 ring_size;	    /* device: its length */
	snring_le32 vnet_hdr_len;   /* device: SNNET_VNET_HDR_LEN */
	uint8_t reserved[20];
};

_Static_assert(sizeof(struct snnet_config) == 64, "snnet config size");
_Static_assert(offsetof(struct snnet_config, mac) == 8, "config.mac");
_Static_assert(offsetof(struct snnet_config, mtu) == 14, "config.mtu");
_Static_assert(offsetof(struct snnet_config, host_features) == 16, "config.host_features");
_Static_assert(offsetof(struct snnet_config, guest_features) == 20, "config.guest_features");
_Static_assert(offsetof(struct snnet_config, status) == 24, "config.status");
_Static_assert(offsetof(struct snnet_config, device_status) == 28, "config.device_status");
_Static_assert(offsetof(struct snnet_config, ring_offset) == 32, "config.ring_offset");
_Static_assert(offsetof(struct snnet_config, ring_size) == 36, "config.ring_size");
_Static_assert(offsetof(struct snnet_config, vnet_hdr_len) == 40, "config.vnet_hdr_len");

#endif
