# SPDX-License-Identifier: MIT
# Debian's guest kernel, the nested-virtualization rig, `make check-e2e`, and the guest for `make run`.

$(BUILD)/debian/vmlinux: tests/rig/debian-kernel.sh
	@tests/rig/debian-kernel.sh >/dev/null

.PHONY: check-e2e run-guest
# bad-input needs no KVM; the boot and net suites (tests/e2e/all.sh) and the perf cross-check run
# directly on a VMX/SVM host, else inside the rig, whose --extras put iperf3 and perf into L1.
#
# In the rig only, a failed run is repeated once, saying so loudly: nested SVM emulated by TCG
# has been seen to crash now and then (an L1 kernel oops in KVM_RUN, a guest triple fault under
# iperf3 load, an L1 that stops) in runs whose repeat passed. A suite that fails twice fails.
RIG_E2E = tests/rig/rig.sh --extras --timeout 600
check-e2e: snvmm $(INITRAMFS) $(BUILD)/debian/vmlinux $(NETCHECK)
	tests/e2e/bad-input.sh
	@if [ "$$(tests/rig/kvm-kind.sh)" = hw ]; then \
		echo "check-e2e: /dev/kvm has VMX/SVM: booting guests directly"; \
		tests/e2e/all.sh && tests/e2e/perf.sh; \
	else \
		echo "check-e2e: no VMX/SVM here: booting guests inside the nested rig"; \
		for t in "tests/e2e/all.sh $(NETCHECK)" \
			 "tests/e2e/perf.sh $(BUILD)/guests/exits.bin tests/guests/exits.S"; do \
			$(RIG_E2E) $$t && continue; \
			echo "check-e2e: RIG RUN FAILED (status $$?): $$t; repeating it once" >&2; \
			$(RIG_E2E) $$t || exit 1; \
		done; \
	fi

# Powering the guest off (0) and quitting with Ctrl-A x (6) are both a normal end of `make run`.
run-guest: snvmm $(INITRAMFS) $(BUILD)/debian/vmlinux
	@tests/rig/run-default.sh; s=$$?; [ $$s = 0 ] || [ $$s = 6 ] || exit $$s

