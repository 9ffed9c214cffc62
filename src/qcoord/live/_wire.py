"""Wire format and low-level helpers shared by the live processes.

Every TCP connection carries newline-delimited JSON objects (one message per line, compact
separators). All sockets bind or connect to ``127.0.0.1`` only and set ``TCP_NODELAY`` (no Nagle
batching of the small messages). Times are ``time.monotonic()`` seconds: ``CLOCK_MONOTONIC`` is one
system-wide clock on Linux, so a timestamp taken in one process can be compared with one taken in
another on the same machine.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import selectors
import signal
import socket
import sys
from typing import Any

__all__ = ["HOST", "encode", "decode", "BlockingClient", "new_loop", "child_setup", "realtime_ok"]

#: Every live process binds or connects to loopback only.
HOST = "127.0.0.1"

_dumps = json.JSONEncoder(separators=(",", ":")).encode
_loads = json.loads


def encode(msg: dict[str, Any]) -> bytes:
    """One message as a JSON line."""
    return (_dumps(msg) + "\n").encode()


def decode(line: bytes) -> dict[str, Any]:
    """Parse one JSON line."""
    return _loads(line)


def nodelay(sock: socket.socket) -> None:
    """Disable Nagle's algorithm on a TCP socket."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class BlockingClient:
    """A blocking request/response client (one JSON line out, one back).

    Used inside a server's request path (the decision of an entangled policy waits for the link
    service's answer, as a measurement on real hardware would block on the device).
    """

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        nodelay(self.sock)
        self._rfile = self.sock.makefile("rb")
        self.requests = 0

    def call(self, msg: dict[str, Any]) -> dict[str, Any]:
        self.sock.sendall(encode(msg))
        line = self._rfile.readline()
        if not line:
            raise ConnectionError("the entanglement link service closed the connection")
        self.requests += 1
        return decode(line)

    def close(self) -> None:
        try:
            self._rfile.close()
            self.sock.close()
        except OSError:  # pragma: no cover
            pass


def new_loop() -> asyncio.AbstractEventLoop:
    """An asyncio loop with microsecond timer resolution.

    ``selectors.DefaultSelector`` is epoll on Linux, whose timeout CPython rounds *up* to whole
    milliseconds: every timer would fire up to 1 ms late. ``select()`` takes a ``timeval`` (µs), so
    a :class:`selectors.SelectSelector` loop wakes within the kernel's timer slack (set to 1 ns by
    :func:`child_setup`) plus scheduling delay. Each live process has a handful of sockets, so
    ``select`` costs nothing here. uvloop (libuv: millisecond timers) is deliberately not used.
    """
    loop = asyncio.SelectorEventLoop(selectors.SelectSelector())
    asyncio.set_event_loop(loop)
    return loop


def child_setup(realtime: bool = False) -> None:
    """Per-child process setup: die with the parent, ignore Ctrl-C (the parent stops us), 1 ns timer slack.

    - ``PR_SET_PDEATHSIG(SIGKILL)``: the kernel kills this process when its parent dies (even by
      SIGKILL), so no live process outlives the run.
    - SIGINT ignored: a Ctrl-C in the terminal reaches the whole process group; the parent then
      stops the children itself (SIGTERM), in order.
    - ``PR_SET_TIMERSLACK(1)``: timers wake within 1 ns of slack instead of the default 50 µs.
    - ``realtime=True``: ``SCHED_FIFO`` priority 10 (needs CAP_SYS_NICE), so that a waking live
      process runs at once instead of waiting for a CPU-bound neighbour's time slice; the kernel's
      RT throttling (``sched_rt_runtime_us``) still bounds it. Silently skipped if not permitted
      (:func:`realtime_ok` tells the parent beforehand).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})  # blocked by the parent while forking
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
            libc.prctl(29, 1, 0, 0, 0)  # PR_SET_TIMERSLACK (ns)
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            pass
    if realtime:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
        except (OSError, AttributeError):  # pragma: no cover - checked by realtime_ok first
            pass


def realtime_ok() -> str | None:
    """``None`` if this process may use ``SCHED_FIFO``, else the reason (tested in a throw-away child)."""
    if not hasattr(os, "sched_setscheduler"):
        return "SCHED_FIFO is not available on this platform"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
            os._exit(0)
        except OSError:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return None if os.waitstatus_to_exitcode(status) == 0 else "SCHED_FIFO is not permitted (needs CAP_SYS_NICE or root)"
