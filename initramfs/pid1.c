// SPDX-License-Identifier: MIT
/*
 * /init, PID 1 of the guest: starts /init.sh (initramfs/init: the setup, then
 * the snvmm.run command or a shell, then power-off) and does the one thing a
 * shell as PID 1 cannot. Busybox's poweroff, reboot and halt without -f ask
 * init to act by signalling PID 1 (SIGUSR2, SIGTERM, SIGUSR1); a shell has no
 * handler for them, so the kernel drops them and typing poweroff did nothing.
 * Here they end the VM as asked, halt as a power-off (a halted VM would only
 * sit there). Orphans are reaped, and a script that ends without powering off
 * powers off. Either way the console's last bytes go out first.
 *
 * `/init drain`, run by init.sh (not as PID 1), only waits for the console to
 * send what it holds: see init.sh's snvmm.run.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * reboot() does not wait for the console: what the tty still holds is lost,
 * and it may hold the last lines ("snvmm-run: exit=0"), as the UART's
 * transmit interrupt, the only thing that empties it, may be due on a CPU
 * that reboot() stops first. Nor does a hangup (below). It gives up after 2 s
 * in which nothing went out (30 s in all): a UART whose interrupt never comes
 * must not keep the VM alive, and a slow one (the nested rig's) must not lose
 * the tail of a long last line.
 */
static void drain_console(void)
{
	const struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_NONBLOCK), queued, last = -1;

	for (int i = 0, stuck = 0; fd >= 0 && i < 3000 && stuck < 200; i++) {
		if (ioctl(fd, TIOCOUTQ, &queued) != 0 || queued <= 0)
			break;
		stuck = last >= 0 && queued >= last ? stuck + 1 : 0;
		last = queued;
		nanosleep(&tick, NULL);
	}
	if (fd >= 0)
		close(fd);
}

static void end_vm(int how)
{
	sync();
	drain_console();
	reboot(how);
	perror("init: reboot");
}

int main(int argc, char **argv)
{
	sigset_t all;
	pid_t script, pid;
	int sig, status;

	if (argc == 2 && !strcmp(argv[1], "drain") && getpid() != 1) {
		drain_console();
		return 0;
	}
	/* Blocked signals reach PID 1 even without a handler: sigwait takes them. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	script = fork();
	if (script == 0) {
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		execl("/bin/sh", "sh", "/init.sh", (char *)NULL);
		perror("init: /init.sh");
		_exit(127);
	}
	if (script < 0) {
		perror("init: fork");
		end_vm(RB_POWER_OFF); /* nothing would ever run: not a VM that sits there */
	}
	for (;;) {
		if (sigwait(&all, &sig) != 0)
			continue;
		switch (sig) {
		case SIGUSR2: /* poweroff */
		case SIGUSR1: /* halt */
			end_vm(RB_POWER_OFF);
			break;
		case SIGTERM: /* reboot */
			end_vm(RB_AUTOBOOT);
			break;
		case SIGCHLD:
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
				if (pid == script)
					end_vm(RB_POWER_OFF);
			break;
		}
	}
}
