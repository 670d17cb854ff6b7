// SPDX-License-Identifier: MIT
/*
 * bzImage through the x86 64-bit boot protocol (Documentation/x86/boot.rst):
 * the real-mode setup code is never run; we copy the protected-mode kernel to
 * its load address, fill the zero page the setup code would have filled, and
 * enter at load address + 0x200 in long mode.
 */
#include "boot.h"
#include "layout.h"

#include <asm/bootparam.h>
#include <asm/e820.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#define MiB		 (1ULL << 20)
#define SETUP_HDR_OFF	 0x1f1 /* offsetof(struct boot_params, hdr) */
#define BOOT_FLAG	 0xaa55
#define HDRS_MAGIC	 0x53726448 /* "HdrS" */
#define MIN_PROTOCOL	 0x20c	    /* 2.12: xloadflags */
#define ENTRY64_OFFSET	 0x200
#define RELOC_MIN_ADDR	 (16 * MiB) /* a relocatable kernel whose pref_address is below 1 MiB */
#define HEAP_END	 0xfe00	    /* only the real-mode setup code would use it */
#define MAX_KERNEL_ALIGN (1ULL << 30)

_Static_assert(offsetof(struct boot_params, hdr) == SETUP_HDR_OFF, "setup header offset");

/* The last field this loader needs is init_size (2.10); 2.12's header has more after it. */
#define HDR_MIN_END (SETUP_HDR_OFF + offsetof(struct setup_header, init_size) + 4)
#define HDR_MAX_END (SETUP_HDR_OFF + sizeof(struct setup_header))

struct bz_plan {
	struct setup_header hdr;
	size_t hdr_len;	   /* bytes of the header this kernel defines, copied into boot_params */
	size_t setup_size; /* real-mode part, skipped */
	uint64_t load_addr;
	uint64_t footprint; /* bytes from load_addr the kernel may use while it boots */
	uint64_t initrd_addr;
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int fits_low(const struct guest_mem *mem, uint64_t addr, uint64_t len)
{
	return addr >= HIMEM_START && addr <= mem->low_size && len <= mem->low_size - addr;
}

static int check_header(const struct boot_config *cfg, const char *name, struct bz_plan *p,
			char *err, size_t errlen)
{
	const uint8_t *img = cfg->kernel;
	size_t size = cfg->kernel_size;
	struct setup_header *h = &p->hdr;
	size_t hdr_end;
	unsigned sects;

	if (size < HDR_MAX_END)
		return boot_fail(err, errlen, name, ENOEXEC,
				 "not a bzImage or ELF vmlinux (%zu bytes is too short)", size);
	memcpy(h, img + SETUP_HDR_OFF, sizeof(*h));
	if (h->boot_flag != BOOT_FLAG)
		return boot_fail(
		    err, errlen, name, ENOEXEC,
		    "not a bzImage or ELF vmlinux (boot flag 0x%04x at 0x1fe, expected "
		    "0xaa55)",
		    h->boot_flag);
	if (h->header != HDRS_MAGIC)
		return boot_fail(err, errlen, name, ENOEXEC,
				 "not a bzImage (no HdrS magic at 0x202)");
	if (h->version < MIN_PROTOCOL)
		return boot_fail(err, errlen, name, ENOEXEC,
				 "boot protocol %u.%02u is too old (need 2.12 or later)",
				 h->version >> 8, h->version & 0xff);
	/* The jump at 0x200 skips exactly the header, so its target marks the header's end. */
	hdr_end = 0x202 + img[0x201];
	if (hdr_end < HDR_MIN_END)
		return boot_fail(err, errlen, name, ENOEXEC,
				 "setup header ends at 0x%zx, before the fields of protocol 2.12",
				 hdr_end);
	p->hdr_len = (hdr_end < HDR_MAX_END ? hdr_end : HDR_MAX_END) - SETUP_HDR_OFF;

	sects = h->setup_sects ? h->setup_sects : 4;
	p->setup_size = (size_t)(sects + 1) * 512;
	if (p->setup_size >= size)
		return boot_fail(
		    err, errlen, name, ENOEXEC,
		    "setup code (%u sectors) reaches past the end of the file (%zu bytes)", sects,
		    size);
	/* syssize (16-byte units) is how much protected-mode kernel the file must hold. */
	if ((uint64_t)h->syssize * 16 > size - p->setup_size)
		return boot_fail(err, errlen, name, ENOEXEC,
				 "truncated: the header promises %llu bytes of kernel after the "
				 "setup code, the file has %zu",
				 (unsigned long long)h->syssize * 16, size - p->setup_size);
	if (hdr_end > p->setup_size)
		return boot_fail(err, errlen, name, ENOEXEC,
				 "setup header ends at 0x%zx, past the setup code", hdr_end);
	if (!(h->xloadflags & XLF_KERNEL_64))
		return boot_fail(err, errlen, name, ENOEXEC,
				 "kernel has no 64-bit entry point (XLF_KERNEL_64 not set)");
	if (!(h->loadflags & LOADED_HIGH))
		return boot_fail(err, errlen, name, ENOEXEC,
				 "kernel does not load at 1 MiB or above (LOADED_HIGH not set)");
	if (h->init_size == 0)
		return boot_fail(err, errlen, name, ENOEXEC, "init_size is 0");
	return 0;
}

/*
 * Where the kernel will run, not just where it is put: a relocatable kernel
 * loaded below pref_address moves itself up there before it decompresses
 * (boot protocol: runtime_start = align_up(max(load, pref_address),
 * kernel_alignment)), so loading it lower frees no room; loaded lower in a RAM
 * too small for pref_address + init_size, it would run past the end and over
 * the initrd. Only a pref_address below 1 MiB, where nothing loads, gives way.
 */
static int choose_load_addr(const struct guest_mem *mem, const char *name, struct bz_plan *p,
			    char *err, size_t errlen)
{
	const struct setup_header *h = &p->hdr;
	uint64_t align = h->kernel_alignment;
	uint64_t at = h->pref_address;

	if (h->relocatable_kernel) {
		if (align == 0 || (align & (align - 1)) || align > MAX_KERNEL_ALIGN)
			return boot_fail(
			    err, errlen, name, ENOEXEC,
			    "kernel_alignment 0x%llx is not a power of two up to 1 GiB",
			    (unsigned long long)align);
		if (at < HIMEM_START)
			at = RELOC_MIN_ADDR;
		at = at > UINT64_MAX - align ? UINT64_MAX : align_up(at, align);
	}
	if (fits_low(mem, at, p->footprint)) {
		p->load_addr = at;
		return 0;
	}
	return boot_fail(err, errlen, name, ENOMEM,
			 "kernel runs at 0x%llx (pref_address) and needs %llu MiB (init_size) "
			 "there, more than %llu MiB of RAM allows",
			 (unsigned long long)at,
			 (unsigned long long)align_up(p->footprint, MiB) / MiB,
			 (unsigned long long)(mem->ram_size / MiB));
}

static int write_boot_params(const struct guest_mem *mem, const struct boot_config *cfg,
			     const struct bz_plan *p)
{
	struct boot_params *bp = guest_ptr(mem, BOOT_PARAMS_ADDR, sizeof(*bp));
	struct boot_e820 map[BOOT_E820_MAX];
	unsigned n = boot_e820_map(mem, map);

	if (!bp)
		return -ERANGE;
	memset(bp, 0, sizeof(*bp));
	/* Only the header this kernel defines: bytes past it are setup code, not fields. */
	memcpy(&bp->hdr, cfg->kernel + SETUP_HDR_OFF, p->hdr_len);
	bp->hdr.type_of_loader = 0xff; /* undefined loader */
	/*
	 * Fields the loader owns: what the file holds there means nothing, and
	 * a stale ramdisk_image would send the kernel after an initrd that is
	 * not there, a stale subarch down another platform's boot path.
	 */
	bp->hdr.setup_data = 0;
	bp->hdr.ramdisk_image = bp->hdr.ramdisk_size = 0;
	bp->hdr.hardware_subarch = 0; /* X86_SUBARCH_PC */
	bp->hdr.hardware_subarch_data = 0;
	bp->hdr.ext_loader_ver = bp->hdr.ext_loader_type = 0;
	bp->hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = HEAP_END - 0x200;
	bp->hdr.code32_start = (uint32_t)p->load_addr;
	bp->hdr.cmd_line_ptr = (uint32_t)CMDLINE_ADDR;
	bp->ext_cmd_line_ptr = (uint32_t)(CMDLINE_ADDR >> 32);
	if (p->initrd_addr) {
		bp->hdr.ramdisk_image = (uint32_t)p->initrd_addr;
		bp->ext_ramdisk_image = (uint32_t)(p->initrd_addr >> 32);
		bp->hdr.ramdisk_size = (uint32_t)cfg->initrd_size;
		bp->ext_ramdisk_size = (uint32_t)((uint64_t)cfg->initrd_size >> 32);
	}
	bp->acpi_rsdp_addr = cfg->rsdp_addr;
	for (unsigned i = 0; i < n; i++) {
		bp->e820_table[i].addr = map[i].addr;
		bp->e820_table[i].size = map[i].size;
		bp->e820_table[i].type = map[i].type;
	}
	bp->e820_entries = (uint8_t)n;
	return 0;
}

int boot_bzimage(const struct guest_mem *mem, const struct boot_config *cfg, struct boot_regs *regs,
		 char *err, size_t errlen)
{
	const char *name = cfg->kernel_name ? cfg->kernel_name : "kernel";
	struct bz_plan p;
	size_t kernel_file;
	void *dst;
	int ret;

	memset(&p, 0, sizeof(p));
	ret = check_header(cfg, name, &p, err, errlen);
	if (ret < 0)
		return ret;
	ret = boot_check_cmdline(cfg, name, p.hdr.cmdline_size, err, errlen);
	if (ret < 0)
		return ret;
	/* A file larger than init_size says is odd but harmless: reserve the larger. */
	kernel_file = cfg->kernel_size - p.setup_size;
	p.footprint = kernel_file > p.hdr.init_size ? kernel_file : p.hdr.init_size;
	ret = choose_load_addr(mem, name, &p, err, errlen);
	if (ret < 0)
		return ret;
	ret = boot_place_initrd(mem, cfg, p.load_addr + p.footprint,
				(uint64_t)p.hdr.initrd_addr_max + 1, &p.initrd_addr, err, errlen);
	if (ret < 0)
		return ret;

	dst = guest_ptr(mem, p.load_addr, kernel_file);
	if (!dst)
		return boot_fail(err, errlen, name, ERANGE, "load address 0x%llx is outside RAM",
				 (unsigned long long)p.load_addr);
	memcpy(dst, cfg->kernel + p.setup_size, kernel_file);
	ret = write_boot_params(mem, cfg, &p);
	if (ret == 0)
		ret = boot_write_initrd_cmdline(mem, cfg, p.initrd_addr);
	if (ret == 0)
		ret = boot_x86_long_mode(mem, regs);
	if (ret < 0)
		return boot_fail(err, errlen, name, -ret, "boot structures do not fit in RAM");

	regs->rip = p.load_addr + ENTRY64_OFFSET;
	regs->rsi = BOOT_PARAMS_ADDR;
	regs->kernel_start = p.load_addr;
	regs->kernel_end = p.load_addr + p.footprint;
	regs->initrd_start = p.initrd_addr;
	regs->initrd_size = p.initrd_addr ? cfg->initrd_size : 0;
	return 0;
}
