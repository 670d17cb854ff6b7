#!/bin/sh
# SPDX-License-Identifier: MIT
# `make run` (tests/rig/run-default.sh) with its input piped in before anything has booted, as
# a script would drive it: the default guest's shell must get every byte, reach the host's side
# of the tap (ping, and iperf3 each way against the server make run starts there) and power
# off; SNVMM_ARGS=--stats must reach snvmm (its table at the end). On a
# host without VMX/SVM this goes through the rig's interactive console (tests/rig/console-relay.c
# holds the input until L1's console is raw); there a run whose L1 broke (status 124 or 125) is
# repeated up to twice, as tests/rig/rig-retry.sh does. RIG_TIMEOUT bounds each (default 150 s).
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
in='echo piped-$((6 * 7))'
# Each prints its own word only when it succeeds; iperf3's figures are not checked (TCG's).
net='ping -c 3 -W 5 10.0.2.1 >/dev/null && echo net-ping-ok
iperf3 -c 10.0.2.1 -t 2 >/dev/null && echo net-iperf-up-ok
iperf3 -c 10.0.2.1 -t 2 -R >/dev/null && echo net-iperf-down-ok'
for try in 1 2 3; do
	printf '%s\n%s\npoweroff\n' "$in" "$net" |
		SNVMM_ARGS=--stats RIG_TIMEOUT=${RIG_TIMEOUT:-150} tests/rig/run-default.sh \
			>"$tmp/raw" 2>&1
	st=$?
	case $st in
	124 | 125) echo "run-piped: L1 BROKE (status $st, attempt $try of 3)" >&2 ;;
	*) break ;;
	esac
done
tr -d '\r' <"$tmp/raw" >"$tmp/out"
fail=0
check() { # check RC DESCRIPTION
	if [ "$1" = 0 ]; then echo "PASS: $2"; else echo "FAIL: $2" && fail=1; fi
}
check "$([ "$st" = 0 ]; echo $?)" "make run with piped input: the guest powered off (status $st)"
# The command whole: a lost first byte or two ran 'ho piped-...' or ' piped-...' instead.
check "$(grep -qx 'piped-42' "$tmp/out" && ! grep -q 'not found' "$tmp/out"; echo $?)" \
	"make run with piped input: the guest's shell ran the command whole (a 'piped-42' line)"
for w in ping iperf-up iperf-down; do
	check "$(grep -qx "net-$w-ok" "$tmp/out"; echo $?)" \
		"make run with piped input: the guest's $w to the host's side of the tap succeeded"
done
check "$(grep -Eq '^ +tx_packets +[1-9]' "$tmp/out" && grep -Eq '^ +kicks +[1-9]' "$tmp/out"; echo $?)" \
	"make run SNVMM_ARGS=--stats: snvmm's table counts the NIC's packets and kicks"
# In the rig, L1's console must neither echo nor lose the input while it boots: nothing of it
# before L1's ready line.
if grep -q '^rig-l1: ready after' "$tmp/out"; then
	check "$(sed '/^rig-l1: ready after/q' "$tmp/out" | grep -qe 'piped-' -e poweroff; [ $? = 1 ]; echo $?)" \
		"make run with piped input: L1 echoes none of it while it boots"
fi
[ "$fail" = 0 ] || { echo "run-piped: the console was:"; sed 's/^/  | /' "$tmp/out"; }
exit "$fail"
