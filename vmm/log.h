/* SPDX-License-Identifier: MIT */
/*
 * Messages from threads that must never wait on stderr: the NIC's worker and
 * the vCPUs. A stderr nobody reads (a full pipe, a stopped terminal) would
 * otherwise hold them, and with them the VM's end (its threads are joined).
 */
#ifndef SNVMM_LOG_H
#define SNVMM_LOG_H

#include <sys/types.h>

/*
 * stderr opened again, non-blocking, where it is a pipe or a terminal: a new
 * open file description, so the flag is the caller's alone and not that of
 * whoever shares stderr (the user's shell). -1 for a regular file (it does not
 * stall, and a new description would not share its offset) or what cannot be
 * reopened (a socket): fd 2 itself is to be used.
 */
int stderr_nonblocking(void);
/*
 * Writes what stderr takes now of buf, through fd (from stderr_nonblocking)
 * or, where that is -1, through fd 2 without blocking on it: a socket with
 * MSG_DONTWAIT, a pipe only when poll says it has room (and no more than
 * PIPE_BUF), a terminal a byte at a time. Returns the bytes written, 0 when
 * stderr has no room, -1 on an error.
 */
ssize_t stderr_write_nowait(int fd, const char *buf, size_t len);
/* One line to stderr, or nothing where stderr has no room for it now. */
void log_nowait(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
