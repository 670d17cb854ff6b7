// SPDX-License-Identifier: MIT
/*
 * The exit path without /dev/kvm: synthetic kvm_run contents fed to
 * vcpu_dispatch_exit(), the I/O range table, and guest_ptr()'s bounds.
 */
#include "check.h"
#include "layout.h"
#include "vcpu.h"
#include "vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#define RUN_SIZE 4096

struct probe {
	unsigned calls;
	uint64_t last_offset;
	uint32_t last_len;
	bool last_write;
	uint8_t last_byte;
};

static void probe_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct probe *p = opaque;
	p->calls++;
	p->last_offset = offset;
	p->last_len = len;
	p->last_write = is_write;
	p->last_byte = data[0];
	if (!is_write)
		memset(data, 0x5a, len);
}

/* Answers reads as the devices do: the low byte only. */
static void byte_reg_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	(void)opaque;
	(void)offset;
	(void)len;
	if (!is_write)
		data[0] = 0x42;
}

struct rig {
	struct vm vm;
	struct vm_config cfg;
	struct vcpu vcpu;
	struct kvm_run *run;
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->cfg.ram_mib = 16;
	r->cfg.ncpus = 1;
	if (vm_init(&r->vm, &r->cfg))
		abort();
	r->vm.run_size = RUN_SIZE;
	r->run = calloc(1, RUN_SIZE);
	r->vcpu.vm = &r->vm;
	r->vcpu.run = r->run;
	r->vm.vcpus = &r->vcpu;
}

static void rig_fini(struct rig *r)
{
	r->vm.vcpus = NULL;
	vm_destroy(&r->vm);
	free(r->run);
}

static void set_pio(struct kvm_run *run, uint16_t port, uint8_t dir, uint8_t size, uint32_t count)
{
	run->exit_reason = KVM_EXIT_IO;
	run->io.port = port;
	run->io.direction = dir;
	run->io.size = size;
	run->io.count = count;
	run->io.data_offset = 1024;
}

static void test_pio(void)
{
	struct rig r;
	struct probe p = {0};
	rig_init(&r);
	CHECK_EQ(io_register(&r.vm.io, IO_SPACE_PIO, 0x3f8, 8, probe_io, &p, "probe"), 0);

	uint8_t *data = (uint8_t *)r.run + 1024;
	set_pio(r.run, 0x3fb, KVM_EXIT_IO_OUT, 1, 1);
	data[0] = 0x83;
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 0);
	CHECK_EQ(p.calls, 1);
	CHECK_EQ(p.last_offset, 3);
	CHECK(p.last_write);
	CHECK_EQ(p.last_byte, 0x83);
	CHECK_EQ(r.vcpu.counts.io[IO_SPACE_PIO][0][IO_DIR_WRITE], 1);
	CHECK_EQ(r.vcpu.counts.exits[KVM_EXIT_IO], 1);

	/* rep insb of 3: three handler calls, each filling its own byte. */
	set_pio(r.run, 0x3f8, KVM_EXIT_IO_IN, 1, 3);
	memset(data, 0, 3);
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 0);
	CHECK_EQ(p.calls, 4);
	CHECK(data[0] == 0x5a && data[1] == 0x5a && data[2] == 0x5a);
	CHECK_EQ(r.vcpu.counts.io[IO_SPACE_PIO][0][IO_DIR_READ], 3);

	/* Nobody owns 0x80: reads are all ones, and both directions are counted. */
	set_pio(r.run, 0x80, KVM_EXIT_IO_IN, 4, 1);
	memset(data, 0, 4);
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 0);
	CHECK(data[0] == 0xff && data[3] == 0xff);
	CHECK_EQ(r.vcpu.counts.io_unclaimed[IO_SPACE_PIO][IO_DIR_READ], 1);

	/* A device answering a wide read in its low byte: the others read 0, not stale bytes. */
	CHECK_EQ(io_register(&r.vm.io, IO_SPACE_PIO, 0x500, 8, byte_reg_io, NULL, "byte-reg"), 0);
	set_pio(r.run, 0x500, KVM_EXIT_IO_IN, 4, 1);
	memset(data, 0xee, 4);
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 0);
	CHECK(data[0] == 0x42 && data[1] == 0 && data[2] == 0 && data[3] == 0);
	/* Charged to the range that took it, the second one. */
	CHECK_EQ(r.vcpu.counts.io[IO_SPACE_PIO][1][IO_DIR_READ], 1);
	CHECK_EQ(r.vcpu.counts.io[IO_SPACE_PIO][0][IO_DIR_READ], 3);

	/* Data that ends exactly at the end of kvm_run is fine. */
	set_pio(r.run, 0x3f8, KVM_EXIT_IO_OUT, 4, 2);
	r.run->io.data_offset = RUN_SIZE - 8;
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 0);
	CHECK_EQ(p.calls, 6);

	/* An access straddling the end of a range belongs to nobody. */
	set_pio(r.run, 0x3fe, KVM_EXIT_IO_OUT, 4, 1);
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 0);
	CHECK_EQ(p.calls, 6);
	CHECK_EQ(r.vcpu.counts.io_unclaimed[IO_SPACE_PIO][IO_DIR_WRITE], 1);
	CHECK_EQ(vm_end_reason(&r.vm), VM_RUNNING);
	rig_fini(&r);
}

static void test_malformed(void)
{
	struct rig r;
	rig_init(&r);
	set_pio(r.run, 0x3f8, KVM_EXIT_IO_OUT, 3, 1); /* no such access size */
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 1);
	CHECK_EQ(vm_end_reason(&r.vm), VM_END_ERROR);
	rig_fini(&r);

	rig_init(&r);
	set_pio(r.run, 0x3f8, KVM_EXIT_IO_OUT, 4, 1000); /* data would run past kvm_run */
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 1);
	CHECK_EQ(vm_end_reason(&r.vm), VM_END_ERROR);
	rig_fini(&r);

	rig_init(&r);
	set_pio(r.run, 0x3f8, KVM_EXIT_IO_OUT, 1, 0); /* a string I/O of nothing */
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 1);
	CHECK_EQ(vm_end_reason(&r.vm), VM_END_ERROR);
	rig_fini(&r);

	static const uint32_t bad_mmio_len[] = {0, 9};
	for (unsigned i = 0; i < 2; i++) {
		rig_init(&r);
		r.run->exit_reason = KVM_EXIT_MMIO;
		r.run->mmio.len = bad_mmio_len[i];
		CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 1);
		CHECK_EQ(vm_end_reason(&r.vm), VM_END_ERROR);
		rig_fini(&r);
	}

	rig_init(&r);
	r.run->exit_reason = KVM_EXIT_SYSTEM_EVENT + 1; /* just past the last handled reason */
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 1);
	CHECK_EQ(vm_end_reason(&r.vm), VM_END_ERROR);
	rig_fini(&r);

	rig_init(&r);
	r.run->exit_reason = 200; /* an exit this VMM has never heard of */
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 1);
	CHECK_EQ(vm_end_reason(&r.vm), VM_END_ERROR);
	CHECK_EQ(r.vcpu.counts.exits[VCPU_EXIT_SLOTS - 1], 1);
	rig_fini(&r);
}

static void test_mmio(void)
{
	struct rig r;
	struct probe p = {0};
	rig_init(&r);
	CHECK_EQ(io_register(&r.vm.io, IO_SPACE_MMIO, DEVICE_MMIO_BASE, 0x1000, probe_io, &p, "m"),
		 0);
	r.run->exit_reason = KVM_EXIT_MMIO;
	r.run->mmio.phys_addr = DEVICE_MMIO_BASE + 0x10;
	r.run->mmio.len = 4;
	r.run->mmio.is_write = 0;
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 0);
	CHECK_EQ(p.calls, 1);
	CHECK_EQ(p.last_offset, 0x10);
	CHECK_EQ(r.run->mmio.data[3], 0x5a);
	CHECK_EQ(r.vcpu.counts.io[IO_SPACE_MMIO][0][IO_DIR_READ], 1);
	r.run->mmio.len = 8; /* a 64-bit access, the widest */
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 0);
	CHECK_EQ(p.calls, 2);
	CHECK_EQ(p.last_len, 8);
	r.run->mmio.phys_addr = DEVICE_MMIO_BASE + 0x2000;
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 0);
	CHECK_EQ(r.run->mmio.data[0], 0xff);
	CHECK_EQ(r.vcpu.counts.io_unclaimed[IO_SPACE_MMIO][IO_DIR_READ], 1);
	rig_fini(&r);
}

static void expect_end(uint32_t reason, uint32_t event, enum vm_end want)
{
	struct rig r;
	rig_init(&r);
	r.run->exit_reason = reason;
	r.run->system_event.type = event;
	CHECK_EQ(vcpu_dispatch_exit(&r.vcpu), 1);
	CHECK_EQ(vm_end_reason(&r.vm), want);
	rig_fini(&r);
}

static void test_endings(void)
{
	expect_end(KVM_EXIT_SHUTDOWN, 0, VM_END_CRASH);
	expect_end(KVM_EXIT_INTERNAL_ERROR, 0, VM_END_CRASH);
	expect_end(KVM_EXIT_FAIL_ENTRY, 0, VM_END_CRASH);
	expect_end(KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_RESET, VM_END_REBOOT);
	expect_end(KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_SHUTDOWN, VM_END_POWEROFF);
	expect_end(KVM_EXIT_SYSTEM_EVENT, KVM_SYSTEM_EVENT_CRASH, VM_END_PANIC);
	/* A system event we do not know ends the VM as a VMM error, not as any guest ending. */
	expect_end(KVM_EXIT_SYSTEM_EVENT, 0x7f, VM_END_ERROR);

	/* A HLT that reaches us (no in-kernel LAPIC would send it) just runs the vCPU again. */
	struct rig h;
	rig_init(&h);
	h.run->exit_reason = KVM_EXIT_HLT;
	CHECK_EQ(vcpu_dispatch_exit(&h.vcpu), 0);
	CHECK_EQ(vm_end_reason(&h.vm), VM_RUNNING);
	CHECK_EQ(h.vcpu.counts.exits[KVM_EXIT_HLT], 1);
	rig_fini(&h);

	/* The first reason wins: a later one cannot rewrite how the guest ended. */
	struct rig r;
	rig_init(&r);
	vm_request_end(&r.vm, VM_END_POWEROFF);
	vm_request_end(&r.vm, VM_END_CRASH);
	CHECK_EQ(vm_end_reason(&r.vm), VM_END_POWEROFF);
	rig_fini(&r);
}

static void test_io_table(void)
{
	struct io_bus bus;
	struct probe p;
	memset(&bus, 0, sizeof(bus));
	CHECK_EQ(io_register(&bus, IO_SPACE_PIO, 0x100, 0x10, probe_io, &p, "a"), 0);
	CHECK_EQ(io_register(&bus, IO_SPACE_PIO, 0x10f, 1, probe_io, &p, "b"), -EEXIST);
	CHECK_EQ(io_register(&bus, IO_SPACE_PIO, 0xf8, 0x10, probe_io, &p, "c"), -EEXIST);
	CHECK_EQ(io_register(&bus, IO_SPACE_PIO, 0x110, 1, probe_io, &p, "d"), 0);
	CHECK_EQ(io_register(&bus, IO_SPACE_PIO, 0xf0, 0x10, probe_io, &p, "below"), 0);
	CHECK_EQ(io_register(&bus, IO_SPACE_PIO, 0xfff0, 0x10, probe_io, &p, "top"), 0);
	CHECK(io_find(&bus, IO_SPACE_COUNT, 0x100, 1) == NULL);
	CHECK_EQ(io_register(&bus, IO_SPACE_PIO, 0x200, 0, probe_io, &p, "e"), -EINVAL);
	CHECK_EQ(io_register(&bus, IO_SPACE_PIO, 0xfff0, 0x20, probe_io, &p, "f"), -EINVAL);
	CHECK_EQ(io_register(&bus, IO_SPACE_MMIO, ~0ULL - 4, 0x10, probe_io, &p, "g"), -EINVAL);
	CHECK(io_find(&bus, IO_SPACE_PIO, 0x10f, 1) != NULL);
	CHECK(io_find(&bus, IO_SPACE_PIO, 0x10f, 2) == NULL);
	CHECK(io_find(&bus, IO_SPACE_MMIO, 0x100, 1) == NULL);
	unsigned added = 0;
	while (added <= IO_MAX_RANGES && /* bounded: a table that never fills fails the check */
	       io_register(&bus, IO_SPACE_MMIO, 0x1000 * (added + 1), 0x10, probe_io, &p, "x") == 0)
		added++;
	CHECK_EQ(added, IO_MAX_RANGES);
	CHECK_EQ(io_register(&bus, IO_SPACE_MMIO, 0x1000000, 0x10, probe_io, &p, "y"), -ENOSPC);
}

static void test_guest_ptr(void)
{
	struct guest_mem m;
	CHECK_EQ(guest_mem_init(&m, 5120ULL << 20), 0);
	CHECK_EQ(m.low_size, MEM_32BIT_END);
	CHECK(guest_ptr(&m, 0, 4096) == m.host);
	CHECK(guest_ptr(&m, MEM_32BIT_END - 4096, 4096) != NULL);
	CHECK(guest_ptr(&m, MEM_32BIT_END - 4096, 4097) == NULL); /* runs into the hole */
	CHECK(guest_ptr(&m, MEM_32BIT_END, 1) == NULL);		  /* the hole */
	CHECK(guest_ptr(&m, IOAPIC_ADDR, 1) == NULL);
	CHECK(guest_ptr(&m, HIGH_RAM_START, 1) == m.host + m.low_size);
	uint64_t high = guest_mem_high_size(&m);
	CHECK_EQ(high, (5120ULL << 20) - MEM_32BIT_END);
	CHECK(guest_ptr(&m, HIGH_RAM_START + high - 1, 1) != NULL);
	CHECK(guest_ptr(&m, HIGH_RAM_START + high, 1) == NULL);
	CHECK(guest_ptr(&m, HIGH_RAM_START + high - 8, 16) == NULL);
	CHECK(guest_ptr(&m, HIGH_RAM_START + high - 8, 8) != NULL); /* RAM's last bytes */
	CHECK(guest_ptr(&m, HIGH_RAM_START + high - 8, 9) == NULL); /* one byte past the end */
	/* len 0 checks the address alone: the hole and the end of RAM are still outside. */
	CHECK(guest_ptr(&m, MEM_32BIT_END, 0) == NULL);
	CHECK(guest_ptr(&m, HIGH_RAM_START + high, 0) == NULL);
	CHECK(guest_ptr(&m, 0x1000, ~0ULL) == NULL); /* length that wraps */
	CHECK(guest_ptr(&m, ~0ULL - 1, 4) == NULL);
	guest_mem_destroy(&m);
	CHECK_EQ(guest_mem_init(&m, 0), -EINVAL);
}

int main(void)
{
	test_pio();
	test_malformed();
	test_mmio();
	test_endings();
	test_io_table();
	test_guest_ptr();
	return check_summary("test_vcpu");
}
