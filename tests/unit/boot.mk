# Kernel-loader checks on Debian's real bzImage and the ELF vmlinux extracted from it.
check-fragments:: $(BUILD)/unit/test_boot $(DEBIAN_VMLINUX)
	tests/unit/boot_real_images.sh $(BUILD)/unit/test_boot $(DEBIAN_BZIMAGE)
