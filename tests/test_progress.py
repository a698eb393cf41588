"""Long runs show progress on a terminal; Ctrl-C stops them cleanly and leaves --out alone."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import sim
from hostile import snapshot


def test_progress_is_reported_month_by_month():
    calls = []
    sim.run("middenhuur-2017", seed=1, months=5, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def _read_until(fd, needle: bytes, seconds: float) -> bytes:
    seen, end = b"", time.monotonic() + seconds
    while needle not in seen and time.monotonic() < end:
        if select.select([fd], [], [], 0.5)[0]:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the other end closed
                break
    return seen


def test_a_long_run_shows_progress_and_ctrl_c_leaves_out_as_it_was(out_dir):
    """The national scenario takes over two seconds; stderr is a terminal (a pty) as for a person."""
    before = snapshot(out_dir)
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a fresh pty is 0 wide
    p = subprocess.Popen([sys.executable, "-m", "tafelsim", "run", "nederland", "--months", "108", "--out",
                          str(out_dir)], stdout=subprocess.PIPE, stderr=terminal, stdin=subprocess.DEVNULL)
    os.close(terminal)
    try:
        shown = _read_until(controller, b"month", 90)
        assert b"month" in shown, shown  # e.g. 'running:  12%|...| 13/108 [00:02<00:15, 6.1month/s]'
        assert b"/108" in shown
        p.send_signal(signal.SIGINT)
        code = p.wait(timeout=60)
        shown += _read_until(controller, b"\n", 5)
    finally:
        if p.poll() is None:
            p.kill()
        os.close(controller)
    text = shown.decode("utf-8", "replace")
    assert code == 130, text[-2000:]
    assert "interrupted" in text and "Traceback" not in text
    assert p.stdout.read() == b""  # no half summary
    assert snapshot(out_dir) == before
