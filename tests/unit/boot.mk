# Kernel-loader extras: real-image checks (skipped without the Debian kernel)
# and an ELF vmlinux for PVH demos, extracted from the bzImage.
BOOT_BZIMAGE ?= /tmp/kimg/root/boot/vmlinuz-6.1.0-56-amd64

check-fragments:: $(BUILD)/unit/test_boot
	tests/unit/boot_real_images.sh $(BUILD)/unit/test_boot $(BOOT_BZIMAGE)

$(BUILD)/vmlinux: $(BOOT_BZIMAGE) tests/unit/boot_extract_vmlinux.sh
	@mkdir -p $(dir $@)
	tests/unit/boot_extract_vmlinux.sh $< $@
