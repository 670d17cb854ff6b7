# SPDX-License-Identifier: MIT
# The guest initramfs: busybox, /init, pvpanic modules, guest/snnet.ko, and the network test
# tools (iperf3, ethtool, netcheck).
INITRAMFS := initramfs/initramfs.cpio.gz

all: $(INITRAMFS)

$(INITRAMFS): initramfs/build.sh initramfs/init $(BUILD)/debian/vmlinux $(GUEST_KO) \
              $(BUILD)/e2e/netcheck
	initramfs/build.sh $@
