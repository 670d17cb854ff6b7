// SPDX-License-Identifier: MIT
/*
 * The paravirtual NIC (ring/snnet.h), host side: the shared region the guest
 * sees as its own memory slot, two doorbell ports KVM turns into eventfd
 * signals, one interrupt raised through an irqfd, the tap, and the worker
 * thread that runs the datapath (net_datapath.c). No vCPU ever exits to this
 * process for the NIC: kicks and interrupts stay in the kernel. The interrupt
 * is an IOAPIC pin to the guest, but once its driver has programmed the pin
 * we route the irqfd as the same MSI (vm_irq_route_as_msi): KVM then injects
 * it from our eventfd write, without a hop through a kernel worker thread.
 */
#include "device.h"
#include "layout.h"
#include "log.h"
#include "net_datapath.h"
#include "stats.h"
#include "tap.h"
#include "vm.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

_Static_assert(TAP_VNET_HDR_LEN == SNNET_VNET_HDR_LEN,
	       "the guest's vnet header goes to the tap as it is, and the tap's to the guest");

struct net {
	struct vm *vm;
	uint32_t gsi;
	bool route_warned;
	bool offload_set;    /* the tap has the offloads in offload (the worker's alone) */
	bool offload_failed; /* the tap refused them once: not asked again */
	uint32_t offload;
	const char *tap_name;
	int tap_fd, mem_fd, kick_fd[2], irq_fd;
	void *shared;
	size_t shared_size;
	bool dp_ready, thread_started;
	pthread_t thread;
	struct net_dp dp;
};

static int net_wanted(const struct vm_config *cfg)
{
	return cfg->net_tap != NULL;
}

/*
 * At each start, only when the offloads change: TUNSETOFFLOAD takes the
 * host-wide rtnl lock and tells every netlink listener, and a guest may
 * restart its NIC as often as it likes. A tap that refused (only a detached
 * one does: deleted on the host) is not asked again, and said so once; the
 * device then starts without guest offloads (net_datapath.c).
 */
static int net_set_offload(void *ctx, uint32_t gf)
{
	struct net *n = ctx;
	uint32_t want = gf & (SNNET_F_GUEST_CSUM | SNNET_F_GUEST_TSO4 | SNNET_F_GUEST_TSO6);
	int r;

	if (n->offload_failed)
		return -EBADFD;
	if (n->offload_set && want == n->offload)
		return 0;
	r = tap_set_offload(n->tap_fd, want & SNNET_F_GUEST_CSUM, want & SNNET_F_GUEST_TSO4,
			    want & SNNET_F_GUEST_TSO6);
	if (r) {
		n->offload_failed = true;
		log_nowait("snvmm: net '%s': TUNSETOFFLOAD: %s; the guest gets no offloads\n",
			   n->tap_name, strerror(-r));
		return r;
	}
	n->offload_set = true;
	n->offload = want;
	return 0;
}

/*
 * The worker thread, as the guest starts the device (its IOAPIC pin is
 * programmed by then) and, with several vCPUs, before each interrupt: the
 * guest may have moved the pin to another CPU, or taken that CPU offline.
 * KVM_SET_GSI_ROUTING runs only when the pin changed.
 */
static int net_route_irq(void *ctx)
{
	struct net *n = ctx;
	int r = vm_irq_route_as_msi(n->vm, n->gsi);

	if (r >= 0)
		return r;
	if (!n->route_warned) {
		n->route_warned = true;
		log_nowait(
		    "snvmm: net '%s': routing GSI %u as an MSI: %s; its route stays as it was\n",
		    n->tap_name, n->gsi, strerror(-r));
	}
	/* The route KVM still has, so that irq_msi says how interrupts really go. */
	return vm_irq_route_is_msi(n->vm, n->gsi);
}

static void net_destroy(void *state)
{
	struct net *n = state;

	if (!n)
		return;
	if (n->dp_ready)
		net_dp_destroy(&n->dp);
	if (n->shared)
		munmap(n->shared, n->shared_size);
	int fds[] = {n->tap_fd, n->mem_fd, n->kick_fd[0], n->kick_fd[1], n->irq_fd};
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(n);
}

/*
 * The shared region: a mapping of its own, outside guest RAM, so guest_ptr()
 * never turns a descriptor's address into a pointer at the rings; a memfd,
 * kept open, so a test can map the same pages from outside through
 * /proc/PID/fd (tests/e2e/ringpoke.c).
 */
static int net_map_shared(struct net *n)
{
	n->shared_size = net_shared_size();
	n->mem_fd = memfd_create("snvmm-net", MFD_CLOEXEC);
	if (n->mem_fd < 0 || ftruncate(n->mem_fd, (off_t)n->shared_size) < 0) {
		int err = errno;
		fprintf(stderr, "snvmm: net '%s': memfd for the shared region: %s\n", n->tap_name,
			strerror(err));
		return -err;
	}
	n->shared = mmap(NULL, n->shared_size, PROT_READ | PROT_WRITE, MAP_SHARED, n->mem_fd, 0);
	if (n->shared == MAP_FAILED) {
		int err = errno;
		n->shared = NULL;
		fprintf(stderr, "snvmm: net '%s': mmap shared region: %s\n", n->tap_name,
			strerror(err));
		return -err;
	}
	return 0;
}

/*
 * The doorbell ports, for what KVM's ioeventfds do not take: a read, or a
 * write of another width or at another port of the block. Such a kick is no
 * kick (snnet.h: 32-bit writes); registered so its exit is charged to the NIC
 * and not to "unclaimed".
 */
static void net_doorbell_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			    bool is_write)
{
	(void)opaque;
	(void)offset;
	if (!is_write)
		memset(data, 0xff, len);
}

static int net_setup(struct vm *vm, const struct vm_config *cfg, void **state)
{
	struct net *n = calloc(1, sizeof(*n));
	struct net_dp_params p = {0};
	struct acpi_device_desc desc = {.hid = SNNET_ACPI_HID, .nmem = 1, .nio = 1};
	uint64_t gpa;
	uint32_t gsi;
	int r;

	if (!n)
		return -ENOMEM;
	n->tap_name = cfg->net_tap;
	n->tap_fd = n->mem_fd = n->kick_fd[0] = n->kick_fd[1] = n->irq_fd = -1;
	r = tap_open(n->tap_name);
	if (r < 0)
		goto fail;
	n->tap_fd = r;
	if ((r = net_map_shared(n)))
		goto fail;
	if ((r = vm_reserve_mmio(vm, n->shared_size, &gpa)) ||
	    (r = vm_add_memslot(vm, gpa, n->shared_size, n->shared)) ||
	    (r = vm_reserve_gsi(vm, &gsi))) {
		fprintf(stderr, "snvmm: net '%s': placing the shared region: %s\n", n->tap_name,
			strerror(-r));
		goto fail;
	}
	for (int q = 0; q < 2; q++) {
		r = vm_ioeventfd(
		    vm, SNNET_DOORBELL_PORT + (q ? SNNET_DOORBELL_RX : SNNET_DOORBELL_TX), 4, true);
		if (r < 0)
			goto fail;
		n->kick_fd[q] = r;
	}
	r = io_register(&vm->io, IO_SPACE_PIO, SNNET_DOORBELL_PORT, SNNET_DOORBELL_LEN,
			net_doorbell_io, n, "net");
	if (r) {
		fprintf(stderr, "snvmm: net '%s': registering the doorbell ports: %s\n",
			n->tap_name, strerror(-r));
		goto fail;
	}
	if ((r = vm_irqfd(vm, gsi)) < 0)
		goto fail;
	n->irq_fd = r;
	n->vm = vm;
	n->gsi = gsi;

	p.name = n->tap_name;
	p.mem = &vm->mem;
	p.shared = n->shared;
	p.shared_size = n->shared_size;
	p.tap_fd = n->tap_fd;
	p.kick_fd[0] = n->kick_fd[0];
	p.kick_fd[1] = n->kick_fd[1];
	p.irq_fd = n->irq_fd;
	p.poll_us = cfg->net_poll_us;
	p.defer_us = cfg->net_defer_us;
	p.set_offload = net_set_offload;
	p.route_irq = net_route_irq;
	/* One CPU: the pin's destination cannot change, and a new vector means a new start. */
	p.route_each_irq = vm->ncpus > 1;
	p.cb_ctx = n;
	if (cfg->net_mac_set) {
		memcpy(p.mac, cfg->net_mac, 6);
	} else {
		/* Locally administered, unicast; fixed so the guest keeps its address across runs.
		 */
		static const uint8_t def[6] = {0x02, 0x53, 0x4e, 0x56, 0x4d, 0x01};
		memcpy(p.mac, def, 6);
	}
	if ((r = net_dp_init(&n->dp, &p)))
		goto fail;
	n->dp_ready = true;

	desc.mem[0].base = gpa;
	desc.mem[0].len = n->shared_size;
	desc.io[0].base = SNNET_DOORBELL_PORT;
	desc.io[0].len = SNNET_DOORBELL_LEN;
	desc.irq = gsi;
	desc.has_irq = true;
	if ((r = vm_add_acpi_device(vm, &desc))) {
		fprintf(stderr, "snvmm: net '%s': ACPI device: %s\n", n->tap_name, strerror(-r));
		goto fail;
	}
	*state = n;
	return 0;
fail:
	/* The core destroys only devices whose setup succeeded. */
	net_destroy(n);
	return r;
}

static void *net_worker(void *arg)
{
	struct net *n = arg;

	net_dp_run(&n->dp);
	return NULL;
}

static int net_start(void *state)
{
	struct net *n = state;
	int r = thread_start(&n->thread, "net-worker", &n->vm->cfg->pins, net_worker, n);

	if (r) {
		fprintf(stderr, "snvmm: net '%s': starting net-worker: %s\n", n->tap_name,
			strerror(-r));
		return r;
	}
	n->thread_started = true;
	return 0;
}

static void net_stop(void *state)
{
	struct net *n = state;

	if (!n->thread_started)
		return;
	net_dp_request_stop(&n->dp);
	pthread_join(n->thread, NULL);
	n->thread_started = false;
}

static void net_stats(void *state, struct stats_writer *w)
{
	struct net *n = state;

	net_dp_stats(&n->dp, w);
}

const struct device_ops net_device = {
    .name = "net",
    .wanted = net_wanted,
    .setup = net_setup,
    .start = net_start,
    .stop = net_stop,
    .destroy = net_destroy,
    .stats = net_stats,
};
