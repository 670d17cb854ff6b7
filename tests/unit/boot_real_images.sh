#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: boot_real_images.sh TEST_BOOT BZIMAGE
# Loads a real bzImage (Debian's, fetched by tests/rig/debian-kernel.sh) and the
# vmlinux extracted from it with the unit-test binary (no KVM needed).
set -eu
test_boot=$1
bz=$2
if [ ! -r "$bz" ]; then
	echo "boot_real_images: $bz not found (run tests/rig/debian-kernel.sh)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$(dirname "$0")/boot_extract_vmlinux.sh" "$bz" "$tmp/vmlinux"
# readelf has no name for Xen's note 18 (XEN_ELFNOTE_PHYS32_ENTRY) and prints its number.
if ! readelf -n "$tmp/vmlinux" | grep -Eq '^ *Xen .*(\(0x00000012\)|PHYS32_ENTRY)'; then
	echo "boot_real_images: $bz: extracted vmlinux has no PVH entry note" >&2
	exit 1
fi
"$test_boot" "$bz" "$tmp/vmlinux"
