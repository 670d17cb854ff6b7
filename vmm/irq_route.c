// SPDX-License-Identifier: MIT
#include "irq_route.h"

#include <string.h>

#define RTE_VECTOR(r)	     ((uint32_t)(r)&0xffu)
#define RTE_DELIVERY(r)	     (((uint32_t)(r) >> 8) & 7u)
#define RTE_DEST_LOGICAL     (1ull << 11)
#define RTE_LEVEL	     (1ull << 15)
#define RTE_MASKED	     (1ull << 16)
#define RTE_DEST(r)	     ((uint32_t)((r) >> 56))
#define RTE_EXT_DEST	     (0x7full << 49) /* destination bits 8-14 (KVM's extended IDs) */
#define DELIVERY_FIXED	     0u
#define DELIVERY_LOWEST	     1u
#define MSI_ADDR_BASE	     0xfee00000u
#define MSI_ADDR_DEST_SHIFT  12
#define MSI_ADDR_LOGICAL     (1u << 2)
#define MSI_ADDR_REDIR_HINT  (1u << 3)
#define MSI_DATA_DELIV_SHIFT 8

bool irq_route_rte_to_msi(uint64_t rte, struct irq_route_msi *msi)
{
	uint32_t mode = RTE_DELIVERY(rte);

	*msi = (struct irq_route_msi){0};
	if ((rte & (RTE_MASKED | RTE_LEVEL)) || (mode != DELIVERY_FIXED && mode != DELIVERY_LOWEST))
		return false;
	/* An APIC ID above 255: this MSI format has no room for it, the IOAPIC route stays. */
	if (rte & RTE_EXT_DEST)
		return false;
	/* Vectors 0-15 are exceptions and reserved: no guest programs one on purpose. */
	if (RTE_VECTOR(rte) < 16)
		return false;
	msi->address_lo = MSI_ADDR_BASE | RTE_DEST(rte) << MSI_ADDR_DEST_SHIFT;
	if (rte & RTE_DEST_LOGICAL)
		msi->address_lo |= MSI_ADDR_LOGICAL;
	/* Lowest priority among the destinations: the redirection hint says so for an MSI. */
	if (mode == DELIVERY_LOWEST)
		msi->address_lo |= MSI_ADDR_REDIR_HINT;
	msi->data = RTE_VECTOR(rte) | mode << MSI_DATA_DELIV_SHIFT; /* edge */
	msi->on = true;
	return true;
}

static struct kvm_irq_routing_entry *add_entry(struct kvm_irq_routing_entry *e, unsigned *n,
					       uint32_t gsi, uint32_t type)
{
	struct kvm_irq_routing_entry *x = &e[(*n)++];

	memset(x, 0, sizeof(*x));
	x->gsi = gsi;
	x->type = type;
	return x;
}

unsigned irq_route_build(struct kvm_irq_routing_entry *e,
			 const struct irq_route_msi msi[IOAPIC_NUM_PINS])
{
	struct kvm_irq_routing_entry *x;
	unsigned n = 0;

	for (uint32_t gsi = 0; gsi < IOAPIC_NUM_PINS; gsi++) {
		if (msi[gsi].on) {
			x = add_entry(e, &n, gsi, KVM_IRQ_ROUTING_MSI);
			x->u.msi.address_lo = msi[gsi].address_lo;
			x->u.msi.data = msi[gsi].data;
			continue;
		}
		x = add_entry(e, &n, gsi, KVM_IRQ_ROUTING_IRQCHIP);
		x->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		x->u.irqchip.pin = gsi;
		if (gsi < IRQ_ROUTE_LEGACY_GSIS) {
			x = add_entry(e, &n, gsi, KVM_IRQ_ROUTING_IRQCHIP);
			x->u.irqchip.irqchip =
			    gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
			x->u.irqchip.pin = gsi % 8;
		}
	}
	return n;
}
