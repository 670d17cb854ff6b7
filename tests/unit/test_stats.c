// SPDX-License-Identifier: MIT
/*
 * The counters' way out: synthetic exits fed to vcpu_dispatch_exit() must come
 * back exactly in report_write()'s JSON, which must parse (a strict little
 * parser below flattens it to "path=value" lines), keep the same keys whether
 * or not anything was counted, escape odd names, and survive groups nested past
 * STATS_MAX_DEPTH. With /dev/kvm, KVM's binary stats are read by their names.
 */
#include "check.h"
#include "device.h"
#include "report.h"
#include "stats.h"
#include "vcpu.h"
#include "vm.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define RUN_SIZE 4096

/* A strict JSON subset parser (objects, strings, unsigned numbers): what our writer emits. */
struct parser {
	const char *p;
	FILE *out;
	char path[512];
};

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r')
		ps->p++;
}

static bool parse_string(struct parser *ps, char *buf, size_t size)
{
	size_t n = 0;
	if (*ps->p++ != '"')
		return false;
	while (*ps->p != '"') {
		char c = *ps->p++;
		if ((unsigned char)c < 0x20 || !c)
			return false;
		if (c == '\\') {
			c = *ps->p++;
			if (c == 'u') {
				unsigned v;
				if (sscanf(ps->p, "%4x", &v) != 1)
					return false;
				ps->p += 4;
				c = (char)v;
			} else if (c != '"' && c != '\\') {
				return false;
			}
		}
		if (n + 1 < size)
			buf[n++] = c;
	}
	ps->p++;
	buf[n] = 0;
	return true;
}

static bool parse_object(struct parser *ps)
{
	size_t base = strlen(ps->path);
	char key[128], val[128];

	skip_ws(ps);
	if (*ps->p++ != '{')
		return false;
	skip_ws(ps);
	if (*ps->p == '}')
		return ps->p++, true;
	for (;;) {
		skip_ws(ps);
		if (!parse_string(ps, key, sizeof(key)))
			return false;
		skip_ws(ps);
		if (*ps->p++ != ':')
			return false;
		skip_ws(ps);
		snprintf(ps->path + base, sizeof(ps->path) - base, "%s%s", base ? "." : "", key);
		if (*ps->p == '{') {
			if (!parse_object(ps))
				return false;
		} else if (*ps->p == '"') {
			if (!parse_string(ps, val, sizeof(val)))
				return false;
			fprintf(ps->out, "%s=%s\n", ps->path, val);
		} else {
			const char *s = ps->p;
			while (*ps->p >= '0' && *ps->p <= '9')
				ps->p++;
			if (s == ps->p)
				return false;
			fprintf(ps->out, "%s=%.*s\n", ps->path, (int)(ps->p - s), s);
		}
		ps->path[base] = 0;
		skip_ws(ps);
		if (*ps->p == '}')
			return ps->p++, true;
		if (*ps->p++ != ',')
			return false;
	}
}

/* Flattens JSON text to "\npath=value\n..." (NULL when it does not parse); caller frees. */
static char *flatten(const char *json)
{
	char *buf = NULL;
	size_t size = 0;
	struct parser ps = {.p = json};
	ps.out = open_memstream(&buf, &size);
	fputc('\n', ps.out);
	bool ok = parse_object(&ps);
	skip_ws(&ps);
	ok = ok && *ps.p == 0;
	fclose(ps.out);
	if (!ok) {
		fprintf(stderr, "JSON does not parse near: %.40s\n", ps.p);
		free(buf);
		return NULL;
	}
	return buf;
}

static bool has(const char *flat, const char *pair)
{
	char needle[256];
	snprintf(needle, sizeof(needle), "\n%s\n", pair);
	return flat && strstr(flat, needle);
}

/* The keys of a flattened document, values dropped, for comparing layouts. */
static char *keys_of(const char *flat)
{
	char *k = strdup(flat ? flat : "");
	char *w = k;
	for (const char *r = k; *r;) {
		const char *eq = strchr(r, '=');
		const char *nl = strchr(r, '\n');
		if (eq && nl && eq < nl) {
			memmove(w, r, eq - r);
			w += eq - r;
			r = nl;
		}
		*w++ = *r++;
	}
	*w = 0;
	return k;
}

static unsigned duplicate_keys(const char *keys)
{
	unsigned dups = 0;
	char needle[256];
	for (const char *k = keys; (k = strchr(k, '\n')) && k[1]; k++) {
		const char *end = strchr(k + 1, '\n');
		snprintf(needle, sizeof(needle), "%.*s", (int)(end - k + 1), k);
		const char *first = strstr(keys, needle);
		if (first && strstr(first + 1, needle)) {
			fprintf(stderr, "duplicate key%s", needle);
			dups++;
		}
	}
	return dups;
}

struct fake_dev {
	uint64_t kicks;
};

static void fake_stats(void *state, struct stats_writer *w)
{
	struct fake_dev *d = state;
	stats_u64(w, "kicks", counter_read(&d->kicks));
	stats_str(w, "note", "tab\there \"quoted\" back\\slash");
}

static const struct device_ops fake_ops = {.name = "odd\"na\tme", .stats = fake_stats};

struct fixture {
	struct vm vm;
	struct vm_config cfg;
	struct fake_dev dev;
};

static void sink(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	(void)opaque, (void)offset, (void)is_write;
	memset(data, 0, len);
}

static void fixture_init(struct fixture *f, unsigned ncpus)
{
	memset(f, 0, sizeof(*f));
	f->cfg.ram_mib = 16;
	f->cfg.ncpus = ncpus;
	if (vm_init(&f->vm, &f->cfg))
		abort();
	f->vm.run_size = RUN_SIZE;
	f->vm.vcpus = calloc(ncpus, sizeof(*f->vm.vcpus));
	for (unsigned i = 0; i < ncpus; i++) {
		f->vm.vcpus[i] = (struct vcpu){.vm = &f->vm, .id = i, .fd = -1};
		f->vm.vcpus[i].run = calloc(1, RUN_SIZE);
	}
	io_register(&f->vm.io, IO_SPACE_PIO, 0x3f8, 8, sink, NULL, "serial");
	io_register(&f->vm.io, IO_SPACE_MMIO, 0xd0001000, 0x1000, sink, NULL, "window");
	f->vm.devices[0] = (struct vm_device){.ops = &fake_ops, .state = &f->dev};
	f->vm.ndevices = 1;
}

static void fixture_fini(struct fixture *f)
{
	for (unsigned i = 0; i < f->vm.ncpus; i++)
		free(f->vm.vcpus[i].run);
	free(f->vm.vcpus);
	f->vm.vcpus = NULL;
	f->vm.ndevices = 0;
	vm_destroy(&f->vm);
}

static void pio(struct vcpu *v, uint16_t port, bool out, uint32_t count)
{
	struct kvm_run *run = v->run;
	run->exit_reason = KVM_EXIT_IO;
	run->io.port = port;
	run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = 1;
	run->io.count = count;
	run->io.data_offset = 1024;
	vcpu_dispatch_exit(v);
}

static void mmio(struct vcpu *v, uint64_t addr, bool write)
{
	struct kvm_run *run = v->run;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = addr;
	run->mmio.len = 4;
	run->mmio.is_write = write;
	vcpu_dispatch_exit(v);
}

static char *report_json(struct vm *vm)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	struct vm_report *r = report_open(vm);
	struct stats_writer w;
	stats_writer_init(&w, STATS_JSON, f);
	report_write(r, &w);
	stats_finish(&w);
	report_close(r);
	fclose(f);
	char *flat = flatten(buf);
	free(buf);
	return flat;
}

static void test_report_counts(void)
{
	struct fixture f;
	fixture_init(&f, 2);
	char *empty = report_json(&f.vm);
	CHECK(empty != NULL);
	CHECK(has(empty, "exits.all.total=0"));
	CHECK(has(empty, "io.unclaimed-mmio.writes=0"));

	struct vcpu *v0 = &f.vm.vcpus[0], *v1 = &f.vm.vcpus[1];
	for (int i = 0; i < 37; i++)
		pio(v0, 0x80, true, 1); /* nobody's */
	pio(v1, 0x3f8, true, 5);	/* one string exit, five accesses */
	pio(v1, 0x3fd, false, 1);
	for (int i = 0; i < 23; i++)
		mmio(v1, 0xd8000000, true); /* nobody's */
	mmio(v0, 0xd0001004, false);
	mmio(v0, 0xd0001ffe, true); /* crosses the window's end: unclaimed */
	v0->run->exit_reason = 37;  /* no name here */
	vcpu_dispatch_exit(v0);
	v1->run->exit_reason = 1000; /* past the counted slots */
	vcpu_dispatch_exit(v1);
	counter_add(&f.dev.kicks, 11);

	char *flat = report_json(&f.vm);
	CHECK(flat != NULL);
	CHECK(has(flat, "schema=1"));
	CHECK(has(flat, "exits.all.total=66"));
	CHECK(has(flat, "exits.all.io=39"));
	CHECK(has(flat, "exits.all.mmio=25"));
	CHECK(has(flat, "exits.all.other=2"));
	CHECK(has(flat, "exits.vcpu0.total=40"));
	CHECK(has(flat, "exits.vcpu0.io=37"));
	CHECK(has(flat, "exits.vcpu1.mmio=23"));
	CHECK(has(flat, "exits.vcpu1.other=1"));
	CHECK(has(flat, "io.pio.serial.writes=5"));
	CHECK(has(flat, "io.pio.serial.reads=1"));
	CHECK(has(flat, "io.pio.serial.base=1016"));
	CHECK(has(flat, "io.mmio.window.reads=1"));
	CHECK(has(flat, "io.mmio.window.writes=0"));
	CHECK(has(flat, "io.unclaimed-pio.writes=37"));
	CHECK(has(flat, "io.unclaimed-mmio.writes=24"));
	CHECK(has(flat, "devices.odd\"na\tme.kicks=11"));
	CHECK(has(flat, "devices.odd\"na\tme.note=tab\there \"quoted\" back\\slash"));
	CHECK(has(flat, "vm.end=vmm-error")); /* the unhandled reasons ended it */
	CHECK(has(flat, "vm.cpus=2"));
	CHECK(has(flat, "vm.memory_mib=16"));

	/* The layout does not depend on what was counted. */
	char *k0 = keys_of(empty), *k1 = keys_of(flat);
	CHECK(strcmp(k0, k1) == 0);
	/* No two entries share a key (unnamed reasons once collided as "other"). */
	CHECK_EQ(duplicate_keys(k1), 0);
	free(k0);
	free(k1);
	free(empty);
	free(flat);
	fixture_fini(&f);
}

static char *report_text(struct vm_report *r, enum stats_format format)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	struct stats_writer w;
	stats_writer_init(&w, format, f);
	report_write(r, &w);
	stats_finish(&w);
	fclose(f);
	return buf;
}

/* The value after label in a --stats-interval line; -1 for "-", -2 when missing. */
static double rate(const char *line, const char *label)
{
	const char *p = strstr(line, label);
	double v;
	char dash;
	if (!p)
		return -2;
	p += strlen(label);
	if (sscanf(p, " %lf", &v) == 1)
		return v;
	return sscanf(p, " %c", &dash) == 1 && dash == '-' ? -1 : -2;
}

/* The table leaves zeros out; runtime counts milliseconds; the interval line's rates. */
static void test_report_table_interval(void)
{
	struct fixture f;
	fixture_init(&f, 1);
	struct vm_report *r = report_open(&f.vm);
	for (int i = 0; i < 5; i++)
		pio(&f.vm.vcpus[0], 0x3f8, true, 1);
	usleep(30 * 1000);

	char *table = report_text(r, STATS_TABLE);
	CHECK(table && strstr(table, " io ") && !strstr(table, " hlt "));
	char *json = report_text(r, STATS_JSON);
	char *flat = json ? flatten(json) : NULL;
	const char *ms = flat ? strstr(flat, "\nvm.runtime_ms=") : NULL;
	CHECK(ms && strtoull(ms + strlen("\nvm.runtime_ms="), NULL, 10) >= 30);

	char *line = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&line, &size);
	report_interval(r, m);
	fclose(m);
	CHECK(rate(line, "user/s") > 0);
	CHECK(rate(line, "pio/s") > 0);
	CHECK_EQ(rate(line, "mmio/s"), 0);
	CHECK_EQ(rate(line, "exits/s"), -1); /* no KVM stats without a vCPU fd: not a 0 */
	free(line);
	free(flat);
	free(json);
	free(table);
	report_close(r);
	fixture_fini(&f);
}

static void test_writer_depth(void)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	struct stats_writer w;
	char name[8];
	stats_writer_init(&w, STATS_JSON, f);
	for (int i = 0; i < STATS_MAX_DEPTH + 3; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		stats_begin(&w, name);
		stats_u64(&w, "v", (uint64_t)i);
	}
	for (int i = 0; i < STATS_MAX_DEPTH + 4; i++) /* one more than were begun */
		stats_end(&w);
	stats_u64(&w, "after", 42);
	stats_finish(&w);
	fclose(f);
	char *flat = flatten(buf);
	CHECK(flat != NULL);
	CHECK(has(flat, "g0.g1.g2.g3.g4.g5.g6.g7.v=7"));
	CHECK(has(flat, "after=42")); /* the extra ends did not close the document early */
	CHECK(flat && !strstr(flat, "v=8"));
	free(flat);
	free(buf);
}

static void test_kvm_stats(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	CHECK(kvm >= 0); /* this suite runs where the micro-guests do */
	if (kvm < 0)
		return;
	int vmfd = ioctl(kvm, KVM_CREATE_VM, 0);
	int vcpufd = vmfd >= 0 ? ioctl(vmfd, KVM_CREATE_VCPU, 0) : -1;
	CHECK(vcpufd >= 0);
	struct kvm_stats_fd *s = vcpufd >= 0 ? kvm_stats_open(vcpufd) : NULL;
	CHECK(s != NULL);
	uint64_t v = 1234;
	/* Every x86 KVM since binary stats (5.14) describes these; none has run yet. */
	CHECK(kvm_stats_get(s, "exits", &v) && v == 0);
	CHECK(kvm_stats_get(s, "mmio_exits", &v));
	CHECK(!kvm_stats_get(s, "no_such_counter", &v));
	CHECK(!kvm_stats_get(s, "exit", &v)); /* a prefix is not a name */
	/* A peak counter (the VM's, also since 5.14) is a scalar too. */
	struct kvm_stats_fd *vs = vmfd >= 0 ? kvm_stats_open(vmfd) : NULL;
	CHECK(kvm_stats_get(vs, "max_mmu_page_hash_collisions", &v));
	kvm_stats_close(vs);

	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	struct stats_writer w;
	stats_writer_init(&w, STATS_JSON, f);
	stats_begin(&w, "vcpu0");
	kvm_stats_write(s, &w);
	stats_finish(&w);
	fclose(f);
	char *flat = flatten(buf);
	CHECK(has(flat, "vcpu0.exits=0"));
	CHECK(flat && !strstr(flat, "_hist=")); /* histograms are left out */
	free(flat);
	free(buf);
	kvm_stats_close(s);
	if (vcpufd >= 0)
		close(vcpufd);
	if (vmfd >= 0)
		close(vmfd);
	close(kvm);
}

int main(void)
{
	test_writer_depth();
	test_report_counts();
	test_report_table_interval();
	test_kvm_stats();
	return check_summary("stats");
}
