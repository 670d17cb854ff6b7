# SPDX-License-Identifier: MIT
# The guest initramfs: busybox, /init, pvpanic modules, guest/snnet.ko once it is built, and the
# network test tools (iperf3, ethtool, netcheck).
INITRAMFS := initramfs/initramfs.cpio.gz

all: $(INITRAMFS)

$(INITRAMFS): initramfs/build.sh initramfs/init $(BUILD)/debian/vmlinux $(wildcard guest/snnet.ko) \
              $(BUILD)/e2e/netcheck
	initramfs/build.sh $@
