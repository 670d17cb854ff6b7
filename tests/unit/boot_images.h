/* SPDX-License-Identifier: MIT */
/*
 * Synthetic kernel images for test_boot.c: a minimal bzImage (setup header and
 * a patterned "kernel") and a minimal ELF vmlinux with a PVH note, each built
 * in a caller-owned buffer so tests can corrupt any byte of them.
 */
#ifndef SNVMM_TEST_BOOT_IMAGES_H
#define SNVMM_TEST_BOOT_IMAGES_H

#include <asm/bootparam.h>
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MiB (1ULL << 20)

/* ---- bzImage ---- */
#define BZ_SETUP_SECTS 4
#define BZ_SETUP_SIZE  ((BZ_SETUP_SECTS + 1) * 512)
#define BZ_KERNEL_SIZE 8192
#define BZ_SIZE	       (BZ_SETUP_SIZE + BZ_KERNEL_SIZE)
#define BZ_PREF	       (16 * MiB)
#define BZ_INIT_SIZE   (32 * MiB)
#define BZ_HDR	       0x1f1

static inline uint8_t bz_kernel_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/* The header as a 2.15 kernel would have it; tests edit fields through bz_hdr(). */
static inline struct setup_header *bz_hdr(uint8_t *img)
{
	return (struct setup_header *)(img + BZ_HDR);
}

static inline void bz_build(uint8_t img[BZ_SIZE])
{
	struct setup_header *h = bz_hdr(img);

	memset(img, 0, BZ_SIZE);
	h->setup_sects = BZ_SETUP_SECTS;
	h->boot_flag = 0xaa55;
	h->jump = 0xeb | ((BZ_HDR + sizeof(*h) - 0x202) << 8); /* short jmp over the header */
	h->header = 0x53726448;
	h->version = 0x20f;
	h->loadflags = LOADED_HIGH;
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = 2 * MiB;
	h->relocatable_kernel = 1;
	h->min_alignment = 21;
	h->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	h->cmdline_size = 2047;
	h->pref_address = BZ_PREF;
	h->init_size = BZ_INIT_SIZE;
	h->syssize = BZ_KERNEL_SIZE / 16;
	for (size_t i = 0; i < BZ_KERNEL_SIZE; i++)
		img[BZ_SETUP_SIZE + i] = bz_kernel_byte(i);
}

/* ---- ELF vmlinux with a PVH note ---- */
#define ELF_SIZE      0x6000
#define ELF_PHNUM     3
#define ELF_NOTE_OFF  0x200
#define ELF_TEXT_OFF  0x1000
#define ELF_TEXT_FILE 0x2000
#define ELF_TEXT_MEM  0x3000 /* the last 0x1000 is bss */
#define ELF_TEXT_PA   (16 * MiB)
#define ELF_DATA_OFF  0x4000
#define ELF_DATA_SIZE 0x2000
#define ELF_DATA_PA   (20 * MiB)
#define ELF_ENTRY     (ELF_TEXT_PA + 0x850)

static inline uint8_t elf_byte(size_t off)
{
	return (uint8_t)(off * 13 + 1);
}

static inline Elf64_Phdr *elf_phdr(uint8_t *img, unsigned i)
{
	return (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr)) + i;
}

/*
 * Appends one note at *off, its value and the next note at multiples of align
 * (4 as Linux writes notes; 8 as .note.gnu.property is, and as libelf's
 * ELF_T_NHDR8 reads them).
 */
static inline void elf_note(uint8_t *img, size_t *off, const char *name, uint32_t type,
			    const void *desc, uint32_t descsz, unsigned align)
{
	Elf64_Nhdr nh = {(uint32_t)strlen(name) + 1, descsz, type};

	memcpy(img + *off, &nh, sizeof(nh));
	*off += sizeof(nh);
	memcpy(img + *off, name, nh.n_namesz);
	*off = (*off + nh.n_namesz + align - 1) & ~(size_t)(align - 1);
	memcpy(img + *off, desc, descsz);
	*off = (*off + descsz + align - 1) & ~(size_t)(align - 1);
}

/*
 * entry_size: 8 as Linux 6.1 emits it, 4 as later kernels do, 0 for no PVH
 * note. note_align: the notes' layout and the PT_NOTE's p_align.
 */
static inline void elf_build_notes(uint8_t img[ELF_SIZE], unsigned entry_size, unsigned note_align)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	uint64_t entry = ELF_ENTRY, gnu = 0x1234;
	size_t off = ELF_NOTE_OFF;

	memset(img, 0, ELF_SIZE);
	for (size_t i = ELF_TEXT_OFF; i < ELF_SIZE; i++)
		img[i] = elf_byte(i);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = ELF_TEXT_PA; /* the 64-bit entry; PVH must not use it */
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = ELF_PHNUM;

	/* Other notes first, so the loader has to walk past them. */
	elf_note(img, &off, "GNU", 3, &gnu, sizeof(gnu), note_align);
	/* A 6-byte name: where 4- and 8-byte note alignment part ways. */
	elf_note(img, &off, "Linux", 0x100, "6.1.0", 6, note_align);
	elf_note(img, &off, "Xen", 6, "linux", 6, note_align);
	if (entry_size)
		elf_note(img, &off, "Xen", 18, &entry, entry_size, note_align);

	*elf_phdr(img, 0) = (Elf64_Phdr){.p_type = PT_LOAD,
					 .p_flags = PF_R | PF_X,
					 .p_offset = ELF_TEXT_OFF,
					 .p_vaddr = 0xffffffff81000000ULL,
					 .p_paddr = ELF_TEXT_PA,
					 .p_filesz = ELF_TEXT_FILE,
					 .p_memsz = ELF_TEXT_MEM,
					 .p_align = 0x1000};
	*elf_phdr(img, 1) = (Elf64_Phdr){.p_type = PT_LOAD,
					 .p_flags = PF_R | PF_W,
					 .p_offset = ELF_DATA_OFF,
					 .p_vaddr = 0xffffffff81400000ULL,
					 .p_paddr = ELF_DATA_PA,
					 .p_filesz = ELF_DATA_SIZE,
					 .p_memsz = ELF_DATA_SIZE,
					 .p_align = 0x1000};
	*elf_phdr(img, 2) = (Elf64_Phdr){.p_type = PT_NOTE,
					 .p_offset = ELF_NOTE_OFF,
					 .p_filesz = off - ELF_NOTE_OFF,
					 .p_memsz = off - ELF_NOTE_OFF,
					 .p_align = note_align};
}

static inline void elf_build(uint8_t img[ELF_SIZE], unsigned entry_size)
{
	elf_build_notes(img, entry_size, 4);
}

#endif
