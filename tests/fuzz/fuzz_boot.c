// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the kernel loaders (vmm/boot*.c) against any image, RAM
 * size, initrd size and command line length. A kernel file is host input, so
 * the rule is the user's: a bad one gets one line naming the problem and a
 * negative return, never a crash; a good one is placed where the boot
 * protocol says, inside RAM, with nothing overlapping.
 *
 * Input: mode, RAM, initrd size (3), command line length (3), truncation (2),
 * then either the image itself (raw mode) or patches to one of the synthetic
 * images of tests/unit/boot_images.h: op (low 2 bits: width 1, 2, 4 or 8),
 * offset (2), value (width). Templates let the fuzzer reach every field of a
 * valid header at once; raw mode covers whatever else a file can be.
 *
 * Guest RAM and the image each end at a PROT_NONE page, so a read or write
 * one byte past either faults.
 */
#include "boot.h"
#include "boot_images.h"
#include "fuzz_input.h"
#include "guest_mem.h"
#include "layout.h"

#include <asm/bootparam.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KNAME	      "vmlinuz"
#define RNAME	      "initrd.img"
#define HDR_BYTES     10
#define INITRD_MAX    (16 * MiB)
#define RAM_STEP      (256 * 1024)
#define CMDLINE_LIMIT (COMMAND_LINE_MAX + 16)

enum mode { MODE_RAW, MODE_BZ, MODE_ELF8, MODE_ELF4, MODE_COUNT };

static uint8_t *initrd_pattern;
static char *cmdline_buf;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "fuzz_boot: " __VA_ARGS__);                                        \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

static void setup_once(void)
{
	if (initrd_pattern)
		return;
	initrd_pattern = malloc(INITRD_MAX);
	cmdline_buf = malloc(CMDLINE_LIMIT + 1);
	if (!initrd_pattern || !cmdline_buf)
		abort();
	for (size_t i = 0; i < INITRD_MAX; i++)
		initrd_pattern[i] = (uint8_t)(i * 31 + 7);
}

/* Applies the patch script to a template image; returns its size. */
static size_t build_template(enum mode m, uint8_t *img, struct fz_in *f)
{
	size_t size = m == MODE_BZ ? BZ_SIZE : ELF_SIZE;
	int op;

	if (m == MODE_BZ)
		bz_build(img);
	else
		elf_build(img, m == MODE_ELF8 ? 8 : 4);
	while ((op = fz_byte(f)) >= 0) {
		size_t width = (size_t)1 << (op & 3), off = fz_uint(f, 2) % size;
		uint64_t v = fz_uint(f, (int)width);

		for (size_t i = 0; i < width && off + i < size; i++)
			img[off + i] = (uint8_t)(v >> (8 * i));
	}
	return size;
}

/* The error line: one line, naming the file or the command line. */
static void check_refusal(int ret, const char *err)
{
	if (ret >= 0)
		FAIL("refusal with return %d", ret);
	if (!err[0])
		FAIL("refused (%d) without a message", ret);
	if (strchr(err, '\n'))
		FAIL("message of more than one line: %s", err);
	if (strncmp(err, KNAME ": ", sizeof(KNAME) + 1) &&
	    strncmp(err, RNAME ": ", sizeof(RNAME) + 1) && strncmp(err, "command line: ", 14))
		FAIL("message names neither file nor the command line: %s", err);
}

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* What an accepted image must look like in guest RAM. */
static void check_accepted(const struct guest_mem *mem, const struct boot_config *cfg,
			   const struct boot_regs *r, const char *err, enum mode m)
{
	const char *cl;

	if (err[0])
		FAIL("accepted, yet said: %s", err);
	if (r->kernel_start < HIMEM_START || r->kernel_start >= r->kernel_end ||
	    r->kernel_end > mem->low_size)
		FAIL("kernel at [0x%llx, 0x%llx) outside RAM [1 MiB, 0x%llx)",
		     (unsigned long long)r->kernel_start, (unsigned long long)r->kernel_end,
		     (unsigned long long)mem->low_size);
	if (r->rip < r->kernel_start || r->rip >= r->kernel_end || !guest_ptr(mem, r->rip, 1))
		FAIL("entry 0x%llx outside the kernel", (unsigned long long)r->rip);
	if (cfg->initrd_size && !r->initrd_start)
		FAIL("initrd of %zu bytes accepted but not placed", cfg->initrd_size);
	if (r->initrd_start) {
		const uint8_t *rd = guest_ptr(mem, r->initrd_start, r->initrd_size);

		if (r->initrd_size != cfg->initrd_size || !rd || r->initrd_start & 0xfff ||
		    overlaps(r->initrd_start, r->initrd_size, r->kernel_start,
			     r->kernel_end - r->kernel_start) ||
		    r->initrd_start < HIMEM_START)
			FAIL("initrd at 0x%llx (%llu bytes) misplaced",
			     (unsigned long long)r->initrd_start,
			     (unsigned long long)r->initrd_size);
		if (memcmp(rd, cfg->initrd, cfg->initrd_size))
			FAIL("initrd bytes differ in guest RAM");
	}
	cl = guest_ptr(mem, CMDLINE_ADDR, strlen(cfg->cmdline) + 1);
	if (!cl || strcmp(cl, cfg->cmdline))
		FAIL("command line not in guest RAM as given");
	if (m == MODE_RAW)
		return;
	if (r->entry == BOOT_ENTRY_LINUX64) {
		const struct boot_params *bp = guest_ptr(mem, BOOT_PARAMS_ADDR, sizeof(*bp));
		unsigned sects = cfg->kernel[0x1f1] ? cfg->kernel[0x1f1] : 4;
		size_t setup = (sects + 1) * 512, file = cfg->kernel_size - setup;
		const uint8_t *k = guest_ptr(mem, r->kernel_start, file);

		if (!bp || bp->hdr.cmd_line_ptr != CMDLINE_ADDR ||
		    bp->hdr.ramdisk_image != (uint32_t)r->initrd_start || bp->e820_entries < 2 ||
		    bp->e820_entries > BOOT_E820_MAX)
			FAIL("boot_params inconsistent with the plan");
		if (!k || memcmp(k, cfg->kernel + setup, file))
			FAIL("protected-mode kernel not copied as is to 0x%llx",
			     (unsigned long long)r->kernel_start);
	} else if (r->entry == BOOT_ENTRY_PVH32) {
		const struct hvm_start_info *si = guest_ptr(mem, PVH_INFO_ADDR, sizeof(*si));

		if (!si || si->magic != HVM_START_MAGIC_VALUE ||
		    si->cmdline_paddr != CMDLINE_ADDR || r->rip > UINT32_MAX)
			FAIL("PVH start info inconsistent with the plan");
	} else {
		FAIL("unknown entry kind %d", r->entry);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in f = {data, size};
	static uint8_t tmpl[BZ_SIZE > ELF_SIZE ? BZ_SIZE : ELF_SIZE];
	struct fz_map ram_map, img_map;
	struct boot_config cfg = {.kernel_name = KNAME, .initrd_name = RNAME};
	struct boot_regs regs;
	struct guest_mem mem;
	char err[256];
	enum mode m;
	uint64_t rd;
	size_t cl_len, trunc, img_size;
	const uint8_t *src;
	uint8_t *img;
	int ret;

	setup_once();
	if (size < HDR_BYTES)
		return 0;
	m = (enum mode)(fz_byte(&f) % MODE_COUNT);
	mem.ram_size = HIMEM_START + (uint64_t)fz_byte(&f) * RAM_STEP;
	rd = fz_uint(&f, 3);
	/* 0xfxxxxx: a size no RAM holds, for the placement arithmetic's edges. */
	cfg.initrd_size = (rd >> 20) == 0xf ? SIZE_MAX - (rd & 0xfffff) : rd;
	cfg.initrd = initrd_pattern;
	cl_len = fz_uint(&f, 3) % (CMDLINE_LIMIT + 1);
	memset(cmdline_buf, 'x', cl_len);
	cmdline_buf[cl_len] = '\0';
	cfg.cmdline = cmdline_buf;
	trunc = fz_uint(&f, 2);

	if (m == MODE_RAW) {
		src = f.in;
		img_size = f.left;
	} else {
		img_size = build_template(m, tmpl, &f);
		src = tmpl;
	}
	if (trunc && trunc < img_size)
		img_size = trunc;
	if (!img_size)
		return 0;
	img = fz_guarded(img_size, &img_map);
	memcpy(img, src, img_size);
	cfg.kernel = img;
	cfg.kernel_size = img_size;

	mem.host = fz_guarded(mem.ram_size, &ram_map);
	mem.low_size = mem.ram_size;
	memset(err, 0x55, sizeof(err));
	ret = boot_load(&mem, &cfg, &regs, err, sizeof(err));
	if (ret == 0)
		check_accepted(&mem, &cfg, &regs, err, m);
	else
		check_refusal(ret, err);
	if (getenv("FUZZ_BOOT_VERBOSE"))
		printf("mode %d ram %llu KiB initrd %zu cmdline %zu image %zu: %s\n", m,
		       (unsigned long long)(mem.ram_size >> 10), cfg.initrd_size, cl_len, img_size,
		       ret ? err : "accepted");
	munmap(ram_map.base, ram_map.total);
	munmap(img_map.base, img_map.total);
	return 0;
}
