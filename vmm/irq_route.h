/* SPDX-License-Identifier: MIT */
/*
 * KVM's GSI routing table for our in-kernel irqchip: the table KVM starts
 * with (GSIs 0-15 to a PIC pin and the IOAPIC pin of the same number, 16-23
 * to the IOAPIC only), except that a device GSI may be turned into an MSI.
 *
 * Why: KVM injects an irqfd whose GSI has exactly one route, an MSI, straight
 * from the eventfd write. Any other route (an IOAPIC pin, or two entries)
 * takes a hop through a kernel worker thread first: a wake-up, a context
 * switch and some latency on every interrupt. Our NIC is an ACPI platform
 * device with an edge-triggered IOAPIC pin, so the VMM reads how the guest
 * programmed that pin (vector, destination) and sends the same interrupt as
 * an MSI, which is what the IOAPIC itself would have sent the LAPIC.
 */
#ifndef SNVMM_IRQ_ROUTE_H
#define SNVMM_IRQ_ROUTE_H

#include "layout.h"

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#define IRQ_ROUTE_LEGACY_GSIS 16 /* GSIs that also have a PIC pin */
#define IRQ_ROUTE_MAX	      (IRQ_ROUTE_LEGACY_GSIS + IOAPIC_NUM_PINS)

struct irq_route_msi {
	bool on;
	uint32_t address_lo, data;
};

/*
 * The MSI that an IOAPIC redirection entry describes, when it describes one:
 * unmasked, edge-triggered, fixed or lowest-priority delivery. A masked or
 * level-triggered pin (it needs the IOAPIC's EOI handling), an NMI, SMI,
 * INIT or ExtINT one, a vector below 16, or one aimed at an APIC ID above 255
 * returns false.
 */
bool irq_route_rte_to_msi(uint64_t rte, struct irq_route_msi *msi);

/*
 * Fills e[IRQ_ROUTE_MAX] with the default table, each GSI g with msi[g].on
 * routed as that MSI alone; returns the number of entries.
 */
unsigned irq_route_build(struct kvm_irq_routing_entry *e,
			 const struct irq_route_msi msi[IOAPIC_NUM_PINS]);

#endif
