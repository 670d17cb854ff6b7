// SPDX-License-Identifier: MIT
/*
 * The terminal of `make run` in the rig (tests/rig/rig.sh --interactive):
 * carries this process's stdin to L1's console, QEMU's pipe chardev (the FIFOs
 * PIPE.in and PIPE.out), and the console's output to stdout, but holds every
 * byte typed or piped in until L1 has printed MARKER.
 *
 * Why hold it: QEMU's UART takes input from the moment QEMU starts. L1's 8250
 * driver clears the UART's FIFO when the console opens, losing the first
 * bytes, and L1's terminal, cooked, echoes the rest and edits them until
 * snvmm makes it raw. L1 prints MARKER once its console is raw and silent
 * (tests/rig/l1-init), so what follows waits in L1's tty, unechoed and whole,
 * for snvmm, which itself keeps input until the guest listens.
 *
 * A terminal on stdin is made raw (output processing kept, as QEMU's stdio
 * chardev does) and restored at the end, or at SIGHUP, SIGTERM or SIGQUIT.
 * The relay ends when process PID ends (QEMU, or the timeout(1) running it),
 * after copying what QEMU wrote last.
 *
 * Usage: console-relay PIPE MARKER PID. Exits 0, or 2 when it cannot start.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#define MARKER_MAX 256

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;

static void restore_terminal(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

/* tcsetattr is async-signal-safe; then the signal's own action, so the caller sees it. */
static void on_fatal_signal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int fail(const char *what, const char *arg)
{
	fprintf(stderr, "console-relay: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	restore_terminal();
	return 2;
}

static void make_terminal_raw(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio))
		return;
	t = saved_tio;
	/* Every key reaches L1 as typed: no signals, no echo, no line editing, no CR mapping. */
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tio_saved = 1;
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

/* Writes all of p to fd, waiting out EAGAIN (a stdout someone left non-blocking). */
static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EAGAIN) {
			struct pollfd q = {.fd = fd, .events = POLLOUT};

			poll(&q, 1, -1);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

struct relay {
	int from_l1, to_l1;
	const char *marker;
	size_t marker_len;
	char window[MARKER_MAX]; /* the last marker_len bytes of output, before release */
	size_t window_len;
	bool released;
	bool stdout_ok;	 /* false once stdout fails (a reader gone): output is then dropped */
	char pend[4096]; /* input read from stdin, not yet taken by the FIFO */
	size_t pend_off, pend_len;
	bool in_eof;
};

/* Looks for the marker in output, one byte at a time, across reads. */
static void watch_for_marker(struct relay *r, const char *p, size_t n)
{
	for (size_t i = 0; i < n && !r->released; i++) {
		if (r->window_len == r->marker_len) {
			memmove(r->window, r->window + 1, r->marker_len - 1);
			r->window_len--;
		}
		r->window[r->window_len++] = p[i];
		r->released = r->window_len == r->marker_len &&
			      memcmp(r->window, r->marker, r->marker_len) == 0;
	}
}

/* Copies what L1 wrote; false when the FIFO has nothing more for now. */
static bool copy_output(struct relay *r)
{
	char buf[4096];
	ssize_t got = read(r->from_l1, buf, sizeof(buf));

	if (got <= 0)
		return false;
	if (r->stdout_ok)
		r->stdout_ok = write_all(STDOUT_FILENO, buf, (size_t)got);
	watch_for_marker(r, buf, (size_t)got);
	return true;
}

/* Reads more input once the last is gone, and gives L1 what its FIFO takes. */
static void copy_input(struct relay *r)
{
	ssize_t n;

	if (!r->pend_len && !r->in_eof) {
		n = read(STDIN_FILENO, r->pend, sizeof(r->pend));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		if (n <= 0) {
			r->in_eof = true; /* end of input, or a terminal gone: L1 runs on */
			return;
		}
		r->pend_off = 0;
		r->pend_len = (size_t)n;
	}
	while (r->pend_len) {
		n = write(r->to_l1, r->pend + r->pend_off, r->pend_len);
		if (n < 0)
			return; /* EAGAIN: QEMU's UART is full; POLLOUT says when it drains */
		r->pend_off += (size_t)n;
		r->pend_len -= (size_t)n;
	}
}

int main(int argc, char **argv)
{
	struct relay r = {.stdout_ok = true};
	char in_path[PATH_MAX], out_path[PATH_MAX];
	struct sigaction sa = {.sa_handler = on_fatal_signal};
	char *end;
	long pid;
	int pidfd;

	if (argc != 4) {
		fprintf(stderr, "usage: console-relay PIPE MARKER PID\n");
		return 2;
	}
	if ((size_t)snprintf(in_path, sizeof(in_path), "%s.in", argv[1]) >= sizeof(in_path) ||
	    (size_t)snprintf(out_path, sizeof(out_path), "%s.out", argv[1]) >= sizeof(out_path))
		return fail("path too long", argv[1]);
	r.marker = argv[2];
	r.marker_len = strlen(r.marker);
	if (r.marker_len == 0 || r.marker_len > MARKER_MAX)
		return fail("MARKER must be 1 to 256 bytes", NULL);
	errno = 0;
	pid = strtol(argv[3], &end, 10);
	if (errno || *end || end == argv[3] || pid <= 0 || pid > INT_MAX)
		return fail("not a process ID", argv[3]);
	/* Readable once the process has ended, reaped or not (its parent waits for us first). */
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		return fail(strerror(errno), argv[3]);
	/* Read-write: opening a FIFO so never waits for the other end. */
	r.to_l1 = open(in_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (r.to_l1 < 0)
		return fail(strerror(errno), in_path);
	r.from_l1 = open(out_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (r.from_l1 < 0)
		return fail(strerror(errno), out_path);

	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a stdout reader gone: write fails, L1's output is dropped */
	make_terminal_raw();

	for (;;) {
		/* Input only once released: from stdin, or the last read's rest to the FIFO. */
		bool flushing = r.pend_len > 0;
		bool want_in = r.released && (flushing || !r.in_eof);
		struct pollfd p[3] = {
		    {.fd = pidfd, .events = POLLIN},
		    {.fd = r.from_l1, .events = POLLIN},
		    {.fd = -1, .events = flushing ? POLLOUT : POLLIN},
		};

		if (want_in)
			p[2].fd = flushing ? r.to_l1 : STDIN_FILENO;
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return fail(strerror(errno), "poll");
		}
		if (p[1].revents & POLLIN)
			copy_output(&r);
		if (p[2].revents)
			copy_input(&r);
		if (p[0].revents) {
			while (copy_output(&r))
				;
			break;
		}
	}
	restore_terminal();
	return 0;
}
