# Micro-guests: tiny flat 64-bit programs run by snvmm --raw on this host's /dev/kvm.
GUEST_SRCS := $(sort $(wildcard tests/guests/*.S))
GUEST_BINS := $(GUEST_SRCS:tests/guests/%.S=$(BUILD)/guests/%.bin)
# Guests that never end by themselves, for tests/guests/console.py only.
CONSOLE_BINS := $(patsubst tests/guests/%.S,$(BUILD)/guests/%.bin,\
                  $(sort $(wildcard tests/guests/console/*.S)))

$(BUILD)/guests/%.bin: tests/guests/%.S tests/guests/guest.inc tests/guests/snnet.inc
	@mkdir -p $(dir $@)
	$(CC) -c -Itests/guests -o $(@:.bin=.o) $<
	ld -Ttext=0x100000 -e _start --oformat binary -o $@ $(@:.bin=.o)

.PHONY: check-guests
check-guests: snvmm $(GUEST_BINS) $(CONSOLE_BINS)
	tests/guests/run.sh
	tests/guests/console.py

# The same suites, and bad host input, against the VMM built with ASan+UBSan and with TSan: the
# hostile guests' every path through the devices, the console's threads and signals. A report is
# a failure: it changes the status (exit codes no test expects) and adds to stderr. LeakSanitizer
# looks at each exit too, for memory nothing points to any more (the VM's own structures are
# still on main()'s stack when it calls exit()).
SAN_ENV_ASAN := ASAN_OPTIONS=exitcode=86 UBSAN_OPTIONS=exitcode=87:print_stacktrace=1
SAN_ENV_TSAN := TSAN_OPTIONS=exitcode=88:halt_on_error=1:second_deadlock_stack=1

.PHONY: check-sanitized
check-sanitized: $(ASAN_VMM) $(TSAN_VMM) $(GUEST_BINS) $(CONSOLE_BINS)
	SNVMM=$(ASAN_VMM) $(SAN_ENV_ASAN) tests/guests/run.sh
	SNVMM=$(ASAN_VMM) $(SAN_ENV_ASAN) tests/guests/console.py
	SNVMM=$(ASAN_VMM) $(SAN_ENV_ASAN) tests/e2e/bad-input.sh
	SNVMM=$(TSAN_VMM) $(SAN_ENV_TSAN) tests/guests/run.sh
	SNVMM=$(TSAN_VMM) $(SAN_ENV_TSAN) tests/guests/console.py

check-fragments:: check-guests check-sanitized
