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
