# SPDX-License-Identifier: MIT
# Debian's guest kernel, the nested-virtualization rig, `make check-e2e`, and the guest for `make run`.

$(BUILD)/debian/vmlinux: tests/rig/debian-kernel.sh $(KREL_STAMP)
	@tests/rig/debian-kernel.sh >/dev/null && touch $@

.PHONY: check-e2e run-guest
# bad-input needs no KVM; the boot and net suites (tests/e2e/all.sh) and the perf cross-check run
# directly on a VMX/SVM host, else inside the rig, whose --extras put QEMU and perf into L1.
# run-piped.sh then runs `make run`'s own path with its input piped in (through the rig's
# interactive console where there is no VMX/SVM).
#
# In the rig only, a run whose L1 broke is repeated up to twice, saying so loudly
# (tests/rig/rig-retry.sh says why); a suite's own failure is final.
# The boot and net suites run with L1's kvm-amd at npt=0: the L2 hangs and triple faults under
# iperf3 load come with nested paging and have not been seen without it (README, "The rig").
# perf.sh keeps nested paging: it counts exits, and shadow paging adds its own.
RIG_E2E = tests/rig/rig-retry.sh --extras --timeout 1200
check-e2e: snvmm $(INITRAMFS) $(BUILD)/debian/vmlinux $(NETCHECK) $(RINGPOKE) \
	   $(BUILD)/guests/triple-fault.bin
	tests/e2e/bad-input.sh
	@if [ "$$(tests/rig/kvm-kind.sh)" = hw ]; then \
		echo "check-e2e: /dev/kvm has VMX/SVM: booting guests directly"; \
		tests/e2e/all.sh && tests/e2e/perf.sh; \
	else \
		echo "check-e2e: no VMX/SVM here: booting guests inside the nested rig"; \
		for t in "--npt 0 tests/e2e/all.sh $(NETCHECK) $(RINGPOKE)" \
			 "tests/e2e/perf.sh $(BUILD)/guests/exits.bin tests/guests/exits.S \
			  $(BUILD)/guests/triple-fault.bin"; do \
			$(RIG_E2E) $$t || { echo "check-e2e: FAILED (status $$?): $$t" >&2; exit 1; }; \
		done; \
	fi
	tests/e2e/run-piped.sh

# `make run`'s terminal in the rig (tests/rig/console-relay.c) against a fake L1, under the
# sanitizers; rig.sh builds its own plain copy. tests/e2e/run-piped.sh drives the real one.
CONSOLE_RELAY_SAN := $(BUILD)/rig/console-relay-san
$(CONSOLE_RELAY_SAN): tests/rig/console-relay.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $<

.PHONY: check-console-relay
check-console-relay: $(CONSOLE_RELAY_SAN)
	timeout 300 tests/rig/console_relay_test.py $(CONSOLE_RELAY_SAN)
check-fragments:: check-console-relay

# Powering the guest off (0) and quitting with Ctrl-A x (6) are both a normal end of `make run`.
run-guest: snvmm $(INITRAMFS) $(BUILD)/debian/vmlinux
	@tests/rig/run-default.sh; s=$$?; [ $$s = 0 ] || [ $$s = 6 ] || exit $$s

