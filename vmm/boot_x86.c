// SPDX-License-Identifier: MIT
/*
 * The CPU state each entry path expects: a GDT, segment registers that agree
 * with it, control registers, and for the 64-bit entry an identity map.
 */
#include "boot.h"
#include "layout.h"

#include <asm/processor-flags.h>
#include <errno.h>
#include <string.h>

#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

#define PTE_PRESENT (1ULL << 0)
#define PTE_RW	    (1ULL << 1)
#define PTE_PS	    (1ULL << 7) /* in a PD entry: a 2 MiB page */

/* Boot protocol convention (__BOOT_CS, __BOOT_DS); PVH takes any, so it uses the same. */
#define SEL_CODE    0x10
#define SEL_DATA    0x18
#define SEL_TSS	    0x20
#define GDT_ENTRIES 6 /* null, unused, code, data, and a TSS that takes two in long mode */

/*
 * flags holds the access byte in bits 0-7 and G/DB/L/AVL in bits 12-15, which
 * is where they sit in the descriptor's second dword, shifted down by 8.
 */
static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000) << 32) | ((uint64_t)(flags & 0xf0ff) << 40) |
	       ((uint64_t)(limit & 0x000f0000) << 32) | ((uint64_t)(base & 0x00ffffff) << 16) |
	       (limit & 0x0000ffff);
}

/* The segment register KVM should hold after loading desc, so the two cannot disagree. */
static struct boot_seg seg_from_gdt(uint64_t desc, uint16_t selector)
{
	struct boot_seg s = {
	    .base = ((desc >> 16) & 0x00ffffff) | ((desc >> 32) & 0xff000000),
	    .limit = (uint32_t)((desc & 0xffff) | ((desc >> 32) & 0x000f0000)),
	    .selector = selector,
	    .type = (desc >> 40) & 0xf,
	    .s = (desc >> 44) & 1,
	    .dpl = (desc >> 45) & 3,
	    .present = (desc >> 47) & 1,
	    .l = (desc >> 53) & 1,
	    .db = (desc >> 54) & 1,
	    .g = (desc >> 55) & 1,
	};
	if (s.g)
		s.limit = (s.limit << 12) | 0xfff;
	return s;
}

static int setup_gdt(const struct guest_mem *mem, struct boot_regs *regs, uint16_t code_flags)
{
	uint64_t *gdt = guest_ptr(mem, GDT_ADDR, GDT_ENTRIES * sizeof(uint64_t));

	if (!gdt)
		return -ERANGE;
	memset(gdt, 0, GDT_ENTRIES * sizeof(uint64_t));
	gdt[SEL_CODE / 8] = gdt_entry(code_flags, 0, 0xfffff);
	gdt[SEL_DATA / 8] = gdt_entry(0xc093, 0, 0xfffff); /* flat read/write data, 4 GiB */
	/* Busy TSS: VM entry wants a usable TR even though nothing switches tasks. */
	gdt[SEL_TSS / 8] = gdt_entry(0x008b, 0, 0x67);

	regs->gdt_base = GDT_ADDR;
	regs->gdt_limit = GDT_ENTRIES * sizeof(uint64_t) - 1;
	regs->cs = seg_from_gdt(gdt[SEL_CODE / 8], SEL_CODE);
	regs->ds = seg_from_gdt(gdt[SEL_DATA / 8], SEL_DATA);
	regs->es = regs->fs = regs->gs = regs->ss = regs->ds;
	regs->tr = seg_from_gdt(gdt[SEL_TSS / 8], SEL_TSS);
	regs->rflags = X86_EFLAGS_FIXED; /* interrupts off */
	regs->rsp = BOOT_STACK_TOP;
	return 0;
}

/*
 * Identity map of 0..4 GiB with 2 MiB pages: the 64-bit entry needs the
 * kernel, boot_params and the command line mapped, and the kernel builds its
 * own tables before it touches anything else.
 */
static int setup_page_tables(const struct guest_mem *mem)
{
	uint64_t *pml4 = guest_ptr(mem, PML4_ADDR, 4096);
	uint64_t *pdpt = guest_ptr(mem, PDPT_ADDR, 4096);
	uint64_t *pd = guest_ptr(mem, PD_ADDR, 4 * 4096);

	if (!pml4 || !pdpt || !pd)
		return -ERANGE;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = PDPT_ADDR | PTE_PRESENT | PTE_RW;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (PD_ADDR + i * 4096) | PTE_PRESENT | PTE_RW;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_RW | PTE_PS;
	return 0;
}

int boot_x86_long_mode(const struct guest_mem *mem, struct boot_regs *regs)
{
	int ret = setup_gdt(mem, regs, 0xa09b); /* 64-bit code (L), execute/read */

	if (ret == 0)
		ret = setup_page_tables(mem);
	if (ret < 0)
		return ret;
	regs->entry = BOOT_ENTRY_LINUX64;
	regs->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	regs->cr3 = PML4_ADDR;
	regs->cr4 = X86_CR4_PAE;
	regs->efer = EFER_LME | EFER_LMA;
	return 0;
}

int boot_x86_protected_mode(const struct guest_mem *mem, struct boot_regs *regs)
{
	int ret = setup_gdt(mem, regs, 0xc09b); /* 32-bit code, execute/read, 4 GiB */

	if (ret < 0)
		return ret;
	regs->entry = BOOT_ENTRY_PVH32;
	regs->cr0 = X86_CR0_PE | X86_CR0_ET;
	regs->cr3 = 0;
	regs->cr4 = 0;
	regs->efer = 0;
	return 0;
}
