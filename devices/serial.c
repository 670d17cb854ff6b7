// SPDX-License-Identifier: MIT
/*
 * A 16550A UART at COM1 (0x3f8, IRQ 4): the guest's console. Transmitted bytes
 * go to our stdout as they are written; a thread reads our stdin into the
 * receive FIFO. When stdin is a terminal it is put in raw mode (so Ctrl-C
 * reaches the guest) and Ctrl-A x quits, as in QEMU; Ctrl-A Ctrl-A sends a
 * Ctrl-A. The model is what Linux's 8250 driver probes and uses: scratch,
 * FIFO detection through IIR, loopback through MCR/MSR, THRE, RX and
 * line-status (overrun) interrupts gated by OUT2 — nothing more.
 *
 * Neither direction loses bytes, and neither can wedge us. Output: a reader
 * that stops (a full pipe, a paused terminal) holds the writing vCPU, as a
 * UART's flow control would, but never under the device lock, and no longer
 * than until the VM ends. Input: the escape is acted on when typed, even while
 * a guest that does not read leaves the FIFO full; what it cannot take yet
 * waits in a host-side buffer, and stdin is read again once the guest reads.
 *
 * Input also waits for a listener. Linux's 8250 driver clears the receive
 * FIFO when the console is opened and closed, and reads RBR once "for luck"
 * after that; input put in the FIFO before then (typed ahead, or piped in
 * before the shell is up) would be thrown away. So bytes enter the FIFO only
 * while the receive interrupt can reach the guest (IER's RDI and MCR's OUT2,
 * not in loopback), which Linux sets once its tty is open and clears before
 * it closes it. A guest that polls for input enables no interrupt: --raw
 * guests are taken to poll (cfg->console_polled), and get input whenever the
 * UART is not in loopback. OUT2 is what keeps the driver's probe, which
 * writes IER 0x0f with OUT2 off, from letting input in to be cleared. A Linux
 * port without an IRQ (set to 0 with setserial; ours has IRQ 4) leaves OUT2
 * off and polls IIR from a timer with RDI on, which the probe never does: an
 * IIR read with RDI on counts as listening too, until RDI goes off. kgdb's
 * polling with the tty closed gets no input.
 */
#include "device.h"
#include "layout.h"
#include "log.h"
#include "stats.h"
#include "vm.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

enum { RBR_THR = 0, IER, IIR_FCR, LCR, MCR, LSR, MSR, SCR };

#define IER_RDI	     0x01
#define IER_THRI     0x02
#define IER_RLSI     0x04
#define IER_MSI	     0x08
#define IIR_NONE     0x01
#define IIR_MSI	     0x00
#define IIR_THRI     0x02
#define IIR_RDI	     0x04
#define IIR_RLSI     0x06
#define IIR_FIFO_ON  0xc0
#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB     0x80
#define MCR_DTR	     0x01
#define MCR_RTS	     0x02
#define MCR_OUT1     0x04
#define MCR_OUT2     0x08
#define MCR_LOOP     0x10
#define LSR_DR	     0x01
#define LSR_OE	     0x02
#define LSR_THRE     0x20
#define LSR_TEMT     0x40
#define MSR_DELTA    0x0f
#define MSR_CTS	     0x10
#define MSR_DSR	     0x20
#define MSR_DCD	     0x80

#define RX_SIZE	    1024 /* a power of two; more than a 16550's 16 so pastes are not lost */
#define PEND_SIZE   4096 /* read from stdin, not yet in the FIFO */
#define ESCAPE_CHAR 0x01 /* Ctrl-A */
#define OUT_WAIT_MS 100	 /* how often a vCPU held by a full stdout looks for the VM's end */

struct serial {
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t ier, fcr, lcr, mcr, msr, scr, dll, dlm;
	bool thri_pending;
	int irq_level;
	uint8_t rx[RX_SIZE];
	uint32_t rx_head, rx_tail; /* free-running */
	bool want_space;	   /* input waits for the guest to drain the FIFO or to listen */
	bool polled;		   /* the guest polls: input need not wait for its interrupt */
	bool iir_polled;	   /* IIR read with RDI on and OUT2 off since RDI went on */
	bool rx_taken;		   /* the guest read from the FIFO since input last entered it */
	bool overrun;		   /* LSR's OE: input was lost since the guest last read LSR */

	pthread_mutex_t out_lock; /* keeps output bytes in order, outside lock */
	int out_fd, in_fd;
	int out_nb; /* stdout reopened non-blocking (log.h), or -1 */
	int stop_fd;
	int space_fd; /* the guest drained or cleared the FIFO (want_space) */
	bool raw;
	struct termios saved_tio;
	pthread_t input_thread;
	bool input_started;
	uint64_t tx_bytes, rx_bytes, rx_overruns, irqs;
};

static uint32_t rx_count(const struct serial *s)
{
	return s->rx_head - s->rx_tail;
}

static uint8_t serial_iir(const struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO_ON : 0;
	if ((s->ier & IER_RLSI) && s->overrun)
		return IIR_RLSI | fifo; /* the 16550's highest priority */
	if ((s->ier & IER_RDI) && rx_count(s))
		return IIR_RDI | fifo;
	if ((s->ier & IER_THRI) && s->thri_pending)
		return IIR_THRI | fifo;
	if ((s->ier & IER_MSI) && (s->msr & MSR_DELTA))
		return IIR_MSI | fifo;
	return IIR_NONE | fifo;
}

/* Called with the lock held; touches KVM only when the line really changes. */
static void serial_update_irq(struct serial *s)
{
	int level = !(serial_iir(s) & IIR_NONE) && (s->mcr & MCR_OUT2);
	if (level != s->irq_level) {
		s->irq_level = level;
		vm_irq_line(s->vm, SERIAL_COM1_IRQ, level);
		if (level)
			counter_inc(&s->irqs);
	}
}

/* Whether host input may enter the FIFO now: see the top of this file. */
static bool serial_listening(const struct serial *s)
{
	if (s->mcr & MCR_LOOP)
		return false; /* loopback takes the receiver off the line */
	return s->polled || ((s->ier & IER_RDI) && ((s->mcr & MCR_OUT2) || s->iir_polled));
}

/*
 * The input thread waits (want_space) for the FIFO to empty or the guest to
 * listen, and one of them just happened. Called with the lock held.
 */
static void rx_room(struct serial *s)
{
	uint64_t one = 1;

	if (!s->want_space)
		return;
	s->want_space = false;
	if (write(s->space_fd, &one, sizeof(one)) < 0)
		log_nowait("snvmm: serial: space eventfd: %s\n", strerror(errno));
}

static void rx_push(struct serial *s, uint8_t c)
{
	if (rx_count(s) < RX_SIZE)
		s->rx[s->rx_head++ & (RX_SIZE - 1)] = c;
}

/*
 * Writes one transmitted byte, called without the device lock. A blocking
 * write could outlive the VM (the signal that stops a vCPU only interrupts a
 * syscall already under way), so the byte goes out without blocking
 * (write_nowait), waits for room in bounded polls, and is dropped once the VM
 * is ending. Write first, poll only when it finds no room: a pipe's poll
 * wants a free page, where a write could still fill the last one. A stdout
 * that fails is given up.
 */
static void serial_output(struct serial *s, uint8_t c)
{
	struct pollfd p;
	ssize_t n;

	pthread_mutex_lock(&s->out_lock);
	p = (struct pollfd){.fd = s->out_nb >= 0 ? s->out_nb : s->out_fd, .events = POLLOUT};
	while (s->out_fd >= 0) {
		n = write_nowait(s->out_nb, s->out_fd, &c, 1);
		if (n == 1)
			break;
		if (n < 0 && errno != EINTR) {
			s->out_fd = -1; /* nobody to write to */
			break;
		}
		/*
		 * No room. Once the VM ends the byte is dropped at once: vCPUs
		 * queued on out_lock would otherwise each wait a full OUT_WAIT_MS
		 * before seeing the end, one after another (the kick does not
		 * interrupt a mutex wait).
		 */
		if (vm_end_reason(s->vm) != VM_RUNNING)
			break;
		if (poll(&p, 1, OUT_WAIT_MS) > 0 && !(p.revents & POLLOUT)) {
			s->out_fd = -1; /* POLLERR, POLLNVAL */
			break;
		}
	}
	pthread_mutex_unlock(&s->out_lock);
}

static uint8_t serial_msr(const struct serial *s)
{
	if (!(s->mcr & MCR_LOOP))
		return s->msr;
	/* Loopback wires the modem outputs back to the inputs (8250 driver self-test). */
	return (s->msr & MSR_DELTA) | ((s->mcr & MCR_RTS) ? MSR_CTS : 0) |
	       ((s->mcr & MCR_DTR) ? MSR_DSR : 0) | ((s->mcr & MCR_OUT1) ? 0x40 : 0) |
	       ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
}

/* Returns true when v is to go out on stdout (after the lock is dropped). */
static bool serial_write(struct serial *s, unsigned reg, uint8_t v)
{
	bool dlab = s->lcr & LCR_DLAB;
	switch (reg) {
	case RBR_THR:
		if (dlab) {
			s->dll = v;
			break;
		}
		s->thri_pending = true; /* we transmit at once, so THR is empty again */
		if (s->mcr & MCR_LOOP) {
			rx_push(s, v);
			break;
		}
		counter_inc(&s->tx_bytes);
		return true;
	case IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		if (!(s->ier & IER_THRI) && (v & IER_THRI))
			s->thri_pending = true;
		s->ier = v & 0x0f;
		if (!(s->ier & IER_RDI))
			s->iir_polled = false;
		break;
	case IIR_FCR:
		if (v & FCR_CLEAR_RX) {
			s->rx_tail = s->rx_head;
			rx_room(s); /* Linux clears the FIFO at every open and close of the tty */
		}
		s->fcr = v & 0xc9;
		break;
	case LCR:
		s->lcr = v;
		break;
	case MCR:
		s->mcr = v & 0x1f;
		break;
	case SCR:
		s->scr = v;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
	return false;
}

static uint8_t serial_read(struct serial *s, unsigned reg)
{
	bool dlab = s->lcr & LCR_DLAB;
	uint8_t v = 0;
	switch (reg) {
	case RBR_THR:
		if (dlab)
			return s->dll;
		if (rx_count(s)) {
			v = s->rx[s->rx_tail++ & (RX_SIZE - 1)];
			s->rx_taken = true;
			if (!rx_count(s)) /* refilled only once drained: serial_deliver */
				rx_room(s);
		}
		return v;
	case IER:
		return dlab ? s->dlm : s->ier;
	case IIR_FCR:
		v = serial_iir(s);
		if ((s->ier & IER_RDI) && !(s->mcr & MCR_OUT2))
			s->iir_polled = true;
		/* Reading IIR acknowledges a THRE interrupt it reports. */
		if ((v & 0x0f) == IIR_THRI)
			s->thri_pending = false;
		return v;
	case LCR:
		return s->lcr;
	case MCR:
		return s->mcr;
	case LSR:
		/* Reading LSR clears its error bits, and so a line-status interrupt. */
		v = LSR_THRE | LSR_TEMT | (rx_count(s) ? LSR_DR : 0) | (s->overrun ? LSR_OE : 0);
		s->overrun = false;
		return v;
	case MSR:
		v = serial_msr(s);
		s->msr &= ~MSR_DELTA;
		return v;
	case SCR:
		return s->scr;
	}
	return 0;
}

static void serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct serial *s = opaque;
	bool out = false;
	(void)len; /* the UART has byte registers; wider accesses use the low byte */
	pthread_mutex_lock(&s->lock);
	bool was_listening = serial_listening(s);
	if (is_write)
		out = serial_write(s, offset & 7, data[0]);
	else
		data[0] = serial_read(s, offset & 7);
	if (!was_listening && serial_listening(s))
		rx_room(s); /* input held for a listener may come now */
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	if (out)
		serial_output(s, data[0]);
}

/* Host input on its way to the guest; the input thread's alone. */
struct serial_input {
	uint8_t pend[PEND_SIZE];
	size_t off, len;
	bool escape, eof;
	bool overran; /* bytes lost since the last delivery: the guest hears of it (LSR's OE) */
};

/*
 * Appends what was read to the pending bytes, acting on the escape as it is
 * typed; returns false when the user asked to quit. Only a terminal's input
 * can find the buffer full (a pipe's waits unread): past it, keys typed into
 * a guest that reads none are lost, as a UART overruns, and counted; the
 * guest learns of it as from a UART, by LSR's overrun bit.
 */
static bool serial_take_input(struct serial *s, struct serial_input *in, const uint8_t *buf,
			      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = buf[i];
		if (s->raw && in->escape) {
			in->escape = false;
			if (c == 'x' || c == 'X') {
				vm_request_end(s->vm, VM_END_USER);
				return false;
			}
			if (c != ESCAPE_CHAR)
				continue;
		} else if (s->raw && c == ESCAPE_CHAR) {
			in->escape = true;
			continue;
		}
		if (in->len < PEND_SIZE) {
			in->pend[in->len++] = c;
		} else {
			counter_inc(&s->rx_overruns);
			in->overran = true;
		}
	}
	return true;
}

/*
 * Moves pending bytes into the FIFO as far as it has room, while the guest
 * listens, but into one the guest has started reading only once it is empty;
 * asks to hear when it is, or when the guest starts listening.
 * The interrupt is an edge (ISA IRQ 4): a FIFO topped up while the guest
 * reads it would keep the line high for good under piped input or a paste,
 * and Linux's handler gives up after 512 passes with the line still high,
 * after which no edge, so no interrupt, would come again. Filled only when
 * drained, the line drops between batches, as a real UART's does because its
 * wire is slower than the reader. A FIFO the guest has not touched yet takes
 * more at once: its reader will drain it all the same.
 */
static void serial_deliver(struct serial *s, struct serial_input *in)
{
	pthread_mutex_lock(&s->lock);
	if ((!rx_count(s) || !s->rx_taken) && serial_listening(s)) {
		while (in->off < in->len && rx_count(s) < RX_SIZE) {
			rx_push(s, in->pend[in->off++]);
			counter_inc(&s->rx_bytes);
			s->rx_taken = false;
		}
	}
	s->want_space = in->off < in->len;
	s->overrun |= in->overran;
	in->overran = false;
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	memmove(in->pend, in->pend + in->off, in->len - in->off);
	in->len -= in->off;
	in->off = 0;
}

static void *serial_input_thread(void *arg)
{
	struct serial *s = arg;
	struct serial_input input = {0}, *in = &input;
	uint8_t buf[256];
	uint64_t v;
	struct stat st;
	/* A regular file: always readable, FIONREAD says 0 at its end, and a read never blocks. */
	bool file = fstat(s->in_fd, &st) == 0 && S_ISREG(st.st_mode);

	while (!in->eof || in->len) {
		/*
		 * A pipe or file is read only while the pending buffer can take a
		 * full read, so nothing is lost; a terminal always, so the escape
		 * is seen however much the user typed into a guest that reads none.
		 */
		bool room = !in->eof && (s->raw || in->len + sizeof(buf) <= PEND_SIZE);
		struct pollfd fds[3] = {{.fd = s->stop_fd, .events = POLLIN},
					{.fd = s->space_fd, .events = POLLIN},
					{.fd = room ? s->in_fd : -1, .events = POLLIN | POLLRDHUP}};
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0].revents)
			break;
		if (fds[1].revents && read(s->space_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			break;
		if (fds[2].revents) {
			/*
			 * No more than is there, so the read never blocks (a stop must not
			 * wait for input): another reader of the same pipe or terminal may
			 * have taken what poll saw. At a hang-up, or a socket whose peer
			 * shut its side (POLLRDHUP, where FIONREAD says 0 and poll says
			 * readable for ever), the read returns at once: end of input.
			 */
			int avail = -1;
			size_t want = sizeof(buf);
			if (!file && ioctl(s->in_fd, FIONREAD, &avail) == 0 && avail == 0 &&
			    !(fds[2].revents & (POLLHUP | POLLERR | POLLRDHUP))) {
				serial_deliver(s, in);
				continue;
			}
			if (avail > 0 && (size_t)avail < want)
				want = (size_t)avail;
			ssize_t n = read(s->in_fd, buf, want);
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				in->eof = true;
			if (n == 0)
				in->eof = true; /* the guest keeps running, it just hears no more */
			if (n > 0 && !serial_take_input(s, in, buf, (size_t)n))
				break;
		}
		serial_deliver(s, in);
	}
	return NULL;
}

static int serial_setup(struct vm *vm, const struct vm_config *cfg, void **state)
{
	struct serial *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->vm = vm;
	s->out_fd = STDOUT_FILENO;
	s->out_nb = reopen_nonblocking(STDOUT_FILENO);
	s->in_fd = STDIN_FILENO;
	s->msr = MSR_DCD | MSR_DSR | MSR_CTS;
	/*
	 * 115200 baud, as firmware leaves it. Only console=uart8250,io,0x3f8
	 * without a speed reads the latch back; console=ttyS0 without one sets
	 * 9600 and rewrites it. The rate changes nothing here either way.
	 */
	s->dll = 1;
	s->raw = cfg->console_raw;
	s->polled = cfg->console_polled;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->out_lock, NULL);
	*state = s;
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	s->space_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0 || s->space_fd < 0)
		return -errno;
	int r = io_register(&vm->io, IO_SPACE_PIO, SERIAL_COM1_PORT, 8, serial_io, s, "serial");
	if (r) {
		fprintf(stderr, "snvmm: serial: registering port 0x%x: %s\n", SERIAL_COM1_PORT,
			strerror(-r));
		return r;
	}
	/*
	 * A hardware-reduced ACPI guest maps no ISA interrupts by itself: describing
	 * COM1 as a PNP0501 device is what gets IRQ 4 routed through the IOAPIC.
	 */
	struct acpi_device_desc desc = {
	    .hid = "PNP0501", .nio = 1, .irq = SERIAL_COM1_IRQ, .has_irq = true};
	desc.io[0].base = SERIAL_COM1_PORT;
	desc.io[0].len = 8;
	return vm_add_acpi_device(vm, &desc);
}

static int serial_start(void *state)
{
	struct serial *s = state;
	if (s->raw && tcgetattr(s->in_fd, &s->saved_tio) == 0) {
		struct termios raw = s->saved_tio;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST; /* keep "\n" → "\r\n" for our own messages */
		tcsetattr(s->in_fd, TCSANOW, &raw);
	} else {
		s->raw = false;
	}
	int r =
	    thread_start(&s->input_thread, "serial-in", &s->vm->cfg->pins, serial_input_thread, s);
	if (r) {
		fprintf(stderr, "snvmm: serial: starting input thread: %s\n", strerror(-r));
		if (s->raw)
			tcsetattr(s->in_fd, TCSANOW, &s->saved_tio);
		s->raw = false;
		return r;
	}
	s->input_started = true;
	return 0;
}

static void serial_stop(void *state)
{
	struct serial *s = state;
	uint64_t one = 1;
	if (write(s->stop_fd, &one, sizeof(one)) < 0)
		perror("snvmm: serial: stop eventfd");
	if (s->input_started)
		pthread_join(s->input_thread, NULL);
	s->input_started = false;
	if (s->raw)
		tcsetattr(s->in_fd, TCSANOW, &s->saved_tio);
}

static void serial_destroy(void *state)
{
	struct serial *s = state;
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	if (s->space_fd >= 0)
		close(s->space_fd);
	if (s->out_nb >= 0)
		close(s->out_nb);
	pthread_mutex_destroy(&s->out_lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void serial_stats(void *state, struct stats_writer *w)
{
	struct serial *s = state;
	stats_u64(w, "tx_bytes", counter_read(&s->tx_bytes));
	stats_u64(w, "rx_bytes", counter_read(&s->rx_bytes));
	stats_u64(w, "rx_overruns", counter_read(&s->rx_overruns));
	stats_u64(w, "irqs", counter_read(&s->irqs));
}

const struct device_ops serial_device = {
    .name = "serial",
    .setup = serial_setup,
    .start = serial_start,
    .stop = serial_stop,
    .destroy = serial_destroy,
    .stats = serial_stats,
};
