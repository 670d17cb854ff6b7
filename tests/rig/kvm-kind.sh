#!/bin/sh
# SPDX-License-Identifier: MIT
# Prints "hw" when this host can run a stock kernel under KVM (VMX or SVM in /proc/cpuinfo and a
# usable /dev/kvm that is not KVM-PVM), else "rig" (use the nested rig, tests/rig/rig.sh).
if grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null && [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
	[ ! -e /sys/module/kvm_pvm ]; then
	echo hw
else
	echo rig
fi
