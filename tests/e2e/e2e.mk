# SPDX-License-Identifier: MIT
# tests/e2e/ helpers. netcheck is static so one binary serves the guest initramfs and the rig's L1.
NETCHECK := $(BUILD)/e2e/netcheck
# ringpoke plays a host that breaks the ring protocol (net.sh's hostile suite); static for L1.
RINGPOKE := $(BUILD)/e2e/ringpoke

$(NETCHECK): tests/e2e/netcheck.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=gnu11 $(WARN) -D_GNU_SOURCE -static -o $@ $<

$(RINGPOKE): tests/e2e/ringpoke.c ring/snring.h ring/snnet.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=gnu11 $(WARN) -D_GNU_SOURCE -Iring -static -o $@ $<

all: $(NETCHECK) $(RINGPOKE)
