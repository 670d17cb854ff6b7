// SPDX-License-Identifier: MIT
// Holds one empty KVM VM open for the life of the rig's L1, so L1's KVM keeps virtualization
// enabled on every CPU between test guests.
//
// Why: the 6.1 kernels the rig boots turn SVM on in every CPU when the first VM is created and
// off when the last one is destroyed, each time by an IPI to all CPUs that waits for the answers.
// QEMU's TCG has been seen to lose such an IPI while its other vCPU runs: L1 then spins in
// smp_call_function_many_cond() under kvm_destroy_vm() until its soft-lockup watchdog fires.
// Test suites start and stop a dozen guests per L1 boot; with this VM held open, none of those
// starts and stops needs the broadcast (newer kernels get the same with kvm.enable_virt_at_load).
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm-hold: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fprintf(stderr, "kvm-hold: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	for (;;)
		pause();
}
