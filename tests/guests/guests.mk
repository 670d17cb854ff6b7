# Micro-guests: tiny flat 64-bit programs run by snvmm --raw on this host's /dev/kvm (or on the
# rig's, in its L1, on a host with none: check-kvm-rig).
GUEST_SRCS := $(sort $(wildcard tests/guests/*.S))
GUEST_BINS := $(GUEST_SRCS:tests/guests/%.S=$(BUILD)/guests/%.bin)
# Guests that never end by themselves, for tests/guests/console.py only.
CONSOLE_BINS := $(patsubst tests/guests/%.S,$(BUILD)/guests/%.bin,\
                  $(sort $(wildcard tests/guests/console/*.S)))

$(BUILD)/guests/%.bin: tests/guests/%.S tests/guests/guest.inc tests/guests/snnet.inc
	@mkdir -p $(dir $@)
	$(CC) -c -Itests/guests -o $(@:.bin=.o) $<
	ld -Ttext=0x100000 -e _start --oformat binary -o $@ $(@:.bin=.o)

# The suites that need /dev/kvm, one command a line, for tests/guests/suites.sh: on this host
# when it has a /dev/kvm (KVM_HERE), else all in one rig run (check-kvm-rig).
define KVM_SUITES_PLAIN
tests/guests/run.sh
tests/guests/console.py
endef

# The same suites against the VMM built with ASan+UBSan and with TSan: the hostile guests' every
# path through the devices, the console's threads and signals. A report is a failure: it
# changes the status (exit codes no test expects) and adds to stderr. LeakSanitizer looks at
# each exit too, for memory nothing points to any more (the VM's own structures are still on
# main()'s stack when it calls exit()). Bad host input needs no KVM: it runs here either way.
SAN_ENV_ASAN := ASAN_OPTIONS=exitcode=86 UBSAN_OPTIONS=exitcode=87:print_stacktrace=1
SAN_ENV_TSAN := TSAN_OPTIONS=exitcode=88:halt_on_error=1:second_deadlock_stack=1
define KVM_SUITES_SANITIZED
SNVMM=$(ASAN_VMM) $(SAN_ENV_ASAN) tests/guests/run.sh
SNVMM=$(ASAN_VMM) $(SAN_ENV_ASAN) tests/guests/console.py
SNVMM=$(TSAN_VMM) $(SAN_ENV_TSAN) tests/guests/run.sh
SNVMM=$(TSAN_VMM) $(SAN_ENV_TSAN) tests/guests/console.py
endef
define newline


endef

.PHONY: check-guests check-sanitized check-kvm check-kvm-rig check-bad-input-sanitized
check-bad-input-sanitized: $(ASAN_VMM)
	SNVMM=$(ASAN_VMM) $(SAN_ENV_ASAN) tests/e2e/bad-input.sh
check-sanitized: check-bad-input-sanitized
# check-kvm: both lists, which make check runs on their own after check-fragments: under
# make -j, beside the fuzzers and module builds, the console suite's time bounds would measure
# the load, not snvmm.
ifneq ($(KVM_HERE),)
check-guests: snvmm
check-guests: KVM_SUITES_HERE = $(KVM_SUITES_PLAIN)
check-sanitized: $(ASAN_VMM) $(TSAN_VMM)
check-sanitized: KVM_SUITES_HERE = $(KVM_SUITES_SANITIZED)
check-kvm: snvmm $(ASAN_VMM) $(TSAN_VMM)
check-kvm: KVM_SUITES_HERE = $(KVM_SUITES_PLAIN)$(newline)$(KVM_SUITES_SANITIZED)
check-guests check-sanitized check-kvm: $(GUEST_BINS) $(CONSOLE_BINS)
	$(shell mkdir -p $(BUILD)/guests)$(file >$(BUILD)/guests/suites-$@,$(KVM_SUITES_HERE))
	tests/guests/suites.sh $(BUILD)/guests/suites-$@
else
# No /dev/kvm here: the unit tests that open it and both lists, in one L1 (about 5 minutes).
check-guests check-sanitized check-kvm: check-kvm-rig
endif
# L1's KVM shadows the micro-guests' page tables (--npt 0): with nested paging, TCG's or L1's
# handling of it lost an L2 guest now and then (README "The rig"), and the console suite's
# 8-vCPU guest under TSan triple-faulted once in about ten runs (vcpu0, in its loop of port
# writes); with shadow paging, none in nine.
KVM_RIG_FILES := $(ASAN_VMM) $(TSAN_VMM) $(GUEST_BINS) $(CONSOLE_BINS) $(KVM_UNIT_BINS) tests/guests
check-kvm-rig: snvmm $(KVM_RIG_FILES)
	$(shell mkdir -p $(BUILD)/guests)$(file >$(BUILD)/guests/suites-rig,$(foreach t,$(KVM_UNIT_BINS),timeout $(UNIT_TIMEOUT) $(t)$(newline))$(KVM_SUITES_PLAIN)$(newline)$(KVM_SUITES_SANITIZED))
	tests/rig/rig-retry.sh --npt 0 --extras --python --timeout 2400 tests/rig/kvm-suites.sh \
		$(BUILD)/guests/suites-rig $(KVM_RIG_FILES)

check-fragments:: check-bad-input-sanitized
