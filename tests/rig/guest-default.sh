#!/bin/sh
# SPDX-License-Identifier: MIT
# Boots the default guest (Debian's kernel + our initramfs) on this terminal. Run directly on a
# VMX/SVM host, or inside the rig's L1 by tests/rig/run-default.sh.
set -e
for k in build/debian/boot/vmlinuz-*; do :; done
exec ./snvmm --initrd initramfs/initramfs.cpio.gz "$k"
