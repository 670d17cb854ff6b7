#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the guest initramfs: Debian's static busybox, our /init (pid1.c), /init.sh (init) and
# /lib/cmdline.awk (init's command-line parser), pvpanic modules for the guest kernel in
# build/debian, guest/snnet.ko, and the network test tools: iperf3 and ethtool (Debian's, with
# the libraries they load) and build/e2e/netcheck (static).
# Reproducible: fixed file order, owners and times, and gzip without a name or time stamp.
# Usage: initramfs/build.sh [OUTPUT]   (default initramfs/initramfs.cpio.gz)
set -eu
umask 022 # the image's modes must not follow the caller's umask
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/initramfs/initramfs.cpio.gz}
busybox=/bin/busybox

if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	if ! "$busybox" --list >/dev/null 2>&1 || ldd "$busybox" >/dev/null 2>&1; then
		echo "initramfs: $busybox is not a static busybox (install busybox-static)" >&2
		exit 1
	fi
fi
# Without the driver or the tools the guest would boot fine and fail later, far from the cause.
for f in "$root/guest/snnet.ko" /usr/bin/iperf3 /usr/sbin/ethtool "$root/build/e2e/netcheck" \
	"$root/build/initramfs/pid1"; do
	[ -f "$f" ] || { echo "initramfs: $f is missing (make deps; make)" >&2; exit 1; }
done
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
install -m 0755 "$root/build/initramfs/pid1" "$stage/init"
install -m 0755 "$root/initramfs/init" "$stage/init.sh"
install -m 0644 "$root/initramfs/cmdline.awk" "$stage/lib/cmdline.awk"
cp "$mods/drivers/misc/pvpanic/pvpanic.ko" "$mods/drivers/misc/pvpanic/pvpanic-mmio.ko" \
	"$stage/lib/modules/"
cp "$root/guest/snnet.ko" "$stage/lib/modules/"

# Copies a dynamically linked program and every library it loads to the same paths in the
# image. ldd does not list libgcc_s, which glibc dlopens for pthread_cancel (iperf3 uses it).
copy_prog() {
	prog=$1
	mkdir -p "$stage/$(dirname "$prog")"
	cp -L "$prog" "$stage/$prog"
	for lib in $(ldd "$prog" | awk '/=>/ { print $3 } /^[ \t]*\// { print $1 }') \
		$(readlink -f "$(gcc -print-file-name=libgcc_s.so.1)"); do
		[ -f "$lib" ] || continue
		mkdir -p "$stage/$(dirname "$lib")"
		[ -e "$stage/$lib" ] || cp -L "$lib" "$stage/$lib"
	done
}
for prog in /usr/bin/iperf3 /usr/sbin/ethtool; do
	copy_prog "$prog"
done
mkdir -p "$stage/usr/bin"
cp "$root/build/e2e/netcheck" "$stage/usr/bin/netcheck"
echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
echo "root:x:0:" >"$stage/etc/group"
# The kernel opens /dev/console for PID 1's stdio before /init can mount devtmpfs.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null ||
	echo "initramfs: warning: cannot mknod /dev/console (not root?)" >&2

find "$stage" -exec touch -h -d @0 {} +
tmp="$out.tmp.$$"
# cpio first, into a file: a failure in the pipeline then stops here (no pipefail in sh).
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) >"$stage.cpio" ||
	{ rm -f "$stage.cpio"; echo "initramfs: cpio failed" >&2; exit 1; }
gzip -9 -n <"$stage.cpio" >"$tmp" || { rm -f "$stage.cpio" "$tmp"; exit 1; }
rm -f "$stage.cpio"
mv "$tmp" "$out"
