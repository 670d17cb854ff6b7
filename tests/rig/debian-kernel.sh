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
if ! apt-get download -q "linux-image-$rel" >apt.log 2>&1; then
	# The package list may be stale or missing on a fresh machine.
	apt-get update -qq >/dev/null 2>&1 || true
	if ! apt-get download -q "linux-image-$rel" >apt.log 2>&1; then
		echo "debian-kernel: apt-get download linux-image-$rel failed:" >&2
		tail -n 3 apt.log >&2
		exit 1
	fi
fi
dpkg-deb -x linux-image-"$rel"_*.deb "$out"

# bzImage setup header: payload_offset (u32 at 0x248) and payload_length (u32 at 0x24c) are
# relative to the start of the protected-mode code, which begins after (setup_sects+1)*512 bytes;
# setup_sects is the byte at 0x1f1 (0 means 4).
bz="$out/boot/vmlinuz-$rel"
u8() { od -An -tu1 -j "$1" -N1 "$bz" | tr -d ' '; }
u32() { od -An -tu4 -j "$1" -N4 "$bz" | tr -d ' '; }
sects=$(u8 497)
[ "$sects" -eq 0 ] && sects=4
poff=$(u32 584)
plen=$(u32 588)
start=$(((sects + 1) * 512 + poff))
tail -c +"$((start + 1))" "$bz" | head -c "$plen" >payload
case $(od -An -tx1 -N6 payload | tr -d ' ') in
fd377a585a00) xz -dc payload >vmlinux 2>/dev/null || xz -dc --single-stream payload >vmlinux ;;
1f8b*) gzip -dc payload >vmlinux ;;
28b52ffd*) zstd -qdc payload >vmlinux ;;
*)
	echo "debian-kernel: $bz: unknown payload compression" >&2
	exit 1
	;;
esac
if [ "$(od -An -c -N4 vmlinux | tr -d ' ')" != '177ELF' ]; then
	echo "debian-kernel: $bz: payload is not an ELF image" >&2
	exit 1
fi
mv vmlinux "$out/vmlinux"
echo "$rel"
