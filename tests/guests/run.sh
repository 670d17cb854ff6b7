#!/bin/bash
# Runs every micro-guest under ./snvmm --raw on this host's /dev/kvm and checks
# what its header promises (exit status, console lines). Needs /dev/kvm: a host
# without one fails here, loudly, rather than skipping.
set -u
cd "$(dirname "$0")/../.."
snvmm=./snvmm
bindir=build/guests
pass=0 fail=0

if [ ! -c /dev/kvm ]; then
	echo "guests: /dev/kvm missing: the micro-guest tests need KVM" >&2
	echo "guests: 0 passed, 1 failed"
	exit 1
fi

header() { # header FILE KEY -> value of "KEY: value" in the file's comment
	sed -n "s/^ \* $2: \{0,1\}//p" "$1" | head -n 1
}

for src in tests/guests/*.S; do
	name=$(basename "$src" .S)
	bin=$bindir/$name.bin
	want_status=$(header "$src" expect-status)
	want_out=$(header "$src" expect-output)
	input=$(header "$src" stdin)
	args=$(header "$src" args)
	out=$(mktemp)
	# shellcheck disable=SC2086 # args is a word list by design
	printf '%s\n' "$input" | timeout 20 "$snvmm" $args --raw "$bin" >"$out" 2>&1
	status=$?
	ok=1
	[ "$status" = "${want_status:-0}" ] || ok=0
	if [ -n "$want_out" ] && ! grep -qF -- "$want_out" "$out"; then ok=0; fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		echo "PASS $name (status $status)"
	else
		fail=$((fail + 1))
		echo "FAIL $name: status $status (want ${want_status:-0})${want_out:+, want line '$want_out'}"
		sed 's/^/    | /' "$out" | head -n 20
	fi
	rm -f "$out"
done
echo "guests: $pass passed, $fail failed"
[ $fail = 0 ]
