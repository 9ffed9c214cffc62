"""Where sweep tasks run: one small interface, a local process pool, Dask distributed, in-process.

An :class:`Executor` runs ``fn(task)`` for every task and yields the results *as they complete*
(order is irrelevant: every task carries its own random streams, see :mod:`qcoord.sweep.runner`).

- :class:`LocalExecutor` (default): ``concurrent.futures.ProcessPoolExecutor`` with ``workers``
  processes (default: ``os.cpu_count()``). Workers start from a ``forkserver`` (Linux) or by
  ``spawn``, never by a plain ``fork`` of the caller: the caller may already run OpenMP threads
  (numba, BLAS), and a forked copy of such a process can abort.
- :class:`DaskExecutor`: Dask distributed. ``scheduler="tcp://host:8786"`` connects to an existing
  cluster; without it a ``LocalCluster`` is started (``workers`` worker processes, one thread each,
  or threads in this process with ``processes=False``). Dask is an optional extra
  (``pip install 'qcoord[dask]'``); it is imported only when this executor is built.
- :class:`SerialExecutor`: runs tasks in this process, in order (debugging, tiny sweeps).

``fn`` and the tasks must be picklable for the process-based executors (module-level functions).
Workers of an existing Dask cluster must have the same qcoord (and the evaluator's module)
installed; the numbers then match the local pool's exactly (same seeds, same code).

Worker counts are capped at the CPU count (``os.cpu_count()``) unless ``oversubscribe=True``:
more busy processes than cores only slow each other down and multiply memory; the executor's
``note`` says when a request was capped.

Workers of the local pool watch the process that started them (a daemon thread polls its pid
every 0.25 s): if that process dies, even by ``SIGKILL``, the workers exit, and with them the
forkserver and the resource tracker (which live while a worker holds their pipes). A worker stuck
in a long call that holds the GIL exits when that call returns.

Each worker process of the local pool or of a ``LocalCluster`` is limited to one compute thread
(``NUMBA_NUM_THREADS``, ``OMP_NUM_THREADS``, BLAS threads, and ``numba.set_num_threads(1)`` if
numba is already loaded): parallelism comes from the workers, and two workers each running
multi-threaded kernels on the same cores would only slow each other down.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from abc import ABC, abstractmethod
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator

__all__ = [
    "limit_threads",
    "cpu_limit",
    "process_alive",
    "process_start_time",
    "ExecutorError",
    "Executor",
    "SerialExecutor",
    "LocalExecutor",
    "DaskExecutor",
    "make_executor",
]


class ExecutorError(ValueError):
    """An executor cannot be built or reached (bad worker count, Dask missing, scheduler down)."""


_THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads(n: int = 1) -> None:
    """Limit this process to ``n`` compute threads (process-pool worker initializer).

    Before numba is imported the thread variables are set in the environment (read once at import).
    Once numba is loaded its ``NUMBA_NUM_THREADS`` must not change any more (numba refuses a
    different value after its pool started), so only ``numba.set_num_threads(n)`` is called; it
    applies to the calling thread, which in a process-pool worker is the one that runs the tasks.
    """
    import sys

    nb = sys.modules.get("numba")
    for var in _THREAD_VARS:
        if var == "NUMBA_NUM_THREADS" and nb is not None:
            continue
        os.environ[var] = str(n)
    if nb is not None:
        try:
            nb.set_num_threads(min(n, nb.config.NUMBA_NUM_THREADS))
        except Exception:  # pragma: no cover - numba without a threading layer
            pass


def process_start_time(pid: int) -> str | None:
    """Start time of process ``pid`` in clock ticks since boot (``/proc/<pid>/stat`` field 22), as
    text; ``None`` where ``/proc`` is not available or the process does not exist. Together with the
    pid it names one process: a pid reused by a later process has another start time."""
    stat = _proc_stat(pid)
    return stat[19] if stat is not None and len(stat) > 19 else None


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name (``[0]`` is the state), or ``None``."""
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as fh:
            raw = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    return raw[raw.rfind(")") + 2:].split()  # the name may contain spaces and parentheses


def process_alive(pid: int, start_time: str | None = None) -> bool:
    """Whether process ``pid`` is running: it exists, is not a zombie (dead, not yet reaped) and,
    when ``start_time`` (:func:`process_start_time`) is given and ``/proc`` is readable, is the very
    process that had that start time (not a later process that reused the pid)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        pass
    except OSError:  # pragma: no cover - e.g. Windows without the process
        return False
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc (macOS): existence is all we can tell
    if stat[0] in ("Z", "X", "x"):
        return False
    return start_time is None or len(stat) <= 19 or stat[19] == start_time


#: Seconds between two checks of the parent by a worker's watch thread.
WATCH_INTERVAL_S = 0.25


def _watch_parent(pid: int, start_time: str | None, interval: float) -> None:
    """Body of a worker's watch thread: exit the worker process when the process that started the
    pool has died (checked by pid and start time) or when this worker was re-parented."""
    ppid = os.getppid()
    while True:
        time.sleep(interval)
        if os.getppid() != ppid or not process_alive(pid, start_time):
            os._exit(1)  # no cleanup: the main process is gone, nobody waits for our results


def _worker_init(parent_pid: int, parent_start: str | None, threads: int = 1,
                 interval: float = WATCH_INTERVAL_S) -> None:
    """Initializer of every local-pool worker: one compute thread, and a daemon thread that ends the
    worker when the sweep process ``parent_pid`` dies (so a killed sweep leaves no orphans)."""
    limit_threads(threads)
    if not process_alive(parent_pid, parent_start):  # died while we started
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid, parent_start, interval),
                     name="qcoord-parent-watch", daemon=True).start()


def cpu_limit() -> int:
    """The number of CPUs worker counts are capped at: ``os.cpu_count()`` (at least 1)."""
    return max(1, os.cpu_count() or 1)


def _cap_workers(n: int, oversubscribe: bool, what: str = "workers") -> tuple[int, str | None]:
    """``(workers to start, note or None)``: ``n`` capped at :func:`cpu_limit` unless ``oversubscribe``."""
    cpus = cpu_limit()
    if n <= cpus or oversubscribe:
        return n, None
    return cpus, (f"{what}: {n} requested, capped at the {cpus} CPU{'s' if cpus != 1 else ''} of this machine "
                  f"(more workers than cores only compete for them; --oversubscribe to start {n})")


def _worker_env(n: int = 1) -> dict[str, str]:
    """Environment of fresh worker processes (Dask nannies): one compute thread each."""
    return {var: str(n) for var in _THREAD_VARS}


def _check_workers(workers: int | None, field: str = "workers") -> int:
    if workers is None:
        return cpu_limit()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ExecutorError(f"{field}: must be an integer >= 1, got {workers!r}")
    return workers


class Executor(ABC):
    """Runs ``fn`` over tasks and yields results as they complete.

    Use as a context manager (``with make_executor(...) as ex:``) so that worker processes or the
    Dask client are released, also on error or interrupt.
    """

    name: str = "executor"
    workers: int = 1
    #: Set when the requested worker count was capped (a one-line note for the user), else None.
    note: str | None = None

    @abstractmethod
    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield ``fn(task)`` for every task in completion order.

        If a task raises, the exception propagates from the iterator and pending tasks are
        cancelled; results yielded before stay valid.
        """

    def close(self) -> None:
        """Release workers (idempotent)."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None and isinstance(exc_type, type) and issubclass(exc_type, BaseException) \
                and not issubclass(exc_type, Exception):
            self.abort()  # KeyboardInterrupt, SystemExit: do not wait for the tasks in flight
        self.close()

    def abort(self) -> None:
        """Stop work in flight at once (interrupt): kill worker processes where there are any."""

    def describe(self) -> str:
        """A one-line description for logs and the CLI summary, e.g. ``"local (2 workers)"``."""
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"


class SerialExecutor(Executor):
    """Run every task in this process, in order (no parallelism, no pickling)."""

    name = "serial"

    def __init__(self) -> None:
        self.workers = 1

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        for t in tasks:
            yield fn(t)


class LocalExecutor(Executor):
    """A local process pool (``concurrent.futures.ProcessPoolExecutor``).

    Parameters
    ----------
    workers : int, optional
        Worker processes (>= 1); default ``os.cpu_count()``. More than the CPU count is capped at
        it (``note`` says so) unless ``oversubscribe``.
    max_pending : int, optional
        Tasks in flight at once (default ``4 * workers``); keeps memory flat for huge sweeps.
    start_method : {"forkserver", "spawn", "fork"}, optional
        How worker processes start (default ``forkserver`` where available, else ``spawn``).
    oversubscribe : bool
        Start ``workers`` processes even if there are fewer CPUs.
    """

    name = "local"

    def __init__(self, workers: int | None = None, *, max_pending: int | None = None,
                 start_method: str | None = None, oversubscribe: bool = False) -> None:
        self.workers, self.note = _cap_workers(_check_workers(workers), oversubscribe)
        self.max_pending = _check_workers(max_pending, "max_pending") if max_pending else 4 * self.workers
        methods = multiprocessing.get_all_start_methods()
        if start_method is None:
            start_method = "forkserver" if "forkserver" in methods else "spawn"
        if start_method not in methods:
            raise ExecutorError(f"start_method: must be one of {methods}, got {start_method!r}")
        self.start_method = start_method
        self._pool: ProcessPoolExecutor | None = None

    def _ensure(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context(self.start_method)
            me = os.getpid()
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=_worker_init,
                                             initargs=(me, process_start_time(me)))
        return self._pool

    def worker_pids(self) -> list[int]:
        """Pids of the pool's worker processes (empty before the first task)."""
        procs = getattr(self._pool, "_processes", None) or {}
        return sorted(int(p) for p in procs)

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        pool = self._ensure()
        it = iter(tasks)
        pending: set[Future[Any]] = set()
        try:
            for t in it:
                pending.add(pool.submit(fn, t))
                if len(pending) >= self.max_pending:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    try:
                        result = f.result()  # re-raises a task's exception here
                    except BrokenProcessPool:
                        raise ExecutorError(
                            "workers: a worker process died abruptly (killed, or out of memory); "
                            "committed tasks are safe") from None
                    nxt = next(it, _END)
                    if nxt is not _END:
                        pending.add(pool.submit(fn, nxt))
                    yield result
        finally:
            for f in pending:
                f.cancel()

    def abort(self) -> None:
        """Kill the worker processes now (their tasks are lost; committed tasks are not affected)."""
        # Python 3.11's pool manager marks every pending work item broken once a worker dies, calling
        # set_exception() even on futures already cancelled, which raises InvalidStateError in its thread
        # (a traceback on stderr; fixed in 3.12). Drop the cancelled items before killing.
        items = getattr(self._pool, "_pending_work_items", None)
        if isinstance(items, dict):
            for key, item in list(items.items()):
                if getattr(getattr(item, "future", None), "cancelled", lambda: False)():
                    items.pop(key, None)
        procs = dict(getattr(self._pool, "_processes", None) or {})
        for proc in procs.values():
            try:
                proc.kill()
            except (OSError, ValueError, AttributeError):  # already gone
                pass

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


_END = object()


class DaskExecutor(Executor):
    """Dask distributed: an existing cluster (``scheduler``) or a fresh ``LocalCluster``.

    Parameters
    ----------
    scheduler : str, optional
        Scheduler address (``tcp://host:8786``). ``None`` starts a ``LocalCluster``.
    workers : int, optional
        ``LocalCluster`` workers (default ``os.cpu_count()``, and capped at it unless
        ``oversubscribe``); ignored with ``scheduler``.
    processes : bool
        ``LocalCluster`` with worker processes (default) or threads in this process.
    timeout : float
        Seconds to wait for a remote scheduler.
    oversubscribe : bool
        Start ``workers`` LocalCluster workers even if there are fewer CPUs.

    Raises
    ------
    ExecutorError
        If ``dask.distributed`` is not installed or the scheduler cannot be reached.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, *, workers: int | None = None,
                 processes: bool = True, timeout: float = 10.0, oversubscribe: bool = False) -> None:
        try:
            import distributed  # noqa: F401  (optional extra, imported lazily)
        except ImportError:
            raise ExecutorError(
                "dask: the Dask executor needs the optional extra; install it with "
                "pip install 'qcoord[dask]'") from None
        from distributed import Client, LocalCluster

        self._cluster = None
        self.scheduler = scheduler
        if scheduler is not None:
            if not isinstance(scheduler, str) or not scheduler.strip():
                raise ExecutorError(f"scheduler: must be an address like tcp://host:8786, got {scheduler!r}")
            try:
                self._client = Client(scheduler, timeout=timeout)
            except Exception as exc:  # OSError, TimeoutError, ValueError from distributed
                raise ExecutorError(f"scheduler: cannot connect to {scheduler}: {exc}") from None
            self.workers = max(1, sum(w.get("nthreads", 1)
                                      for w in self._client.scheduler_info().get("workers", {}).values()))
        else:
            n, self.note = _cap_workers(_check_workers(workers), oversubscribe)
            try:
                extra = {"env": _worker_env(1)} if processes else {}
                self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                                             dashboard_address=None, **extra)
                self._client = Client(self._cluster)
            except Exception as exc:
                if self._cluster is not None:
                    self._cluster.close()
                raise ExecutorError(f"dask: cannot start a LocalCluster with {n} workers: {exc}") from None
            self.workers = n

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        from distributed import as_completed

        it = iter(tasks)
        window = max(32, 8 * self.workers)  # tasks in flight; more are submitted as results come back
        live: set[Any] = set()
        for t in it:
            live.add(self._client.submit(fn, t, pure=False))
            if len(live) >= window:
                break
        if not live:
            return
        # with_results: results are fetched in batches by the client's event loop.
        ac = as_completed(live, with_results=True)
        results = iter(ac)
        try:
            while True:
                try:
                    f, result = next(results)  # re-raises a task's exception here
                except StopIteration:
                    break
                except ValueError:
                    raise
                except Exception as exc:  # KilledWorker, CommClosedError, ...
                    raise ExecutorError(f"dask: task failed on the cluster: {type(exc).__name__}: {exc}") from None
                live.discard(f)
                del f
                nxt = next(it, _END)
                if nxt is not _END:
                    nf = self._client.submit(fn, nxt, pure=False)
                    live.add(nf)
                    ac.add(nf)
                yield result
        finally:
            for f in live:
                f.cancel()

    def close(self) -> None:
        client, self._client = getattr(self, "_client", None), None
        if client is not None:
            client.close()
        cluster, self._cluster = getattr(self, "_cluster", None), None
        if cluster is not None:
            cluster.close()

    def describe(self) -> str:
        where = self.scheduler or ("LocalCluster")
        return f"dask @ {where} ({self.workers} workers)"


def make_executor(*, workers: int | None = None, scheduler: str | None = None, dask: bool = False,
                  serial: bool = False, processes: bool = True, oversubscribe: bool = False) -> Executor:
    """Build the executor the CLI options ask for.

    ``scheduler`` implies Dask on that cluster; ``dask=True`` alone starts a ``LocalCluster``;
    ``serial=True`` runs in process; otherwise a :class:`LocalExecutor` with ``workers``.

    Parameters
    ----------
    workers : int >= 1, optional
        Worker processes (default: the CPU count).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``).
    dask : bool
        Start a Dask ``LocalCluster`` for this run.
    serial : bool
        Run in this process (no Dask).
    processes : bool
        Dask LocalCluster with worker processes (True) or threads.
    oversubscribe : bool
        Allow more local workers than CPUs (otherwise capped at ``os.cpu_count()``, see ``note``).

    Returns
    -------
    Executor
        Use it as a context manager (or call ``close()``) to release the workers.

    Raises
    ------
    ExecutorError
        Contradictory options or ``workers < 1`` (message names the option).
    """
    if serial and (dask or scheduler):
        raise ExecutorError("serial: cannot be combined with a Dask executor")
    if scheduler is not None or dask:
        return DaskExecutor(scheduler, workers=workers, processes=processes, oversubscribe=oversubscribe)
    if serial:
        return SerialExecutor()
    return LocalExecutor(workers, oversubscribe=oversubscribe)
