#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot benchmark (issue 2), make bench-boot: on a host whose /dev/kvm has VMX/SVM right there,
# elsewhere inside the rig's L1 (a stock kernel with SVM, so KVM tracepoints fire):
#   tests/rig/rig.sh --extras tests/bench/boot.sh build/bench/linets
# Boots Debian's kernel + our initramfs with snvmm.run=true BENCH_RUNS times (default 5) under
# snvmm and under QEMU -M microvm, interleaved, same kernel, initrd, command line, 1 vCPU, 256 MiB,
# and reports min/median/max of: time to the guest's "snvmm-init: ready", time to exit, and VM
# exits (perf stat on the VMM). In the rig everything runs under TCG: only the ratios mean anything.
# Exits 0 when every run was measured, whatever the figures; 1 otherwise.
cd "$(dirname "$0")/../.." || exit 1
. tests/bench/lib.sh
runs=${BENCH_RUNS:-5}
limit=${BENCH_TIMEOUT:-120}
for k in build/debian/boot/vmlinuz-*; do :; done
initrd=initramfs/initramfs.cpio.gz
linets=build/bench/linets
events=kvm:kvm_exit,kvm:kvm_userspace_exit,kvm:kvm_pio,kvm:kvm_mmio
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP # the EXIT trap then runs in dash and busybox too

for f in ./snvmm "$initrd" "$k" "$linets"; do
	[ -e "$f" ] || { echo "bench-boot: missing $f (make snvmm initramfs, rig --extras)"; exit 1; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "bench-boot: no QEMU (rig --extras)"; exit 1; }
perf_check || exit 1
cmdline=$(default_cmdline)
[ -n "$cmdline" ] || { echo "bench-boot: cannot read the default command line from --help"; exit 1; }
echo "bench-boot: $runs boots each; kernel $k; command line: $cmdline snvmm.run=true"

# one VMM N: one perf-counted, line-timestamped boot; leaves $tmp/VMM.N.{perf,log,err,json}.
# perf wraps linets so that perf's own start-up is not in the timings; counts are inherited by
# the VMM's threads.
one() {
	vmm=$1
	n=$2
	base=$tmp/$vmm.$n
	if [ "$vmm" = snvmm ]; then
		set -- ./snvmm --stats-json "$base.json" --initrd "$initrd" --append snvmm.run=true "$k"
	else
		set -- qemu-system-x86_64 -M microvm -enable-kvm -cpu host -m 256 -smp 1 -nodefaults \
			-no-user-config -display none -serial stdio -no-reboot \
			-kernel "$k" -initrd "$initrd" -append "$cmdline snvmm.run=true"
	fi
	perf_stat "$base.perf" "$events" -- \
		"$linets" -m 'snvmm-init: ready' -o "$base.log" -t "$limit" "$@" </dev/null 2>"$base.err"
	rc=$?
	sum=$(sed -n 's/^linets: //p' "$base.err" | tail -n1)
	ready=$(echo "$sum" | sed -n 's/.*ready_ms=\([-0-9.]*\).*/\1/p')
	total=$(echo "$sum" | sed -n 's/.*exit_ms=\([0-9.]*\).*/\1/p')
	ok=1
	if [ "$rc" != 0 ] || [ -z "$ready" ] || [ "$ready" = -1.0 ]; then
		echo "bench-boot: $vmm run $n: status $rc, ready ${ready:-?}; last output:"
		tail -n 8 "$base.log" | sed 's/^/  | /'
		grep -v '^linets:' "$base.err" | tail -n 5 | sed 's/^/  ! /'
		ok=0
	fi
	if [ "$ok" = 1 ]; then
		echo "$ready" >>"$tmp/$vmm.ready"
		echo "$total" >>"$tmp/$vmm.total"
		for e in kvm_exit kvm_userspace_exit kvm_pio kvm_mmio; do
			c=$(perf_count "$base.perf" "kvm:$e")
			[ -n "$c" ] && echo "$c" >>"$tmp/$vmm.$e"
		done
		perf_breakdown "$base.perf" | while read -r label c; do
			echo "$c" >>"$tmp/$vmm.$label"
		done
	else
		failed=$((failed + 1))
	fi
	printf 'bench-boot: %-5s run %d: ready %8s ms, exit %8s ms, exits %s (userspace %s, pio %s, mmio %s)\n' \
		"$vmm" "$n" "${ready:-?}" "${total:-?}" "$(perf_count "$base.perf" kvm:kvm_exit)" \
		"$(perf_count "$base.perf" kvm:kvm_userspace_exit)" \
		"$(perf_count "$base.perf" kvm:kvm_pio)" "$(perf_count "$base.perf" kvm:kvm_mmio)"
}

failed=0
i=1
while [ $i -le "$runs" ]; do
	one snvmm $i
	one qemu $i
	i=$((i + 1))
done

row() {
	s=$(stat3 "$tmp/snvmm.$1")
	q=$(stat3 "$tmp/qemu.$1")
	# shellcheck disable=SC2086
	set -- "$2" $s $q
	printf '%-26s %9s %9s %9s | %9s %9s %9s | %6s\n' "$@" "$(ratio "$3" "$6")"
}
echo
echo "bench-boot results ($runs runs each; min/median/max; ratio = snvmm median / QEMU median)"
printf '%-26s %9s %9s %9s | %9s %9s %9s | %6s\n' "" "snvmm" "" "" "qemu" "microvm" "" ""
printf '%-26s %9s %9s %9s | %9s %9s %9s | %6s\n' metric min median max min median max ratio
row ready "time to init ready (ms)"
row total "time to exit (ms)"
row kvm_exit "exits (kvm_exit)"
row kvm_userspace_exit "userspace exits"
row kvm_pio "port I/O (kvm_pio)"
row kvm_mmio "MMIO (kvm_mmio)"
for label in $BD_LABELS; do
	row "$label" "  $label"
done

med() { stat3 "$tmp/$1" | cut -d' ' -f2; }
echo
echo "target: time to init <= 0.75x QEMU: $(ratio "$(med snvmm.ready)" "$(med qemu.ready)")x," \
	"$(meets "$(div "$(med snvmm.ready)" "$(med qemu.ready)" %.9g)" le 0.75)"
echo "target: VM exits      <= 0.70x QEMU: $(ratio "$(med snvmm.kvm_exit)" "$(med qemu.kvm_exit)")x," \
	"$(meets "$(div "$(med snvmm.kvm_exit)" "$(med qemu.kvm_exit)" %.9g)" le 0.70)"

# Where snvmm's exits go, from its own counters (last measured run): exit reasons, then the
# port/MMIO ranges by accesses.
last=$(ls "$tmp"/snvmm.*.json 2>/dev/null | tail -n1)
if [ -n "$last" ]; then
	json_flat "$last" >"$tmp/flat"
	echo
	echo "snvmm --stats-json ($(basename "$last")): exits by reason (non-zero)"
	awk '$1 ~ /^exits\.(all\.)?[a-z_]+$/ && $2 != 0 { sub(/^exits\.(all\.)?/, "", $1); print "  " $1, $2 }' \
		"$tmp/flat"
	echo "snvmm --stats-json: accesses by device range (reads+writes), busiest first"
	# Keys are io[.pio|.mmio].DEVICE.{base,reads,writes}: the device is the next-to-last part.
	awk '$1 ~ /^io\./ { k = split($1, p, "."); d = p[k - 1]
			if (p[k] == "reads" || p[k] == "writes") n[d] += $2
			if (p[k] == "base") b[d] = sprintf("0x%x", $2) }
		END { for (d in n) if (n[d]) printf "  %-20s %-8s %d\n", d, (d in b) ? b[d] : "-", n[d] }' "$tmp/flat" |
		sort -k3 -n -r
	echo "KVM's own per-vCPU counters (kvm.vcpu0): $(grep -E '^kvm\.vcpu0\.(exits|io_exits|mmio_exits|halt_exits|irq_exits|irq_window_exits|insn_emulation) ' "$tmp/flat" |
		sed 's/^kvm\.vcpu0\.//' | tr '\n' ' ')"
fi
echo "bench-boot: $failed failed runs"
[ "$failed" = 0 ]
