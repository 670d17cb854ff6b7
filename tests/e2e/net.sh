#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end NIC suite: boots Debian's kernel with our initramfs and --net tap=tap0 (tap0 is
# 10.0.2.1/24 here, the guest's eth0 10.0.2.15), then checks ping both ways, iperf3 both ways,
# NET_BYTES (default 100 MB) of seeded data each way over TCP and every UDP size 1..1472 plus
# some up to 65507 each way (byte for byte, checksums compared between the sides), a fifth of
# NET_BYTES guest->host with the guest's offloads off (ethtool -K), rmmod and
# insmod of snnet in the guest, and that the guest driver's, snvmm's and the tap's packet
# counters agree. The guest half is tests/e2e/net-guest.sh.
#
# Runs in a network namespace of its own (unshare -n), so the tap and its address never touch
# the caller's namespace and vanish with the last process. Needs a /dev/kvm with VMX/SVM: run it
# directly on such a host, or through the rig (make check-e2e picks):
#   tests/rig/rig.sh --extras --npt 0 tests/e2e/net.sh build/e2e/netcheck build/e2e/ringpoke
# POSIX sh (L1 runs busybox). E2E_TIMEOUT bounds the guest (seconds, default 300); NET_SEED
# fixes the data (default: the time, printed). NET_SUITES picks suites: full (the checks above),
# poll and defer (ping and TCP both ways, the worker busy-polling or deferring), irqmove (2
# vCPUs: pings while the NIC's interrupt moves between them), hostile (a host that breaks the
# ring protocol, played by tests/e2e/ringpoke), default (make run's guest has a working eth0), stress (2 vCPUs, iperf3 --bidir; not in the default "full poll defer irqmove
# hostile default": in the rig it has crashed L1's nested KVM, see the report in git log).
cd "$(dirname "$0")/../.." || exit 1
if [ "${NET_IN_NETNS:-}" != 1 ]; then
	NET_IN_NETNS=1 exec unshare -n sh "$0" "$@"
fi
limit=${E2E_TIMEOUT:-300}
bytes=${NET_BYTES:-100000000}
seed=${NET_SEED:-$(date +%s)}
for k in build/debian/boot/vmlinuz-*; do :; done
initrd=initramfs/initramfs.cpio.gz
netcheck=$(pwd)/build/e2e/netcheck
ringpoke=$(pwd)/build/e2e/ringpoke
guest=10.0.2.15
cr=$(printf '\r')
# iproute2's ip by path: busybox sh would run its own applet, which lacks tuntap and -s.
ipr=/usr/sbin/ip
[ -x $ipr ] || ipr=/sbin/ip
# Where KVM shadows the guest's page tables (the rig's --npt 0), its page faults and CR3 writes
# are exits too, so the exits per packet printed below are not the datapath's alone.
shadow_note=
for f in /sys/module/kvm_amd/parameters/npt /sys/module/kvm_intel/parameters/ept; do
	[ "$(cat "$f" 2>/dev/null)" = N ] && shadow_note=" (KVM shadows guest page tables here: page faults count)"
done
tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP # dash and busybox run the EXIT trap only on exit itself
pass=0
fail=0

now() { cut -d' ' -f1 /proc/uptime; }
since() { echo "$1 $(now)" | awk '{ printf "%.1f", $2 - $1 }'; }

# check NAME RC [DETAIL]: one PASS/FAIL line from a condition's status.
check() {
	if [ "$2" = 0 ]; then
		echo "PASS: $1${3:+ ($3)}"
		pass=$((pass + 1))
	else
		echo "FAIL: $1${3:+ ($3)}"
		fail=$((fail + 1))
	fi
}
# The guest's "NET <name> rc=<n>" status for a step, or "none".
grc() { sed -n "s/^NET $1 rc=\([0-9]*\)$/\1/p" "$tmp/$cur.out" | tail -n1 | grep . || echo none; }
# A line of the guest's output that starts with $1.
gline() { grep -- "^$1" "$tmp/$cur.out" | tail -n1; }
field() { echo "$2" | sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
# Flattens snvmm's --stats-json into path=value lines (devices.net.tx_packets=29).
json_flat() {
	awk '/": \{/ { sub(/^ */, ""); sub(/": \{.*/, ""); sub(/^"/, ""); path[++d] = $0; next }
	     /^ *\}/ { d--; next }
	     /": / { line = $0; sub(/^ *"/, "", line); k = line; sub(/".*/, "", k)
	             v = line; sub(/^[^:]*: */, "", v); sub(/,$/, "", v); gsub(/"/, "", v)
	             p = ""; for (i = 1; i <= d; i++) p = p path[i] "."
	             print p k "=" v }' "$1"
}
sv() { sed -n "s/^devices\.net\.$1=//p" "$tmp/$cur.flat"; }
# The guest driver's counter $1 summed over both snapshots (before and after the reload).
gv() { awk -v n="$1" '$1 == "NETSTAT" && $3 == n { s += $4 } END { print s + 0 }' "$tmp/$cur.out"; }
# tap0's counter $1 from /proc/net/dev: /proc/net follows our namespace, /sys/class/net does not.
tapv() {
	awk -v f="$1" 'sub(/^ *tap0:/, "") {
		split("rx_bytes rx_packets rx_errors rx_dropped x x x x tx_bytes tx_packets tx_errors tx_dropped", n)
		for (i = 1; i <= 12; i++) if (n[i] == f) print $i }' /proc/net/dev
}

for f in ./snvmm "$initrd" "$k" "$netcheck" "$ringpoke" tests/e2e/net-guest.sh; do
	if [ ! -e "$f" ]; then
		echo "e2e-net: needs $f (make all)"
		echo "e2e-net: 0 passed, 1 failed"
		exit 1
	fi
done

# The host side: tap0 up with 10.0.2.1; no IPv6 chatter, so the counters settle.
$ipr tuntap add dev tap0 mode tap 2>/dev/null || tunctl -t tap0 >/dev/null
[ -e /proc/sys/net/ipv6/conf/tap0/disable_ipv6 ] &&
	echo 1 >/proc/sys/net/ipv6/conf/tap0/disable_ipv6
ip link set lo up
# Not trusting NET_IN_NETNS: a namespace of our own is one that is not init's.
[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] &&
	ip addr add 10.0.2.1/24 dev tap0 && ip link set tap0 up
check "tap0 is up with 10.0.2.1/24 (in a network namespace of our own)" $?
# The guest's MAC (snvmm's default) as a permanent neighbour: no ARP probe from here can slip
# in after the guest's last counter snapshot (net-guest.sh's pin_host says why).
$ipr neigh replace 10.0.2.15 lladdr 02:53:4e:56:4d:01 nud permanent dev tap0
if command -v iperf3 >/dev/null; then
	iperf3 -s -B 10.0.2.1 >"$tmp/iperf-server.out" 2>&1 &
	pids="$pids $!"
	# The guest's second run (-R) goes to a second server: a server whose test just ended
	# closes its listening socket and opens a new one, and a client in between is refused.
	iperf3 -s -B 10.0.2.1 -p 5202 >"$tmp/iperf-server2.out" 2>&1 &
	pids="$pids $!"
else
	echo "e2e-net: no iperf3 here (make deps installs it; the rig copies it into L1)"
fi

# The guest half rides in a second, gzip'd cpio layer appended to the initramfs.
mkdir "$tmp/layer"
cp tests/e2e/net-guest.sh "$tmp/layer/net-guest.sh"
(cd "$tmp/layer" && echo net-guest.sh | cpio -o -H newc 2>/dev/null) | gzip >"$tmp/layer.gz"
cat "$initrd" "$tmp/layer.gz" >"$tmp/initrd"

# boot NAME CPUS MODE [NETOPTS [SNVMM-OPTS]]: runs the guest half in MODE (NETOPTS: more --net
# settings; SNVMM-OPTS: more snvmm options, as --pin),
# doing the host's part of each step when the guest announces it; leaves $tmp/NAME.out
# (console), $tmp/NAME.flat (stats), $tmp/NAME.STEP.host, and sets $status, $secs and $cur=NAME
# for the checks.
boot() {
	cur=$1
	tap0_before=$(tapv rx_packets) tap1_before=$(tapv rx_bytes) tap2_before=$(tapv tx_packets) \
		tap3_before=$(tapv tx_bytes) tap4_before=$(tapv rx_dropped)
	t0=$(now)
	# shellcheck disable=SC2086 # $5: extra options, a word list by design
	timeout "$limit" ./snvmm --cpus "$2" --initrd "$tmp/initrd" --net "tap=tap0${4:+,$4}" \
		--stats-json "$tmp/$cur.json" ${5:-} \
		--append "ipv6.disable=1 snvmm.run=\"sh /net-guest.sh $3 $bytes $seed\"" "$k" \
		</dev/null >"$tmp/$cur.raw" 2>&1 &
	vm=$!
	n=0
	spids=
	while :; do
		# Only whole lines: the console may hold half of one ("NETSYNC tcp-ou"); the guest's
		# tty ends each line with CR LF, so a step name followed by CR is complete.
		steps=$(sed -n "s/^NETSYNC \([a-z-]*\)$cr\$/\1/p" "$tmp/$cur.raw")
		for s in $(echo "$steps" | sed -n "$((n + 1)),\$p"); do
			[ $n = 0 ] && thread_cpus $vm >"$tmp/$cur.threads"
			n=$((n + 1))
			echo "e2e-net: $cur: step $s at $(since "$t0")s"
			host_step "$s" >"$tmp/$cur.$s.host" 2>&1 &
			spids="$spids $!"
			pids="$pids $!"
		done
		echo "$steps" | grep -qx end && break
		kill -0 $vm 2>/dev/null || break
		sleep 0.2
	done
	wait $vm
	status=$?
	secs=$(since "$t0")
	for p in $spids; do wait "$p"; done
	tr -d '\r' <"$tmp/$cur.raw" >"$tmp/$cur.out"
	json_flat "$tmp/$cur.json" >"$tmp/$cur.flat" 2>/dev/null
	[ "$status" = 0 ] && grep -qx 'snvmm-run: exit=0' "$tmp/$cur.out" &&
		grep -qx 'NETSYNC end' "$tmp/$cur.out"
	check "$cur: guest ran every step and powered off" $? "status $status after ${secs}s"
}

# snvmm_pid PID: snvmm's own pid, given timeout's (busybox's execs the command itself,
# coreutils' runs it as a child).
snvmm_pid() {
	for p in /proc/"$1" /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = snvmm ] || continue
		[ "$p" = "/proc/$1" ] || [ "$(cut -d' ' -f4 "$p/stat" 2>/dev/null)" = "$1" ] || continue
		echo "${p#/proc/}"
		return
	done
}

# thread_cpus PID: "COMM CPUS" for each thread of snvmm, CPUS as /proc's Cpus_allowed_list.
thread_cpus() {
	p=$(snvmm_pid "$1")
	[ -n "$p" ] || return
	for t in /proc/"$p"/task/*; do
		echo "$(cat "$t/comm") $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status")"
	done
}

# The host's part of a step; each is bounded by its own timeout. busybox's ping, as L1 has, on
# any host: iputils' waits for the last reply only twice the slowest round trip so far.
host_step() {
	case $1 in
	ping) timeout 30 busybox ping -q -c 50 -i 0.02 -W 5 $guest ;;
	tcp-out) timeout 240 "$netcheck" tcp-recv 6001 "$bytes" "$seed" ;;
	tcp-in) timeout 240 "$netcheck" tcp-send $guest 6002 "$bytes" $((seed + 1)) ;;
	tcp-plain) timeout 240 "$netcheck" tcp-recv 6005 $((bytes / 5)) $((seed + 4)) ;;
	udp-in) timeout 120 "$netcheck" udp-send $guest 6003 $((seed + 2)) ;;
	udp-out) timeout 120 "$netcheck" udp-echo 6004 $((seed + 3)) ;;
	bad-completion) timeout 40 "$ringpoke" "$(snvmm_pid $vm)" rx-bad-id 30 ;;
	hold) timeout 20 "$ringpoke" "$(snvmm_pid $vm)" hold 10 ;;
	*) true ;;
	esac
}

check_irq_msi() {
	[ "$(sv irq_msi)" = 1 ]
	check "$cur: the NIC's interrupt went as an MSI (KVM injects it from the irqfd write)" $? \
		"devices.net.irq_msi is $(sv irq_msi)"
}

# Counters. The tap counts what snvmm wrote as received and what snvmm read as sent, one per
# frame (a GSO frame is one): exact. The guest driver counts a TX frame when its completion is
# reclaimed and an RX frame when NAPI hands it up; the guest reads them last, after a quiet
# second, with IPv6 off on both ends and no traffic left, so they are exact too (summed over the
# snapshots before and after a reload, which restarts them).
counters() {
	if [ ! -s "$tmp/$cur.flat" ]; then
		check "$cur: snvmm wrote --stats-json" 1
		return
	fi
	# A counter missing from either side would read as empty, and so as 0, in the sums below.
	missing=
	for c in tx_packets rx_packets tx_bytes rx_bytes kicks interrupts drops rx_too_big \
		protocol_errors broken; do
		grep -q "^devices\.net\.$c=" "$tmp/$cur.flat" || missing="$missing snvmm:$c"
	done
	for c in tx_packets rx_packets tx_bytes rx_bytes rx_dropped rx_length_errors \
		rx_frame_errors tx_device_errors tx_bad_completions rx_device_errors \
		rx_bad_completions tx_busy tx_dropped tx_timeouts interrupts tx_kicks; do
		grep -q "^NETSTAT [a-z]* $c " "$tmp/$cur.out" || missing="$missing guest:$c"
	done
	[ -z "$missing" ]
	check "$cur: every counter compared is reported" $? "missing:$missing"
	st=$(sv tx_packets)
	sr=$(sv rx_packets)
	trp=$(($(tapv rx_packets) - tap0_before))
	trb=$(($(tapv rx_bytes) - tap1_before))
	ttp=$(($(tapv tx_packets) - tap2_before))
	ttb=$(($(tapv tx_bytes) - tap3_before))
	[ "$trp" = "$st" ] && [ "$trb" = "$(sv tx_bytes)" ] && [ "$ttp" = "$sr" ] &&
		[ "$ttb" = "$(sv rx_bytes)" ]
	check "$cur: tap0 counters equal snvmm's" $? \
		"tap rx $trp/$trb B = snvmm tx $st/$(sv tx_bytes) B; tap tx $ttp/$ttb B = snvmm rx $sr/$(sv rx_bytes) B"
	grx=$(($(gv rx_packets) + $(gv rx_dropped) + $(gv rx_length_errors) + $(gv rx_frame_errors)))
	[ "$(gv tx_packets)" = "$st" ] && [ "$(gv tx_bytes)" = "$(sv tx_bytes)" ] &&
		[ "$grx" = "$sr" ] && [ "$(gv rx_bytes)" = "$(sv rx_bytes)" ]
	check "$cur: guest ethtool -S counters equal snvmm's" $? \
		"guest tx $(gv tx_packets)/$(gv tx_bytes) B, rx $grx/$(gv rx_bytes) B; snvmm tx $st/$(sv tx_bytes) B, rx $sr/$(sv rx_bytes) B"
	gbad=$(($(gv tx_device_errors) + $(gv tx_bad_completions) + $(gv rx_device_errors) +
		$(gv rx_bad_completions) + $(gv rx_frame_errors) + $(gv rx_length_errors) +
		$(gv tx_busy) + $(gv tx_dropped) + $(gv tx_timeouts)))
	# tap0's rx_dropped: frames snvmm wrote that the host's stack threw away.
	tdrop=$(($(tapv rx_dropped) - tap4_before))
	[ $(($(sv drops) + $(sv rx_too_big) + $(sv protocol_errors) + $(sv broken) + gbad + tdrop)) = 0 ]
	check "$cur: no drops, errors or protocol violations on either side" $? \
		"snvmm drops $(sv drops) rx_too_big $(sv rx_too_big) protocol_errors $(sv protocol_errors) broken $(sv broken); guest errors $gbad; tap0 rx_dropped $tdrop"
	# Under bulk traffic the rings' event indices must spare most kicks and interrupts: one
	# per frame would mean the driver or the worker ignores kick_at or irq_at.
	if [ "$st" -ge 1000 ] && [ "$sr" -ge 1000 ]; then
		[ $(($(gv tx_kicks) * 10)) -lt $((st * 8)) ] && [ $(($(gv interrupts) * 10)) -lt $((sr * 8)) ]
		check "$cur: kicks and interrupts suppressed (under 0.8 per frame)" $? \
			"guest kicks $(gv tx_kicks) for $st TX frames, interrupts $(gv interrupts) for $sr RX frames"
	fi
	check_irq_msi
	exits=$(sed -n 's/^kvm\.vcpu[0-9]*\.exits=//p' "$tmp/$cur.flat" | awk '{ s += $1 } END { print s + 0 }')
	pk=$((st + sr))
	echo "e2e-net: $cur: snvmm: tx $st rx $sr packets, kicks $(sv kicks), interrupts $(sv interrupts), avg_batch $(sv avg_batch), rx_no_buffer $(sv rx_no_buffer), worker syscalls $(sv syscalls)"
	echo "e2e-net: $cur: vCPU exits $exits over $pk packets: $(awk -v e="$exits" -v p="$pk" 'BEGIN { printf "%.3f", p ? e / p : 0 }') exits/packet$shadow_note"
	echo "e2e-net: $cur: guest: interrupts $(gv interrupts), napi_polls $(gv napi_polls), repolls $(gv napi_rearm_repolls), tx_kicks $(gv tx_kicks), rx_kicks $(gv rx_kicks), tx_queue_stops $(gv tx_queue_stops), rx_no_buffer $(gv rx_no_buffer), tx_gso $(gv tx_gso_packets), rx_gso $(gv rx_gso_packets)"
}

# iperf_rate N: the Nth "receiver" summary line's rate.
iperf_rate() {
	grep 'receiver$' "$tmp/$cur.out" | sed -n "$1p" |
		awk '{ for (i = 1; i < NF; i++) if ($(i + 1) ~ /bits\/sec/) print $i " " $(i + 1) }'
}

# check_pair NAME GUEST-PREFIX STEP: both sides say identical and print the same sum.
check_pair() {
	g=$(gline "$2")
	h=$(grep '^netcheck: .*sum=' "$tmp/$cur.$3.host" 2>/dev/null | tail -n1)
	gs=$(field sum "$g")
	hs=$(field sum "$h")
	mbps=$(field MBps "$g $h")
	[ "$(grc "$3")" = 0 ] && [ -n "$gs" ] && [ "$gs" = "$hs" ] &&
		echo "$g $h" | grep -q identical && ! echo "$g $h" | grep -q -e FAILED -e MISMATCH
	check "$1" $? "sum ${gs:-?}/${hs:-?}, $(field bytes "$g") bytes${mbps:+, $mbps MB/s}"
	[ -n "$h" ] || sed 's/^/  host | /' "$tmp/$cur.$3.host" 2>/dev/null | tail -n 3
}

# One 1-vCPU guest runs every check in turn.
suite_full() {
	boot full 1 full

	pl=$(grep 'packet loss' "$tmp/full.out" | head -n1)
	rtt=$(grep 'round-trip' "$tmp/full.out" | head -n1 | sed 's/.*= //')
	[ "$(grc ping-out)" = 0 ] && echo "$pl" | grep -q ' 0% packet loss'
	check "guest pings 10.0.2.1: 100 at 20 ms, 0% loss" $? "${pl##*, }; rtt min/avg/max $rtt"
	pl=$(grep 'packet loss' "$tmp/full.ping.host")
	rtt=$(sed -n 's/.*round-trip.* = //p; s/^rtt.* = //p' "$tmp/full.ping.host")
	echo "$pl" | grep -q ' 0% packet loss'
	check "host pings 10.0.2.15: 50 at 20 ms, 0% loss" $? "${pl##*, }; rtt min/avg/max $rtt"

	for d in out in; do
		rate=$(iperf_rate $([ $d = out ] && echo 1 || echo 2))
		what=$([ $d = out ] && echo "guest->host" || echo "host->guest")
		[ "$(grc iperf-$d)" = 0 ] && [ -n "$rate" ] && ! grep -q 'iperf3: error' "$tmp/full.out"
		check "iperf3 TCP $what 10 s" $? "${rate:-no result}"
	done

	check_pair "TCP guest->host: $bytes seeded bytes arrive identical" "netcheck: tcp-send" tcp-out
	check_pair "TCP host->guest: $bytes seeded bytes arrive identical" "netcheck: tcp-recv" tcp-in
	check_pair "TCP guest->host, the guest's offloads off: $((bytes / 5)) seeded bytes arrive identical" \
		"plain: tcp-send" tcp-plain
	g0=$(sed -n 's/^NETGSO before //p' "$tmp/full.out")
	g1=$(sed -n 's/^NETGSO after //p' "$tmp/full.out")
	[ "$(grc offload-off)" = 0 ] && [ "$(grc offload-on)" = 0 ] && [ -n "$g0" ] && [ "$g0" = "$g1" ] &&
		[ "$(grep -c -E '^(tx-checksumming|scatter-gather|tcp-segmentation-offload): off' "$tmp/full.out")" = 3 ]
	check "the guest's offloads turned off and on again; no GSO frame sent while off" $? \
		"ethtool -K rc $(grc offload-off)/$(grc offload-on), tx_gso_packets ${g0:-?} -> ${g1:-?}"
	check_pair "UDP host->guest->host: sizes 1..1472 and to 65507 echoed identical" \
		"netcheck: udp-echo" udp-in
	check_pair "UDP guest->host->guest: sizes 1..1472 and to 65507 echoed identical" \
		"netcheck: udp-send" udp-out
	echo "e2e-net: UDP resends: $(grep -h 'resent=' "$tmp/full.out" "$tmp/full.udp-in.host" |
		sed 's/.*\(resent=[0-9]*\).*\(lost=[0-9]*\).*/\1 \2/' | tr '\n' ' ')"

	[ "$(grc rmmod)" = 0 ] && [ "$(grc insmod)" = 0 ] && [ "$(grc ping-reload)" = 0 ]
	check "rmmod snnet, insmod again, ping 20 at 20 ms" $? \
		"rmmod $(grc rmmod), insmod $(grc insmod), ping $(grc ping-reload)"
	counters
}

# The worker's window after work, busy-polled (poll=) or slept through (defer=): the guest's TX
# kick stays unarmed, so a guest that keeps sending does not kick; data and counters as exact as
# ever. poll_rounds counts the window's rounds that found nothing: the window was really used.
# 1 ms of busy-polling because under the rig's TCG one worker round can take longer than a
# native 50 us; 500 us of deferring, a few TCG packet gaps.
window_suite() {
	o=$2
	boot $1 1 poll $o "${4:-}"
	pl=$(grep 'packet loss' "$tmp/$1.out" | head -n1)
	[ "$(grc ping-out)" = 0 ] && echo "$pl" | grep -q ' 0% packet loss'
	check "$o: guest pings 10.0.2.1: 50 at 20 ms, 0% loss" $? "${pl##*, }"
	check_pair "$o: TCP guest->host: $bytes seeded bytes arrive identical" \
		"netcheck: tcp-send" tcp-out
	check_pair "$o: TCP host->guest: $bytes seeded bytes arrive identical" \
		"netcheck: tcp-recv" tcp-in
	[ "$(sv poll_rounds)" -gt 0 ] 2>/dev/null
	check "$o: the worker $3" $? \
		"poll_rounds $(sv poll_rounds); kicks $(sv kicks) for $(sv tx_packets) TX packets"
	counters
}
suite_poll() { window_suite poll poll=1000 busy-polled; }
# Deferring with the worker pinned away from the vCPU (tests/bench/README.md, "make bench-pin",
# says why one would).
suite_defer() {
	last=$(($(nproc) - 1))
	window_suite defer defer=500 deferred "--pin vcpu0=0,net-worker=$last"
	[ "$(sed -n 's/^vcpu0 //p' "$tmp/defer.threads")" = 0 ] &&
		[ "$(sed -n 's/^net-worker //p' "$tmp/defer.threads")" = "$last" ]
	check "defer: --pin put vcpu0 on host CPU 0 and net-worker on $last" $? \
		"$(tr '\n' ' ' <"$tmp/defer.threads")"
}

# Two vCPUs: transmit and NAPI on different CPUs, both directions loaded at once.
suite_stress() {
	boot stress 2 stress
	rate=$(grep -E '\[SUM\]\[(TX|RX)-C\].*receiver$' "$tmp/stress.out" |
		awk '{ for (i = 1; i < NF; i++) if ($(i + 1) ~ /bits\/sec/) printf "%s%s %s", sep, $i, $(i + 1); sep = " + " }')
	[ "$(grc iperf-bidir)" = 0 ] && [ -n "$rate" ] && [ "$(grc ping-after)" = 0 ]
	check "stress: 2 vCPUs, iperf3 --bidir -P 2 8 s, then ping 50 at 20 ms" $? \
		"${rate:-no result}; ping rc $(grc ping-after)"
	counters
}

# Two vCPUs: the guest moves the NIC's interrupt to CPU 0, then to CPU 1; snvmm routes it as an
# MSI and must follow the pin each time (with one vCPU it never re-reads it). The interrupt that
# carries out a move still lands on the old CPU (Linux reprograms the pin when it arrives), so
# "followed" is: at least 15 of the 20 ping replies' interrupts on the new CPU, at most 3 on
# the old one.
suite_irqmove() {
	boot irqmove 2 irqmove
	for cpu in 0 1; do
		set -- $(sed -n "s/^NETIRQ before-cpu$cpu //p" "$tmp/irqmove.out") \
			$(sed -n "s/^NETIRQ after-cpu$cpu //p" "$tmp/irqmove.out")
		b0=${1:-0} b1=${2:-0} a0=${3:-0} a1=${4:-0} # all 0 when the guest printed nothing
		if [ $cpu = 0 ]; then new=$((a0 - b0)) old=$((a1 - b1)); else new=$((a1 - b1)) old=$((a0 - b0)); fi
		[ "$(grc ping-cpu$cpu)" = 0 ] && [ "$new" -ge 15 ] && [ "$old" -le 3 ]
		check "irqmove: IRQ moved to CPU $cpu: interrupts follow it" $? \
			"ping rc $(grc ping-cpu$cpu); $new on CPU $cpu, $old on the other"
	done
	check_irq_msi
}

# A host that breaks the protocol (ringpoke): an RX completion for a buffer not in flight must
# break the device, once, with its reason in the guest's log, and a down/up bring it back; a
# reset answered late (the worker held 10 s) must leave the NIC down (buffers leaked, never
# freed under the device) and up must ask again until it works.
suite_hostile() {
	boot hostile 1 hostile
	grep -q '^ringpoke: RX used' "$tmp/hostile.bad-completion.host" &&
		grep -q 'until the driver asked for a reset' "$tmp/hostile.bad-completion.host" &&
		grep -q '^ringpoke: net-worker released' "$tmp/hostile.hold.host"
	check "hostile: ringpoke broke the ring and held the worker" $? \
		"$(cat "$tmp/hostile.bad-completion.host" "$tmp/hostile.hold.host" 2>/dev/null | tr '\n' ' ')"
	for s in ping-before broken down-up ping-after-reset wedged up-after-late-reset \
		ping-after-late-reset; do
		[ "$(grc $s)" = 0 ]
		check "hostile: guest step $s" $? "rc $(grc $s)"
	done
	[ "$(gv rx_bad_completions)" = 1 ] && [ "$(gv tx_timeouts)" = 0 ]
	check "hostile: the guest counted the one bad completion" $? \
		"rx_bad_completions $(gv rx_bad_completions), tx_timeouts $(gv tx_timeouts)"
}

# make run's guest (tests/rig/guest-default.sh, its own namespace and tap): a shell driven
# through stdin, as boot.sh does, finds eth0 with 10.0.2.15 and reaches 10.0.2.1 untouched.
suite_default() {
	cur=default
	t0=$(now)
	mkfifo "$tmp/in"
	timeout "$limit" sh tests/rig/guest-default.sh <"$tmp/in" >"$tmp/default.raw" 2>&1 &
	vm=$!
	exec 3>"$tmp/in"
	n=0
	while ! grep -q '/ # ' "$tmp/default.raw" && kill -0 $vm 2>/dev/null && [ $n -lt 600 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	echo 'ip -4 addr show dev eth0; ping -q -c 5 -i 0.2 10.0.2.1; echo "NET default rc=$?"; poweroff' >&3
	wait $vm
	status=$?
	exec 3>&-
	secs=$(since "$t0")
	tr -d '\r' <"$tmp/default.raw" >"$tmp/default.out"
	[ "$status" = 0 ] && grep -q 'inet 10\.0\.2\.15/24' "$tmp/default.out" && [ "$(grc default)" = 0 ] &&
		grep -q ' 0% packet loss' "$tmp/default.out"
	check "make run's guest: eth0 has 10.0.2.15 and pings 10.0.2.1, 0% loss" $? \
		"status $status after ${secs}s, ping rc $(grc default)"
}

suites=${NET_SUITES:-full poll defer irqmove hostile default}
echo "e2e-net: seed $seed, $bytes bytes per TCP direction"
for b in $suites; do
	suite_$b
done

if [ "$fail" != 0 ]; then
	for c in $suites; do
		echo "e2e-net: $c: last guest output:"
		grep -v '^NETSTAT' "$tmp/$c.out" 2>/dev/null | tail -n 40 | sed 's/^/  | /'
	done
	# A crashed guest (status 5) has been the nested KVM's doing in the rig: L1's log says so.
	echo "e2e-net: this host's kernel log:"
	dmesg 2>/dev/null | tail -n 15 | sed 's/^/  ! /'
	command -v rig-shutdown-rips >/dev/null && rig-shutdown-rips
fi
echo "e2e-net: $pass passed, $fail failed"
[ "$fail" = 0 ]
