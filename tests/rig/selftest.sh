#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs inside the rig's L1: checks the devices a VMM needs, and, with --extras, boots the guest
# kernel + initramfs as L2 under qemu-system-x86_64 -enable-kvm to prove nested KVM works.
# Usage: tests/rig/rig.sh [--extras] tests/rig/selftest.sh
pass=0
fail=0
ok() { echo "PASS: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }
for d in /dev/kvm /dev/net/tun /dev/vhost-net; do
	if [ -c $d ]; then ok "$d exists"; else bad "$d missing"; fi
done
if [ -x ./snvmm ]; then ok "./snvmm present"; else echo "SKIP: ./snvmm not built"; fi

if command -v qemu-system-x86_64 >/dev/null; then
	t0=$(cut -d' ' -f1 /proc/uptime)
	out=$(timeout 120 qemu-system-x86_64 -enable-kvm -cpu host -M q35 -m 256 -smp 2 \
		-kernel build/debian/boot/vmlinuz-* -initrd initramfs/initramfs.cpio.gz \
		-append 'console=ttyS0 quiet panic=-1 snvmm.run="uname -r; nproc; exit 5"' \
		-nographic -no-reboot -nic none </dev/null 2>&1)
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "$out" | tr -d '\r' | grep -E '^(snvmm-|[0-9])' | sed 's/^/  L2| /'
	if [ $rc = 0 ] && echo "$out" | grep -q 'snvmm-run: exit=5'; then
		ok "L2 booted under nested KVM (QEMU) in $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')s"
	else
		bad "L2 boot under nested KVM (QEMU status $rc)"
	fi
else
	echo "SKIP: no qemu-system-x86_64 in L1 (rig.sh --extras)"
fi
echo "rig-selftest: $pass passed, $fail failed"
[ $fail = 0 ]
