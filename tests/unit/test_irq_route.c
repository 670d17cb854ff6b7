// SPDX-License-Identifier: MIT
/*
 * irq_route: an IOAPIC redirection entry becomes the MSI the IOAPIC would
 * have sent, or nothing when it cannot be one; the routing table is KVM's
 * default but for the GSIs sent as MSIs, each then with one entry (KVM's
 * irqfd fast path needs exactly one). With /dev/kvm: a pin the guest has
 * programmed is routed as an MSI whose irqfd write lands in the LAPIC's IRR
 * at once, and a masked or level-triggered pin goes back to the IOAPIC.
 */
#include "check.h"
#include "irq_route.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define RTE_LOWEST  (1ull << 8)
#define RTE_NMI	    (4ull << 8)
#define RTE_EXTINT  (7ull << 8)
#define RTE_LOGICAL (1ull << 11)
#define RTE_LEVEL   (1ull << 15)
#define RTE_MASKED  (1ull << 16)
#define RTE_DEST(d) ((uint64_t)(d) << 56)
#define TEST_GSI    5
#define TEST_VECTOR 0x31

static void test_rte_to_msi(void)
{
	struct irq_route_msi m;

	CHECK(irq_route_rte_to_msi(0x41 | RTE_DEST(3), &m));
	CHECK(m.on);
	CHECK_EQ(m.address_lo, 0xfee03000u);
	CHECK_EQ(m.data, 0x41);

	CHECK(irq_route_rte_to_msi(0x22 | RTE_LOWEST | RTE_LOGICAL | RTE_DEST(1), &m));
	CHECK_EQ(m.address_lo, 0xfee0100cu); /* logical, redirection hint */
	CHECK_EQ(m.data, 0x122);

	CHECK(irq_route_rte_to_msi(0x10, &m)); /* the first vector that is not an exception's */
	CHECK_EQ(m.data, 0x10);

	/* Polarity and the read-only status bits do not matter for an edge MSI. */
	CHECK(irq_route_rte_to_msi(0x41 | (1ull << 12) | (1ull << 13), &m));

	const uint64_t refused[] = {
	    0x41 | RTE_MASKED,
	    0x41 | RTE_LEVEL,
	    0x41 | RTE_NMI,
	    0x41 | RTE_EXTINT,
	    0x41 | (2ull << 8), /* SMI */
	    0x41 | (5ull << 8), /* INIT */
	    0x0f,		/* an exception vector */
	    0x41 | (1ull << 49) /* an APIC ID above 255 */,
	    0x41 | (1ull << 55) /* the top bit of the extended ID */,
	};
	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		m.on = true;
		CHECK(!irq_route_rte_to_msi(refused[i], &m));
		CHECK(!m.on);
	}
}

/* How many entries e[0..n) has for gsi, and the last of them. */
static unsigned entries_for(const struct kvm_irq_routing_entry *e, unsigned n, uint32_t gsi,
			    const struct kvm_irq_routing_entry **last)
{
	unsigned c = 0;

	for (unsigned i = 0; i < n; i++)
		if (e[i].gsi == gsi) {
			c++;
			*last = &e[i];
		}
	return c;
}

static void test_build(void)
{
	struct irq_route_msi msi[IOAPIC_NUM_PINS] = {0};
	struct kvm_irq_routing_entry e[IRQ_ROUTE_MAX];
	const struct kvm_irq_routing_entry *x = NULL;
	unsigned n = irq_route_build(e, msi);

	/* KVM's own default: 16 GSIs with a PIC pin and an IOAPIC pin, 8 more IOAPIC only. */
	CHECK_EQ(n, 40);
	/* Pins of both PICs, at the edge between them (7, 8) and inside. */
	static const struct {
		unsigned gsi, chip, pin;
	} pic[] = {{3, KVM_IRQCHIP_PIC_MASTER, 3},
		   {7, KVM_IRQCHIP_PIC_MASTER, 7},
		   {8, KVM_IRQCHIP_PIC_SLAVE, 0},
		   {10, KVM_IRQCHIP_PIC_SLAVE, 2}};
	for (size_t i = 0; i < sizeof(pic) / sizeof(pic[0]); i++) {
		CHECK_EQ(entries_for(e, n, pic[i].gsi, &x), 2);
		CHECK_EQ(x->u.irqchip.irqchip, pic[i].chip);
		CHECK_EQ(x->u.irqchip.pin, pic[i].pin);
	}
	CHECK_EQ(entries_for(e, n, 20, &x), 1);
	CHECK_EQ(x->type, KVM_IRQ_ROUTING_IRQCHIP);
	CHECK_EQ(x->u.irqchip.irqchip, KVM_IRQCHIP_IOAPIC);
	CHECK_EQ(x->u.irqchip.pin, 20);

	CHECK(irq_route_rte_to_msi(0x41 | RTE_DEST(2), &msi[TEST_GSI]));
	CHECK(irq_route_rte_to_msi(0x42, &msi[20]));
	n = irq_route_build(e, msi);
	CHECK_EQ(n, 39);
	CHECK_EQ(entries_for(e, n, TEST_GSI, &x), 1);
	CHECK_EQ(x->type, KVM_IRQ_ROUTING_MSI);
	CHECK_EQ(x->u.msi.address_lo, 0xfee02000u);
	CHECK_EQ(x->u.msi.address_hi, 0);
	CHECK_EQ(x->u.msi.data, 0x41);
	CHECK_EQ(entries_for(e, n, 20, &x), 1);
	CHECK_EQ(x->type, KVM_IRQ_ROUTING_MSI);
	CHECK_EQ(entries_for(e, n, 4, &x), 2); /* the neighbours are untouched */
}

static int set_rte(struct vm *vm, uint32_t pin, uint64_t rte)
{
	struct kvm_irqchip chip = {.chip_id = KVM_IRQCHIP_IOAPIC};

	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
		return -errno;
	chip.chip.ioapic.redirtbl[pin].bits = rte;
	return ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &chip) < 0 ? -errno : 0;
}

static uint32_t *lapic_reg(struct kvm_lapic_state *s, unsigned off)
{
	return (uint32_t *)(void *)&s->regs[off];
}

/* Whether vector v is pending in the LAPIC's IRR. */
static bool irr_has_now(int vcpufd, unsigned v)
{
	struct kvm_lapic_state s;

	if (ioctl(vcpufd, KVM_GET_LAPIC, &s) < 0)
		return false;
	return *lapic_reg(&s, 0x200 + (v / 32) * 0x10) & (1u << (v % 32));
}

/* The same, waiting up to 1 s for it (an IOAPIC route injects from a kernel worker). */
static bool irr_has(int vcpufd, unsigned v)
{
	for (int i = 0; i < 1000; i++) {
		if (irr_has_now(vcpufd, v))
			return true;
		usleep(1000);
	}
	return false;
}

static void test_kvm(void)
{
	struct vm_config cfg = {.ram_mib = 16, .ncpus = 1};
	struct kvm_lapic_state lapic;
	struct vm vm;
	uint64_t one = 1;
	int vcpufd = -1, irq = -1;

	if (vm_init(&vm, &cfg))
		abort();
	/* This suite runs where the micro-guests do: /dev/kvm must be there. */
	CHECK_EQ(vm_open_kvm(&vm), 0);
	if (vm.vm_fd < 0)
		goto out;
	vcpufd = ioctl(vm.vm_fd, KVM_CREATE_VCPU, 0);
	CHECK(vcpufd >= 0);
	if (vcpufd < 0)
		goto out;
	/* The LAPIC accepts fixed interrupts only once software-enabled (SVR bit 8). */
	CHECK_EQ(ioctl(vcpufd, KVM_GET_LAPIC, &lapic), 0);
	*lapic_reg(&lapic, 0xf0) |= 0x1ff;
	CHECK_EQ(ioctl(vcpufd, KVM_SET_LAPIC, &lapic), 0);
	irq = vm_irqfd(&vm, TEST_GSI);
	CHECK(irq >= 0);

	CHECK_EQ(vm_irq_route_as_msi(&vm, IOAPIC_NUM_PINS), -EINVAL);
	/* Unprogrammed (KVM resets every pin masked): the IOAPIC route stays. */
	CHECK_EQ(vm_irq_route_as_msi(&vm, TEST_GSI), 0);

	CHECK_EQ(set_rte(&vm, TEST_GSI, TEST_VECTOR | RTE_DEST(0)), 0);
	CHECK_EQ(vm_irq_route_as_msi(&vm, TEST_GSI), 1);
	CHECK(vm.msi_routes[TEST_GSI].on);
	CHECK_EQ(vm_irq_route_as_msi(&vm, TEST_GSI), 1); /* unchanged: no new table */
	CHECK_EQ(write(irq, &one, sizeof(one)), sizeof(one));
	CHECK(irr_has(vcpufd, TEST_VECTOR));
	/*
	 * Proof that the MSI route carries it, not the IOAPIC: the guest moves the
	 * pin to another vector behind our back; the irqfd still raises the routed
	 * one until the route is refreshed, then the new one.
	 */
	CHECK_EQ(set_rte(&vm, TEST_GSI, (TEST_VECTOR + 0x10) | RTE_DEST(0)), 0);
	CHECK_EQ(write(irq, &one, sizeof(one)), sizeof(one));
	usleep(50000);
	CHECK(!irr_has_now(vcpufd, TEST_VECTOR + 0x10));
	CHECK_EQ(vm_irq_route_as_msi(&vm, TEST_GSI), 1);
	CHECK_EQ(vm.msi_routes[TEST_GSI].data, TEST_VECTOR + 0x10);
	CHECK_EQ(write(irq, &one, sizeof(one)), sizeof(one));
	CHECK(irr_has(vcpufd, TEST_VECTOR + 0x10));

	CHECK_EQ(set_rte(&vm, TEST_GSI, TEST_VECTOR | RTE_MASKED), 0);
	CHECK_EQ(vm_irq_route_as_msi(&vm, TEST_GSI), 0);
	CHECK(!vm.msi_routes[TEST_GSI].on);
	CHECK_EQ(set_rte(&vm, TEST_GSI, (TEST_VECTOR + 1) | RTE_LEVEL), 0);
	CHECK_EQ(vm_irq_route_as_msi(&vm, TEST_GSI), 0);
out:
	if (irq >= 0)
		close(irq);
	if (vcpufd >= 0)
		close(vcpufd);
	vm_destroy(&vm);
}

int main(void)
{
	test_rte_to_msi();
	test_build();
	test_kvm();
	return check_summary("irq_route");
}
