#!/bin/sh
# SPDX-License-Identifier: MIT
# The guest half of tests/e2e/net.sh: packed into an extra initramfs layer as /net-guest.sh and
# run by /init (snvmm.run). Prints "NETSYNC <step>" before each step that needs the host's part
# running (net.sh watches the console for it), and "NET <name> rc=<status>" after each check.
# Arguments: MODE BYTES SEED. MODE full: every check, one after another; MODE stress: iperf3
# both ways at once on two streams each (for a guest with several vCPUs), then a ping. MODE poll:
# a ping and TCP both ways (the host runs snvmm with poll= or defer=). MODE irqmove (two
# vCPUs): pings while the NIC's interrupt is moved to CPU 0, then to CPU 1. MODE hostile: the
# host breaks the ring protocol and answers a reset late; the driver must recover from both.
mode=$1
bytes=$2
seed=$3
host=10.0.2.1

step() { echo "NETSYNC $1"; }
done_() { echo "NET $1 rc=$2"; }
# The counters this suite compares with the host's; "NETSTAT <snapshot> <name> <value>".
snapshot() {
	ethtool -S eth0 | sed -n "s/^ *\([a-z_]*\): \([0-9]*\)$/NETSTAT $1 \1 \2/p"
}
# ping_all ARGS...: ping whose status says every reply came (busybox ping exits 0 once any
# did); its summary lines are printed either way.
ping_all() {
	pa_out=$(ping "$@")
	pa_rc=$?
	echo "$pa_out"
	[ $pa_rc = 0 ] && echo "$pa_out" | grep -q ' 0% packet loss'
}
# pin_host: the guest's ARP entry for the host made permanent, once a ping has resolved it.
# ICMP and UDP never confirm an entry, so it would go stale and be probed at any moment, and
# an ARP frame between the guest's counter snapshot and the device's reset or the VM's end
# counts on one side only. net.sh pins the host's entry for the guest likewise.
pin_host() {
	mac=$(ip neigh show $host | sed -n 's/.* lladdr \([0-9a-f:]*\).*/\1/p')
	[ -n "$mac" ] && arp -s $host "$mac"
}
# ping_out COUNT; tcp_both: seeded data each way, checked on both ends.
ping_out() {
	step ping
	ping_all -q -c "$1" -i 0.02 -W 5 $host
	done_ ping-out $?
	pin_host
}
tcp_both() {
	step tcp-out
	netcheck tcp-send $host 6001 "$bytes" "$seed"
	done_ tcp-out $?
	step tcp-in
	netcheck tcp-recv 6002 "$bytes" $((seed + 1))
	done_ tcp-in $?
}

echo "net-guest: eth0 $(cat /sys/class/net/eth0/operstate) $(ip -4 addr show dev eth0 | grep -o 'inet [0-9./]*'), $(nproc) cpus"
if [ "$mode" = stress ]; then
	step iperf
	iperf3 -c $host -t 8 -f m --bidir -P 2
	done_ iperf-bidir $?
	ping_all -q -c 50 -i 0.02 -W 5 $host
	done_ ping-after $?
	pin_host
	sleep 1
	snapshot only
	step end
	exit 0
fi
if [ "$mode" = irqmove ]; then
	# "NETIRQ <when> <interrupts on CPU0> <on CPU1>" around moving the NIC's IRQ between CPUs.
	irq=$(grep -i snvm0001 /proc/interrupts | cut -d: -f1 | tr -d ' ')
	irqs() { echo "NETIRQ $1 $(grep "^ *$irq:" /proc/interrupts | awk '{ print $2, $3 }')"; }
	ping -q -c 10 -i 0.02 -W 5 $host >/dev/null
	for cpu in 0 1; do
		irqs before-cpu$cpu
		echo $((1 << cpu)) >/proc/irq/"$irq"/smp_affinity
		ping_all -q -c 20 -i 0.02 -W 5 $host
		done_ ping-cpu$cpu $?
		irqs after-cpu$cpu
	done
	step end
	exit 0
fi
if [ "$mode" = hostile ]; then
	# The host breaks the protocol (net.sh runs tests/e2e/ringpoke): the driver must stop
	# using the device, say why, and work again after a down/up, which resets it. Each phase
	# waits for proof that the host has acted, not for a time, and starts with an empty log.
	# carrier_is V: waits up to 5 s for eth0's carrier to read V.
	carrier_is() {
		n=0
		while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != "$1" ] && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		[ $n -lt 50 ]
	}
	# up_again: eth0 up, asked again while the device has not answered its reset (20 s).
	up_again() {
		n=0
		until ip link set eth0 up 2>/dev/null; do
			n=$((n + 1))
			[ $n -lt 10 ] || return 1
			sleep 1
		done
		carrier_is 1
	}
	ping_all -q -c 5 -i 0.02 -W 5 $host
	done_ ping-before $?
	dmesg -c >/dev/null
	step bad-completion
	# Until the host has written an RX completion for a buffer not in flight (it then holds
	# its worker until we reset, so none of its own overwrites that one): each ping's TX
	# reclaim timer runs NAPI, which meets it. 30 rounds of at most 1.5 s.
	n=0
	while [ "$(cat /sys/class/net/eth0/carrier)" = 1 ] && [ $n -lt 30 ]; do
		ping -q -c 1 -W 1 $host >/dev/null
		sleep 0.5
		n=$((n + 1))
	done
	carrier_is 0 && dmesg | grep -q 'broke the ring protocol (RX completion of a buffer not in flight)'
	done_ broken $?
	ip link set eth0 down
	up_again
	done_ down-up $?
	ping_all -q -c 5 -i 0.02 -W 5 $host
	done_ ping-after-reset $?
	dmesg -c >/dev/null
	# A reset answered late: the host holds its worker 10 s. Once a ping goes unanswered it
	# is held; the reset of the down then times out after 1 s, and the driver leaks what the
	# device holds rather than free it; up asks again until the device answers.
	step hold
	n=0
	while ping -q -c 1 -W 1 $host >/dev/null && [ $n -lt 30 ]; do
		sleep 0.3
		n=$((n + 1))
	done
	ip link set eth0 down
	dmesg | grep -q 'device did not stop'
	done_ wedged $?
	up_again && dmesg | grep -q 'answered its reset at last'
	done_ up-after-late-reset $?
	ping_all -q -c 5 -i 0.02 -W 5 $host
	done_ ping-after-late-reset $?
	snapshot only
	step end
	exit 0
fi
if [ "$mode" = poll ]; then
	ping_out 50
	tcp_both
	sleep 1
	snapshot only
	step end
	exit 0
fi
ping_out 100

step iperf
iperf3 -c $host -t 10 -f m
done_ iperf-out $?
iperf3 -c $host -p 5202 -t 10 -f m -R
done_ iperf-in $?

tcp_both

# The guest's offloads off, as one would to count exits per wire-sized frame: the driver then
# gets frames of at most the MTU whose checksums the guest's stack wrote, and no GSO frame.
# The output is relabelled so net.sh tells it from tcp-out's. "NETGSO <when> <tx_gso_packets>".
gso() { echo "NETGSO $1 $(ethtool -S eth0 | sed -n 's/^ *tx_gso_packets: //p')"; }
ethtool -K eth0 tx off sg off tso off
done_ offload-off $?
ethtool -k eth0 | grep -E '^(tx-checksumming|scatter-gather|tcp-segmentation-offload):'
gso before
step tcp-plain
out=$(netcheck tcp-send $host 6005 $((bytes / 5)) $((seed + 4)) 2>&1)
rc=$?
echo "$out" | sed 's/^netcheck: /plain: /'
done_ tcp-plain $rc
gso after
ethtool -K eth0 tx on sg on tso on
done_ offload-on $?

step udp-in
netcheck udp-echo 6003 $((seed + 2))
done_ udp-in $?
step udp-out
netcheck udp-send $host 6004 $((seed + 3))
done_ udp-out $?

# Let the last completions and interrupts land before reading the driver's counters.
sleep 1
snapshot first
ethtool -i eth0 | grep -E '^(driver|firmware-version)'

# Unloading resets the device; reloading must find it, renegotiate, and pass traffic again.
step reload
rmmod snnet
rc=$?
[ -e /sys/class/net/eth0 ] && rc=99
done_ rmmod $rc
insmod /lib/modules/snnet.ko && ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
done_ insmod $?
ping_all -q -c 20 -i 0.02 -W 5 $host
done_ ping-reload $?
sleep 1
snapshot second
step end
