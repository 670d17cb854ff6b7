/* SPDX-License-Identifier: MIT */
/*
 * The fixture the single-threaded ring tests share: one region, a driver and a
 * device attached to the same queue, and a guest-memory window the device
 * translates buffer addresses through.
 */
#ifndef SNVMM_RING_RIG_H
#define SNVMM_RING_RIG_H

#include "check.h"
#include "snring.h"

#include <stdlib.h>

#define WBASE 0x100000ULL
#define WSIZE 0x10000ULL

struct rig {
	struct snring_config cfg;
	size_t size;
	void *region;
	uint8_t *win_mem;
	struct snring_window win;
	struct snring_drv drv;
	struct snring_dev dev;
};

static inline void ring_rig_setup(struct rig *r, const struct snring_config *cfg, uint32_t qidx,
				  bool device_writes)
{
	r->cfg = *cfg;
	r->size = snring_region_size(&r->cfg);
	r->region = aligned_alloc(64, (r->size + 63) & ~(size_t)63);
	r->win_mem = calloc(1, WSIZE);
	r->win = (struct snring_window){.base = WBASE, .size = WSIZE, .host = r->win_mem};
	CHECK_EQ(snring_region_init(r->region, r->size, &r->cfg), 0);
	CHECK_EQ(snring_drv_init(&r->drv, r->region, &r->cfg, qidx), 0);
	CHECK_EQ(snring_dev_init(&r->dev, r->region, r->size, &r->cfg, qidx, device_writes,
				 snring_window_xlate, &r->win),
		 0);
}

static inline void rig_teardown(struct rig *r)
{
	free(r->region);
	free(r->win_mem);
}

#endif
