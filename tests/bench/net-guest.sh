#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest side of tests/bench/net.sh, run as snvmm.run=/bench/guest.sh from the bench initramfs.
# Under snvmm, /init has already brought eth0 up through snnet.ko; under QEMU it loads
# virtio-net here. Then serves iperf3 and waits (bounded) for the host's "done" on TCP port 5299,
# so the VMM ends with a normal power-off.
export PATH=/usr/bin:/bin:/sbin
if [ ! -e /sys/class/net/eth0 ]; then
	for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover \
		net_failover virtio_net; do
		insmod /lib/modules/bench/$m.ko || echo "bench-guest: insmod $m failed"
	done
	n=0
	while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 50 ]; do
		usleep 100000
		n=$((n + 1))
	done
	ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 ||
		{ echo "bench-guest: eth0 did not come up"; exit 1; }
fi
iperf3 -s -D -B 10.0.2.15 || { echo "bench-guest: iperf3 -s failed"; exit 1; }
echo "bench-guest: up (eth0 driver: $(basename "$(readlink /sys/class/net/eth0/device/driver)"))"
timeout 900 nc -l -p 5299 </dev/null >/dev/null
echo "bench-guest: done"
