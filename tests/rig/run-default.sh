#!/bin/sh
# SPDX-License-Identifier: MIT
# `make run`: boots the default guest with the terminal attached. On a VMX/SVM host snvmm runs
# here; on a KVM-PVM host it runs inside the nested rig, whose console is this terminal (the
# guest's power-off ends L1 too). RIG_TIMEOUT bounds a rig session (seconds, default 4 hours);
# SNVMM_ARGS adds options to snvmm's (tests/rig/guest-default.sh), in the rig too.
# Exits with snvmm's status.
cd "$(dirname "$0")/../.." || exit 1
if [ "$(tests/rig/kvm-kind.sh)" = hw ]; then
	exec tests/rig/guest-default.sh
fi
echo "snvmm: $(tests/rig/kvm-kind.sh --why 2>&1 >/dev/null); booting the default guest inside" \
	"the nested rig (QEMU/TCG: about 15 s to the shell, and slower than hardware throughout)"
set -- tests/rig/guest-default.sh
[ -n "${SNVMM_ARGS:-}" ] && set -- --env "SNVMM_ARGS=$SNVMM_ARGS" "$@"
exec tests/rig/rig.sh --interactive --timeout "${RIG_TIMEOUT:-14400}" "$@"
