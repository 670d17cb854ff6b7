// SPDX-License-Identifier: MIT
/*
 * The NIC datapath. One thread serves both queues and the tap, so no lock is
 * needed anywhere: the rings are SPSC with the guest, and the tap fd is ours.
 *
 * TX: dequeue up to NET_BATCH descriptors, write each frame from guest
 * memory straight to the tap, complete, flush once per batch. When the ring
 * is empty, re-arm the kick (kick_at) and re-check before sleeping. A tap
 * that says EAGAIN keeps the rest of the batch here and we wait for EPOLLOUT.
 * A round woken for RX alone withdraws the TX kick first and looks at TX
 * last, so the guest's answers to what it receives need no kick.
 *
 * RX: while the tap is readable, read each frame straight into the next
 * posted buffer. With no buffer posted the frame stays in the tap and
 * epoll stops watching the tap for input (EPOLLIN dropped) until the guest
 * posts more (its RX kick, asked for after half a ring of posts).
 *
 * Interrupts: an eventfd write as soon as a flush finds the guest asked for
 * one (irq_at), not at the end of the round. A guest that asked to hear when
 * half its TX ring is back (snring_drv_want_irq_after) then refills while we
 * still send the rest, instead of the two of us taking turns. Each request
 * the guest makes still fires once.
 */
#include "net_datapath.h"
#include "log.h"
#include "stats.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ETH_HLEN_MIN 14
#define NET_MTU	     1500
#define NET_HOST_FEATURES                                                                          \
	(SNNET_F_CSUM | SNNET_F_GUEST_CSUM | SNNET_F_TSO4 | SNNET_F_TSO6 | SNNET_F_GUEST_TSO4 |    \
	 SNNET_F_GUEST_TSO6 | SNNET_F_INDIRECT)
#define TAG_STOP      0
#define TAG_KICK_TX   1
#define TAG_KICK_RX   2
#define TAG_TAP	      3
#define NET_MIN_FRAME (SNNET_VNET_HDR_LEN + ETH_HLEN_MIN)
/*
 * A defer window opens only after a round that sent this many frames: a
 * stream. A request or a reply alone (ping, a TCP request/response, a TSO
 * frame and its neighbour) never waits in a window, and a stream too slow to
 * fill one (under 4 frames per window) is served as without deferring.
 */
#define NET_DEFER_MIN 4
/* Posts the guest makes before its RX kick when frames wait for buffers (ring/snnet.h). */
#define NET_RX_KICK_AFTER (SNNET_QUEUE_SIZE / 2)

static const char *const queue_name[2] = {"TX", "RX"};

static void *dp_xlate(void *ctx, uint64_t addr, uint64_t len)
{
	return guest_ptr(ctx, addr, len);
}

/* The rings' geometry, ours alone: the guest's copy in the region header is never read back. */
static const struct snring_config net_ring_config = {
    .num_queues = 2, .queue_size = SNNET_QUEUE_SIZE, .max_len = SNNET_MAX_BUF_LEN};

static size_t ring_region_size(void)
{
	return snring_region_size(&net_ring_config);
}

size_t net_shared_size(void)
{
	size_t pg = 4096;

	return (SNNET_CONFIG_SIZE + ring_region_size() + pg - 1) / pg * pg;
}

static int epoll_add(int epfd, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int net_dp_init(struct net_dp *dp, const struct net_dp_params *p)
{
	struct snnet_config *cfg;
	int r;

	memset(dp, 0, sizeof(*dp));
	dp->p = *p;
	dp->epfd = dp->stop_fd = -1;
	if (p->shared_size < net_shared_size())
		return -ENOSPC;
	dp->rcfg = net_ring_config;
	dp->region = (uint8_t *)p->shared + SNNET_CONFIG_SIZE;
	dp->region_size = ring_region_size();
	memset(p->shared, 0, p->shared_size);
	r = snring_region_init(dp->region, dp->region_size, &dp->rcfg);
	if (r)
		return r;
	cfg = dp->cfg = p->shared;
	cfg->magic = snring_cpu_to_le32(SNNET_MAGIC);
	cfg->version = snring_cpu_to_le16(SNNET_VERSION);
	cfg->size = snring_cpu_to_le16(sizeof(*cfg));
	memcpy(cfg->mac, p->mac, 6);
	cfg->mtu = snring_cpu_to_le16(NET_MTU);
	cfg->host_features = snring_cpu_to_le32(NET_HOST_FEATURES);
	cfg->ring_offset = snring_cpu_to_le32(SNNET_CONFIG_SIZE);
	cfg->ring_size = snring_cpu_to_le32((uint32_t)dp->region_size);
	cfg->vnet_hdr_len = snring_cpu_to_le32(SNNET_VNET_HDR_LEN);

	dp->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	dp->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (dp->stop_fd < 0 || dp->epfd < 0) {
		r = -errno;
		fprintf(stderr, "snvmm: net '%s': epoll/eventfd: %s\n", p->name, strerror(-r));
		net_dp_destroy(dp);
		return r;
	}
	if ((r = epoll_add(dp->epfd, dp->stop_fd, EPOLLIN, TAG_STOP)) ||
	    (r = epoll_add(dp->epfd, p->kick_fd[0], EPOLLIN, TAG_KICK_TX)) ||
	    (r = epoll_add(dp->epfd, p->kick_fd[1], EPOLLIN, TAG_KICK_RX)) ||
	    (r = epoll_add(dp->epfd, p->tap_fd, 0, TAG_TAP))) {
		fprintf(stderr, "snvmm: net '%s': epoll_ctl: %s\n", p->name, strerror(-r));
		net_dp_destroy(dp);
		return r;
	}
	return 0;
}

void net_dp_destroy(struct net_dp *dp)
{
	if (dp->epfd >= 0)
		close(dp->epfd);
	if (dp->stop_fd >= 0)
		close(dp->stop_fd);
	dp->epfd = dp->stop_fd = -1;
}

void net_dp_request_stop(struct net_dp *dp)
{
	uint64_t one = 1;

	if (write(dp->stop_fd, &one, sizeof(one)) < 0)
		perror("snvmm: net stop eventfd");
}

static void route_irq(struct net_dp *dp)
{
	counter_inc(&dp->c.syscalls); /* an ioctl or two */
	counter_set(&dp->c.irq_msi, dp->p.route_irq(dp->p.cb_ctx) == 1);
}

static void set_device_status(struct net_dp *dp, uint32_t v)
{
	/* Release: the ring state we set up is visible before the guest sees the status. */
	snring_store_release(&dp->cfg->device_status, snring_cpu_to_le32(v));
}

/* Stops using the rings and says so: the last step of any stop, what the driver waits for. */
static void device_stop(struct net_dp *dp)
{
	dp->running = false;
	set_device_status(dp, 0);
}

/* Reset: nothing is in flight on TX once the pending batch is dropped. */
static void device_reset(struct net_dp *dp)
{
	counter_add(&dp->c.tx_discarded, dp->tx_npend - dp->tx_ipend);
	dp->tx_npend = dp->tx_ipend = 0;
	dp->tx_unarmed = false; /* fresh rings start armed */
	dp->poll_until_ns = 0;
	snring_region_init(dp->region, dp->region_size, &dp->rcfg);
	device_stop(dp);
}

/*
 * snnet.h's handshake, on any doorbell: the driver's status is read once to
 * decide, and once more after RUNNING is published, to catch a driver that
 * gave up meanwhile.
 */
static void handshake(struct net_dp *dp)
{
	uint32_t status = snring_le32_to_cpu(snring_load_acquire(&dp->cfg->status));
	uint32_t gf;

	if (dp->running && status == 0) {
		device_reset(dp);
		return;
	}
	if (dp->running || status != SNNET_STATUS_DRIVER_OK)
		return;
	gf = snring_le32_to_cpu(snring_read_once(&dp->cfg->guest_features));
	if ((gf & ~NET_HOST_FEATURES) ||
	    ((gf & (SNNET_F_TSO4 | SNNET_F_TSO6)) && !(gf & SNNET_F_CSUM)) ||
	    ((gf & (SNNET_F_GUEST_TSO4 | SNNET_F_GUEST_TSO6)) && !(gf & SNNET_F_GUEST_CSUM))) {
		/* Said once per VM: a guest could otherwise ask again at every kick. */
		if (!dp->features_logged)
			log_nowait(
			    "snvmm: net '%s': guest features 0x%x not a valid subset of 0x%x "
			    "(said once; counted in protocol_errors)\n",
			    dp->p.name, gf, NET_HOST_FEATURES);
		dp->features_logged = true;
		counter_inc(&dp->c.protocol_errors);
		return;
	}
	if (dp->p.set_offload && dp->p.set_offload(dp->p.cb_ctx, gf))
		gf &= ~(SNNET_F_GUEST_CSUM | SNNET_F_GUEST_TSO4 | SNNET_F_GUEST_TSO6);
	dp->rcfg.max_indirect = (gf & SNNET_F_INDIRECT) ? SNNET_MAX_INDIRECT : 0;
	for (uint32_t i = 0; i < 2; i++) {
		snring_dev_init(&dp->q[i], dp->region, dp->region_size, &dp->rcfg, i,
				i == SNRING_QUEUE_RX, dp_xlate, (void *)dp->p.mem);
		dp->broken_counted[i] = false;
		dp->errors_seen[i] = 0;
	}
	if (dp->p.route_irq)
		route_irq(dp);
	dp->running = true;
	dp->tx_blocked = dp->rx_wait_buf = false;
	/*
	 * A driver that gave up waiting for RUNNING (a start slower than its
	 * timeout) has reset meanwhile, and on reading device_status 0 freed the
	 * buffers it had posted: look at its status again before touching the
	 * rings. Sequentially consistent store and load, paired with the
	 * driver's full fence between writing status 0 and reading ours
	 * (snnet_reset_device(), guest/snnet_main.c): one of the two sees the
	 * other's write. If it gave up, stop without re-initialising the region:
	 * nothing in it is ours yet, and a driver that read device_status 0
	 * before our RUNNING may already be posting for its next start.
	 */
	snring_store_sc(&dp->cfg->device_status, snring_cpu_to_le32(SNNET_DEVICE_RUNNING));
	if (snring_le32_to_cpu(snring_load_sc(&dp->cfg->status)) != SNNET_STATUS_DRIVER_OK)
		device_stop(dp);
}

/* The window after work in which TX stays unarmed: busy-polled or slept through. */
static uint32_t window_us(const struct net_dp *dp)
{
	return dp->p.poll_us ? dp->p.poll_us : dp->p.defer_us;
}

/*
 * The work that opens a window: busy-polling watches the tap as well, so any;
 * a defer window only spares the guest its next TX kick, so only TX. (Its
 * timer on a receive-only stream would just be one more host interrupt.)
 */
static uint64_t window_work(const struct net_dp *dp)
{
	uint64_t tx = counter_read(&dp->c.tx_packets);

	return dp->p.poll_us ? tx + counter_read(&dp->c.rx_packets) : tx;
}

/* Whether this round has done enough window_work to open a window (or extend one). */
static bool round_opens_window(const struct net_dp *dp)
{
	uint32_t min = dp->p.defer_min ? dp->p.defer_min : NET_DEFER_MIN;

	if (dp->p.poll_us)
		min = 1; /* a busy-polled window delays nothing: any work opens one */
	return window_work(dp) - dp->round_work0 >= min;
}

static void flush(struct net_dp *dp, struct snring_dev *q)
{
	uint64_t one = 1;

	if (!snring_dev_flush(q))
		return;
	if (dp->p.route_irq && dp->p.route_each_irq)
		route_irq(dp);
	counter_inc(&dp->c.syscalls);
	if (write(dp->p.irq_fd, &one, sizeof(one)) == sizeof(one))
		counter_inc(&dp->c.interrupts);
}

/*
 * Builds dp->iov for buffer b. A bad buffer is consumed (when only peeked),
 * completed with an error and counted against the queue; then <0.
 */
static int buf_iov(struct net_dp *dp, struct snring_dev *q, const struct snring_buf *b, bool peeked,
		   uint32_t *total)
{
	int n = snring_dev_segments(q, b, dp->segs, SNNET_MAX_INDIRECT, total);
	struct snring_buf tmp;

	if (n >= 0 && *total >= NET_MIN_FRAME) {
		for (int i = 0; i < n; i++) {
			dp->iov[i].iov_base = dp->segs[i].ptr;
			dp->iov[i].iov_len = dp->segs[i].len;
		}
		return n;
	}
	if (peeked)
		snring_dev_dequeue(q, &tmp);
	if (n < 0) {
		snring_dev_complete(q, b->id, 0, SNRING_USED_F_ERROR);
		return n;
	}
	snring_dev_reject(q, b->id); /* a frame shorter than header + Ethernet header */
	return -EMSGSIZE;
}

/*
 * A frame to or from the tap, through syscall(2) and not glibc's wrappers:
 * those are cancellation points, and in a process with threads each call
 * turns asynchronous cancellation on and off around the syscall, two locked
 * instructions. The worker is never cancelled. One segment goes by
 * read/write, which the kernel takes without copying in an iovec. Both
 * show in bench-datapath's 64-byte frames, where per-frame overhead is all
 * there is (tests/bench/README.md, "make bench-datapath").
 */
static ssize_t tap_io(struct net_dp *dp, bool out, int n)
{
	long r;

	if (n == 1)
		r = syscall(out ? SYS_write : SYS_read, dp->p.tap_fd, dp->iov[0].iov_base,
			    dp->iov[0].iov_len);
	else
		r = syscall(out ? SYS_writev : SYS_readv, dp->p.tap_fd, dp->iov, n);
	counter_inc(&dp->c.syscalls);
	return r;
}

static ssize_t tap_write(struct net_dp *dp, int n)
{
	return tap_io(dp, true, n);
}

static ssize_t tap_read(struct net_dp *dp, int n)
{
	return tap_io(dp, false, n);
}

/*
 * The tap was deleted on the host (tun then polls EPOLLERR for good and fails
 * reads and writes with EBADFD). Said once, and the tap leaves the epoll set,
 * which would otherwise wake us without end; the rings go on, TX frames are
 * dropped (counted, completed with the error flag) and nothing arrives. The
 * guest runs on: a host-side failure is not the guest's to pay for.
 */
static void note_tap_gone(struct net_dp *dp)
{
	if (dp->tap_gone)
		return;
	dp->tap_gone = true;
	dp->tx_blocked = false; /* no EPOLLOUT will come: what waits fails now, counted */
	if (dp->tx_ipend < dp->tx_npend)
		dp->more = true; /* gone mid-RX, after TX ran: fail the rest next round */
	log_nowait("snvmm: net '%s': the tap is gone (deleted on the host?); its frames are "
		   "dropped from now on\n",
		   dp->p.name);
	counter_inc(&dp->c.syscalls);
	epoll_ctl(dp->epfd, EPOLL_CTL_DEL, dp->p.tap_fd, NULL);
}

/* Sends the pending TX batch; stops early on EAGAIN, keeping the rest. */
static void tx_send(struct net_dp *dp)
{
	struct snring_dev *q = &dp->q[SNRING_QUEUE_TX];

	while (dp->tx_ipend < dp->tx_npend && !snring_dev_broken(q)) {
		const struct snring_buf *b = &dp->tx_pend[dp->tx_ipend];
		uint32_t total;
		int n = buf_iov(dp, q, b, /*peeked=*/false, &total);
		ssize_t w;

		if (n >= 0) {
			w = tap_write(dp, n);
			if (w < 0 && errno == EAGAIN) {
				dp->tx_blocked = true;
				return;
			}
			if (w < 0) {
				/* The host side failed (tap down, say): the guest is not to blame.
				 */
				if (errno == EBADFD)
					note_tap_gone(dp);
				counter_inc(&dp->c.drops);
				snring_dev_complete(q, b->id, 0, SNRING_USED_F_ERROR);
			} else {
				counter_inc(&dp->c.tx_packets);
				counter_add(&dp->c.tx_bytes, total - SNNET_VNET_HDR_LEN);
				snring_dev_complete(q, b->id, total, 0);
			}
		}
		dp->tx_ipend++;
	}
	/* Left only when the queue broke mid-batch: those frames never leave. */
	counter_add(&dp->c.tx_discarded, dp->tx_npend - dp->tx_ipend);
	dp->tx_npend = dp->tx_ipend = 0;
}

static void tx_process(struct net_dp *dp)
{
	struct snring_dev *q = &dp->q[SNRING_QUEUE_TX];
	uint32_t budget = SNNET_QUEUE_SIZE; /* then give RX a turn */
	int n;

	while (!dp->tx_blocked && !snring_dev_broken(q)) {
		if (dp->tx_ipend == dp->tx_npend) {
			if (!budget) {
				dp->more = true;
				break;
			}
			n = snring_dev_dequeue_batch(q, dp->tx_pend,
						     budget < NET_BATCH ? budget : NET_BATCH);
			if (n == 0 && (dp->polling || (window_us(dp) && round_opens_window(dp)))) {
				/* In a window, or about to open one: leave the kick suppressed. */
				dp->tx_unarmed = true;
				break;
			}
			if (n == 0 && (n = snring_dev_want_kick(q)) > 0)
				continue;
			if (n == 0)
				dp->tx_unarmed = false;
			/*
			 * A bad avail (counted by the ring) may come after the kick was
			 * withdrawn (quiet): arm it again, or a guest that then posts
			 * correctly would never be heard, and look again next round (a
			 * guest that kept it bad breaks its queue in as many rounds).
			 */
			if (n < 0 && !snring_dev_broken(q)) {
				snring_dev_arm(q);
				dp->more = true;
			}
			if (n <= 0)
				break; /* empty and re-armed, or a protocol error */
			dp->tx_npend = (uint32_t)n;
			dp->tx_ipend = 0;
			budget -= (uint32_t)n;
			counter_inc(&dp->c.batches);
		}
		tx_send(dp);
		flush(dp, q);
	}
	flush(dp, q);
}

/* tap_in: epoll said the tap is readable, so a frame is known to wait. */
static void rx_process(struct net_dp *dp, bool tap_in)
{
	struct snring_dev *q = &dp->q[SNRING_QUEUE_RX];
	uint32_t delivered = 0, too_big = 0;
	struct snring_buf b;
	uint32_t total;
	ssize_t got;
	int n;

	while (delivered + too_big < SNNET_QUEUE_SIZE && !snring_dev_broken(q) && !dp->tap_gone) {
		n = snring_dev_peek(q, &b);
		if (n == -EAGAIN) {
			/*
			 * No buffer: ask for a kick, then look once more. With frames
			 * waiting (the tap readable, or a burst cut short) the guest is
			 * behind, and each of its NAPI polls reposts what it took: one
			 * kick per half ring instead of one per poll (ring/snnet.h says
			 * why the kick still comes). Else at the next post.
			 */
			n = snring_dev_want_kick_after(q,
						       tap_in || delivered ? NET_RX_KICK_AFTER : 1);
			if (n > 0)
				continue;
			if (n == 0 && delivered == 0 && tap_in) {
				/*
				 * The tap was readable and there is no buffer: leave
				 * the frame there and ignore the tap until the guest
				 * posts (kick_at is armed, so its next post kicks).
				 */
				counter_inc(&dp->c.rx_no_buffer);
				dp->rx_wait_buf = true;
			}
			if (n == 0)
				break; /* or out of buffers mid-burst: epoll says if more waits */
		}
		if (n == -EPROTO || n == -EIO)
			break;
		if (n < 0)
			continue; /* a bad descriptor, completed with an error by the ring */
		n = buf_iov(dp, q, &b, /*peeked=*/true, &total);
		if (n < 0)
			continue;
		if (total < SNNET_MAX_BUF_LEN) {
			/*
			 * tun copies what fits and returns no more, so a frame
			 * longer than the buffer (a tap MTU above the guest's,
			 * say) would pass for one that just fits. One byte past
			 * the buffer tells them apart. A buffer of
			 * SNNET_MAX_BUF_LEN holds any frame tun hands over.
			 */
			dp->iov[n].iov_base = &dp->rx_spill;
			dp->iov[n].iov_len = 1;
			n++;
		}
		got = tap_read(dp, n);
		if (got < 0) {
			if (errno == EBADFD)
				note_tap_gone(dp);
			else if (errno != EAGAIN)
				counter_inc(&dp->c.drops); /* the kernel dropped that frame */
			break; /* the buffer stays peeked for next time */
		}
		if ((uint64_t)got > total) {
			/*
			 * The spill byte was reached: the frame did not fit. The
			 * guest must never get a cut frame, nor hear of more than
			 * its buffer holds: dropped, and the buffer (still peeked)
			 * takes the next frame.
			 */
			counter_inc(&dp->c.rx_too_big);
			too_big++;
			continue;
		}
		snring_dev_dequeue(q, &b);
		snring_dev_complete(q, b.id, (uint32_t)got, 0);
		counter_inc(&dp->c.rx_packets);
		counter_add(&dp->c.rx_bytes, (uint64_t)got > SNNET_VNET_HDR_LEN
						 ? (uint64_t)got - SNNET_VNET_HDR_LEN
						 : 0);
		if (++delivered % NET_BATCH == 0)
			flush(dp, q);
	}
	if (delivered)
		counter_inc(&dp->c.batches);
	if (delivered + too_big == SNNET_QUEUE_SIZE)
		dp->more = true;
	flush(dp, q);
}

/* Drains a kick eventfd; returns how many kicks it held. */
static uint64_t take_kicks(struct net_dp *dp, int fd)
{
	uint64_t v = 0;

	counter_inc(&dp->c.syscalls);
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	counter_add(&dp->c.kicks, v);
	return v;
}

/* Tells epoll what we want from the tap now; one syscall only when it changes. */
static void tap_interest(struct net_dp *dp)
{
	uint32_t want = 0;
	struct epoll_event ev = {.data.u64 = TAG_TAP};

	if (dp->tap_gone)
		return;
	if (dp->running && !dp->rx_wait_buf && !snring_dev_broken(&dp->q[SNRING_QUEUE_RX]))
		want |= EPOLLIN;
	if (dp->running && dp->tx_blocked)
		want |= EPOLLOUT;
	if (want == dp->tap_events)
		return;
	ev.events = want;
	counter_inc(&dp->c.syscalls);
	if (epoll_ctl(dp->epfd, EPOLL_CTL_MOD, dp->p.tap_fd, &ev) == 0)
		dp->tap_events = want;
}

/* Mirrors the rings' error counts into counters and says once when a queue breaks. */
static void note_errors(struct net_dp *dp)
{
	for (uint32_t i = 0; i < 2 && dp->running; i++) {
		uint32_t e = snring_dev_errors(&dp->q[i]);

		counter_add(&dp->c.protocol_errors, e - dp->errors_seen[i]);
		dp->errors_seen[i] = e;
		if (snring_dev_broken(&dp->q[i]) && !dp->broken_counted[i]) {
			dp->broken_counted[i] = true;
			counter_inc(&dp->c.broken);
			/* Once per VM: one that breaks, resets and breaks again is counted. */
			if (!dp->broken_logged[i])
				log_nowait("snvmm: net '%s': %s queue broken after %u protocol "
					   "errors; no longer served (said once; counted in "
					   "broken)\n",
					   dp->p.name, queue_name[i], e);
			dp->broken_logged[i] = true;
		}
	}
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/*
 * Waits for events: not at all when work is left or TX must be looked at
 * once more, until the end of a defer window, or up to timeout_ms (-1:
 * forever). epoll_pwait2 because a defer window is microseconds long.
 */
static int wait_events(struct net_dp *dp, struct epoll_event *ev, int max, bool no_wait,
		       uint64_t t_ns, int timeout_ms)
{
	uint64_t left = dp->poll_until_ns - t_ns;
	struct timespec ts;
	int n;

	if (no_wait || (dp->polling && dp->p.poll_us)) {
		n = epoll_wait(dp->epfd, ev, max, 0);
	} else if (dp->polling && (timeout_ms < 0 || left < (uint64_t)timeout_ms * 1000000u)) {
		ts.tv_sec = (time_t)(left / 1000000000u);
		ts.tv_nsec = (long)(left % 1000000000u);
		n = epoll_pwait2(dp->epfd, ev, max, &ts, NULL);
		if (n < 0 && errno == ENOSYS) /* before Linux 5.11: round up to a millisecond */
			n = epoll_wait(dp->epfd, ev, max, (int)(left / 1000000u) + 1);
	} else {
		n = epoll_wait(dp->epfd, ev, max, timeout_ms);
	}
	counter_inc(&dp->c.syscalls);
	return n;
}

/*
 * The window after a round that moved packets (window_us, window_work), in
 * which the guest's TX kick stays unarmed so a guest that keeps sending never
 * kicks (no exit). Busy-polling (poll_us), as vhost-net's busyloop_timeout:
 * the worker keeps looking at the TX ring and the tap, burning a host CPU.
 * Deferring (defer_us), as NAPI's gro_flush_timeout does for a NIC's
 * interrupt: the worker sleeps (the tap and the RX kick still wake it) and
 * looks at the TX ring when the window ends; a packet sent meanwhile waits
 * up to defer_us. Either way, a window that passes with nothing to do ends
 * with one round that arms the kick; then the thread sleeps as usual.
 */
int net_dp_poll(struct net_dp *dp, int timeout_ms)
{
	struct epoll_event ev[4];
	bool kicked = false, tx = false, rx = false, tap_in = false, more = dp->more, quiet;
	uint64_t t = 0;
	int n;

	if (window_us(dp)) {
		t = now_ns();
		dp->round_work0 = window_work(dp);
	}
	/* A broken TX queue is never armed again: nothing to wait for there. */
	if (!dp->running || snring_dev_broken(&dp->q[SNRING_QUEUE_TX]))
		dp->tx_unarmed = false;
	dp->polling = dp->running && t < dp->poll_until_ns;
	/* Unarmed TX is looked at without sleeping, unless it waits for the tap (EPOLLOUT). */
	n = wait_events(dp, ev, 4, more || (dp->tx_unarmed && !dp->polling && !dp->tx_blocked), t,
			timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	dp->more = false;
	if (dp->polling || dp->tx_unarmed)
		tx = true; /* not armed, so no kick would tell us */
	for (int i = 0; i < n; i++) {
		switch (ev[i].data.u64) {
		case TAG_STOP:
			return 1;
		case TAG_KICK_TX:
			kicked |= take_kicks(dp, dp->p.kick_fd[SNRING_QUEUE_TX]) > 0;
			tx = true;
			break;
		case TAG_KICK_RX:
			kicked |= take_kicks(dp, dp->p.kick_fd[SNRING_QUEUE_RX]) > 0;
			dp->rx_wait_buf = false;
			rx = true;
			break;
		case TAG_TAP:
			if (ev[i].events & EPOLLERR) {
				note_tap_gone(dp); /* tun's only error: its device is gone */
				tx = true;
				break;
			}
			if (ev[i].events & (EPOLLOUT | EPOLLHUP)) {
				dp->tx_blocked = false;
				tx = true;
			}
			if (ev[i].events & (EPOLLIN | EPOLLHUP))
				rx = tap_in = true;
			break;
		}
	}
	/* A round that left work (dp->more) carries on without a new event. */
	if (more)
		tx = rx = true;
	if (kicked)
		handshake(dp);
	if (dp->running) {
		/*
		 * Woken for RX alone, TX armed: what the guest sends while we work
		 * on RX (its answers to it, often) needs no kick, as vhost-net turns
		 * notifications off while its worker runs; we look at TX after RX.
		 */
		quiet = !tx && !dp->tx_npend && !snring_dev_broken(&dp->q[SNRING_QUEUE_TX]);
		if (quiet)
			snring_dev_quiet(&dp->q[SNRING_QUEUE_TX]);
		if (tx || dp->tx_npend)
			tx_process(dp);
		if (rx && !dp->rx_wait_buf)
			rx_process(dp, tap_in);
		if (quiet)
			tx_process(dp); /* takes what came meanwhile; re-arms when empty */
		note_errors(dp);
	}
	if (window_us(dp)) {
		if (round_opens_window(dp))
			dp->poll_until_ns = now_ns() + window_us(dp) * 1000ull; /* after a sleep */
		else if (dp->polling && n == 0)
			counter_inc(&dp->c.poll_rounds);
	}
	tap_interest(dp);
	return 0;
}

int net_dp_run(struct net_dp *dp)
{
	int r;

	/* The default 50 us of timer slack would stretch a short defer window. */
	if (dp->p.defer_us)
		prctl(PR_SET_TIMERSLACK, 1000UL);
	while ((r = net_dp_poll(dp, -1)) == 0)
		;
	/*
	 * Stopped: the vCPUs already are, so no kick can follow; count the ones
	 * still sitting in the eventfds so the kick total is exact.
	 */
	take_kicks(dp, dp->p.kick_fd[SNRING_QUEUE_TX]);
	take_kicks(dp, dp->p.kick_fd[SNRING_QUEUE_RX]);
	if (r < 0)
		log_nowait("snvmm: net '%s': epoll_wait: %s\n", dp->p.name, strerror(-r));
	return r < 0 ? r : 0;
}

void net_dp_stats(const struct net_dp *dp, struct stats_writer *w)
{
	const struct net_counters *c = &dp->c;
	uint64_t pk = counter_read(&c->tx_packets) + counter_read(&c->rx_packets);
	uint64_t b = counter_read(&c->batches);

	stats_u64(w, "tx_packets", counter_read(&c->tx_packets));
	stats_u64(w, "rx_packets", counter_read(&c->rx_packets));
	stats_u64(w, "tx_bytes", counter_read(&c->tx_bytes));
	stats_u64(w, "rx_bytes", counter_read(&c->rx_bytes));
	stats_u64(w, "kicks", counter_read(&c->kicks));
	stats_u64(w, "interrupts", counter_read(&c->interrupts));
	stats_u64(w, "batches", b);
	stats_u64(w, "avg_batch", b ? pk / b : 0);
	stats_u64(w, "drops", counter_read(&c->drops));
	stats_u64(w, "tx_discarded", counter_read(&c->tx_discarded));
	stats_u64(w, "rx_no_buffer", counter_read(&c->rx_no_buffer));
	stats_u64(w, "rx_too_big", counter_read(&c->rx_too_big));
	stats_u64(w, "protocol_errors", counter_read(&c->protocol_errors));
	stats_u64(w, "broken", counter_read(&c->broken));
	stats_u64(w, "syscalls", counter_read(&c->syscalls));
	stats_u64(w, "poll_rounds", counter_read(&c->poll_rounds));
	stats_u64(w, "irq_msi", counter_read(&c->irq_msi));
}
