# tests/fuzz — the NIC's whole host side under libFuzzer (the ring's own target is in
# ring/ring.mk). `make fuzz` fuzzes it for NET_FUZZ_SECS (120 s); `make check` for 20 s.

NET_FUZZ      := $(BUILD)/fuzz/fuzz_net
NET_FUZZ_SECS ?= 120
NET_FUZZ_SRCS := tests/fuzz/fuzz_net.c devices/net_datapath.c vmm/guest_mem.c vmm/log.c vmm/stats.c

.PHONY: fuzz-net

$(NET_FUZZ): $(NET_FUZZ_SRCS) $(ALL_HDRS)
	@mkdir -p $(dir $@)
	clang -O1 -g -std=gnu11 $(WARN) -D_GNU_SOURCE -Ivmm -Idevices -Iring -Itests/unit \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $(NET_FUZZ_SRCS)

# The seed corpus stays read-only; what libFuzzer learns goes under build/. -timeout: a round
# that blocks or spins is a finding too.
fuzz-net: $(NET_FUZZ)
	@mkdir -p $(BUILD)/fuzz/corpus-net tests/fuzz/crashes
	$(NET_FUZZ) -max_total_time=$(NET_FUZZ_SECS) -timeout=10 -close_fd_mask=2 -print_final_stats=1 \
		-artifact_prefix=tests/fuzz/crashes/ $(BUILD)/fuzz/corpus-net tests/fuzz/corpus/net

fuzz:: fuzz-net

check-fragments::
	$(MAKE) fuzz-net NET_FUZZ_SECS=20

# The kernel loaders against any image, RAM size, initrd and command line (tests/fuzz/fuzz_boot.c).
BOOT_FUZZ      := $(BUILD)/fuzz/fuzz_boot
BOOT_FUZZ_SECS ?= 120
BOOT_FUZZ_SRCS := tests/fuzz/fuzz_boot.c vmm/boot.c vmm/boot_bzimage.c vmm/boot_elf.c \
                  vmm/boot_x86.c vmm/guest_mem.c

.PHONY: fuzz-boot

$(BOOT_FUZZ): $(BOOT_FUZZ_SRCS) $(ALL_HDRS)
	@mkdir -p $(dir $@)
	clang -O1 -g -std=gnu11 $(WARN) -D_GNU_SOURCE -Ivmm -Itests/unit \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $(BOOT_FUZZ_SRCS) -lelf

fuzz-boot: $(BOOT_FUZZ)
	@mkdir -p $(BUILD)/fuzz/corpus-boot tests/fuzz/crashes
	$(BOOT_FUZZ) -max_total_time=$(BOOT_FUZZ_SECS) -timeout=10 -print_final_stats=1 \
		-artifact_prefix=tests/fuzz/crashes/ $(BUILD)/fuzz/corpus-boot tests/fuzz/corpus/boot

fuzz:: fuzz-boot

check-fragments::
	$(MAKE) fuzz-boot BOOT_FUZZ_SECS=20
