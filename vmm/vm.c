// SPDX-License-Identifier: MIT
#include "vm.h"
#include "cpuid.h"
#include "device.h"
#include "layout.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* kvm_pvm may be loaded without a /dev/kvm: a kernel that is itself a KVM-PVM guest serves none. */
bool host_is_pvm(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0 && access("/dev/kvm", F_OK) == 0;
}

static int kvm_check(int kvm_fd, int cap)
{
	int r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, cap);
	return r < 0 ? 0 : r;
}

static int vm_map_ram(struct vm *vm)
{
	int r = vm_add_memslot(vm, 0, vm->mem.low_size, vm->mem.host);
	if (r == 0 && guest_mem_high_size(&vm->mem))
		r = vm_add_memslot(vm, HIGH_RAM_START, guest_mem_high_size(&vm->mem),
				   vm->mem.host + vm->mem.low_size);
	return r;
}

/* The in-kernel LAPIC/IOAPIC/PIC and PIT: interrupts and timers never leave the kernel. */
static int vm_create_irqchip(struct vm *vm)
{
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
		fprintf(stderr, "snvmm: KVM_SET_TSS_ADDR: %s\n", strerror(errno));
		return -errno;
	}
	__u64 ident = KVM_IDENTITY_MAP_ADDR;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0) {
		fprintf(stderr, "snvmm: KVM_SET_IDENTITY_MAP_ADDR: %s\n", strerror(errno));
		return -errno;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP) < 0) {
		fprintf(stderr, "snvmm: KVM_CREATE_IRQCHIP: %s\n", strerror(errno));
		return -errno;
	}
	/*
	 * Our guests run without the 8259s (hardware-reduced ACPI gives Linux a null
	 * legacy PIC), but KVM still routes GSIs 0-15 to its PIC and leaves the boot
	 * CPU's LINT0 in ExtINT mode. Mask both PICs so a device interrupt arrives once,
	 * through the IOAPIC, and never as a stray low vector through LINT0.
	 */
	for (uint32_t chip = KVM_IRQCHIP_PIC_MASTER; chip <= KVM_IRQCHIP_PIC_SLAVE; chip++) {
		struct kvm_irqchip ic = {.chip_id = chip};
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &ic) < 0) {
			fprintf(stderr, "snvmm: KVM_GET_IRQCHIP: %s\n", strerror(errno));
			return -errno;
		}
		ic.chip.pic.imr = 0xff;
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &ic) < 0) {
			fprintf(stderr, "snvmm: KVM_SET_IRQCHIP: %s\n", strerror(errno));
			return -errno;
		}
	}
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		fprintf(stderr, "snvmm: KVM_CREATE_PIT2: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

static int vm_get_cpuid(struct vm *vm)
{
	for (int n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			vm->cpuid = c;
			return 0;
		}
		int err = errno;
		free(c);
		if (err != E2BIG) {
			fprintf(stderr, "snvmm: KVM_GET_SUPPORTED_CPUID: %s\n", strerror(err));
			return -err;
		}
	}
	fprintf(stderr, "snvmm: KVM_GET_SUPPORTED_CPUID: more than 4096 entries\n");
	return -E2BIG;
}

/*
 * Guest RAM must lie below the physical addresses the vCPUs can form (KVM's
 * CPUID 0x80000008, EAX[7:0]): recent KVM refuses a memory slot above them,
 * and an older one took it and the guest faulted on its first use.
 */
static int vm_check_phys_bits(const struct vm *vm)
{
	uint64_t high = guest_mem_high_size(&vm->mem);
	uint64_t top = high ? HIGH_RAM_START + high : vm->mem.low_size;
	unsigned bits = cpuid_phys_bits(vm->cpuid);

	if (!bits || top <= 1ULL << bits)
		return 0; /* fits, or not reported: KVM's own check stands */
	fprintf(stderr,
		"snvmm: --memory %llu: guest RAM would end at %llu GiB, past the %u-bit physical "
		"addresses this host's KVM offers (%llu GiB)\n",
		(unsigned long long)(vm->mem.ram_size >> 20), (unsigned long long)(top >> 30), bits,
		1ULL << (bits - 30));
	return VM_BAD_CONFIG;
}

int vm_init(struct vm *vm, const struct vm_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->end_eventfd = -1;
	vm->cfg = cfg;
	vm->ncpus = cfg->ncpus;
	vm->next_mmio = DEVICE_MMIO_BASE;
	vm->next_gsi = DEVICE_GSI_BASE;
	vm->route_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
	atomic_init(&vm->end, VM_RUNNING);

	vm->end_eventfd = eventfd(0, EFD_CLOEXEC);
	if (vm->end_eventfd < 0) {
		fprintf(stderr, "snvmm: eventfd: %s\n", strerror(errno));
		return -errno;
	}
	int r = guest_mem_init(&vm->mem, cfg->ram_mib << 20);
	if (r == -ENOMEM) {
		fprintf(stderr, "snvmm: --memory %llu: this host cannot map that much guest RAM\n",
			(unsigned long long)cfg->ram_mib);
		return VM_BAD_CONFIG;
	}
	if (r)
		fprintf(stderr, "snvmm: mapping %llu MiB of guest RAM: %s\n",
			(unsigned long long)cfg->ram_mib, strerror(-r));
	return r;
}

int vm_open_kvm(struct vm *vm)
{
	int r;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		r = -errno;
		fprintf(stderr, "snvmm: open /dev/kvm: %s%s\n", strerror(-r),
			r == -ENOENT
			    ? " (KVM is not loaded, or this host has none; 'make run' boots "
			      "the default guest in the nested rig)"
			    : "");
		return r;
	}
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "snvmm: /dev/kvm: unsupported KVM API version\n");
		return -EINVAL;
	}
	static const struct {
		int cap;
		const char *name;
	} needed[] = {
	    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
	    {KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD"},
	    {KVM_CAP_IRQFD, "KVM_CAP_IRQFD"},
	    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
	    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
	};
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (!kvm_check(vm->kvm_fd, needed[i].cap)) {
			fprintf(stderr, "snvmm: /dev/kvm lacks %s\n", needed[i].name);
			return -ENOTSUP;
		}
	}
	int max_vcpus = kvm_check(vm->kvm_fd, KVM_CAP_MAX_VCPUS);
	if (max_vcpus > 0 && vm->ncpus > (unsigned)max_vcpus) {
		fprintf(stderr, "snvmm: --cpus %u: this KVM allows at most %d vCPUs\n", vm->ncpus,
			max_vcpus);
		return VM_BAD_CONFIG;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		fprintf(stderr, "snvmm: KVM_CREATE_VM: %s\n", strerror(errno));
		return -errno;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0) {
		fprintf(stderr, "snvmm: KVM_GET_VCPU_MMAP_SIZE: %s\n", strerror(errno));
		return -errno;
	}
	if ((r = vm_get_cpuid(vm)) || (r = vm_check_phys_bits(vm)) || (r = vm_map_ram(vm)) ||
	    (r = vm_create_irqchip(vm)))
		return r;
	return 0;
}

void vm_destroy(struct vm *vm)
{
	for (unsigned i = vm->ndevices; i-- > 0;) {
		if (vm->devices[i].ops->destroy)
			vm->devices[i].ops->destroy(vm->devices[i].state);
	}
	vm->ndevices = 0;
	free(vm->cpuid);
	vm->cpuid = NULL;
	guest_mem_destroy(&vm->mem);
	if (vm->end_eventfd >= 0)
		close(vm->end_eventfd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->end_eventfd = vm->vm_fd = vm->kvm_fd = -1;
}

int vm_add_memslot(struct vm *vm, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region region = {
	    .slot = vm->next_slot,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uintptr_t)host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		fprintf(stderr, "snvmm: KVM_SET_USER_MEMORY_REGION slot %u at 0x%llx: %s\n",
			region.slot, (unsigned long long)gpa, strerror(errno));
		return -errno;
	}
	vm->next_slot++;
	return 0;
}

int vm_reserve_mmio(struct vm *vm, uint64_t size, uint64_t *gpa)
{
	uint64_t base = (vm->next_mmio + 0xfff) & ~0xfffULL;
	size = (size + 0xfff) & ~0xfffULL;
	if (size == 0 || base + size > DEVICE_MMIO_END || base + size < base)
		return -ENOSPC;
	vm->next_mmio = base + size;
	*gpa = base;
	return 0;
}

int vm_reserve_gsi(struct vm *vm, uint32_t *gsi)
{
	/* Skip the legacy ISA pins a PC platform keeps for itself. */
	while (vm->next_gsi == SERIAL_COM1_IRQ || vm->next_gsi == RTC_IRQ ||
	       vm->next_gsi == PS2_MOUSE_IRQ)
		vm->next_gsi++;
	if (vm->next_gsi >= IOAPIC_NUM_PINS)
		return -ENOSPC;
	*gsi = vm->next_gsi++;
	return 0;
}

int vm_add_acpi_device(struct vm *vm, const struct acpi_device_desc *desc)
{
	if (vm->n_acpi_devs == VM_MAX_ACPI_DEVICES)
		return -ENOSPC;
	vm->acpi_devs[vm->n_acpi_devs++] = *desc;
	return 0;
}

int vm_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, bool pio)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct kvm_ioeventfd io = {
	    .addr = addr,
	    .len = len,
	    .fd = fd,
	    .flags = pio ? KVM_IOEVENTFD_FLAG_PIO : 0,
	};
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
		int err = errno;
		fprintf(stderr, "snvmm: KVM_IOEVENTFD at 0x%llx: %s\n", (unsigned long long)addr,
			strerror(err));
		close(fd);
		return -err;
	}
	return fd;
}

int vm_irqfd(struct vm *vm, uint32_t gsi)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct kvm_irqfd irqfd = {.fd = (uint32_t)fd, .gsi = gsi};
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		int err = errno;
		fprintf(stderr, "snvmm: KVM_IRQFD gsi %u: %s\n", gsi, strerror(err));
		close(fd);
		return -err;
	}
	return fd;
}

int vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = {.irq = gsi, .level = (uint32_t)level};
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		return -errno;
	return 0;
}

/* irq_route_rte_to_msi() zeroes what it refuses, so two off routes compare equal, whatever pin
 * setting made them. */
static bool msi_route_same(const struct irq_route_msi *a, const struct irq_route_msi *b)
{
	return a->on == b->on && a->address_lo == b->address_lo && a->data == b->data;
}

bool vm_irq_route_is_msi(struct vm *vm, uint32_t gsi)
{
	bool on;

	if (gsi >= IOAPIC_NUM_PINS)
		return false;
	pthread_mutex_lock(&vm->route_lock);
	on = vm->msi_routes[gsi].on;
	pthread_mutex_unlock(&vm->route_lock);
	return on;
}

int vm_irq_route_as_msi(struct vm *vm, uint32_t gsi)
{
	struct kvm_irqchip chip = {.chip_id = KVM_IRQCHIP_IOAPIC};
	struct kvm_irq_routing *table = NULL;
	struct irq_route_msi want, was;
	int r;

	if (gsi >= IOAPIC_NUM_PINS)
		return -EINVAL;
	pthread_mutex_lock(&vm->route_lock);
	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0) {
		r = -errno;
		goto out;
	}
	irq_route_rte_to_msi(chip.chip.ioapic.redirtbl[gsi].bits, &want);
	r = want.on;
	if (msi_route_same(&want, &vm->msi_routes[gsi]))
		goto out;
	table = calloc(1, sizeof(*table) + IRQ_ROUTE_MAX * sizeof(table->entries[0]));
	if (!table) {
		r = -ENOMEM;
		goto out;
	}
	was = vm->msi_routes[gsi];
	vm->msi_routes[gsi] = want;
	table->nr = irq_route_build(table->entries, vm->msi_routes);
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, table) < 0) {
		r = -errno;
		vm->msi_routes[gsi] = was;
	}
out:
	pthread_mutex_unlock(&vm->route_lock);
	free(table);
	return r;
}

void vm_request_end(struct vm *vm, enum vm_end why)
{
	int expected = VM_RUNNING;
	if (atomic_compare_exchange_strong(&vm->end, &expected, (int)why)) {
		uint64_t one = 1;
		/* An eventfd write of 1 cannot fail short of a bad fd. */
		if (write(vm->end_eventfd, &one, sizeof(one)) < 0)
			log_nowait("snvmm: end eventfd: %s\n", strerror(errno));
	}
}

int vm_setup_devices(struct vm *vm)
{
	for (const struct device_ops *const *d = builtin_devices; *d; d++) {
		if ((*d)->wanted && !(*d)->wanted(vm->cfg))
			continue;
		if (vm->ndevices == VM_MAX_DEVICES)
			return -ENOSPC;
		struct vm_device *dev = &vm->devices[vm->ndevices];
		dev->ops = *d;
		int r = (*d)->setup(vm, vm->cfg, &dev->state);
		if (r)
			return r;
		vm->ndevices++;
	}
	return 0;
}

int vm_start_devices(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevices; i++) {
		struct vm_device *dev = &vm->devices[i];
		if (dev->ops->start) {
			int r = dev->ops->start(dev->state);
			if (r)
				return r;
		}
		dev->started = true;
	}
	return 0;
}

void vm_stop_devices(struct vm *vm)
{
	for (unsigned i = vm->ndevices; i-- > 0;) {
		struct vm_device *dev = &vm->devices[i];
		if (dev->started && dev->ops->stop)
			dev->ops->stop(dev->state);
		dev->started = false;
	}
}
