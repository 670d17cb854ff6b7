// SPDX-License-Identifier: MIT
/*
 * Tap backend: /dev/net/tun in tap mode with a virtio-net header, so checksum
 * and segmentation offloads pass between the guest and the host stack as
 * metadata instead of being done in software on either side.
 */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int tap_fail(const char *name, const char *what, int fd)
{
	int err = errno;

	fprintf(stderr, "snvmm: tap '%s': %s: %s\n", name, what, strerror(err));
	if (fd >= 0)
		close(fd);
	return -err;
}

int tap_open(const char *name)
{
	struct ifreq ifr;
	int hdr = TAP_VNET_HDR_LEN;
	int fd;

	if (strlen(name) >= IFNAMSIZ) {
		fprintf(stderr, "snvmm: tap '%s': name longer than %d bytes\n", name, IFNAMSIZ - 1);
		return -EINVAL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return tap_fail(name, "open /dev/net/tun", -1);
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		/* What the kernel's terse answers mean here, for whoever has to fix it. */
		if (errno == EBUSY)
			return tap_fail(name, "in use (another process, a VMM say, has it open)",
					fd);
		if (errno == EINVAL)
			return tap_fail(name,
					"it exists and is not a tap (a tun, or another kind "
					"of interface)",
					fd);
		if (errno == EPERM)
			return tap_fail(name,
					"not permitted (a tap needs CAP_NET_ADMIN, or a "
					"persistent one this user owns)",
					fd);
		return tap_fail(name, "TUNSETIFF", fd);
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
		return tap_fail(name, "TUNSETVNETHDRSZ", fd);
	/* Nothing offloaded until the guest says what it accepts. */
	if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0)
		return tap_fail(name, "TUNSETOFFLOAD", fd);
	return fd;
}

int tap_set_offload(int fd, bool csum, bool tso4, bool tso6)
{
	unsigned long off = 0;

	/* The kernel refuses TSO without CSUM: it could not hand us a GSO frame otherwise. */
	if (csum || tso4 || tso6)
		off |= TUN_F_CSUM;
	if (tso4)
		off |= TUN_F_TSO4;
	if (tso6)
		off |= TUN_F_TSO6;
	return ioctl(fd, TUNSETOFFLOAD, off) < 0 ? -errno : 0;
}
