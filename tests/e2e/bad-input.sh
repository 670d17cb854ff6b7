#!/bin/bash
# SPDX-License-Identifier: MIT
# Bad host input must be refused before a guest starts: status 2, exactly one stderr line
# starting "snvmm: ", within a few seconds, never a crash (status >= 128) or a hang. Needs no
# KVM: run it on any host after `make all`. SNVMM names the binary to try (./snvmm by default;
# make check-sanitized gives the sanitizers' builds).
cd "$(dirname "$0")/../.." || exit 1
# As root, in a network namespace of its own: a --net check that regressed would otherwise
# create its tap in the caller's.
if [ "$(id -u)" = 0 ] && [ "${BAD_INPUT_IN_NETNS:-}" != 1 ]; then
	BAD_INPUT_IN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
limit=10
snvmm=${SNVMM:-./snvmm}
for k in build/debian/boot/vmlinuz-*; do :; done
initrd=initramfs/initramfs.cpio.gz
elf=build/debian/vmlinux
if [ ! -x "$snvmm" ] || [ ! -f "$k" ] || [ ! -f "$initrd" ] || [ ! -f "$elf" ]; then
	echo "e2e-bad-input: needs $snvmm, $k, $elf and $initrd (make all)"
	echo "e2e-bad-input: 0 passed, 1 failed"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
pass=0
fail=0

# expect_reject NAME SNVMM-ARGS...; with $say set, the line must also contain it; with $bin set,
# that binary runs instead of $snvmm; with $kvm_named set, the line may name /dev/kvm (a
# refusal that is about this host's KVM); with $want set, the status is that, not 2.
say=
bin=
kvm_named=
want=
expect_reject() {
	local name=$1 status lines first why=
	shift
	timeout -k 2 "$limit" "${bin:-$snvmm}" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	status=$?
	lines=$(wc -l <"$tmp/err")
	first=$(head -n1 "$tmp/err")
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		why="hung (killed after ${limit}s)"
	elif [ "$status" -ge 128 ]; then
		why="crashed (status $status)"
	elif [ "$status" != "${want:-2}" ]; then
		why="status $status, want ${want:-2}"
	elif [ "$lines" != 1 ] || [ "${first#snvmm: }" = "$first" ]; then
		why="stderr has $lines lines, want one starting 'snvmm: '"
	elif [ -n "$say" ] && ! grep -qF -- "$say" "$tmp/err"; then
		why="the line does not say '$say'"
	elif [ -z "$kvm_named" ] && grep -q /dev/kvm "$tmp/err"; then
		# Input checks come before /dev/kvm is opened, so its refusal means the check is missing.
		why="got as far as /dev/kvm: the input was not checked"
	fi
	say=
	bin=
	kvm_named=
	want=
	if [ -z "$why" ]; then
		echo "PASS: $name: $first"
		pass=$((pass + 1))
	else
		echo "FAIL: $name: $why"
		head -n 5 "$tmp/err" | sed 's/^/  stderr| /'
		fail=$((fail + 1))
	fi
}

# Inputs, made fresh each run; the "random" bytes come from a fixed seed so a failure repeats.
: >"$tmp/empty"
head -c 1024 "$k" >"$tmp/trunc-1k"
head -c 102400 "$k" >"$tmp/trunc-100k"
awk 'BEGIN { srand(42); for (i = 0; i < 65536; i++) printf "%c", int(rand() * 256) }' \
	</dev/null | LC_ALL=C cat >"$tmp/random"
cp "$k" "$tmp/bad-hdrs"
printf 'XXXX' | dd of="$tmp/bad-hdrs" bs=1 seek=$((0x202)) conv=notrunc status=none
cp /bin/true "$tmp/aarch64.elf"
# e_machine (offset 18, little-endian u16) = 183, EM_AARCH64.
printf '\267\000' | dd of="$tmp/aarch64.elf" bs=1 seek=18 conv=notrunc status=none
truncate -s 100M "$tmp/big-initrd"
mkfifo "$tmp/fifo" # nobody opens its other end: an open that waits for one hangs
long=$(head -c 5000 /dev/zero | tr '\0' a)

expect_reject "no kernel argument"
expect_reject "missing kernel file" --initrd "$initrd" "$tmp/does-not-exist"
expect_reject "empty kernel file" --initrd "$initrd" "$tmp/empty"
expect_reject "bzImage truncated to 1 KiB" --initrd "$initrd" "$tmp/trunc-1k"
expect_reject "bzImage truncated to 100 KiB" --initrd "$initrd" "$tmp/trunc-100k"
expect_reject "random bytes" --initrd "$initrd" "$tmp/random"
expect_reject "corrupted HdrS magic" --initrd "$initrd" "$tmp/bad-hdrs"
expect_reject "ELF for aarch64" --initrd "$initrd" "$tmp/aarch64.elf"
expect_reject "missing initrd file" --initrd "$tmp/does-not-exist" "$k"
# 64 MiB cannot hold the kernel at pref_address (16 MiB) with its init_size: refused before the initrd.
say="(init_size)" expect_reject "--memory 64: less RAM than the kernel needs" --memory 64 --initrd "$tmp/big-initrd" "$k"
# 96 MiB holds the kernel's init_size, so only the initrd check can refuse this one.
expect_reject "initrd larger than the RAM left" --memory 96 --initrd "$tmp/big-initrd" "$k"
# Without --initrd a kernel gets the initramfs beside the binary, not the working directory's
# (whose initramfs fits in 96 MiB): a copy of snvmm beside one too big is refused for that one.
mkdir -p "$tmp/elsewhere/initramfs"
cp "$snvmm" "$tmp/elsewhere/snvmm"
truncate -s 100M "$tmp/elsewhere/initramfs/initramfs.cpio.gz"
bin="$tmp/elsewhere/snvmm" say="$tmp/elsewhere/initramfs/initramfs.cpio.gz" \
	expect_reject "no --initrd: the initramfs beside the binary" --memory 96 "$k"
say="give one" expect_reject "--initrd with --no-initrd" --initrd "$initrd" --no-initrd "$k"
expect_reject "--append of 5000 chars" --initrd "$initrd" --append "$long" "$k"
# An ELF kernel has no cmdline_size: Linux would cut the line at 2047 bytes without a word.
say="at most 2047" expect_reject "--append of 5000 chars, ELF kernel" --append "$long" "$elf"
say="not a regular file" expect_reject "kernel a FIFO" "$tmp/fifo"
say="not a regular file" expect_reject "initrd a FIFO" --initrd "$tmp/fifo" "$k"
say="not a regular file" expect_reject "--raw a FIFO" --raw "$tmp/fifo"
say="size 0" expect_reject "kernel a /proc file (no size)" /proc/self/status
say="nobody opened for reading" expect_reject "--stats-json a FIFO with no reader" --stats-json "$tmp/fifo" \
	--initrd "$initrd" "$k"
expect_reject "--memory 0" --memory 0 --initrd "$initrd" "$k"
expect_reject "--memory abc" --memory abc --initrd "$initrd" "$k"
expect_reject "--cpus 0" --cpus 0 --initrd "$initrd" "$k"
expect_reject "--cpus 999" --cpus 999 --initrd "$initrd" "$k"
say="expected 1 to 64" expect_reject "--cpus 65, one past the most" --cpus 65 --initrd "$initrd" "$k"
for sec in 0.05 3601 abc nan; do
	say="--stats-interval" expect_reject "--stats-interval $sec" --stats-interval "$sec" \
		--initrd "$initrd" "$k"
done
# Its bounds are valid: the line is about the missing kernel, not the option.
for sec in 0.1 3600; do
	say="no-such-kernel" expect_reject "--stats-interval $sec, with a missing kernel" \
		--stats-interval "$sec" --initrd "$initrd" "$tmp/no-such-kernel"
done
# With several vCPUs the line names the range there is.
say="it has vcpu0..vcpu1, serial-in)" expect_reject "--pin vcpu2 with two vCPUs" --cpus 2 \
	--pin vcpu2=0 --initrd "$initrd" "$k"
# A micro-guest goes at 1 MiB: with 16 MiB of RAM, 15 MiB fit and one byte more does not.
truncate -s $((15 * 1024 * 1024 + 1)) "$tmp/raw-15m1"
say="does not fit in guest RAM" expect_reject "--raw one byte larger than the RAM above 1 MiB" \
	--memory 16 --raw "$tmp/raw-15m1"
# snvmm alone, with no initramfs beside it (a kernel it would boot with none, saying so).
mkdir -p "$tmp/alone"
cp "$snvmm" "$tmp/alone/snvmm"
# A KVM-PVM host cannot boot a stock kernel: a good one is refused, in one line, before a VM is made.
if [ -e /sys/module/kvm_pvm ] && [ -e /dev/kvm ]; then
	kvm_named=1 say="is KVM-PVM" expect_reject "a good kernel on this KVM-PVM host" \
		--initrd "$initrd" "$k"
	# Nor does it say first that it boots the kernel without an initramfs: it boots none.
	bin="$tmp/alone/snvmm" kvm_named=1 say="is KVM-PVM" \
		expect_reject "no initramfs beside the binary, on this KVM-PVM host" "$k"
fi
# A host with no /dev/kvm at all (kvm_pvm may be loaded there, serving none): a good kernel gets as
# far as opening it, which fails in one line that says what to do, status 1 (a VMM error: the
# input was good), not a refusal that blames the KVM-PVM it does not have.
if [ ! -e /dev/kvm ]; then
	want=1 kvm_named=1 say="this host has none; 'make run' boots the default guest" \
		expect_reject "a good kernel on a host with no /dev/kvm" --initrd "$initrd" "$k"
	bin="$tmp/alone/snvmm" want=1 kvm_named=1 say="this host has none" \
		expect_reject "no initramfs beside the binary, on a host with no /dev/kvm" "$k"
fi
say="unexpected argument" expect_reject "an argument after KERNEL" --initrd "$initrd" "$k" "$k"
say="takes no KERNEL" expect_reject "--raw with a KERNEL" --raw "$tmp/random" "$k"
expect_reject "unknown option" --no-such-option --initrd "$initrd" "$k"
say="unknown option '-z'" expect_reject "unknown short option in a cluster" -zV "$k"
say="'--stats' takes no value" expect_reject "--stats=1" --stats=1 --initrd "$initrd" "$k"
say="'--memory' needs a value" expect_reject "--memory without a value" --memory
say="do not apply" expect_reject "--raw with --initrd" --raw "$tmp/random" --initrd "$initrd"
say="do not apply" expect_reject "--raw with --no-initrd" --raw "$tmp/random" --no-initrd
say="given twice" expect_reject "--net twice" --net tap=t0 --net tap=t1 --initrd "$initrd" "$k"
expect_reject "--net without tap=" --net mac=02:00:00:00:00:01 --initrd "$initrd" "$k"
expect_reject "--net tap name of 16 chars" --net tap=abcdefghijklmnop --initrd "$initrd" "$k"
expect_reject "--net tap name with '/'" --net tap=a/b --initrd "$initrd" "$k"
expect_reject "--net tap name '..'" --net tap=.. --initrd "$initrd" "$k"
expect_reject "--net tap name with a space" --net "tap=a b" --initrd "$initrd" "$k"
expect_reject "--net multicast MAC" --net tap=t0,mac=01:00:5e:00:00:01 --initrd "$initrd" "$k"
expect_reject "--net poll=abc" --net tap=t0,poll=abc --initrd "$initrd" "$k"
expect_reject "--net poll=2000000" --net tap=t0,poll=2000000 --initrd "$initrd" "$k"
expect_reject "--net defer=-5" --net tap=t0,defer=-5 --initrd "$initrd" "$k"
expect_reject "--net poll= and defer= both" --net tap=t0,poll=10,defer=10 --initrd "$initrd" "$k"
expect_reject "--net unknown setting" --net tap=t0,queues=4 --initrd "$initrd" "$k"
expect_reject "--pin without =CPU" --pin vcpu0 --initrd "$initrd" "$k"
expect_reject "--pin CPU not a number" --pin vcpu0=one --initrd "$initrd" "$k"
expect_reject "--pin a CPU snvmm may not use" --pin vcpu0=1023 --initrd "$initrd" "$k"
expect_reject "--pin vcpu1 with one vCPU" --pin vcpu1=0 --initrd "$initrd" "$k"
say="no thread 'vcpu00'" expect_reject "--pin vcpu00 (not a thread name)" --pin vcpu00=0 \
	--initrd "$initrd" "$k"
expect_reject "--pin net-worker without --net" --pin net-worker=0 --initrd "$initrd" "$k"
expect_reject "--pin the same thread twice" --pin vcpu0=0,vcpu0=0 --initrd "$initrd" "$k"
# Refused at start, not after the guest ran: the counters would have nowhere to go.
expect_reject "--stats-json in a missing directory" --stats-json "$tmp/no-such-dir/s.json" \
	--initrd "$initrd" "$k"
# A name with no room for the new file's 7-byte suffix within NAME_MAX (255) is taken too.
long_json="$tmp/$(head -c 250 /dev/zero | tr '\0' j).json"
say="no-such-kernel" expect_reject "--stats-json a new file with a 255-byte name" \
	--stats-json "$long_json" "$tmp/no-such-kernel"
# One byte more is a name no file can have: refused at start, not when the report is written.
say="File name too long" expect_reject "--stats-json a name of 256 bytes" \
	--stats-json "${long_json}j" --initrd "$initrd" "$k"
# A FIFO whose reader comes within the 2 s it is given is taken: the line is about the kernel.
mkfifo "$tmp/fifo2"
(sleep 0.3 && timeout 5 cat "$tmp/fifo2" >/dev/null) &
say="no-such-kernel" expect_reject "--stats-json a FIFO whose reader comes late" \
	--stats-json "$tmp/fifo2" "$tmp/no-such-kernel"
wait
# A socket cannot take a report: refused at once, not retried as a FIFO without a reader.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$tmp/sock"
say="not supported" expect_reject "--stats-json a socket" --stats-json "$tmp/sock" \
	--initrd "$initrd" "$k"

# A refused run leaves an earlier report as it was (no run, no change), and no file beside it.
echo '{"earlier": 1}' >"$tmp/s.json"
expect_reject "--stats-json over an earlier report, with a missing kernel" \
	--stats-json "$tmp/s.json" "$tmp/no-such-kernel"
ln -s s.json "$tmp/link.json" # a link is followed: what it names is kept, then replaced
expect_reject "--stats-json through a symbolic link, with a missing kernel" \
	--stats-json "$tmp/link.json" "$tmp/no-such-kernel"
beside=0
for f in "$tmp"/s.json?* "$tmp"/link.json?*; do [ -e "$f" ] && beside=$((beside + 1)); done
if [ "$(cat "$tmp/s.json")" = '{"earlier": 1}' ] && [ "$beside" = 0 ] && [ -L "$tmp/link.json" ]; then
	echo "PASS: the refused runs left the earlier --stats-json whole, the link, and nothing beside them"
	pass=$((pass + 1))
else
	echo "FAIL: the refused run changed the earlier --stats-json: $(ls "$tmp")"
	fail=$((fail + 1))
fi

# -V: the version on stdout, status 0, nothing on stderr (not a refusal, but the same options parser).
version=$(timeout -k 2 "$limit" "$snvmm" -V 2>"$tmp/err" </dev/null)
status=$?
if [ "$status" = 0 ] && [ ! -s "$tmp/err" ] &&
	[ "$version" = "snvmm $(sed -n 's/^SNVMM_VERSION *:= *//p' Makefile)" ]; then
	echo "PASS: -V: $version"
	pass=$((pass + 1))
else
	echo "FAIL: -V: status $status, stdout '$version', stderr '$(head -n1 "$tmp/err")'"
	fail=$((fail + 1))
fi

echo "e2e-bad-input: $pass passed, $fail failed"
[ "$fail" = 0 ]
