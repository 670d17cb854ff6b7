/* SPDX-License-Identifier: MIT */
/*
 * Output that must never wait on its reader: messages from the NIC's worker
 * and the vCPUs, the console, the reports. A stdout or stderr nobody reads (a
 * full pipe, a stopped terminal) would otherwise hold the thread writing, and
 * with it the VM's end (its threads are joined, and a blocked write() misses
 * the signal that would stop it if that comes just before).
 */
#ifndef SNVMM_LOG_H
#define SNVMM_LOG_H

#include <sys/types.h>

/*
 * fd (stdout, stderr) opened again, non-blocking, where it is a pipe or a
 * terminal: a new open file description, so the flag is the caller's alone
 * and not that of whoever shares fd (the user's shell). -1 for a regular file
 * (it does not stall, and a new description would not share its offset) or
 * what cannot be reopened (a socket): fd itself is to be used.
 */
int reopen_nonblocking(int fd);
/*
 * Writes what fd takes now of buf, through nb_fd (from reopen_nonblocking(fd))
 * or, where that is -1, through fd without blocking on it: a socket with
 * MSG_DONTWAIT, a pipe only when poll says it has room (and no more than
 * PIPE_BUF), a terminal a byte at a time. Returns the bytes written, 0 when
 * fd has no room, -1 on an error.
 */
ssize_t write_nowait(int nb_fd, int fd, const void *buf, size_t len);
/* One line to stderr, or nothing where stderr has no room for it now. */
void log_nowait(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
