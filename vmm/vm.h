/* SPDX-License-Identifier: MIT */
/*
 * A virtual machine: the KVM fds, guest RAM and its memory slots, the in-kernel
 * irqchip, the I/O range tables, the devices, and how the run ended.
 */
#ifndef SNVMM_VM_H
#define SNVMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "acpi.h"
#include "guest_mem.h"
#include "io.h"
#include "irq_route.h"
#include "thread.h"

struct kvm_cpuid2;
struct kvm_run;
struct device_ops;

/* How the guest (or the VMM) ended the run; main.c maps these to exit statuses. */
enum vm_end {
	VM_RUNNING = 0,
	VM_END_POWEROFF,
	VM_END_REBOOT,
	VM_END_PANIC,
	VM_END_CRASH, /* triple fault, internal error, failed entry */
	VM_END_ERROR, /* the VMM itself failed */
	VM_END_USER,  /* escape key or signal */
};

struct vm_config {
	const char *kernel_path;
	const char *initrd_path;
	const char *append;
	uint64_t ram_mib;
	unsigned ncpus;
	const char *net_tap; /* --net tap=NAME, NULL for none */
	uint8_t net_mac[6];
	bool net_mac_set;
	uint32_t net_poll_us;	 /* --net ...,poll=USEC: the worker's busy-poll window */
	uint32_t net_defer_us;	 /* --net ...,defer=USEC: its sleeping TX-unarmed window */
	bool console_raw;	 /* stdin is a tty: raw mode and the escape key */
	bool console_polled;	 /* --raw: the guest polls the UART for input (devices/serial.c) */
	bool pvm_host;		 /* /dev/kvm is KVM-PVM (no hardware virtualization) */
	struct thread_pins pins; /* --pin: host CPUs of named threads */
};

#define VM_MAX_DEVICES	    16
#define VM_MAX_ACPI_DEVICES 8

struct vm_device {
	const struct device_ops *ops;
	void *state;
	bool started;
};

struct vcpu;

struct vm {
	int kvm_fd, vm_fd;
	int run_size;
	struct guest_mem mem;
	struct io_bus io;
	const struct vm_config *cfg;

	unsigned ncpus;
	struct vcpu *vcpus;
	struct kvm_cpuid2 *cpuid;

	struct vm_device devices[VM_MAX_DEVICES];
	unsigned ndevices;
	struct acpi_device_desc acpi_devs[VM_MAX_ACPI_DEVICES];
	unsigned n_acpi_devs;

	uint32_t next_slot;
	uint64_t next_mmio;
	uint32_t next_gsi;

	/* GSIs sent as MSIs (irq_route.h); devices' worker threads change them. */
	pthread_mutex_t route_lock;
	struct irq_route_msi msi_routes[IOAPIC_NUM_PINS];

	_Atomic int end; /* enum vm_end; the first reason wins */
	int end_eventfd; /* written once when end is set */
};

/* Guest RAM and bookkeeping only: no /dev/kvm yet, so images can be checked first. */
int vm_init(struct vm *vm, const struct vm_config *cfg);
/* The KVM VM: memory slots for guest RAM, in-kernel irqchip and PIT, supported CPUID. */
int vm_open_kvm(struct vm *vm);
/* What vm_init and vm_open_kvm return, after a line on stderr, when the configuration asks
 * for more than this host gives (--memory, --cpus): bad input, not a VMM failure. Their
 * other failures are negative errnos. */
#define VM_BAD_CONFIG 1
/* Frees everything vm_init/vm_open_kvm and the devices made; safe on a partial VM. */
void vm_destroy(struct vm *vm);

/* Adds a KVM memory slot backed by host memory at gpa. */
int vm_add_memslot(struct vm *vm, uint64_t gpa, uint64_t size, void *host);
/* Hands out a page-aligned guest-physical window in the MMIO hole. */
int vm_reserve_mmio(struct vm *vm, uint64_t size, uint64_t *gpa);
/* Hands out an IOAPIC pin for a device interrupt. */
int vm_reserve_gsi(struct vm *vm, uint32_t *gsi);
int vm_add_acpi_device(struct vm *vm, const struct acpi_device_desc *desc);

/* eventfd-backed doorbells and interrupts (returns the eventfd, or -errno). */
int vm_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, bool pio);
int vm_irqfd(struct vm *vm, uint32_t gsi);
/* Drives an IOAPIC pin from userspace (level 0/1). */
int vm_irq_line(struct vm *vm, uint32_t gsi, int level);
/*
 * Routes an irqfd's IOAPIC pin the way the guest has just programmed it: as
 * the same interrupt sent as an MSI when the pin allows (irq_route.h), which
 * KVM delivers from the eventfd write itself, else back through the IOAPIC.
 * Call it once the guest's driver has set up its interrupt, from any thread.
 * Returns 1 for an MSI route, 0 for the IOAPIC, -errno when KVM refused.
 */
int vm_irq_route_as_msi(struct vm *vm, uint32_t gsi);
/* Whether KVM's route for gsi is an MSI now (what the last successful call installed). */
bool vm_irq_route_is_msi(struct vm *vm, uint32_t gsi);

/* Records how the run ended (first caller wins) and wakes the main thread. */
void vm_request_end(struct vm *vm, enum vm_end why);
static inline enum vm_end vm_end_reason(struct vm *vm)
{
	return (enum vm_end)atomic_load(&vm->end);
}

/* Devices: setup and start in list order, stop and destroy in reverse. */
int vm_setup_devices(struct vm *vm);
int vm_start_devices(struct vm *vm);
void vm_stop_devices(struct vm *vm);

/* True when /dev/kvm is the software KVM-PVM rather than VMX/SVM. */
bool host_is_pvm(void);

#endif
