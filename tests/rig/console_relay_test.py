#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tests tests/rig/console-relay.c (make run's terminal in the rig) against a fake L1: a child
process on QEMU's side of the console FIFOs that prints boot noise, looks whether any input
came before it printed the ready line (none may), prints the line in two pieces, then reads
input and echoes it. No QEMU, no KVM: runs on any host, under the sanitizers.

Usage: console_relay_test.py RELAY (prints PASS/FAIL lines; exits 1 on any failure)."""
import hashlib
import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import termios
import time

RELAY = sys.argv[1]
MARKER = b"rig-l1: ready after "
failures = 0


def check(ok, what, detail=""):
    global failures
    print(("PASS: " if ok else "FAIL: ") + what + ("" if ok else f" ({detail})"), flush=True)
    failures += not ok


def fake_l1(base, want, marker=True, echo=True, linger=0.0):
    """Forks the fake L1. It reads input until `want` bytes came (or 20 s passed) and writes
    "early=N got=SHA256 len=M" to base.report. Returns its pid (the relay's PID)."""
    pid = os.fork()
    if pid:
        return pid
    try:
        fin = os.open(base + ".in", os.O_RDWR | os.O_NONBLOCK)
        fout = os.open(base + ".out", os.O_RDWR)
        os.write(fout, b"boot noise\r\n")
        time.sleep(0.5)
        early = 0
        while True:  # what the relay let through before the ready line
            try:
                chunk = os.read(fin, 65536)
            except BlockingIOError:
                break
            early += len(chunk)
        got = b""
        if marker:
            os.write(fout, MARKER[:11])
            time.sleep(0.05)
            os.write(fout, MARKER[11:] + b"1.00s; running x\r\n")
            deadline = time.monotonic() + 20
            while len(got) < want and time.monotonic() < deadline:
                r, _, _ = select.select([fin], [], [], 0.2)
                if not r:
                    continue
                chunk = os.read(fin, 65536)
                got += chunk
                if echo:
                    os.write(fout, chunk)
        time.sleep(linger)
        with open(base + ".report", "w") as f:
            f.write(f"early={early} got={hashlib.sha256(got).hexdigest()} len={len(got)}\n")
        os._exit(0)
    except BaseException as e:  # the child must never return into the test
        print(f"fake L1: {e!r}", file=sys.stderr)
        os._exit(3)


def report(base):
    with open(base + ".report") as f:
        return dict(kv.split("=", 1) for kv in f.read().split())


def sha(b):
    return hashlib.sha256(b).hexdigest()


def fifo_dir():
    d = tempfile.mkdtemp(prefix="console-relay-")
    base = os.path.join(d, "console")
    os.mkfifo(base + ".in")
    os.mkfifo(base + ".out")
    return base


def piped(data, name, **fake):
    """The relay with stdin and stdout pipes, data written at once, before the ready line."""
    base = fifo_dir()
    pid = fake_l1(base, len(data), **fake)
    relay = subprocess.Popen([RELAY, base, MARKER, str(pid)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = relay.communicate(data, timeout=60)
    except subprocess.TimeoutExpired:
        relay.kill()
        out, err = relay.communicate()
        check(False, f"{name}: the relay ends when L1 does", "still running after 60 s")
    os.waitpid(pid, 0)
    check(relay.returncode == 0 and err == b"", f"{name}: the relay ends with status 0, quietly",
          f"status {relay.returncode}, stderr {err!r}")
    return base, out


def test_piped():
    data = b"echo piped-$((6 * 7))\npoweroff\n"
    base, out = piped(data, "piped")
    r = report(base)
    check(r["early"] == "0", "piped: nothing reaches L1 before its ready line",
          f"{r['early']} bytes did")
    check(r["got"] == sha(data), "piped: L1 gets the input whole, after the ready line",
          f"{r['len']} bytes of {len(data)}")
    check(out.startswith(b"boot noise\r\n" + MARKER) and out.endswith(data),
          "piped: L1's output reaches stdout in order, the echo after the ready line", repr(out))


def test_large():
    # More than the FIFOs and QEMU hold, echoed while it flows in: neither direction may wait
    # for the other.
    data = os.urandom(300000)
    base, out = piped(data, "large")
    r = report(base)
    check(r["early"] == "0" and r["got"] == sha(data),
          "large: 300000 bytes reach L1 whole while it echoes them",
          f"early {r['early']}, {r['len']} bytes")
    check(out.endswith(data), "large: the echo of all 300000 comes back on stdout",
          f"{len(out)} bytes of output")


def test_no_marker():
    base, out = piped(b"never\n", "no-marker", marker=False)
    r = report(base)
    check(r["early"] == "0" and r["len"] == "0",
          "no-marker: an L1 that never gets ready never gets input, and the relay still ends",
          f"early {r['early']}, {r['len']} bytes")


def on_pty(name, fake_kw, body):
    """The relay with a pty as its terminal; body(master, relay) drives it."""
    base = fifo_dir()
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    pid = fake_l1(base, **fake_kw)
    relay = subprocess.Popen([RELAY, base, MARKER, str(pid)], stdin=slave, stdout=slave,
                             stderr=subprocess.PIPE)
    try:
        body(master, slave, relay)
        relay.wait(timeout=60)
    except subprocess.TimeoutExpired:
        relay.kill()
        relay.wait()
        check(False, f"{name}: the relay ends", "still running after 60 s")
    os.waitpid(pid, 0)
    after = termios.tcgetattr(slave)
    check(after == before, f"{name}: the terminal is as it was once the relay ends",
          f"{before} -> {after}")
    os.close(master)
    os.close(slave)
    return base, relay


def read_until(master, token, secs=20):
    out = b""
    deadline = time.monotonic() + secs
    while token not in out and time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                out += os.read(master, 65536)
            except OSError:
                break
    return out


def wait_raw(slave):
    """Waits until the relay has made the terminal raw: what is typed before that is the
    terminal's own to echo and edit, as with any program."""
    deadline = time.monotonic() + 20
    while termios.tcgetattr(slave)[3] & termios.ECHO and time.monotonic() < deadline:
        time.sleep(0.02)


def test_terminal():
    typed = b"typed-early\r\x03ok\r"  # CR as a terminal sends it, and a Ctrl-C

    def body(master, slave, relay):
        wait_raw(slave)
        os.write(master, typed)  # typed while L1 boots
        out = read_until(master, MARKER)
        iflag, oflag, _, lflag = termios.tcgetattr(slave)[:4]
        check(not lflag & (termios.ECHO | termios.ICANON | termios.ISIG)
              and not iflag & (termios.ICRNL | termios.IXON) and oflag & termios.OPOST,
              "terminal: raw while the relay runs (no echo, line editing, signals or CR "
              "mapping; output processing kept)", f"iflag {iflag:#o} lflag {lflag:#o}")
        check(typed.rstrip(b"\r") not in out, "terminal: what was typed is not echoed",
              repr(out))

    base, relay = on_pty("terminal", {"want": len(typed), "echo": False}, body)
    r = report(base)
    check(relay.returncode == 0, "terminal: the relay ends with status 0",
          f"status {relay.returncode}")
    check(r["early"] == "0" and r["got"] == sha(typed),
          "terminal: keys typed during the boot reach L1 after its ready line, byte for byte",
          f"early {r['early']}, {r['len']} bytes")


def test_hangup():
    def body(master, slave, relay):
        wait_raw(slave)
        relay.send_signal(signal.SIGHUP)

    _, relay = on_pty("hangup", {"want": 1, "marker": False, "linger": 3}, body)
    check(relay.returncode == -signal.SIGHUP, "hangup: a SIGHUP ends the relay by that signal",
          f"status {relay.returncode}")


def test_bad_usage():
    base = fifo_dir()
    me = str(os.getpid())
    cases = [("no arguments", [], b"usage: console-relay PIPE MARKER PID"),
             ("a PID that is not a number", [base, MARKER, "12x"], b"not a process ID: 12x"),
             ("an empty MARKER", [base, b"", me], b"MARKER must be"),
             ("no such FIFO", [base + "-none", MARKER, me], b"-none.in")]
    for name, args, want in cases:
        p = subprocess.run([RELAY] + args, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=20)
        lines = p.stderr.splitlines()
        check(p.returncode == 2 and len(lines) == 1 and want in lines[0],
              f"bad usage, {name}: status 2 and one line naming the problem",
              f"{p.returncode} {p.stderr!r}")


test_piped()
test_large()
test_no_marker()
test_terminal()
test_hangup()
test_bad_usage()
print(f"console-relay: {'FAILED' if failures else 'all passed'}")
sys.exit(1 if failures else 0)
