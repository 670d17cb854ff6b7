#!/bin/sh
# SPDX-License-Identifier: MIT
# Prints "hw" when this host can run a stock kernel under KVM (VMX or SVM in /proc/cpuinfo and a
# usable /dev/kvm that is not KVM-PVM), else "rig" (use the nested rig, tests/rig/rig.sh).
# With --why, says on stderr why a host is "rig".
if grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null && [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
	[ ! -e /sys/module/kvm_pvm ]; then
	echo hw
	exit 0
fi
echo rig
[ "${1:-}" = --why ] || exit 0
if [ -e /sys/module/kvm_pvm ]; then
	echo "this host's /dev/kvm is KVM-PVM (software virtualization, no VMX/SVM)" >&2
elif ! grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null; then
	echo "this CPU shows no VMX/SVM (off in the firmware, or a VM without nesting)" >&2
else
	echo "/dev/kvm is missing or not read-write for this user (is kvm_intel/kvm_amd loaded?)" >&2
fi
