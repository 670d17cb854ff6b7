// SPDX-License-Identifier: MIT
/*
 * The UART's registers as the guest sees them, through the port range it
 * registers: every value a guest writes is masked, the FIFO holds what it
 * holds and no more, reading an empty FIFO changes nothing, and interrupts
 * follow IER and OUT2. No byte goes to stdout (transmitted bytes loop back,
 * MCR_LOOP). test_input starts the input thread on a pipe as stdin: host
 * input waits until the guest listens, or enters at once for a polling guest.
 * test_overrun gives it a terminal (a pty) that types more than it can hold.
 */
#include "check.h"
#include "device.h"
#include "layout.h"
#include "stats.h"
#include "vm.h"

#include <pty.h>
#include <string.h>
#include <unistd.h>

extern const struct device_ops serial_device;

enum { RBR_THR = 0, IER, IIR_FCR, LCR, MCR, LSR, MSR, SCR };

#define LOOP 0x10 /* MCR */
#define OUT2 0x08 /* MCR */
#define DR   0x01 /* LSR */
#define OE   0x02 /* LSR */
#define RDI  0x01 /* IER */
#define RLSI 0x04 /* IER */

struct fixture {
	struct vm_config cfg;
	struct vm vm;
	const struct io_range *port;
};

/* raw: stdin is a terminal that snvmm puts in raw mode (console_raw). */
static void fixture_init_console(struct fixture *f, bool polled, bool raw)
{
	void *state;

	memset(f, 0, sizeof(*f));
	f->cfg.ram_mib = 2;
	f->cfg.console_polled = polled;
	f->cfg.console_raw = raw;
	CHECK_EQ(vm_init(&f->vm, &f->cfg), 0);
	CHECK_EQ(serial_device.setup(&f->vm, &f->cfg, &state), 0);
	f->vm.devices[0] = (struct vm_device){.ops = &serial_device, .state = state};
	f->vm.ndevices = 1;
	f->port = io_find(&f->vm.io, IO_SPACE_PIO, SERIAL_COM1_PORT, 1);
	CHECK(f->port != NULL);
}

static void fixture_init(struct fixture *f)
{
	fixture_init_console(f, false, false);
}

static void outb(struct fixture *f, unsigned reg, uint8_t v)
{
	f->port->fn(f->port->opaque, reg, &v, 1, true);
}

static uint8_t inb(struct fixture *f, unsigned reg)
{
	uint8_t v = 0xee;

	f->port->fn(f->port->opaque, reg, &v, 1, false);
	return v;
}

struct wanted_counter {
	const char *name;
	uint64_t value;
};

static void collect(void *ctx, const char *group, const char *name, uint64_t value)
{
	struct wanted_counter *c = ctx;

	(void)group;
	if (!strcmp(name, c->name))
		c->value = value;
}

/* One of the UART's counters (devices.serial.NAME). */
static uint64_t counter_of(struct fixture *f, const char *name)
{
	struct stats_writer w;
	struct wanted_counter c = {name, ~0ULL};

	stats_writer_init(&w, STATS_COLLECT, NULL);
	w.collect = collect;
	w.ctx = &c;
	serial_device.stats(f->vm.devices[0].state, &w);
	return c.value;
}

/* Rising edges of the interrupt line so far. */
static uint64_t irqs(struct fixture *f)
{
	return counter_of(f, "irqs");
}

static void test_registers(void)
{
	struct fixture f;

	fixture_init(&f);
	outb(&f, IER, 0xff);
	CHECK_EQ(inb(&f, IER), 0x0f);
	outb(&f, IER, 0);
	outb(&f, MCR, 0xff);
	CHECK_EQ(inb(&f, MCR), 0x1f);
	/* Loopback as Linux's probe checks it: RTS and OUT2 come back as CTS and DCD. */
	outb(&f, MCR, LOOP | 0x0a);
	CHECK_EQ(inb(&f, MSR) & 0xf0, 0x90);
	outb(&f, SCR, 0x5a);
	CHECK_EQ(inb(&f, SCR), 0x5a);
	/* DLAB: registers 0 and 1 are the divisor latch; nothing is transmitted. */
	outb(&f, LCR, 0x83);
	outb(&f, RBR_THR, 0x0c);
	outb(&f, IER, 0x00);
	CHECK_EQ(inb(&f, RBR_THR), 0x0c);
	CHECK_EQ(inb(&f, IER), 0x00);
	outb(&f, LCR, 0x03);
	CHECK_EQ(inb(&f, LSR) & DR, 0);
	vm_destroy(&f.vm);
}

/*
 * What the 8250 driver reads back: LCR as written (its probe writes and reads
 * it), MSR with CTS, DSR and DCD up outside loopback (the line is always
 * there), each modem output wired to its input in loopback, and LSR and MSR
 * read-only.
 */
static void test_line_and_modem(void)
{
	struct fixture f;

	fixture_init(&f);
	outb(&f, LCR, 0x1b); /* 8 bits, 2 stop bits, even parity */
	CHECK_EQ(inb(&f, LCR), 0x1b);
	outb(&f, LCR, 0x03);
	CHECK_EQ(inb(&f, LCR), 0x03);
	CHECK_EQ(inb(&f, MSR), 0xb0); /* DCD, DSR, CTS; no deltas, no RI */
	outb(&f, MSR, 0x0f);
	CHECK_EQ(inb(&f, MSR), 0xb0);
	outb(&f, LSR, 0x01);	      /* no DR from a write */
	CHECK_EQ(inb(&f, LSR), 0x60); /* THRE and TEMT only */
	/* Loopback: DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD, one at a time. */
	outb(&f, MCR, LOOP);
	CHECK_EQ(inb(&f, MSR) & 0xf0, 0x00);
	outb(&f, MCR, LOOP | 0x01);
	CHECK_EQ(inb(&f, MSR) & 0xf0, 0x20);
	outb(&f, MCR, LOOP | 0x02);
	CHECK_EQ(inb(&f, MSR) & 0xf0, 0x10);
	outb(&f, MCR, LOOP | 0x04);
	CHECK_EQ(inb(&f, MSR) & 0xf0, 0x40);
	outb(&f, MCR, LOOP | 0x08);
	CHECK_EQ(inb(&f, MSR) & 0xf0, 0x80);
	outb(&f, MCR, 0);
	CHECK_EQ(inb(&f, MSR), 0xb0);
	vm_destroy(&f.vm);
}

static void test_fifo(void)
{
	struct fixture f;
	unsigned n = 0, bad = 0;

	fixture_init(&f);
	/* Reading an empty FIFO gives 0 and leaves it empty. */
	CHECK_EQ(inb(&f, RBR_THR), 0);
	CHECK_EQ(inb(&f, LSR) & DR, 0);
	outb(&f, MCR, LOOP);
	outb(&f, RBR_THR, 'a');
	CHECK_EQ(inb(&f, LSR) & DR, DR);
	CHECK_EQ(inb(&f, RBR_THR), 'a');
	CHECK_EQ(inb(&f, LSR) & DR, 0);

	/* 1025 bytes into the 1024-byte FIFO: the last is lost, none overwritten. */
	for (unsigned i = 0; i < 1025; i++)
		outb(&f, RBR_THR, (uint8_t)(i * 7 + 1));
	while ((inb(&f, LSR) & DR) && n < 2000) {
		bad += inb(&f, RBR_THR) != (uint8_t)(n * 7 + 1);
		n++;
	}
	CHECK_EQ(n, 1024);
	CHECK_EQ(bad, 0);

	/* FCR's clear-RX bit empties it. */
	outb(&f, RBR_THR, 'b');
	outb(&f, IIR_FCR, 0x03);
	CHECK_EQ(inb(&f, LSR) & DR, 0);
	CHECK_EQ(inb(&f, IIR_FCR) & 0xc0, 0xc0); /* FIFOs on */
	vm_destroy(&f.vm);
}

static void test_interrupts(void)
{
	struct fixture f;

	fixture_init(&f);
	/* THRE: pending once enabled, reported by IIR, acknowledged by reading it. */
	outb(&f, IER, 0x02);
	CHECK_EQ(irqs(&f), 0); /* OUT2 is off: the line stays low */
	CHECK_EQ(inb(&f, IIR_FCR) & 0x0f, 0x02);
	CHECK_EQ(inb(&f, IIR_FCR) & 0x0f, 0x01);
	outb(&f, IER, 0);
	outb(&f, MCR, OUT2 | LOOP);
	outb(&f, IER, 0x02);
	CHECK_EQ(irqs(&f), 1);
	CHECK_EQ(inb(&f, IIR_FCR) & 0x0f, 0x02);
	/* Received data takes priority over THRE. */
	outb(&f, IER, 0x03);
	outb(&f, RBR_THR, 'c');
	CHECK_EQ(inb(&f, IIR_FCR) & 0x0f, 0x04);
	CHECK_EQ(inb(&f, RBR_THR), 'c');
	CHECK_EQ(inb(&f, IIR_FCR) & 0x0f, 0x02);
	CHECK_EQ(inb(&f, IIR_FCR) & 0x0f, 0x01);
	CHECK_EQ(irqs(&f), 2);
	vm_destroy(&f.vm);
}

/* Whether LSR shows received data within ms milliseconds (the input thread moves it). */
static bool data_within(struct fixture *f, unsigned ms)
{
	uint64_t end = mono_ns() + ms * 1000000ull;

	do {
		if (inb(f, LSR) & DR)
			return true;
		usleep(1000);
	} while (mono_ns() < end);
	return false;
}

/* The bytes in the FIFO, at most n-1, as a string. */
static const char *drain(struct fixture *f, char *buf, size_t n)
{
	size_t i = 0;

	while (i + 1 < n && (inb(f, LSR) & DR))
		buf[i++] = (char)inb(f, RBR_THR);
	buf[i] = 0;
	return buf;
}

/*
 * Input through the thread, stdin a pipe. Linux clears the FIFO when its tty
 * opens, before it enables the receive interrupt: input that came before must
 * wait for that, as it must while the tty is closed again (IER 0) or the UART
 * is in loopback. A port with no IRQ polls IIR with RDI on and gets it; a
 * polling guest (--raw) enables no interrupt and still gets it.
 */
static void test_input(bool polled)
{
	struct fixture f;
	char buf[16];
	int p[2], saved = dup(STDIN_FILENO);

	CHECK(saved >= 0 && pipe(p) == 0 && dup2(p[0], STDIN_FILENO) == STDIN_FILENO);
	close(p[0]);
	fixture_init_console(&f, polled, false);
	CHECK_EQ(serial_device.start(f.vm.devices[0].state), 0);
	CHECK_EQ(write(p[1], "ab", 2), 2);
	if (polled) {
		CHECK(data_within(&f, 2000));
		CHECK(!strcmp(drain(&f, buf, sizeof(buf)), "ab"));
	} else {
		CHECK(!data_within(&f, 200));
		outb(&f, IER, RDI); /* no OUT2: the interrupt cannot reach the CPU */
		CHECK(!data_within(&f, 100));
		outb(&f, IIR_FCR, 0x07); /* Linux clears the FIFOs before it listens */
		outb(&f, MCR, OUT2);
		CHECK(data_within(&f, 2000));
		CHECK(!strcmp(drain(&f, buf, sizeof(buf)), "ab"));
		outb(&f, IER, 0); /* the tty closed: input waits again */
		CHECK_EQ(write(p[1], "cd", 2), 2);
		CHECK(!data_within(&f, 200));
		outb(&f, IER, RDI);
		CHECK(data_within(&f, 2000));
		CHECK(!strcmp(drain(&f, buf, sizeof(buf)), "cd"));
		/*
		 * A port with no IRQ: OUT2 off, RDI on, IIR polled by a timer. The
		 * IER write alone (the driver's probe) does not open the gate.
		 */
		outb(&f, IER, 0);
		outb(&f, MCR, 0);
		CHECK_EQ(write(p[1], "fg", 2), 2);
		inb(&f, IIR_FCR); /* RDI off: no poll */
		outb(&f, IER, 0x0f);
		CHECK(!data_within(&f, 200));
		outb(&f, IER, RDI);
		CHECK(!data_within(&f, 200));
		CHECK_EQ(inb(&f, IIR_FCR) & 0x0f, 0x01); /* the poll */
		CHECK(data_within(&f, 2000));
		CHECK_EQ(inb(&f, IIR_FCR) & 0x0f, 0x04); /* received data, as the poll sees it */
		CHECK(!strcmp(drain(&f, buf, sizeof(buf)), "fg"));
		outb(&f, IER, 0); /* closed: it takes another poll with RDI on to listen */
		CHECK_EQ(write(p[1], "h", 1), 1);
		outb(&f, IER, RDI);
		CHECK(!data_within(&f, 200));
		inb(&f, IIR_FCR);
		CHECK(data_within(&f, 2000));
		CHECK(!strcmp(drain(&f, buf, sizeof(buf)), "h"));
		outb(&f, MCR, OUT2);
	}
	/* Loopback takes the receiver off the line, for either kind of guest. */
	outb(&f, MCR, OUT2 | LOOP);
	CHECK_EQ(write(p[1], "e", 1), 1);
	CHECK(!data_within(&f, 200));
	outb(&f, MCR, OUT2);
	CHECK(data_within(&f, 2000));
	CHECK(!strcmp(drain(&f, buf, sizeof(buf)), "e"));

	close(p[1]);
	serial_device.stop(f.vm.devices[0].state);
	vm_destroy(&f.vm);
	CHECK(dup2(saved, STDIN_FILENO) == STDIN_FILENO);
	close(saved);
}

/* Whether the overrun count reaches n within ms milliseconds, reading no register. */
static bool overruns_within(struct fixture *f, uint64_t n, unsigned ms)
{
	uint64_t end = mono_ns() + ms * 1000000ull;

	while (counter_of(f, "rx_overruns") < n && mono_ns() < end)
		usleep(1000);
	return counter_of(f, "rx_overruns") == n;
}

/*
 * A terminal typing past what the FIFO (1024) and the host-side buffer (4096)
 * hold, into a guest that listens but reads nothing: the rest is lost and
 * counted, and the guest hears of it as from a 16550, by LSR's OE and, with
 * IER's RLSI on, a line-status interrupt ahead of received data; reading LSR
 * clears both.
 */
static void test_overrun(void)
{
	struct fixture f;
	char keys[1024];
	int master, slave, saved = dup(STDIN_FILENO);
	uint64_t irqs0;

	CHECK(saved >= 0 && openpty(&master, &slave, NULL, NULL, NULL) == 0);
	CHECK(dup2(slave, STDIN_FILENO) == STDIN_FILENO);
	close(slave);
	fixture_init_console(&f, false, true);
	CHECK_EQ(serial_device.start(f.vm.devices[0].state), 0);
	outb(&f, IIR_FCR, 0x07);
	outb(&f, MCR, OUT2);
	outb(&f, IER, RDI | RLSI);
	irqs0 = irqs(&f);
	memset(keys, 'k', sizeof(keys));
	for (int i = 0; i < 6; i++)
		CHECK_EQ(write(master, keys, sizeof(keys)), (ssize_t)sizeof(keys));
	CHECK(overruns_within(&f, 1024, 5000));
	CHECK_EQ(inb(&f, IIR_FCR) & 0x0f, 0x06); /* line status first */
	CHECK(irqs(&f) > irqs0);
	CHECK_EQ(inb(&f, LSR) & (OE | DR), OE | DR);
	CHECK_EQ(inb(&f, LSR) & OE, 0);		 /* cleared by the read */
	CHECK_EQ(inb(&f, IIR_FCR) & 0x0f, 0x04); /* then received data */
	/* RLSI off: the next loss shows in LSR only. */
	outb(&f, IER, RDI);
	CHECK_EQ(write(master, keys, 100), 100);
	CHECK(overruns_within(&f, 1124, 5000));
	CHECK_EQ(inb(&f, IIR_FCR) & 0x0f, 0x04);
	CHECK_EQ(inb(&f, LSR) & OE, OE);
	CHECK_EQ(inb(&f, LSR) & OE, 0);

	serial_device.stop(f.vm.devices[0].state);
	vm_destroy(&f.vm);
	close(master);
	CHECK(dup2(saved, STDIN_FILENO) == STDIN_FILENO);
	close(saved);
}

int main(void)
{
	test_registers();
	test_line_and_modem();
	test_fifo();
	test_interrupts();
	test_input(false);
	test_input(true);
	test_overrun();
	return check_summary("test_serial");
}
