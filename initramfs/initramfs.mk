# SPDX-License-Identifier: MIT
# The guest initramfs: busybox, /init, pvpanic modules, and guest/snnet.ko once it is built.
INITRAMFS := initramfs/initramfs.cpio.gz

all: $(INITRAMFS)

$(INITRAMFS): initramfs/build.sh initramfs/init $(BUILD)/debian/vmlinux $(wildcard guest/snnet.ko)
	initramfs/build.sh $@
