// SPDX-License-Identifier: MIT
/*
 * ringpoke: plays a host that breaks the ring protocol, so tests/e2e/net.sh can
 * check what the guest driver does about it (suite "hostile"). It works on a
 * running snvmm from outside: the NIC's shared region is a memfd that snvmm
 * keeps open, so /proc/PID/fd gives the same pages, and ptrace holds the
 * net-worker thread alone (the vCPUs run on) while the ring is written behind
 * its back or while the guest waits for it.
 *
 *   ringpoke PID rx-bad-id SECS  complete an RX buffer that is not in flight (id
 *                                0xffff), then hold the worker, so no completion of its
 *                                own overwrites that one, until the driver asks for a
 *                                reset (it met it) or SECS seconds pass
 *   ringpoke PID hold SECS       hold the worker for SECS seconds (a reset answered late)
 *
 * RX, because its queue always has buffers in flight: a completion on an idle
 * TX queue would run ahead of what the driver posted, which it checks first.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "snnet.h"
#include "snring.h"

static void die(const char *what)
{
	fprintf(stderr, "ringpoke: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fail(const char *what)
{
	fprintf(stderr, "ringpoke: %s\n", what);
	exit(1);
}

/* The thread of pid whose name is comm. */
static pid_t find_thread(pid_t pid, const char *comm)
{
	char path[64], name[32];
	struct dirent *d;
	DIR *dir;
	pid_t tid = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (!(dir = opendir(path)))
		die(path);
	while (!tid && (d = readdir(dir))) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/comm", pid, d->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(name, sizeof(name), f) && !strcmp(strtok(name, "\n"), comm))
			tid = atoi(d->d_name);
		fclose(f);
	}
	closedir(dir);
	if (!tid)
		fail("snvmm has no net-worker thread");
	return tid;
}

/* Stops one thread; the rest of the process runs on. */
static void hold(pid_t tid)
{
	int st;

	if (ptrace(PTRACE_SEIZE, tid, 0, 0) || ptrace(PTRACE_INTERRUPT, tid, 0, 0))
		die("ptrace");
	if (waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st))
		die("waiting for net-worker to stop");
}

static void release(pid_t tid)
{
	if (ptrace(PTRACE_DETACH, tid, 0, 0))
		die("ptrace detach");
}

/* Maps the NIC's shared region: the fd of snvmm's that names its memfd. */
static uint8_t *map_region(pid_t pid, size_t *size)
{
	char path[64], target[256];
	struct dirent *d;
	struct stat st;
	DIR *dir;
	void *p;
	int fd = -1;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	if (!(dir = opendir(path)))
		die(path);
	while (fd < 0 && (d = readdir(dir))) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/fd/%.16s", pid, d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strncmp(target, "/memfd:snvmm-net", 16))
			fd = open(path, O_RDWR);
	}
	closedir(dir);
	if (fd < 0)
		fail("no snvmm-net memfd among snvmm's files");
	if (fstat(fd, &st) || (size_t)st.st_size < SNNET_CONFIG_SIZE)
		fail("the shared region is too small");
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	close(fd);
	*size = st.st_size;
	return p;
}

/* Writes an RX completion for id 0xffff (no slot has it) and publishes it. */
static void rx_bad_id(uint8_t *region, size_t size)
{
	struct snnet_config *cfg = (struct snnet_config *)region;
	uint32_t off = snring_le32_to_cpu(cfg->ring_offset);
	uint32_t len = snring_le32_to_cpu(cfg->ring_size);
	struct snring_config geo;

	if (snring_le32_to_cpu(cfg->device_status) != SNNET_DEVICE_RUNNING)
		fail("the device is not running");
	if (off > size || len > size - off || snring_region_parse(region + off, len, &geo))
		fail("the ring region does not parse");
	struct snring_queue *q = snring_queue_at(region + off, geo.queue_size, SNRING_QUEUE_RX);
	struct snring_used *used = (struct snring_used *)&q->desc[geo.queue_size];
	uint32_t u = snring_le32_to_cpu(q->dev.used);

	if (snring_le32_to_cpu(q->drv.avail) == u)
		fail("no RX buffer in flight");

	used[u & (geo.queue_size - 1)] = (struct snring_used){.id = snring_cpu_to_le16(0xffff)};
	snring_store_release(&q->dev.used, snring_cpu_to_le32(u + 1));
	printf("ringpoke: RX used %u -> %u, id 0xffff\n", u, u + 1);
}

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[2], "rx-bad-id") && strcmp(argv[2], "hold"))) {
		fprintf(stderr, "usage: ringpoke PID rx-bad-id|hold SECS\n");
		return 2;
	}
	pid_t pid = atoi(argv[1]);
	pid_t tid = find_thread(pid, "net-worker");
	uint8_t *region = NULL;
	size_t size = 0;

	if (!strcmp(argv[2], "rx-bad-id"))
		region = map_region(pid, &size);
	hold(tid);
	if (region) {
		/*
		 * Until the driver writes status 0: a reset, which it asks for only
		 * once it has met the bad completion. A fixed time would have to
		 * outlast a guest that is slow to look (its NAPI runs at the next
		 * ping's reclaim timer) yet not outlast the reset's own wait.
		 */
		struct snnet_config *cfg = (struct snnet_config *)region;
		const struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
		int n = 0, limit = atoi(argv[3]) * 100;

		rx_bad_id(region, size);
		while (snring_le32_to_cpu(snring_load_acquire(&cfg->status)) != 0 && n < limit) {
			nanosleep(&tick, NULL);
			n++;
		}
		printf("ringpoke: net-worker %d held for %.2f s, %s\n", tid, n / 100.0,
		       n < limit ? "until the driver asked for a reset" : "and no reset came");
	} else {
		printf("ringpoke: net-worker %d held for %s s\n", tid, argv[3]);
		fflush(stdout);
		sleep(atoi(argv[3]));
	}
	release(tid);
	printf("ringpoke: net-worker released\n");
	return 0;
}
