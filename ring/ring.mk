# ring/ — the shared ring: its libFuzzer target and the kernel-build check.
# Included by the top Makefile; `make fuzz` fuzzes for RING_FUZZ_SECS (120 s),
# `make check` runs a 20 s fuzz and builds ring/kcheck.c as a throwaway module.

RING_FUZZ      := $(BUILD)/fuzz/fuzz_ring
RING_FUZZ_SECS ?= 120
RING_KDIR      ?= $(KDIR)
RING_KBUILD    := $(BUILD)/ring-kcheck

.PHONY: fuzz fuzz-ring check-ring-kmod

$(RING_FUZZ): tests/fuzz/fuzz_ring.c $(ALL_HDRS)
	@mkdir -p $(dir $@)
	clang -O1 -g -std=gnu11 $(WARN) -D_GNU_SOURCE -Iring \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $<

# The seed corpus stays read-only; what libFuzzer learns goes under build/.
fuzz-ring: $(RING_FUZZ)
	@mkdir -p $(BUILD)/fuzz/corpus-ring tests/fuzz/crashes
	$(RING_FUZZ) -max_total_time=$(RING_FUZZ_SECS) -timeout=10 -print_final_stats=1 \
		-artifact_prefix=tests/fuzz/crashes/ $(BUILD)/fuzz/corpus-ring tests/fuzz/corpus/ring

fuzz:: fuzz-ring

check-ring-kmod:
	@if [ ! -d $(RING_KDIR) ]; then echo "ring: no kernel headers at $(RING_KDIR)" >&2; exit 1; \
	else mkdir -p $(RING_KBUILD) && cp ring/kcheck.c $(RING_KBUILD)/snring_kcheck.c && \
		printf 'obj-m := snring_kcheck.o\nccflags-y := -I$(CURDIR)/ring -Werror\n' \
			>$(RING_KBUILD)/Kbuild && \
		$(MAKE) -s -C $(RING_KDIR) M=$(abspath $(RING_KBUILD)) W=1 modules && \
		echo "ring: snring.h builds as a kernel module"; fi

check-fragments::
	$(MAKE) check-ring-kmod
	$(MAKE) fuzz-ring RING_FUZZ_SECS=20
