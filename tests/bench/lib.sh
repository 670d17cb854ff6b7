# SPDX-License-Identifier: MIT
# Helpers shared by the rig benchmarks (tests/bench/boot.sh, tests/bench/net.sh). POSIX sh for
# L1's busybox. Benchmarks report figures; they never fail on a figure, only when they could not
# measure it.

# The command line snvmm gives a guest by default, from --help, so QEMU gets the same one.
default_cmdline() {
	./snvmm --help | sed -n 's/.*"\(console=[^"]*\)".*/\1/p' | head -n1
}

# tap_add NAME: tap NAME up with 10.0.2.1/24 (iproute2's ip tuntap, else busybox's tunctl, as
# in the rig's L1). tap_del NAME: gone again.
tap_add() {
	{ ip tuntap add dev "$1" mode tap 2>/dev/null || tunctl -t "$1" >/dev/null; } &&
		ip addr add 10.0.2.1/24 dev "$1" && ip link set "$1" up
}
tap_del() {
	tunctl -d "$1" >/dev/null 2>&1 || ip link del "$1" 2>/dev/null
}

# tap_packets NAME: packets through tap NAME so far, both directions, from /proc/net/dev (which
# follows the reader's network namespace; /sys/class/net follows the mount's).
tap_packets() {
	awk -v t="$1:" '{ sub(/:/, ": ") } $1 == t { print $3 + $11 }' /proc/net/dev # tap0:123456789
}

# tap_bytes NAME: bytes through tap NAME so far, both directions (as tap_packets).
tap_bytes() {
	awk -v t="$1:" '{ sub(/:/, ": ") } $1 == t { print $2 + $10 }' /proc/net/dev
}

# perf_check: says whether perf can count KVM tracepoints here (stock kernel, tracefs mounted).
perf_check() {
	if ! perf stat -x, -e kvm:kvm_exit -o /tmp/perf-check.csv -- true 2>/tmp/perf-check.err; then
		echo "bench: perf cannot count kvm:kvm_exit:" >&2
		sed 's/^/  | /' /tmp/perf-check.err >&2
		return 1
	fi
}

# perf_count FILE EVENT: the count of EVENT in a `perf stat -x,` output file ("" if absent).
perf_count() {
	awk -F, -v ev="$2" '$3 == ev && $1 ~ /^[0-9]+$/ { print $1; exit }' "$1" 2>/dev/null
}

# json_flat FILE: flattens snvmm's pretty-printed --stats-json to "path.to.key value" lines.
json_flat() {
	awk '
	{
		line = $0
		indent = match(line, /[^ ]/) - 1
		d = indent / 2
		if (match(line, /"[^"]+": \{/)) {
			k = substr(line, RSTART + 1, RLENGTH - 5)
			path[d] = k
			next
		}
		if (match(line, /"[^"]+": [0-9]+/)) {
			kv = substr(line, RSTART + 1, RLENGTH - 1)
			k = kv; sub(/".*/, "", k)
			v = kv; sub(/.*: /, "", v)
			p = ""
			for (i = 1; i < d; i++) p = p path[i] "."
			print p k, v
		}
	}' "$1"
}

# stat3 FILE: "min median max" of the numbers in FILE, one a line ("- - -" if none).
stat3() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- - -"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%s %s %s\n", v[1], m, v[NR]
	}'
}

# div A B [FMT]: A/B, "-" when either is missing or B is 0; FMT defaults to %.3f. Targets are
# judged on %.9g (meets), the figures shown rounded: 1.996 shows as 2.00 but is not 2x.
div() {
	awk -v a="$1" -v b="$2" -v f="${3:-%.3f}" 'BEGIN {
		if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) print "-"
		else printf f "\n", a / b
	}'
}
# ratio A B: A/B to two decimals, for display.
ratio() { div "$1" "$2" %.2f; }

# meets VALUE OP LIMIT: prints "met" or "NOT met" (OP is le or ge), "?" when VALUE is missing.
meets() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "-" || v == "") { print "?"; exit }
		ok = (op == "le") ? (v + 0 <= l + 0) : (v + 0 >= l + 0)
		print ok ? "met" : "NOT met"
	}'
}

# vhost_tid PID: the thread id of the vhost worker serving process PID, named vhost-PID: a
# kernel thread of its own before Linux 6.4, a thread of PID (vhost_task) since. Fails if none.
vhost_tid() {
	for vt_c in /proc/[0-9]*/comm /proc/"$1"/task/*/comm; do
		read -r vt_n 2>/dev/null <"$vt_c" || continue
		[ "$vt_n" = "vhost-$1" ] || continue
		vt_c=${vt_c%/comm}
		echo "${vt_c##*/}"
		return 0
	done
	return 1
}

# thread_times PID: one line per thread of process PID and for a vhost kernel thread serving it
# (vhost_tid): "vcpu" or "other", the thread id, then utime, stime and guest time in clock
# ticks (/proc/PID/task/TID/stat fields 14, 15 and 43; guest time is the part of utime the
# thread spent in guest mode, sampled by the tick; KVM on x86 accounts the tick that ends a
# guest's run to the guest since Linux 5.12). The vCPU thread is snvmm's vcpu0 or QEMU's
# "CPU 0/KVM"; every other thread (the packet worker, QEMU's main loop, vhost) is the
# datapath's and the VMM's own work.
thread_times() {
	tt_v=$(vhost_tid "$1") && [ ! -e "/proc/$1/task/$tt_v" ] && tt_v=/proc/$tt_v || tt_v=
	for tt_d in /proc/"$1"/task/* $tt_v; do
		read -r tt_c 2>/dev/null <"$tt_d/comm" || continue
		case $tt_c in
		vcpu0 | "CPU 0/KVM") tt_k=vcpu ;;
		*) tt_k=other ;;
		esac
		# The name (field 2) may hold spaces: count the fields after its closing ')'.
		awk -v k="$tt_k" -v id="${tt_d##*/}" '{ sub(/.*\) /, ""); print k, id, $12, $13, $41 }' \
			"$tt_d/stat" 2>/dev/null
	done
}

# cpu_split BEFORE AFTER: from two thread_times snapshots, "guest_cs", "vcpu_host_cs" (the vCPU
# thread's CPU time out of guest mode: KVM's exit handling and the VMM's own) and "other_cs"
# (every other thread's), in hundredths of a second (USER_HZ, 100 on x86). A thread missing
# from BEFORE counts from 0; one gone from AFTER is not counted.
cpu_split() {
	awk 'FNR == NR { u[$2] = $3; s[$2] = $4; g[$2] = $5; next }
		{ du = $3 - u[$2]; ds = $4 - s[$2]; dg = $5 - g[$2]
		  if ($1 == "vcpu") { guest += dg; host += du + ds - dg } else other += du + ds }
		END { printf "guest_cs %d\nvcpu_host_cs %d\nother_cs %d\n", guest, host, other }' "$1" "$2"
}

# Where exits go: by exit reason, as KVM's kvm_exit tracepoint gives it (an SVM exit code on AMD,
# AMD APM vol. 2 appendix C; a VMX basic exit reason on Intel, SDM vol. 3 appendix C) and, among
# MSR accesses, the x2APIC EOI, TSC deadline and ICR registers. In the rig L1 is an SVM host.
BD_LABELS="exit:intr exit:vintr exit:hlt exit:io exit:msr exit:npf msr:eoi msr:tsc_deadline msr:icr"
if [ -d /sys/module/kvm_intel ]; then
	# external interrupt, interrupt window, HLT, I/O, RDMSR/WRMSR, EPT violation/misconfig
	bd_intr='exit_reason == 1' bd_vintr='exit_reason == 7' bd_hlt='exit_reason == 12'
	bd_io='exit_reason == 30' bd_msr='exit_reason == 31 || exit_reason == 32'
	bd_npf='exit_reason == 48 || exit_reason == 49'
else
	bd_intr='exit_reason == 0x060' bd_vintr='exit_reason == 0x064' bd_hlt='exit_reason == 0x078'
	bd_io='exit_reason == 0x07b' bd_msr='exit_reason == 0x07c' bd_npf='exit_reason == 0x400'
fi

# perf_stat OUT EVENTS [PERF OPTIONS] -- CMD...: `perf stat -x,` of EVENTS and the breakdown.
# --no-merge keeps the same tracepoint with different filters on separate lines.
perf_stat() {
	out=$1
	ev=$2
	shift 2
	perf stat --no-merge -x, -o "$out" -e "$ev" \
		-e kvm:kvm_exit --filter "$bd_intr" \
		-e kvm:kvm_exit --filter "$bd_vintr" \
		-e kvm:kvm_exit --filter "$bd_hlt" \
		-e kvm:kvm_exit --filter "$bd_io" \
		-e kvm:kvm_exit --filter "$bd_msr" \
		-e kvm:kvm_exit --filter "$bd_npf" \
		-e kvm:kvm_msr --filter 'ecx == 0x80b' \
		-e kvm:kvm_msr --filter 'ecx == 0x6e0' \
		-e kvm:kvm_msr --filter 'ecx == 0x830' "$@"
}

# perf_breakdown FILE: "label count" for each of BD_LABELS, from a perf_stat output file (the
# filtered events are its last lines, in BD_LABELS order); "-" for "<not counted>" and the like.
perf_breakdown() {
	awk -F, -v labels="$BD_LABELS" '/^#/ || NF < 3 { next } { c[++n] = $1 ~ /^[0-9]+$/ ? $1 : "-" }
		END { k = split(labels, l, " "); for (i = 1; i <= k; i++) print l[i], c[n - k + i] }' "$1"
}

# ping_stages TAP COUNT: pings the guest COUNT times (50 ms apart) under ftrace and prints, as
# "ping_stage.NAME MICROSECONDS" lines, the median of each stage of a round trip: the request
# leaving the host into TAP -> the device's MSI (kvm_msi_set_irq) -> the vCPU's next guest entry
# -> the guest's next port or MMIO write (its kick) -> the reply entering the host's stack from
# TAP, and guest entry -> reply. A reply the guest sent while the worker was awake needs no
# kick: such a round trip counts in every stage but the two around the kick. "ping_stage.n" says
# how many round trips were seen whole, of COUNT, and "ping_stage.kicked" how many of those
# kicked. Needs tracefs and the KVM and net tracepoints. It traces into a tracefs instance of
# its own, so the host's trace buffer (and what rig-shutdown-rips reads there) stays as it was.
# Its variables are ps_*, as a function's are global in sh and the caller's (net.sh's k, the
# kernel) must survive.
ping_stages() {
	ps_t=/sys/kernel/tracing/instances/snvmm-ping-$$
	# kvm_fast_mmio: QEMU's virtio notify on VMX (a zero-length ioeventfd, seen as that, not
	# kvm_mmio).
	ps_evs="net/net_dev_xmit net/netif_receive_skb kvm/kvm_msi_set_irq kvm/kvm_entry kvm/kvm_pio kvm/kvm_mmio kvm/kvm_fast_mmio"
	mkdir "$ps_t" 2>/dev/null || return 1
	ps_ok=1
	for ps_e in $ps_evs; do echo 1 >"$ps_t/events/$ps_e/enable" || ps_ok=; done
	[ -n "$ps_ok" ] && ping -c "$2" -i 0.05 -q 10.0.2.15 >/dev/null 2>&1
	echo 0 >"$ps_t/tracing_on"
	# One line per round trip seen whole: five figures in us, "-" for the two around a kick
	# that did not happen.
	ps_f=$(mktemp)
	awk -v tap="$1" '
	{
		for (i = 1; i < NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) break
		if (i >= NF) next
		ts = substr($i, 1, length($i) - 1) * 1e6
		ev = $(i + 1)
		rest = substr($0, index($0, ev) + length(ev))
		if (ev == "net_dev_xmit:" && rest ~ (" dev=" tap " ") && rest ~ / len=98 /) {
			t0 = ts; st = 1 # an echo request: 84 bytes of IP plus the Ethernet header
		} else if (st == 1 && ev == "kvm_msi_set_irq:") {
			t1 = ts; st = 2
		} else if (st == 2 && ev == "kvm_entry:") {
			t2 = ts; st = 3
		} else if (st == 3 && ((ev == "kvm_pio:" && rest ~ /pio_write/) || (ev == "kvm_mmio:" && rest ~ /mmio write/) || ev == "kvm_fast_mmio:")) {
			t3 = ts; st = 4
		} else if (st >= 3 && ev == "netif_receive_skb:" && rest ~ (" dev=" tap " ") && rest ~ / len=84$/) {
			if (st == 4)
				printf "%.0f %.0f %.0f %.0f %.0f\n", t1 - t0, t2 - t1, t3 - t2, ts - t3, ts - t2
			else
				printf "%.0f %.0f - - %.0f\n", t1 - t0, t2 - t1, ts - t2
			st = 0
		}
	}' "$ps_t/trace" >"$ps_f"
	# Events off, then the instance goes.
	for ps_e in $ps_evs; do echo 0 >"$ps_t/events/$ps_e/enable"; done
	rmdir "$ps_t"
	[ -n "$ps_ok" ] || { rm -f "$ps_f"; return 1; }
	echo "ping_stage.n $(wc -l <"$ps_f")/$2"
	echo "ping_stage.kicked $(awk '$3 != "-"' "$ps_f" | wc -l)"
	ps_k=0
	for ps_name in tap_to_irq irq_to_entry entry_to_kick kick_to_reply entry_to_reply; do
		ps_k=$((ps_k + 1))
		awk -v k=$ps_k '$k != "-" { print $k }' "$ps_f" >"$ps_f.col"
		ps_m=$(stat3 "$ps_f.col" | cut -d' ' -f2)
		[ "$ps_m" = - ] || echo "ping_stage.$ps_name $ps_m"
	done
	rm -f "$ps_f" "$ps_f.col"
}
