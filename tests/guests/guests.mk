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

check-fragments:: check-guests
