# SPDX-License-Identifier: MIT
# guest/ — the kernel module snnet.ko (the only recursive make). Included by
# the top Makefile: `make` builds it with W=1 (warning-free, -Werror), `make
# clean` removes it, `make check` checks it builds so via check-fragments.

GUEST_KO   := guest/snnet.ko
GUEST_KO_SRCS := $(wildcard guest/*.c guest/*.h) guest/Kbuild guest/Makefile ring/snnet.h \
                 ring/snring.h

.PHONY: guest-module guest-clean check-guest-w1

all: $(GUEST_KO)

# Kbuild tracks its own dependencies; this rule only decides whether to ask it (and touches the
# module, which Kbuild leaves as it was when nothing changed for it). A new kernel release
# (KREL_STAMP) starts from clean, so nothing built for the old one is kept. Always W=1, as
# check-guest-w1 builds it: a different command line would rebuild every object each time.
$(GUEST_KO): $(GUEST_KO_SRCS) $(KREL_STAMP)
	@[ -f $@ ] && [ $(KREL_STAMP) -nt $@ ] && $(MAKE) -C guest clean || true
	$(MAKE) -C guest W=1 modules
	@touch $@

guest-module:
	$(MAKE) -C guest W=1 modules

guest-clean:
	$(MAKE) -C guest clean

clean: guest-clean

check-guest-w1:
	$(MAKE) -C guest W=1 modules
	@modinfo -F alias $(GUEST_KO) | grep -qx 'acpi\*:SNVM0001:\*' && \
		echo "guest: snnet.ko builds with W=1, alias acpi*:SNVM0001:*"

check-fragments::
	$(MAKE) check-guest-w1
