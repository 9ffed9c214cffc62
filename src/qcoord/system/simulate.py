"""The simulator: run policies on common random inputs and measure waiting and baseline output.

For each replication ``r`` the inputs are drawn once (:meth:`Scenario.draw_inputs`) and every policy
routes the *same* pairs (common random numbers). For each policy the customers of each server are
merged into one job list, ordered by release time, then KEEP before FORWARD, then pair index, then
arrival server (this order breaks ties, e.g. when ``d = 0``), and the server's queue is run exactly by
the event-driven kernels of ``_kernels.py`` (``srpt``, ``np``, ``fcfs``).

Measurement (per policy and replication)
----------------------------------------
- Waiting of a customer = completion - pair arrival - own demand (hand-off delay and holds
  included). ``mean_waiting`` and the percentiles ``waiting_p50/p95/p99`` are over both customers of
  the pairs ``n >= warmup``.
- Window ``[t0, t1]``: ``t0`` = arrival of pair ``warmup``, ``t1`` = arrival of the last pair.
  Every idle period of each server (maximal interval without customer work; the first starts at
  time 0, the last never ends) is clipped to the window; the clipped lengths > 0 are the *idle runs*.
  ``throughput`` = :math:`\\sum_{\\text{runs of both servers}} T(\\text{run}) / (t_1 - t_0)`, so for
  ``T(t) = t`` it is exactly ``2 * (1 - utilisation)``. Clipping cuts at most one run per server at
  each end of the window, an O(1 / n_pairs) effect.
- ``utilisation`` = busy fraction of the two servers in the window (mean over servers).
- ``interruption_rate`` = idle runs ended by an arrival inside ``(t0, t1]`` per unit time (both servers).
- ``longest_idle_run`` = the longest idle run (clipped to the window) of either server, time units.
  For a stationary routing it grows like the logarithm of the number of runs; a routing that never
  interrupts one server keeps it at the window's length, and then a super-linear ``T`` gives a
  "throughput" that grows with the horizon (no stationary rate exists; ``qcoord.analysis`` flags it).
- ``drain_time`` = time from the last arrival until both servers are empty: O(1) for a stable
  routing, growing with ``n_pairs`` when a policy overloads one server (e.g. consolidating every
  pair at utilisation >= 1/2), which ``Scenario.check_stationary`` cannot see.
- ``split_prob`` = fraction of pairs (``n >= warmup``) whose two customers go to different servers
  (KEEP/KEEP or FORWARD/FORWARD), ``swap_prob`` = FORWARD/FORWARD, ``consolidation_prob`` = the rest.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from ._kernels import RoutingViolation, _measure_pass, order_statistics, run_two_servers
from .baseline import Baseline, baseline_from_spec
from .interface import FORWARD, PairInputs, Policy, Routing, RoutingError, ScenarioError
from .result import METRICS, SimulationResult
from .routing import _checked_arrays, check_routing, violation_error
from . import scenario as _scenario
from .scenario import Scenario, _gib

__all__ = ["simulate", "run_servers", "ServerRun", "measure", "memory_estimate"]

ProgressHook = Callable[[int, int], Any]


class ServerRun:
    """Exact trajectory summary of both servers under one routing.

    Attributes
    ----------
    completion : ndarray (n, 2)
        Completion time of customer ``j`` of pair ``n`` (the one that arrived at server ``j``).
    gap_start, gap_end : tuple of two ndarrays
        Idle gaps of each server that end with an arrival.
    last_completion : tuple of two floats
        When each server empties for good.
    """

    __slots__ = ("completion", "gap_start", "gap_end", "last_completion")

    def __init__(
        self,
        completion: NDArray[np.float64],
        gap_start: tuple[NDArray[np.float64], NDArray[np.float64]],
        gap_end: tuple[NDArray[np.float64], NDArray[np.float64]],
        last_completion: tuple[float, float],
    ) -> None:
        self.completion = completion
        self.gap_start = gap_start
        self.gap_end = gap_end
        self.last_completion = last_completion

    def idle_runs(self, t0: float, t1: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Idle runs of each server clipped to ``[t0, t1]`` (positive lengths only)."""
        out = []
        for k in (0, 1):
            start = np.append(self.gap_start[k], self.last_completion[k])
            end = np.append(self.gap_end[k], np.inf)
            runs = np.minimum(end, t1) - np.maximum(start, t0)
            out.append(runs[runs > 0])
        return out[0], out[1]


def run_servers(inputs: PairInputs, routing: Routing, discipline: str, *, check: bool = False) -> ServerRun:
    """Run both servers' queues exactly for one routing (see the module notes for the job order).

    Each server ``k`` serves the customers with ``dest == k`` from their release times, in the order
    of ``discipline``, and idles (runs the baseline task) otherwise; the event-driven kernel is exact.

    Parameters
    ----------
    inputs : PairInputs
        Arrivals and demands (time units).
    routing : Routing
        Destinations, release times and decisions, each shape ``(n, 2)``.
    discipline : {"srpt", "np", "fcfs"}
    check : bool
        Also check the routing rules of :func:`check_routing` that need the values (in the kernel's
        first pass instead of a separate one); ``dest``/``decision`` values outside {0, 1} are
        refused either way.

    Returns
    -------
    ServerRun
        Completion times ``(n, 2)``, each server's idle gaps and final completion time.

    Raises
    ------
    RoutingError
        A rule is violated (see :func:`check_routing`).
    """
    dest = np.ascontiguousarray(routing.dest, dtype=np.int8).ravel()
    release = np.ascontiguousarray(routing.release, dtype=np.float64).ravel()
    dec = np.ascontiguousarray(routing.decision, dtype=np.int8).ravel()
    size = np.ascontiguousarray(inputs.demand, dtype=np.float64).ravel()
    try:
        completion, gs, ge, last = run_two_servers(
            dest, dec, release, size, discipline, inputs.arrival if check else None
        )
    except RoutingViolation as exc:
        raise violation_error(exc.code) from None
    return ServerRun(completion.reshape(-1, 2), (gs[0], gs[1]), (ge[0], ge[1]), (last[0], last[1]))


def _window(inputs: PairInputs, warmup: int) -> tuple[float, float]:
    t0 = float(inputs.arrival[warmup])
    t1 = float(inputs.arrival[-1])
    if not t1 > t0:
        raise ScenarioError(
            f"arrival_times: the statistics window from pair warmup={warmup} to the last arrival has "
            f"zero length ({t0} to {t1}); use fewer warm-up pairs or a longer trace"
        )
    return t0, t1


_QUANTILES = np.array([50.0, 95.0, 99.0]) / 100.0  # as ``np.percentile`` divides them


def _percentiles(waiting: NDArray[np.float64]) -> NDArray[np.float64]:
    """``np.percentile(waiting, [50, 95, 99])`` (linear interpolation), bit for bit, without sorting.

    With :math:`N` values, :math:`v = (N - 1) q`, :math:`i = \\lfloor v \\rfloor`, :math:`g = v - i`,
    NumPy returns :math:`a + (b - a) g` for :math:`g < 1/2` and :math:`b - (b - a)(1 - g)` otherwise,
    with :math:`a = x_{(i)}, b = x_{(i+1)}` the order statistics (``_lerp``; at the top index
    :math:`a = b = x_{(N-1)}`). The order statistics come from one bracketing pass
    (:func:`_kernels.order_statistics`).
    ``waiting`` is not modified.
    """
    size = waiting.shape[0]
    virtual = (size - 1) * _QUANTILES
    prev = np.floor(virtual)
    top = virtual >= size - 1
    prev_i = np.where(top, size - 1, prev).astype(np.intp)
    nxt_i = np.where(top, size - 1, prev + 1).astype(np.intp)
    gamma = virtual - np.where(top, -1, prev_i)  # NumPy measures gamma from index -1 there
    stats = order_statistics(waiting, np.concatenate((prev_i, nxt_i)))
    a = stats[: prev_i.size]
    b = stats[prev_i.size :]
    diff = b - a
    out = a + diff * gamma
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    return out


def measure(
    inputs: PairInputs,
    routing: Routing,
    run: ServerRun,
    scenario: Scenario,
    baselines: Mapping[str, Baseline],
    *,
    consume: bool = False,
) -> tuple[dict[str, float], NDArray[np.float64]]:
    """Metrics of one policy in one replication (see the module notes) and its clipped idle runs.

    One fused pass (:func:`_kernels._measure_pass`) computes the waitings, the clipped idle runs, the
    interruptions and the decision counts; means and sums use NumPy's reductions on those arrays and
    the percentiles :func:`_percentiles`, so every value equals the straightforward NumPy evaluation
    (``np.mean``, ``np.percentile``, ``np.sum``) bit for bit.

    ``consume=True`` (used by :func:`simulate`, which drops ``run`` afterwards) writes the waitings
    over ``run.completion`` instead of a new array.
    """
    w0 = scenario.warmup
    t0, t1 = _window(inputs, w0)
    span = t1 - t0
    completion = np.ascontiguousarray(run.completion, dtype=np.float64).ravel()
    if consume and np.shares_memory(completion, run.completion):
        waiting = completion[2 * w0 :]
    else:
        waiting = np.empty(2 * (inputs.n - w0), dtype=np.float64)
    _, runs, interrupted, n_split, n_swap = _measure_pass(
        inputs.arrival,
        np.ascontiguousarray(inputs.demand, dtype=np.float64).ravel(),
        completion,
        np.ascontiguousarray(routing.decision).ravel(),
        w0,
        t0,
        t1,
        run.gap_start[0],
        run.gap_end[0],
        float(run.last_completion[0]),
        run.gap_start[1],
        run.gap_end[1],
        float(run.last_completion[1]),
        waiting,
        np.empty(run.gap_start[0].size + run.gap_start[1].size + 2, dtype=np.float64),
    )
    mean_waiting = float(np.mean(waiting))
    p50, p95, p99 = _percentiles(waiting)
    n_stat = inputs.n - w0
    out = {
        "mean_waiting": mean_waiting,
        "waiting_p50": float(p50),
        "waiting_p95": float(p95),
        "waiting_p99": float(p99),
        "throughput": scenario.baseline.total(runs) / span,
        "split_prob": n_split / n_stat,
        "swap_prob": n_swap / n_stat,
        "consolidation_prob": (n_stat - n_split) / n_stat,
        "utilisation": 1.0 - float(np.sum(runs)) / (2.0 * span),
        "interruption_rate": interrupted / span,
        "longest_idle_run": float(runs.max()) if runs.size else 0.0,
        "drain_time": max(run.last_completion) - t1,
    }
    for name, b in baselines.items():
        out[f"throughput[{name}]"] = b.total(runs) / span
    return out, runs


def _as_policies(policies: Policy | Sequence[Policy]) -> list[Policy]:
    if hasattr(policies, "route"):
        seq = [policies]
    elif isinstance(policies, (str, bytes)) or not hasattr(policies, "__iter__"):
        raise TypeError(f"policies: must be a Policy or a sequence of Policy objects, got {type(policies).__name__}")
    else:
        seq = list(policies)  # type: ignore[arg-type]
    if not seq:
        raise ValueError("policies: give at least one policy")
    names = []
    for p in seq:
        if not (hasattr(p, "route") and callable(p.route) and isinstance(getattr(p, "name", None), str)):
            raise TypeError(f"policies: {p!r} is not a Policy (needs a str .name and .route(inputs, scenario))")
        names.append(p.name)
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"policies: names must be unique, {dup[0]!r} appears more than once")
    return seq


def _progress_adapter(progress: Any, total: int) -> Callable[[int], None]:
    if progress is None:
        return lambda done: None
    if hasattr(progress, "add_task") and hasattr(progress, "update"):
        task = progress.add_task("simulate", total=total)
        return lambda done: progress.update(task, completed=done)
    if callable(progress):
        return lambda done: progress(done, total)
    raise TypeError("progress: must be a callable(done, total) or a rich Progress")


#: Bytes per pair of one (replication, policy) run, from the arrays it allocates (conservative):
#: the replication's inputs (arrival 8, demand 16, classes 16, role 1, uniforms 32, draw temporaries)
#: about 96; the policy's routing (dest 2, release 16, decision 2) and its temporaries (indices,
#: release offsets) about 48; the servers' kernel (completion 16, two int32 index buffers 16, idle
#: gaps 32, order/key/heap up to 48) and the measurement (idle runs 16, baseline outputs 16-32, a
#: partition copy 16) about 112. Measured peaks (``VmHWM``, 2-6 million pairs): 157-224 bytes.
BYTES_PER_PAIR_RUN = 256
#: Extra bytes per pair when there is more than one run: while the next policy routes (or the next
#: replication draws its inputs) the previous run's routing, completions, gaps and idle runs (and
#: inputs) are still held. Measured peaks of multi-policy, multi-replication runs: 222-349 in all.
BYTES_PER_PAIR_PREVIOUS_RUN = 256
#: Bytes per pair kept for every (replication, policy) with ``keep_idle_runs=True`` (the idle-run
#: buffer: at most two runs per pair, float64).
BYTES_PER_PAIR_KEPT_RUNS = 16


def memory_estimate(scenario: Scenario, n_policies: int = 1, replications: int | None = None, *, keep_idle_runs: bool = False) -> int:
    """Peak bytes :func:`simulate` needs for its own arrays (an upper estimate; a policy's own
    allocations beyond the usual routing arrays are not known).

    ``n_pairs * (BYTES_PER_PAIR_RUN + BYTES_PER_PAIR_PREVIOUS_RUN [more than one run] + backlog
    tables [2 L^2 + 48 with L backlog levels] + BYTES_PER_PAIR_KEPT_RUNS * runs [keep_idle_runs])``.
    """
    n_rep = scenario.replications if replications is None else int(replications)
    runs = max(int(n_policies), 1) * max(n_rep, 1)
    per_pair = BYTES_PER_PAIR_RUN
    if runs > 1:
        per_pair += BYTES_PER_PAIR_PREVIOUS_RUN
    levels = scenario.num_backlog_levels
    if levels > 1:  # decision tables (n, 2, L, L) int8, offsets (n, 2, 2) and levels (n, 2)
        per_pair += 2 * levels * levels + 48
    if keep_idle_runs:
        per_pair += BYTES_PER_PAIR_KEPT_RUNS * runs
    return int(scenario.n_pairs) * per_pair


def _check_memory(scenario: Scenario, n_policies: int, n_rep: int, keep_idle_runs: bool) -> None:
    """Refuse a run whose :func:`memory_estimate` exceeds the available memory (before allocating)."""
    need = memory_estimate(scenario, n_policies, n_rep, keep_idle_runs=keep_idle_runs)
    avail = _scenario._available_memory()
    if avail is None or need <= avail:
        return
    per_pair = need / scenario.n_pairs
    most = int(avail // per_pair)
    kept = ", with the idle runs kept by keep_idle_runs=True" if keep_idle_runs else ""
    raise ScenarioError(
        f"n_pairs: simulating {scenario.n_pairs:,} pairs x {_count(n_policies, 'policy', 'policies')} x "
        f"{_count(n_rep, 'replication', 'replications')} needs about {_gib(need)} of memory (estimate: "
        f"{per_pair:.0f} bytes per pair{kept}), more than the {_gib(avail)} available; use n_pairs <= {most:,} here"
        + (" or keep_idle_runs=False" if keep_idle_runs else "")
    )


def _count(k: int, one: str, many: str) -> str:
    return f"{k} {one if k == 1 else many}"


def simulate(
    scenario: Scenario,
    policies: Policy | Sequence[Policy],
    *,
    replications: int | None = None,
    progress: ProgressHook | Any = None,
    baselines: Mapping[str, Any] | Sequence[Any] | None = None,
    keep_idle_runs: bool = False,
) -> SimulationResult:
    """Simulate policies on the scenario with common random numbers.

    Parameters
    ----------
    scenario : Scenario
        Must be stationary (utilisation < 1).
    policies : Policy or sequence of Policy
        Objects with a unique ``name`` and ``route(inputs, scenario) -> Routing``.
    replications : int, optional
        Number of replications (default ``scenario.replications``); replication ``r`` always uses the
        same inputs whatever this number is.
    progress : callable(done, total) or rich ``Progress``, optional
        Called after each (replication, policy) run.
    baselines : mapping name -> Baseline or sequence of Baseline/spec, optional
        Extra output functions evaluated on the same idle runs; recorded as ``throughput[name]``.
    keep_idle_runs : bool
        Keep every replication's clipped idle runs (memory ~ 16 bytes per pair and policy) so that
        :meth:`SimulationResult.throughput_for` can evaluate any ``T`` later.

    Returns
    -------
    SimulationResult
        Metrics per policy and replication (see the module notes), scenario and seed.

    Raises
    ------
    ScenarioError
        No stationary regime (utilisation >= 1), or a run too large for the memory: the
        :func:`memory_estimate` (bytes per pair per run from the arrays allocated) is compared with
        the available memory before anything is allocated, and the message names ``n_pairs``,
        the estimate and the limit.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario: must be a Scenario, got {type(scenario).__name__}")
    scenario.check_stationary()
    pols = _as_policies(policies)
    n_rep = scenario.replications if replications is None else replications
    if isinstance(n_rep, bool) or not isinstance(n_rep, (int, np.integer)) or n_rep < 1:
        raise ScenarioError(f"replications: must be an integer >= 1, got {n_rep!r}")
    n_rep = int(n_rep)
    if n_rep != scenario.replications:
        scenario = scenario.replace(replications=n_rep)
    extra: dict[str, Baseline] = {}
    if baselines is not None:
        items = baselines.items() if isinstance(baselines, Mapping) else [(None, b) for b in baselines]
        for name, spec in items:
            b = baseline_from_spec(spec)
            extra[str(name) if name is not None else b.name] = b
    _check_memory(scenario, len(pols), n_rep, bool(keep_idle_runs))  # before any array is allocated
    names = tuple(p.name for p in pols)
    metric_names = METRICS + tuple(f"throughput[{k}]" for k in extra)
    values = {m: np.empty((len(pols), n_rep)) for m in metric_names}
    window = np.empty((n_rep, 2))
    kept: list[list[NDArray[np.float64]]] = [[] for _ in pols]
    infos: list[list[Mapping[str, Any]]] = [[] for _ in pols]
    timings = dict.fromkeys(names, 0.0)
    tick = _progress_adapter(progress, n_rep * len(pols))
    done = 0
    try:
        for r in range(n_rep):
            inputs = scenario.draw_inputs(r)
            window[r] = _window(inputs, scenario.warmup)
            for p, pol in enumerate(pols):
                start = time.perf_counter()
                routing = pol.route(inputs, scenario)
                if not isinstance(routing, Routing):
                    raise RoutingError(f"routing: policy {pol.name!r} returned {type(routing).__name__}, not a Routing")
                dest, dec, rel = _checked_arrays(routing, inputs)
                if dest.dtype == np.int8 and dec.dtype == np.int8 and rel.dtype == np.float64:
                    run = run_servers(inputs, routing, scenario.discipline, check=True)  # rules checked in the kernel
                else:  # other dtypes: check the values before any cast to int8
                    check_routing(routing, inputs)
                    run = run_servers(inputs, routing, scenario.discipline)
                metrics, runs = measure(inputs, routing, run, scenario, extra, consume=True)
                for m in metric_names:
                    values[m][p, r] = metrics[m]
                if keep_idle_runs:
                    kept[p].append(runs)
                info = getattr(routing, "info", None)
                infos[p].append(dict(info) if isinstance(info, Mapping) else {})
                timings[pol.name] += time.perf_counter() - start
                done += 1
                tick(done)
    except MemoryError:  # the estimate is not a guarantee (a policy's own arrays, other processes)
        raise ScenarioError(
            f"n_pairs: ran out of memory simulating {scenario.n_pairs:,} pairs ({len(pols)} policies, {n_rep} "
            f"replications; estimate {_gib(memory_estimate(scenario, len(pols), n_rep, keep_idle_runs=bool(keep_idle_runs)))}, "
            f"available before the run {_gib(_scenario._available_memory() or 0)}); use fewer n_pairs"
        ) from None
    return SimulationResult(
        scenario=scenario,
        policies=names,
        replications=tuple(range(n_rep)),
        metrics=values,
        window=window,
        idle_runs=tuple(tuple(k) for k in kept) if keep_idle_runs else None,
        timings=timings,
        policy_info=tuple(tuple(i) for i in infos),
    )
