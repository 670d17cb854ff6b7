# SPDX-License-Identifier: MIT
# ACPI tables checked by ACPICA's own disassembler/compiler (iasl, from
# acpica-tools, which `make deps` installs).
.PHONY: check-acpi-iasl
check-acpi-iasl: $(BUILD)/unit/test_acpi
	sh tests/unit/acpi_iasl_check.sh $(BUILD)/unit/test_acpi

check-fragments:: check-acpi-iasl
