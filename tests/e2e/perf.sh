#!/bin/sh
# SPDX-License-Identifier: MIT
# snvmm's own exit counts (--stats-json) against KVM's tracepoints (perf stat), on a host whose
# KVM is VMX/SVM so that every tracepoint fires: the rig's L1 (tests/rig/rig.sh --extras
# tests/e2e/perf.sh build/guests/exits.bin tests/guests/exits.S build/guests/triple-fault.bin;
# make check-e2e does this) or such a host directly. Guests: the exits micro-guest (exact
# counts, from its header) in a network namespace made here, Debian's kernel booting to our init
# and powering off, and the triple-fault micro-guest (where did it die).
# POSIX sh: L1 has busybox, no python. E2E_TIMEOUT bounds each guest (seconds, default 300).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/perf-lib.sh
limit=${E2E_TIMEOUT:-300}
for k in build/debian/boot/vmlinuz-*; do :; done
initrd=initramfs/initramfs.cpio.gz
guest=build/guests/exits.bin
src=tests/guests/exits.S
events=kvm:kvm_userspace_exit,kvm:kvm_pio,kvm:kvm_mmio,kvm:kvm_exit
tmp=$(mktemp -d)
ns=snvmm-perf-$$
ip=
trap '[ -n "$ip" ] && $ip netns del $ns 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP # the EXIT trap then runs in dash and busybox too
pass=0
fail=0

result() { # result RC DESCRIPTION: the condition's status, and $tmp/why holds the reasons
	if [ "$1" = 0 ]; then
		echo "PASS: $2"
		pass=$((pass + 1))
	else
		echo "FAIL: $2"
		sed 's/^/  /' "$tmp/why"
		fail=$((fail + 1))
	fi
	: >"$tmp/why"
}
why() { echo "$*" >>"$tmp/why"; }

for f in ./snvmm "$initrd" "$k" "$guest" "$src"; do
	[ -e "$f" ] || { echo "e2e-perf: needs $f (make all, make $guest)"; exit 1; }
done
if ! perf stat -x, -o "$tmp/probe" -e kvm:kvm_exit true >"$tmp/perr" 2>&1; then
	echo "e2e-perf: perf cannot count kvm:kvm_exit here (tracefs mounted? libgcc_s?):"
	sed 's/^/  | /' "$tmp/perr" | head -n 5
	echo "e2e-perf: 0 passed, 1 failed"
	exit 1
fi
: >"$tmp/why"
# iproute2 keeps namespaces under /run/netns, and L1 (busybox) has no /run; and its sh
# runs busybox's own `ip` applet (no netns) before PATH, so name iproute2's by its path.
mkdir -p /run /var/run
ip=
for c in /usr/sbin/ip /sbin/ip /bin/ip; do
	[ -x "$c" ] && "$c" netns list >/dev/null 2>&1 && { ip=$c; break; }
done
[ -n "$ip" ] || { echo "e2e-perf: no iproute2 ip with netns support"; exit 1; }

# compare NAME: sets the perf_* and json_* figures from $tmp/NAME.{perf,json} and prints them.
compare() {
	json_flat "$tmp/$1.json" >"$tmp/$1.flat"
	p_user=$(perf_get "$tmp/$1.perf" kvm:kvm_userspace_exit)
	p_pio=$(perf_get "$tmp/$1.perf" kvm:kvm_pio)
	p_mmio=$(perf_get "$tmp/$1.perf" kvm:kvm_mmio)
	p_exit=$(perf_get "$tmp/$1.perf" kvm:kvm_exit)
	j_total=$(json_get "$tmp/$1.flat" exits.all.total)
	j_io=$(json_get "$tmp/$1.flat" exits.all.io)
	j_mmio=$(json_get "$tmp/$1.flat" exits.all.mmio)
	j_mmio_rd=$(json_sum "$tmp/$1.flat" '^io\.(mmio\.[^.]+|unclaimed-mmio)\.reads$')
	k_exits=$(json_sum "$tmp/$1.flat" '^kvm\.vcpu[0-9]+\.exits$')
	k_io=$(json_sum "$tmp/$1.flat" '^kvm\.vcpu[0-9]+\.io_exits$')
	echo "  $1: perf: userspace_exit=$p_user pio=$p_pio mmio=$p_mmio exit=$p_exit"
	echo "  $1: json: exits.all.total=$j_total io=$j_io mmio=$j_mmio (mmio reads $j_mmio_rd)" \
		"kvm exits=$k_exits io_exits=$k_io"
	for v in "$p_user" "$p_pio" "$p_mmio" "$p_exit" "$j_total" "$j_io" "$j_mmio" "$k_exits"; do
		[ -n "$v" ] || { why "a figure is missing"; return 1; }
	done
}

# 1. The micro-guest: every figure is known in advance (see the header of $src).
$ip netns add $ns || why "ip netns add $ns failed"
args=$(sed -n 's/^ \* args: //p' "$src")
want_json=$(sed -n 's/^ \* expect-json: //p' "$src" | tr '\n' ' ')
want_perf=$(sed -n 's/^ \* expect-perf: //p' "$src" | tr '\n' ' ')
# shellcheck disable=SC2086 # args is a word list by design
timeout 60 perf stat -x, -o "$tmp/micro.perf" -e $events $ip netns exec $ns \
	./snvmm $args --stats-json "$tmp/micro.json" --raw "$guest" </dev/null >"$tmp/micro.out" 2>&1
status=$?
$ip netns del $ns || why "ip netns del $ns failed"
[ "$status" = 0 ] || { why "status $status:"; sed 's/^/| /' "$tmp/micro.out" >>"$tmp/why"; }
compare micro || true
check_pairs "$tmp/micro.flat" "$want_json" json >>"$tmp/why"
for pair in $want_perf; do
	got=$(perf_get "$tmp/micro.perf" "${pair%%=*}")
	[ "$got" = "${pair#*=}" ] || why "perf: ${pair%%=*} is '$got', want ${pair#*=}"
done
# Hardware exits: every userspace exit and every kick is one, plus the odd interrupt or NPF.
[ "${p_exit:-0}" -ge $((${j_total:-0} + 11)) ] || why "kvm_exit $p_exit < userspace exits + kicks"
[ "$p_exit" = "$k_exits" ] || why "kvm_exit $p_exit != KVM's own exits counter $k_exits"
[ ! -s "$tmp/why" ]
result $? "micro-guest: JSON and perf agree with the guest's $want_perf"

# 2. A real kernel: the same relations, with in-kernel devices (PIT, PIC, IOAPIC) in the gap.
t0=$(cut -d' ' -f1 /proc/uptime)
timeout "$limit" perf stat -x, -o "$tmp/boot.perf" -e $events ./snvmm --stats-json \
	"$tmp/boot.json" --initrd "$initrd" --append 'snvmm.run="true"' "$k" </dev/null \
	>"$tmp/boot.out" 2>&1
status=$?
echo "  boot: status $status after $(echo "$t0 $(cut -d' ' -f1 /proc/uptime)" |
	awk '{ printf "%.1f", $2 - $1 }')s"
[ "$status" = 0 ] || { why "status $status:"; tail -n 10 "$tmp/boot.out" | sed 's/^/| /' >>"$tmp/why"; }
if compare boot; then
	# Each return from KVM_RUN is one tracepoint and one count (EINTR included): exact.
	[ "$p_user" = "$j_total" ] || why "kvm_userspace_exit $p_user != exits.all.total $j_total"
	# kvm_pio also fires for ports KVM serves itself (PIT, PIC, ioeventfds): at least ours.
	[ "$p_pio" -ge "$j_io" ] || why "kvm_pio $p_pio < exits.all.io $j_io"
	# kvm_mmio fires for in-kernel MMIO (IOAPIC) too, and twice for a read we complete.
	[ "$p_mmio" -ge $((j_mmio + j_mmio_rd)) ] || why "kvm_mmio $p_mmio < $j_mmio + $j_mmio_rd"
	[ "$p_exit" = "$k_exits" ] || why "kvm_exit $p_exit != KVM's own exits counter $k_exits"
	[ "$p_exit" -gt "$p_user" ] || why "kvm_exit $p_exit <= kvm_userspace_exit $p_user"
	echo "  boot: in-kernel share: pio $((p_pio - j_io)), exits $((p_exit - p_user))" \
		"($(((p_exit - p_user) * 100 / p_exit))% of all exits never reach snvmm)"
fi
[ ! -s "$tmp/why" ]
result $? "kernel boot: perf's counts agree with --stats-json"

# 3. perf kvm stat, as README.md shows it. It pairs each exit with the next entry, so the
# vCPU's last exit (poweroff, which never re-enters) is left out: one less than KVM's count.
$ip netns add $ns || why "ip netns add $ns failed"
# shellcheck disable=SC2086
timeout 60 perf kvm stat record -o "$tmp/kvm.data" $ip netns exec $ns ./snvmm $args \
	--stats-json "$tmp/kvm.json" --raw "$guest" </dev/null >"$tmp/kvm.out" 2>&1
$ip netns del $ns
perf kvm -i "$tmp/kvm.data" stat report --event=vmexit >"$tmp/kvm.txt" 2>&1
sed 's/^/  | /' "$tmp/kvm.txt" | grep -v '^  | *$' | head -n 20
json_flat "$tmp/kvm.json" >"$tmp/kvm.flat"
k_exits=$(json_sum "$tmp/kvm.flat" '^kvm\.vcpu[0-9]+\.exits$')
samples=$(sed -n 's/.*Total Samples:\([0-9]*\),.*/\1/p' "$tmp/kvm.txt" | head -n 1)
[ -n "$samples" ] && [ $((samples + 1)) = "$k_exits" ] ||
	why "perf kvm stat report: Total Samples '$samples', want KVM's exits counter $k_exits - 1"
[ ! -s "$tmp/why" ]
result $? "perf kvm stat record/report on snvmm: $samples exits (KVM: $k_exits)"

# 4. A triple fault says where the guest was. Where KVM resets the vCPU at the shutdown before
# snvmm can read it (SVM), snvmm says the registers are lost, and in the rig L1's trace of the
# shutdown exit has the rip instead (tests/rig/rig-shutdown-rips). The ud2 of
# tests/guests/triple-fault.S (loaded at 1 MiB) is at 0x100007.
tf=build/guests/triple-fault.bin
rip=0x100007
if [ -e "$tf" ]; then
	timeout 60 ./snvmm --raw "$tf" </dev/null >"$tmp/tf.out" 2>&1
	status=$?
	[ "$status" = 5 ] || why "status $status, want 5 (crash)"
	if grep -q 'registers lost' "$tmp/tf.out"; then
		if command -v rig-shutdown-rips >/dev/null; then
			rig-shutdown-rips >"$tmp/tf.rips" 2>&1
			grep -q "reason shutdown rip $rip " "$tmp/tf.rips" ||
				{ why "L1's shutdown trace lacks rip $rip:"; sed 's/^/| /' "$tmp/tf.rips" >>"$tmp/why"; }
			where="registers lost; L1's trace: rip $rip"
		else
			where="registers lost (no shutdown trace outside the rig)"
		fi
	else
		grep -q "at rip $rip " "$tmp/tf.out" ||
			{ why "no 'at rip $rip' in snvmm's report:"; sed 's/^/| /' "$tmp/tf.out" >>"$tmp/why"; }
		where="snvmm: at rip $rip"
	fi
	[ ! -s "$tmp/why" ]
	result $? "triple-fault micro-guest: status 5, $where"
else
	why "missing $tf"
	result 1 "triple-fault micro-guest"
fi

echo "e2e-perf: $pass passed, $fail failed"
[ "$fail" = 0 ]
