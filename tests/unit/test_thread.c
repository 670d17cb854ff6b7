// SPDX-License-Identifier: MIT
/*
 * --pin: what thread_pins_parse() accepts and refuses, and that thread_start()
 * starts a pinned thread on its CPU alone and an unpinned one with this
 * process's whole CPU set, each already under its name when it starts (all
 * asked from inside the thread, first thing).
 */
#include "check.h"
#include "thread.h"

#include <sched.h>
#include <string.h>

struct seen {
	cpu_set_t cpus;
	char name[THREAD_NAME_MAX];
};

static void *report(void *arg)
{
	struct seen *s = arg;

	pthread_getname_np(pthread_self(), s->name, sizeof(s->name));
	sched_getaffinity(0, sizeof(s->cpus), &s->cpus);
	return NULL;
}

/* The first and last CPUs this process may use. */
static void allowed_range(int *first, int *last)
{
	cpu_set_t set;

	sched_getaffinity(0, sizeof(set), &set);
	*first = *last = -1;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (*first < 0)
			*first = c;
		*last = c;
	}
}

static void test_parse(void)
{
	struct thread_pins p = {0};
	char arg[64];
	int first, last;

	allowed_range(&first, &last);
	snprintf(arg, sizeof(arg), "vcpu0=%d,net-worker=%d", first, last);
	CHECK_EQ(thread_pins_parse(&p, arg), 0);
	CHECK_EQ(p.n, 2);
	CHECK_EQ(thread_pins_cpu(&p, "vcpu0"), first);
	CHECK_EQ(thread_pins_cpu(&p, "net-worker"), last);
	CHECK_EQ(thread_pins_cpu(&p, "vcpu1"), -1);
	CHECK_EQ(thread_pins_cpu(NULL, "vcpu0"), -1);
	/* A second --pin adds to the first; naming a thread again is refused. */
	snprintf(arg, sizeof(arg), "serial-in=%d", first);
	CHECK_EQ(thread_pins_parse(&p, arg), 0);
	CHECK_EQ(p.n, 3);
	snprintf(arg, sizeof(arg), "vcpu0=%d", last);
	CHECK(thread_pins_parse(&p, arg) < 0);

	const char *bad[] = {"",
			     "vcpu0",
			     "=1",
			     "vcpu0=",
			     "vcpu0=x",
			     "vcpu0=-1",
			     "vcpu0=1x",
			     "vcpu0= 1",
			     "vcpu0=1024",
			     "vcpu0=99999999999999999999",
			     "a-name-of-16-chr=0"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct thread_pins q = {0};

		CHECK(thread_pins_parse(&q, bad[i]) < 0);
		CHECK_EQ(q.n, 0);
	}
	/* A CPU outside this process's set: found by restricting the set to one CPU. */
	if (first != last) {
		cpu_set_t all, one;
		struct thread_pins q = {0};

		sched_getaffinity(0, sizeof(all), &all);
		CPU_ZERO(&one);
		CPU_SET(first, &one);
		sched_setaffinity(0, sizeof(one), &one);
		snprintf(arg, sizeof(arg), "vcpu0=%d", last);
		CHECK(thread_pins_parse(&q, arg) < 0);
		sched_setaffinity(0, sizeof(all), &all);
	}
	/* THREAD_PINS_MAX entries fit, one more does not. */
	struct thread_pins full = {0};
	int r = 0;
	for (unsigned i = 0; i < THREAD_PINS_MAX && !r; i++) {
		snprintf(arg, sizeof(arg), "t%u=%d", i, first);
		r = thread_pins_parse(&full, arg);
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(full.n, THREAD_PINS_MAX);
	snprintf(arg, sizeof(arg), "one-more=%d", first);
	CHECK(thread_pins_parse(&full, arg) < 0);
}

static void test_start(void)
{
	struct thread_pins p = {0};
	struct seen pinned = {0}, free_ = {0};
	cpu_set_t all;
	pthread_t t;
	char arg[32];
	int first, last;

	allowed_range(&first, &last);
	sched_getaffinity(0, sizeof(all), &all);
	snprintf(arg, sizeof(arg), "pinned=%d", last);
	CHECK_EQ(thread_pins_parse(&p, arg), 0);

	CHECK_EQ(thread_start(&t, "pinned", &p, report, &pinned), 0);
	pthread_join(t, NULL);
	CHECK_EQ(CPU_COUNT(&pinned.cpus), 1);
	CHECK(CPU_ISSET(last, &pinned.cpus));
	CHECK(!strcmp(pinned.name, "pinned"));

	CHECK_EQ(thread_start(&t, "free", &p, report, &free_), 0);
	pthread_join(t, NULL);
	CHECK(CPU_EQUAL(&free_.cpus, &all));
	CHECK(!strcmp(free_.name, "free"));
}

int main(void)
{
	test_parse();
	test_start();
	return check_summary("test_thread");
}
