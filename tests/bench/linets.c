// SPDX-License-Identifier: MIT
// linets: runs a command with its stdout on a pipe, writes every line it prints prefixed with the
// milliseconds since the command was started, and reports when a line containing MARK first
// appeared and when the command exited. busybox's date has no sub-second resolution, and timing
// through a shell loop would add more latency than the boot under measurement.
//
// Usage: linets [-m MARK] [-o LOG] [-t SECONDS] CMD [ARGS...]
// Prints on stderr: "linets: ready_ms=<ms|-1> exit_ms=<ms> status=<n>", where n is the command's
// exit status, 128+signal when it was killed, or 124 when SECONDS expired (it gets SIGTERM, then
// SIGKILL 5 s later). Exits with n.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct line_state {
	const char *mark;
	FILE *log;
	double t0;
	double ready_ms;
	char buf[8192];
	size_t len;
	int at_line_start;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// A line longer than the buffer is written in pieces; only whole buffered text is searched for
// the mark, which is short, so a mark split across pieces is the only (harmless) miss.
static void flush_line(struct line_state *s, double t)
{
	s->buf[s->len] = '\0';
	if (s->ready_ms < 0 && s->mark && strstr(s->buf, s->mark))
		s->ready_ms = t - s->t0;
	if (s->log) {
		if (s->at_line_start)
			fprintf(s->log, "[%10.3f] ", t - s->t0);
		fputs(s->buf, s->log);
	}
	s->at_line_start = s->len > 0 && s->buf[s->len - 1] == '\n';
	s->len = 0;
}

static void take(struct line_state *s, const char *data, size_t n, double t)
{
	for (size_t i = 0; i < n; i++) {
		s->buf[s->len++] = data[i];
		if (data[i] == '\n' || s->len == sizeof(s->buf) - 1)
			flush_line(s, t);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: linets [-m MARK] [-o LOG] [-t SECONDS] CMD [ARGS...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct line_state s = {.ready_ms = -1, .at_line_start = 1};
	long limit_s = 0;
	int opt, fds[2], status = 0, killed = 0;
	double deadline = 0, kill_at = 0;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+m:o:t:")) != -1) {
		switch (opt) {
		case 'm':
			s.mark = optarg;
			break;
		case 'o':
			s.log = fopen(optarg, "w");
			if (!s.log) {
				fprintf(stderr, "linets: open %s: %s\n", optarg, strerror(errno));
				return 2;
			}
			// Line-buffered: a harness may poll the log for a line while the command
			// runs.
			setvbuf(s.log, NULL, _IOLBF, 0);
			break;
		case 't':
			limit_s = strtol(optarg, NULL, 10);
			if (limit_s <= 0)
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc)
		return usage();
	if (pipe2(fds, O_CLOEXEC) < 0) {
		fprintf(stderr, "linets: pipe: %s\n", strerror(errno));
		return 1;
	}
	s.t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "linets: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "linets: exec %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	if (limit_s)
		deadline = s.t0 + limit_s * 1e3;

	for (;;) {
		struct pollfd p = {.fd = fds[0], .events = POLLIN};
		char data[4096];
		int wait_ms = -1;
		double t = now_ms();

		if (deadline && !killed && t >= deadline) {
			kill(pid, SIGTERM);
			killed = 1;
			kill_at = t + 5000;
		}
		if (killed == 1 && t >= kill_at) {
			kill(pid, SIGKILL);
			killed = 2;
		}
		if (deadline && killed < 2)
			wait_ms = (int)((killed ? kill_at : deadline) - t) + 1;
		int r = poll(&p, 1, wait_ms);
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "linets: poll: %s\n", strerror(errno));
			break;
		}
		if (r <= 0)
			continue;
		ssize_t n = read(fds[0], data, sizeof(data));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; // every writer closed: the command (and its children) are done with
			       // stdout
		take(&s, data, (size_t)n, now_ms());
	}
	if (s.len)
		flush_line(&s, now_ms());
	// stdout closed but the command may still be running (it closed it, or a child holds it);
	// the time limit still applies.
	for (;;) {
		pid_t w = waitpid(pid, &status, deadline && killed < 2 ? WNOHANG : 0);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			fprintf(stderr, "linets: waitpid: %s\n", strerror(errno));
			return 1;
		}
		if (w == 0) {
			double t = now_ms();
			if (!killed && t >= deadline) {
				kill(pid, SIGTERM);
				killed = 1;
				kill_at = t + 5000;
			} else if (killed == 1 && t >= kill_at) {
				kill(pid, SIGKILL);
				killed = 2;
			}
			usleep(10000);
		}
	}
	double exit_ms = now_ms() - s.t0;
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (killed)
		rc = 124;
	if (s.log)
		fclose(s.log);
	fprintf(stderr, "linets: ready_ms=%.1f exit_ms=%.1f status=%d\n", s.ready_ms, exit_ms, rc);
	return rc;
}
