// SPDX-License-Identifier: MIT
#include "thread.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pin_error(const char *entry, const char *why)
{
	fprintf(stderr, "snvmm: --pin '%s': %s\n", entry, why);
	return -EINVAL;
}

/* One "NAME=CPU" of --pin, NUL-terminated in entry. */
static int parse_one(struct thread_pins *p, const char *entry, const cpu_set_t *allowed)
{
	const char *eq = strchr(entry, '=');
	struct thread_pin pin = {0};
	unsigned long cpu;
	char *end;

	if (!eq || eq == entry)
		return pin_error(entry, "expected THREAD=CPU");
	if ((size_t)(eq - entry) >= THREAD_NAME_MAX)
		return pin_error(entry, "thread names are at most 15 characters");
	memcpy(pin.name, entry, (size_t)(eq - entry));
	errno = 0;
	cpu = strtoul(eq + 1, &end, 10);
	if (eq[1] < '0' || eq[1] > '9' || *end || errno || cpu >= CPU_SETSIZE)
		return pin_error(entry, "CPU is not a host CPU number");
	if (!CPU_ISSET((int)cpu, allowed))
		return pin_error(entry, "not a host CPU snvmm may run on");
	if (thread_pins_cpu(p, pin.name) >= 0)
		return pin_error(entry, "that thread is pinned twice");
	if (p->n == THREAD_PINS_MAX)
		return pin_error(entry, "too many threads pinned");
	pin.cpu = (unsigned)cpu;
	p->pin[p->n++] = pin;
	return 0;
}

int thread_pins_parse(struct thread_pins *p, const char *arg)
{
	cpu_set_t allowed;
	char *copy = strdup(arg), *save = NULL;
	int r = 0;

	if (!copy)
		return pin_error(arg, strerror(ENOMEM));
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0) {
		r = pin_error(arg, strerror(errno));
		goto out;
	}
	if (!*copy)
		r = pin_error(arg, "expected THREAD=CPU");
	for (char *e = strtok_r(copy, ",", &save); e && !r; e = strtok_r(NULL, ",", &save))
		r = parse_one(p, e, &allowed);
out:
	free(copy);
	return r;
}

int thread_pins_cpu(const struct thread_pins *p, const char *name)
{
	for (unsigned i = 0; p && i < p->n; i++)
		if (!strcmp(p->pin[i].name, name))
			return (int)p->pin[i].cpu;
	return -1;
}

/* What thread_start() hands its new thread: the function to run, and the name to take first. */
struct thread_boot {
	void *(*fn)(void *);
	void *arg;
	char name[THREAD_NAME_MAX];
};

/*
 * Named by itself, first: a name set by the creator after pthread_create()
 * would come after the thread's first slice, whose samples and KVM exits perf
 * would then file under the process's name.
 */
static void *thread_boot(void *p)
{
	struct thread_boot b = *(struct thread_boot *)p;

	free(p);
	pthread_setname_np(pthread_self(), b.name);
	return b.fn(b.arg);
}

int thread_start(pthread_t *t, const char *name, const struct thread_pins *pins,
		 void *(*fn)(void *), void *arg)
{
	int cpu = thread_pins_cpu(pins, name);
	struct thread_boot *boot = malloc(sizeof(*boot));
	pthread_attr_t attr;
	cpu_set_t set;
	int r;

	if (!boot)
		return -ENOMEM;
	*boot = (struct thread_boot){.fn = fn, .arg = arg};
	snprintf(boot->name, sizeof(boot->name), "%s", name);
	r = pthread_attr_init(&attr);
	if (r) {
		free(boot);
		return -r;
	}
	if (cpu >= 0) {
		/* In the attributes, so the thread never runs a first slice elsewhere. */
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		r = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	if (!r)
		r = pthread_create(t, &attr, thread_boot, boot);
	pthread_attr_destroy(&attr);
	if (r)
		free(boot);
	return -r;
}
