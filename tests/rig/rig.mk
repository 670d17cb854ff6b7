# SPDX-License-Identifier: MIT
# Debian's guest kernel, the nested-virtualization rig, `make check-e2e`, and the guest for `make run`.

$(BUILD)/debian/vmlinux: tests/rig/debian-kernel.sh
	@tests/rig/debian-kernel.sh >/dev/null

.PHONY: check-e2e run-guest
# bad-input needs no KVM; the boot and net suites (tests/e2e/all.sh) run directly on a VMX/SVM
# host, else inside the rig, whose --extras put iperf3 into L1.
check-e2e: snvmm $(INITRAMFS) $(BUILD)/debian/vmlinux $(NETCHECK)
	tests/e2e/bad-input.sh
	@if [ "$$(tests/rig/kvm-kind.sh)" = hw ]; then \
		echo "check-e2e: /dev/kvm has VMX/SVM: booting guests directly"; \
		tests/e2e/all.sh; \
	else \
		echo "check-e2e: no VMX/SVM here: booting guests inside the nested rig"; \
		tests/rig/rig.sh --extras --timeout 1500 tests/e2e/all.sh $(NETCHECK); \
	fi
	@if [ "$$(tests/rig/kvm-kind.sh)" = hw ]; then tests/e2e/perf.sh; else tests/rig/rig.sh --extras --timeout 600 tests/e2e/perf.sh $(BUILD)/guests/exits.bin tests/guests/exits.S; fi

# Powering the guest off (0) and quitting with Ctrl-A x (6) are both a normal end of `make run`.
run-guest: snvmm $(INITRAMFS) $(BUILD)/debian/vmlinux
	@tests/rig/run-default.sh; s=$$?; [ $$s = 0 ] || [ $$s = 6 ] || exit $$s

