"""Start the live processes, run one emulation, stop everything (also on a fault or Ctrl-C).

Processes (``multiprocessing``, fork start: the policy objects are the parent's own): per policy
group two servers, one load generator, one delay proxy and, when an entangled policy is run, one
entanglement link service. Every process binds 127.0.0.1 only, on a port the kernel chooses
(port 0), and reports it; the parent then tells each process its peers' ports. Every child dies
with its parent (``PR_SET_PDEATHSIG``) and exits when its pipe to the parent closes.

Faults: the parent watches every child's pipe and process sentinel. A child that exits before it
delivered its result (killed, crashed) stops the run with a :class:`LiveError` that names it (e.g.
``server 1 of policy 'entangled' (pid 4242) died (killed by SIGKILL) 3.2 s into the run``); a run
that exceeds its time bound stops the same way; on Ctrl-C (``KeyboardInterrupt``) the children are
stopped and the interrupt is re-raised. In every case each child is sent SIGTERM, then SIGKILL if
it has not exited within 2 s, and reaped: no process is left behind.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import signal
import time
from dataclasses import dataclass
from typing import Any, Callable

from ._nodes import child_main

__all__ = ["LiveError", "Child", "run_processes"]


class LiveError(RuntimeError):
    """The live run failed: a process died or reported an error, or the run exceeded its bound."""


@dataclass
class Child:
    """One live process: its role, label, the parent's end of its pipe and its result."""

    kind: str
    label: str
    spec: dict[str, Any]
    process: Any = None
    conn: Any = None
    port: int = 0
    result: Any = None
    state: str = "new"


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "is not responding"
    if code < 0:
        try:
            return f"died (killed by {signal.Signals(-code).name})"
        except ValueError:  # pragma: no cover
            return f"died (signal {-code})"
    return f"exited with code {code}"


def _stop(children: list[Child]) -> None:
    """SIGTERM every live child, SIGKILL what is left after 2 s, reap all."""
    for c in children:
        p = c.process
        if p is not None and p.is_alive():
            try:
                p.terminate()
            except OSError:  # pragma: no cover
                pass
    deadline = time.monotonic() + 2.0
    for c in children:
        p = c.process
        if p is not None:
            p.join(max(deadline - time.monotonic(), 0.01))
            if p.is_alive():
                p.kill()
                p.join(2.0)
        if c.conn is not None:
            try:
                c.conn.close()
            except OSError:  # pragma: no cover
                pass


def run_processes(
    children: list[Child],
    *,
    ports_for: Callable[[list[Child]], dict[str, Any]],
    start_delay: float,
    time_bound: float,
    progress: Callable[[int, int], Any] | None = None,
    on_started: Callable[[dict[str, int]], Any] | None = None,
) -> dict[str, Any]:
    """Run the children through ready -> go -> start -> complete -> finish; return their results.

    Parameters
    ----------
    children : list of Child
        Exactly one of kind ``loadgen``; it reports ``("complete",)`` when every customer is done.
    ports_for : callable
        Builds the ``go`` message (peers' ports) from the children once all are ready.
    start_delay : float
        Seconds between the start message and the epoch (time for every process to be scheduled).
    time_bound : float
        Seconds from the epoch after which the run is stopped with a :class:`LiveError`.
    progress : callable ``(done, total)``, optional
        Customers completed so far (reported by the load generator about 4 times a second).
    on_started : callable, optional
        Called with ``{label: pid}`` once every child runs (tests use it to inject faults).

    Returns
    -------
    dict
        ``{label: result}`` plus ``"_timing"`` (seconds: start-up, run, stop).
    """
    ctx = multiprocessing.get_context("fork")
    t_begin = time.monotonic()
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    try:
        # A Ctrl-C while children are being forked is held back until all of them have set up
        # their own handlers (they inherit the blocked mask and unblock it themselves).
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
        try:
            for c in children:
                parent, child = ctx.Pipe(duplex=True)
                c.conn = parent
                c.process = ctx.Process(target=child_main, args=(c.kind, c.spec, child), name=f"qcoord-live {c.label}", daemon=True)
                c.process.start()
                child.close()
                c.state = "started"
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        if on_started is not None:
            on_started({c.label: int(c.process.pid) for c in children})
        epoch_box: list[float] = []

        def wait_all(state: str, want: str, timeout: float, until: Callable[[], bool] | None = None) -> None:
            deadline = time.monotonic() + timeout
            pending = {id(c) for c in children if c.state == state}
            while pending or (until is not None and not until()):
                if until is not None and not pending and until():
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    if until is not None:
                        raise LiveError(f"run: not finished within its bound of {time_bound:.0f} s; stopped")
                    names = ", ".join(c.label for c in children if id(c) in pending)
                    raise LiveError(f"start-up: {names} did not answer within {timeout:.0f} s")
                objs = [c.conn for c in children] + [c.process.sentinel for c in children]
                for obj in multiprocessing.connection.wait(objs, timeout=min(left, 0.5)):
                    c = next((k for k in children if k.conn is obj), None)
                    if c is None:  # a sentinel: a process exited
                        dead = next(k for k in children if k.process.sentinel == obj)
                        if dead.state != "finished":
                            dead.process.join(0.5)
                            when = f"{time.monotonic() - epoch_box[0]:.1f} s into the run" if epoch_box else "during start-up"
                            raise LiveError(
                                f"{dead.label} (pid {dead.process.pid}) {_describe_exit(dead.process.exitcode)} {when}; "
                                "the run was stopped and every other live process ended"
                            )
                        continue
                    try:
                        msg = c.conn.recv()
                    except (EOFError, OSError):
                        continue  # its sentinel reports the exit
                    kind = msg[0]
                    if kind == "error":
                        raise LiveError(f"{c.label} (pid {c.process.pid}) failed: {msg[1].strip().splitlines()[-1]}\n{msg[1]}")
                    if kind == "progress":
                        if progress is not None:
                            progress(int(msg[1]), int(msg[2]))
                        continue
                    if kind == "complete":
                        c.state = "complete"
                        continue
                    if kind == want and id(c) in pending:
                        if kind == "ready":
                            c.port = int(msg[1])
                        if kind == "result":
                            c.result = msg[1]
                        pending.discard(id(c))
                        c.state = {"ready": "ready", "connected": "connected", "result": "finished"}[kind]

        wait_all("started", "ready", 60.0)
        ports = ports_for(children)
        for c in children:
            c.conn.send(("go", ports))
        wait_all("ready", "connected", 30.0)
        epoch = time.monotonic() + start_delay
        for c in children:
            c.conn.send(("start", epoch))
        epoch_box.append(epoch)
        t_started = time.monotonic()
        loadgen = next(c for c in children if c.kind == "loadgen")
        wait_all("none", "none", epoch + time_bound - time.monotonic(), until=lambda: loadgen.state == "complete")
        t_run = time.monotonic()
        for c in children:
            c.state = "connected"
            c.conn.send(("finish",))
        wait_all("connected", "result", 30.0)
        out: dict[str, Any] = {c.label: c.result for c in children}
        out["_timing"] = {"startup_s": t_started - t_begin, "run_s": t_run - t_started, "epoch": epoch}
        return out
    finally:
        _stop(children)
