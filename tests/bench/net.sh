#!/bin/sh
# SPDX-License-Identifier: MIT
# Network benchmark (issue 4): make bench. On a host whose /dev/kvm has VMX/SVM it runs right
# there (as root); elsewhere inside the rig's L1:
#   tests/rig/rig.sh --extras tests/bench/net.sh tests/bench/lib.sh build/bench/net-initramfs.cpio.gz
# Either way it runs in a network namespace of its own (unshare -n), so its taps and their
# address never touch the caller's namespace and vanish with it.
# Boots the bench initramfs (tests/bench/net-initramfs.sh: the standard one + iperf3 + virtio-net)
# under each VMM of BENCH_NET_VMMS (default "snvmm snvmm-poll snvmm-defer qemu-vhost-off
# qemu-vhost-on"; snvmm-poll is snvmm with --net ...,poll=BENCH_POLL_US, default 1000: the worker
# busy-polls, 1 ms as one worker round under TCG can outlast a native 50 us; snvmm-defer is
# snvmm with defer=BENCH_DEFER_US, default 500: the worker sleeps that long after work before it
# re-arms the guest's TX kick, a few TCG packet gaps; a "-pin" suffix, as in snvmm-pin or
# qemu-vhost-on-pin (not in the default list: tests/bench/README.md, "make bench-pin"), puts
# the vCPU on the host's CPU 0 and the packet worker (net-worker, QEMU's vhost thread) on its
# last CPU: snvmm by --pin, QEMU by taskset), one at a time, each on its own tap holding 10.0.2.1 (guest 10.0.2.15), and
# measures from the host: idle exits/s, ping RTT and, from 20 more pings under ftrace, where a
# round trip's time goes (lib.sh, ping_stages), TCP each way, 64-byte UDP packets/s each way,
# and per phase the VM exits and injected interrupts (perf stat -a, as vhost/irqfd work is not
# in the VMM's threads: so every VM on the host counts, and it says so when it sees another)
# divided by the packets the tap counted. In the rig everything runs under TCG: only ratios
# measured in one run mean anything. Exits 0 when every VMM was measured, whatever the figures.
cd "$(dirname "$0")/../.." || exit 1
[ "$(id -u)" = 0 ] || { echo "bench-net: needs root (taps, a network namespace, perf -a)"; exit 1; }
if [ "${BENCH_IN_NETNS:-}" != 1 ]; then
	BENCH_IN_NETNS=1 exec unshare -n sh "$0" "$@"
fi
. tests/bench/lib.sh
vmms=${BENCH_NET_VMMS:-snvmm snvmm-poll snvmm-defer qemu-vhost-off qemu-vhost-on}
last_cpu=$(($(nproc) - 1))
poll_us=${BENCH_POLL_US:-1000}
defer_us=${BENCH_DEFER_US:-500}
secs=${BENCH_NET_SECS:-10}
usecs=$(((secs + 1) / 2))
idle_secs=${BENCH_IDLE_SECS:-20}
machine=${BENCH_QEMU_MACHINE:-microvm,pcie=on}
for k in build/debian/boot/vmlinuz-*; do :; done
initrd=build/bench/net-initramfs.cpio.gz
events=kvm:kvm_exit,kvm:kvm_userspace_exit,kvm:kvm_inj_virq,kvm:kvm_msi_set_irq,kvm:kvm_set_irq
tmp=$(mktemp -d)
vmm_pid=
tap=
cleanup() {
	[ -n "$vmm_pid" ] && kill "$vmm_pid" 2>/dev/null
	[ -n "$tap" ] && tap_del "$tap"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP # the EXIT trap then runs in dash and busybox too

for f in ./snvmm "$initrd" "$k"; do
	[ -e "$f" ] || { echo "bench-net: missing $f (make bench builds it)"; exit 1; }
done
command -v qemu-system-x86_64 >/dev/null && command -v iperf3 >/dev/null ||
	{ echo "bench-net: needs qemu-system-x86_64 and iperf3 (make deps; in the rig, --extras)"; exit 1; }
perf_check || exit 1
cmdline=$(default_cmdline)
ip link set lo up
# perf -a counts every VM's exits: say so when this host runs others (a VM exits through its
# vCPUs; the rig's kvm-hold keeps one without any).
others=0
for d in /proc/[0-9]*/fd; do
	# shellcheck disable=SC2010 # the names are fd numbers; ls -l shows where each points
	ls -l "$d" 2>/dev/null | grep -q 'anon_inode:kvm-vcpu' && others=$((others + 1))
done
[ "$others" = 0 ] || echo "bench-net: WARNING: $others other processes run KVM vCPUs on this" \
	"host; their exits count in these figures"

# phase NAME CMD...: runs CMD (bounded) under a system-wide perf stat; records, in $tmp/$vmm,
# NAME.seconds, NAME.packets, NAME.<event> and CMD's output in $tmp/$vmm.NAME.out.
phase() {
	name=$1
	shift
	p0=$(tap_packets "$tap")
	b0=$(tap_bytes "$tap")
	thread_times "$vmm_pid" >"$tmp/$vmm.$name.cpu0"
	t0=$(cut -d' ' -f1 /proc/uptime)
	perf_stat "$tmp/$vmm.$name.perf" "$events" -a -- \
		timeout 60 "$@" >"$tmp/$vmm.$name.out" 2>&1
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	thread_times "$vmm_pid" >"$tmp/$vmm.$name.cpu1"
	p1=$(tap_packets "$tap")
	b1=$(tap_bytes "$tap")
	{
		echo "$name.status $rc"
		echo "$name.seconds $(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')"
		echo "$name.packets $((p1 - p0))"
		echo "$name.bytes $((b1 - b0))"
		for e in kvm_exit kvm_userspace_exit kvm_inj_virq kvm_msi_set_irq kvm_set_irq; do
			echo "$name.$e $(perf_count "$tmp/$vmm.$name.perf" "kvm:$e")"
		done
		perf_breakdown "$tmp/$vmm.$name.perf" | sed "s/^/$name./"
		cpu_split "$tmp/$vmm.$name.cpu0" "$tmp/$vmm.$name.cpu1" | sed "s/^/$name./"
	} >>"$tmp/$vmm"
	[ "$rc" = 0 ] || { echo "bench-net: $vmm: $name exited $rc:"; tail -n 5 "$tmp/$vmm.$name.out"; }
}

# iperf_bps FILE: receiver bits/s of a TCP test from iperf3 -J.
iperf_bps() {
	awk '/"sum_received"/ { f = 1 } f && /"bits_per_second"/ {
		gsub(/[^0-9.e+]/, "", $2); printf "%.0f\n", $2; exit }' "$1"
}
# iperf_udp FILE pps|delivered: from a UDP test's iperf3 -J (end.sum), the packets that
# arrived, per second or in all.
iperf_udp() {
	awk -v what="$2" '/^\t"end":/ { e = 1 } e && /^\t\t"sum":/ { f = 1 } f && /"seconds"/ { s = $2 }
		f && /"lost_packets"/ { l = $2 } f && /"packets"/ && !/lost/ { p = $2 }
		f && /^\t\t}/ { gsub(/,/, "", s); gsub(/,/, "", l); gsub(/,/, "", p)
			if (what == "delivered") printf "%.0f\n", p - l
			else if (s > 0) printf "%.0f\n", (p - l) / s; exit }' "$1"
}

# pin_qemu: QEMU's vCPU thread to CPU 0, its vhost worker (kernel thread vhost-PID) to the last.
pin_qemu() {
	vt= wt=
	for t in /proc/$vmm_pid/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = "CPU 0/KVM" ] && vt=${t##*/}
	done
	wt=$(vhost_tid "$vmm_pid")
	[ -n "$vt" ] && [ -n "$wt" ] && taskset -p 1 "$vt" >/dev/null &&
		taskset -p $((1 << last_cpu)) "$wt" >/dev/null &&
		echo "bench-net: $vmm: CPU 0/KVM ($vt) on CPU 0, vhost-$vmm_pid ($wt) on CPU $last_cpu"
}

bench_vmm() {
	vmm=$1
	base=${vmm%-pin} # the VMM's configuration; pinned when it differs from vmm
	case $base in
	snvmm | snvmm-poll | snvmm-defer) tap=tap0 ;;
	qemu-vhost-off | qemu-vhost-on) tap=tapq vhost=${base#qemu-vhost-} ;;
	*) echo "bench-net: unknown VMM $vmm"; return 1 ;;
	esac
	tap_add "$tap" || { echo "bench-net: cannot set up $tap"; tap=; return 1; }
	rm -f "$tmp/$vmm" "$tmp/$vmm".* # a second attempt starts afresh
	# In the rig, rig-shutdown-rips reads L1's trace buffer after each VMM: only this one's.
	command -v rig-shutdown-rips >/dev/null && : >/sys/kernel/tracing/trace
	log=$tmp/$vmm.console
	: >"$log"
	if [ "$vmm" != "${vmm#snvmm}" ]; then
		net=tap=$tap
		[ "$base" = snvmm-poll ] && net=$net,poll=$poll_us
		[ "$base" = snvmm-defer ] && net=$net,defer=$defer_us
		pin=
		[ "$vmm" != "$base" ] && pin="--pin vcpu0=0,net-worker=$last_cpu"
		# shellcheck disable=SC2086 # $pin: empty or two words
		./snvmm --net "$net" $pin --stats-json "$tmp/$vmm.json" --initrd "$initrd" \
			--append snvmm.run=/bench/guest.sh "$k" </dev/null >"$log" 2>"$tmp/$vmm.err" &
	else
		# The guest needs PCI for virtio-net-pci, so QEMU's command line lacks pci=off.
		# debug-threads: the vCPU thread is called "CPU 0/KVM", for pin_qemu.
		qemu-system-x86_64 -M "$machine" -enable-kvm -cpu host -m 256 -smp 1 -nodefaults \
			-no-user-config -display none -serial stdio -no-reboot -name bench,debug-threads=on \
			-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,vhost=$vhost" \
			-device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56 -kernel "$k" -initrd "$initrd" \
			-append "$(echo "$cmdline" | sed 's/ pci=off//') snvmm.run=/bench/guest.sh" \
			</dev/null >"$log" 2>"$tmp/$vmm.err" &
	fi
	vmm_pid=$!
	n=0
	while ! grep -q 'bench-guest: up' "$log" && kill -0 $vmm_pid 2>/dev/null && [ $n -lt 1200 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	up=ok
	grep -q 'bench-guest: up' "$log" && ping -c 3 -W 5 10.0.2.15 >/dev/null 2>&1 || up=
	if [ -n "$up" ] && [ "$vmm" != "$base" ] && [ "$vmm" = "${vmm#snvmm}" ] && ! pin_qemu; then
		echo "bench-net: $vmm: could not pin QEMU's vCPU thread and vhost worker"
		up=
	fi
	if [ -z "$up" ]; then
		echo "bench-net: $vmm: guest did not come up on the network; console tail:"
		tr -d '\r' <"$log" | tail -n 12 | sed 's/^/  | /'
		tail -n 5 "$tmp/$vmm.err" | sed 's/^/  ! /'
	else
		echo "bench-net: $vmm: guest up after $(echo "$n" | awk '{ print $1 / 10 }') s"
		sleep 1
		# Idle exits are the guest's own timer (~8 HLT and ~17 TSC-deadline writes a
		# second, the same kernel under every VMM): 5 s of that varied 5-10% from run to
		# run, as much as the VMMs differ, so the window is long enough to tell them apart.
		phase idle sleep "$idle_secs"
		phase ping ping -c 50 -i 0.05 -q 10.0.2.15
		ping_stages "$tap" 20 >>"$tmp/$vmm" || echo "bench-net: $vmm: no tracefs for the ping stages"
		phase tcp_h2g iperf3 -c 10.0.2.15 -t "$secs" -J
		phase tcp_g2h iperf3 -c 10.0.2.15 -t "$secs" -R -J
		phase udp_h2g iperf3 -c 10.0.2.15 -u -l 64 -b 0 -t "$usecs" -J
		phase udp_g2h iperf3 -c 10.0.2.15 -u -l 64 -b 0 -t "$usecs" -R -J
		{
			# busybox: "min/avg/max = a/b/c ms"; iputils: "rtt min/avg/max/mdev = a/b/c/d ms".
			sed -n 's|.*min/avg/max[^=]*= \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\).*|rtt.min \1\nrtt.avg \2\nrtt.max \3|p' \
				"$tmp/$vmm.ping.out"
			# Loss: ping exits 0 with some replies lost, and the RTTs are the replies'.
			sed -n 's/.* \([0-9.]*\)% packet loss.*/ping.loss \1/p' "$tmp/$vmm.ping.out"
			echo "tcp_h2g.bps $(iperf_bps "$tmp/$vmm.tcp_h2g.out")"
			echo "tcp_g2h.bps $(iperf_bps "$tmp/$vmm.tcp_g2h.out")"
			for ph in udp_h2g udp_g2h; do
				echo "$ph.pps $(iperf_udp "$tmp/$vmm.$ph.out" pps)"
				echo "$ph.delivered $(iperf_udp "$tmp/$vmm.$ph.out" delivered)"
			done
		} >>"$tmp/$vmm"
	fi
	echo quit | timeout 10 nc 10.0.2.15 5299 >/dev/null 2>&1
	n=0
	while kill -0 $vmm_pid 2>/dev/null && [ $n -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill $vmm_pid 2>/dev/null && sleep 1 && kill -9 $vmm_pid 2>/dev/null
	wait $vmm_pid
	vrc=$?
	echo "bench-net: $vmm: VMM exited $vrc"
	[ "$vrc" = 5 ] && tail -n 8 "$tmp/$vmm.err" | sed 's/^/  ! /' # snvmm: where it crashed
	# Any VMM's guest: QEMU (-no-reboot) exits 0 after a triple fault, so ask L1's KVM.
	command -v rig-shutdown-rips >/dev/null && rig-shutdown-rips
	vmm_pid=
	tap_del "$tap"
	tap=
	[ -n "$up" ] && [ "$vrc" = 0 ] && ! grep -q '^[a-z0-9_]*\.status [1-9]' "$tmp/$vmm"
}

# A VMM whose guest crashed or whose phase failed is measured again, up to three times in all:
# the rig's nested SVM under TCG is flaky, and guests of both VMMs triple-fault or hang under
# load (README, "The rig"; one run lost snvmm twice in a row). Its figures are then the last
# attempt's.
failed=0
for v in $vmms; do
	try=1
	until bench_vmm "$v"; do
		[ $try = 3 ] && { failed=$((failed + 1)); break; }
		try=$((try + 1))
		echo "bench-net: $v: a phase failed or the VMM did not end cleanly;" \
			"measuring it again (attempt $try of 3)"
	done
done

# get VMM KEY: a recorded figure, "-" if none or if the phase it belongs to (the key's first
# part; rtt.* is the ping's) failed: a failed phase's counts are not a measurement.
get() {
	ph=${2%%.*}
	[ "$ph" = rtt ] && ph=ping
	[ "$2" = ping.loss ] && ph=none # ping fails at 100% loss, which is just what to show
	awk -v k="$2" -v s="$ph.status" '$1 == s && $2 != 0 { bad = 1 } $1 == k { v = $2 }
		END { print (bad || v == "") ? "-" : v }' "$tmp/$1" 2>/dev/null || echo -
}
# per VMM PHASE EVENT [FMT]: EVENT per packet the tap moved in PHASE, or per second for the
# idle phase (its sleep's own length: the phase's clock also holds perf's start and exit).
per() {
	if [ "$2" = idle ]; then d=$idle_secs; else d=$(get "$1" "$2.packets"); fi
	div "$(get "$1" "$2.$3")" "$d" "${4:-}"
}
# per_delivered VMM PHASE EVENT [FMT]: EVENT per UDP packet that arrived (iperf3's receiver):
# a packet the tap moved but that was lost after it is no packet delivered.
per_delivered() { div "$(get "$1" "$2.$3")" "$(get "$1" "$2.delivered")" "${4:-}"; }
# per_data_frame VMM PHASE EVENT [FMT]: EVENT per TCP data frame the wire would have carried.
# A "packet" on a tap is an skb, and with TSO both ways a stream's are up to 64 KiB: each is
# 66 bytes of headers (Ethernet, IP, TCP with timestamps) and k * 1448 of payload, so the
# frames are (bytes - 66 * skbs) / 1448; ACK skbs count for none (a stricter figure).
per_data_frame() {
	b=$(get "$1" "$2.bytes")
	n=$(get "$1" "$2.packets")
	f=$(awk -v b="$b" -v n="$n" 'BEGIN { if (b == "-" || n == "-") print "-";
		else printf "%.0f\n", (b - 66 * n) / 1448 }')
	div "$(get "$1" "$2.$3")" "$f" "${4:-%.4f}"
}
mbps() { awk -v b="$1" 'BEGIN { if (b == "-" || b == "") print "-"; else printf "%.1f\n", b / 1e6 }'; }

echo
echo "bench-net results (QEMU: -M $machine, virtio-net-pci on a tap; TCP ${secs}s, UDP ${usecs}s)"
printf '%-28s' metric
for v in $vmms; do printf ' %17s' "$v"; done
echo
line() {
	label=$1
	shift
	printf '%-28s' "$label"
	for v in $vmms; do printf ' %17s' "$("$@" "$v")"; done
	echo
}
f_rtt() { get "$2" "rtt.$1"; }
f_tcp() { mbps "$(get "$2" "$1.bps")"; }
f_get() { get "$2" "$1"; }
f_per() { per "$3" "$1" "$2"; }
f_perb() { per_data_frame "$3" "$1" "$2"; }
f_perd() { per_delivered "$3" "$1" "$2"; }
# CPU time from thread_times (lib.sh), in hundredths of a second: per cent of the phase, and
# microseconds per packet the tap moved.
f_pct() { div "$(get "$3" "$1.$2")" "$(get "$3" "$1.seconds")" %.0f; }
f_us() { div "$(get "$3" "$1.$2")" "$(get "$3" "$1.packets")" %.9g | awk '{ print $1 == "-" ? "-" : sprintf("%.1f", $1 * 1e4) }'; }
# f_ceiling PHASE VMM: the phase's throughput (Mbit/s, packets/s) scaled by phase time over the
# vCPU's guest time: what the vCPU would carry if it never left the guest and nothing else held
# it back. A bound on what any change to exits or the VMM's own work could buy where the vCPU
# is the bottleneck (busy, in guest and out, for all of the phase), and no bound where it is not.
f_ceiling() {
	case $1 in tcp_*) m=$(mbps "$(get "$2" "$1.bps")") ;; *) m=$(get "$2" "$1.pps") ;; esac
	awk -v m="$m" -v s="$(get "$2" "$1.seconds")" -v g="$(get "$2" "$1.guest_cs")" 'BEGIN {
		if (m == "-" || s == "-" || g == "-" || g + 0 == 0) print "-"
		else printf "%.0f\n", m * s * 100 / g }'
}
line "ping RTT min (ms)" f_rtt min
line "ping RTT avg (ms)" f_rtt avg
line "ping RTT max (ms)" f_rtt max
line "ping loss (%)" f_get ping.loss
line "ping traced (round trips)" f_get ping_stage.n
line "  tap -> MSI (us, median)" f_get ping_stage.tap_to_irq
line "  MSI -> guest entry" f_get ping_stage.irq_to_entry
line "  guest entry -> kick" f_get ping_stage.entry_to_kick
line "  kick -> reply in host" f_get ping_stage.kick_to_reply
line "  guest entry -> reply" f_get ping_stage.entry_to_reply
line "  replies that kicked" f_get ping_stage.kicked
line "TCP host->guest (Mbit/s)" f_tcp tcp_h2g
line "TCP guest->host (Mbit/s)" f_tcp tcp_g2h
line "UDP 64B host->guest (pps)" f_get udp_h2g.pps
line "UDP 64B guest->host (pps)" f_get udp_g2h.pps
line "idle exits/s" f_per idle kvm_exit
line "idle userspace exits/s" f_per idle kvm_userspace_exit
line "idle injected irqs/s" f_per idle kvm_inj_virq
for label in $BD_LABELS; do
	line "idle $label/s" f_per idle "$label"
done
for ph in ping tcp_h2g tcp_g2h udp_h2g udp_g2h; do
	line "$ph packets" f_get "$ph.packets"
	line "$ph exits/packet" f_per "$ph" kvm_exit
	case $ph in
	tcp_*) line "$ph exits/data frame" f_perb "$ph" kvm_exit ;;
	udp_*)
		line "$ph delivered packets" f_get "$ph.delivered"
		line "$ph exits/delivered pkt" f_perd "$ph" kvm_exit
		;;
	esac
	line "$ph userspace exits/pkt" f_per "$ph" kvm_userspace_exit
	line "$ph injected irqs/pkt" f_per "$ph" kvm_inj_virq
	line "$ph kvm_msi_set_irq/pkt" f_per "$ph" kvm_msi_set_irq
	line "$ph kvm_set_irq/pkt" f_per "$ph" kvm_set_irq
	[ "$ph" = ping ] && continue
	for label in $BD_LABELS; do
		line "$ph $label/pkt" f_per "$ph" "$label"
	done
	line "$ph vCPU in guest (%)" f_pct "$ph" guest_cs
	line "$ph vCPU out of guest (%)" f_pct "$ph" vcpu_host_cs
	line "$ph other threads (%)" f_pct "$ph" other_cs
	line "$ph guest us/pkt" f_us "$ph" guest_cs
	line "$ph vCPU out of guest us/pkt" f_us "$ph" vcpu_host_cs
	line "$ph other threads us/pkt" f_us "$ph" other_cs
	line "$ph at guest time only" f_ceiling "$ph"
done

# Against the issue's targets: snvmm versus the best QEMU configuration measured, per figure.
# qemu_best max|min F ARGS...: the highest or lowest `F ARGS... VMM` over the QEMU
# configurations in this run ("-" when none has one).
qemu_best() {
	want=$1
	shift
	for q in $vmms; do [ "$q" = "${q#qemu-}" ] || "$@" "$q"; done |
		awk -v w="$want" '$1 != "-" && (b == "" || (w == "max" ? $1 + 0 > b + 0 : $1 + 0 < b + 0)) {
			b = $1 } END { print b == "" ? "-" : b }'
}
f_per_raw() { per "$3" "$1" "$2" %.9g; }
q=$(qemu_best min f_per_raw idle kvm_exit)
for sv in $vmms; do
	[ "$sv" = "${sv#snvmm}" ] && continue
	echo
	# Each verdict is on the unrounded figure; the one shown is rounded.
	for m in tcp_h2g.bps tcp_g2h.bps udp_h2g.pps udp_g2h.pps; do
		a=$(get "$sv" "$m")
		b=$(qemu_best max f_get "$m")
		echo "target: $sv $m >= 2x the better QEMU: $(div "$a" "$b" %.2f)x," \
			"$(meets "$(div "$a" "$b" %.9g)" ge 2)"
	done
	a=$(get "$sv" rtt.avg)
	b=$(get qemu-vhost-off rtt.avg)
	echo "target: $sv ping avg RTT <= 0.6x QEMU vhost=off: $(div "$a" "$b" %.2f)x," \
		"$(meets "$(div "$a" "$b" %.9g)" le 0.6)"
	# Per packet as the tap counts them (a TCP skb), and per what the unit should be: a TCP
	# data frame, a UDP packet that arrived.
	for ph in tcp_h2g tcp_g2h udp_h2g udp_g2h; do
		echo "target: $sv $ph exits/tap packet <= 0.05: $(per "$sv" "$ph" kvm_exit %.4f)," \
			"$(meets "$(per "$sv" "$ph" kvm_exit %.9g)" le 0.05)"
		case $ph in
		tcp_*) f=per_data_frame u="data frame" ;;
		*) f=per_delivered u="delivered packet" ;;
		esac
		echo "target: $sv $ph exits/$u <= 0.05: $($f "$sv" "$ph" kvm_exit %.4f)," \
			"$(meets "$($f "$sv" "$ph" kvm_exit %.9g)" le 0.05)"
	done
	s=$(per "$sv" idle kvm_exit %.9g)
	echo "target: $sv idle exits/s below QEMU's (the lowest measured): $(per "$sv" idle kvm_exit)" \
		"vs $(div "$q" 1) ($(div "$s" "$q" %.2f)x), $(meets "$(div "$s" "$q" %.9g)" le 0.999)"
	if [ -f "$tmp/$sv.json" ]; then
		echo "$sv --stats-json, whole run: exits by reason and device counters"
		json_flat "$tmp/$sv.json" | grep -E '^(exits\.(all\.)?[a-z_]*|devices\.[a-z0-9_-]*\.[a-z_0-9]*) ' |
			sed 's/^/  /'
	fi
done
echo "bench-net: $failed VMMs failed three times (their figures are incomplete)"
[ "$failed" = 0 ]
