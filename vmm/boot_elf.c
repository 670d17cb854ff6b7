// SPDX-License-Identifier: MIT
/*
 * ELF vmlinux through the PVH boot ABI: PT_LOAD segments go to their physical
 * addresses, the Xen PHYS32_ENTRY note gives a 32-bit entry point, and an
 * hvm_start_info replaces boot_params.
 */
#include "boot.h"
#include "layout.h"

#include <asm/e820.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>

#define PVH_CMDLINE_MAX 2047u /* x86 Linux's COMMAND_LINE_SIZE, less its NUL */

#define MiB			 (1ULL << 20)
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define MAX_PHDRS		 64 /* vmlinux has about five */

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info layout");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry layout");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "hvm_memmap_table_entry layout");
_Static_assert(PVH_MODLIST_ADDR >= PVH_INFO_ADDR + sizeof(struct hvm_start_info), "modlist");
_Static_assert(PVH_MEMMAP_ADDR >= PVH_MODLIST_ADDR + sizeof(struct hvm_modlist_entry), "memmap");
_Static_assert(PVH_MEMMAP_ADDR + BOOT_E820_MAX * sizeof(struct hvm_memmap_table_entry) <=
		   BOOT_PARAMS_ADDR,
	       "PVH structures fit below the zero page");

struct elf_plan {
	uint64_t entry;
	uint64_t start, end; /* lowest and highest physical byte of any segment, end exclusive */
	uint64_t initrd_addr;
};

/* Scans one PT_NOTE segment as notes of type (their alignment); *entry stays 0 if none is PVH's. */
static int scan_notes(Elf *e, const GElf_Phdr *ph, Elf_Type type, uint64_t *entry, const char *name,
		      char *err, size_t errlen)
{
	Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)ph->p_offset, ph->p_filesz, type);
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;

	if (!d)
		return 0; /* unreadable notes: treat as absent and let the caller say so */
	while ((next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		const uint8_t *buf = d->d_buf;
		uint64_t v = 0;

		off = next;
		if (nh.n_type != XEN_ELFNOTE_PHYS32_ENTRY || nh.n_namesz != 4 ||
		    memcmp(buf + name_off, "Xen", 4) != 0)
			continue;
		/* Linux emitted it as a 64-bit word until 6.x, later as 32-bit; the value is
		 * 32-bit. */
		if (nh.n_descsz != 4 && nh.n_descsz != 8)
			return boot_fail(err, errlen, name, ENOEXEC,
					 "PVH entry note has a %u-byte value, expected 4 or 8",
					 nh.n_descsz);
		for (unsigned i = 0; i < nh.n_descsz; i++)
			v |= (uint64_t)buf[desc_off + i] << (8 * i);
		if (v == 0 || v > UINT32_MAX)
			return boot_fail(err, errlen, name, ENOEXEC,
					 "PVH entry 0x%llx is not a 32-bit physical address",
					 (unsigned long long)v);
		*entry = v;
		return 0;
	}
	return 0;
}

/*
 * Linux's notes (ELFNOTE) are 4-byte aligned, also in a PT_NOTE whose p_align
 * an 8-byte aligned .note.gnu.property made 8 (as Linux's link scripts did
 * before they discarded that section): read as 8-byte aligned, they are walked
 * wrong after the first "Linux" note and the PVH one is missed. So 4 first; 8
 * only where p_align says so and 4 found no good PVH note (notes that really
 * are 8-aligned, read 4-aligned, may even show a bad one).
 */
static int find_pvh_note(Elf *e, const GElf_Phdr *ph, uint64_t *entry, const char *name, char *err,
			 size_t errlen)
{
	int r = scan_notes(e, ph, ELF_T_NHDR, entry, name, err, errlen), r8;

	if (*entry || ph->p_align != 8)
		return r;
	r8 = scan_notes(e, ph, ELF_T_NHDR8, entry, name, err, errlen);
	if (!*entry)
		return r ? r : r8;
	if (err && errlen)
		err[0] = '\0'; /* the 4-byte walk's complaint no longer applies */
	return 0;
}

static int check_segment(const struct guest_mem *mem, size_t size, unsigned i, const GElf_Phdr *ph,
			 const char *name, char *err, size_t errlen)
{
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return boot_fail(
		    err, errlen, name, ENOEXEC,
		    "segment %u (0x%llx bytes at file offset 0x%llx) runs past the end "
		    "of the file (%zu bytes)",
		    i, (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_offset, size);
	if (ph->p_type != PT_LOAD)
		return 0;
	if (ph->p_filesz > ph->p_memsz)
		return boot_fail(
		    err, errlen, name, ENOEXEC,
		    "segment %u has file size 0x%llx larger than its memory size 0x%llx", i,
		    (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
	if (ph->p_paddr < HIMEM_START || ph->p_paddr > mem->low_size ||
	    ph->p_memsz > mem->low_size - ph->p_paddr)
		return boot_fail(
		    err, errlen, name, ENOEXEC,
		    "segment %u at 0x%llx (0x%llx bytes) lies outside RAM [0x%llx, 0x%llx) "
		    "of %llu MiB",
		    i, (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
		    HIMEM_START, (unsigned long long)mem->low_size,
		    (unsigned long long)(mem->ram_size / MiB));
	return 0;
}

/* Everything that can be wrong with the file, checked before guest RAM is touched. */
static int plan_elf(const struct guest_mem *mem, const struct boot_config *cfg, Elf *e,
		    const GElf_Ehdr *eh, const GElf_Phdr *phdrs, struct elf_plan *p,
		    const char *name, char *err, size_t errlen)
{
	int ret, in_segment = 0;

	p->start = UINT64_MAX;
	p->end = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const GElf_Phdr *ph = &phdrs[i];

		ret = check_segment(mem, cfg->kernel_size, i, ph, name, err, errlen);
		if (ret < 0)
			return ret;
		if (ph->p_type == PT_NOTE && !p->entry) {
			ret = find_pvh_note(e, ph, &p->entry, name, err, errlen);
			if (ret < 0)
				return ret;
		}
		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		if (ph->p_paddr < p->start)
			p->start = ph->p_paddr;
		if (ph->p_paddr + ph->p_memsz > p->end)
			p->end = ph->p_paddr + ph->p_memsz;
	}
	if (p->end == 0)
		return boot_fail(err, errlen, name, ENOEXEC, "no loadable segment");
	if (!p->entry)
		return boot_fail(err, errlen, name, ENOEXEC,
				 "no PVH entry note (Xen note type %d); the kernel needs "
				 "CONFIG_PVH=y",
				 XEN_ELFNOTE_PHYS32_ENTRY);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const GElf_Phdr *ph = &phdrs[i];
		if (ph->p_type == PT_LOAD && p->entry >= ph->p_paddr &&
		    p->entry - ph->p_paddr < ph->p_filesz)
			in_segment = 1;
	}
	if (!in_segment)
		return boot_fail(err, errlen, name, ENOEXEC,
				 "PVH entry 0x%llx is not inside a loaded segment",
				 (unsigned long long)p->entry);
	return boot_place_initrd(mem, cfg, p->end, mem->low_size, &p->initrd_addr, err, errlen);
}

static int write_segments(const struct guest_mem *mem, const struct boot_config *cfg,
			  const GElf_Ehdr *eh, const GElf_Phdr *phdrs)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const GElf_Phdr *ph = &phdrs[i];
		uint8_t *dst;

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		dst = guest_ptr(mem, ph->p_paddr, ph->p_memsz);
		if (!dst)
			return -ERANGE;
		memcpy(dst, cfg->kernel + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	return 0;
}

static int write_start_info(const struct guest_mem *mem, const struct boot_config *cfg,
			    const struct elf_plan *p)
{
	struct hvm_start_info *si = guest_ptr(mem, PVH_INFO_ADDR, sizeof(*si));
	struct hvm_modlist_entry *mod = guest_ptr(mem, PVH_MODLIST_ADDR, sizeof(*mod));
	struct hvm_memmap_table_entry *mm =
	    guest_ptr(mem, PVH_MEMMAP_ADDR, BOOT_E820_MAX * sizeof(*mm));
	struct boot_e820 map[BOOT_E820_MAX];
	unsigned n = boot_e820_map(mem, map);

	if (!si || !mod || !mm)
		return -ERANGE;
	memset(si, 0, sizeof(*si));
	memset(mod, 0, sizeof(*mod));
	memset(mm, 0, BOOT_E820_MAX * sizeof(*mm));
	si->magic = HVM_START_MAGIC_VALUE;
	si->version = 1;
	si->cmdline_paddr = CMDLINE_ADDR;
	si->rsdp_paddr = cfg->rsdp_addr;
	if (p->initrd_addr) {
		mod->paddr = p->initrd_addr;
		mod->size = cfg->initrd_size;
		si->nr_modules = 1;
		si->modlist_paddr = PVH_MODLIST_ADDR;
	}
	for (unsigned i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_table_entry){map[i].addr, map[i].size, map[i].type, 0};
	si->memmap_paddr = PVH_MEMMAP_ADDR;
	si->memmap_entries = n;
	return 0;
}

/* Header checks libelf does not make, done on the raw bytes before libelf sees them. */
static int check_ehdr(const struct boot_config *cfg, const GElf_Ehdr *eh, const char *name,
		      char *err, size_t errlen)
{
	size_t size = cfg->kernel_size;

	if (eh->e_machine != EM_X86_64)
		return boot_fail(err, errlen, name, ENOEXEC, "not an x86-64 ELF file (machine %u)",
				 eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return boot_fail(err, errlen, name, ENOEXEC,
				 "not an executable ELF file (type %u, expected ET_EXEC)",
				 eh->e_type);
	if (eh->e_phentsize != sizeof(GElf_Phdr))
		return boot_fail(err, errlen, name, ENOEXEC,
				 "program header entries are %u bytes, expected %zu",
				 eh->e_phentsize, sizeof(GElf_Phdr));
	if (eh->e_phnum == 0 || eh->e_phnum > MAX_PHDRS)
		return boot_fail(err, errlen, name, ENOEXEC,
				 "%u program headers (expected 1 to %d)", eh->e_phnum, MAX_PHDRS);
	if (eh->e_phoff > size || (size_t)eh->e_phnum * sizeof(GElf_Phdr) > size - eh->e_phoff)
		return boot_fail(
		    err, errlen, name, ENOEXEC,
		    "program headers at 0x%llx run past the end of the file (%zu bytes)",
		    (unsigned long long)eh->e_phoff, size);
	return 0;
}

int boot_elf(const struct guest_mem *mem, const struct boot_config *cfg, struct boot_regs *regs,
	     char *err, size_t errlen)
{
	const char *name = cfg->kernel_name ? cfg->kernel_name : "kernel";
	struct elf_plan p = {0};
	/* Copies: libelf hands out pointers into the file, which may be misaligned. */
	GElf_Phdr phdrs[MAX_PHDRS];
	GElf_Ehdr eh;
	Elf *e;
	int ret;

	if (cfg->kernel_size < sizeof(eh))
		return boot_fail(err, errlen, name, ENOEXEC,
				 "ELF file of %zu bytes is too short for its header",
				 cfg->kernel_size);
	memcpy(&eh, cfg->kernel, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return boot_fail(err, errlen, name, ENOEXEC, "not a 64-bit ELF file (class %u)",
				 eh.e_ident[EI_CLASS]);
	/* Native byte order also means libelf never converts (writes) the caller's buffer. */
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return boot_fail(err, errlen, name, ENOEXEC,
				 "not a little-endian ELF file (data encoding %u)",
				 eh.e_ident[EI_DATA]);
	ret = check_ehdr(cfg, &eh, name, err, errlen);
	if (ret < 0)
		return ret;
	/*
	 * An ELF kernel states no cmdline_size: on PVH Linux copies at most its
	 * COMMAND_LINE_SIZE (2048 on x86) less the NUL, and silently drops the rest.
	 */
	ret = boot_check_cmdline(cfg, name, PVH_CMDLINE_MAX, err, errlen);
	if (ret < 0)
		return ret;

	elf_version(EV_CURRENT);
	e = elf_memory((char *)cfg->kernel, cfg->kernel_size);
	if (!e)
		return boot_fail(err, errlen, name, ENOEXEC, "libelf: %s", elf_errmsg(-1));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (!gelf_getphdr(e, (int)i, &phdrs[i])) {
			ret = boot_fail(err, errlen, name, ENOEXEC, "program header %u: libelf: %s",
					i, elf_errmsg(-1));
			goto out;
		}
	}
	ret = plan_elf(mem, cfg, e, &eh, phdrs, &p, name, err, errlen);
	if (ret < 0)
		goto out;

	ret = write_segments(mem, cfg, &eh, phdrs);
	if (ret == 0)
		ret = write_start_info(mem, cfg, &p);
	if (ret == 0)
		ret = boot_write_initrd_cmdline(mem, cfg, p.initrd_addr);
	if (ret == 0)
		ret = boot_x86_protected_mode(mem, regs);
	if (ret < 0) {
		ret = boot_fail(err, errlen, name, -ret, "boot structures do not fit in RAM");
		goto out;
	}
	regs->rip = p.entry;
	regs->rbx = PVH_INFO_ADDR;
	regs->kernel_start = p.start;
	regs->kernel_end = p.end;
	regs->initrd_start = p.initrd_addr;
	regs->initrd_size = p.initrd_addr ? cfg->initrd_size : 0;
out:
	elf_end(e);
	return ret;
}
