#!/bin/sh
# SPDX-License-Identifier: MIT
# initramfs/cmdline.awk, run by the awk the guest runs (busybox's), against command lines
# whose splitting Linux's next_arg() decides: what init reads as snvmm.run= must be what the
# kernel saw. Usage: tests/unit/init_cmdline.sh [BUSYBOX]   (default /bin/busybox)
cd "$(dirname "$0")/../.." || exit 1
bb=${1:-/bin/busybox}
"$bb" awk 'BEGIN { exit 0 }' || { echo "init-cmdline: no awk in $bb (make deps: busybox-static)"; exit 1; }
pass=0 fail=0
# want CMDLINE NAME STATUS [VALUE]
want() {
	got=$(printf '%s\n' "$1" | "$bb" awk -v name="$2" -f initramfs/cmdline.awk)
	st=$?
	if [ "$st" = "$3" ] && [ "$got" = "${4:-}" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $2 in [$1]: status $st, value [$got]; want status $3, value [${4:-}]"
	fi
}
want 'console=ttyS0 snvmm.run=uname' snvmm.run 0 uname
want 'quiet snvmm.run="uname -r; nproc" panic=-1' snvmm.run 0 'uname -r; nproc'
want 'quiet "snvmm.run=uname -r" panic=-1' snvmm.run 0 'uname -r'
want 'foo="x snvmm.run=inside" bar' snvmm.run 1
want 'a -- snvmm.run=for-init' snvmm.run 1
want 'snvmm.run=' snvmm.run 0 ''
want 'snvmm.run=first snvmm.run=last' snvmm.run 0 last
want 'snvmm.runx=a xsnvmm.run=b' snvmm.run 1
want 'snvmm.run="a=b c"' snvmm.run 0 'a=b c'
want 'snvmm.run=a"b c"d e' snvmm.run 0 'a"b c"d'
want "$(printf 'x\tsnvmm.run=tab\tz')" snvmm.run 0 tab
want 'snvmm.rows=40 snvmm.cols=120' snvmm.cols 0 120
want 'console=ttyS0' snvmm.run 1
want '' snvmm.run 1
want '=snvmm.run=x' '=snvmm.run' 0 x
want "$(printf 'x\vsnvmm.run=vt\fz')" snvmm.run 0 vt
want "$(printf 'snvmm.run=nbsp\240z')" snvmm.run 0 nbsp
want "$(printf 'snvmm.run="echo a\necho b" z')" snvmm.run 0 "$(printf 'echo a\necho b')"
echo "init-cmdline: $pass passed, $fail failed"
[ "$fail" = 0 ]
