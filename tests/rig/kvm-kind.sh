#!/bin/sh
# SPDX-License-Identifier: MIT
# Prints "hw" when this host can run a stock kernel under KVM (VMX or SVM in /proc/cpuinfo and a
# usable /dev/kvm that is not KVM-PVM), else "rig" (use the nested rig, tests/rig/rig.sh).
# With --why, says on stderr why a host is "rig".
vmx_svm() { grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null; }
if vmx_svm && [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
	[ ! -e /sys/module/kvm_pvm ]; then
	echo hw
	exit 0
fi
echo rig
[ "${1:-}" = --why ] || exit 0
# /dev/kvm first: kvm_pvm can be loaded with no /dev/kvm of its own (a kernel that is itself a
# KVM-PVM guest declines to serve one).
if [ ! -e /dev/kvm ]; then
	if vmx_svm; then
		echo "this host has no /dev/kvm (is kvm_intel or kvm_amd loaded?)" >&2
	else
		echo "this host has no /dev/kvm, and its CPU shows no VMX/SVM (a VM without nested" \
			"virtualization, or VMX/SVM off in the firmware)" >&2
	fi
elif [ -e /sys/module/kvm_pvm ]; then
	echo "this host's /dev/kvm is KVM-PVM (software virtualization, no VMX/SVM)" >&2
elif ! vmx_svm; then
	echo "this CPU shows no VMX/SVM (off in the firmware, or a VM without nesting)" >&2
else
	echo "/dev/kvm is not read-write for this user" >&2
fi
