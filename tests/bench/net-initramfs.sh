#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the network benchmark's guest initramfs: the standard one with a second archive
# appended (the kernel unpacks concatenated archives in order; later files win) holding
# /bench/guest.sh, iperf3 with its libraries, and virtio-net and its dependencies for the QEMU
# guest, so the standard initramfs stays as it is.
# Usage: tests/bench/net-initramfs.sh OUTPUT
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
rel=$("$root/tests/rig/debian-kernel.sh")
mods="$root/build/debian/lib/modules/$rel/kernel"
base="$root/initramfs/initramfs.cpio.gz"
[ -f "$base" ] || { echo "net-initramfs: no $base (make initramfs)" >&2; exit 1; }
iperf=$(command -v iperf3) || { echo "net-initramfs: no iperf3 (apt-get install iperf3)" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/snvmm-bench-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bench" "$stage/usr/bin" "$stage/lib/modules/bench"
install -m 0755 "$root/tests/bench/net-guest.sh" "$stage/bench/guest.sh"
cp "$iperf" "$stage/usr/bin/iperf3"
for lib in $(ldd "$iperf" | awk '/=>/ { print $3 } /^[ \t]*\// { print $1 }'); do
	mkdir -p "$stage/$(dirname "$lib")"
	cp -L "$lib" "$stage/$lib"
done
for m in drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko \
	drivers/virtio/virtio_pci_modern_dev.ko drivers/virtio/virtio_pci_legacy_dev.ko \
	drivers/virtio/virtio_pci.ko net/core/failover.ko drivers/net/net_failover.ko \
	drivers/net/virtio_net.ko; do
	cp "$mods/$m" "$stage/lib/modules/bench/"
done
find "$stage" -exec touch -h -d @0 {} +
tmp="$out.tmp.$$"
trap 'rm -rf "$stage" "$tmp" "$tmp.cpio"' EXIT # $tmp: gone by then unless we failed
cp "$base" "$tmp"
# cpio into a file of its own first: in a pipe into gzip (no pipefail in dash) a failed cpio
# would leave a truncated archive behind a good gzip.
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) >"$tmp.cpio"
gzip -6 -n <"$tmp.cpio" >>"$tmp"
rm -f "$tmp.cpio"
mv "$tmp" "$out"
