/* SPDX-License-Identifier: MIT */
/*
 * Getting reports out of snvmm without letting them hold the VM: stderr may
 * stall (a pipe or a terminal nobody reads) while the main thread, which
 * writes the reports, is also the one that hears the VM's end and the signals
 * that end it; and --stats-json is replaced whole, never seen in part.
 */
#ifndef SNVMM_REPORT_OUT_H
#define SNVMM_REPORT_OUT_H

#include <stdbool.h>
#include <stdio.h>

struct vm;
struct vm_report;

enum report_signal { SIGNAL_NONE, SIGNAL_SNAPSHOT, SIGNAL_STOP };

/*
 * Reads one signal from the (non-blocking) signalfd: SIGUSR1 asks for a
 * snapshot; the others stop the VM (vm_request_end), and say so.
 */
enum report_signal report_take_signal(struct vm *vm, int sig_fd);

/* stderr, for reports: reopened non-blocking where it is a terminal or a pipe. */
struct report_sink {
	struct vm *vm;
	struct vm_report *rep;
	int sig_fd;
	int fd; /* stderr reopened non-blocking (reopen_nonblocking(), log.h), or -1: fd 2
		   itself is then written, through write_nowait() */
	bool snapshot_pending; /* SIGUSR1 came while another report was written */
	bool gave_up;	       /* a stop signal ended a final report: no more of them */
};

enum report_kind {
	REPORT_LINE,	 /* the --stats-interval line, while the VM runs */
	REPORT_SNAPSHOT, /* the SIGUSR1 table, while the VM runs */
	REPORT_FINAL,	 /* the --stats table, after the VM's end */
};

void report_sink_open(struct report_sink *k, struct vm *vm, struct vm_report *rep, int sig_fd);
/*
 * Writes one report to stderr. A line or snapshot that stderr has not taken
 * when the VM ends is cut off there. A final report waits for stderr until a
 * stop signal (Ctrl-C again), which gives up it and every final report after
 * it, a --stats-json written in place included (gave_up).
 */
void report_sink_write(struct report_sink *k, enum report_kind what);
void report_sink_close(struct report_sink *k);

struct json_out {
	const char *path; /* FILE, or what it links to */
	char *resolved;
	int fd;	      /* FILE written where it is (json_out_open says when), else -1 */
	bool replace; /* written into a new file renamed over FILE */
};

/* Checks that FILE can be written, now, before a guest runs; 0 or -errno, nothing printed. */
int json_out_open(struct json_out *j, const char *path);
/*
 * Writes the report, after the VM's end; false when it could not be written
 * whole. Written in place (a FIFO, /dev/stdout), it goes out as k's final
 * report does: a stop signal gives it up.
 */
bool json_out_write(struct json_out *j, struct vm_report *rep, struct report_sink *k);
/* Ends a json_out, written or not (a run that ended before its report). */
void json_out_close(struct json_out *j);

#endif
