/* SPDX-License-Identifier: MIT */
/*
 * A tiny AML (ACPI Machine Language) byte emitter: just the opcodes a DSDT
 * needs to name a sleep package and describe a few devices. Everything is
 * written into a caller-owned buffer; once a write would not fit, the emitter
 * stops writing and remembers the overflow, so callers check once at the end.
 */
#ifndef SNVMM_AML_H
#define SNVMM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);

/* "NAME" or a path: optional leading '\', segments of 1-4 chars joined by '.'. */
int aml_name_string(struct aml *a, const char *path);
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* Compressed EISA id ("PNP0501" -> 0x0105d041); -EINVAL unless AAA#### (hex). */
int aml_eisaid(const char *id, uint32_t *out);

/*
 * Length-prefixed constructs. *_begin returns a handle for the matching
 * aml_end(), which back-patches the PkgLength with its shortest encoding.
 */
size_t aml_scope_begin(struct aml *a, const char *path);
size_t aml_device_begin(struct aml *a, const char *path);
size_t aml_package_begin(struct aml *a, uint8_t nelem);
void aml_end(struct aml *a, size_t handle);

/* NameOp: the caller emits the value next. */
void aml_name(struct aml *a, const char *path);
/* BufferOp around n already-built bytes (e.g. a resource template). */
void aml_buffer(struct aml *a, const uint8_t *bytes, size_t n);

/* Resource template descriptors (ACPI 6.x section 6.4), appended as raw bytes. */
void aml_rt_memory32_fixed(struct aml *a, uint32_t base, uint32_t len);
void aml_rt_qword_memory(struct aml *a, uint64_t base, uint64_t len);
void aml_rt_io(struct aml *a, uint16_t base, uint8_t len);
void aml_rt_ext_irq_edge_high(struct aml *a, uint32_t gsi);
/* End Tag with the checksum that makes bytes [start, end) sum to zero. */
void aml_rt_end(struct aml *a, size_t start);

#endif
