#!/bin/sh
# SPDX-License-Identifier: MIT
# In the rig's L1, for a host with no /dev/kvm at all (a VM without nested virtualization): the
# suites that need one (unit tests that open it, the micro-guests and the console, plain and
# sanitized), from the list make check-kvm-rig wrote. L1's KVM is real (nested SVM), so they
# run as they would on such a host, not skipped.
cd /work || exit 1
mkdir -p /run/netns # iproute2's ip netns keeps its namespaces there, and makes no /run
# console.py's bounds on progress, ten times as long: nested TCG, the TSan build above all, is
# that much slower (the bounds that are a test's subject stay as they are).
export CONSOLE_TIME_SCALE=10
exec sh tests/guests/suites.sh build/guests/suites-rig
