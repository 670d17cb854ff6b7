# SPDX-License-Identifier: MIT
# guest/ — the kernel module snnet.ko (the only recursive make). Included by
# the top Makefile: `make` builds it, `make clean` removes it, `make check`
# also builds it with W=1 (warning-free, -Werror) via check-fragments.

GUEST_KO   := guest/snnet.ko
GUEST_SRCS := $(wildcard guest/*.c guest/*.h) guest/Kbuild ring/snnet.h ring/snring.h

.PHONY: guest-module guest-clean check-guest-w1

all: $(GUEST_KO)

# Kbuild tracks its own dependencies; this rule only decides whether to ask it. A new kernel
# release (KREL_STAMP) starts from clean, so nothing built for the old one is kept.
$(GUEST_KO): $(GUEST_SRCS) $(KREL_STAMP)
	@[ -f $@ ] && [ $(KREL_STAMP) -nt $@ ] && $(MAKE) -C guest clean || true
	$(MAKE) -C guest modules

guest-module:
	$(MAKE) -C guest modules

guest-clean:
	$(MAKE) -C guest clean

clean: guest-clean

check-guest-w1:
	$(MAKE) -C guest W=1 modules
	@modinfo -F alias $(GUEST_KO) | grep -qx 'acpi\*:SNVM0001:\*' && \
		echo "guest: snnet.ko builds with W=1, alias acpi*:SNVM0001:*"

check-fragments::
	$(MAKE) check-guest-w1
