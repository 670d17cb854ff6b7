#!/bin/sh
# SPDX-License-Identifier: MIT
# Diagnosis, not a test: repeats 5 s of iperf3 TCP, alternating host->guest and guest->host,
# under snvmm inside the rig's L1 until a run stalls (up to HUNT_ROUNDS, default 70), then
# shows where the guest is: snvmm's counters (SIGUSR1), its threads' states, and one second of
# KVM's own trace events (the guest RIP of each entry, every emulated instruction). The guest
# boots with nokaslr so a RIP can be read against build/debian/boot/System.map, and prints
# /proc/modules first. Run it with
#   make snvmm build/bench/net-initramfs.cpio.gz
#   tests/rig/rig.sh --extras --timeout 700 tests/rig/hang-hunt.sh build/bench/net-initramfs.cpio.gz
cd "$(dirname "$0")/../.." || exit 1
for k in build/debian/boot/vmlinuz-*; do :; done
initrd=build/bench/net-initramfs.cpio.gz
rounds=${HUNT_ROUNDS:-70}
tap=tap0
T=/sys/kernel/tracing
con=/tmp/hunt.console
err=/tmp/hunt.stderr
[ -e $T/trace ] || mount -t tracefs nodev $T || { echo "hunt: no tracefs"; exit 1; }
tunctl -t $tap >/dev/null && ip addr add 10.0.2.1/24 dev $tap && ip link set $tap up ||
	{ echo "hunt: cannot set up $tap"; exit 1; }
./snvmm --net tap=$tap --initrd "$initrd" \
	--append "nokaslr snvmm.run=\"cat /proc/modules; /bench/guest.sh\"" "$k" </dev/null >$con 2>$err &
pid=$!
trap 'kill $pid 2>/dev/null; sleep 1; kill -9 $pid 2>/dev/null; tunctl -d $tap >/dev/null' EXIT
n=0
while ! grep -q 'bench-guest: up' $con && kill -0 $pid 2>/dev/null && [ $n -lt 600 ]; do
	sleep 0.1
	n=$((n + 1))
done
grep -q 'bench-guest: up' $con || { echo "hunt: guest did not come up"; tail -n 20 $con; exit 1; }
tr -d '\r' <$con | grep -a ' Live 0x'
# trace SECONDS EVENTS...: KVM trace events for that long.
trace() {
	s=$1
	shift
	: >$T/trace
	for e; do echo 1 >$T/events/kvm/$e/enable; done
	sleep "$s"
	for e; do echo 0 >$T/events/kvm/$e/enable; done
}
i=0
while [ $i -lt "$rounds" ]; do
	i=$((i + 1))
	dir=
	[ $((i % 2)) = 0 ] && dir=-R
	if timeout 25 iperf3 -c 10.0.2.15 -t 5 $dir >/tmp/hunt.iperf 2>&1; then
		echo "hunt: round $i ${dir:-h2g}${dir:+ g2h} ok: $(grep receiver /tmp/hunt.iperf | awk '{ print $7, $8 }')"
		continue
	fi
	echo "hunt: round $i ${dir:-h2g}${dir:+ g2h} STALLED"
	if ! kill -0 $pid 2>/dev/null; then
		echo "hunt: snvmm ended:"
		tail -n 5 $err
		exit 0
	fi
	kill -USR1 $pid
	sleep 1
	tail -c 2500 $err
	for t in /proc/$pid/task/*; do echo "hunt: thread $(cat $t/comm) state $(cut -d' ' -f3 $t/stat)"; done
	trace 0.05 kvm_entry kvm_exit kvm_page_fault kvm_emulate_insn kvm_inj_exception kvm_inj_virq
	echo "hunt: KVM events in 50 ms:"
	grep -v '^#' $T/trace | sed 's/.*\(kvm_[a-z_]*\):.*/\1/' | sort | uniq -c
	grep -v '^#' $T/trace | grep -v kvm_entry | head -n 12 | sed 's/^.*\] [^ ]* *[0-9.]*: //'
	echo "hunt: guest RIPs at entry:"
	grep -o 'kvm_entry: vcpu [0-9]*, rip 0x[0-9a-f]*' $T/trace | sort | uniq -c | sort -nr | head -n 5
	tr -d '\r' <$con | tail -n 10
	exit 0
done
echo "hunt: no stall in $rounds rounds"
