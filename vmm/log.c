// SPDX-License-Identifier: MIT
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int stderr_nonblocking(void)
{
	struct stat st;

	if (fstat(STDERR_FILENO, &st) || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
		return -1;
	return open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

/* Opened anew for each line: such lines are rare (a device that breaks, a guest told once). */
void log_nowait(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n, fd;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	fd = stderr_nonblocking();
	if (write(fd >= 0 ? fd : STDERR_FILENO, line, (size_t)n) < 0) {
		/* EAGAIN: dropped, as promised; anything else: nowhere to say it */
	}
	if (fd >= 0)
		close(fd);
}
