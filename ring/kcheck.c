// SPDX-License-Identifier: MIT
/*
 * Not part of the VMM: `make check` builds this as a throwaway Linux module
 * (ring/ring.mk) to prove snring.h compiles unchanged under Kbuild, with the
 * kernel's own barriers and types. It is never loaded.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include "snring.h"

static int __init snring_kcheck_init(void)
{
	struct snring_config c = {.num_queues = 2, .queue_size = 256, .max_len = 2048};
	size_t sz = snring_region_size(&c);
	void *r = kzalloc(sz, GFP_KERNEL);
	struct snring_window w = {.base = 0, .size = 1 << 20, .host = r};
	struct snring_buf b = {.addr = 0x1000, .len = 64, .id = 1};
	struct snring_drv drv;
	struct snring_dev dev;
	struct snring_done done;
	int ret;

	if (!r)
		return -ENOMEM;
	ret = snring_region_init(r, sz, &c);
	if (!ret)
		ret = snring_region_parse(r, sz, &c);
	if (!ret)
		ret = snring_drv_init(&drv, r, &c, SNRING_QUEUE_TX);
	if (!ret)
		ret = snring_dev_init(&dev, r, sz, &c, SNRING_QUEUE_TX, false, snring_window_xlate,
				      &w);
	if (!ret)
		ret = snring_drv_post(&drv, &b);
	if (!ret && snring_drv_flush(&drv))
		ret = snring_dev_dequeue(&dev, &b);
	if (!ret)
		ret = snring_dev_complete(&dev, b.id, b.len, 0);
	if (!ret && snring_dev_flush(&dev))
		ret = snring_drv_reclaim(&drv, &done) == 1 ? snring_drv_want_irq(&drv) : -EPROTO;
	kfree(r);
	return ret < 0 ? ret : -ENODEV; /* never stays loaded */
}

module_init(snring_kcheck_init);
MODULE_LICENSE("Dual MIT/GPL");
