#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetches Debian's kernel (the version the installed linux-headers-amd64 points at, so the guest
# module matches it) into build/debian/ without installing it on the host, and extracts the ELF
# vmlinux from the bzImage. Idempotent: does nothing once build/debian/vmlinux exists.
# Usage: tests/rig/debian-kernel.sh   (prints the kernel release on success)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build/debian"

# linux-headers-amd64 depends on linux-headers-<release>; that <release> names the image package.
rel=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
	tr ',' '\n' | sed -n 's/^ *linux-headers-\([0-9][^ ]*-amd64\).*/\1/p' | head -n1)
if [ -z "$rel" ]; then
	echo "debian-kernel: linux-headers-amd64 is not installed (run make deps)" >&2
	exit 1
fi

if [ -s "$out/vmlinux" ] && [ -f "$out/boot/vmlinuz-$rel" ] && [ -d "$out/lib/modules/$rel" ]; then
	echo "$rel"
	exit 0
fi

mkdir -p "$out"
tmp=$(mktemp -d "$out/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
echo "debian-kernel: fetching linux-image-$rel (about 70 MB) from Debian's archive" >&2
if ! apt-get download -q "linux-image-$rel" >apt.log 2>&1; then
	# The package list may be stale or missing on a fresh machine.
	apt-get update -qq >/dev/null 2>&1 || true
	if ! apt-get download -q "linux-image-$rel" >apt.log 2>&1; then
		echo "debian-kernel: apt-get download linux-image-$rel failed:" >&2
		tail -n 3 apt.log >&2
		echo "debian-kernel: (the release comes from linux-headers-amd64; if the archive has" \
			"moved on, 'apt-get install linux-headers-amd64' brings both up to date)" >&2
		exit 1
	fi
fi
# Another release's kernel goes (headers upgraded): scripts take the one vmlinuz-* there is.
rm -rf "${out:?}/boot" "${out:?}/lib" "${out:?}/usr" "${out:?}/etc" "${out:?}/vmlinux"
dpkg-deb -x linux-image-"$rel"_*.deb "$out"

# The ELF vmlinux for the PVH boot path, extracted from the bzImage's payload.
"$root/tests/unit/boot_extract_vmlinux.sh" "$out/boot/vmlinuz-$rel" vmlinux
mv vmlinux "$out/vmlinux"
echo "$rel"
