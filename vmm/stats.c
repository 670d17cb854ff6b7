// SPDX-License-Identifier: MIT
#include "stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void stats_writer_init(struct stats_writer *w, enum stats_format format, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->format = format;
	w->f = f;
	w->first[0] = true;
	if (format == STATS_JSON)
		fputc('{', f);
}

/* Names come from KVM's descriptors and device code: escape them like values. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_key(struct stats_writer *w, const char *name)
{
	fprintf(w->f, "%s\n%*s", w->first[w->depth] ? "" : ",", 2 * (w->depth + 1), "");
	json_string(w->f, name);
	fputs(": ", w->f);
	w->first[w->depth] = false;
}

void stats_begin(struct stats_writer *w, const char *group)
{
	if (w->depth == STATS_MAX_DEPTH) {
		w->skipped++;
		return;
	}
	switch (w->format) {
	case STATS_JSON:
		json_key(w, group);
		fputc('{', w->f);
		break;
	case STATS_TABLE:
		fprintf(w->f, "%*s%s:\n", 2 * w->depth, "", group);
		break;
	case STATS_COLLECT:
		break;
	}
	w->depth++;
	w->first[w->depth] = true;
	w->group[w->depth] = group;
}

void stats_end(struct stats_writer *w)
{
	if (w->skipped) {
		w->skipped--;
		return;
	}
	if (w->depth == 0)
		return;
	if (w->format == STATS_JSON)
		fprintf(w->f, "\n%*s}", 2 * w->depth, "");
	w->depth--;
}

void stats_u64(struct stats_writer *w, const char *name, uint64_t value)
{
	if (w->skipped)
		return;
	switch (w->format) {
	case STATS_JSON:
		json_key(w, name);
		fprintf(w->f, "%llu", (unsigned long long)value);
		break;
	case STATS_TABLE:
		fprintf(w->f, "%*s%-28s %llu\n", 2 * w->depth, "", name, (unsigned long long)value);
		break;
	case STATS_COLLECT:
		if (w->collect)
			w->collect(w->ctx, w->group[w->depth] ? w->group[w->depth] : "", name,
				   value);
		break;
	}
}

void stats_str(struct stats_writer *w, const char *name, const char *value)
{
	if (w->skipped)
		return;
	switch (w->format) {
	case STATS_JSON:
		json_key(w, name);
		json_string(w->f, value);
		break;
	case STATS_TABLE:
		fprintf(w->f, "%*s%-28s %s\n", 2 * w->depth, "", name, value);
		break;
	case STATS_COLLECT:
		break;
	}
}

void stats_finish(struct stats_writer *w)
{
	w->skipped = 0;
	while (w->depth)
		stats_end(w);
	if (w->format == STATS_JSON)
		fputs("\n}\n", w->f);
	fflush(w->f);
}

struct kvm_stats_fd {
	int fd;
	struct kvm_stats_header hdr;
	size_t desc_size;
	uint8_t *descs;
};

struct kvm_stats_fd *kvm_stats_open(int kvm_object_fd)
{
	int fd = ioctl(kvm_object_fd, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return NULL;
	struct kvm_stats_fd *s = calloc(1, sizeof(*s));
	if (!s)
		goto fail;
	s->fd = fd;
	if (pread(fd, &s->hdr, sizeof(s->hdr), 0) != sizeof(s->hdr) || s->hdr.num_desc > 4096 ||
	    s->hdr.name_size > 4096)
		goto fail;
	s->desc_size = sizeof(struct kvm_stats_desc) + s->hdr.name_size;
	size_t bytes = s->desc_size * s->hdr.num_desc;
	s->descs = malloc(bytes ? bytes : 1);
	if (!s->descs || pread(fd, s->descs, bytes, s->hdr.desc_offset) != (ssize_t)bytes)
		goto fail;
	return s;
fail:
	if (s)
		free(s->descs);
	free(s);
	close(fd);
	return NULL;
}

void kvm_stats_close(struct kvm_stats_fd *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s->descs);
	free(s);
}

static const struct kvm_stats_desc *kvm_stats_desc_at(const struct kvm_stats_fd *s, uint32_t i)
{
	return (const struct kvm_stats_desc *)(s->descs + i * s->desc_size);
}

/* Histograms are left out: the counters people compare are the scalars. */
static bool kvm_stats_value(const struct kvm_stats_fd *s, const struct kvm_stats_desc *d,
			    uint64_t *value)
{
	uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
	if (d->size != 1 || type > KVM_STATS_TYPE_PEAK)
		return false;
	return pread(s->fd, value, sizeof(*value), s->hdr.data_offset + d->offset) ==
	       sizeof(*value);
}

void kvm_stats_write(struct kvm_stats_fd *s, struct stats_writer *w)
{
	char name[256];
	for (uint32_t i = 0; s && i < s->hdr.num_desc; i++) {
		const struct kvm_stats_desc *d = kvm_stats_desc_at(s, i);
		uint64_t v;
		if (!kvm_stats_value(s, d, &v))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)s->hdr.name_size, d->name);
		stats_u64(w, name, v);
	}
}

bool kvm_stats_get(struct kvm_stats_fd *s, const char *name, uint64_t *value)
{
	for (uint32_t i = 0; s && i < s->hdr.num_desc; i++) {
		const struct kvm_stats_desc *d = kvm_stats_desc_at(s, i);
		if (strncmp(d->name, name, s->hdr.name_size) == 0)
			return kvm_stats_value(s, d, value);
	}
	return false;
}

const char *kvm_exit_name(unsigned reason)
{
	static const char *const names[] = {
	    [KVM_EXIT_UNKNOWN] = "unknown",
	    [KVM_EXIT_EXCEPTION] = "exception",
	    [KVM_EXIT_IO] = "io",
	    [KVM_EXIT_HYPERCALL] = "hypercall",
	    [KVM_EXIT_DEBUG] = "debug",
	    [KVM_EXIT_HLT] = "hlt",
	    [KVM_EXIT_MMIO] = "mmio",
	    [KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
	    [KVM_EXIT_SHUTDOWN] = "shutdown",
	    [KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	    [KVM_EXIT_INTR] = "intr",
	    [KVM_EXIT_SET_TPR] = "set_tpr",
	    [KVM_EXIT_TPR_ACCESS] = "tpr_access",
	    [KVM_EXIT_NMI] = "nmi",
	    [KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	    [KVM_EXIT_SYSTEM_EVENT] = "system_event",
	    [KVM_EXIT_IOAPIC_EOI] = "ioapic_eoi",
	    [KVM_EXIT_HYPERV] = "hyperv",
	    [KVM_EXIT_X86_RDMSR] = "x86_rdmsr",
	    [KVM_EXIT_X86_WRMSR] = "x86_wrmsr",
	    [KVM_EXIT_DIRTY_RING_FULL] = "dirty_ring_full",
	    [KVM_EXIT_AP_RESET_HOLD] = "ap_reset_hold",
	    [KVM_EXIT_X86_BUS_LOCK] = "x86_bus_lock",
	};
	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "other";
}
