# tests/bench — host-only benchmarks (no KVM). `make bench-datapath` runs the
# NIC datapath against a tap in a fresh network namespace (root needed).

BENCH_DP      := $(BUILD)/bench/net_datapath
BENCH_DP_SRCS := tests/bench/net_datapath.c devices/net_datapath.c devices/tap.c \
                 vmm/guest_mem.c vmm/log.c vmm/stats.c

.PHONY: bench-datapath

$(BENCH_DP): $(BENCH_DP_SRCS) $(ALL_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $(BENCH_DP_SRCS) $(LDLIBS)

bench-datapath: $(BENCH_DP)
	$(BENCH_DP)

# The rig benchmarks (issues 2 and 4): figures side by side in one nested-rig run, never a
# verdict on timing. linets is static so that it runs in L1 and in a guest alike.
BENCH_LINETS := $(BUILD)/bench/linets

.PHONY: bench-boot bench bench-pin bench-boot-measure bench-measure bench-pin-measure

$(BENCH_LINETS): tests/bench/linets.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -static -o $@ $<

# On a host whose /dev/kvm has VMX/SVM the benchmarks run right here, on real hardware
# virtualization (the net ones in a network namespace of their own); elsewhere inside the rig.
# There, a run whose L1 broke (rig.sh: 124 stopped, 125 no exit marker: an L1 oops,
# say) has no figures for the VMMs it had not reached, and side-by-side ratios need them all
# from one L1: measure everything again in a fresh rig, up to three times, saying so. A status
# the benchmark script itself returned is final.
# $(call BENCH_RUN,TIMEOUT,SCRIPT,FILES the rig copies into L1)
BENCH_RUN = if [ "$$(tests/rig/kvm-kind.sh)" = hw ]; then \
		echo "bench: /dev/kvm has VMX/SVM: measuring on this host"; exec sh $(2); \
	fi; \
	echo "bench: no VMX/SVM here: measuring inside the nested rig (TCG: compare ratios only)"; \
	for try in 1 2 3; do \
		tests/rig/rig.sh --extras --timeout $(1) $(2) $(3); rc=$$?; \
		case $$rc in 124 | 125) ;; *) exit $$rc ;; esac; \
		echo "bench: L1 broke (rig status $$rc, attempt $$try of 3)" >&2; \
	done; exit 1

# Each installs what is missing first, then builds in a make of its own (which sees the kernel
# release deps may just have installed), as run and check do.
bench-boot bench bench-pin: deps
	@$(MAKE) --no-print-directory $@-measure

bench-boot-measure: snvmm $(INITRAMFS) $(BUILD)/debian/vmlinux $(BENCH_LINETS)
	@$(call BENCH_RUN,900,tests/bench/boot.sh,tests/bench/lib.sh $(BENCH_LINETS))

BENCH_NET_INITRD := $(BUILD)/bench/net-initramfs.cpio.gz

$(BENCH_NET_INITRD): tests/bench/net-initramfs.sh tests/bench/net-guest.sh $(INITRAMFS)
	@mkdir -p $(dir $@)
	tests/bench/net-initramfs.sh $@

bench-measure: snvmm $(INITRAMFS) $(BUILD)/debian/vmlinux $(BENCH_NET_INITRD)
	@$(call BENCH_RUN,1200,tests/bench/net.sh,tests/bench/lib.sh $(BENCH_NET_INITRD))

bench-pin-measure: snvmm $(INITRAMFS) $(BUILD)/debian/vmlinux $(BENCH_NET_INITRD)
	@$(call BENCH_RUN,1200,tests/bench/net-pin.sh,tests/bench/net.sh tests/bench/lib.sh \
		$(BENCH_NET_INITRD))
