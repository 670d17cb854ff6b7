# SPDX-License-Identifier: MIT
# The guest initramfs: busybox, /init (pid1.c) and /init.sh (init), pvpanic modules,
# guest/snnet.ko, and the network test tools (iperf3, ethtool, netcheck).
INITRAMFS := initramfs/initramfs.cpio.gz
PID1      := $(BUILD)/initramfs/pid1

all: $(INITRAMFS)

$(PID1): initramfs/pid1.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=gnu11 $(WARN) -static -o $@ $<

$(INITRAMFS): initramfs/build.sh initramfs/init initramfs/cmdline.awk $(PID1) $(BUILD)/debian/vmlinux $(GUEST_KO) \
              $(BUILD)/e2e/netcheck
	initramfs/build.sh $@

# init's command-line parser, under the guest's awk (busybox's), against Linux's splitting.
.PHONY: check-init-cmdline
check-init-cmdline:
	sh tests/unit/init_cmdline.sh

check-fragments:: check-init-cmdline
