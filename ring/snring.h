/* SPDX-License-Identifier: MIT */
/*
 * snring: the shared-memory descriptor ring of the snvmm paravirtual NIC.
 *
 * One header, compiled unchanged into the guest kernel module (the driver
 * side, snring_drv_*) and into the VMM worker thread (the device side,
 * snring_dev_*). Each queue is single-producer/single-consumer in both
 * directions: the driver posts descriptors and the device consumes them; the
 * device posts completions ("used" entries) and the driver reclaims them.
 *
 * The byte-by-byte layout and the reasoning behind every barrier are in
 * ring/README.md; barrier comments below name their pair as [Bn].
 *
 * The device treats the whole region as hostile: it reads each shared index
 * and descriptor once into a local, checks it, and takes its own geometry
 * (size, max_len) from its own config, never from the region header.
 */
#ifndef SNRING_H
#define SNRING_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/compiler.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <asm/barrier.h>
#include <asm/byteorder.h>

typedef __le16 snring_le16;
typedef __le32 snring_le32;
typedef __le64 snring_le64;
#define snring_le16_to_cpu(x)	le16_to_cpu(x)
#define snring_le32_to_cpu(x)	le32_to_cpu(x)
#define snring_le64_to_cpu(x)	le64_to_cpu(x)
#define snring_cpu_to_le16(x)	cpu_to_le16(x)
#define snring_cpu_to_le32(x)	cpu_to_le32(x)
#define snring_cpu_to_le64(x)	cpu_to_le64(x)
#define snring_read_once(p)	READ_ONCE(*(p))
#define snring_write_once(p, v) WRITE_ONCE(*(p), (v))
/* virt_* fences: the other side is a host CPU, so they stay real in a kernel without SMP. */
#define snring_load_acquire(p)	   virt_load_acquire(p)
#define snring_store_release(p, v) virt_store_release((p), (v))
/* store_sc then load_sc = "publish mine; full fence; read theirs". */
#define snring_store_sc(p, v)                                                                      \
	do {                                                                                       \
		virt_store_release((p), (v));                                                      \
		virt_mb();                                                                         \
	} while (0)
#define snring_load_sc(p) virt_load_acquire(p)
#else
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint16_t snring_le16;
typedef uint32_t snring_le32;
typedef uint64_t snring_le64;
#define snring_le16_to_cpu(x)	   le16toh(x)
#define snring_le32_to_cpu(x)	   le32toh(x)
#define snring_le64_to_cpu(x)	   le64toh(x)
#define snring_cpu_to_le16(x)	   htole16(x)
#define snring_cpu_to_le32(x)	   htole32(x)
#define snring_cpu_to_le64(x)	   htole64(x)
#define snring_read_once(p)	   __atomic_load_n((p), __ATOMIC_RELAXED)
#define snring_write_once(p, v)	   __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define snring_load_acquire(p)	   __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define snring_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
/*
 * A seq_cst store followed by a seq_cst load is C11's form of "store; full
 * fence; load" (gcc emits xchg/mfence on x86), and unlike a bare
 * atomic_thread_fence it is understood by ThreadSanitizer.
 */
#define snring_store_sc(p, v)	   __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define snring_load_sc(p)	   __atomic_load_n((p), __ATOMIC_SEQ_CST)
#endif

/* ---- Shared-memory ABI (all fields little-endian) ---- */

#define SNRING_MAGIC	  0x47524e53u /* "SNRG" in memory */
#define SNRING_VERSION	  1
#define SNRING_HDR_SIZE	  64
#define SNRING_LINE	  64
#define SNRING_MIN_SIZE	  8	/* keeps desc[] and used[] whole cache lines */
#define SNRING_MAX_SIZE	  32768 /* ids are u16 */
#define SNRING_MAX_QUEUES 8
#define SNRING_FEATURES	  0u /* none defined in version 1; drivers ignore unknown bits */
#define SNRING_QUEUE_TX	  0
#define SNRING_QUEUE_RX	  1

#define SNRING_DESC_F_WRITE    0x0001u /* the device writes the buffer (RX) */
#define SNRING_DESC_F_INDIRECT 0x0002u /* addr/len hold a table of struct snring_desc segments */
#define SNRING_DESC_F_KNOWN    (SNRING_DESC_F_WRITE | SNRING_DESC_F_INDIRECT)
#define SNRING_MAX_INDIRECT    256     /* the largest max_indirect a config may give */
#define SNRING_USED_F_ERROR    0x0001u /* rejected or failed; len is 0 */

#define SNRING_ERROR_LIMIT 16 /* default protocol errors before a queue is broken */

struct snring_hdr {
	snring_le32 magic;
	snring_le16 version;
	snring_le16 hdr_size;
	snring_le32 features;
	snring_le32 num_queues;
	snring_le32 queue_size;
	snring_le32 queue_stride;
	snring_le32 max_len;
	snring_le32 region_size;
	uint8_t reserved[32];
};

/* Written only by the driver. */
struct snring_drv_line {
	snring_le32 avail;  /* descriptors posted, free-running */
	snring_le32 irq_at; /* interrupt me when used moves past this */
	uint8_t reserved[SNRING_LINE - 8];
};

/* Written only by the device. */
struct snring_dev_line {
	snring_le32 used;    /* completions posted, free-running */
	snring_le32 kick_at; /* kick me when avail moves past this */
	uint8_t reserved[SNRING_LINE - 8];
};

struct snring_desc {
	snring_le64 addr; /* guest-physical */
	snring_le32 len;
	snring_le16 id;
	snring_le16 flags;
};

struct snring_used {
	snring_le16 id;
	snring_le16 flags;
	snring_le32 len;
};

/* A queue; used[queue_size] follows desc[queue_size]. */
struct snring_queue {
	struct snring_drv_line drv;
	struct snring_dev_line dev;
	struct snring_desc desc[];
};

_Static_assert(sizeof(struct snring_hdr) == SNRING_HDR_SIZE, "header size");
_Static_assert(offsetof(struct snring_hdr, magic) == 0, "hdr.magic");
_Static_assert(offsetof(struct snring_hdr, version) == 4, "hdr.version");
_Static_assert(offsetof(struct snring_hdr, hdr_size) == 6, "hdr.hdr_size");
_Static_assert(offsetof(struct snring_hdr, features) == 8, "hdr.features");
_Static_assert(offsetof(struct snring_hdr, num_queues) == 12, "hdr.num_queues");
_Static_assert(offsetof(struct snring_hdr, queue_size) == 16, "hdr.queue_size");
_Static_assert(offsetof(struct snring_hdr, queue_stride) == 20, "hdr.queue_stride");
_Static_assert(offsetof(struct snring_hdr, max_len) == 24, "hdr.max_len");
_Static_assert(offsetof(struct snring_hdr, region_size) == 28, "hdr.region_size");
_Static_assert(offsetof(struct snring_hdr, reserved) == 32, "hdr.reserved");
_Static_assert(sizeof(struct snring_drv_line) == SNRING_LINE, "driver line");
_Static_assert(offsetof(struct snring_drv_line, avail) == 0, "drv.avail");
_Static_assert(offsetof(struct snring_drv_line, irq_at) == 4, "drv.irq_at");
_Static_assert(sizeof(struct snring_dev_line) == SNRING_LINE, "device line");
_Static_assert(offsetof(struct snring_dev_line, used) == 0, "dev.used");
_Static_assert(offsetof(struct snring_dev_line, kick_at) == 4, "dev.kick_at");
_Static_assert(sizeof(struct snring_desc) == 16, "desc size");
_Static_assert(offsetof(struct snring_desc, addr) == 0, "desc.addr");
_Static_assert(offsetof(struct snring_desc, len) == 8, "desc.len");
_Static_assert(offsetof(struct snring_desc, id) == 12, "desc.id");
_Static_assert(offsetof(struct snring_desc, flags) == 14, "desc.flags");
_Static_assert(sizeof(struct snring_used) == 8, "used size");
_Static_assert(offsetof(struct snring_used, id) == 0, "used.id");
_Static_assert(offsetof(struct snring_used, flags) == 2, "used.flags");
_Static_assert(offsetof(struct snring_used, len) == 4, "used.len");
_Static_assert(offsetof(struct snring_queue, drv) == 0, "queue.drv");
_Static_assert(offsetof(struct snring_queue, dev) == 64, "queue.dev");
_Static_assert(offsetof(struct snring_queue, desc) == 128, "queue.desc");

/* ---- Geometry ---- */

/* Both sides agree on this; the device takes it from its own config. */
struct snring_config {
	uint32_t num_queues; /* 1..SNRING_MAX_QUEUES; the NIC uses 2 (TX, RX) */
	uint32_t queue_size; /* power of two, SNRING_MIN_SIZE..SNRING_MAX_SIZE */
	uint32_t max_len;    /* largest buffer one descriptor may describe */
	uint32_t features;
	/*
	 * Device side only: segments an indirect table may hold, 0 to reject
	 * SNRING_DESC_F_INDIRECT (the NIC: SNNET_MAX_INDIRECT once negotiated).
	 * Not in the header; the driver learns it from the device's own ABI.
	 */
	uint32_t max_indirect;
};

static inline uint32_t snring_queue_stride(uint32_t queue_size)
{
	return (uint32_t)(sizeof(struct snring_queue) +
			  queue_size * (sizeof(struct snring_desc) + sizeof(struct snring_used)));
}

static inline int snring_config_check(const struct snring_config *c)
{
	if (c->num_queues < 1 || c->num_queues > SNRING_MAX_QUEUES)
		return -EINVAL;
	if (c->queue_size < SNRING_MIN_SIZE || c->queue_size > SNRING_MAX_SIZE ||
	    (c->queue_size & (c->queue_size - 1)))
		return -EINVAL;
	if (c->max_len == 0 || c->max_indirect > SNRING_MAX_INDIRECT)
		return -EINVAL;
	return 0;
}

/* Bytes the region needs (callers round up to a page for mmap). */
static inline size_t snring_region_size(const struct snring_config *c)
{
	return SNRING_HDR_SIZE + (size_t)c->num_queues * snring_queue_stride(c->queue_size);
}

static inline struct snring_queue *snring_queue_at(void *region, uint32_t queue_size, uint32_t qidx)
{
	return (struct snring_queue *)((uint8_t *)region + SNRING_HDR_SIZE +
				       (size_t)qidx * snring_queue_stride(queue_size));
}

/* Device side, before the driver sees the region: header filled, queues zeroed. */
static inline int snring_region_init(void *region, size_t size, const struct snring_config *c)
{
	struct snring_hdr *h = (struct snring_hdr *)region;
	size_t need = snring_region_size(c);

	if (snring_config_check(c) || ((uintptr_t)region & (SNRING_LINE - 1)))
		return -EINVAL;
	if (size < need)
		return -ENOSPC;
	memset(region, 0, need);
	h->magic = snring_cpu_to_le32(SNRING_MAGIC);
	h->version = snring_cpu_to_le16(SNRING_VERSION);
	h->hdr_size = snring_cpu_to_le16(SNRING_HDR_SIZE);
	h->features = snring_cpu_to_le32(c->features);
	h->num_queues = snring_cpu_to_le32(c->num_queues);
	h->queue_size = snring_cpu_to_le32(c->queue_size);
	h->queue_stride = snring_cpu_to_le32(snring_queue_stride(c->queue_size));
	h->max_len = snring_cpu_to_le32(c->max_len);
	h->region_size = snring_cpu_to_le32((uint32_t)need);
	return 0;
}

/* Driver side: reads and checks the header the device wrote. */
static inline int snring_region_parse(const void *region, size_t size, struct snring_config *c)
{
	const struct snring_hdr *h = (const struct snring_hdr *)region;

	if (size < SNRING_HDR_SIZE || ((uintptr_t)region & (SNRING_LINE - 1)))
		return -EINVAL;
	if (snring_le32_to_cpu(h->magic) != SNRING_MAGIC ||
	    snring_le16_to_cpu(h->version) != SNRING_VERSION ||
	    snring_le16_to_cpu(h->hdr_size) != SNRING_HDR_SIZE)
		return -EPROTO;
	c->num_queues = snring_le32_to_cpu(h->num_queues);
	c->queue_size = snring_le32_to_cpu(h->queue_size);
	c->max_len = snring_le32_to_cpu(h->max_len);
	c->features = snring_le32_to_cpu(h->features);
	c->max_indirect = 0; /* a device-side limit, not in the header */
	if (snring_config_check(c) ||
	    snring_le32_to_cpu(h->queue_stride) != snring_queue_stride(c->queue_size) ||
	    snring_le32_to_cpu(h->region_size) != snring_region_size(c))
		return -EPROTO;
	if (size < snring_region_size(c))
		return -ENOSPC;
	return 0;
}

/*
 * Event index test: the peer asked to be notified once our index moves past
 * `event`; we just moved it from `old` to `now`. True when event is in
 * [old, now), computed so that free-running wrap-around is harmless.
 */
static inline bool snring_need_event(uint32_t event, uint32_t now, uint32_t old)
{
	return (uint32_t)(now - event - 1) < (uint32_t)(now - old);
}

/* A descriptor as a side sees it locally. ptr is set by the device side only. */
struct snring_buf {
	uint64_t addr; /* guest-physical */
	void *ptr;     /* host pointer for [addr, addr+len), from the xlate callback */
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

/* A completion. */
struct snring_done {
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

/* ---- Driver side (guest): posts descriptors, reclaims completions ---- */

struct snring_drv {
	struct snring_drv_line *mine;
	const struct snring_dev_line *theirs;
	struct snring_desc *desc;
	const struct snring_used *used;
	uint32_t size, mask, max_len;
	uint32_t avail;	     /* descriptors written */
	uint32_t avail_pub;  /* descriptors published */
	uint32_t used_seen;  /* completions reclaimed */
	uint32_t used_known; /* completions the device has published, as last read */
	uint32_t bad_ids;    /* completions with an id out of range: consumed, counted here */
};

static inline int snring_drv_init(struct snring_drv *q, void *region, const struct snring_config *c,
				  uint32_t qidx)
{
	struct snring_queue *sq;

	if (snring_config_check(c) || qidx >= c->num_queues)
		return -EINVAL;
	sq = snring_queue_at(region, c->queue_size, qidx);
	memset(q, 0, sizeof(*q));
	q->mine = &sq->drv;
	q->theirs = &sq->dev;
	q->desc = sq->desc;
	q->used = (const struct snring_used *)(sq->desc + c->queue_size);
	q->size = c->queue_size;
	q->mask = c->queue_size - 1;
	q->max_len = c->max_len;
	/*
	 * Indices start at 0. Our line is ours alone to write, so zero it rather
	 * than trust the region to be fresh: a start the device refused, or one
	 * the driver gave up on, leaves what it published there.
	 */
	snring_write_once(&q->mine->avail, snring_cpu_to_le32(0));
	snring_write_once(&q->mine->irq_at, snring_cpu_to_le32(0));
	return 0;
}

/* Slots the driver may fill now; known locally, no shared read. */
static inline uint32_t snring_drv_free(const struct snring_drv *q)
{
	return q->size - (q->avail - q->used_seen);
}

/* Descriptors posted and not yet reclaimed. */
static inline uint32_t snring_drv_inflight(const struct snring_drv *q)
{
	return q->avail - q->used_seen;
}

/* Writes one descriptor; invisible to the device until snring_drv_flush(). */
static inline int snring_drv_post(struct snring_drv *q, const struct snring_buf *b)
{
	struct snring_desc *d;

	if (b->len == 0 || b->len > q->max_len || b->id >= q->size ||
	    (b->flags & ~SNRING_DESC_F_KNOWN) ||
	    ((b->flags & SNRING_DESC_F_INDIRECT) &&
	     (b->len % sizeof(struct snring_desc) || b->addr % sizeof(struct snring_desc))))
		return -EINVAL;
	if (q->avail - q->used_seen >= q->size)
		return -ENOSPC;
	d = &q->desc[q->avail & q->mask];
	snring_write_once(&d->addr, snring_cpu_to_le64(b->addr));
	snring_write_once(&d->len, snring_cpu_to_le32(b->len));
	snring_write_once(&d->id, snring_cpu_to_le16(b->id));
	snring_write_once(&d->flags, snring_cpu_to_le16(b->flags));
	q->avail++;
	return 0;
}

/*
 * Fills entry i of an indirect table (driver memory the device reads once the
 * descriptor naming it is published: snring_drv_flush's release covers it).
 * flags: SNRING_DESC_F_WRITE on RX, else 0; a table never names another table.
 */
static inline void snring_drv_set_indirect(struct snring_desc *table, uint32_t i, uint64_t addr,
					   uint32_t len, uint16_t flags)
{
	table[i].addr = snring_cpu_to_le64(addr);
	table[i].len = snring_cpu_to_le32(len);
	table[i].id = 0;
	table[i].flags = snring_cpu_to_le16(flags);
}

/* Posts up to n descriptors; returns how many (fewer when the ring fills) or -EINVAL. */
static inline int snring_drv_post_batch(struct snring_drv *q, const struct snring_buf *b,
					uint32_t n)
{
	uint32_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = snring_drv_post(q, &b[i]);
		if (r == -ENOSPC)
			break;
		if (r < 0)
			return i ? (int)i : r;
	}
	return (int)i;
}

/*
 * Publishes the posted descriptors. Returns true when the device asked for a
 * kick: the caller then notifies it (an I/O write that KVM turns into an
 * eventfd signal).
 */
static inline bool snring_drv_flush(struct snring_drv *q)
{
	uint32_t old = q->avail_pub, now = q->avail;

	if (old == now)
		return false;
	q->avail_pub = now;
	/*
	 * [B1] release: the descriptor writes above are visible before avail;
	 * pairs with the device's acquire of avail [B2].
	 * [B5] full fence between publishing avail and reading kick_at; pairs
	 * with the device's fence between writing kick_at and re-reading avail
	 * [B6]. Either we see its kick_at or it sees our avail.
	 */
	snring_store_sc(&q->mine->avail, snring_cpu_to_le32(now));
	return snring_need_event(snring_le32_to_cpu(snring_load_sc(&q->theirs->kick_at)), now, old);
}

/* Checks a used index read from the device: it cannot complete what was never published. */
static inline int snring__drv_took_used(struct snring_drv *q, uint32_t used)
{
	if (used - q->used_seen > q->avail_pub - q->used_seen)
		return -EPROTO;
	q->used_known = used;
	return (int)(used - q->used_seen);
}

/* Completions ready to reclaim, or -EPROTO. */
static inline int snring_drv_pending(struct snring_drv *q)
{
	/* [B4] acquire: pairs with the device's release of used [B3]. */
	return snring__drv_took_used(q, snring_le32_to_cpu(snring_load_acquire(&q->theirs->used)));
}

/*
 * Reclaims one completion: 1 with *d filled, 0 when none, -EPROTO when the
 * device's used index ran ahead (nothing consumed: the ring is unusable), or
 * -EBADMSG for an entry with an id out of range (consumed, *d filled).
 */
static inline int snring_drv_reclaim(struct snring_drv *q, struct snring_done *d)
{
	const struct snring_used *u;
	int r;

	if (q->used_seen == q->used_known) {
		r = snring_drv_pending(q);
		if (r <= 0)
			return r;
	}
	u = &q->used[q->used_seen & q->mask];
	d->id = snring_le16_to_cpu(snring_read_once(&u->id));
	d->flags = snring_le16_to_cpu(snring_read_once(&u->flags));
	d->len = snring_le32_to_cpu(snring_read_once(&u->len));
	q->used_seen++;
	if (d->id < q->size)
		return 1;
	q->bad_ids++;
	return -EBADMSG;
}

/*
 * Reclaims up to max completions; returns how many, or -EPROTO/-EBADMSG when none.
 * A bad id met after good ones ends the batch early; it is consumed and counted in
 * q->bad_ids either way, so none goes unnoticed.
 */
static inline int snring_drv_reclaim_batch(struct snring_drv *q, struct snring_done *d,
					   uint32_t max)
{
	uint32_t n = 0;
	int r;

	while (n < max) {
		r = snring_drv_reclaim(q, &d[n]);
		if (r <= 0)
			return n ? (int)n : r;
		n++;
	}
	return (int)n;
}

/*
 * Delayed re-enable (virtio's enable_cb_delayed): asks for an interrupt once n
 * more completions are published, then re-checks. n is clamped to what is in
 * flight, so the interrupt always comes. A driver that refills a ring asks
 * for one when enough room is back rather than at the first completion: it
 * wakes once per chunk, and the device still has work meanwhile. Returns 0
 * when it is safe to wait, >0 (completions ready) when n of them are already
 * there, -EPROTO on a bad index.
 */
static inline int snring_drv_want_irq_after(struct snring_drv *q, uint32_t n)
{
	uint32_t inflight = q->avail_pub - q->used_seen;
	int r;

	if (n > inflight)
		n = inflight;
	if (n == 0)
		n = 1;
	if (q->used_known - q->used_seen >= n)
		return (int)(q->used_known - q->used_seen);
	/* [B8] full fence between writing irq_at and re-reading used; pairs with [B7]. */
	snring_store_sc(&q->mine->irq_at, snring_cpu_to_le32(q->used_seen + n - 1));
	r = snring__drv_took_used(q, snring_le32_to_cpu(snring_load_sc(&q->theirs->used)));
	return r < 0 || (uint32_t)r >= n ? r : 0;
}

/*
 * NAPI-style re-enable: asks for an interrupt at the next completion, then
 * re-checks. Returns 0 when it is safe to wait for the interrupt, >0 when
 * completions arrived meanwhile (keep polling), -EPROTO on a bad index.
 * While the driver polls it simply does not call this, and the stale irq_at
 * keeps the device from interrupting.
 */
static inline int snring_drv_want_irq(struct snring_drv *q)
{
	return snring_drv_want_irq_after(q, 1);
}

/* ---- Device side (host): consumes descriptors, posts completions ---- */

/*
 * Turns a descriptor's [addr, addr+len) into a host pointer, or NULL when any
 * byte lies outside what the guest may name. Must be overflow-safe. The VMM
 * wraps guest_ptr(); snring_window_xlate() serves one contiguous window.
 */
typedef void *(*snring_xlate_fn)(void *ctx, uint64_t addr, uint64_t len);

struct snring_window {
	uint64_t base; /* guest-physical start */
	uint64_t size;
	void *host; /* where base is mapped */
};

static inline void *snring_window_xlate(void *ctx, uint64_t addr, uint64_t len)
{
	const struct snring_window *w = (const struct snring_window *)ctx;
	uint64_t off;

	if (addr < w->base)
		return NULL;
	off = addr - w->base;
	if (off > w->size || len > w->size - off)
		return NULL;
	return (uint8_t *)w->host + off;
}

struct snring_dev {
	const struct snring_drv_line *theirs;
	struct snring_dev_line *mine;
	const struct snring_desc *desc;
	struct snring_used *used_ring;
	snring_xlate_fn xlate;
	void *xlate_ctx;
	uint32_t size, mask, max_len;
	uint32_t max_indirect; /* 0: indirect tables rejected */
	uint16_t want_flags;   /* SNRING_DESC_F_WRITE on a queue the device fills */
	bool broken;
	bool have_peek;
	struct snring_buf peeked; /* validated copy of desc[next], when have_peek */
	uint32_t avail_known;	  /* driver's avail as last read and checked */
	uint32_t next;		  /* descriptors consumed */
	uint32_t used;		  /* completions written */
	uint32_t used_pub;	  /* completions published */
	uint32_t errors;	  /* protocol errors seen */
	uint32_t error_limit;	  /* errors at which the queue turns broken */
};

/*
 * Attaches to queue qidx. The geometry comes from the device's own config,
 * never from the (guest-writable) header. device_writes: the device fills
 * these buffers (RX); descriptors must carry SNRING_DESC_F_WRITE exactly then.
 */
static inline int snring_dev_init(struct snring_dev *q, void *region, size_t region_size,
				  const struct snring_config *c, uint32_t qidx, bool device_writes,
				  snring_xlate_fn xlate, void *xlate_ctx)
{
	struct snring_queue *sq;

	if (snring_config_check(c) || qidx >= c->num_queues || !xlate ||
	    ((uintptr_t)region & (SNRING_LINE - 1)))
		return -EINVAL;
	if (region_size < snring_region_size(c))
		return -ENOSPC;
	sq = snring_queue_at(region, c->queue_size, qidx);
	memset(q, 0, sizeof(*q));
	q->theirs = &sq->drv;
	q->mine = &sq->dev;
	q->desc = sq->desc;
	q->used_ring = (struct snring_used *)(sq->desc + c->queue_size);
	q->xlate = xlate;
	q->xlate_ctx = xlate_ctx;
	q->size = c->queue_size;
	q->mask = c->queue_size - 1;
	q->max_len = c->max_len;
	q->max_indirect = c->max_indirect;
	q->want_flags = device_writes ? SNRING_DESC_F_WRITE : 0;
	q->error_limit = SNRING_ERROR_LIMIT;
	/* Indices start at 0, our line zeroed as the driver's init zeroes its own. */
	snring_write_once(&q->mine->used, snring_cpu_to_le32(0));
	snring_write_once(&q->mine->kick_at, snring_cpu_to_le32(0));
	return 0;
}

static inline bool snring_dev_broken(const struct snring_dev *q)
{
	return q->broken;
}

static inline uint32_t snring_dev_errors(const struct snring_dev *q)
{
	return q->errors;
}

/* Descriptors consumed and not yet completed. */
static inline uint32_t snring_dev_outstanding(const struct snring_dev *q)
{
	return q->next - q->used;
}

static inline int snring__dev_error(struct snring_dev *q, int err)
{
	if (++q->errors >= q->error_limit)
		q->broken = true;
	return err;
}

/*
 * Checks an avail index read from shared memory: the driver can be at most a
 * ring ahead of the completions we published, and never behind what we
 * consumed. Returns descriptors available, or -EPROTO.
 */
static inline int snring__dev_took_avail(struct snring_dev *q, uint32_t avail)
{
	uint32_t ahead = avail - q->used_pub;

	if (ahead > q->size || ahead < q->next - q->used_pub)
		return snring__dev_error(q, -EPROTO);
	q->avail_known = avail;
	return (int)(avail - q->next);
}

/* Descriptors available now (re-reads avail), -EPROTO, or -EIO when broken. */
static inline int snring_dev_avail(struct snring_dev *q)
{
	if (q->broken)
		return -EIO;
	/* [B2] acquire: pairs with the driver's release of avail [B1]. */
	return snring__dev_took_avail(q,
				      snring_le32_to_cpu(snring_load_acquire(&q->theirs->avail)));
}

/* Free slots in the used ring are implied: used can never pass next. */
static inline void snring__dev_put_used(struct snring_dev *q, uint16_t id, uint32_t len,
					uint16_t flags)
{
	struct snring_used *u = &q->used_ring[q->used & q->mask];

	snring_write_once(&u->id, snring_cpu_to_le16(id));
	snring_write_once(&u->flags, snring_cpu_to_le16(flags));
	snring_write_once(&u->len, snring_cpu_to_le32(len));
	q->used++;
}

/* Copies desc[next] once into *b, then checks the copy only. */
static inline int snring__dev_fetch(struct snring_dev *q, struct snring_buf *b)
{
	const struct snring_desc *d = &q->desc[q->next & q->mask];

	b->addr = snring_le64_to_cpu(snring_read_once(&d->addr));
	b->len = snring_le32_to_cpu(snring_read_once(&d->len));
	b->id = snring_le16_to_cpu(snring_read_once(&d->id));
	b->flags = snring_le16_to_cpu(snring_read_once(&d->flags));
	b->ptr = NULL;
	if ((b->flags & ~SNRING_DESC_F_INDIRECT) != q->want_flags)
		return -EINVAL;
	if (b->id >= q->size)
		return -ERANGE;
	if (b->flags & SNRING_DESC_F_INDIRECT) {
		/* Only the table's shape here; its segments are checked by snring_dev_segments().
		 */
		if (!q->max_indirect)
			return -EINVAL;
		/* Entries are read as struct snring_desc in place: they must be aligned. */
		if (b->addr % sizeof(struct snring_desc))
			return -EINVAL;
		if (b->len == 0 || b->len % sizeof(struct snring_desc) ||
		    b->len / sizeof(struct snring_desc) > q->max_indirect)
			return -EMSGSIZE;
	} else if (b->len == 0 || b->len > q->max_len) {
		return -EMSGSIZE;
	}
	b->ptr = q->xlate(q->xlate_ctx, b->addr, b->len);
	return b->ptr ? 0 : -EFAULT;
}

/*
 * Looks at the next descriptor without consuming it (RX: hold a buffer until
 * a frame arrives). Returns 0 with *b filled and checked; -EAGAIN when the
 * ring is empty; -EPROTO for a bad avail index; -EIO when broken. A bad
 * descriptor (-EINVAL flags, -ERANGE id, -EMSGSIZE len, -EFAULT address) is
 * counted, consumed and completed with SNRING_USED_F_ERROR so the driver
 * gets its slot back; the caller just moves on to the next one.
 */
static inline int snring_dev_peek(struct snring_dev *q, struct snring_buf *b)
{
	int r;

	if (q->broken)
		return -EIO;
	if (q->have_peek) {
		*b = q->peeked;
		return 0;
	}
	if (q->next == q->avail_known) {
		r = snring_dev_avail(q);
		if (r <= 0)
			return r ? r : -EAGAIN;
	}
	r = snring__dev_fetch(q, b);
	if (r < 0) {
		q->next++;
		snring__dev_put_used(q, b->id, 0, SNRING_USED_F_ERROR);
		return snring__dev_error(q, r);
	}
	q->peeked = *b;
	q->have_peek = true;
	return 0;
}

/* As peek, and consumes the descriptor; complete it later by id. */
static inline int snring_dev_dequeue(struct snring_dev *q, struct snring_buf *b)
{
	int r = snring_dev_peek(q, b);

	if (r == 0) {
		q->have_peek = false;
		q->next++;
	}
	return r;
}

/*
 * Dequeues up to max good descriptors, skipping (and completing with an
 * error) bad ones. Returns how many, or -EPROTO/-EIO when none. Bounded:
 * every iteration consumes a slot or stops, and bad slots break the queue
 * after error_limit.
 */
static inline int snring_dev_dequeue_batch(struct snring_dev *q, struct snring_buf *b, uint32_t max)
{
	uint32_t n = 0;
	int r;

	while (n < max) {
		r = snring_dev_dequeue(q, &b[n]);
		if (r == 0)
			n++;
		else if (r == -EAGAIN || r == -EPROTO || r == -EIO)
			return n ? (int)n : (r == -EAGAIN ? 0 : r);
	}
	return (int)n;
}

/*
 * Records the completion of a consumed descriptor (any order); invisible to
 * the driver until snring_dev_flush(). -EINVAL when nothing is outstanding.
 */
static inline int snring_dev_complete(struct snring_dev *q, uint16_t id, uint32_t len,
				      uint16_t flags)
{
	if (q->broken)
		return -EIO;
	if (q->used == q->next)
		return -EINVAL;
	snring__dev_put_used(q, id, len, flags);
	return 0;
}

/*
 * Counts a protocol error the caller found in a consumed descriptor (a frame
 * too short, say) and completes it with SNRING_USED_F_ERROR. -EIO when this
 * error broke the queue.
 */
static inline int snring_dev_reject(struct snring_dev *q, uint16_t id)
{
	int r = snring_dev_complete(q, id, 0, SNRING_USED_F_ERROR);

	if (r == 0)
		snring__dev_error(q, 0);
	return q->broken ? -EIO : r;
}

/* One piece of a buffer, in host memory. */
struct snring_seg {
	void *ptr;
	uint32_t len;
};

/*
 * The scatter list of a buffer from peek/dequeue: one segment for a plain
 * descriptor; for SNRING_DESC_F_INDIRECT, one per table entry, each entry
 * read once from guest memory (a single copy, so the guest cannot change it
 * between check and use) and checked: flags exactly the queue's direction
 * (no nested tables), 0 < len, xlate succeeds, the sum within max_len.
 * Returns the number of segments with *total their length; on a bad table
 * (-EINVAL flags, -EMSGSIZE length, -EFAULT address) the error is counted
 * like any other and the caller completes the descriptor with
 * SNRING_USED_F_ERROR (after dequeuing it, if it peeked). -ENOBUFS: segs has
 * fewer than max_indirect (or one) entries, a caller's mistake that is not
 * counted against the guest, whose table passed fetch; complete it the same.
 */
static inline int snring_dev_segments(struct snring_dev *q, const struct snring_buf *b,
				      struct snring_seg *segs, uint32_t max, uint32_t *total)
{
	const struct snring_desc *t = (const struct snring_desc *)b->ptr;
	uint32_t i, n, sum = 0;
	int err = 0;

	if (q->broken)
		return -EIO;
	if (!(b->flags & SNRING_DESC_F_INDIRECT)) {
		if (max < 1)
			return -ENOBUFS;
		segs[0].ptr = b->ptr;
		segs[0].len = b->len;
		*total = b->len;
		return 1;
	}
	n = b->len / sizeof(struct snring_desc);
	if (n > max)
		return -ENOBUFS;
	for (i = 0; i < n && !err; i++) {
		uint64_t addr = snring_le64_to_cpu(snring_read_once(&t[i].addr));
		uint32_t len = snring_le32_to_cpu(snring_read_once(&t[i].len));
		uint16_t flags = snring_le16_to_cpu(snring_read_once(&t[i].flags));

		if (flags != q->want_flags)
			err = -EINVAL;
		else if (len == 0 || len > q->max_len - sum)
			err = -EMSGSIZE; /* sum <= max_len always, so no overflow */
		else if (!(segs[i].ptr = q->xlate(q->xlate_ctx, addr, len)))
			err = -EFAULT;
		segs[i].len = len;
		sum += len;
	}
	if (err)
		return snring__dev_error(q, err);
	*total = sum;
	return (int)n;
}

/*
 * Publishes completions. Returns true when the driver asked for an
 * interrupt: the caller then raises it (irqfd).
 */
static inline bool snring_dev_flush(struct snring_dev *q)
{
	uint32_t old = q->used_pub, now = q->used;

	if (q->broken || old == now)
		return false;
	q->used_pub = now;
	/*
	 * [B3] release: used entries visible before used; pairs with [B4].
	 * [B7] full fence between publishing used and reading irq_at; pairs
	 * with the driver's fence between writing irq_at and re-reading used
	 * [B8]. irq_at is only a hint: a hostile value costs the guest its own
	 * interrupts, nothing else.
	 */
	snring_store_sc(&q->mine->used, snring_cpu_to_le32(now));
	return snring_need_event(snring_le32_to_cpu(snring_load_sc(&q->theirs->irq_at)), now, old);
}

/*
 * At work anyway (woken for another queue, say): withdraws the kick asked for
 * before sleeping, so that what the driver posts meanwhile costs it no kick.
 * next - 1 lies behind any index the driver can move from, so no flush finds
 * it in [old, now). The caller must then look at this queue again before it
 * sleeps (snring_dev_want_kick re-arms and re-checks): nothing else will tell
 * it. A plain store: a driver that still reads the old kick_at kicks once more.
 */
static inline void snring_dev_quiet(struct snring_dev *q)
{
	if (!q->broken)
		snring_write_once(&q->mine->kick_at, snring_cpu_to_le32(q->next - 1));
}

/* Stores kick_at so that the n-th post from next kicks (n already 1..size). */
static inline void snring__dev_arm_after(struct snring_dev *q, uint32_t n)
{
	snring_store_sc(&q->mine->kick_at, snring_cpu_to_le32(q->next + n - 1));
}

/*
 * Asks for a kick at the next post without re-reading avail: for a caller that
 * has just read a bad avail (counted already), which it re-reads in its next
 * round, since re-reading now would count the same error twice. Before it
 * sleeps the caller must call snring_dev_want_kick: its sequentially
 * consistent load is the other half of [B6], which the acquire load in a
 * dequeue is not (C11 lets that load pass this store).
 */
static inline void snring_dev_arm(struct snring_dev *q)
{
	if (!q->broken)
		snring__dev_arm_after(q, 1);
}

/*
 * Before sleeping: asks for a kick once the driver has posted n more
 * descriptors (n clamped to 1..size), then re-checks. Returns 0 when the
 * caller may sleep (the n-th post will kick), >0 when descriptors are waiting
 * (consume them first, however few), -EPROTO or -EIO. An n above 1 is only
 * for a driver that is known to post at least n more without hearing from
 * the device (the NIC's RX refill: ring/snnet.h), or it never kicks.
 */
static inline int snring_dev_want_kick_after(struct snring_dev *q, uint32_t n)
{
	if (q->broken)
		return -EIO;
	if (q->next != q->avail_known)
		return (int)(q->avail_known - q->next);
	n = n < 1 ? 1 : n > q->size ? q->size : n;
	/*
	 * [B6] full fence between writing kick_at and re-reading avail; pairs
	 * with [B5]. The load also acquires avail, like [B2].
	 */
	snring__dev_arm_after(q, n);
	return snring__dev_took_avail(q, snring_le32_to_cpu(snring_load_sc(&q->theirs->avail)));
}

/* As snring_dev_want_kick_after(q, 1): a kick at the next post. */
static inline int snring_dev_want_kick(struct snring_dev *q)
{
	return snring_dev_want_kick_after(q, 1);
}

#endif
