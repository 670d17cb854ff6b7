// SPDX-License-Identifier: MIT
/*
 * netcheck: proves that data crosses the NIC unchanged. Built static so the same binary runs in
 * the guest initramfs and in the rig's L1.
 *
 *   netcheck tcp-recv PORT BYTES SEED     accept one connection, read to EOF, compare with the
 *                                          seeded stream, print its checksum
 *   netcheck tcp-send HOST PORT BYTES SEED send BYTES of the seeded stream, print its checksum
 *   netcheck udp-echo PORT SEED            check every datagram against its size's pattern and
 *                                          send it back; ends on an empty datagram or when idle
 *   netcheck udp-send HOST PORT SEED       send each size 1..1472 and some up to 65507, wait
 *                                          for the echo, compare (resends a lost one)
 *
 * The data is a pure function of the seed (and the position or the size), so either side checks
 * every byte without the other's help; the printed sums let a test compare the two sides too.
 * Every wait is bounded: an idle socket fails after NC_IDLE_S seconds. Exit status 0 only when
 * every byte matched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NC_BLOCK	 65536 /* the TCP stream is made of blocks this long */
#define NC_IDLE_S	 60
#define NC_CONNECT_TRIES 300 /* 100 ms apart: the peer may still be starting */
#define NC_UDP_MAX	 65507
#define NC_UDP_TRIES	 5
#define NC_UDP_FIRST	 60 /* tries for the first datagram: the echo server may be starting */

struct sum {
	uint64_t h, n;
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Fills buf with the pattern for key; a block and a datagram differ only in their key. */
static void pattern(uint8_t *buf, size_t len, uint64_t seed, uint64_t key)
{
	uint64_t s = seed ^ (key * 0xd6e8feb86659fd93ull), w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		w = splitmix(&s);
		memcpy(buf + i, &w, 8);
	}
	if (i < len) {
		w = splitmix(&s);
		memcpy(buf + i, &w, len - i);
	}
}

/* FNV-1a over 64-bit words: the checksum both sides print for the bytes they saw. */
static void sum_add(struct sum *c, const uint8_t *p, size_t len)
{
	uint64_t w;
	size_t i;

	if (!c->n)
		c->h = 0xcbf29ce484222325ull;
	for (i = 0; i < len; i += 8) {
		w = 0;
		memcpy(&w, p + i, len - i < 8 ? len - i : 8);
		c->h = (c->h ^ w) * 0x100000001b3ull;
	}
	c->n += len;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fail(const char *what, const char *obj)
{
	fprintf(stderr, "netcheck: %s %s: %s\n", what, obj, strerror(errno));
	return -1;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return (errno || !*s || *end) ? -1 : 0;
}

static int addr_of(const char *host, const char *port, struct sockaddr_in *a)
{
	uint64_t p;

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	if (parse_u64(port, &p) || p == 0 || p > 65535) {
		fprintf(stderr, "netcheck: bad port '%s'\n", port);
		return -1;
	}
	a->sin_port = htons((uint16_t)p);
	if (!host) {
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
		fprintf(stderr, "netcheck: bad IPv4 address '%s'\n", host);
		return -1;
	}
	return 0;
}

static void set_timeouts(int fd, int secs)
{
	struct timeval tv = {.tv_sec = secs};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int bound_socket(int type, const struct sockaddr_in *a)
{
	int one = 1, fd = socket(AF_INET, type, 0);

	if (fd < 0)
		return fail("socket", type == SOCK_STREAM ? "tcp" : "udp");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)a, sizeof(*a)) < 0) {
		fail("bind", "port");
		close(fd);
		return -1;
	}
	set_timeouts(fd, NC_IDLE_S);
	return fd;
}

static int tcp_recv(char **av)
{
	static uint8_t got[NC_BLOCK], want[NC_BLOCK];
	struct sockaddr_in a;
	struct pollfd pfd;
	uint64_t bytes, seed, block = 0, bad_at = UINT64_MAX;
	struct sum c = {0};
	size_t fill = 0;
	double t0;
	ssize_t r;
	int lfd, fd;

	if (addr_of(NULL, av[0], &a) || parse_u64(av[1], &bytes) || parse_u64(av[2], &seed))
		return 2;
	lfd = bound_socket(SOCK_STREAM, &a);
	if (lfd < 0 || listen(lfd, 1) < 0)
		return fail("listen", av[0]), 1;
	printf("netcheck: tcp-recv listening on %s\n", av[0]);
	fflush(stdout);
	pfd = (struct pollfd){.fd = lfd, .events = POLLIN};
	if (poll(&pfd, 1, NC_IDLE_S * 1000) != 1)
		return fprintf(stderr, "netcheck: tcp-recv: nobody connected\n"), 1;
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return fail("accept", av[0]), 1;
	set_timeouts(fd, NC_IDLE_S);
	t0 = now_s();
	for (;;) {
		r = read(fd, got + fill, NC_BLOCK - fill);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail("read", "tcp stream"), 1;
		fill += (size_t)r;
		if (fill == NC_BLOCK || (r == 0 && fill)) {
			/* Summed per block, as the sender does: reads split words anywhere. */
			sum_add(&c, got, fill);
			pattern(want, fill, seed, block);
			if (bad_at == UINT64_MAX && memcmp(got, want, fill))
				for (size_t i = 0; i < fill && bad_at == UINT64_MAX; i++)
					if (got[i] != want[i])
						bad_at = block * NC_BLOCK + i;
			block++;
			fill = 0;
		}
		if (r == 0)
			break;
	}
	double secs = now_s() - t0;
	printf("netcheck: tcp-recv bytes=%llu sum=%016llx secs=%.1f MBps=%.1f %s\n",
	       (unsigned long long)c.n, (unsigned long long)c.h, secs,
	       secs > 0 ? (double)c.n / secs / 1e6 : 0.0,
	       c.n != bytes	      ? "SHORT"
	       : bad_at != UINT64_MAX ? "MISMATCH"
				      : "identical");
	if (bad_at != UINT64_MAX)
		printf("netcheck: first difference at byte %llu\n", (unsigned long long)bad_at);
	close(fd);
	close(lfd);
	return c.n == bytes && bad_at == UINT64_MAX ? 0 : 1;
}

static int connect_retry(int type, const struct sockaddr_in *a, const char *host)
{
	for (int i = 0; i < NC_CONNECT_TRIES; i++) {
		int fd = socket(AF_INET, type, 0);

		if (fd < 0)
			return fail("socket", host);
		if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) == 0) {
			set_timeouts(fd, NC_IDLE_S);
			return fd;
		}
		if (errno != ECONNREFUSED && errno != ENETUNREACH && errno != EHOSTUNREACH &&
		    errno != ETIMEDOUT) {
			fail("connect", host);
			close(fd);
			return -1;
		}
		close(fd);
		usleep(100000);
	}
	return fail("connect (retried 30 s)", host);
}

static int tcp_send(char **av)
{
	static uint8_t buf[NC_BLOCK];
	struct sockaddr_in a;
	uint64_t bytes, seed, block = 0, left;
	struct sum c = {0};
	double t0;
	int fd;

	if (addr_of(av[0], av[1], &a) || parse_u64(av[2], &bytes) || parse_u64(av[3], &seed))
		return 2;
	fd = connect_retry(SOCK_STREAM, &a, av[0]);
	if (fd < 0)
		return 1;
	t0 = now_s();
	for (left = bytes; left; block++) {
		size_t n = left < NC_BLOCK ? (size_t)left : NC_BLOCK, off = 0;

		pattern(buf, n, seed, block);
		sum_add(&c, buf, n);
		while (off < n) {
			ssize_t w = write(fd, buf + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return fail("write", "tcp stream"), 1;
			off += (size_t)w;
		}
		left -= n;
	}
	/* An orderly close: the receiver sees EOF after the last byte. */
	if (shutdown(fd, SHUT_WR) < 0)
		return fail("shutdown", "tcp stream"), 1;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	double secs = now_s() - t0;
	printf("netcheck: tcp-send bytes=%llu sum=%016llx secs=%.1f MBps=%.1f\n",
	       (unsigned long long)c.n, (unsigned long long)c.h, secs,
	       secs > 0 ? (double)c.n / secs / 1e6 : 0.0);
	close(fd);
	return 0;
}

static int udp_echo(char **av)
{
	static uint8_t got[NC_UDP_MAX + 1], want[NC_UDP_MAX], seen[NC_UDP_MAX + 1];
	struct sockaddr_in a, from;
	socklen_t fl;
	uint64_t seed, n = 0, bad = 0;
	struct sum c = {0};
	ssize_t r;
	int fd;

	if (addr_of(NULL, av[0], &a) || parse_u64(av[1], &seed))
		return 2;
	fd = bound_socket(SOCK_DGRAM, &a);
	if (fd < 0)
		return 1;
	printf("netcheck: udp-echo listening on %s\n", av[0]);
	fflush(stdout);
	for (;;) {
		fl = sizeof(from);
		r = recvfrom(fd, got, sizeof(got), 0, (struct sockaddr *)&from, &fl);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail("recvfrom", "udp (idle)");
			break;
		}
		if (r == 0) {
			sendto(fd, got, 0, 0, (struct sockaddr *)&from, fl);
			break;
		}
		n++;
		pattern(want, (size_t)r, seed, (uint64_t)r);
		if (r > NC_UDP_MAX || memcmp(got, want, (size_t)r)) {
			bad++;
			continue; /* no echo: the sender counts it lost */
		}
		/* Once per size, as the sender sums: a resent datagram is not new data. */
		if (!seen[r]) {
			seen[r] = 1;
			sum_add(&c, got, (size_t)r);
		}
		if (sendto(fd, got, (size_t)r, 0, (struct sockaddr *)&from, fl) != r)
			fail("sendto", "udp echo");
	}
	printf("netcheck: udp-echo datagrams=%llu bad=%llu bytes=%llu sum=%016llx %s\n",
	       (unsigned long long)n, (unsigned long long)bad, (unsigned long long)c.n,
	       (unsigned long long)c.h, r == 0 && !bad ? "identical" : "FAILED");
	close(fd);
	return r == 0 && !bad ? 0 : 1;
}

/* Sends one datagram and waits for its echo; 1 = echoed intact, 0 = lost, -1 = error. */
static int udp_round(int fd, const uint8_t *out, size_t len, uint8_t *in, uint64_t *stale)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	double end = now_s() + 1.0;
	ssize_t r;

	if (send(fd, out, len, 0) != (ssize_t)len && errno != ECONNREFUSED)
		return fail("send", "udp"), -1;
	for (;;) {
		int ms = (int)((end - now_s()) * 1000);

		if (ms <= 0 || poll(&pfd, 1, ms) != 1)
			return 0;
		r = recv(fd, in, NC_UDP_MAX + 1, 0);
		if (r < 0 && (errno == ECONNREFUSED || errno == EINTR))
			continue; /* an ICMP error from before the server listened */
		if (r < 0)
			return fail("recv", "udp"), -1;
		if ((size_t)r == len && !memcmp(in, out, len))
			return 1;
		(*stale)++; /* an echo of an earlier try, or damaged */
	}
}

static int udp_send(char **av)
{
	static uint8_t out[NC_UDP_MAX], in[NC_UDP_MAX + 1];
	static const size_t big[] = {1473, 1480,  1500,	 2000,	2952,  2953,  4096, 8192,
				     9000, 16384, 32768, 50000, 65000, 65506, 65507};
	size_t nsizes = 1472 + sizeof(big) / sizeof(big[0]);
	struct sockaddr_in a;
	uint64_t seed, resent = 0, stale = 0, lost = 0;
	struct sum c = {0};
	double t0;
	int fd, r = 0;

	if (addr_of(av[0], av[1], &a) || parse_u64(av[2], &seed))
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&a, sizeof(a)) < 0)
		return fail("connect", av[0]), 1;
	t0 = now_s();
	for (size_t i = 0; i < nsizes; i++) {
		size_t len = i < 1472 ? i + 1 : big[i - 1472];
		int tries = i == 0 ? NC_UDP_FIRST : NC_UDP_TRIES;

		pattern(out, len, seed, len);
		for (int t = 0; t < tries; t++) {
			r = udp_round(fd, out, len, in, &stale);
			if (r != 0)
				break;
			if (i)
				resent++;
		}
		if (r < 0)
			break;
		if (r == 0) {
			lost++;
			printf("netcheck: udp size %zu: no intact echo after %d tries\n", len,
			       tries);
		} else {
			sum_add(&c, out, len);
		}
	}
	/* The empty datagram ends the echo server; its own empty reply is not waited for long. */
	for (int t = 0; t < 3 && r >= 0; t++)
		if (udp_round(fd, out, 0, in, &stale) == 1)
			break;
	printf("netcheck: udp-send sizes=%zu bytes=%llu sum=%016llx resent=%llu stale=%llu "
	       "lost=%llu secs=%.1f %s\n",
	       nsizes, (unsigned long long)c.n, (unsigned long long)c.h, (unsigned long long)resent,
	       (unsigned long long)stale, (unsigned long long)lost, now_s() - t0,
	       r >= 0 && !lost ? "identical" : "FAILED");
	close(fd);
	return r >= 0 && !lost ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int nargs;
		int (*fn)(char **av);
	} modes[] = {
	    {"tcp-recv", 3, tcp_recv},
	    {"tcp-send", 4, tcp_send},
	    {"udp-echo", 2, udp_echo},
	    {"udp-send", 3, udp_send},
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name) && argc == modes[i].nargs + 2)
			return modes[i].fn(argv + 2);
	fprintf(stderr, "usage: netcheck tcp-recv PORT BYTES SEED | tcp-send HOST PORT BYTES SEED\n"
			"                | udp-echo PORT SEED | udp-send HOST PORT SEED\n");
	return 2;
}
