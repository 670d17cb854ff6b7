#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Second opinion on the ACPI tables from ACPICA itself, the same code Linux
# runs: test_acpi dumps the tables of a sample VM (4 CPUs; pvpanic, the NIC
# and COM1 as devices), iasl disassembles each one, and then
#   - the disassembly must be clean and show the fields we rely on;
#   - recompiling it must give back our bytes (header creator fields and the
#     resource End Tag checksums aside: iasl writes its own id and a zero
#     checksum, which ACPI also accepts).
#
# usage: acpi_iasl_check.sh build/unit/test_acpi
set -eu

bin=${1:?usage: acpi_iasl_check.sh path/to/test_acpi}
here=$(cd "$(dirname "$0")" && pwd)
layout=$here/../../vmm/layout.h

if ! command -v iasl >/dev/null 2>&1; then
	echo "acpi_iasl_check: iasl not found (apt-get install acpica-tools)" >&2
	exit 1
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ACPI_DUMP_DIR=$dir "$bin" >/dev/null
cd "$dir"
mkdir rt

fail=0
bad() {
	echo "acpi_iasl_check: $*" >&2
	fail=1
}

# The port numbers as iasl prints a GAS address, taken from layout.h.
port() {
	printf '%016X' "$(sed -n "s/^#define $1[[:space:]]*\(0x[0-9a-fA-F]*\).*/\1/p" "$layout")"
}

expect() { # file pattern...
	f=$1
	shift
	for p in "$@"; do
		grep -qF -- "$p" "$f" || bad "$f lacks: $p"
	done
}

# Address line of the GAS that follows a title line in an iasl data-table dump.
gas_address() { # file title
	grep -A5 -F -- "$2" "$1" | sed -n 's/.*Address : \([0-9A-F]*\)$/\1/p' | head -n1
}

for t in XSDT FACP APIC DSDT; do
	if ! iasl -d "$t.dat" >"$t.dis.log" 2>&1; then
		bad "iasl -d $t.dat failed:"
		cat "$t.dis.log" >&2
		continue
	fi
	if grep -Eiq 'error|warning|invalid|mismatch' "$t.dis.log"; then
		bad "iasl -d $t.dat complained:"
		cat "$t.dis.log" >&2
	fi
	# -oa: no name optimizations, so the AML can match ours byte for byte.
	if ! iasl -oa -p "rt/$t" "$t.dsl" >"$t.asl.log" 2>&1 ||
		! grep -q '0 Errors, 0 Warnings' "$t.asl.log"; then
		bad "recompiling $t.dsl failed:"
		cat "$t.asl.log" >&2
		continue
	fi
	if [ "$(wc -c <"$t.dat")" -ne "$(wc -c <"rt/$t.aml")" ]; then
		bad "$t: recompiled length differs"
		continue
	fi
	od -An -v -tu1 "$t.dat" | tr -s ' ' '\n' | grep -v '^$' >"$t.bytes"
	cmp -l "$t.dat" "rt/$t.aml" >"$t.diff" || true
	# Differences allowed: header checksum and creator id/revision (bytes
	# 10, 29-36), and a 0 where we put an End Tag (0x79) checksum.
	if ! awk 'NR == FNR { b[NR] = $1; next }
		$1 == 10 || ($1 >= 29 && $1 <= 36) { next }
		$3 == 0 && b[$1 - 1] == 121 { next }
		{ print "  byte " $1 ": ours " $2 ", iasl " $3 " (octal)"; bad = 1 }
		END { exit bad }' "$t.bytes" "$t.diff" >&2; then
		bad "$t: recompiled bytes differ"
	fi
done

expect FACP.dsl 'Revision : 06' 'FADT Minor Revision : 05' \
	'Hardware Reduced (V5) : 1' 'Reset Register Supported (V2) : 1' \
	'Legacy Devices Supported (V2) : 0' '8042 Present on ports 60/64 (V2) : 0' \
	'VGA Not Present (V4) : 1' 'CMOS RTC Not Present (V5) : 1' \
	'Value to cause reset : 01' 'Space ID : 01 [SystemIO]'
[ "$(gas_address FACP.dsl 'Sleep Control Register')" = "$(port ACPI_SLEEP_CTL_PORT)" ] ||
	bad "FADT sleep control register is not at ACPI_SLEEP_CTL_PORT"
[ "$(gas_address FACP.dsl 'Sleep Status Register')" = "$(port ACPI_SLEEP_STS_PORT)" ] ||
	bad "FADT sleep status register is not at ACPI_SLEEP_STS_PORT"
[ "$(gas_address FACP.dsl 'Reset Register')" = "$(port ACPI_RESET_PORT)" ] ||
	bad "FADT reset register is not at ACPI_RESET_PORT"

[ "$(grep -c 'Processor Local APIC' APIC.dsl)" -eq 4 ] || bad "MADT: expected 4 local APICs"
expect APIC.dsl '[I/O APIC]' 'Address : FEC00000' 'Local Apic Address : FEE00000' '[Local APIC NMI]'
[ "$(grep -c 'ACPI Table Address' XSDT.dsl)" -eq 2 ] || bad "XSDT: expected 2 entries"

expect DSDT.dsl 'Name (_S5, Package (0x04)' 'Scope (\_SB)' \
	'Name (_HID, "QEMU0001")' 'Name (_HID, "SNVM0001")' 'EisaId ("PNP0501")' \
	'0x0505,             // Range Minimum' '0x03F8,             // Range Minimum' \
	'Memory32Fixed (ReadWrite,' 'QWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed' \
	'Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )'

if [ "$fail" -ne 0 ]; then
	echo "acpi_iasl_check: FAILED" >&2
	exit 1
fi
echo "acpi_iasl_check: XSDT FACP APIC DSDT disassemble cleanly and recompile to the same bytes"
