#!/bin/bash
# Runs every micro-guest under snvmm --raw on this host's /dev/kvm and checks
# what its header promises: exit status, console lines, and the counters in
# --stats-json (which must also be valid JSON to python3 -m json.tool). A guest
# whose header says "netns: yes" runs inside a network namespace made for it
# (its --net tap lives and dies there), after the header's "setup:" lines have
# run in that namespace, in order; each "expect-output:" line must appear in
# what snvmm printed (stdout and stderr); "expect-perf:" runs it once more under
# `perf stat` and compares KVM's tracepoint counts. Needs /dev/kvm, python3
# and perf: a host without them fails here, loudly, rather than skipping. SNVMM names the
# binary (./snvmm by default; make check-sanitized gives the sanitizers' builds).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/perf-lib.sh
snvmm=${SNVMM:-./snvmm}
bindir=build/guests
pass=0 fail=0
ns=
tmp=$(mktemp -d)
cleanup() {
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

for need in python3 perf ip; do
	command -v $need >/dev/null || { echo "guests: $need missing" >&2; fail=1; }
done
if [ ! -c /dev/kvm ]; then
	echo "guests: /dev/kvm missing: the micro-guest tests need KVM" >&2
	fail=1
fi
if [ $fail != 0 ]; then
	echo "guests: 0 passed, 1 failed"
	exit 1
fi
kind=$(tests/rig/kvm-kind.sh)
# iproute2's ip by its path: busybox's timeout (the rig's L1 has it) would exec its own applet,
# which has no netns.
ip=$(type -P ip)

header_lines() { # header_lines FILE KEY -> each "KEY: value" line's value in the file's comment
	sed -n "s/^ \* $2: \{0,1\}//p" "$1"
}
header() { # the first one
	header_lines "$@" | head -n 1
}
header_all() { # all of them, joined
	header_lines "$@" | tr '\n' ' '
}

# run_guest [PERF-OPTIONS...] -- SNVMM-ARGS... : runs snvmm (inside $ns when set, under
# perf stat when given options: perf stays outside the namespace, whose `ip netns exec` remounts
# /sys without tracefs) with the header's stdin.
run_guest() {
	local pre=()
	while [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	[ ${#pre[@]} != 0 ] && pre=(perf stat "${pre[@]}")
	[ -n "$ns" ] && pre+=("$ip" netns exec "$ns")
	printf '%s\n' "$input" | timeout 20 "${pre[@]}" "$snvmm" "$@" >"$tmp/out" 2>&1
}

for src in tests/guests/*.S; do
	name=$(basename "$src" .S)
	bin=$bindir/$name.bin
	want_status=$(header "$src" expect-status)
	want_out=$(header_lines "$src" expect-output)
	want_json=$(header_all "$src" expect-json)
	want_perf=$(header_all "$src" expect-perf)
	input=$(header "$src" stdin)
	args=$(header "$src" args)
	ns=
	if [ "$(header "$src" netns)" = yes ]; then
		ns=snvmm-guests-$$
		ip netns add "$ns" || { ns=; echo "FAIL $name: ip netns add"; fail=$((fail + 1)); continue; }
		setup_failed=
		while IFS= read -r line; do
			[ -z "$line" ] || ip netns exec "$ns" bash -c "$line" >"$tmp/setup" 2>&1 ||
				{ setup_failed="setup '$line': $(head -n 1 "$tmp/setup")"; break; }
		done < <(header_lines "$src" setup)
		if [ -n "$setup_failed" ]; then
			echo "FAIL $name: $setup_failed"
			fail=$((fail + 1))
			ip netns del "$ns"
			ns=
			continue
		fi
	fi
	json=$tmp/$name.json
	why=
	# shellcheck disable=SC2086 # args is a word list by design
	run_guest -- $args --stats-json "$json" --raw "$bin"
	status=$?
	[ "$status" = "${want_status:-0}" ] || why+="status $status (want ${want_status:-0}); "
	while IFS= read -r line; do
		[ -z "$line" ] || grep -qF -- "$line" "$tmp/out" || why+="no line '$line'; "
	done <<<"$want_out"
	if ! python3 -m json.tool "$json" >/dev/null 2>"$tmp/jerr"; then
		why+="--stats-json is not valid JSON: $(head -n1 "$tmp/jerr"); "
	fi
	json_flat "$json" >"$tmp/flat"
	check_pairs "$tmp/flat" "$want_json" json >"$tmp/jbad" || why+="counters differ; "
	if [ -n "$want_perf" ] && [ -z "$why" ]; then
		# KVM's tracepoints for the same guest: the counts we expect exactly, and
		# kvm_exit, which fires on VMX/SVM but never on KVM-PVM (it exits elsewhere).
		events=kvm:kvm_exit
		for pair in $want_perf; do events+=,${pair%%=*}; done
		: >"$tmp/perf"
		# shellcheck disable=SC2086
		run_guest -x, -o "$tmp/perf" -e "$events" -- $args --raw "$bin"
		perf_line=" perf:"
		for pair in $want_perf; do
			got=$(perf_get "$tmp/perf" "${pair%%=*}")
			perf_line+=" ${pair%%=*}=$got"
			[ "$got" = "${pair#*=}" ] || echo "    perf: ${pair%%=*} is '$got', want ${pair#*=}"
		done >>"$tmp/jbad"
		kexit=$(perf_get "$tmp/perf" kvm:kvm_exit)
		uexit=$(perf_get "$tmp/perf" kvm:kvm_userspace_exit)
		if [ "$kind" = hw ]; then
			[ "${kexit:-0}" -ge "${uexit:-0}" ] ||
				echo "    perf: kvm:kvm_exit $kexit < kvm_userspace_exit $uexit" >>"$tmp/jbad"
		elif [ "$kexit" != 0 ]; then
			echo "    perf: kvm:kvm_exit is '$kexit' on KVM-PVM, want 0" >>"$tmp/jbad"
		fi
		perf_line+=" kvm:kvm_exit=$kexit"
		[ -s "$tmp/jbad" ] && why+="perf counts differ; "
	else
		perf_line=
	fi
	if [ -n "$ns" ]; then
		ip netns del "$ns" || why+="ip netns del failed; "
		ns=
	fi
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "PASS $name (status $status)${want_json:+; json ok}${perf_line}"
	else
		fail=$((fail + 1))
		echo "FAIL $name: $why"
		cat "$tmp/jbad"
		sed 's/^/    | /' "$tmp/out" | head -n 20
	fi
done
echo "guests: $pass passed, $fail failed"
[ $fail = 0 ]
