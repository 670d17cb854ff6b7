// SPDX-License-Identifier: MIT
/*
 * Kernel loaders without /dev/kvm: synthetic bzImages and ELF vmlinuxes go in,
 * guest RAM and the register plan come out. Every malformed image must give a
 * non-zero return and one line naming the file (TEST_BOOT_VERBOSE=1 prints
 * them). With arguments
 * (test_boot BZIMAGE [VMLINUX]) it also loads real images; see
 * boot_real_images.sh.
 */
#include "boot.h"
#include "boot_images.h"
#include "check.h"
#include "guest_mem.h"
#include "layout.h"

#include <asm/bootparam.h>
#include <asm/e820.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define KNAME "vmlinuz"
#define RNAME "initrd.img"

struct fixture {
	struct guest_mem mem;
	struct boot_config cfg;
	struct boot_regs regs;
	char err[256];
};

static void fixture_init(struct fixture *f, uint64_t ram, const uint8_t *k, size_t n)
{
	memset(f, 0, sizeof(*f));
	if (guest_mem_init(&f->mem, ram) < 0) {
		perror("guest_mem_init");
		exit(1);
	}
	f->cfg.kernel = k;
	f->cfg.kernel_size = n;
	f->cfg.kernel_name = KNAME;
	f->cfg.initrd_name = RNAME;
	f->cfg.cmdline = "console=ttyS0 root=/dev/ram0";
	f->cfg.rsdp_addr = ACPI_TABLES_ADDR;
}

static int load(struct fixture *f)
{
	memset(f->err, 0, sizeof(f->err));
	return boot_load(&f->mem, &f->cfg, &f->regs, f->err, sizeof(f->err));
}

/* A rejected image: negative errno, one line that names the file and says what. */
static void expect_error(struct fixture *f, const char *name, const char *what, int line)
{
	int ret = load(f);

	if (ret >= 0 || !strstr(f->err, name) || !strstr(f->err, what) || strchr(f->err, '\n')) {
		fprintf(stderr, "test_boot.c:%d: expected error \"%s\" from %s, got %d \"%s\"\n",
			line, what, name, ret, f->err);
		check_failed++;
	} else {
		check_passed++;
		if (getenv("TEST_BOOT_VERBOSE"))
			printf("  %s\n", f->err);
	}
}
#define EXPECT_ERROR(f, name, what) expect_error(f, name, what, __LINE__)

/* Walks the guest's page tables as the MMU would; -1 when va is not mapped. */
static int64_t translate(const struct guest_mem *m, uint64_t cr3, uint64_t va)
{
	const uint64_t addr_mask = 0x000ffffffffff000ULL;
	uint64_t *pml4 = guest_ptr(m, cr3 & addr_mask, 4096), *pdpt, *pd, e;

	if (!pml4 || !((e = pml4[(va >> 39) & 511]) & 1) || !(e & 2))
		return -1;
	pdpt = guest_ptr(m, e & addr_mask, 4096);
	if (!pdpt || !((e = pdpt[(va >> 30) & 511]) & 1) || !(e & 2) || (e & 0x80))
		return -1;
	pd = guest_ptr(m, e & addr_mask, 4096);
	if (!pd || !((e = pd[(va >> 21) & 511]) & 1) || !(e & 2) || !(e & 0x80))
		return -1;
	return (int64_t)((e & 0x000fffffffe00000ULL) | (va & 0x1fffff));
}

static uint8_t *make_initrd(size_t n)
{
	uint8_t *p = malloc(n);

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i ^ (i >> 9));
	return p;
}

static void check_e820(const struct boot_e820_entry *t, unsigned n, const struct guest_mem *m)
{
	uint64_t usable = 0;

	CHECK_EQ(n, guest_mem_high_size(m) ? 4 : 3);
	CHECK(t[0].addr == 0 && t[0].size == EBDA_START && t[0].type == E820_RAM);
	CHECK(t[1].addr == EBDA_START && t[1].addr + t[1].size == HIMEM_START &&
	      t[1].type == E820_RESERVED);
	CHECK(t[2].addr == HIMEM_START && t[2].addr + t[2].size == m->low_size &&
	      t[2].type == E820_RAM);
	if (n == 4)
		CHECK(t[3].addr == HIGH_RAM_START && t[3].size == guest_mem_high_size(m) &&
		      t[3].type == E820_RAM);
	for (unsigned i = 0; i < n; i++) {
		if (t[i].type == E820_RAM)
			usable += t[i].size;
		/* Nothing usable may reach into the MMIO hole. */
		CHECK(t[i].addr >= MMIO_HOLE_END || t[i].addr + t[i].size <= MEM_32BIT_END);
	}
	CHECK_EQ(usable, m->ram_size - (HIMEM_START - EBDA_START));
}

static void test_bzimage_valid(uint64_t ram_mib)
{
	static uint8_t img[BZ_SIZE];
	struct fixture f;
	size_t rd_size = MiB + 123; /* not page-sized, so alignment shows */
	uint8_t *rd = make_initrd(rd_size);

	bz_build(img);
	/* Junk after a shorter header must not reach boot_params as header fields. */
	bz_hdr(img)->jump =
	    0xeb | ((BZ_HDR + offsetof(struct setup_header, handover_offset) - 0x202) << 8);
	bz_hdr(img)->handover_offset = 0xdeadbeef;
	bz_hdr(img)->setup_data = 0x5000; /* we pass no setup_data, whatever the image says */
	fixture_init(&f, ram_mib * MiB, img, sizeof(img));
	f.cfg.initrd = rd;
	f.cfg.initrd_size = rd_size;
	CHECK_EQ(load(&f), 0);
	CHECK_EQ(f.err[0], 0);

	const struct guest_mem *m = &f.mem;
	struct boot_params *bp = guest_ptr(m, BOOT_PARAMS_ADDR, sizeof(*bp));
	uint8_t *kern = guest_ptr(m, BZ_PREF, BZ_KERNEL_SIZE);
	CHECK(bp && kern);
	if (!bp || !kern)
		goto out;
	CHECK_EQ(f.regs.entry, BOOT_ENTRY_LINUX64);
	CHECK_EQ(f.regs.rip, BZ_PREF + 0x200);
	CHECK_EQ(f.regs.rsi, BOOT_PARAMS_ADDR);
	CHECK_EQ(f.regs.kernel_start, BZ_PREF);
	CHECK_EQ(f.regs.kernel_end, BZ_PREF + BZ_INIT_SIZE);
	CHECK_EQ(memcmp(kern, img + BZ_SETUP_SIZE, BZ_KERNEL_SIZE), 0);

	CHECK_EQ(bp->hdr.boot_flag, 0xaa55);
	CHECK_EQ(bp->hdr.header, 0x53726448);
	CHECK_EQ(bp->hdr.version, 0x20f);
	CHECK_EQ(bp->hdr.init_size, BZ_INIT_SIZE);
	CHECK_EQ(bp->hdr.handover_offset, 0);
	CHECK_EQ(bp->hdr.setup_data, 0);
	CHECK_EQ(bp->hdr.type_of_loader, 0xff);
	CHECK_EQ(bp->hdr.loadflags & (LOADED_HIGH | CAN_USE_HEAP), LOADED_HIGH | CAN_USE_HEAP);
	CHECK(bp->hdr.heap_end_ptr != 0);
	CHECK_EQ(bp->acpi_rsdp_addr, ACPI_TABLES_ADDR);
	uint64_t cl = bp->hdr.cmd_line_ptr | (uint64_t)bp->ext_cmd_line_ptr << 32;
	const char *cmd = guest_ptr(m, cl, strlen(f.cfg.cmdline) + 1);
	CHECK(cmd && strcmp(cmd, f.cfg.cmdline) == 0);

	uint64_t rdaddr = bp->hdr.ramdisk_image | (uint64_t)bp->ext_ramdisk_image << 32;
	uint64_t rdsize = bp->hdr.ramdisk_size | (uint64_t)bp->ext_ramdisk_size << 32;
	uint64_t rdlimit = m->low_size < 0x80000000ULL ? m->low_size : 0x80000000ULL;
	CHECK_EQ(rdsize, rd_size);
	CHECK_EQ(rdaddr, f.regs.initrd_start);
	CHECK_EQ(rdaddr % 4096, 0);
	CHECK(rdaddr >= f.regs.kernel_end);
	CHECK(rdaddr + rdsize <= rdlimit &&
	      rdaddr + rdsize + 4096 > rdlimit); /* as high as it goes */
	const uint8_t *grd = guest_ptr(m, rdaddr, rdsize);
	CHECK(grd && memcmp(grd, rd, rd_size) == 0);
	check_e820(bp->e820_table, bp->e820_entries, m);

	/* Long mode with the identity map the 64-bit entry requires. */
	CHECK_EQ(f.regs.cr0 & 0x80000031, 0x80000031); /* PG, NE, ET, PE */
	CHECK_EQ(f.regs.cr4 & 0x20, 0x20);	       /* PAE */
	CHECK_EQ(f.regs.efer & 0x500, 0x500);	       /* LMA, LME */
	CHECK_EQ(f.regs.cr3, PML4_ADDR);
	CHECK_EQ(f.regs.rflags & 0x200, 0); /* IF clear */
	CHECK_EQ(f.regs.rflags & 2, 2);
	static const uint64_t probes[] = {
	    0, BOOT_PARAMS_ADDR, CMDLINE_ADDR, BZ_PREF + 0x200, 0xbfffffff, 0xfee00123, 0xffffffff};
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		CHECK_EQ(translate(m, f.regs.cr3, probes[i]), probes[i]);
	CHECK_EQ(translate(m, f.regs.cr3, 0x100000000ULL), -1);

	/* Segments: __BOOT_CS/__BOOT_DS, flat, and the GDT says the same. */
	const uint64_t *gdt = guest_ptr(m, f.regs.gdt_base, f.regs.gdt_limit + 1ULL);
	CHECK(gdt && f.regs.gdt_base == GDT_ADDR && f.regs.gdt_limit >= 0x1f);
	CHECK(f.regs.cs.selector == 0x10 && f.regs.cs.l == 1 && f.regs.cs.db == 0);
	CHECK(f.regs.cs.present && f.regs.cs.s && (f.regs.cs.type & 0xa) == 0xa);
	CHECK(f.regs.ds.selector == 0x18 && f.regs.ss.selector == 0x18 &&
	      f.regs.es.selector == 0x18);
	CHECK((f.regs.ds.type & 0xa) == 2 && f.regs.ds.present && f.regs.ds.limit == 0xffffffff);
	CHECK(f.regs.tr.present && f.regs.tr.s == 0 && f.regs.tr.type == 11);
	CHECK(f.regs.cs.dpl == 0 && f.regs.ds.dpl == 0 && f.regs.tr.dpl == 0);
	CHECK(f.regs.fs.selector == 0x18 && f.regs.gs.selector == 0x18);
	/* The GDT's limit covers the TSS descriptor, 16 bytes in long mode. */
	CHECK(f.regs.gdt_limit >= f.regs.tr.selector + 15);
	if (gdt) {
		CHECK_EQ(gdt[2], 0x00af9b000000ffffULL); /* 64-bit code, DPL 0 */
		CHECK_EQ(gdt[3], 0x00cf93000000ffffULL); /* flat data */
	}
out:
	free(rd);
	guest_mem_destroy(&f.mem);
}

/*
 * Without an initrd the loader still owns ramdisk_image/size: a file with
 * junk there must not hand the kernel an initrd that is not in RAM. The same
 * for the platform (hardware_subarch) and the loader version fields.
 */
static void test_bzimage_loader_fields(void)
{
	static uint8_t img[BZ_SIZE];
	struct boot_params *bp;
	struct fixture f;

	bz_build(img);
	bz_hdr(img)->ramdisk_image = 0x3000000;
	bz_hdr(img)->ramdisk_size = 0x100000;
	bz_hdr(img)->hardware_subarch = 2; /* X86_SUBARCH_XEN */
	bz_hdr(img)->hardware_subarch_data = 0x1234;
	bz_hdr(img)->ext_loader_ver = 7;
	bz_hdr(img)->ext_loader_type = 9;
	fixture_init(&f, 64 * MiB, img, sizeof(img));
	f.cfg.initrd = img; /* an empty initrd is no initrd */
	f.cfg.initrd_size = 0;
	CHECK_EQ(load(&f), 0);
	bp = guest_ptr(&f.mem, BOOT_PARAMS_ADDR, sizeof(*bp));
	CHECK(bp != NULL);
	if (bp) {
		CHECK_EQ(bp->hdr.ramdisk_image, 0);
		CHECK_EQ(bp->hdr.ramdisk_size, 0);
		CHECK_EQ(bp->ext_ramdisk_image, 0);
		CHECK_EQ(bp->ext_ramdisk_size, 0);
		CHECK_EQ(bp->hdr.hardware_subarch, 0);
		CHECK_EQ(bp->hdr.hardware_subarch_data, 0);
		CHECK_EQ(bp->hdr.ext_loader_ver, 0);
		CHECK_EQ(bp->hdr.ext_loader_type, 0);
	}
	CHECK_EQ(f.regs.initrd_start, 0);
	guest_mem_destroy(&f.mem);
}

static void test_bzimage_placement(void)
{
	static uint8_t img[BZ_SIZE];
	struct fixture f;
	uint8_t *rd = make_initrd(8 * MiB + 1);

	/*
	 * pref_address beyond RAM: refused, relocatable or not. A relocatable
	 * kernel loaded lower would move itself up to pref_address and run past
	 * the end of RAM (and over an initrd placed above where it was loaded).
	 */
	bz_build(img);
	bz_hdr(img)->pref_address = 1ULL << 30;
	bz_hdr(img)->kernel_alignment = 4 * MiB;
	fixture_init(&f, 64 * MiB, img, sizeof(img));
	EXPECT_ERROR(&f, KNAME, "kernel runs at 0x40000000 (pref_address)");
	bz_hdr(img)->relocatable_kernel = 0;
	EXPECT_ERROR(&f, KNAME, "init_size");
	bz_hdr(img)->relocatable_kernel = 1;
	/* 64 MiB + init_size (32 MiB) does not fit 90 MiB, though 16 MiB + init_size would. */
	bz_hdr(img)->pref_address = 64 * MiB;
	guest_mem_destroy(&f.mem);
	fixture_init(&f, 90 * MiB, img, sizeof(img));
	f.cfg.initrd = rd;
	f.cfg.initrd_size = 4 * MiB;
	EXPECT_ERROR(&f, KNAME, "more than 90 MiB of RAM allows");
	/* It runs at pref_address rounded up to kernel_alignment; the initrd goes above that. */
	bz_hdr(img)->pref_address = 17 * MiB;
	CHECK_EQ(load(&f), 0);
	CHECK_EQ(f.regs.rip, 20 * MiB + 0x200);
	CHECK(f.regs.initrd_start >= 20 * MiB + BZ_INIT_SIZE);
	/* A pref_address below 1 MiB, where nothing loads, gives way to 16 MiB. */
	bz_hdr(img)->pref_address = 0;
	CHECK_EQ(load(&f), 0);
	CHECK_EQ(f.regs.rip, 16 * MiB + 0x200);
	/* An alignment that would carry pref_address past 2^64 is refused, not wrapped to 0. */
	bz_hdr(img)->pref_address = UINT64_MAX - 4095;
	EXPECT_ERROR(&f, KNAME, "pref_address");
	f.cfg.initrd = NULL;
	f.cfg.initrd_size = 0;
	bz_hdr(img)->relocatable_kernel = 1;
	bz_hdr(img)->kernel_alignment = 3 * MiB;
	EXPECT_ERROR(&f, KNAME, "kernel_alignment");
	guest_mem_destroy(&f.mem);

	/* initrd_addr_max caps the initrd below the top of RAM. */
	bz_build(img);
	bz_hdr(img)->initrd_addr_max = 0x37ffffff;
	fixture_init(&f, 1024 * MiB, img, sizeof(img));
	f.cfg.initrd = rd;
	f.cfg.initrd_size = 4 * MiB;
	CHECK_EQ(load(&f), 0);
	CHECK_EQ(f.regs.initrd_start, 0x38000000 - 4 * MiB);
	/* Between the kernel's footprint and the cap there are only 8 MiB. */
	bz_hdr(img)->initrd_addr_max = BZ_PREF + BZ_INIT_SIZE + 8 * MiB - 1;
	f.cfg.initrd_size = 8 * MiB;
	CHECK_EQ(load(&f), 0);
	CHECK_EQ(f.regs.initrd_start, BZ_PREF + BZ_INIT_SIZE);
	f.cfg.initrd_size = 8 * MiB + 1;
	EXPECT_ERROR(&f, RNAME, "does not fit");
	guest_mem_destroy(&f.mem);
	free(rd);
}

static void test_bzimage_errors(void)
{
	static uint8_t img[BZ_SIZE];
	struct fixture f;
	char longcmd[2100];

	bz_build(img);
	fixture_init(&f, 256 * MiB, img, sizeof(img));

	f.cfg.kernel_size = 0;
	EXPECT_ERROR(&f, KNAME, "empty");
	static const size_t cuts[] = {1, 4, 0x1f0, 0x1ff, 0x203, 0x26b, BZ_SETUP_SIZE};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		f.cfg.kernel_size = cuts[i];
		EXPECT_ERROR(&f, KNAME, cuts[i] < 0x26c ? "too short" : "past the end");
	}
	f.cfg.kernel_size = sizeof(img);

	uint8_t *rnd = malloc(BZ_SIZE);
	srand(7);
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < BZ_SIZE; i++)
			rnd[i] = (uint8_t)rand();
		f.cfg.kernel = rnd;
		EXPECT_ERROR(&f, KNAME, "not a bzImage");
	}
	free(rnd);
	f.cfg.kernel = img;

	bz_hdr(img)->boot_flag = 0x55aa;
	EXPECT_ERROR(&f, KNAME, "boot flag");
	bz_build(img);
	bz_hdr(img)->header = 0x53726449;
	EXPECT_ERROR(&f, KNAME, "HdrS");
	bz_build(img);
	bz_hdr(img)->version = 0x20b;
	EXPECT_ERROR(&f, KNAME, "2.11 is too old");
	bz_build(img);
	bz_hdr(img)->jump = 0xeb | (0x40 << 8);
	EXPECT_ERROR(&f, KNAME, "setup header ends");
	bz_build(img);
	bz_hdr(img)->xloadflags = XLF_CAN_BE_LOADED_ABOVE_4G;
	EXPECT_ERROR(&f, KNAME, "XLF_KERNEL_64");
	bz_build(img);
	bz_hdr(img)->loadflags = 0;
	EXPECT_ERROR(&f, KNAME, "LOADED_HIGH");
	bz_build(img);
	bz_hdr(img)->setup_sects = 200;
	EXPECT_ERROR(&f, KNAME, "past the end");
	bz_build(img);
	bz_hdr(img)->init_size = 0;
	EXPECT_ERROR(&f, KNAME, "init_size");
	bz_hdr(img)->init_size = 512 * MiB;
	EXPECT_ERROR(&f, KNAME, "init_size");
	bz_hdr(img)->init_size = 240 * MiB; /* 16 MiB + 240 MiB is exactly 256 MiB */
	CHECK_EQ(load(&f), 0);

	bz_build(img);
	memset(longcmd, 'x', sizeof(longcmd) - 1);
	longcmd[sizeof(longcmd) - 1] = '\0';
	longcmd[2047] = '\0';
	f.cfg.cmdline = longcmd;
	CHECK_EQ(load(&f), 0);
	longcmd[2047] = 'x';
	longcmd[2048] = '\0';
	EXPECT_ERROR(&f, KNAME, "at most 2047");
	f.cfg.cmdline = NULL;
	CHECK_EQ(load(&f), 0);

	/* 300 MiB of initrd in 256 MiB: the loader must refuse before reading it. */
	size_t big = 300 * MiB;
	uint8_t *rd =
	    mmap(NULL, big, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(rd != MAP_FAILED);
	f.cfg.initrd = rd;
	f.cfg.initrd_size = big;
	EXPECT_ERROR(&f, RNAME, "300 MiB initrd does not fit");
	munmap(rd, big);
	guest_mem_destroy(&f.mem);

	fixture_init(&f, 1 * MiB, img, sizeof(img));
	EXPECT_ERROR(&f, KNAME, "too small");
	guest_mem_destroy(&f.mem);
}

/* The header checks' boundaries, each on an otherwise valid image. */
static void test_bzimage_edges(void)
{
	static uint8_t img[BZ_SIZE];
	struct fixture f;
	const uint8_t *kern;

	bz_build(img);
	fixture_init(&f, 256 * MiB, img, sizeof(img));
	bz_hdr(img)->version = 0x20c; /* 2.12, the oldest taken */
	CHECK_EQ(load(&f), 0);
	/* setup_sects 0 means 4. */
	bz_build(img);
	bz_hdr(img)->setup_sects = 0;
	CHECK_EQ(load(&f), 0);
	kern = guest_ptr(&f.mem, BZ_PREF, BZ_KERNEL_SIZE);
	CHECK(kern && memcmp(kern, img + BZ_SETUP_SIZE, BZ_KERNEL_SIZE) == 0);
	/* syssize promises 16 bytes more than the file holds. */
	bz_build(img);
	bz_hdr(img)->syssize++;
	EXPECT_ERROR(&f, KNAME, "truncated");
	bz_build(img);
	bz_hdr(img)->kernel_alignment = 0;
	EXPECT_ERROR(&f, KNAME, "kernel_alignment");
	bz_hdr(img)->kernel_alignment = 1U << 31; /* a power of two, above 1 GiB */
	EXPECT_ERROR(&f, KNAME, "kernel_alignment");
	/* Past 2^64 when aligned: reported as is, not wrapped to 0. */
	bz_build(img);
	bz_hdr(img)->pref_address = UINT64_MAX - 4095;
	EXPECT_ERROR(&f, KNAME, "runs at 0xffffffffffffffff");
	/* A relocatable kernel preferring 1 MiB exactly stays there, aligned up. */
	bz_build(img);
	bz_hdr(img)->pref_address = HIMEM_START;
	CHECK_EQ(load(&f), 0);
	CHECK_EQ(f.regs.rip, 2 * MiB + 0x200);
	/* A non-relocatable one runs at pref_address as it is: 1 MiB, or not aligned. */
	bz_hdr(img)->relocatable_kernel = 0;
	CHECK_EQ(load(&f), 0);
	CHECK_EQ(f.regs.rip, HIMEM_START + 0x200);
	bz_hdr(img)->pref_address = 17 * MiB;
	CHECK_EQ(load(&f), 0);
	CHECK_EQ(f.regs.rip, 17 * MiB + 0x200);
	guest_mem_destroy(&f.mem);
}

/*
 * layout: the notes' alignment; p_align: the PT_NOTE's, which ld makes 8
 * beside a .note.gnu.property also where Linux's own notes are 4-aligned.
 */
static void test_elf_valid(unsigned entry_size, unsigned layout, unsigned p_align)
{
	static uint8_t img[ELF_SIZE];
	struct fixture f;
	uint8_t *rd = make_initrd(3 * MiB);

	elf_build_notes(img, entry_size, layout);
	elf_phdr(img, 2)->p_align = p_align;
	fixture_init(&f, 256 * MiB, img, sizeof(img));
	f.cfg.initrd = rd;
	f.cfg.initrd_size = 3 * MiB;
	/* Stale bytes where bss goes: the loader must clear them. */
	memset(guest_ptr(&f.mem, ELF_TEXT_PA, ELF_TEXT_MEM), 0xaa, ELF_TEXT_MEM);
	CHECK_EQ(load(&f), 0);
	CHECK_EQ(f.err[0], 0);

	const struct guest_mem *m = &f.mem;
	const uint8_t *text = guest_ptr(m, ELF_TEXT_PA, ELF_TEXT_MEM);
	const uint8_t *data = guest_ptr(m, ELF_DATA_PA, ELF_DATA_SIZE);
	CHECK(text && memcmp(text, img + ELF_TEXT_OFF, ELF_TEXT_FILE) == 0);
	CHECK(data && memcmp(data, img + ELF_DATA_OFF, ELF_DATA_SIZE) == 0);
	int bss_clear = 1;
	for (size_t i = ELF_TEXT_FILE; text && i < ELF_TEXT_MEM; i++)
		bss_clear &= text[i] == 0;
	CHECK(bss_clear);

	CHECK_EQ(f.regs.entry, BOOT_ENTRY_PVH32);
	CHECK_EQ(f.regs.rip, ELF_ENTRY);
	CHECK_EQ(f.regs.rbx, PVH_INFO_ADDR);
	CHECK_EQ(f.regs.kernel_start, ELF_TEXT_PA);
	CHECK_EQ(f.regs.kernel_end, ELF_DATA_PA + ELF_DATA_SIZE);
	CHECK_EQ(f.regs.cr0 & 0x80000001, 1); /* PE, no PG */
	CHECK_EQ(f.regs.efer, 0);
	CHECK_EQ(f.regs.cr4, 0);
	CHECK_EQ(f.regs.rflags & 0x200, 0);
	CHECK(f.regs.cs.db == 1 && f.regs.cs.l == 0 && f.regs.cs.limit == 0xffffffff &&
	      f.regs.cs.base == 0 && (f.regs.cs.type & 0xa) == 0xa && f.regs.cs.present);
	CHECK(f.regs.ds.db == 1 && f.regs.ds.limit == 0xffffffff && (f.regs.ds.type & 0xa) == 2);
	CHECK(f.regs.ss.selector == f.regs.ds.selector && f.regs.es.selector == f.regs.ds.selector);
	const uint64_t *gdt = guest_ptr(m, f.regs.gdt_base, f.regs.gdt_limit + 1ULL);
	CHECK(gdt && f.regs.cs.selector < f.regs.gdt_limit);
	if (gdt)
		CHECK_EQ(gdt[f.regs.cs.selector / 8], 0x00cf9b000000ffffULL); /* 32-bit code */

	const struct hvm_start_info *si = guest_ptr(m, f.regs.rbx, sizeof(*si));
	CHECK(si != NULL);
	if (!si)
		goto out;
	CHECK_EQ(si->magic, 0x336ec578);
	CHECK_EQ(si->version, 1);
	CHECK_EQ(si->rsdp_paddr, ACPI_TABLES_ADDR);
	const char *cmd = guest_ptr(m, si->cmdline_paddr, strlen(f.cfg.cmdline) + 1);
	CHECK(cmd && strcmp(cmd, f.cfg.cmdline) == 0);
	CHECK_EQ(si->nr_modules, 1);
	const struct hvm_modlist_entry *mod = guest_ptr(m, si->modlist_paddr, sizeof(*mod));
	CHECK(mod && mod->size == 3 * MiB && mod->paddr % 4096 == 0 &&
	      mod->paddr >= f.regs.kernel_end);
	const uint8_t *grd = mod ? guest_ptr(m, mod->paddr, mod->size) : NULL;
	CHECK(grd && memcmp(grd, rd, 3 * MiB) == 0);
	const struct hvm_memmap_table_entry *mm =
	    guest_ptr(m, si->memmap_paddr, si->memmap_entries * sizeof(*mm));
	CHECK(mm != NULL);
	struct boot_e820_entry t[8];
	for (unsigned i = 0; mm && i < si->memmap_entries && i < 8; i++)
		t[i] = (struct boot_e820_entry){mm[i].addr, mm[i].size, mm[i].type};
	if (mm)
		check_e820(t, si->memmap_entries, m);
out:
	free(rd);
	guest_mem_destroy(&f.mem);
}

static void test_elf_errors(void)
{
	static uint8_t img[ELF_SIZE];
	struct fixture f;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;

	elf_build(img, 8);
	fixture_init(&f, 256 * MiB, img, sizeof(img));
	static const size_t cuts[] = {4, 63, 100, ELF_TEXT_OFF + 1, ELF_SIZE - 1};
	static const char *const why[] = {"too short", "too short", "program headers",
					  "past the end", "past the end"};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		f.cfg.kernel_size = cuts[i];
		EXPECT_ERROR(&f, KNAME, why[i]);
	}
	f.cfg.kernel_size = sizeof(img);

	/* No cmdline_size in an ELF kernel: x86 Linux's 2048 bytes, NUL included, hold. */
	static char longcmd[2100];
	memset(longcmd, 'x', 2047);
	f.cfg.cmdline = longcmd;
	CHECK_EQ(load(&f), 0);
	longcmd[2047] = 'x';
	EXPECT_ERROR(&f, KNAME, "at most 2047");
	f.cfg.cmdline = NULL;

	eh->e_ident[EI_CLASS] = ELFCLASS32;
	EXPECT_ERROR(&f, KNAME, "not a 64-bit ELF");
	elf_build(img, 8);
	eh->e_ident[EI_DATA] = ELFDATA2MSB;
	EXPECT_ERROR(&f, KNAME, "little-endian");
	elf_build(img, 8);
	eh->e_machine = EM_386;
	EXPECT_ERROR(&f, KNAME, "not an x86-64 ELF");
	elf_build(img, 8);
	eh->e_type = ET_DYN;
	EXPECT_ERROR(&f, KNAME, "ET_EXEC");
	elf_build(img, 8);
	eh->e_phnum = 0xffff;
	EXPECT_ERROR(&f, KNAME, "65535 program headers");
	eh->e_phnum = 0;
	EXPECT_ERROR(&f, KNAME, "0 program headers");
	elf_build(img, 8);
	eh->e_phentsize = 32;
	EXPECT_ERROR(&f, KNAME, "entries are 32 bytes");
	elf_build(img, 8);
	eh->e_phoff = ELF_SIZE - 8;
	EXPECT_ERROR(&f, KNAME, "program headers at");
	eh->e_phoff = ~0ULL;
	EXPECT_ERROR(&f, KNAME, "program headers at");

	elf_build(img, 8);
	elf_phdr(img, 1)->p_offset = ELF_SIZE - 0x100;
	EXPECT_ERROR(&f, KNAME, "segment 1");
	elf_build(img, 8);
	elf_phdr(img, 1)->p_filesz = ~0ULL - 0x10;
	EXPECT_ERROR(&f, KNAME, "past the end");
	elf_build(img, 8);
	elf_phdr(img, 2)->p_offset = ELF_SIZE;
	EXPECT_ERROR(&f, KNAME, "segment 2");
	elf_build(img, 8);
	elf_phdr(img, 0)->p_memsz = ELF_TEXT_FILE - 1;
	EXPECT_ERROR(&f, KNAME, "larger than its memory size");

	static const uint64_t bad_pa[] = {0x1000, HIMEM_START - 1, 256 * MiB - 0x1000, 1ULL << 32,
					  ~0ULL - 0xfff};
	for (size_t i = 0; i < sizeof(bad_pa) / sizeof(bad_pa[0]); i++) {
		elf_build(img, 8);
		elf_phdr(img, 1)->p_paddr = bad_pa[i];
		EXPECT_ERROR(&f, KNAME, "outside RAM");
	}
	elf_build(img, 8);
	elf_phdr(img, 1)->p_memsz = ~0ULL;
	EXPECT_ERROR(&f, KNAME, "outside RAM");

	char *huge = malloc(COMMAND_LINE_MAX + 1);
	memset(huge, 'x', COMMAND_LINE_MAX);
	huge[COMMAND_LINE_MAX] = '\0';
	elf_build(img, 8);
	f.cfg.cmdline = huge;
	EXPECT_ERROR(&f, "command line", "buffer");
	f.cfg.cmdline = NULL;
	free(huge);

	elf_build(img, 0);
	EXPECT_ERROR(&f, KNAME, "no PVH entry note");
	elf_build(img, 8);
	elf_phdr(img, 2)->p_type = PT_NULL;
	EXPECT_ERROR(&f, KNAME, "no PVH entry note");
	elf_build(img, 8);
	elf_phdr(img, 0)->p_type = PT_NULL;
	elf_phdr(img, 1)->p_type = PT_NULL;
	EXPECT_ERROR(&f, KNAME, "no loadable segment");
	elf_build(img, 8);
	elf_phdr(img, 0)->p_paddr = 64 * MiB; /* the entry now points at nothing loaded */
	EXPECT_ERROR(&f, KNAME, "not inside a loaded segment");
	guest_mem_destroy(&f.mem);
}

/* Rewrites the PVH note's 8-byte value that elf_build(img, 8) wrote. */
static void elf_set_entry(uint8_t *img, uint64_t v)
{
	uint64_t e = ELF_ENTRY;

	for (size_t off = ELF_NOTE_OFF; off + 8 <= ELF_TEXT_OFF; off += 4)
		if (memcmp(img + off, &e, 8) == 0) {
			memcpy(img + off, &v, 8);
			return;
		}
	CHECK(!"PVH note not found");
}

static void test_elf_edges(void)
{
	static uint8_t img[ELF_SIZE];
	struct fixture f;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;

	elf_build(img, 8);
	fixture_init(&f, 256 * MiB, img, sizeof(img));
	/* Segments may start at 1 MiB and end at the end of RAM. */
	elf_phdr(img, 1)->p_paddr = HIMEM_START;
	CHECK_EQ(load(&f), 0);
	CHECK_EQ(f.regs.kernel_start, HIMEM_START);
	elf_phdr(img, 1)->p_paddr = 256 * MiB - ELF_DATA_SIZE;
	CHECK_EQ(load(&f), 0);
	CHECK_EQ(f.regs.kernel_end, 256 * MiB);
	/* An empty PT_LOAD (at the end of the file and of RAM) loads nothing and moves nothing. */
	elf_build(img, 8);
	*elf_phdr(img, 1) =
	    (Elf64_Phdr){.p_type = PT_LOAD, .p_offset = ELF_SIZE, .p_paddr = 256 * MiB};
	CHECK_EQ(load(&f), 0);
	CHECK_EQ(f.regs.kernel_start, ELF_TEXT_PA);
	CHECK_EQ(f.regs.kernel_end, ELF_TEXT_PA + ELF_TEXT_MEM);
	/* The entry must be in a segment's file bytes, not in its bss. */
	elf_build(img, 8);
	elf_phdr(img, 0)->p_filesz = ELF_ENTRY - ELF_TEXT_PA;
	EXPECT_ERROR(&f, KNAME, "not inside a loaded segment");
	/* The note's value: a non-zero 32-bit address, all 8 bytes of it. */
	elf_build(img, 8);
	elf_set_entry(img, ELF_ENTRY | 1ULL << 32);
	EXPECT_ERROR(&f, KNAME, "not a 32-bit physical address");
	elf_build(img, 8);
	elf_set_entry(img, 0);
	EXPECT_ERROR(&f, KNAME, "PVH entry 0x0 is not");
	/* 64 program headers are taken, 65 are not. */
	elf_build(img, 8);
	memset(img + ELF_DATA_OFF, 0, 64 * sizeof(Elf64_Phdr)); /* PT_NULL */
	memcpy(img + ELF_DATA_OFF, elf_phdr(img, 0), ELF_PHNUM * sizeof(Elf64_Phdr));
	eh->e_phoff = ELF_DATA_OFF;
	eh->e_phnum = 64;
	CHECK_EQ(load(&f), 0);
	eh->e_phnum = 65;
	EXPECT_ERROR(&f, KNAME, "65 program headers");
	guest_mem_destroy(&f.mem);
}

/*
 * Random corruption of valid images: whatever the loader decides, it must not
 * crash (the sanitizers watch) and a refusal must come with a message.
 */
static void fuzz(uint8_t *img, size_t size, void (*build)(uint8_t *), size_t hdr_start,
		 size_t hdr_end, unsigned rounds, unsigned seed)
{
	uint8_t *copy = calloc(1, size);
	struct fixture f;
	unsigned ok = 0, bad = 0, silent = 0;

	fixture_init(&f, 128 * MiB, copy, size);
	srand(seed);
	build(img);
	for (unsigned r = 0; r < rounds; r++) {
		memcpy(copy, img, size);
		int flips = 1 + rand() % 8;
		for (int i = 0; i < flips; i++) {
			/* Half of them in the headers, where the decisions are made. */
			size_t at = rand() % 2 ? hdr_start + (size_t)rand() % (hdr_end - hdr_start)
					       : (size_t)rand() % size;
			copy[at] = rand() % 3 ? (uint8_t)rand() : (uint8_t)(rand() % 2 ? 0 : 0xff);
		}
		f.cfg.kernel_size = rand() % 8 ? size : (size_t)rand() % size;
		int ret = load(&f);
		if (ret == 0)
			ok++;
		else if (ret < 0 && f.err[0])
			bad++;
		else
			silent++;
	}
	CHECK_EQ(silent, 0);
	CHECK_EQ(ok + bad, rounds);
	CHECK(bad > 0 || rounds == 0);
	printf("fuzz: %u accepted, %u rejected\n", ok, bad);
	free(copy);
	guest_mem_destroy(&f.mem);
}

static void build_elf(uint8_t *img)
{
	elf_build(img, 8);
}

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!fp || fseek(fp, 0, SEEK_END) || (n = ftell(fp)) <= 0 || fseek(fp, 0, SEEK_SET) ||
	    !(buf = malloc(n)) || fread(buf, 1, n, fp) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(fp);
	*size = n;
	return buf;
}

/* Real images: a bzImage takes its 64-bit entry, a vmlinux its PVH entry, both with an initrd. */
static void test_real(const char *path, enum boot_entry want)
{
	size_t size;
	uint8_t *img = read_file(path, &size);
	uint8_t *rd = make_initrd(4 * MiB);
	struct fixture f;

	fixture_init(&f, 512 * MiB, img, size);
	f.cfg.kernel_name = path;
	f.cfg.initrd = rd;
	f.cfg.initrd_size = 4 * MiB;
	int ret = load(&f);
	if (ret)
		fprintf(stderr, "%s\n", f.err);
	CHECK_EQ(ret, 0);
	CHECK_EQ(f.regs.entry, want);
	CHECK(f.regs.kernel_start >= HIMEM_START && f.regs.kernel_end > f.regs.kernel_start);
	CHECK(f.regs.rip >= f.regs.kernel_start && f.regs.rip < f.regs.kernel_end);
	CHECK(f.regs.initrd_start >= f.regs.kernel_end);
	printf("%s: entry %s rip 0x%llx kernel [0x%llx, 0x%llx) initrd 0x%llx\n", path,
	       want == BOOT_ENTRY_LINUX64 ? "64-bit" : "PVH", (unsigned long long)f.regs.rip,
	       (unsigned long long)f.regs.kernel_start, (unsigned long long)f.regs.kernel_end,
	       (unsigned long long)f.regs.initrd_start);
	guest_mem_destroy(&f.mem);
	free(rd);
	free(img);
}

int main(int argc, char **argv)
{
	static uint8_t bz[BZ_SIZE], elf[ELF_SIZE];
	const char *env = getenv("TEST_BOOT_FUZZ_ROUNDS");
	unsigned rounds = env ? (unsigned)strtoul(env, NULL, 0) : 3000;

	if (argc > 1) {
		test_real(argv[1], BOOT_ENTRY_LINUX64);
		if (argc > 2)
			test_real(argv[2], BOOT_ENTRY_PVH32);
		return check_summary("test_boot (real images)");
	}
	test_bzimage_valid(256);
	test_bzimage_valid(5120); /* RAM above 4 GiB */
	test_bzimage_placement();
	test_bzimage_loader_fields();
	test_bzimage_errors();
	test_bzimage_edges();
	test_elf_valid(8, 4, 4);
	test_elf_valid(4, 4, 4);
	test_elf_valid(8, 4, 8);
	test_elf_valid(8, 8, 8);
	test_elf_errors();
	test_elf_edges();
	fuzz(bz, sizeof(bz), bz_build, BZ_HDR, BZ_HDR + sizeof(struct setup_header), rounds, 1);
	fuzz(elf, sizeof(elf), build_elf, 0, ELF_NOTE_OFF + 0x80, rounds, 2);
	return check_summary("test_boot");
}
