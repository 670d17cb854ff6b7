#!/bin/sh
# SPDX-License-Identifier: MIT
# Every end-to-end suite that boots a guest, in one go (one rig boot: make check-e2e runs
# tests/rig/rig.sh --extras tests/e2e/all.sh build/e2e/netcheck). Exits non-zero if any failed.
cd "$(dirname "$0")/../.." || exit 1
rc=0
for s in boot net; do
	t0=$(cut -d' ' -f1 /proc/uptime)
	sh "tests/e2e/$s.sh" || rc=1
	echo "e2e-all: $s took $(echo "$t0 $(cut -d' ' -f1 /proc/uptime)" | awk '{ printf "%.0f", $2 - $1 }')s"
done
exit $rc
