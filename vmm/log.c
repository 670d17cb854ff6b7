// SPDX-License-Identifier: MIT
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int reopen_nonblocking(int fd)
{
	char path[32];
	struct stat st;

	if (fstat(fd, &st) || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
		return -1;
	/* /dev/ptmx opened again is a new terminal pair, not this one's master. */
	if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 5 && minor(st.st_rdev) == 2)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

ssize_t write_nowait(int nb_fd, int fd, const void *buf, size_t len)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	struct stat st;
	ssize_t n;

	if (nb_fd >= 0) {
		n = write(nb_fd, buf, len);
		return n < 0 && errno == EAGAIN ? 0 : n;
	}
	if (fstat(fd, &st))
		return -1;
	if (S_ISREG(st.st_mode))
		return write(fd, buf, len); /* a file does not stall */
	if (S_ISSOCK(st.st_mode)) {
		n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		return n < 0 && errno == EAGAIN ? 0 : n;
	}
	/* A pipe or terminal we could not reopen (another user's): room first, then a bit. */
	if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT)) {
		if (!(p.revents & (POLLERR | POLLNVAL)))
			return 0;
		errno = EPIPE; /* not a stale EINTR that would make a caller try again */
		return -1;
	}
	if (S_ISFIFO(st.st_mode))
		return write(fd, buf, len < PIPE_BUF ? len : PIPE_BUF);
	return write(fd, buf, 1); /* a terminal with room takes a byte */
}

/*
 * Opened anew for each line: such lines are rare (a device that breaks, a
 * guest told once). A line stderr takes only in part is cut short.
 */
void log_nowait(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n, fd;
	size_t off = 0;
	ssize_t w;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	fd = reopen_nonblocking(STDERR_FILENO);
	while (off < (size_t)n &&
	       (w = write_nowait(fd, STDERR_FILENO, line + off, (size_t)n - off)) > 0)
		off += (size_t)w;
	if (fd >= 0)
		close(fd);
}
