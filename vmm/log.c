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
#include <unistd.h>

int stderr_nonblocking(void)
{
	struct stat st;

	if (fstat(STDERR_FILENO, &st) || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
		return -1;
	return open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

ssize_t stderr_write_nowait(int fd, const char *buf, size_t len)
{
	struct pollfd p = {.fd = STDERR_FILENO, .events = POLLOUT};
	struct stat st;
	ssize_t n;

	if (fd >= 0) {
		n = write(fd, buf, len);
		return n < 0 && errno == EAGAIN ? 0 : n;
	}
	if (fstat(STDERR_FILENO, &st))
		return -1;
	if (S_ISREG(st.st_mode))
		return write(STDERR_FILENO, buf, len); /* a file does not stall */
	if (S_ISSOCK(st.st_mode)) {
		n = send(STDERR_FILENO, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		return n < 0 && errno == EAGAIN ? 0 : n;
	}
	/* A pipe or terminal we could not reopen (another user's): room first, then a bit. */
	if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT))
		return p.revents & (POLLERR | POLLNVAL) ? -1 : 0;
	if (S_ISFIFO(st.st_mode))
		return write(STDERR_FILENO, buf, len < PIPE_BUF ? len : PIPE_BUF);
	return write(STDERR_FILENO, buf, 1); /* a terminal with room takes a byte */
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
	fd = stderr_nonblocking();
	while (off < (size_t)n && (w = stderr_write_nowait(fd, line + off, (size_t)n - off)) > 0)
		off += (size_t)w;
	if (fd >= 0)
		close(fd);
}
