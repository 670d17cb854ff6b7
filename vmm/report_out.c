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
	    .vm = vm, .rep = rep, .sig_fd = sig_fd, .fd = stderr_nonblocking()};
}

void report_sink_close(struct report_sink *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

/* Writes buf in polls that also watch the VM's end (while it runs) and the signals. */
static void sink_out(struct report_sink *k, const char *buf, size_t len, enum report_kind what)
{
	bool final = what == REPORT_FINAL;
	enum report_signal sig;

	while (len && (final || vm_end_reason(k->vm) == VM_RUNNING)) {
		struct pollfd fds[3] = {
		    {.fd = k->fd >= 0 ? k->fd : STDERR_FILENO, .events = POLLOUT},
		    {.fd = k->sig_fd, .events = POLLIN},
		    {.fd = final ? -1 : k->vm->end_eventfd, .events = POLLIN}};
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		sig =
		    (fds[1].revents & POLLIN) ? report_take_signal(k->vm, k->sig_fd) : SIGNAL_NONE;
		if (sig == SIGNAL_STOP && final)
			return;
		/* Asked for while a snapshot is written, it is this one; else it comes next. */
		if (sig == SIGNAL_SNAPSHOT && what != REPORT_SNAPSHOT)
			k->snapshot_pending = true;
		if (!fds[0].revents)
			continue;
		if (!(fds[0].revents & POLLOUT))
			return; /* POLLERR, POLLNVAL: nobody to write to */
		/* Whole lines where they fit, so another thread's line cannot land inside one. */
		size_t chunk = len < PIPE_BUF ? len : PIPE_BUF;
		const char *nl = chunk < len ? memrchr(buf, '\n', chunk) : NULL;
		if (nl)
			chunk = (size_t)(nl - buf) + 1;
		ssize_t n = stderr_write_nowait(k->fd, buf, chunk);
		if (n < 0 && errno != EINTR)
			return;
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
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
		sink_out(k, buf, len, what);
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
	char *tmp;
	FILE *f;

	*j = (struct json_out){.path = path};
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
	 * --stats-json f): it has 2 s. The writes at exit may block, as a report
	 * fits a pipe's buffer.
	 */
	int fd;
	for (int tries = 0;; tries++) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0666);
		if (fd >= 0 || errno != ENXIO || tries == 40)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
	}
	if (fd < 0)
		return -errno;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    !(j->in_place = fdopen(fd, "w"))) {
		int e = errno;
		close(fd);
		return -e;
	}
	return 0;
}

bool json_out_write(struct json_out *j, struct vm_report *rep)
{
	char *tmp = NULL;
	FILE *f = j->replace ? json_tmp_create(j->path, &tmp) : j->in_place;
	bool ok = f != NULL;

	j->in_place = NULL;
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
	if (j->in_place)
		fclose(j->in_place);
	j->in_place = NULL;
	free(j->resolved);
	j->resolved = NULL;
}
