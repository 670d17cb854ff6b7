// SPDX-License-Identifier: MIT
/*
 * snvmm: the command line, building the VM, running it, and turning how the
 * guest ended into our exit status. The only file that calls exit().
 */
#include "acpi.h"
#include "boot.h"
#include "layout.h"
#include "log.h"
#include "report.h"
#include "report_out.h"
#include "vcpu.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

/* Exit statuses: documented in --help and README.md. */
enum {
	EXIT_POWEROFF = 0,
	EXIT_VMM_ERROR = 1,
	EXIT_BAD_INPUT = 2,
	EXIT_REBOOT = 3,
	EXIT_PANIC = 4,
	EXIT_CRASH = 5,
	EXIT_USER = 6,
};

#define DEFAULT_MEMORY_MIB 256
#define MIN_MEMORY_MIB	   16
#define MAX_MEMORY_MIB	   (1024 * 1024) /* 1 TiB */
#define MAX_CPUS	   64
#define MAX_FILE_SIZE	   (2ULL << 30)

/* Where the build leaves our initramfs, relative to the snvmm binary. */
#define DEFAULT_INITRD "initramfs/initramfs.cpio.gz"

/*
 * What every guest gets before the user's --append: the console on our UART,
 * a panic that ends the run at once (the pvpanic device has told us by then),
 * reboot through the ACPI reset register (a hardware-reduced platform would
 * otherwise make Linux try EFI, then jump to a BIOS we do not have), no
 * probing of hardware we do not have, and the TSC taken as reliable: where
 * the host has no invariant TSC to pass on, kvm-clock is the guest's clock
 * and Linux would still check the TSC against it twice a second, waking an
 * idle vCPU for a clock it does not use (in the rig, 23% of an idle guest's
 * exits). Where the host has one, Linux skips that check by itself.
 */
static const char default_cmdline[] =
    "console=ttyS0 panic=-1 reboot=acpi quiet 8250.nr_uarts=1 pci=off tsc=reliable";

struct options {
	struct vm_config vm;
	const char *raw_path;
	bool stats;		/* --stats: table on stderr at exit */
	const char *stats_json; /* --stats-json FILE */
	struct json_out json;
	bool json_failed; /* the report could not be written */
	unsigned stats_interval_ms;
	bool no_initrd;		       /* --no-initrd */
	char default_initrd[PATH_MAX]; /* what initrd_path points at when no --initrd was given */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: snvmm [options] KERNEL\n"
		"Boots KERNEL (a bzImage, or an ELF vmlinux with a PVH entry note) on KVM.\n"
		"\n"
		"  -i, --initrd FILE     initial ramdisk (default: our busybox initramfs,\n"
		"                        %s beside this snvmm binary)\n"
		"      --no-initrd       boot KERNEL with none (its built-in one, if any)\n"
		"  -a, --append CMDLINE  appended to the default command line:\n"
		"                        \"%s\"\n"
		"  -m, --memory MIB      guest RAM in MiB (default %d; above 3072 the rest goes\n"
		"                        above 4 GiB)\n"
		"  -c, --cpus N          vCPUs (default 1, at most %d)\n"
		"      --net tap=NAME[,mac=MAC][,poll=USEC|defer=USEC]\n"
		"                        our paravirtual NIC on tap NAME (created if absent);\n"
		"                        after work the worker keeps the guest's TX kick off\n"
		"                        for USEC: poll busy-polls, defer sleeps, then looks\n"
		"                        (default 0, at most 1000000)\n"
		"      --pin THREAD=CPU[,THREAD=CPU...]\n"
		"                        run snvmm's thread THREAD (vcpu0, vcpu1, ...,\n"
		"                        net-worker, serial-in) on host CPU CPU only\n"
		"      --raw FILE        run a flat 64-bit binary at 1 MiB instead of a kernel\n"
		"                        (the micro-guests in tests/guests)\n"
		"      --stats           print exit and device counters on stderr at exit\n"
		"      --stats-json FILE write the same counters as JSON to FILE at exit (a\n"
		"                        new file renamed over a regular FILE: no report, no\n"
		"                        change)\n"
		"      --stats-interval SECONDS\n"
		"                        print one line of rates (exits/s, exits per packet)\n"
		"                        on stderr every SECONDS; SIGUSR1 prints a snapshot\n"
		"  -h, --help            this text\n"
		"  -V, --version         version\n"
		"\n"
		"The console is COM1: guest output on stdout, stdin to the guest. When stdin is\n"
		"a terminal it is raw, and Ctrl-A x quits (Ctrl-A Ctrl-A sends Ctrl-A).\n"
		"\n"
		"Exit status: 0 guest powered off, 1 VMM error, 2 bad usage or input,\n"
		"3 guest rebooted, 4 guest panicked, 5 guest crashed (triple fault, KVM\n"
		"internal or entry error), 6 stopped by the user (Ctrl-A x, SIGINT, SIGTERM,\n"
		"SIGHUP).\n",
		DEFAULT_INITRD, default_cmdline, DEFAULT_MEMORY_MIB, MAX_CPUS);
}

static int bad_input(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_input(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("snvmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return EXIT_BAD_INPUT;
}

static bool parse_uint(const char *s, unsigned long long min, unsigned long long max,
		       unsigned long long *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/*
 * Whether this configuration starts a thread called name. In step with the
 * names given to thread_start() by vcpus_start() (vmm/vcpu.c, vcpuN),
 * serial_start() (devices/serial.c, serial-in) and net_start() (devices/net.c,
 * net-worker).
 */
static bool thread_exists(const struct vm_config *cfg, const char *name)
{
	unsigned long id;
	char *end;

	if (!strcmp(name, "serial-in"))
		return true;
	if (!strcmp(name, "net-worker"))
		return cfg->net_tap != NULL;
	if (strncmp(name, "vcpu", 4) || name[4] < '0' || name[4] > '9' ||
	    (name[4] == '0' && name[5]))
		return false;
	id = strtoul(name + 4, &end, 10);
	return !*end && id < cfg->ncpus;
}

/* --net tap=NAME[,mac=XX:XX:XX:XX:XX:XX][,poll=USEC|defer=USEC] */
static int parse_net(char *arg, struct vm_config *cfg)
{
	char *save = NULL;
	for (char *opt = strtok_r(arg, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		if (!strncmp(opt, "tap=", 4) && opt[4]) {
			const char *name = opt + 4;
			if (strlen(name) >= 16)
				return bad_input(
				    "--net: tap name '%s' is longer than 15 characters", name);
			/* What the kernel takes as an interface name (dev_valid_name). */
			if (!strcmp(name, ".") || !strcmp(name, "..") ||
			    strpbrk(name, "/: \t\n\v\f\r"))
				return bad_input(
				    "--net: '%s' is not an interface name (no '/', ':' "
				    "or spaces, not '.' or '..')",
				    name);
			cfg->net_tap = name;
		} else if (!strncmp(opt, "mac=", 4)) {
			unsigned m[6];
			char tail;
			if (sscanf(opt + 4, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3],
				   &m[4], &m[5], &tail) != 6 ||
			    (m[0] & 1))
				return bad_input("--net: '%s' is not a unicast MAC address",
						 opt + 4);
			for (int i = 0; i < 6; i++)
				cfg->net_mac[i] = (uint8_t)m[i];
			cfg->net_mac_set = true;
		} else if (!strncmp(opt, "poll=", 5) || !strncmp(opt, "defer=", 6)) {
			uint32_t *window = opt[0] == 'p' ? &cfg->net_poll_us : &cfg->net_defer_us;
			unsigned long long us;
			if (!parse_uint(strchr(opt, '=') + 1, 0, 1000000, &us))
				return bad_input("--net: %s is not 0..1000000 microseconds", opt);
			*window = (uint32_t)us;
		} else {
			return bad_input("--net: unknown setting '%s' (expected "
					 "tap=NAME[,mac=MAC][,poll=USEC|defer=USEC])",
					 opt);
		}
	}
	if (!cfg->net_tap)
		return bad_input("--net needs tap=NAME");
	if (cfg->net_poll_us && cfg->net_defer_us)
		return bad_input("--net: poll= and defer= exclude each other");
	return 0;
}

/* getopt's short options; the leading ':' asks it to tell a missing value apart. */
static const char short_opts[] = ":i:a:m:c:hV";

/*
 * getopt's '?' for arg: an unknown option, a short one in a cluster (optopt),
 * or a known long option given a value it takes none of (--stats=1).
 */
static int bad_option(const char *arg)
{
	/*
	 * For a long option given a value, getopt_long sets optopt to its val:
	 * >= 256 for a long-only OPT_*, the letter for one with a short form
	 * (--help=1 gives 'h').
	 */
	bool long_given_value = optopt >= 256 || (optopt > 0 && optopt != ':' && arg[0] == '-' &&
						  arg[1] == '-' && strchr(short_opts, optopt));

	if (long_given_value) {
		int len = (int)strcspn(arg, "=");
		return bad_input("option '%.*s' takes no value (try --help)", len, arg);
	}
	if (optopt > 0)
		return bad_input("unknown option '-%c' (try --help)", optopt);
	return bad_input("unknown option '%s' (try --help)", arg);
}

/*
 * Without --initrd a kernel gets our initramfs, so that `./snvmm bzImage` boots
 * to a shell as the README promises; a stock kernel without one panics for want
 * of a root file system, as there is no disk to mount. It is looked for beside
 * the binary (/proc/self/exe, links resolved), not in the working directory,
 * so snvmm behaves the same wherever it is started from. NULL when the build's
 * initramfs is not there (snvmm copied elsewhere): the kernel then gets none.
 */
static const char *find_default_initrd(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe));
	char *slash;

	if (n <= 0 || n >= (ssize_t)sizeof(exe)) /* none, or cut short */
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	if ((size_t)snprintf(buf, size, "%s/%s", exe, DEFAULT_INITRD) >= size)
		return NULL;
	return access(buf, F_OK) == 0 ? buf : NULL;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_RAW = 256,
		OPT_NO_INITRD,
		OPT_STATS,
		OPT_STATS_JSON,
		OPT_STATS_INTERVAL,
		OPT_NET,
		OPT_PIN
	};
	static const struct option longopts[] = {
	    {"initrd", required_argument, NULL, 'i'},
	    {"no-initrd", no_argument, NULL, OPT_NO_INITRD},
	    {"append", required_argument, NULL, 'a'},
	    {"memory", required_argument, NULL, 'm'},
	    {"cpus", required_argument, NULL, 'c'},
	    {"raw", required_argument, NULL, OPT_RAW},
	    {"net", required_argument, NULL, OPT_NET},
	    {"pin", required_argument, NULL, OPT_PIN},
	    {"stats", no_argument, NULL, OPT_STATS},
	    {"stats-json", required_argument, NULL, OPT_STATS_JSON},
	    {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	unsigned long long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->json.fd = -1; /* json_out_open runs only for --stats-json; close() must not take fd 0 */
	o->vm.ram_mib = DEFAULT_MEMORY_MIB;
	o->vm.ncpus = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->vm.initrd_path = optarg;
			break;
		case OPT_NO_INITRD:
			o->no_initrd = true;
			break;
		case 'a':
			o->vm.append = optarg;
			break;
		case 'm':
			if (!parse_uint(optarg, MIN_MEMORY_MIB, MAX_MEMORY_MIB, &v))
				return bad_input("--memory '%s': expected MiB from %d to %d",
						 optarg, MIN_MEMORY_MIB, MAX_MEMORY_MIB);
			o->vm.ram_mib = v;
			break;
		case 'c':
			if (!parse_uint(optarg, 1, MAX_CPUS, &v))
				return bad_input("--cpus '%s': expected 1 to %d", optarg, MAX_CPUS);
			o->vm.ncpus = (unsigned)v;
			break;
		case OPT_RAW:
			o->raw_path = optarg;
			break;
		case OPT_NET:
			if (o->vm.net_tap)
				return bad_input("--net given twice: one NIC per VM");
			if (parse_net(optarg, &o->vm))
				return EXIT_BAD_INPUT;
			break;
		case OPT_PIN:
			if (thread_pins_parse(&o->vm.pins, optarg))
				return EXIT_BAD_INPUT;
			break;
		case OPT_STATS:
			o->stats = true;
			break;
		case OPT_STATS_JSON:
			o->stats_json = optarg;
			break;
		case OPT_STATS_INTERVAL: {
			char *end;
			errno = 0;
			double sec = strtod(optarg, &end);
			if (errno || *end || !(sec >= 0.1 && sec <= 3600))
				return bad_input("--stats-interval '%s': expected seconds from 0.1 "
						 "to 3600",
						 optarg);
			o->stats_interval_ms = (unsigned)(sec * 1000);
			break;
		}
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			printf("snvmm %s\n", SNVMM_VERSION);
			return -1;
		case ':':
			return bad_input("option '%s' needs a value (try --help)",
					 argv[optind - 1]);
		default:
			return bad_option(argv[optind - 1]);
		}
	}
	for (unsigned i = 0; i < o->vm.pins.n; i++) {
		char vcpus[32] = "vcpu0";

		if (thread_exists(&o->vm, o->vm.pins.pin[i].name))
			continue;
		if (o->vm.ncpus > 1)
			snprintf(vcpus, sizeof(vcpus), "vcpu0..vcpu%u", o->vm.ncpus - 1);
		return bad_input("--pin: no thread '%s' in this VM (it has %s, serial-in%s)",
				 o->vm.pins.pin[i].name, vcpus,
				 o->vm.net_tap ? ", net-worker" : "");
	}
	if (o->no_initrd && o->vm.initrd_path)
		return bad_input("--initrd and --no-initrd: give one");
	if (o->raw_path) {
		if (optind != argc)
			return bad_input("--raw takes no KERNEL argument");
		if (o->vm.initrd_path || o->no_initrd || o->vm.append)
			return bad_input("--raw runs a flat binary: --initrd, --no-initrd and "
					 "--append do not apply");
	} else {
		if (optind == argc)
			return bad_input("no KERNEL given (try --help)");
		if (optind + 1 != argc)
			return bad_input("unexpected argument '%s' after KERNEL", argv[optind + 1]);
		o->vm.kernel_path = argv[optind];
		if (!o->vm.initrd_path && !o->no_initrd)
			o->vm.initrd_path =
			    find_default_initrd(o->default_initrd, sizeof(o->default_initrd));
	}
	int r = o->stats_json ? json_out_open(&o->json, o->stats_json) : 0;
	if (r)
		return bad_input("--stats-json '%s': %s", o->stats_json,
				 r == -ENXIO ? "a FIFO nobody opened for reading within 2 s"
					     : strerror(-r));
	return 0;
}

/* Reads a whole regular file; on failure prints the one line and returns -1. */
static int read_file(const char *what, const char *path, uint8_t **data, size_t *size)
{
	struct stat st;
	/* Non-blocking: a FIFO would otherwise hold the open until a writer came (and the stop
	 * signals are blocked already). It is refused below; a regular file ignores the flag. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return bad_input("%s '%s': %s", what, path, strerror(errno)), -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return bad_input("%s '%s': not a regular file", what, path), -1;
	}
	if (st.st_size == 0 || (unsigned long long)st.st_size > MAX_FILE_SIZE) {
		close(fd);
		return bad_input("%s '%s': %s", what, path,
				 st.st_size
				     ? "larger than 2 GiB"
				     : "size 0 (empty, or a file with no size, as in /proc)"),
		       -1;
	}
	uint8_t *buf = malloc(st.st_size);
	if (!buf) {
		close(fd);
		return bad_input("%s '%s': no memory for its %lld bytes", what, path,
				 (long long)st.st_size),
		       -1;
	}
	size_t got = 0;
	int err = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : 0;
			break;
		}
		got += n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(buf);
		return bad_input("%s '%s': %s", what, path,
				 err ? strerror(err)
				     : "shorter than its size (changed while read?)"),
		       -1;
	}
	*data = buf;
	*size = got;
	return 0;
}

static int build_cmdline(const char *append, char **out)
{
	size_t n = sizeof(default_cmdline) + (append ? strlen(append) + 1 : 0);
	char *s = malloc(n);
	if (!s)
		return -ENOMEM;
	snprintf(s, n, "%s%s%s", default_cmdline, append ? " " : "", append ? append : "");
	*out = s;
	return 0;
}

/* A micro-guest: flat code at 1 MiB, entered in long mode with the boot page tables. */
static int load_raw(struct vm *vm, const uint8_t *img, size_t size, struct boot_regs *regs)
{
	uint8_t *dst = guest_ptr(&vm->mem, HIMEM_START, size);
	if (!dst)
		return bad_input("--raw image of %zu bytes does not fit in guest RAM", size), -1;
	memcpy(dst, img, size);
	memset(regs, 0, sizeof(*regs));
	if (boot_x86_long_mode(&vm->mem, regs) < 0)
		return bad_input("--raw: cannot build boot page tables"), -1;
	regs->entry = BOOT_ENTRY_LINUX64;
	regs->rip = HIMEM_START;
	regs->rsp = EBDA_START & ~0xfULL;
	return 0;
}

static int load_guest(struct vm *vm, const struct options *o, struct boot_regs *regs)
{
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t kernel_size = 0, initrd_size = 0;
	char *cmdline = NULL;
	char err[256];
	int status = EXIT_BAD_INPUT;

	if (o->raw_path) {
		if (read_file("micro-guest", o->raw_path, &kernel, &kernel_size) == 0 &&
		    load_raw(vm, kernel, kernel_size, regs) == 0)
			status = 0;
		free(kernel);
		return status;
	}
	if (read_file("kernel", o->vm.kernel_path, &kernel, &kernel_size))
		goto out;
	if (o->vm.initrd_path && read_file("initrd", o->vm.initrd_path, &initrd, &initrd_size))
		goto out;
	if (build_cmdline(o->vm.append, &cmdline)) {
		status = EXIT_VMM_ERROR;
		goto out;
	}
	struct boot_config bc = {
	    .kernel = kernel,
	    .kernel_size = kernel_size,
	    .kernel_name = o->vm.kernel_path,
	    .initrd = initrd,
	    .initrd_size = initrd_size,
	    .initrd_name = o->vm.initrd_path,
	    .cmdline = cmdline,
	    .rsdp_addr = ACPI_TABLES_ADDR,
	};
	if (boot_load(&vm->mem, &bc, regs, err, sizeof(err)) < 0) {
		bad_input("%s", err);
		goto out;
	}
	status = 0;
out:
	free(kernel);
	free(initrd);
	free(cmdline);
	return status;
}

static int end_to_status(enum vm_end end)
{
	switch (end) {
	case VM_END_POWEROFF:
		return EXIT_POWEROFF;
	case VM_END_REBOOT:
		return EXIT_REBOOT;
	case VM_END_PANIC:
		return EXIT_PANIC;
	case VM_END_CRASH:
		return EXIT_CRASH;
	case VM_END_USER:
		return EXIT_USER;
	case VM_RUNNING:
	case VM_END_ERROR:
		break;
	}
	return EXIT_VMM_ERROR;
}

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/*
 * Waits for the guest to end or for a signal to end it, printing the interval
 * line and SIGUSR1 snapshots on the way (report_out.c: never held by stderr).
 * Interval lines keep to their own schedule, however many snapshots come
 * between them.
 */
static void wait_for_end(struct report_sink *k, unsigned interval_ms)
{
	struct vm *vm = k->vm;
	bool ticking = interval_ms && k->rep;
	uint64_t next = now_ms() + interval_ms;

	while (vm_end_reason(vm) == VM_RUNNING) {
		struct pollfd fds[2] = {{.fd = vm->end_eventfd, .events = POLLIN},
					{.fd = k->sig_fd, .events = POLLIN}};
		uint64_t t = now_ms();
		int n = poll(fds, 2, !ticking ? -1 : next > t ? (int)(next - t) : 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			vm_request_end(vm, VM_END_ERROR);
			break;
		}
		/* Signals first: writing the line below may read them itself. */
		if ((fds[1].revents & POLLIN) &&
		    report_take_signal(vm, k->sig_fd) == SIGNAL_SNAPSHOT && k->rep)
			report_sink_write(k, REPORT_SNAPSHOT);
		if (ticking && now_ms() >= next) {
			report_sink_write(k, REPORT_LINE);
			if (k->snapshot_pending) {
				k->snapshot_pending = false;
				report_sink_write(k, REPORT_SNAPSHOT);
			}
			next += interval_ms;
			if (next <= now_ms()) /* a stalled stderr: no burst of late lines */
				next = now_ms() + interval_ms;
		}
	}
}

/* The signals that stop the VM (SIGINT, SIGTERM, SIGHUP) or ask for a stats snapshot. */
static void vmm_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
}

static int run_vm(struct vm *vm, struct options *o, const struct boot_regs *regs)
{
	int r;

	if ((r = vm_open_kvm(vm)))
		return r == VM_BAD_CONFIG ? EXIT_BAD_INPUT : EXIT_VMM_ERROR;
	/* Said only for a kernel about to boot (KVM open), so that a refusal stays one line. */
	if (!o->raw_path && !o->vm.initrd_path && !o->no_initrd)
		fprintf(stderr,
			"snvmm: no initramfs beside this binary (%s); booting the kernel with "
			"none (--initrd FILE gives one, --no-initrd says none is meant)\n",
			o->default_initrd[0] ? o->default_initrd : DEFAULT_INITRD);
	if ((r = vcpus_create(vm)) || (r = vm_setup_devices(vm)))
		return EXIT_VMM_ERROR;

	struct acpi_config ac = {
	    .ncpus = vm->ncpus,
	    .devs = vm->acpi_devs,
	    .ndevs = vm->n_acpi_devs,
	};
	uint64_t rsdp;
	uint8_t *tables = guest_ptr(&vm->mem, ACPI_TABLES_ADDR, ACPI_TABLES_SIZE);
	if (!tables || acpi_build(tables, ACPI_TABLES_SIZE, ACPI_TABLES_ADDR, &ac, &rsdp) < 0 ||
	    rsdp != ACPI_TABLES_ADDR) {
		fprintf(stderr, "snvmm: building ACPI tables failed\n");
		return EXIT_VMM_ERROR;
	}
	if (vcpu_set_boot_state(&vm->vcpus[0], regs))
		return EXIT_VMM_ERROR;

	sigset_t sigs;
	vmm_signals(&sigs); /* blocked since main() began: only this signalfd sees them */
	/* Non-blocking: a report being written may have read the signal poll saw. */
	int sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0) {
		fprintf(stderr, "snvmm: signalfd: %s\n", strerror(errno));
		return EXIT_VMM_ERROR;
	}

	struct vm_report *rep = report_open(vm);
	struct report_sink sink;
	report_sink_open(&sink, vm, rep, sig_fd);
	if (vm_start_devices(vm) || vcpus_start(vm))
		vm_request_end(vm, VM_END_ERROR);
	wait_for_end(&sink, o->stats_interval_ms);
	vcpus_stop(vm);
	vm_stop_devices(vm);
	/* A stop signal from before the end is spent: only a later one gives the reports up. */
	while (report_take_signal(vm, sig_fd) != SIGNAL_NONE)
		;
	if (rep && o->stats)
		report_sink_write(&sink, REPORT_FINAL);
	if (rep && o->stats_json)
		o->json_failed = !json_out_write(&o->json, rep, &sink);
	report_sink_close(&sink);
	close(sig_fd);
	report_close(rep);
	return end_to_status(vm_end_reason(vm));
}

/*
 * Started with stdin, stdout or stderr closed, the first files we open would
 * take those numbers: the console would read the VM's end eventfd as input, or
 * write into the --stats-json file. They get /dev/null instead.
 */
static void fill_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
}

int main(int argc, char **argv)
{
	struct options o;
	struct vm vm;
	struct boot_regs regs;

	fill_std_fds();
	/*
	 * Blocked from the start, before any thread exists (threads inherit the
	 * mask): Ctrl-C while a big initrd loads then ends the run as any other
	 * stop by the user (status 6, through run_vm's signalfd), not by the
	 * signal itself.
	 */
	sigset_t sigs;
	vmm_signals(&sigs);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	/* Before --help: its text into a closed pipe is EPIPE, not death by signal. */
	signal(SIGPIPE, SIG_IGN);
	int r = parse_options(argc, argv, &o);
	if (r)
		return r < 0 ? 0 : r;
	o.vm.console_raw = isatty(STDIN_FILENO);
	o.vm.console_polled = o.raw_path != NULL;
	o.vm.pvm_host = host_is_pvm();

	r = vm_init(&vm, &o.vm);
	int status = r == VM_BAD_CONFIG ? EXIT_BAD_INPUT : r ? EXIT_VMM_ERROR : 0;
	if (status == 0)
		status = load_guest(&vm, &o, &regs);
	if (status == 0 && !o.raw_path && o.vm.pvm_host) {
		status =
		    bad_input("this host's /dev/kvm is KVM-PVM (no VMX/SVM), which cannot boot "
			      "a stock kernel; run 'make run' to boot it in the nested rig");
	}
	if (status == 0)
		status = run_vm(&vm, &o, &regs);
	vcpus_destroy(&vm);
	vm_destroy(&vm);
	json_out_close(&o.json);
	if (o.json_failed) {
		/* Never waiting: the stderr that stalled may be the report's own pipe (2>&1). */
		log_nowait("snvmm: writing --stats-json '%s' failed\n", o.stats_json);
		if (status == EXIT_POWEROFF)
			status = EXIT_VMM_ERROR;
	}
	exit(status);
}
