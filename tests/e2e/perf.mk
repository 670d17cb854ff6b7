# SPDX-License-Identifier: MIT
# tests/e2e/perf.sh (run by check-e2e in tests/rig/rig.mk) needs the exits micro-guest.
check-e2e: $(BUILD)/guests/exits.bin
