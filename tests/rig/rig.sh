#!/bin/bash
# SPDX-License-Identifier: MIT
# The nested-virtualization rig: for hosts whose /dev/kvm cannot run a stock kernel (KVM-PVM).
# QEMU/TCG emulates an AMD CPU with SVM; Debian's kernel boots in it as a level-1 host, loads
# kvm-amd, and runs SCRIPT (a repo-relative path) from /work, a copy of the repo files it needs
# (./snvmm, initramfs/initramfs.cpio.gz, build/debian/{boot/vmlinuz-*,vmlinux}, tests/e2e/,
# guest/snnet.ko, and FILES). Exits with SCRIPT's status.
#
# Usage: tests/rig/rig.sh [--timeout SECONDS] [--mem MiB] [--cpus N] [--extras] [--python]
#                         [--interactive] [--npt 0|1] [--env NAME=VALUE]... SCRIPT [FILES...]
#   --extras       also put qemu-system-x86_64 (+ firmware) and perf into L1 (iperf3 is always there)
#   --python       also put bash and python3 (its standard library) into L1
#   --interactive  SCRIPT gets this terminal as its console (tests/rig/console-relay.c); `make run`
#   --npt 0        L1's kvm-amd shadows L2 page tables instead of using nested paging (1, the
#                  default): L2 guests then have not hung under load, but they exit more (README)
#   --env N=V      SCRIPT runs with N set to V in its environment
# RIG_L1_APPEND adds to L1's kernel command line (experiments). RIG_SNVMM names the binary that
# becomes L1's /work/snvmm (default ./snvmm): build/asan/snvmm or build/tsan/snvmm, say, runs the
# same scripts under the sanitizers (their runtime libraries go along, as every library does).
# The L1 console streams to stdout and to build/rig/last.log. Statuses: SCRIPT's own (once it
# printed it, whatever QEMU does next); 123 when SCRIPT ran out of time while L1 was alive (a
# hang in what it tests: never repeat that); 124 when L1 stopped (no heartbeat; where its CPUs
# were: build/rig/stall.txt) or an --interactive run timed out; 125 when the rig itself failed
# (no marker: an L1 panic, a QEMU error); 126 when the run could not be set up (bad usage, a
# missing file or tool): nothing booted, and a repeat would fail the same way.
set -u -o pipefail
self=$(realpath "$0") # after the cd below, a relative $0 would name nothing
root=$(cd "$(dirname "$self")/../.." && pwd)
cd "$root" || exit 126
rigdir=build/rig

timeout_s=900
mem=3072
cpus=2
extras=0
python=0
interactive=0
npt=
envs=()
usage() { sed -n '9,16p' "$self" | sed 's/^# \{0,1\}//' >&2; }
die() { # before L1 boots only
	echo "rig: $*" >&2
	exit 126
}
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout_s=${2:-}; shift 2 || die "--timeout needs a value" ;;
	--mem) mem=${2:-}; shift 2 || die "--mem needs a value" ;;
	--cpus) cpus=${2:-}; shift 2 || die "--cpus needs a value" ;;
	--extras) extras=1; shift ;;
	--python) python=1; shift ;;
	--npt) npt=${2:-}; shift 2 || die "--npt needs a value" ;;
	--interactive) interactive=1; shift ;;
	--env)
		[[ ${2:-} =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env takes NAME=VALUE, not '${2:-}'"
		envs+=("$2")
		shift 2
		;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage; die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { usage; exit 126; }
for v in "$timeout_s" "$mem" "$cpus"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $v"
done
case $npt in '' | 0 | 1) ;; *) die "--npt takes 0 or 1, not $npt" ;; esac
script=$1
shift
[ -f "$script" ] || die "no such script: $script"
case $(realpath -m --relative-to="$root" "$script") in
../* | /*) die "$script is outside the repository" ;;
esac
script=$(realpath -m --relative-to="$root" "$script")

rel=$(tests/rig/debian-kernel.sh) || die "cannot get Debian's kernel"
kdir=build/debian
kernel=$kdir/boot/vmlinuz-$rel
mods=$kdir/lib/modules/$rel/kernel
mkdir -p "$rigdir"
# One rig at a time on this machine: two TCG L1s on 2 cores would each run at half speed and
# trip each other's time limits (and make side-by-side benchmark ratios meaningless).
lock=${TMPDIR:-/tmp}/snvmm-rig.lock
exec 9>"$lock"
if ! flock -n 9; then
	echo "rig: another rig run holds $lock; waiting for it" >&2
	flock 9
fi

# Copies every library that program $2 loads to the same paths under $1 (none for a static one).
# ldd does not list libgcc_s, which glibc dlopens for pthread_cancel and unwinding.
copy_libs() {
	local dest=$1 prog=$2 libs lib
	libs=$(ldd "$prog" 2>/dev/null) || return 0
	for lib in $(awk '/=>/ { print $3 } /^[ \t]*\// { print $1 }' <<<"$libs") \
		$(gcc -print-file-name=libgcc_s.so.1); do
		[ -f "$lib" ] || continue
		mkdir -p "$dest/$(dirname "$lib")"
		[ -e "$dest/$lib" ] || cp -L "$lib" "$dest/$lib"
	done
}
# Copies program $2 to $3 (default: the same path) under $1, with its libraries.
copy_prog() {
	local dest=$1 prog=$2 to=${3:-$2}
	mkdir -p "$dest/$(dirname "$to")"
	cp -L "$prog" "$dest/$to" || return 1
	copy_libs "$dest" "$prog"
}

# Archives directory $1 into $2 (gzip'd newc cpio), reproducibly.
pack() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -1 -n >"$2.tmp" && mv "$2.tmp" "$2"
}

# A cached layer is rebuilt only when the listing of its inputs (names, sizes, times) changes.
layer_fresh() {
	local out=$1 key=$2
	[ -f "$out" ] && [ -f "$out.key" ] && [ "$(cat "$out.key")" = "$key" ]
}
stat_key() { stat -L -c '%n %s %Y' "$@" 2>/dev/null; }

l1_modules="virt/lib/irqbypass.ko drivers/crypto/ccp/ccp.ko arch/x86/kvm/kvm.ko
arch/x86/kvm/kvm-amd.ko drivers/net/tun.ko drivers/net/tap.ko drivers/vhost/vhost_iotlb.ko
drivers/vhost/vhost.ko drivers/vhost/vhost_net.ko"
# build_tool OUT SRC [CFLAGS...]: the rig's own helper programs, rebuilt when SRC is newer.
build_tool() {
	local out=$1 src=$2
	shift 2
	[ -x "$out" ] && [ ! "$src" -nt "$out" ] && return 0
	cc -O2 -std=gnu11 -Wall -Wextra -Werror "$@" -o "$out" "$src" ||
		die "cannot build $out from $src"
}
holder=$rigdir/kvm-hold
build_tool "$holder" tests/rig/kvm-hold.c -static
relay=$rigdir/console-relay
[ "$interactive" = 1 ] && build_tool "$relay" tests/rig/console-relay.c
base=$rigdir/l1-base.cpio.gz
key=$(
	cat tests/rig/l1-init
	stat_key "$holder" tests/rig/rig-shutdown-rips /bin/busybox /sbin/ip /usr/sbin/ethtool /usr/bin/iperf3 \
		"$kernel" "$kdir/vmlinux" "$self"
	for m in $l1_modules; do stat_key "$mods/$m"; done
)
if ! layer_fresh "$base" "$key"; then
	echo "rig: building the L1 base image (cached in $base)"
	st=$rigdir/stage-base
	rm -rf "$st"
	mkdir -p "$st"/{bin,dev,proc,sys,tmp,root,etc,rig,lib/modules,work/$kdir/boot}
	cp /bin/busybox "$st/bin/busybox" || die "no /bin/busybox (install busybox-static)"
	for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$st/bin/$a"; done
	install -m 0755 tests/rig/l1-init "$st/init"
	install -m 0755 "$holder" "$st/rig/kvm-hold"
	install -m 0755 tests/rig/rig-shutdown-rips "$st/bin/rig-shutdown-rips"
	for m in $l1_modules; do
		cp "$mods/$m" "$st/lib/modules/" || die "missing module $m"
		basename "$m" >>"$st/rig/modules"
	done
	copy_prog "$st" /sbin/ip /usr/sbin/ip || die "no /sbin/ip (install iproute2)"
	[ -x /usr/sbin/ethtool ] && copy_prog "$st" /usr/sbin/ethtool
	[ -x /usr/bin/iperf3 ] && copy_prog "$st" /usr/bin/iperf3
	echo "root:x:0:0:root:/root:/bin/sh" >"$st/etc/passwd"
	echo "root:x:0:" >"$st/etc/group"
	mknod -m 600 "$st/dev/console" c 5 1 || die "cannot create /dev/console (must be root)"
	cp "$kernel" "$st/work/$kdir/boot/"
	cp "$kdir/vmlinux" "$st/work/$kdir/vmlinux"
	pack "$st" "$base" || die "cannot pack $base"
	rm -rf "$st"
	echo "$key" >"$base.key"
fi

layers=("$base")
if [ "$extras" = 1 ]; then
	ext=$rigdir/l1-extras.cpio.gz
	qemu=/usr/bin/qemu-system-x86_64
	key=$(stat_key $qemu /usr/bin/perf /usr/share/qemu /usr/share/seabios "$self")
	if ! layer_fresh "$ext" "$key"; then
		echo "rig: building the L1 extras image (cached in $ext)"
		st=$rigdir/stage-extras
		rm -rf "$st"
		mkdir -p "$st/usr/share" "$st/usr/lib"
		copy_prog "$st" $qemu || die "no $qemu (install qemu-system-x86)"
		cp -a /usr/share/qemu /usr/share/seabios "$st/usr/share/"
		[ -d /usr/lib/ipxe/qemu ] && mkdir -p "$st/usr/lib/ipxe" && cp -a /usr/lib/ipxe/qemu "$st/usr/lib/ipxe/"
		[ -x /usr/bin/perf ] && copy_prog "$st" /usr/bin/perf
		pack "$st" "$ext" || die "cannot pack $ext"
		rm -rf "$st"
		echo "$key" >"$ext.key"
	fi
	layers+=("$ext")
fi

if [ "$python" = 1 ]; then
	# Debian's python3 with its standard library, less what no test here imports (its own
	# tests, Tk, IDLE, pip's wheels): about 25 MB, cached.
	pyl=$rigdir/l1-python.cpio.gz
	py=$(readlink -f /usr/bin/python3)
	pylib=/usr/lib/$(basename "$py")
	key=$(stat_key "$py" "$pylib" "$pylib/lib-dynload" /bin/bash "$self")
	if ! layer_fresh "$pyl" "$key"; then
		echo "rig: building the L1 python image (cached in $pyl)"
		st=$rigdir/stage-python
		rm -rf "$st"
		mkdir -p "$st"
		copy_prog "$st" /bin/bash || die "no /bin/bash"
		copy_prog "$st" "$py" || die "no $py (install python3)"
		ln -s "$(basename "$py")" "$st/usr/bin/python3"
		ln -s /bin/busybox "$st/usr/bin/env" # for #!/usr/bin/env python3
		tar -C / -c --exclude="${pylib#/}/test" --exclude="${pylib#/}/idlelib" \
			--exclude="${pylib#/}/tkinter" --exclude="${pylib#/}/ensurepip" \
			--exclude="${pylib#/}/lib2to3" --exclude="${pylib#/}/config-*" \
			--exclude="${pylib#/}/dist-packages" "${pylib#/}" | tar -C "$st" -x ||
			die "cannot copy $pylib"
		for so in "$st$pylib"/lib-dynload/*.so; do copy_libs "$st" "$so"; done
		pack "$st" "$pyl" || die "cannot pack $pyl"
		rm -rf "$st"
		echo "$key" >"$pyl.key"
	fi
	layers+=("$pyl")
fi

# The per-run layer: what changes between runs, always rebuilt (small).
st=$rigdir/stage-work
rm -rf "$st"
mkdir -p "$st/work" "$st/rig"
vmm_bin=${RIG_SNVMM:-snvmm}
if [ -x "$vmm_bin" ]; then
	copy_prog "$st" "$vmm_bin" /work/snvmm || die "cannot copy $vmm_bin"
elif [ -n "${RIG_SNVMM:-}" ]; then
	die "RIG_SNVMM=$RIG_SNVMM is not an executable"
else
	echo "rig: note: ./snvmm is not built; L1 has none"
fi
copy_rel() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || continue
		mkdir -p "$st/work/$(dirname "$f")"
		cp -a "$f" "$st/work/$f"
	done
}
copy_rel initramfs/initramfs.cpio.gz guest/snnet.ko tests/e2e tests/rig/*.sh "$script"
# A FILE that is a dynamically linked program takes its libraries along (ASan builds, say).
for f in "$@"; do
	[ -e "$f" ] || die "no such file: $f"
	copy_rel "$f"
	[ -f "$f" ] && [ -x "$f" ] && copy_libs "$st" "$f"
done
echo "$script" >"$st/rig/script"
# --env: one export a line, the value single-quoted (a quote in it closed, escaped, reopened).
for e in ${envs[@]+"${envs[@]}"}; do
	v=${e#*=}
	printf "export %s='%s'\n" "${e%%=*}" "${v//\'/\'\\\'\'}"
done >"$st/rig/env"
work=$rigdir/l1-work.cpio.gz
pack "$st" "$work" || die "cannot pack $work"
rm -rf "$st"
layers+=("$work")

# The kernel unpacks concatenated cpio archives in order; later files win.
initrd=$rigdir/l1.cpio.gz
cat "${layers[@]}" >"$initrd" || die "cannot write $initrd"

# Where each L1 vCPU is, from QEMU's monitor. (Debian ships no real System.map, so the RIPs stay
# numbers; with nokaslr they are the same from run to run, and HLT=1 says a CPU sat idle.)
report_stall() {
	echo "$1; L1 vCPU state from the QEMU monitor:"
	printf 'info cpus\ninfo registers -a\n' >"$mon.in"
	timeout 5 cat "$mon.out" >"$rigdir/monitor.txt"
	tr -d '\r' <"$rigdir/monitor.txt" | grep -E '^(CPU#|RIP=|CR0=|\* CPU| *CPU #)'
}

log=$rigdir/last.log
# An oops, soft lockup or RCU stall in L1 ends the run at once with every CPU's backtrace;
# nokaslr keeps L1's addresses the same from run to run.
append="console=ttyS0 quiet panic=-1 oops=panic nokaslr softlockup_panic=1 softlockup_all_cpu_backtrace=1"
append+=" sysctl.kernel.panic_on_rcu_stall=1 ${npt:+rig.npt=$npt} ${RIG_L1_APPEND:-}"
# Features the EPYC model lists but TCG lacks are dropped so QEMU does not warn about each.
cpu=EPYC,+svm,+npt,-rdseed,-sha-ni,-fxsr-opt,-misalignsse,-3dnowprefetch,-osvw,-topoext,-nrip-save,-xsavec
qemu_args=(-accel tcg,thread=multi -cpu "$cpu" -smp "$cpus" -m "$mem" -M q35
	-kernel "$kernel" -initrd "$initrd" -no-reboot -nic none)
start=$(date +%s.%N)
stalled=0
# L1 writes its uptime to its second UART (ttyS1, the file $hb) every few seconds. When that
# stops while QEMU runs, L1 itself has stopped (seen now and then with nested SVM under TCG):
# the rig says so after $stall_s seconds instead of waiting out the whole timeout. L1 starts its
# heartbeat about 10 s after QEMU does; one that has not after $boot_s never finished booting
# (seen once: both CPUs in the kernel with interrupts off, no console line at all).
hb=$rigdir/heartbeat
stall_s=60
boot_s=120
rm -f "$hb" "$rigdir/stall.txt" "$rigdir/qemu.pid"
# heartbeat_stale, called every 2 s: sets why to "1 WHY" (L1 stopped) or "boot WHY" (never
# booted) and succeeds when L1 has. It counts its own calls, not the clock: a host suspended
# (or a clock stepped) longer than stall_s must not pass for a stalled L1 on resume.
hb_size=-1
hb_still=0
heartbeat_stale() {
	local size
	size=$(stat -c %s "$hb" 2>/dev/null || echo 0)
	if [ "$size" != "$hb_size" ]; then
		hb_size=$size
		hb_still=0
		return 1
	fi
	hb_still=$((hb_still + 2))
	if [ "$size" -gt 0 ]; then
		why="1 heartbeat still for ${hb_still}s"
		[ "$hb_still" -gt "$stall_s" ]
	else
		why="boot no heartbeat ${hb_still}s after QEMU started"
		[ "$hb_still" -gt "$boot_s" ]
	fi
}
if [ "$interactive" = 1 ]; then
	size=$(stty size 2>/dev/null || true)
	[[ $size =~ ^[1-9][0-9]*\ [1-9][0-9]*$ ]] || size= # a pty of 0x0 (script(1)) has no size
	[ -n "$size" ] && append+=" rig.rows=${size% *} rig.cols=${size#* }"
	# The console is QEMU's pipe chardev, carried to and from this terminal by console-relay,
	# which holds what is typed or piped in until L1's console is raw and silent (the relay's
	# header says why). The console's log stays QEMU's own (logfile=).
	con=$rigdir/console
	rm -f "$log" "$con.in" "$con.out"
	mkfifo "$con.in" "$con.out" || die "cannot create the console FIFOs $con.{in,out}"
	# No QEMU mux: every key, Ctrl-A and Ctrl-C included, goes to L1's console and so to snvmm.
	# So no key could end a QEMU whose L1 stopped: a watcher ends it (the relay, seeing QEMU
	# gone, gives the terminal back as it was) and says so.
	(
		while sleep 2; do
			qp=$(cat "$rigdir/qemu.pid" 2>/dev/null) || continue
			[ -n "$qp" ] || continue # created, pid not yet written
			kill -0 "$qp" 2>/dev/null || break
			heartbeat_stale || continue
			echo "${why#* }" >"$rigdir/stall.txt"
			echo "${why%% *}" >"$rigdir/stalled"
			printf '\r\nrig: L1 stopped (%s); ending QEMU\r\n' "${why#* }" >&2
			kill "$qp"
			break
		done
	) &
	wpid=$!
	rm -f "$rigdir/stalled"
	timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 "${qemu_args[@]}" \
		-append "$append rig.mode=interactive" -display none -vga none -monitor none \
		-pidfile "$rigdir/qemu.pid" -chardev pipe,id=con,path="$con",logfile="$log" \
		-serial chardev:con -serial file:"$hb" </dev/null &
	qpid=$!
	# A background job ignores SIGINT: one that ends the relay (input piped in, Ctrl-C on
	# the terminal) ends QEMU too, as does a SIGTERM or SIGHUP to this script.
	trap 'kill "$qpid" 2>/dev/null' INT TERM HUP
	"$relay" "$con" "rig-l1: ready after " "$qpid"
	kill "$qpid" 2>/dev/null # the relay ends after QEMU, unless it failed or was killed
	# A trap's signal ends a wait early: wait again until QEMU's timeout(1) is reaped.
	wait "$qpid"
	qrc=$?
	while kill -0 "$qpid" 2>/dev/null; do
		wait "$qpid"
		qrc=$?
	done
	trap - INT TERM HUP
	rm -f "$con.in" "$con.out"
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	[ -s "$rigdir/stalled" ] && stalled=$(cat "$rigdir/stalled")
else
	# A stall is reported with where each L1 CPU was, read through QEMU's monitor (the FIFOs
	# $mon.in and $mon.out).
	mon=$rigdir/monitor
	rm -f "$mon.in" "$mon.out"
	mkfifo "$mon.in" "$mon.out" || die "cannot create the monitor FIFOs $mon.{in,out}"
	# The log exists, empty, before tail looks: QEMU's own redirection, in the background,
	# could come after tail (no such file on a fresh checkout, so no console shown) or
	# truncate the last run's log under it.
	: >"$log"
	timeout -k 10 "$timeout_s" qemu-system-x86_64 "${qemu_args[@]}" \
		-append "$append rig.mode=script" -display none -vga none -monitor pipe:"$mon" \
		-serial stdio -serial file:"$hb" </dev/null >>"$log" 2>&1 &
	qpid=$!
	tail -n +1 -f --pid=$qpid "$log" &
	tpid=$!
	while kill -0 $qpid 2>/dev/null; do
		sleep 2
		heartbeat_stale || continue
		stalled=${why%% *}
		report_stall "${why#* }" >"$rigdir/stall.txt" 2>&1
		kill $qpid 2>/dev/null
		break
	done
	wait $qpid
	qrc=$?
	wait $tpid 2>/dev/null
	rm -f "$mon.in" "$mon.out"
fi
secs=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')

marker=$(tr -d '\r' <"$log" | sed -n 's/^RIG-EXIT=\([0-9]\{1,3\}\)$/\1/p' | tail -n1)
# A suite that already said FAIL has failed, whatever became of L1 after: its failure must not
# turn into "L1 broke", which check-e2e would repeat until a run passed.
failed=0
[ "$interactive" = 1 ] || failed=$(tr -d '\r' <"$log" | grep -c '^FAIL')
if [ -n "$marker" ] && { [ "$stalled" != 0 ] || [ "$qrc" != 0 ]; }; then
	# The script finished and said how: its verdict stands, whatever L1 or QEMU did afterwards
	# (L1 hung in the poweroff, so the heartbeat stopped or the timeout killed QEMU).
	echo "rig: warning: L1 or QEMU did not end cleanly after the script (stall: $stalled," \
		"QEMU status $qrc; log: $log)" >&2
elif [ "$stalled" != 0 ]; then
	if [ "$stalled" = boot ]; then
		echo "rig: L1 did not boot: no heartbeat ${boot_s}s after QEMU started (log: $log)" >&2
	else
		echo "rig: L1 stopped: no heartbeat for ${stall_s}s, after ${secs}s (log: $log)" >&2
	fi
	[ -f "$rigdir/stall.txt" ] && sed 's/^/rig:   /' "$rigdir/stall.txt" >&2
	[ "$failed" = 0 ] || { echo "rig: $script had failed before that ($failed FAIL lines)" >&2; exit 1; }
	exit 124
elif { [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; } && [ "$interactive" = 1 ]; then
	echo "rig: timed out after ${timeout_s}s (log: $log)" >&2
	exit 124
elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	# L1's heartbeat was alive to the end: the script itself (a guest that hangs, say) ran out
	# of time. That is the script's failure, not the rig's, and is never worth a repeat.
	echo "rig: SCRIPT TIMED OUT after ${timeout_s}s while L1 ran (log: $log)" >&2
	exit 123
elif [ -z "$marker" ]; then
	echo "rig: L1 ended without a RIG-EXIT marker (QEMU status $qrc, after ${secs}s; log: $log)" >&2
	[ "$failed" = 0 ] || { echo "rig: $script had failed before that ($failed FAIL lines)" >&2; exit 1; }
	exit 125
fi
if [ "$interactive" = 1 ]; then
	echo "rig: done ($script's status $marker; L1 ran ${secs}s)"
else
	echo "rig: $script exited $marker; L1 ran ${secs}s wall"
fi
exit "$marker"
