// SPDX-License-Identifier: MIT
/*
 * What both entry paths share: choosing the loader by magic, the memory map,
 * initrd placement and the command line.
 */
#include "boot.h"
#include "layout.h"

#include <asm/e820.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MiB (1ULL << 20)

int boot_fail(char *err, size_t errlen, const char *name, int errnum, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || errlen == 0)
		return -errnum;
	n = snprintf(err, errlen, "%s: ", name);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

unsigned boot_e820_map(const struct guest_mem *mem, struct boot_e820 map[BOOT_E820_MAX])
{
	unsigned n = 0;
	uint64_t high = guest_mem_high_size(mem);

	map[n++] = (struct boot_e820){0, EBDA_START, E820_RAM};
	/* EBDA, VGA, option ROMs and BIOS; the ACPI tables live in here too. */
	map[n++] = (struct boot_e820){EBDA_START, HIMEM_START - EBDA_START, E820_RESERVED};
	if (mem->low_size > HIMEM_START)
		map[n++] = (struct boot_e820){HIMEM_START, mem->low_size - HIMEM_START, E820_RAM};
	if (high)
		map[n++] = (struct boot_e820){HIGH_RAM_START, high, E820_RAM};
	return n;
}

/* "300 MiB" for whole mebibytes, else "1234567-byte": people read the first, tests the second. */
static const char *fmt_size(char *buf, size_t len, uint64_t size)
{
	if (size >= MiB && size % MiB == 0)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(size / MiB));
	else
		snprintf(buf, len, "%llu-byte", (unsigned long long)size);
	return buf;
}

int boot_place_initrd(const struct guest_mem *mem, const struct boot_config *cfg, uint64_t floor,
		      uint64_t limit, uint64_t *addr, char *err, size_t errlen)
{
	const char *name = cfg->initrd_name ? cfg->initrd_name : "initrd";
	uint64_t size = cfg->initrd_size;
	char sz[32];

	*addr = 0;
	if (!cfg->initrd || size == 0)
		return 0;
	if (limit > mem->low_size)
		limit = mem->low_size;
	if (size > limit || ((limit - size) & ~0xfffULL) < floor)
		return boot_fail(
		    err, errlen, name, EFBIG,
		    "%s initrd does not fit between the kernel's end 0x%llx and 0x%llx "
		    "in %llu MiB of RAM",
		    fmt_size(sz, sizeof(sz), size), (unsigned long long)floor,
		    (unsigned long long)limit - 1, (unsigned long long)(mem->ram_size / MiB));
	*addr = (limit - size) & ~0xfffULL;
	return 0;
}

int boot_check_cmdline(const struct boot_config *cfg, const char *name, uint32_t limit, char *err,
		       size_t errlen)
{
	size_t len = cfg->cmdline ? strlen(cfg->cmdline) : 0;

	if (len > limit)
		return boot_fail(err, errlen, name, E2BIG,
				 "command line is %zu bytes, the kernel accepts at most %u", len,
				 limit);
	return 0;
}

int boot_write_initrd_cmdline(const struct guest_mem *mem, const struct boot_config *cfg,
			      uint64_t initrd_addr)
{
	const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
	size_t len = strlen(cmdline);
	char *dst = guest_ptr(mem, CMDLINE_ADDR, len + 1);

	if (!dst)
		return -ERANGE;
	memcpy(dst, cmdline, len + 1);
	if (initrd_addr) {
		void *rd = guest_ptr(mem, initrd_addr, cfg->initrd_size);
		if (!rd)
			return -ERANGE;
		memcpy(rd, cfg->initrd, cfg->initrd_size);
	}
	return 0;
}

int boot_load(const struct guest_mem *mem, const struct boot_config *cfg, struct boot_regs *regs,
	      char *err, size_t errlen)
{
	const char *name = cfg->kernel_name ? cfg->kernel_name : "kernel";
	size_t cmdline_len = cfg->cmdline ? strlen(cfg->cmdline) : 0;
	int ret;

	memset(regs, 0, sizeof(*regs));
	if (err && errlen)
		err[0] = '\0';
	if (!cfg->kernel || cfg->kernel_size == 0)
		return boot_fail(err, errlen, name, EINVAL, "empty file");
	/* Below 1 MiB there is only the boot area; the kernel needs room above it. */
	if (mem->low_size <= HIMEM_START)
		return boot_fail(err, errlen, name, EINVAL, "%llu KiB of RAM is too small to boot",
				 (unsigned long long)(mem->ram_size >> 10));
	if (cmdline_len >= COMMAND_LINE_MAX)
		return boot_fail(err, errlen, "command line", E2BIG,
				 "%zu bytes is longer than snvmm's %llu-byte buffer", cmdline_len,
				 COMMAND_LINE_MAX - 1);
	if (cfg->kernel_size >= SELFMAG && memcmp(cfg->kernel, ELFMAG, SELFMAG) == 0)
		ret = boot_elf(mem, cfg, regs, err, errlen);
	else
		ret = boot_bzimage(mem, cfg, regs, err, errlen);
	/* A path that fails without a message is a bug; still give main.c a line. */
	if (ret < 0 && err && errlen && !err[0])
		boot_fail(err, errlen, name, -ret, "loading failed: %s", strerror(-ret));
	return ret;
}
