#!/bin/sh
# SPDX-License-Identifier: MIT
# Boots the default guest (Debian's kernel + our initramfs) on this terminal, with its NIC on
# tap0 = 10.0.2.1/24 (the guest's /init gives eth0 10.0.2.15). Run directly on a VMX/SVM host, or
# inside the rig's L1 by tests/rig/run-default.sh. The tap lives in a network namespace made for
# this run (unshare -n), never in the caller's: it vanishes when snvmm exits.
set -e
cd "$(dirname "$0")/../.."
if [ "${SNVMM_IN_NETNS:-}" != 1 ] || [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
	SNVMM_IN_NETNS=1 exec unshare -n sh "$0" "$@"
fi
for k in build/debian/boot/vmlinuz-*; do :; done
# iproute2's ip by path: busybox sh would run its own applet, which cannot make a tap.
ipr=/usr/sbin/ip
[ -x $ipr ] || ipr=/sbin/ip
$ipr tuntap add dev tap0 mode tap 2>/dev/null || tunctl -t tap0 >/dev/null
ip link set lo up
echo 1 >/proc/sys/net/ipv6/conf/tap0/disable_ipv6 2>/dev/null # IPv4 only, as the guest
ip addr add 10.0.2.1/24 dev tap0
ip link set tap0 up
exec ./snvmm --initrd initramfs/initramfs.cpio.gz --net tap=tap0 "$k"
