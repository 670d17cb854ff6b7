/* SPDX-License-Identifier: MIT */
/*
 * Shared macros for the micro-guests: tiny 64-bit programs that snvmm --raw
 * runs at 1 MiB with the boot page tables (identity map of 0..4 GiB). Each
 * file's header says what run.sh expects: "expect-status:", "expect-output:"
 * (a line that must appear), "stdin:" (bytes fed to the console), "args:".
 */
#define COM1	   0x3f8
#define ACPI_SLEEP 0x600
#define ACPI_RESET 0x602
#define PVPANIC	   0x505
#define SLP_S5	   0x34 /* SLP_TYP 5 << 2 | SLP_EN */

/* Writes the NUL-terminated string at label to COM1 (clobbers rax, rdx, rsi). */
.macro puts label lea \label(% rip), % rsi call guest_puts
					     .endm

					     .macro poweroff mov $ACPI_SLEEP,
    % dx mov $SLP_S5, % al outb % al, % dx hlt.endm

					      /* The library part: include once, after the code. */
					      .macro guest_lib guest_puts : mov $COM1,
    % dx 1 : lodsb test % al, % al jz 2f outb % al, % dx jmp 1b 2 : ret.endm
