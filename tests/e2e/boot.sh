#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end boot suite: boots Debian's kernel with our initramfs under ./snvmm several times and
# checks what comes back. Needs a /dev/kvm with VMX/SVM: run it directly on such a host, or
# through the rig: tests/rig/rig.sh tests/e2e/boot.sh (make check-e2e picks). POSIX sh, so it
# also runs under L1's busybox. E2E_TIMEOUT bounds each guest (seconds, default 180).
cd "$(dirname "$0")/../.." || exit 1
limit=${E2E_TIMEOUT:-180}
for k in build/debian/boot/vmlinuz-*; do :; done
rel=${k##*/vmlinuz-}
elf=build/debian/vmlinux
initrd=initramfs/initramfs.cpio.gz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP # the EXIT trap then runs in dash and busybox too
pass=0
fail=0

now() { cut -d' ' -f1 /proc/uptime; }
since() { echo "$1 $(now)" | awk '{ printf "%.1f", $2 - $1 }'; }

# boot NAME [SNVMM ARGS...]: runs the guest with stdin from $tmp/NAME.in where there is one, else
# /dev/null; sets $status, $secs and leaves the console output, carriage returns removed, in
# $tmp/NAME.out.
boot() {
	name=$1
	shift
	in=/dev/null
	[ -f "$tmp/$name.in" ] && in=$tmp/$name.in
	t0=$(now)
	timeout "$limit" ./snvmm "$@" <"$in" >"$tmp/$name.raw" 2>&1
	status=$?
	secs=$(since "$t0")
	tr -d '\r' <"$tmp/$name.raw" >"$tmp/$name.out"
}

# result RC DESCRIPTION WHY: reports a test from its condition's status RC.
result() {
	if [ "$1" = 0 ]; then
		echo "PASS: $2 (${secs}s)"
		pass=$((pass + 1))
	else
		echo "FAIL: $2: $3 (status $status after ${secs}s; limit ${limit}s); last output:"
		tail -n 15 "$tmp/$name.out" | sed 's/^/  | /'
		fail=$((fail + 1))
	fi
}
has_line() { grep -qx -- "$2" "$tmp/$1.out"; }

if [ ! -x ./snvmm ] || [ ! -f "$initrd" ] || [ ! -f "$k" ] || [ ! -f "$elf" ]; then
	echo "e2e-boot: needs ./snvmm, $initrd, $k and $elf (make all)"
	echo "e2e-boot: 0 passed, 1 failed"
	exit 1
fi

# make run passes the terminal's size on the command line; init gives it to the console.
boot run-status --initrd "$initrd" --append 'snvmm.rows=33 snvmm.cols=111 snvmm.run="stty size; exit 7"' "$k"
[ "$status" = 0 ] && has_line run-status 'snvmm-run: exit=7' && has_line run-status '33 111'
result $? "kernel command line runs a command and its status comes back; the console has the size given" \
	"want status 0, '33 111' and 'snvmm-run: exit=7'"

# The shell is driven through snvmm's stdin once its prompt shows; the FIFO's writer stays open
# until snvmm exits so the guest never sees end-of-input early.
name=stdin
mkfifo "$tmp/in"
t0=$(now)
timeout "$limit" ./snvmm --initrd "$initrd" "$k" <"$tmp/in" >"$tmp/stdin.raw" 2>&1 &
pid=$!
(
	exec 3>"$tmp/in"
	n=0
	while ! grep -q '/ # ' "$tmp/stdin.raw" 2>/dev/null; do
		kill -0 $pid 2>/dev/null || exit 0
		[ $n -ge $((limit * 5)) ] && exit 0
		sleep 0.2
		n=$((n + 1))
	done
	# Plain poweroff, as a user types it: busybox signals PID 1 (pid1.c), which ends the VM.
	echo 'echo hello-from-stdin; poweroff' >&3
	while kill -0 $pid 2>/dev/null; do sleep 0.2; done
) &
feeder=$!
wait $pid
status=$?
wait $feeder
secs=$(since "$t0")
tr -d '\r' <"$tmp/stdin.raw" >"$tmp/stdin.out"
[ "$status" = 0 ] && grep -q 'snvmm-init: ready' "$tmp/stdin.out" &&
	has_line stdin hello-from-stdin
result $? "interactive shell driven through stdin" "want status 0 and a 'hello-from-stdin' line"

# Typed ahead: the whole input is there before the kernel starts, and ends at once. It waits in
# snvmm until the guest's 8250 driver listens: Linux clears the UART's FIFO when it opens the
# console, which would throw away what was put there before.
printf 'echo typed-ahead-$((6 * 7))\npoweroff\n' >"$tmp/typeahead.in"
boot typeahead --initrd "$initrd" "$k"
[ "$status" = 0 ] && has_line typeahead typed-ahead-42
result $? "input piped in before the guest is up reaches its shell whole" \
	"want status 0 and a 'typed-ahead-42' line"

t=/sys/devices/system/cpu
boot cpus --cpus 2 --initrd "$initrd" --append "snvmm.run=\"uname -r; nproc; echo \
siblings \$(cat $t/cpu0/topology/thread_siblings_list $t/cpu1/topology/thread_siblings_list); \
echo mtrr-off \$(dmesg | grep -c 'MTRRs[ ]disabled'); \
echo pat-on \$(dmesg | grep -c 'x86/PAT:[ ]Configuration.*WC'); seq -s , 1 800\"" "$k"
[ "$status" = 0 ] && has_line cpus "$rel" && has_line cpus 2 && has_line cpus 'snvmm-run: exit=0'
result $? "--cpus 2: nproc prints 2 (quoted command with spaces)" "want '$rel' and '2'"
# CPUID describes one package of single-thread cores (vmm/cpuid.c): no CPU is another's
# hyperthread, as the host's own cache leaves would have made them.
has_line cpus 'siblings 0 1'
result $? "--cpus 2: each vCPU is a core of its own (thread siblings 0 and 1)" \
	"want 'siblings 0 1', got '$(grep '^siblings' "$tmp/cpus.out")'"
# MTRRs on, write-back by default (vcpu.c's boot MSRs): otherwise Linux turns PAT off too.
# ([ ] keeps the pattern from matching itself in the command line dmesg also prints.)
# Both ways: a dmesg that printed nothing would also count no 'MTRRs disabled', and PAT can be
# off for other reasons (a CPUID without it). Without PAT Linux prints the table it emulates,
# which has no write-combining (WC) entry; its own PAT table has one.
has_line cpus 'mtrr-off 0' && has_line cpus 'pat-on 1'
result $? "--cpus 2: MTRRs enabled and PAT on (no 'MTRRs disabled', a PAT table with WC)" \
	"got '$(grep -e '^mtrr-off' -e '^pat-on' "$tmp/cpus.out" | tr '\n' ' ')'"
# The command's last line, 3 KB: the UART sends it 16 bytes an interrupt, which with two vCPUs
# may come on the other one, so the command can end before the line is out. Its terminal is
# then hung up, which throws away what is unsent, unless init waits for it (initramfs/init).
has_line cpus "$(seq -s , 1 800)"
result $? "--cpus 2: the command's last line, 3 KB, reaches the console whole" \
	"got $(grep -c '^1,2,3,' "$tmp/cpus.out") line(s) starting '1,2,3,', none whole"

boot memory --memory 5120 --initrd "$initrd" \
	--append 'snvmm.run="grep MemTotal /proc/meminfo"' "$k"
kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' "$tmp/memory.out")
# MemTotal excludes the kernel image, reserved ranges and struct pages: a few % below RAM.
[ "$status" = 0 ] && [ -n "$kb" ] && [ "$kb" -ge $((5120 * 1024 * 93 / 100)) ] &&
	[ "$kb" -le $((5120 * 1024)) ]
result $? "--memory 5120: MemTotal ${kb:-?} kB is 93-100% of 5 GiB" "MemTotal out of range"

boot elf --initrd "$initrd" --append 'snvmm.run="echo elf-kernel-ok"' "$elf"
[ "$status" = 0 ] && has_line elf elf-kernel-ok && has_line elf 'snvmm-run: exit=0'
result $? "ELF vmlinux boots and runs a command" "want status 0 and 'elf-kernel-ok'"

# No --initrd: our initramfs is the default (the one beside ./snvmm), so init runs the command.
boot reboot --append 'snvmm.run="reboot"' "$k"
[ "$status" = 3 ] && grep -q 'snvmm-init: ready' "$tmp/reboot.out"
result $? "reboot gives status 3 (no --initrd: our initramfs by default)" \
	"want status 3 after 'snvmm-init: ready'"

# --no-initrd: the kernel finds no root file system and panics; pvpanic is a module of our
# initramfs, so with panic=-1 the panic ends the run as a reboot.
boot no-initrd --no-initrd "$k"
[ "$status" = 3 ] && grep -q 'Kernel panic.*Unable to mount root fs' "$tmp/no-initrd.out" &&
	! grep -q 'snvmm-init' "$tmp/no-initrd.out"
result $? "--no-initrd boots the kernel with none (it panics for want of a root file system)" \
	"want status 3 and the kernel's 'Unable to mount root fs' panic, no init"

boot panic --initrd "$initrd" --append 'snvmm.run="echo c >/proc/sysrq-trigger"' "$k"
[ "$status" = 4 ]
result $? "a guest panic (sysrq c) gives status 4" "want status 4"

echo "e2e-boot: $pass passed, $fail failed"
[ "$fail" = 0 ]
