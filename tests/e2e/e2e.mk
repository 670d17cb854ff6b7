# SPDX-License-Identifier: MIT
# tests/e2e/ helpers. netcheck is static so one binary serves the guest initramfs and the rig's L1.
NETCHECK := $(BUILD)/e2e/netcheck

$(NETCHECK): tests/e2e/netcheck.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=gnu11 $(WARN) -D_GNU_SOURCE -static -o $@ $<

all: $(NETCHECK)
