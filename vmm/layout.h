/* SPDX-License-Identifier: MIT */
/*
 * The guest-physical address map. Every component that places something in
 * guest memory takes its address from here, so the boot loader, the ACPI
 * builder and the devices can never overlap.
 *
 *   0x0000_0000  real-mode IVT/BDA (left zero)
 *   0x0000_1000  boot GDT
 *   0x0000_6000  PVH hvm_start_info (+ its memory map and module list)
 *   0x0000_7000  boot_params ("zero page")
 *   0x0000_9000  PML4, 0xA000 PDPT, 0xB000..0xEFFF four PDs (identity map 0..4 GiB, 2 MiB pages)
 *   0x0002_0000  kernel command line (COMMAND_LINE_MAX bytes)
 *   0x0009_FC00  ---- reserved: EBDA, legacy video, option ROMs, BIOS ----
 *   0x000E_0000  ACPI tables, RSDP first (inside the reserved BIOS area)
 *   0x0010_0000  RAM from 1 MiB: the kernel (at its preferred address), the initrd near the top
 *   0xC000_0000  ---- MMIO hole up to 4 GiB: device windows, IOAPIC, LAPIC ----
 *   0xFFFB_C000  KVM's identity-map page, then its 3-page TSS (Intel VMX's real-mode
 *                emulation needs them in guest-physical space; nothing of ours is there)
 *   0x1_0000_0000  RAM above 4 GiB when --memory exceeds MEM_32BIT_END
 */
#ifndef SNVMM_LAYOUT_H
#define SNVMM_LAYOUT_H

#define GDT_ADDR	 0x1000ULL
#define PVH_INFO_ADDR	 0x6000ULL
#define BOOT_PARAMS_ADDR 0x7000ULL
#define PML4_ADDR	 0x9000ULL
#define PDPT_ADDR	 0xA000ULL
#define PD_ADDR		 0xB000ULL /* four pages */
#define CMDLINE_ADDR	 0x20000ULL
#define COMMAND_LINE_MAX 0x10000ULL /* our buffer; the kernel's own limit is in its header */
#define BOOT_STACK_TOP	 0x8ff0ULL  /* rsp at both entries: a little stack below the page tables */

#define EBDA_START	 0x9fc00ULL
#define ACPI_TABLES_ADDR 0xe0000ULL
#define ACPI_TABLES_SIZE 0x20000ULL
#define HIMEM_START	 0x100000ULL

#define MEM_32BIT_END  0xc0000000ULL /* RAM below 4 GiB stops here */
#define MMIO_HOLE_END  0x100000000ULL
#define HIGH_RAM_START 0x100000000ULL

/* Device windows inside the hole, handed out by vm_reserve_mmio(). */
#define DEVICE_MMIO_BASE 0xd0000000ULL
#define DEVICE_MMIO_END	 0xfec00000ULL
#define IOAPIC_ADDR	 0xfec00000ULL
#define LAPIC_ADDR	 0xfee00000ULL
/* KVM_SET_IDENTITY_MAP_ADDR (one page) and KVM_SET_TSS_ADDR (three pages). */
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ULL
#define KVM_TSS_ADDR	      0xfffbd000ULL

/* Legacy port and IRQ assignments. */
#define SERIAL_COM1_PORT    0x3f8
#define SERIAL_COM1_IRQ	    4
#define RTC_IRQ		    8  /* a PC keeps it; no RTC here */
#define PS2_MOUSE_IRQ	    12 /* likewise */
#define PVPANIC_PORT	    0x505
#define SNNET_DOORBELL_PORT 0x6200 /* snnet doorbells: SNNET_DOORBELL_LEN ports */
/* ACPI hardware-reduced sleep control/status and reset registers (FADT). */
#define ACPI_SLEEP_CTL_PORT 0x600
#define ACPI_SLEEP_STS_PORT 0x601
#define ACPI_RESET_PORT	    0x602
#define ACPI_RESET_VALUE    0x01
#define ACPI_S5_SLEEP_TYPE  5 /* the SLP_TYP value our DSDT gives for \_S5 */

/* First GSI handed to devices that are not legacy ISA (IOAPIC has 24 pins). */
#define DEVICE_GSI_BASE 5
#define IOAPIC_NUM_PINS 24

#endif
