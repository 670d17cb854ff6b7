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
endef
KVM_SUITE_TSAN_CONSOLE := SNVMM=$(TSAN_VMM) $(SAN_ENV_TSAN) tests/guests/console.py
define newline


endef

.PHONY: check-guests check-sanitized check-kvm-rig check-bad-input-sanitized
check-bad-input-sanitized: $(ASAN_VMM)
	SNVMM=$(ASAN_VMM) $(SAN_ENV_ASAN) tests/e2e/bad-input.sh
check-sanitized: check-bad-input-sanitized
ifneq ($(KVM_HERE),)
check-guests: snvmm $(GUEST_BINS) $(CONSOLE_BINS)
	$(shell mkdir -p $(BUILD)/guests)$(file >$(BUILD)/guests/suites-plain,$(KVM_SUITES_PLAIN))
	tests/guests/suites.sh $(BUILD)/guests/suites-plain
check-sanitized: $(TSAN_VMM) $(GUEST_BINS) $(CONSOLE_BINS)
	$(shell mkdir -p $(BUILD)/guests)$(file >$(BUILD)/guests/suites-sanitized,$(KVM_SUITES_SANITIZED)$(newline)$(KVM_SUITE_TSAN_CONSOLE))
	tests/guests/suites.sh $(BUILD)/guests/suites-sanitized
else
# No /dev/kvm here: the unit tests that open it and both lists, in one L1 (about 4 minutes).
check-guests check-sanitized: check-kvm-rig
endif
# The console suite under TSan is the one left to hosts with a /dev/kvm: in L1 each exit to
# snvmm under TSan costs hundreds of microseconds, and in ten runs its 8-vCPU guest crashed once
# (status 5, cause unseen: L2 guests under load do crash in this rig now and then, README "The
# rig"), two runs tripped time bounds since widened and one a race in the test since fixed.
# Said at each run.
KVM_RIG_FILES := $(ASAN_VMM) $(TSAN_VMM) $(GUEST_BINS) $(CONSOLE_BINS) $(KVM_UNIT_BINS) tests/guests
check-kvm-rig: snvmm $(KVM_RIG_FILES)
	@echo "check-kvm-rig: the console suite under TSan runs only on a host with a /dev/kvm" \
		"(tests/guests/guests.mk says why)"
	$(shell mkdir -p $(BUILD)/guests)$(file >$(BUILD)/guests/suites-rig,$(foreach t,$(KVM_UNIT_BINS),timeout $(UNIT_TIMEOUT) $(t)$(newline))$(KVM_SUITES_PLAIN)$(newline)$(KVM_SUITES_SANITIZED))
	tests/rig/rig-retry.sh --extras --python --timeout 2400 tests/rig/kvm-suites.sh \
		$(BUILD)/guests/suites-rig $(KVM_RIG_FILES)

check-fragments:: check-guests check-sanitized
