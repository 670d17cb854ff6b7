// SPDX-License-Identifier: MIT
#include "report.h"
#include "device.h"
#include "vcpu.h"
#include "vm.h"

#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct totals {
	uint64_t kvm_exits, user_exits, pio, mmio, irqs, packets;
	bool kvm_ok; /* KVM's counts came from every vCPU (a kernel before 5.14 has none) */
};

struct vm_report {
	struct vm *vm;
	struct kvm_stats_fd *vm_stats;
	struct kvm_stats_fd **vcpu_stats;
	struct timespec start, last_time;
	struct totals last;
};

static void totals_now(struct vm_report *r, struct totals *t);

static double seconds_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

struct vm_report *report_open(struct vm *vm)
{
	struct vm_report *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->vm = vm;
	r->vcpu_stats = calloc(vm->ncpus, sizeof(*r->vcpu_stats));
	if (!r->vcpu_stats) {
		free(r);
		return NULL;
	}
	/* A kernel without binary stats still gets our own counts. */
	r->vm_stats = kvm_stats_open(vm->vm_fd);
	for (unsigned i = 0; i < vm->ncpus; i++)
		r->vcpu_stats[i] = kvm_stats_open(vm->vcpus[i].fd);
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->last_time = r->start;
	totals_now(r, &r->last);
	return r;
}

void report_close(struct vm_report *r)
{
	if (!r)
		return;
	kvm_stats_close(r->vm_stats);
	for (unsigned i = 0; i < r->vm->ncpus; i++)
		kvm_stats_close(r->vcpu_stats[i]);
	free(r->vcpu_stats);
	free(r);
}

static const char *end_name(enum vm_end e)
{
	static const char *const names[] = {
	    [VM_RUNNING] = "running", [VM_END_POWEROFF] = "poweroff", [VM_END_REBOOT] = "reboot",
	    [VM_END_PANIC] = "panic", [VM_END_CRASH] = "crash",	      [VM_END_ERROR] = "vmm-error",
	    [VM_END_USER] = "user",
	};
	return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "?";
}

/*
 * Every named exit reason is written, zeros included, so JSON readers find the
 * same keys in every run; the table leaves zeros out. Reasons without a name
 * (and those past the counted slots) add up under "other".
 */
static void write_exits(struct stats_writer *w, const struct vcpu_counters *const *c, unsigned n)
{
	uint64_t sum[VCPU_EXIT_SLOTS] = {0}, total = 0, other = 0;

	for (unsigned i = 0; i < n; i++)
		for (unsigned reason = 0; reason < VCPU_EXIT_SLOTS; reason++)
			sum[reason] += counter_read(&c[i]->exits[reason]);
	for (unsigned reason = 0; reason < VCPU_EXIT_SLOTS; reason++) {
		total += sum[reason];
		if (reason == VCPU_EXIT_SLOTS - 1 || !strcmp(kvm_exit_name(reason), "other"))
			other += sum[reason];
	}
	stats_u64(w, "total", total);
	for (unsigned reason = 0; reason < VCPU_EXIT_SLOTS - 1; reason++) {
		const char *name = kvm_exit_name(reason);
		if (strcmp(name, "other") && (sum[reason] || w->format != STATS_TABLE))
			stats_u64(w, name, sum[reason]);
	}
	if (other || w->format != STATS_TABLE)
		stats_u64(w, "other", other);
}

static void io_sum(const struct vm *vm, enum io_space s, int k, uint64_t *rd, uint64_t *wr)
{
	*rd = *wr = 0;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		const struct vcpu_counters *c = &vm->vcpus[i].counts;
		const uint64_t *rw = k < 0 ? c->io_unclaimed[s] : c->io[s][k];
		*rd += counter_read(&rw[IO_DIR_READ]);
		*wr += counter_read(&rw[IO_DIR_WRITE]);
	}
}

/*
 * Port and MMIO exits, charged to the range that owns the address (by the
 * name its device registered), then those nobody owns. Each element of a
 * string I/O instruction counts once, as the device sees it.
 */
static void write_io(struct vm_report *r, struct stats_writer *w)
{
	static const char *const space_name[IO_SPACE_COUNT] = {"pio", "mmio"};
	static const char *const unclaimed_name[IO_SPACE_COUNT] = {"unclaimed-pio",
								   "unclaimed-mmio"};
	const struct io_bus *bus = &r->vm->io;
	uint64_t rd, wr;

	for (unsigned s = 0; s < IO_SPACE_COUNT; s++) {
		stats_begin(w, space_name[s]);
		for (unsigned k = 0; k < bus->count[s]; k++) {
			io_sum(r->vm, s, (int)k, &rd, &wr);
			stats_begin(w, bus->ranges[s][k].name);
			stats_u64(w, "base", bus->ranges[s][k].base);
			stats_u64(w, "len", bus->ranges[s][k].len);
			stats_u64(w, "reads", rd);
			stats_u64(w, "writes", wr);
			stats_end(w);
		}
		stats_end(w);
	}
	for (unsigned s = 0; s < IO_SPACE_COUNT; s++) {
		io_sum(r->vm, s, -1, &rd, &wr);
		stats_begin(w, unclaimed_name[s]);
		stats_u64(w, "reads", rd);
		stats_u64(w, "writes", wr);
		stats_end(w);
	}
}

void report_write(struct vm_report *r, struct stats_writer *w)
{
	struct vm *vm = r->vm;
	const struct vcpu_counters *c[vm->ncpus];
	char name[32];

	for (unsigned i = 0; i < vm->ncpus; i++)
		c[i] = &vm->vcpus[i].counts;
	/* Bumped whenever a key is renamed or moved; README.md documents the layout. */
	if (w->format == STATS_JSON)
		stats_u64(w, "schema", 1);
	stats_begin(w, "vm");
	stats_str(w, "end", end_name(vm_end_reason(vm)));
	stats_u64(w, "runtime_ms", (uint64_t)(seconds_since(&r->start) * 1000));
	stats_u64(w, "cpus", vm->ncpus);
	stats_u64(w, "memory_mib", vm->mem.ram_size >> 20);
	stats_end(w);

	stats_begin(w, "exits");
	stats_begin(w, "all");
	write_exits(w, c, vm->ncpus);
	stats_end(w);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		snprintf(name, sizeof(name), "vcpu%u", i);
		stats_begin(w, name);
		write_exits(w, &c[i], 1);
		stats_end(w);
	}
	stats_end(w);

	stats_begin(w, "io");
	write_io(r, w);
	stats_end(w);

	stats_begin(w, "kvm");
	if (r->vm_stats) {
		stats_begin(w, "vm");
		kvm_stats_write(r->vm_stats, w);
		stats_end(w);
	}
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (!r->vcpu_stats[i])
			continue;
		snprintf(name, sizeof(name), "vcpu%u", i);
		stats_begin(w, name);
		kvm_stats_write(r->vcpu_stats[i], w);
		stats_end(w);
	}
	stats_end(w);

	stats_begin(w, "devices");
	for (unsigned i = 0; i < vm->ndevices; i++) {
		const struct vm_device *d = &vm->devices[i];
		if (!d->ops->stats)
			continue;
		stats_begin(w, d->ops->name);
		d->ops->stats(d->state, w);
		stats_end(w);
	}
	stats_end(w);
}

static void collect_packets(void *ctx, const char *group, const char *name, uint64_t value)
{
	(void)group;
	if (!strcmp(name, "tx_packets") || !strcmp(name, "rx_packets"))
		*(uint64_t *)ctx += value;
}

static void totals_now(struct vm_report *r, struct totals *t)
{
	struct vm *vm = r->vm;
	memset(t, 0, sizeof(*t));
	t->kvm_ok = true;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		const struct vcpu_counters *c = &vm->vcpus[i].counts;
		uint64_t v;
		for (unsigned k = 0; k < VCPU_EXIT_SLOTS; k++)
			t->user_exits += counter_read(&c->exits[k]);
		t->pio += counter_read(&c->exits[KVM_EXIT_IO]);
		t->mmio += counter_read(&c->exits[KVM_EXIT_MMIO]);
		if (kvm_stats_get(r->vcpu_stats[i], "exits", &v))
			t->kvm_exits += v;
		else
			t->kvm_ok = false;
		if (kvm_stats_get(r->vcpu_stats[i], "irq_injections", &v))
			t->irqs += v;
		else
			t->kvm_ok = false;
	}
	struct stats_writer w;
	stats_writer_init(&w, STATS_COLLECT, NULL);
	w.collect = collect_packets;
	w.ctx = &t->packets;
	for (unsigned i = 0; i < vm->ndevices; i++)
		if (vm->devices[i].ops->stats)
			vm->devices[i].ops->stats(vm->devices[i].state, &w);
}

/* A rate, or "-" where KVM gave no count: a wrong 0 would read as a measurement. */
static void put_rate(FILE *f, const char *label, int width, bool ok, double v)
{
	if (ok)
		fprintf(f, "  %s %*.0f", label, width, v);
	else
		fprintf(f, "  %s %*s", label, width, "-");
}

void report_interval(struct vm_report *r, FILE *f)
{
	struct totals now;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	double dt = (t.tv_sec - r->last_time.tv_sec) + (t.tv_nsec - r->last_time.tv_nsec) / 1e9;
	if (dt <= 0)
		dt = 1e-9;
	totals_now(r, &now);
	/* Both ends must have KVM's counts for a difference of them to mean anything. */
	bool kvm = now.kvm_ok && r->last.kvm_ok;
	uint64_t dexit = now.kvm_exits - r->last.kvm_exits;
	uint64_t dpkt = now.packets - r->last.packets;
	fprintf(f, "snvmm: %7.1fs", seconds_since(&r->start));
	put_rate(f, "exits/s", 9, kvm, dexit / dt);
	put_rate(f, "user/s", 8, true, (now.user_exits - r->last.user_exits) / dt);
	put_rate(f, "pio/s", 8, true, (now.pio - r->last.pio) / dt);
	put_rate(f, "mmio/s", 7, true, (now.mmio - r->last.mmio) / dt);
	put_rate(f, "irqs/s", 8, kvm, (now.irqs - r->last.irqs) / dt);
	put_rate(f, "pkts/s", 9, true, dpkt / dt);
	if (dpkt && kvm)
		fprintf(f, "  exits/pkt %.3f\n", (double)dexit / dpkt);
	else
		fprintf(f, "  exits/pkt -\n");
	fflush(f);
	r->last = now;
	r->last_time = t;
}
