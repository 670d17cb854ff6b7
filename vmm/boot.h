/* SPDX-License-Identifier: MIT */
/*
 * Kernel loaders: a bzImage through the x86 64-bit boot protocol, or an ELF
 * vmlinux through its PVH entry note. boot_load() checks the image, writes it
 * and its boot structures into guest RAM (only through guest_ptr()) and hands
 * back vCPU 0's first register state as plain data, so the parsers can be
 * tested on malformed images without /dev/kvm.
 */
#ifndef SNVMM_BOOT_H
#define SNVMM_BOOT_H

#include "guest_mem.h"
#include "layout.h"

#include <stddef.h>
#include <stdint.h>

struct boot_config {
	const uint8_t *kernel;
	size_t kernel_size;
	const char *kernel_name; /* for error messages; NULL reads "kernel" */
	const uint8_t *initrd;	 /* optional: NULL or initrd_size 0 means none */
	size_t initrd_size;
	const char *initrd_name;
	const char *cmdline; /* complete command line; NULL means empty */
	uint64_t rsdp_addr;  /* ACPI RSDP, 0 if none (the kernel then scans the BIOS area) */
};

enum boot_entry {
	BOOT_ENTRY_LINUX64 = 1, /* bzImage 64-bit entry: long mode, rsi = boot_params */
	BOOT_ENTRY_PVH32,	/* PVH: 32-bit protected mode, paging off, ebx = start_info */
};

/* Field names follow struct kvm_segment so vcpu.c can copy them one for one. */
struct boot_seg {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type, present, dpl, db, s, l, g;
};

struct boot_regs {
	enum boot_entry entry;
	/* General registers; every one not listed here starts at 0. */
	uint64_t rip, rsp, rsi, rbx, rflags;
	uint64_t cr0, cr3, cr4, efer;
	struct boot_seg cs, ds, es, fs, gs, ss, tr;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	/* Where things went: not needed to boot; the loader tests and fuzz_boot.c check them. */
	uint64_t kernel_start, kernel_end; /* kernel_end includes its init-time footprint */
	uint64_t initrd_start, initrd_size;
};

/*
 * Loads cfg's kernel (and initrd, command line) into mem and fills *regs.
 * Returns 0, or -errno with one line in err naming the file and the problem;
 * guest RAM may then hold a partial image and must not be run.
 */
int boot_load(const struct guest_mem *mem, const struct boot_config *cfg, struct boot_regs *regs,
	      char *err, size_t errlen);

/*
 * GDT, segments, control registers (and for long mode the 0..4 GiB identity
 * map) of each entry path, without rip/rsi/rbx; also usable for micro-guests.
 * They set regs->entry and return 0, or -ERANGE if RAM is too small.
 */
int boot_x86_long_mode(const struct guest_mem *mem, struct boot_regs *regs);
int boot_x86_protected_mode(const struct guest_mem *mem, struct boot_regs *regs);

/* ---- Shared by vmm/boot*.c only (and the unit tests). ---- */

struct boot_e820 {
	uint64_t addr, size;
	uint32_t type; /* E820_RAM or E820_RESERVED */
};
#define BOOT_E820_MAX 4

/* The guest's memory map, identical for both entry paths; returns the entry count. */
unsigned boot_e820_map(const struct guest_mem *mem, struct boot_e820 map[BOOT_E820_MAX]);

/*
 * PVH start-of-day structures (Xen public/arch-x86/hvm/start_info.h, version 1);
 * little-endian, 64-bit fields naturally aligned.
 */
#define HVM_START_MAGIC_VALUE 0x336ec578
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* version 1 from here on */
	uint32_t memmap_entries;
	uint32_t reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};
struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* same numbers as e820 */
	uint32_t reserved;
};
/* The module list and memory map share the start_info page. */
#define PVH_MODLIST_ADDR (PVH_INFO_ADDR + 0x40)
#define PVH_MEMMAP_ADDR	 (PVH_INFO_ADDR + 0x80)

/* Formats "NAME: message" into err and returns -errnum. */
int boot_fail(char *err, size_t errlen, const char *name, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Picks the initrd's page-aligned address, as high as possible with its end at
 * or below limit (exclusive) and its start at or above floor.
 */
int boot_place_initrd(const struct guest_mem *mem, const struct boot_config *cfg, uint64_t floor,
		      uint64_t limit, uint64_t *addr, char *err, size_t errlen);

/* Refuses a command line longer than the kernel takes (limit: bytes, without the NUL). */
int boot_check_cmdline(const struct boot_config *cfg, const char *name, uint32_t limit, char *err,
		       size_t errlen);

/* Writes the initrd at addr and the command line at CMDLINE_ADDR. */
int boot_write_initrd_cmdline(const struct guest_mem *mem, const struct boot_config *cfg,
			      uint64_t initrd_addr);

int boot_bzimage(const struct guest_mem *mem, const struct boot_config *cfg, struct boot_regs *regs,
		 char *err, size_t errlen);
int boot_elf(const struct guest_mem *mem, const struct boot_config *cfg, struct boot_regs *regs,
	     char *err, size_t errlen);

#endif
