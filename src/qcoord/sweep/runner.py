"""Run a sweep: batch points into tasks, run them on an executor, commit each task, resume.

Determinism
-----------
Point ``i`` of the spec expansion is evaluated with the seed of ``SeedSequence(seed).spawn(n)[i]``
(:func:`qcoord.sweep.spec.point_seed`), whatever task, worker or executor runs it and in whatever
order tasks complete; so the stored numbers depend on the spec alone.

Batching
--------
Each task carries about ``target_task_s`` (default 0.1 s) of work so that scheduling overhead
(about 1 ms per task for a process pool, a few ms for Dask) stays small. The cost of one point is
measured by evaluating the first pending point in this process (its result is kept, not thrown
away); afterwards the estimate is refined from the evaluation times the workers report, and tasks
submitted later are sized from it: ``batch = ceil(target_task_s / seconds_per_point)``
(:func:`next_batch_size`), at most :data:`MAX_BATCH` points.

Points are built as tasks are cut (:meth:`SweepSpec.iter_points`), so a large grid starts
computing at once instead of first building every point; they are built once per run.

Resume
------
Every task's points and rows are committed in one SQLite transaction
(:meth:`qcoord.sweep.store.SweepStore.write_task`). Re-running the same spec on the same store skips
the finished points; a killed run loses at most the tasks in flight. A run registers as the store's
only writer (:meth:`~qcoord.sweep.store.SweepStore.acquire`: a second live sweep on the same file is
refused) and verifies the store before it resumes (:meth:`~qcoord.sweep.store.SweepStore.verify`):
points whose rows are missing or changed are deleted and computed again.

Evaluators
----------
An evaluator is a picklable (module-level) callable::

    evaluator(scenario: dict, classes: tuple[str, ...], *, replications: int, seed: int,
              **options) -> list[dict]

returning one row per strategy class (each row a dict of metrics and CIs; the class name under
``"class"``, or rows in the order of ``classes``); ``options`` are the spec's ``[evaluate]`` table
(with ``evaluate.*`` axes applied). The default, :func:`analysis_evaluator`, builds
``qcoord.system.Scenario.from_dict(scenario)`` and calls ``qcoord.analysis.evaluate_point``.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from .executors import Executor, LocalExecutor
from .spec import OPTION_PREFIX, SweepPoint, SweepSpec, SweepSpecError
from .store import PointOutcome, SweepStore, code_version, jsonable

__all__ = [
    "Evaluator",
    "SweepPointError",
    "SweepProgress",
    "SweepSummary",
    "analysis_evaluator",
    "resolve_evaluator",
    "run_sweep",
    "evaluate_points",
    "next_batch_size",
    "MAX_BATCH",
]

Evaluator = Callable[..., Sequence[Mapping[str, Any]]]

#: Keys under which an evaluator row may name its strategy class (first match wins).
CLASS_KEYS = ("class", "strategy_class", "strategy")


class SweepPointError(ValueError):
    """The evaluator failed on a point; the message names the point and its axis values."""


def analysis_evaluator(scenario: Mapping[str, Any], classes: Sequence[str], *, replications: int,
                       seed: int, **options: Any) -> list[dict[str, Any]]:
    """The default evaluator: ``qcoord.analysis.evaluate_point`` on ``Scenario.from_dict(scenario)``.

    Parameters
    ----------
    scenario : dict
        Scenario fields (``qcoord.system.Scenario.from_dict`` input).
    classes : sequence of str
        Strategy classes to evaluate.
    replications : int
        Replications of the simulation at this point.
    seed : int
        Seed of this point's random stream.
    **options
        Keyword options of ``evaluate_point`` (``lam``, ``visibility``, ``npa``, ``n_pairs``).

    Returns
    -------
    list of dict
        One row of metrics per strategy class (``evaluate_point``'s rows).
    """
    try:
        from qcoord.analysis import evaluate_point  # type: ignore[attr-defined]
        from qcoord.system import Scenario  # type: ignore[attr-defined]
    except ImportError as exc:  # the analysis package is written in parallel
        raise SweepPointError(
            f"evaluator: qcoord.analysis.evaluate_point is not available ({exc}); "
            "pass another evaluator (--evaluator module:function)") from None
    sc = Scenario.from_dict(dict(scenario))
    return list(evaluate_point(sc, tuple(classes), replications=replications, seed=seed, **options))


def resolve_evaluator(ref: str | Evaluator | None) -> Evaluator:
    """An evaluator from ``None`` (the default), a callable, or a ``"module:function"`` reference.

    Parameters
    ----------
    ref : None, callable or str
        ``None`` (or a name of the default) gives :func:`analysis_evaluator`; a callable is returned
        as it is; ``"module:function"`` is imported.

    Returns
    -------
    callable
        ``evaluator(scenario, classes, *, replications, seed, **options) -> list[dict]``.

    Raises
    ------
    SweepPointError
        Malformed reference, module not importable, or no such callable (message starts ``evaluator:``).
    """
    if ref is None or ref in ("qcoord.analysis:evaluate_point", "qcoord.sweep:analysis_evaluator",
                              "qcoord.sweep.runner:analysis_evaluator"):
        return analysis_evaluator  # evaluate_point itself takes a Scenario, not the point's dict
    if callable(ref):
        return ref
    if not isinstance(ref, str) or ref.count(":") != 1:
        raise SweepPointError(f"evaluator: must be 'module:function', got {ref!r}")
    mod_name, fn_name = ref.split(":")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as exc:
        raise SweepPointError(f"evaluator: cannot import module {mod_name!r}: {exc}") from None
    fn = getattr(mod, fn_name, None)
    if not callable(fn):
        raise SweepPointError(f"evaluator: {mod_name!r} has no callable {fn_name!r}")
    return fn


@dataclass(frozen=True)
class SweepProgress:
    """Progress of a running sweep (passed to the ``progress`` callback after each committed task).

    Attributes
    ----------
    done : int
        Finished points, including those skipped because an earlier run finished them.
    total : int
        Points in the spec expansion.
    skipped : int
        Points finished before this run started.
    elapsed_s : float
        Seconds since this run started.
    eta_s : float or None
        Estimated seconds left: remaining points / this run's rate of points per second.
    """

    done: int
    total: int
    skipped: int
    elapsed_s: float
    eta_s: float | None


@dataclass(frozen=True)
class SweepSummary:
    """What a run did.

    Attributes
    ----------
    n_points, skipped, computed : int
        Points in the spec, finished before this run, evaluated by this run.
    n_tasks : int
        Tasks dispatched (including the in-process calibration task).
    mean_batch : float
        Mean points per task.
    seconds_per_point : float or None
        Mean evaluator seconds per point (as measured on the workers).
    task_seconds : tuple of float
        Evaluator seconds of each task in commit order (the first is the one-point calibration
        task unless ``batch_size`` was given); the work each task carried.
    elapsed_s : float
        Wall-clock seconds of the run.
    executor : str
        Description of the executor.
    spec_hash : str
        Hash of the spec (binds the store).
    store : str
        Path of the results file.
    repaired : int
        Finished points that failed verification on resume and were computed again (included in
        ``computed``).
    """

    n_points: int
    skipped: int
    computed: int
    n_tasks: int
    mean_batch: float
    seconds_per_point: float | None
    elapsed_s: float
    task_seconds: tuple[float, ...]
    executor: str
    spec_hash: str
    store: str
    repaired: int = 0


@dataclass(frozen=True)
class _Task:
    evaluator: Evaluator
    points: tuple[SweepPoint, ...]
    classes: tuple[str, ...]
    replications: int
    clock: Callable[[], float] | None = None  # evaluator timing (default time.perf_counter)


def _class_rows(rows: Any, classes: Sequence[str], point: SweepPoint) -> tuple[tuple[str, dict[str, Any]], ...]:
    """Validate an evaluator's rows and pair each with its class name."""
    if isinstance(rows, Mapping) or not isinstance(rows, Sequence) or len(rows) == 0:
        raise SweepPointError(
            f"point {point.index} ({point.axes}): evaluator must return a non-empty list of dict rows, "
            f"got {type(rows).__name__}")
    out: list[tuple[str, dict[str, Any]]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise SweepPointError(f"point {point.index}: evaluator row {i} must be a dict, got {type(row).__name__}")
        key = next((k for k in CLASS_KEYS if k in row and row[k] is not None), None)
        name = str(row[key]) if key is not None else None
        if name is None:
            if len(rows) != len(classes):
                raise SweepPointError(
                    f"point {point.index}: evaluator rows name no class (key 'class') and their number "
                    f"({len(rows)}) differs from the classes ({len(classes)})")
            name = classes[i]
        metrics = {k: v for k, v in row.items() if k != key}
        out.append((name, jsonable(metrics)))
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise SweepPointError(f"point {point.index}: evaluator returned duplicate class rows {names}")
    return tuple(out)


def _evaluate(evaluator: Evaluator, point: SweepPoint, classes: tuple[str, ...],
              replications: int, clock: Callable[[], float] | None = None) -> PointOutcome:
    clock = clock or time.perf_counter
    t0 = clock()
    try:
        rows = evaluator(point.scenario, classes, replications=replications, seed=point.seed, **point.options)
    except SweepPointError:
        raise
    except Exception as exc:  # wrap anything from deep inside: name the point
        raise SweepPointError(
            f"point {point.index} ({', '.join(f'{k}={v!r}' for k, v in point.axes.items()) or 'base'}): "
            f"{type(exc).__name__}: {exc}") from None
    elapsed = clock() - t0
    return PointOutcome(index=point.index, key=point.key, axes=point.axes, scenario=point.scenario,
                        options=point.options, seed=point.seed, rows=_class_rows(rows, classes, point), elapsed_s=elapsed)


def check_options(evaluator: Evaluator, spec: SweepSpec) -> None:
    """Check the spec's evaluator options (``[evaluate]`` and ``evaluate.*`` axes) against the
    evaluator's signature before any work starts.

    Raises
    ------
    SweepSpecError
        Naming the first option the evaluator does not accept.
    """
    names = set(spec.options) | {a.name[len(OPTION_PREFIX):] for a in spec.axes if a.name.startswith(OPTION_PREFIX)}
    if not names:
        return
    target = evaluator
    if evaluator is analysis_evaluator:
        try:
            from qcoord.analysis import evaluate_point as target  # type: ignore[no-redef]
        except ImportError:  # reported when the first point runs
            return
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return
    params = sig.parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    allowed = sorted(n for n, p in params.items()
                     if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                     and n not in ("scenario", "classes", "replications", "seed", "progress"))
    for n in sorted(names):
        if n not in allowed:
            raise SweepSpecError(
                f"evaluate.{n}: not an option of the evaluator {getattr(target, '__name__', target)}; "
                f"allowed: {', '.join(allowed) or '(none)'}")


def preflight(evaluator: Evaluator, spec: SweepSpec, points: Sequence[SweepPoint] | None = None) -> None:
    """Checks before any work is dispatched, so that a bad spec fails at once with a clear message.

    Always: the evaluator options (:func:`check_options`). With the default evaluator also: every
    class is a strategy class of ``qcoord.compile.POLICY_KINDS``, and every point's scenario is a
    valid ``qcoord.system.Scenario`` (its validation names the field) with utilisation < 1 (the
    evaluator simulates, which needs a stationary system: ``Scenario.check_stationary``). Without
    ``points`` the scenarios are generated one at a time (no keys or seeds: cheap).

    Raises
    ------
    SweepSpecError
    """
    check_options(evaluator, spec)
    if evaluator is not analysis_evaluator:
        return
    try:
        from qcoord.compile import POLICY_KINDS  # type: ignore[attr-defined]

        for c in spec.classes:
            if c not in POLICY_KINDS:
                raise SweepSpecError(f"classes: {c!r} is not a strategy class; allowed: {', '.join(POLICY_KINDS)}")
    except ImportError:  # pragma: no cover - reported by the first point
        pass
    try:
        from qcoord.system import Scenario  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover
        return
    items = spec.iter_scenarios() if points is None else ((p.index, p.axes, p.scenario) for p in points)
    for index, axes, scenario in items:
        try:
            Scenario.from_dict(scenario).check_stationary()  # the default evaluator simulates
        except (ValueError, TypeError) as exc:
            where = ", ".join(f"{k}={v!r}" for k, v in axes.items()) or "base"
            raise SweepSpecError(f"{exc} (at point {index}: {where})") from None


def run_task(task: _Task) -> list[PointOutcome]:
    """Evaluate every point of a task (runs on a worker; module-level so it pickles)."""
    return [_evaluate(task.evaluator, p, task.classes, task.replications, task.clock) for p in task.points]


#: Largest task (points): keeps progress updates and the memory of tasks in flight bounded when
#: points are very cheap.
MAX_BATCH = 5000


def next_batch_size(target_task_s: float, eval_s: float, computed: int, max_batch: int = MAX_BATCH) -> int:
    """Points in the next task: ``ceil(target_task_s / seconds_per_point)`` from the evaluator time
    measured so far (``eval_s`` over ``computed`` points), within ``[1, max_batch]``; ``max_batch``
    when nothing has been measured or points take no measurable time."""
    per_point = eval_s / computed if computed > 0 else 0.0
    if per_point <= 0 or not math.isfinite(per_point):
        return max_batch
    return max(1, min(max_batch, math.ceil(target_task_s / per_point)))


def evaluate_points(spec: SweepSpec, indices: Sequence[int] | None = None, *,
                    evaluator: str | Evaluator | None = None) -> list[PointOutcome]:
    """Evaluate points of ``spec`` in this process, without a store (for inspection and tests).

    Parameters
    ----------
    spec : SweepSpec
    indices : sequence of int, optional
        Points to evaluate (default: all, in expansion order).
    evaluator : str or callable, optional
        As for :func:`resolve_evaluator`.

    Returns
    -------
    list of PointOutcome
        The same rows :func:`run_sweep` would store for those points.
    """
    ev = resolve_evaluator(evaluator)
    idx = range(spec.n_points) if indices is None else indices
    return [_evaluate(ev, spec.point(i), spec.classes, spec.replications) for i in idx]


def run_sweep(
    spec: SweepSpec,
    store: SweepStore | str | Path,
    *,
    evaluator: str | Evaluator | None = None,
    executor: Executor | None = None,
    progress: Callable[[SweepProgress], None] | None = None,
    batch_size: int | None = None,
    target_task_s: float = 0.1,
    validate: bool = True,
    notify: Callable[[str], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> SweepSummary:
    """Run every unfinished point of ``spec`` and commit the rows to ``store``.

    Parameters
    ----------
    spec : SweepSpec
        The validated sweep.
    store : SweepStore or path
        Results database (created if missing; bound to ``spec``; finished points are skipped).
        The run registers as its only writer and verifies it first (see module notes).
    evaluator : callable or "module:function", optional
        Point evaluator (default :func:`analysis_evaluator`).
    executor : Executor, optional
        Where tasks run (default: a :class:`~qcoord.sweep.executors.LocalExecutor` with one
        process per core, closed at the end). A passed executor is left open.
    progress : callable, optional
        Called with a :class:`SweepProgress` at the start and after every committed task.
    batch_size : int, optional
        Fixed points per task; default: sized from measured cost to ``target_task_s``.
    target_task_s : float
        Seconds of work per task to aim for (> 0).
    validate : bool
        Run :func:`preflight` first (default). ``False`` when the caller already did.
    notify : callable, optional
        Receives one-line notes (points recomputed after a failed verification); default:
        ``warnings.warn``.
    clock : callable, optional
        Clock timing each evaluation (default ``time.perf_counter``); the measured times size the
        tasks. Must pickle for process executors.

    Returns
    -------
    SweepSummary
    """
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise SweepPointError(f"batch_size: must be an integer >= 1, got {batch_size!r}")
    if not (isinstance(target_task_s, (int, float)) and math.isfinite(target_task_s) and target_task_s > 0):
        raise SweepPointError(f"target_task_s: must be a number > 0, got {target_task_s!r}")
    ev = resolve_evaluator(evaluator)
    if validate:
        preflight(ev, spec)  # before the store file is created
    note = notify or (lambda msg: warnings.warn(msg, UserWarning, stacklevel=3))
    own_store = not isinstance(store, SweepStore)
    st = SweepStore(store) if own_store else store
    own_exec = executor is None
    t_start = time.perf_counter()
    held = st._token is not None
    try:
        st.bind(spec)
        st.acquire()  # refuses a second live writer of the same file
        repaired = 0
        report = st.verify()
        if not report.ok:
            repaired = st.repair(report, spec)
            note(f"{st.path}: {report.summary()}; {repaired} point{'s' if repaired != 1 else ''} will be computed again")
        finished = st.finished_keys()
        total = spec.n_points
        if finished:
            # Resume: one pass builds the pending points (and counts the finished ones exactly).
            pending_list = [p for p in spec.iter_points() if p.key not in finished]
            skipped = total - len(pending_list)
            pending: Iterator[SweepPoint] = iter(pending_list)
            has_work = bool(pending_list)
        else:
            skipped = 0
            pending = spec.iter_points()  # built as tasks are cut: work starts at once
            has_work = total > 0
        version = code_version()
        state = {"done": skipped, "computed": 0, "tasks": 0, "eval_s": 0.0}
        task_seconds: list[float] = []

        def commit(outcomes: Sequence[PointOutcome]) -> None:
            st.write_task(outcomes, root_seed=spec.seed, replications=spec.replications, version=version)
            state["done"] += len(outcomes)
            state["computed"] += len(outcomes)
            state["tasks"] += 1
            work = sum(o.elapsed_s for o in outcomes)
            state["eval_s"] += work
            task_seconds.append(work)
            if progress is not None:
                el = time.perf_counter() - t_start
                rate = state["computed"] / el if el > 0 else 0.0
                left = total - state["done"]
                progress(SweepProgress(done=state["done"], total=total, skipped=skipped, elapsed_s=el,
                                       eta_s=(left / rate) if rate > 0 else None))

        if progress is not None:
            progress(SweepProgress(done=skipped, total=total, skipped=skipped, elapsed_s=0.0,
                                   eta_s=None if has_work else 0.0))

        more = has_work
        if has_work and batch_size is None:
            # Calibration: evaluate the first pending point here; its rows are kept.
            first = next(pending)
            commit(run_task(_Task(ev, (first,), spec.classes, spec.replications, clock)))
            nxt = next(pending, None)
            more = nxt is not None
            if more:
                pending = itertools.chain((nxt,), pending)

        def batches() -> Iterator[_Task]:
            while True:
                b = batch_size if batch_size is not None else next_batch_size(
                    target_task_s, state["eval_s"], state["computed"])
                chunk = tuple(itertools.islice(pending, b))
                if not chunk:
                    return
                yield _Task(ev, chunk, spec.classes, spec.replications, clock)

        if more:
            ex = executor if executor is not None else LocalExecutor()
            try:
                for outcomes in ex.imap_unordered(run_task, batches()):
                    commit(outcomes)
            finally:
                if own_exec:
                    ex.close()
            exec_name = ex.describe()
        elif executor is not None:
            exec_name = executor.describe()
        else:
            exec_name = "in process (calibration task only)" if has_work else "none (nothing to run)"
        computed = state["computed"]
        return SweepSummary(
            n_points=total, skipped=skipped, computed=computed, n_tasks=state["tasks"],
            mean_batch=(computed / state["tasks"]) if state["tasks"] else 0.0,
            seconds_per_point=(state["eval_s"] / computed) if computed else None,
            elapsed_s=time.perf_counter() - t_start, task_seconds=tuple(task_seconds), executor=exec_name,
            spec_hash=spec.spec_hash, store=str(st.path), repaired=repaired)
    finally:
        if own_store:
            st.close()
        elif not held:
            st.release()  # a store passed in stays open; the writer registration ends with the run
