#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the guest initramfs: Debian's static busybox, our /init, pvpanic modules for the guest
# kernel in build/debian, and guest/snnet.ko when it has been built. Reproducible: fixed file
# order, owners and times, and gzip without a name or time stamp.
# Usage: initramfs/build.sh [OUTPUT]   (default initramfs/initramfs.cpio.gz)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/initramfs/initramfs.cpio.gz}
busybox=/bin/busybox

if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	if ! "$busybox" --list >/dev/null 2>&1 || ldd "$busybox" >/dev/null 2>&1; then
		echo "initramfs: $busybox is not a static busybox (install busybox-static)" >&2
		exit 1
	fi
fi
rel=$("$root/tests/rig/debian-kernel.sh")
mods="$root/build/debian/lib/modules/$rel/kernel"

stage=$(mktemp -d "${TMPDIR:-/tmp}/snvmm-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/sbin" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/tmp" \
	"$stage/root" "$stage/etc" "$stage/lib/modules"
cp "$busybox" "$stage/bin/busybox"
for a in $("$busybox" --list); do
	[ "$a" = busybox ] || ln -s busybox "$stage/bin/$a"
done
install -m 0755 "$root/initramfs/init" "$stage/init"
cp "$mods/drivers/misc/pvpanic/pvpanic.ko" "$mods/drivers/misc/pvpanic/pvpanic-mmio.ko" \
	"$stage/lib/modules/"
if [ -f "$root/guest/snnet.ko" ]; then
	cp "$root/guest/snnet.ko" "$stage/lib/modules/"
fi
echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
echo "root:x:0:" >"$stage/etc/group"
# The kernel opens /dev/console for PID 1's stdio before /init can mount devtmpfs.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null ||
	echo "initramfs: warning: cannot mknod /dev/console (not root?)" >&2

find "$stage" -exec touch -h -d @0 {} +
tmp="$out.tmp.$$"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n >"$tmp"
mv "$tmp" "$out"
