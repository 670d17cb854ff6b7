#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: boot_extract_vmlinux.sh BZIMAGE OUT
# Writes the ELF vmlinux inside a bzImage to OUT. The setup header's
# payload_offset/payload_length (boot protocol >= 2.08) locate the compressed
# kernel; its first bytes say which decompressor to run.
set -eu
if [ $# -ne 2 ]; then
	echo "usage: $0 BZIMAGE OUT" >&2
	exit 2
fi
img=$1
out=$2

le32() { od -An -t u4 -j "$1" -N 4 "$img" | tr -d ' '; }
le16() { od -An -t u2 -j "$1" -N 2 "$img" | tr -d ' '; }

if [ "$(od -An -c -j 514 -N 4 "$img" | tr -d ' ')" != "HdrS" ]; then
	echo "$0: $img: not a bzImage (no HdrS magic at 0x202)" >&2
	exit 1
fi
version=$(le16 518)
if [ "$version" -lt $((0x208)) ]; then
	echo "$0: $img: boot protocol too old for payload_offset ($(printf %x "$version"))" >&2
	exit 1
fi
setup_sects=$(od -An -t u1 -j 497 -N 1 "$img" | tr -d ' ')
[ "$setup_sects" -eq 0 ] && setup_sects=4
# payload_offset counts from the start of the protected-mode kernel.
offset=$(( (setup_sects + 1) * 512 + $(le32 584) ))
length=$(le32 588)

magic=$(od -An -t x1 -j "$offset" -N 4 "$img" | tr -d ' ')
case "$magic" in
fd377a58) dec="xz -dc" ;;
1f8b*) dec="gzip -dc" ;;
28b52ffd) dec="zstd -dcq" ;;
*)
	echo "$0: $img: unknown payload compression (magic $magic)" >&2
	exit 1
	;;
esac

# For xz and zstd the kernel build appends the decompressed size (le32) to the stream, which the
# decompressor would call trailing garbage: it is cut off, so any complaint left is a corrupt
# payload. A gzip stream ends in that size itself (ISIZE). Either way it is checked below.
want=$(le32 $((offset + length - 4)))
case "$dec" in
gzip*) stream=$length ;;
*) stream=$((length - 4)) ;;
esac
if ! tail -c +$((offset + 1)) "$img" | head -c "$stream" | $dec >"$out"; then
	echo "$0: $img: the payload does not decompress (${dec%% *} failed)" >&2
	exit 1
fi
got=$(wc -c <"$out")
if [ "$got" -ne "$want" ]; then
	echo "$0: $img: payload decompressed to $got bytes, expected $want" >&2
	exit 1
fi
if [ "$(od -An -c -N 4 "$out" | tr -d ' ')" != "177ELF" ]; then
	echo "$0: $img: decompressed payload is not an ELF file" >&2
	exit 1
fi
