# tests/bench — host-only benchmarks (no KVM). `make bench-datapath` runs the
# NIC datapath against a tap in a fresh network namespace (root needed).

BENCH_DP      := $(BUILD)/bench/net_datapath
BENCH_DP_SRCS := tests/bench/net_datapath.c devices/net_datapath.c devices/tap.c \
                 vmm/guest_mem.c vmm/stats.c

.PHONY: bench-datapath

$(BENCH_DP): $(BENCH_DP_SRCS) tests/unit/net_fake_guest.h ring/snring.h ring/snnet.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $(BENCH_DP_SRCS) $(LDLIBS)

bench-datapath: $(BENCH_DP)
	$(BENCH_DP)

# The rig benchmarks (issues 2 and 4): figures side by side in one nested-rig run, never a
# verdict on timing. linets is static so that it runs in L1 and in a guest alike.
BENCH_LINETS := $(BUILD)/bench/linets

.PHONY: bench-boot bench

$(BENCH_LINETS): tests/bench/linets.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -static -o $@ $<

bench-boot: snvmm $(INITRAMFS) $(BUILD)/debian/vmlinux $(BENCH_LINETS)
	tests/rig/rig.sh --extras --timeout 900 tests/bench/boot.sh tests/bench/lib.sh $(BENCH_LINETS)

BENCH_NET_INITRD := $(BUILD)/bench/net-initramfs.cpio.gz

$(BENCH_NET_INITRD): tests/bench/net-initramfs.sh tests/bench/net-guest.sh $(INITRAMFS)
	@mkdir -p $(dir $@)
	tests/bench/net-initramfs.sh $@

bench: snvmm $(INITRAMFS) $(BUILD)/debian/vmlinux $(BENCH_NET_INITRD)
	tests/rig/rig.sh --extras --timeout 1200 tests/bench/net.sh tests/bench/lib.sh $(BENCH_NET_INITRD)
