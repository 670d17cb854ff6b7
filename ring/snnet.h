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
 * (or _RX) says "look at that queue". KVM turns the write into an eventfd
 * signal in the kernel (ioeventfd): the vCPU never exits to the VMM process.
 *
 * Buffers: every packet buffer starts with a struct virtio_net_hdr_mrg_rxbuf
 * (SNNET_VNET_HDR_LEN bytes, little-endian, the format Linux's tap speaks with
 * IFF_VNET_HDR), then the Ethernet frame. num_buffers: the driver writes 1 on
 * TX; on RX the device leaves it as the buffer held (tun writes the first 10
 * bytes and skips it) and the driver ignores it. A buffer
 * is one descriptor, or an indirect table of segments (SNRING_DESC_F_INDIRECT)
 * for TX skbs with page fragments and for the large RX buffers that GSO needs.
 *
 * Start and reset handshake:
 *   driver: writes status = 0, rings a doorbell and waits (bounded) for
 *           device_status == 0 (a fresh region; at once from a device that
 *           is stopped); reads config, checks magic/version;
 *           writes guest_features (a subset of host_features), posts RX
 *           buffers, then status = SNNET_STATUS_DRIVER_OK and rings both doorbells.
 *   device: on any doorbell, reads status once; DRIVER_OK while stopped →
 *           reads guest_features once, rejects bits it did not offer, sets up
 *           the tap offloads and queues, device_status = SNNET_DEVICE_RUNNING,
 *           then (full fence) reads status again and resets at once if the
 *           driver gave up meanwhile (a start slower than the driver's wait);
 *           0 while running → drops in-flight work, re-initialises the ring
 *           region (indices back to 0), device_status = 0.
 *   driver reset: status = 0, full fence, doorbell, wait for device_status ==
 *           0; only then are posted buffers its own again.
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

/* Feature bits (host_features offers, guest_features accepts). */
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
