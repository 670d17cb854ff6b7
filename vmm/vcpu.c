// SPDX-License-Identifier: MIT
#include "vcpu.h"
#include "boot.h"
#include "cpuid.h"
#include "log.h"
#include "stats.h"
#include "vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The signal that kicks a vCPU thread out of KVM_RUN; its handler does nothing. */
static int vcpu_kick_signal(void)
{
	return SIGRTMIN + 1;
}

static void vcpu_kick_handler(int sig)
{
	(void)sig;
}

static void io_access(struct vcpu *v, enum io_space space, uint64_t addr, uint8_t *data,
		      uint32_t len, bool is_write)
{
	const struct io_bus *bus = &v->vm->io;
	const struct io_range *r = io_find(bus, space, addr, len);
	enum io_dir dir = is_write ? IO_DIR_WRITE : IO_DIR_READ;

	if (!r) {
		counter_inc(&v->counts.io_unclaimed[space][dir]);
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	counter_inc(&v->counts.io[space][r - bus->ranges[space]][dir]);
	/*
	 * The devices have byte registers and answer a wider read in its low
	 * byte; the rest would be whatever the last exit left in kvm_run.
	 */
	if (!is_write)
		memset(data, 0, len);
	r->fn(r->opaque, addr - r->base, data, len, is_write);
}

static int handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t size = run->io.size, count = run->io.count;
	uint64_t off = run->io.data_offset;

	/* KVM fills these, but a bad value must stop the vCPU, not walk off the page. */
	if ((size != 1 && size != 2 && size != 4) || count == 0 ||
	    off + (uint64_t)size * count > (uint64_t)v->vm->run_size) {
		log_nowait("snvmm: vcpu%u: malformed port I/O exit (size %u count %u)\n", v->id,
			   size, count);
		vm_request_end(v->vm, VM_END_ERROR);
		return 1;
	}
	uint8_t *data = (uint8_t *)run + off;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	for (uint32_t i = 0; i < count; i++)
		io_access(v, IO_SPACE_PIO, run->io.port, data + i * size, size, is_write);
	return vm_end_reason(v->vm) != VM_RUNNING;
}

static int handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data)) {
		log_nowait("snvmm: vcpu%u: malformed MMIO exit (len %u)\n", v->id, len);
		vm_request_end(v->vm, VM_END_ERROR);
		return 1;
	}
	io_access(v, IO_SPACE_MMIO, run->mmio.phys_addr, run->mmio.data, len, run->mmio.is_write);
	return vm_end_reason(v->vm) != VM_RUNNING;
}

/* With the in-kernel LAPIC, HLT stays in the kernel; if one reaches us, just run again. */
static int handle_hlt(struct vcpu *v)
{
	(void)v;
	return 0;
}

static int handle_shutdown(struct vcpu *v)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	/*
	 * Where it died is most of what anyone debugging a triple fault needs. On
	 * AMD, KVM has already INITed the vCPU (the VMCB is undefined after a
	 * shutdown intercept), so what we read is the reset state: say so rather
	 * than print it as the crash site.
	 */
	bool have =
	    ioctl(v->fd, KVM_GET_REGS, &regs) == 0 && ioctl(v->fd, KVM_GET_SREGS, &sregs) == 0;

	if (have && regs.rip == 0xfff0 && sregs.cs.selector == 0xf000 && !(sregs.cr0 & 1))
		log_nowait(
		    "snvmm: vcpu%u: guest triple fault (shutdown); registers lost: KVM reset "
		    "the vCPU at the shutdown (AMD SVM does)\n",
		    v->id);
	else if (have)
		log_nowait("snvmm: vcpu%u: guest triple fault (shutdown) at rip 0x%llx rsp 0x%llx "
			   "cs 0x%x cr0 0x%llx cr2 0x%llx cr3 0x%llx idt 0x%llx/%u\n",
			   v->id, (unsigned long long)regs.rip, (unsigned long long)regs.rsp,
			   sregs.cs.selector, (unsigned long long)sregs.cr0,
			   (unsigned long long)sregs.cr2, (unsigned long long)sregs.cr3,
			   (unsigned long long)sregs.idt.base, sregs.idt.limit);
	else
		log_nowait("snvmm: vcpu%u: guest triple fault (shutdown)\n", v->id);
	vm_request_end(v->vm, VM_END_CRASH);
	return 1;
}

static int handle_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_end(v->vm, VM_END_POWEROFF);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_end(v->vm, VM_END_REBOOT);
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		vm_request_end(v->vm, VM_END_PANIC);
		break;
	default:
		log_nowait("snvmm: vcpu%u: unexpected system event %u\n", v->id,
			   v->run->system_event.type);
		vm_request_end(v->vm, VM_END_ERROR);
	}
	return 1;
}

static int handle_fail_entry(struct vcpu *v)
{
	log_nowait("snvmm: vcpu%u: KVM entry failed, hardware reason 0x%llx\n", v->id,
		   (unsigned long long)v->run->fail_entry.hardware_entry_failure_reason);
	vm_request_end(v->vm, VM_END_CRASH);
	return 1;
}

static int handle_internal_error(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	log_nowait("snvmm: vcpu%u: KVM internal error, suberror %u%s\n", v->id,
		   run->internal.suberror,
		   run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
		       ? " (instruction emulation failed)"
		       : "");
	vm_request_end(v->vm, VM_END_CRASH);
	return 1;
}

typedef int (*exit_handler_fn)(struct vcpu *v);

static const exit_handler_fn exit_handlers[] = {
    [KVM_EXIT_IO] = handle_io,
    [KVM_EXIT_MMIO] = handle_mmio,
    [KVM_EXIT_HLT] = handle_hlt,
    [KVM_EXIT_SHUTDOWN] = handle_shutdown,
    [KVM_EXIT_SYSTEM_EVENT] = handle_system_event,
    [KVM_EXIT_FAIL_ENTRY] = handle_fail_entry,
    [KVM_EXIT_INTERNAL_ERROR] = handle_internal_error,
};

int vcpu_dispatch_exit(struct vcpu *v)
{
	uint32_t reason = v->run->exit_reason;

	counter_inc(&v->counts.exits[reason < VCPU_EXIT_SLOTS ? reason : VCPU_EXIT_SLOTS - 1]);
	if (reason < ARRAY_SIZE(exit_handlers) && exit_handlers[reason])
		return exit_handlers[reason](v);
	log_nowait("snvmm: vcpu%u: unhandled KVM exit reason %u\n", v->id, reason);
	vm_request_end(v->vm, VM_END_ERROR);
	return 1;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, vcpu_kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

	/*
	 * The end reason is set before vcpus_stop() runs (run_vm calls it only
	 * after wait_for_end); vcpus_stop() then sets immediate_exit and sends the
	 * kick: whichever side of KVM_RUN the signal lands on, we see the end.
	 */
	while (vm_end_reason(v->vm) == VM_RUNNING) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR) {
				counter_inc(&v->counts.exits[KVM_EXIT_INTR]);
				continue;
			}
			/* An AP leaving wait-for-SIPI: no exit, and no signal either. */
			if (errno == EAGAIN)
				continue;
			log_nowait("snvmm: KVM_RUN vcpu%u: %s\n", v->id, strerror(errno));
			vm_request_end(v->vm, VM_END_ERROR);
			break;
		}
		if (vcpu_dispatch_exit(v))
			break;
	}
	return NULL;
}

/* The CPUID of cpuid.c, which says why: KVM's, shaped into this VM's topology. */
static int vcpu_set_cpuid(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct kvm_cpuid2 *c =
	    calloc(1, sizeof(*c) + (vm->cpuid->nent + CPUID_EXTRA_ENTRIES) * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	bool tsc_deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;

	cpuid_shape(vm->cpuid, vm->ncpus, v->id, tsc_deadline, c);
	int r = 0;
	if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0) {
		r = -errno;
		fprintf(stderr, "snvmm: KVM_SET_CPUID2 vcpu%u: %s\n", v->id, strerror(errno));
	}
	free(c);
	return r;
}

#define MSR_IA32_MISC_ENABLE 0x1a0
#define MISC_ENABLE_FAST_STR (1ull << 0)
#define MSR_MTRR_DEF_TYPE    0x2ff
#define MTRR_DEF_ENABLE_WB   ((1ull << 11) | 6) /* MTRRs on, memory write-back by default */

/*
 * What firmware sets before a kernel runs, which KVM's reset state lacks:
 * MTRRs enabled with write-back as the default type (with MTRRs off, Linux
 * also turns PAT off, and write-combining mappings become uncached), and
 * fast string operations (without them, Intel guests drop ERMS and take the
 * slow memcpy and clear_page). A KVM that refuses either keeps its own: the
 * guest runs, only slower, so it is said once and not fatal.
 */
static void vcpu_set_msrs(struct vcpu *v)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[2];
	} m = {.h.nmsrs = 1, .e[0].index = MSR_IA32_MISC_ENABLE};
	static bool warned;
	uint64_t misc = ioctl(v->fd, KVM_GET_MSRS, &m) == 1 ? m.e[0].data : 0;

	/*
	 * MTRRdefType first: KVM_SET_MSRS stops at the first MSR it refuses, and
	 * this one matters more (with MTRRs off Linux turns PAT off too).
	 */
	m.e[0] = (struct kvm_msr_entry){.index = MSR_MTRR_DEF_TYPE, .data = MTRR_DEF_ENABLE_WB};
	m.e[1] = (struct kvm_msr_entry){.index = MSR_IA32_MISC_ENABLE,
					.data = misc | MISC_ENABLE_FAST_STR};
	m.h.nmsrs = 2;
	int r = ioctl(v->fd, KVM_SET_MSRS, &m);
	if (r != 2 && !warned) {
		warned = true;
		fprintf(stderr,
			"snvmm: vcpu%u: KVM took %d of 2 boot MSRs (MTRRdefType, MISC_ENABLE)\n",
			v->id, r);
	}
}

static void seg_from_boot(struct kvm_segment *k, const struct boot_seg *b)
{
	*k = (struct kvm_segment){
	    .base = b->base,
	    .limit = b->limit,
	    .selector = b->selector,
	    .type = b->type,
	    .present = b->present,
	    .dpl = b->dpl,
	    .db = b->db,
	    .s = b->s,
	    .l = b->l,
	    .g = b->g,
	};
}

int vcpu_set_boot_state(struct vcpu *v, const struct boot_regs *b)
{
	struct kvm_sregs sregs;
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0) {
		fprintf(stderr, "snvmm: KVM_GET_SREGS vcpu%u: %s\n", v->id, strerror(errno));
		return -errno;
	}
	seg_from_boot(&sregs.cs, &b->cs);
	seg_from_boot(&sregs.ds, &b->ds);
	seg_from_boot(&sregs.es, &b->es);
	seg_from_boot(&sregs.fs, &b->fs);
	seg_from_boot(&sregs.gs, &b->gs);
	seg_from_boot(&sregs.ss, &b->ss);
	seg_from_boot(&sregs.tr, &b->tr);
	sregs.gdt.base = b->gdt_base;
	sregs.gdt.limit = b->gdt_limit;
	sregs.cr0 = b->cr0;
	sregs.cr3 = b->cr3;
	sregs.cr4 = b->cr4;
	sregs.efer = b->efer;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0) {
		fprintf(stderr, "snvmm: KVM_SET_SREGS vcpu%u: %s\n", v->id, strerror(errno));
		return -errno;
	}
	struct kvm_regs regs = {
	    .rip = b->rip,
	    .rsp = b->rsp,
	    .rsi = b->rsi,
	    .rbx = b->rbx,
	    .rflags = b->rflags ? b->rflags : 0x2,
	};
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0) {
		fprintf(stderr, "snvmm: KVM_SET_REGS vcpu%u: %s\n", v->id, strerror(errno));
		return -errno;
	}
	return 0;
}

int vcpus_create(struct vm *vm)
{
	vm->vcpus = aligned_alloc(_Alignof(struct vcpu), vm->ncpus * sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	memset(vm->vcpus, 0, vm->ncpus * sizeof(*vm->vcpus));
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		v->vm = vm;
		v->id = i;
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0) {
			int err = errno;
			fprintf(stderr, "snvmm: KVM_CREATE_VCPU %u: %s\n", i, strerror(err));
			return -err;
		}
		v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			int err = errno;
			v->run = NULL;
			fprintf(stderr, "snvmm: mmap kvm_run vcpu%u: %s\n", i, strerror(err));
			return -err;
		}
		int r = vcpu_set_cpuid(v);
		if (r)
			return r;
		vcpu_set_msrs(v);
	}
	return 0;
}

void vcpus_destroy(struct vm *vm)
{
	if (!vm->vcpus)
		return;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->run)
			munmap(v->run, vm->run_size);
		if (v->fd > 0)
			close(v->fd);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
}

int vcpus_start(struct vm *vm)
{
	struct sigaction sa = {.sa_handler = vcpu_kick_handler};
	sigemptyset(&sa.sa_mask);
	/*
	 * No SA_RESTART: the kick must also end a blocking syscall that a device
	 * handler makes on this thread (KVM_RUN returns EINTR regardless).
	 */
	if (sigaction(vcpu_kick_signal(), &sa, NULL) < 0)
		return -errno;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		char name[THREAD_NAME_MAX];
		int r;

		snprintf(name, sizeof(name), "vcpu%u", i);
		r = thread_start(&v->thread, name, &vm->cfg->pins, vcpu_thread, v);
		if (r) {
			fprintf(stderr, "snvmm: starting %s: %s\n", name, strerror(-r));
			return r;
		}
		v->thread_started = true;
	}
	return 0;
}

void vcpus_stop(struct vm *vm)
{
	if (!vm->vcpus)
		return;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (!v->thread_started)
			continue;
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		pthread_kill(v->thread, vcpu_kick_signal());
	}
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->thread_started)
			pthread_join(v->thread, NULL);
		v->thread_started = false;
	}
}
