// SPDX-License-Identifier: MIT
#include "report_out.h"
#include "log.h"
#include "report.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum report_signal report_take_signal(struct vm *vm, int sig_fd)
{
	struct signalfd_siginfo si;

	if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
		return SIGNAL_NONE; /* EAGAIN: another read took it */
	if (si.ssi_signo == SIGUSR1)
		return SIGNAL_SNAPSHOT;
	vm_request_end(vm, VM_END_USER);
	return SIGNAL_STOP;
}

static void print_stats(struct vm_report *rep, FILE *f, enum stats_format format)
{
	struct stats_writer w;

	stats_writer_init(&w, format, f);
	report_write(rep, &w);
	stats_finish(&w);
}

/* Reports go through a non-blocking stderr of their own where there can be one (log.h). */
void report_sink_open(struct report_sink *k, struct vm *vm, struct vm_report *rep, int sig_fd)
{
	*k = (struct report_sink){
	    .vm = vm, .rep = rep, .sig_fd = sig_fd, .fd = reopen_nonblocking(STDERR_FILENO)};
}

void report_sink_close(struct report_sink *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

/*
 * Writes buf to fd (nb_fd: fd reopened non-blocking, or -1) without blocking;
 * where it finds no room, waits in polls that also hear the signals and,
 * while the VM runs, its end. True when all of buf went out.
 */
static bool sink_out(struct report_sink *k, int fd, int nb_fd, const char *buf, size_t len,
		     enum report_kind what)
{
	bool final = what == REPORT_FINAL;
	enum report_signal sig;

	if (final && k->gave_up)
		return false; /* a stop signal gave the final reports up: all of them */
	while (len && (final || vm_end_reason(k->vm) == VM_RUNNING)) {
		/* Whole lines where they fit, so another thread's line cannot land inside one. */
		size_t chunk = len < PIPE_BUF ? len : PIPE_BUF;
		const char *nl = chunk < len ? memrchr(buf, '\n', chunk) : NULL;
		if (nl)
			chunk = (size_t)(nl - buf) + 1;
		ssize_t n = write_nowait(nb_fd, fd, buf, chunk);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		struct pollfd fds[3] = {{.fd = nb_fd >= 0 ? nb_fd : fd, .events = POLLOUT},
					{.fd = k->sig_fd, .events = POLLIN},
					{.fd = final ? -1 : k->vm->end_eventfd, .events = POLLIN}};
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		sig =
		    (fds[1].revents & POLLIN) ? report_take_signal(k->vm, k->sig_fd) : SIGNAL_NONE;
		if (sig == SIGNAL_STOP && final) {
			k->gave_up = true;
			return false;
		}
		/* Asked for while a snapshot is written, it is this one; else it comes next. */
		if (sig == SIGNAL_SNAPSHOT && what != REPORT_SNAPSHOT)
			k->snapshot_pending = true;
		if (fds[0].revents && !(fds[0].revents & POLLOUT))
			return false; /* POLLERR, POLLNVAL: nobody to write to */
	}
	return len == 0;
}

void report_sink_write(struct report_sink *k, enum report_kind what)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	if (what == REPORT_LINE)
		report_interval(k->rep, m);
	else
		print_stats(k->rep, m, STATS_TABLE);
	if (fclose(m) == 0)
		sink_out(k, STDERR_FILENO, k->fd, buf, len, what);
	free(buf);
}

/*
 * A new file beside path for its next version, with path's mode and owner
 * where it exists (else what fopen would give: 0666 less the umask); NULL
 * with errno set when none can be made. *tmp gets its name.
 */
static FILE *json_tmp_create(const char *path, char **tmp)
{
	struct stat st;
	mode_t mode;
	FILE *f = NULL;
	int fd, e;

	if (asprintf(tmp, "%s.XXXXXX", path) < 0) {
		*tmp = NULL;
		errno = ENOMEM;
		return NULL;
	}
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0 && errno == ENAMETOOLONG) {
		/* A name within 7 bytes of NAME_MAX has no room for the suffix: a short one. */
		const char *slash = strrchr(path, '/');

		free(*tmp);
		if (asprintf(tmp, "%.*s.snvmm.XXXXXX", slash ? (int)(slash - path + 1) : 0, path) <
		    0) {
			*tmp = NULL;
			errno = ENOMEM;
			return NULL;
		}
		fd = mkostemp(*tmp, O_CLOEXEC);
	}
	if (fd < 0)
		goto fail;
	if (stat(path, &st) == 0) {
		mode = st.st_mode & 07777;
		/* Best effort: not root, the file stays ours, as one fopen made would be. */
		(void)!fchown(fd, st.st_uid, st.st_gid);
	} else {
		mode = umask(0);
		umask(mode);
		mode = 0666 & ~mode;
	}
	if (fchmod(fd, mode) == 0)
		f = fdopen(fd, "w");
	if (f)
		return f;
	e = errno;
	close(fd);
	unlink(*tmp);
	errno = e;
fail:
	e = errno;
	free(*tmp);
	*tmp = NULL;
	errno = e;
	return NULL;
}

/*
 * FILE is written at exit into a new file beside it, then renamed over it: a
 * reader sees the previous report or this one, never a part, and a run that
 * writes none (bad input, a VMM that fails to start) leaves FILE as it was.
 * That a new file can be made is tried now, so a path we cannot write fails
 * before the guest runs, and nothing is left beside FILE while it runs. A
 * symbolic link is followed: what it names is replaced, the link stays. FILE
 * is written in place, opened (emptied) now, where it is no regular file (a
 * FIFO, /dev/stdout) or its directory takes no new file.
 */
int json_out_open(struct json_out *j, const char *path)
{
	struct stat st;
	bool exists = stat(path, &st) == 0;
	int stat_err = exists ? 0 : errno;
	char *tmp;
	FILE *f;

	*j = (struct json_out){.path = path, .fd = -1};
	/* A name that cannot exist (too long, a file as a directory): no new file could take it. */
	if (!exists && stat_err != ENOENT)
		return -stat_err;
	if (exists && S_ISREG(st.st_mode) && (j->resolved = realpath(path, NULL)))
		j->path = j->resolved;
	if (!exists || S_ISREG(st.st_mode)) {
		f = json_tmp_create(j->path, &tmp);
		if (f) {
			fclose(f);
			unlink(tmp);
			free(tmp);
			j->replace = true;
			return 0;
		}
		if (!exists)
			return -errno;
	}
	if (exists && S_ISSOCK(st.st_mode))
		return -EOPNOTSUPP; /* open() would say ENXIO, as for a FIFO without a reader */
	/*
	 * Non-blocking open: a FIFO with no reader fails (ENXIO) instead of holding
	 * the start for ever. Its reader may be starting beside us (cat f & snvmm
	 * --stats-json f): it has 2 s. It stays non-blocking (the description is
	 * ours alone): the report goes out at exit in polls that a stop signal
	 * ends, as a reader that stalls must not hold snvmm for ever.
	 */
	for (int tries = 0;; tries++) {
		j->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0666);
		if (j->fd >= 0 || errno != ENXIO || tries == 40)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
	}
	return j->fd < 0 ? -errno : 0;
}

/* In place: the report whole in memory first, then out in polls (sink_out). */
static bool json_write_in_place(struct json_out *j, struct vm_report *rep, struct report_sink *k)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	bool ok = false;

	if (m) {
		print_stats(rep, m, STATS_JSON);
		ok = fclose(m) == 0 && sink_out(k, j->fd, j->fd, buf, len, REPORT_FINAL);
	}
	free(buf);
	ok = close(j->fd) == 0 && ok;
	j->fd = -1;
	return ok;
}

bool json_out_write(struct json_out *j, struct vm_report *rep, struct report_sink *k)
{
	char *tmp = NULL;
	FILE *f;
	bool ok;

	if (!j->replace)
		return j->fd >= 0 && json_write_in_place(j, rep, k);
	f = json_tmp_create(j->path, &tmp);
	ok = f != NULL;
	if (f) {
		print_stats(rep, f, STATS_JSON);
		ok = !ferror(f); /* a full disk shows here or in the final flush */
		ok = fclose(f) == 0 && ok;
	}
	if (tmp) {
		if (ok && rename(tmp, j->path) != 0)
			ok = false;
		if (!ok)
			unlink(tmp);
		free(tmp);
	}
	return ok;
}

void json_out_close(struct json_out *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	free(j->resolved);
	j->resolved = NULL;
}
