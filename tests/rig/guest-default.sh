#!/bin/sh
# SPDX-License-Identifier: MIT
# Boots the default guest (Debian's kernel + our initramfs) on this terminal, with its NIC on
# tap0 = 10.0.2.1/24 (the guest's /init gives eth0 10.0.2.15). Run directly on a VMX/SVM host, or
# inside the rig's L1 by tests/rig/run-default.sh. The tap lives in a network namespace made for
# this run (unshare -n), never in the caller's: it vanishes when snvmm exits. SNVMM_ARGS adds
# options to snvmm's, split at spaces (`make run SNVMM_ARGS='--stats --cpus 2'`).
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
# IPv4 only, as the guest (a host booted with ipv6.disable=1 has no such file: fine).
{ echo 1 >/proc/sys/net/ipv6/conf/tap0/disable_ipv6; } 2>/dev/null || true
ip addr add 10.0.2.1/24 dev tap0
ip link set tap0 up
# An iperf3 server on the host's side of the tap, so that `iperf3 -c 10.0.2.1` (and -R, the
# other way) works from the guest's shell; it ends with the guest (below).
iperf_pid=
if command -v iperf3 >/dev/null; then
	iperf3 -s -B 10.0.2.1 >/dev/null 2>&1 </dev/null &
	iperf_pid=$!
fi
# The terminal's size goes to the guest's init (a serial line carries none).
size=$(stty size 2>/dev/null || true)
case $size in
[1-9]*' '[1-9]*) append="snvmm.rows=${size% *} snvmm.cols=${size#* }" ;;
*) append= ;;
esac
# A guest that reboots (status 3) is started again, as a machine would be, unless it keeps
# rebooting within seconds of its start; any other end is the run's, and says how it ended.
set +e
quick=0
while :; do
	t0=$(date +%s)
	# shellcheck disable=SC2086 # SNVMM_ARGS is options, split at spaces on purpose
	./snvmm --initrd initramfs/initramfs.cpio.gz --net tap=tap0 ${append:+--append "$append"} \
		${SNVMM_ARGS:-} "$k"
	st=$?
	[ "$st" = 3 ] || break
	if [ $(($(date +%s) - t0)) -lt 20 ]; then quick=$((quick + 1)); else quick=0; fi
	if [ "$quick" -ge 5 ]; then
		echo "snvmm: the guest rebooted 5 times within 20 s of its start; not starting it again" >&2
		break
	fi
	echo "snvmm: the guest rebooted; starting it again"
done
[ -n "$iperf_pid" ] && kill "$iperf_pid" 2>/dev/null
case $st in
0 | 6) ;;
1) echo "snvmm: ended with a VMM error (status 1)" >&2 ;;
2) echo "snvmm: refused its input (status 2)" >&2 ;;
4) echo "snvmm: the guest panicked (status 4)" >&2 ;;
5) echo "snvmm: the guest crashed (status 5)" >&2 ;;
3) ;;
*) echo "snvmm: ended with status $st" >&2 ;;
esac
exit "$st"
