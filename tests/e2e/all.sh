#!/bin/sh
# SPDX-License-Identifier: MIT
# Every end-to-end suite that boots a guest, in one go. make check-e2e runs it directly on a
# host whose /dev/kvm has VMX/SVM, else in one rig boot: tests/rig/rig.sh --extras --timeout 1200
# --npt 0 tests/e2e/all.sh build/e2e/netcheck build/e2e/ringpoke. Exits non-zero if any failed.
cd "$(dirname "$0")/../.." || exit 1
rc=0
for s in boot net; do
	t0=$(cut -d' ' -f1 /proc/uptime)
	sh "tests/e2e/$s.sh" || rc=1
	echo "e2e-all: $s took $(echo "$t0 $(cut -d' ' -f1 /proc/uptime)" | awk '{ printf "%.0f", $2 - $1 }')s"
done
exit $rc
