/* SPDX-License-Identifier: MIT */
/*
 * The tap backend of the NIC: a Linux tap interface opened with a
 * virtio-net header in front of every frame. Knows nothing of rings; the
 * datapath reads and writes the returned fd directly.
 */
#ifndef SNVMM_TAP_H
#define SNVMM_TAP_H

#include <stdbool.h>

/* The header length tap_open() configures (struct virtio_net_hdr_mrg_rxbuf). */
#define TAP_VNET_HDR_LEN 12

/*
 * Opens (creating when absent) tap `name`, non-blocking, IFF_NO_PI, with a
 * TAP_VNET_HDR_LEN header. Addresses and link state are the user's business.
 * Returns the fd or -errno, after one line on stderr naming the tap.
 */
int tap_open(const char *name);

/*
 * Tells the tap what frames we, its reader, can take: csum = frames with a
 * partial checksum, tso4/tso6 = TCP GSO frames (each implies csum). Returns 0
 * or -errno and prints nothing: it runs on the NIC's worker thread, and its
 * caller, net_set_offload() in devices/net.c, logs the first failure.
 */
int tap_set_offload(int fd, bool csum, bool tso4, bool tso6);

#endif
