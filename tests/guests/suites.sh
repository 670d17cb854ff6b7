#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the suites listed in LIST, one shell command a line (make writes the list: the suites that
# need /dev/kvm), each to its end, and says how many passed. POSIX sh: it also runs in the rig's
# L1 (tests/rig/kvm-suites.sh), on a host with no /dev/kvm of its own.
# Usage: tests/guests/suites.sh LIST
cd "$(dirname "$0")/../.." || exit 1
list=${1:?usage: tests/guests/suites.sh LIST}
[ -s "$list" ] || { echo "suites: $list is missing or empty"; echo "suites: 0 passed, 1 failed"; exit 1; }
pass=0
fail=0
failed=
while IFS= read -r cmd; do
	[ -n "$cmd" ] || continue
	echo "== $cmd"
	if sh -c "$cmd" </dev/null; then
		pass=$((pass + 1))
	else
		# A FAIL line: rig.sh then keeps the verdict even if L1 breaks later (no repeat).
		echo "FAIL suite: $cmd"
		fail=$((fail + 1))
		failed="$failed
  $cmd"
	fi
done <"$list"
[ $fail = 0 ] || echo "suites: failed:$failed"
echo "suites: $pass passed, $fail failed"
[ $fail = 0 ]
