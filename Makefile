# snvmm — top-level build. `make run` boots the default guest, `make check` runs every test;
# both install what is missing first (Debian 12, as root).

SNVMM_VERSION := 0.1.0
BUILD         := build
CC            ?= gcc
WARN          := -Wall -Wextra -Werror
CFLAGS        ?= -O2 -g
# override: `make CFLAGS=-O0` sets the optimisation, not the includes and warnings.
override CFLAGS += -std=gnu11 $(WARN) -D_GNU_SOURCE -DSNVMM_VERSION='"$(SNVMM_VERSION)"' \
                 -Ivmm -Idevices -Iring -pthread -MMD -MP
LDLIBS        := -lelf -pthread
SAN           := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# Binaries compiled from several sources in one command get no complete .d from gcc: they depend
# on every header instead.
ALL_HDRS      := $(wildcard vmm/*.h devices/*.h ring/*.h tests/unit/*.h tests/fuzz/*.h)

# Kbuild's external-module builds take no path with a space (M=): say so before anything else.
ifneq ($(words $(CURDIR)),1)
$(error snvmm: the checkout's path '$(CURDIR)' has a space, which the kernel's module build cannot take; clone it elsewhere)
endif

# The guest kernel: Debian's linux-image for the release the installed linux-headers-amd64
# points at, so the guest module is always built against the kernel it runs in.
KREL := $(shell dpkg-query -W -f='$${Depends}' linux-headers-amd64 2>/dev/null | tr ',' '\n' | \
          sed -n 's/^ *linux-headers-\([0-9][^ ]*-amd64\).*/\1/p' | head -n1)
KDIR           := /usr/src/linux-headers-$(KREL)
# Rewritten only when the release changes (an upgrade of linux-headers-amd64): what is built
# for one kernel (its image in build/debian, snnet.ko, the initramfs) depends on it.
KREL_STAMP     := $(BUILD)/debian/release
ifneq ($(KREL),)
$(shell mkdir -p $(BUILD)/debian && { [ "$$(cat $(KREL_STAMP) 2>/dev/null)" = "$(KREL)" ] || \
          echo "$(KREL)" >$(KREL_STAMP); })
endif
ifeq ($(KREL),)
$(KREL_STAMP):
	@echo "snvmm: linux-headers-amd64 is not installed: 'make deps' installs it (make run and" \
		"make check run it first)" >&2; exit 1
endif
DEBIAN_BZIMAGE := $(BUILD)/debian/boot/vmlinuz-$(KREL)
DEBIAN_VMLINUX := $(BUILD)/debian/vmlinux

VMM_SRCS  := $(sort $(wildcard vmm/*.c devices/*.c))
VMM_OBJS  := $(VMM_SRCS:%.c=$(BUILD)/obj/%.o)
LIB_SRCS  := $(filter-out vmm/main.c,$(VMM_SRCS))
ASAN_OBJS := $(LIB_SRCS:%.c=$(BUILD)/asan/%.o)

UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
TSAN_SRCS  := $(sort $(wildcard tests/unit/tsan_*.c))
TSAN_BINS  := $(TSAN_SRCS:tests/unit/%.c=$(BUILD)/tsan/%) $(BUILD)/tsan/test_net
# The whole VMM built with the sanitizers, for the suites that run snvmm itself (check-sanitized).
ASAN_VMM   := $(BUILD)/asan/snvmm
TSAN_VMM   := $(BUILD)/tsan/snvmm
TSAN_OBJS  := $(VMM_SRCS:%.c=$(BUILD)/tsan-obj/%.o)

# Debian packages the build, the tests, the benchmarks and the rig need (ping and nc: the host's
# side of the network tests on a VMX/SVM host; the rig's L1 has busybox's; procps: sysctl in
# the micro-guests' network setup). Priority "optional" ones are missing from a minimal Debian.
DEB_PKGS := gcc make libc6-dev libelf-dev clang clang-format libclang-rt-14-dev llvm \
            linux-headers-amd64 busybox-static cpio gzip xz-utils zstd qemu-system-x86 iperf3 \
            iproute2 acpica-tools ethtool linux-perf kmod iputils-ping netcat-openbsd python3 \
            procps

.SECONDARY:
.PHONY: all deps run check check-unit check-tsan check-guests check-e2e bench clean format \
        format-check
all: snvmm

snvmm: $(VMM_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -c -o $@ $<

$(BUILD)/tsan-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=thread -c -o $@ $<

# A machine without libelf-dev would stop gcc at gelf.h: say what installs it instead. Phony
# and order-only, so it is asked each run (one preprocessor call) but rebuilds nothing.
.PHONY: need-libelf
need-libelf:
	@echo '#include <gelf.h>' | $(CC) -E -x c - >/dev/null 2>&1 || { echo "snvmm: gelf.h" \
		"not found: libelf-dev is not installed; 'make deps' installs it (make run and" \
		"make check run it first)" >&2; exit 1; }
$(BUILD)/obj/vmm/boot_elf.o $(BUILD)/asan/vmm/boot_elf.o $(BUILD)/tsan-obj/vmm/boot_elf.o: | need-libelf

$(ASAN_VMM): $(ASAN_OBJS) $(BUILD)/asan/vmm/main.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

$(TSAN_VMM): $(TSAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=thread -o $@ $^ $(LDLIBS)

# The test binaries' .d files make headers prerequisites too: only sources and objects are
# handed to the compiler.
$(BUILD)/unit/%: tests/unit/%.c $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -Itests/unit -o $@ $(filter %.c %.o,$^) $(LDLIBS)

$(BUILD)/tsan/%: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=thread -Itests/unit -o $@ $< $(LDLIBS)

# The NIC datapath test has a worker thread (plain and busy-polling): under TSan as well.
# Several sources in one command leave gcc's .d with the last one's headers: these are listed.
$(BUILD)/tsan/test_net: tests/unit/test_net.c devices/net_datapath.c vmm/guest_mem.c vmm/log.c vmm/stats.c \
                        $(ALL_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=thread -Itests/unit -o $@ $(filter %.c,$^) $(LDLIBS)

# Installs only what is missing, so a second run costs one dpkg query.
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "snvmm: installing $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Where the tests that need a /dev/kvm run: on this host when it has one (KVM-PVM's will do for
# them), else inside the rig's L1, whose KVM is real (check-kvm-rig, tests/guests/guests.mk): a
# host with none at all is a VM without nested virtualization. Either way they run.
KVM_HERE      := $(shell [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && echo yes)
KVM_UNIT_BINS := $(BUILD)/unit/test_irq_route $(BUILD)/unit/test_stats

# Each test binary gets a bound: one that hangs (a lost wake-up, a loop that never ends) fails
# with timeout's status 124 instead of holding make check.
UNIT_TIMEOUT := 600
check-unit: $(UNIT_BINS)
	@set -e; for t in $(if $(KVM_HERE),$(UNIT_BINS),$(filter-out $(KVM_UNIT_BINS),$(UNIT_BINS))); do \
		echo "== $$t"; timeout $(UNIT_TIMEOUT) $$t; done
	@$(if $(KVM_HERE),true,echo "check-unit: no /dev/kvm on this host: $(KVM_UNIT_BINS) run in" \
		"the rig's L1 instead (make check-kvm-rig, part of make check)")

check-tsan: $(TSAN_BINS)
	@set -e; for t in $(TSAN_BINS); do echo "== $$t"; timeout $(UNIT_TIMEOUT) $$t; done

# The main job: install what is missing, build, boot the default guest on this terminal
# (inside the nested rig when this host's /dev/kvm has no VMX/SVM).
run: deps
	$(MAKE) all
	$(MAKE) run-guest

check: deps
	$(MAKE) all
	$(MAKE) format-check
	$(MAKE) check-unit
	$(MAKE) check-tsan
	$(MAKE) check-fragments
	$(MAKE) check-kvm
	$(MAKE) check-e2e

# guest/ is kernel code in the kernel's own style; check-fragments builds it with W=1 instead.
format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^guest/')

# No file list (git missing, or refusing the checkout) is a failure, not a pass on empty stdin.
format-check:
	@files=$$(git ls-files '*.c' '*.h' | grep -v '^guest/') && [ -n "$$files" ] || \
		{ echo "format-check: git ls-files gave no sources" >&2; exit 1; }; \
	clang-format --dry-run -Werror $$files

clean:
	rm -rf $(BUILD) snvmm

# Each area may add its own rules (and hook them into check-fragments) in a *.mk beside it.
check-fragments::
	@true
include $(sort $(wildcard ring/*.mk guest/*.mk initramfs/*.mk tests/*/*.mk))

-include $(VMM_OBJS:.o=.d) $(ASAN_OBJS:.o=.d) $(BUILD)/asan/vmm/main.d $(TSAN_OBJS:.o=.d) \
         $(UNIT_BINS:=.d) $(TSAN_BINS:=.d)
