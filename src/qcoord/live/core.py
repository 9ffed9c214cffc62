"""``emulate``: run policies live on loopback and compare with the simulator on the same inputs.

One run draws the scenario's inputs once (``scenario.draw_inputs(0)`` with ``n_pairs`` pairs: the
simulator's Poisson arrivals, demands, classes, role coins and uniforms) and runs every policy as
its own *group* of two server processes, all groups at once, fed by one load generator (group
``g``'s schedule shifted by ``g * stagger`` so that the groups' events do not coincide), one delay
proxy and one entanglement link service. The simulator then routes the same inputs with the same
policy objects; :mod:`qcoord.live.measure` compares the two with batch-means CIs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from qcoord.system import Scenario
from qcoord.system.simulate import run_servers

from .measure import METRICS, Comparison, chi_square, compare, figures, percentiles
from .runner import Child, LiveError, run_processes

__all__ = ["LiveConfig", "LiveResult", "PolicyLive", "emulate", "check_live_policy", "LiveError"]


@dataclass(frozen=True)
class LiveConfig:
    """Size and clock of a live run.

    Attributes
    ----------
    time_unit_ms : float
        Wall-clock milliseconds per time unit (mean demand). Service, hand-off delay ``d``, message
        latency ``D`` and the baseline's warm-up are real time at this scale. In [1, 1000].
    n_pairs : int
        Pairs per policy, >= 100 (the run lasts about ``n_pairs / arrival_rate * time_unit_ms`` ms).
    warmup : int
        First pairs left out of every figure, in [0, n_pairs / 2).
    batches : int
        Batches for the batch-means CIs, in [5, (n_pairs - warmup) / 10].
    seed : int or None
        Seed of the inputs (``None``: the scenario's own). Recorded in the result.
    stagger : float
        Offset between consecutive groups' schedules as a fraction of the mean inter-arrival time,
        in [0, 1]; ``0`` sends every group's pairs at the same instants.
    start_delay_s : float
        Seconds between the start message and the first arrival (every process scheduled), > 0.
    realtime : bool
        Run the live processes at ``SCHED_FIFO`` priority (opt-in; needs CAP_SYS_NICE): on a
        machine whose cores are busy, a waking process then does not wait for a neighbour's time
        slice. Refused with a clear error if not permitted.
    time_bound_s : float or None
        Seconds after the first arrival after which the run is stopped with a :class:`LiveError`;
        ``None``: twice the schedule's length plus 30 s.
    """

    time_unit_ms: float = 50.0
    n_pairs: int = 120
    warmup: int = 10
    batches: int = 10
    seed: int | None = None
    stagger: float = 1.0
    start_delay_s: float = 0.5
    realtime: bool = False
    time_bound_s: float | None = None

    def __post_init__(self) -> None:
        u = self.time_unit_ms
        if isinstance(u, bool) or not isinstance(u, (int, float)) or not 1.0 <= float(u) <= 1000.0:
            raise ValueError(f"time_unit_ms: must be a number in [1, 1000] (milliseconds per time unit), got {u!r}")
        if isinstance(self.n_pairs, bool) or not isinstance(self.n_pairs, (int, np.integer)) or self.n_pairs < 100:
            raise ValueError(f"n_pairs: must be an integer >= 100, got {self.n_pairs!r}")
        if isinstance(self.warmup, bool) or not isinstance(self.warmup, (int, np.integer)) or not 0 <= self.warmup < self.n_pairs // 2:
            raise ValueError(f"warmup: must be an integer in [0, n_pairs / 2 = {self.n_pairs // 2}), got {self.warmup!r}")
        hi = (self.n_pairs - self.warmup) // 10
        if isinstance(self.batches, bool) or not isinstance(self.batches, (int, np.integer)) or not 5 <= self.batches <= hi:
            raise ValueError(f"batches: must be an integer in [5, (n_pairs - warmup) / 10 = {hi}], got {self.batches!r}")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0):
            raise ValueError(f"seed: must be an integer >= 0 or None, got {self.seed!r}")
        if not 0.0 <= float(self.stagger) <= 1.0:
            raise ValueError(f"stagger: must lie in [0, 1], got {self.stagger!r}")
        if not 0.0 < float(self.start_delay_s) <= 30.0:
            raise ValueError(f"start_delay_s: must lie in (0, 30] seconds, got {self.start_delay_s!r}")
        if self.time_bound_s is not None and not 0.0 < float(self.time_bound_s) < math.inf:
            raise ValueError(f"time_bound_s: must be a finite number of seconds > 0 or None, got {self.time_bound_s!r}")

    @property
    def unit(self) -> float:
        """Seconds per time unit."""
        return float(self.time_unit_ms) / 1000.0


@dataclass(frozen=True)
class PolicyLive:
    """One policy's live figures beside the simulator's on the same inputs.

    Attributes
    ----------
    name : str
    kind : str
        ``local``, ``entangled`` or ``message`` (how the servers decide; see :mod:`qcoord.live._nodes`).
    comparisons : dict
        ``mean_waiting``, ``split_prob``, ``throughput`` -> :class:`~qcoord.live.measure.Comparison`.
    measured, predicted : dict
        Whole-window values incl. ``waiting_p50/p95/p99`` (time units).
    decision_us : dict
        Decision latency in microseconds (request received -> decision taken, per customer):
        ``p50``, ``p99``, ``mean``, ``max``; a held customer's includes its wait for the message.
    messages_per_pair : float
        Server-to-server control messages (control path) per pair, both servers.
    handoffs_per_pair : float
        Customers forwarded through the data path per pair.
    link_requests_per_pair : float
        Requests to the entanglement link service per pair (not server-to-server).
    decisions_as_simulated : float
        Fraction of customers whose live decision equals the simulator's on the same inputs.
    chi_square : dict or None
        Entangled policies: observed ``(a, b | x, y)`` frequencies against the strategy's Born-rule
        behaviour at each pair's visibility (:func:`~qcoord.live.measure.chi_square`).
    extra : dict
        Fallbacks, baseline-task accounting check, counts.
    """

    name: str
    kind: str
    comparisons: dict[str, Comparison]
    measured: dict[str, float]
    predicted: dict[str, float]
    decision_us: dict[str, float]
    messages_per_pair: float
    handoffs_per_pair: float
    link_requests_per_pair: float
    decisions_as_simulated: float
    chi_square: dict[str, float] | None
    extra: dict[str, Any] = field(default_factory=dict)
    #: Per pair: the live decisions ``(n, 2)`` (0 KEEP / 1 FORWARD) and, for an entangled policy,
    #: whether its pair was available (``None`` otherwise); not part of :meth:`to_dict`.
    decisions: Any = field(default=None, compare=False, repr=False)
    available: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind,
            "comparisons": {m: c.to_dict() for m, c in self.comparisons.items()},
            "measured": self.measured, "predicted": self.predicted, "decision_us": self.decision_us,
            "messages_per_pair": self.messages_per_pair, "handoffs_per_pair": self.handoffs_per_pair,
            "link_requests_per_pair": self.link_requests_per_pair,
            "decisions_as_simulated": self.decisions_as_simulated, "chi_square": self.chi_square, "extra": self.extra,
        }


@dataclass(frozen=True)
class LiveResult:
    """A live run: per-policy figures, achieved latencies, timing, the config and the seed.

    Attributes
    ----------
    policies : tuple of PolicyLive
    latency : dict
        Achieved path latencies (asked vs percentiles, time units and ms): ``control`` (D),
        ``data`` (d), ``request`` (load generator -> server), ``timer_late_us`` (completion timers),
        ``send_late_us`` (load generator's sends against the Poisson schedule), ``proxy_late_us``.
    config : LiveConfig
    seed : int
        Seed of the inputs.
    scenario : Scenario
        The scenario actually run (``n_pairs``, ``warmup``, ``seed`` of the run).
    timing : dict
        Seconds: ``startup_s``, ``run_s``, ``analysis_s``, ``total_s``.
    processes : int
        Live processes started.
    """

    policies: tuple[PolicyLive, ...]
    latency: dict[str, Any]
    config: LiveConfig
    seed: int
    scenario: Scenario
    timing: dict[str, float]
    processes: int

    def policy(self, name: str) -> PolicyLive:
        for p in self.policies:
            if p.name == name:
                return p
        raise KeyError(f"policy: no policy named {name!r}; have {[p.name for p in self.policies]}")

    def to_dict(self) -> dict[str, Any]:
        cfg = {k: getattr(self.config, k) for k in ("time_unit_ms", "n_pairs", "warmup", "batches", "seed", "stagger", "start_delay_s", "realtime", "time_bound_s")}
        return {
            "config": cfg, "seed": self.seed, "scenario": self.scenario.to_dict(), "timing": self.timing,
            "processes": self.processes, "latency": self.latency, "policies": [p.to_dict() for p in self.policies],
        }


def check_live_policy(policy: Any) -> str:
    """How a policy runs live: ``"local"``, ``"entangled"`` or ``"message"``; else a ``ValueError``.

    Live-capable: every communication-free :class:`~qcoord.policies.base.LocalPolicy` except
    :class:`~qcoord.policies.Correlated` (a modelling box, not a physical resource), the
    :class:`~qcoord.policies.Entangled` policy (ideal or with an ``EntanglementPool``; a
    ``StreamingSource`` is not supported live), :class:`~qcoord.policies.HoldForMessage` and
    :class:`~qcoord.policies.NaiveCommunicate`. The :class:`~qcoord.policies.Oracle` (zero latency)
    cannot exist in a real system.
    """
    from qcoord.entanglement import EntanglementPool
    from qcoord.policies import Correlated, Entangled, HoldForMessage, NaiveCommunicate, Oracle
    from qcoord.policies.base import LocalPolicy

    name = getattr(policy, "name", type(policy).__name__)
    if isinstance(policy, (HoldForMessage, NaiveCommunicate)):
        return "message"
    if isinstance(policy, Oracle):
        raise ValueError(f"policies: {name!r} is an oracle (zero message latency), which no live system can run")
    if isinstance(policy, Entangled):
        if policy.source is not None and not isinstance(policy.source, EntanglementPool):
            raise ValueError(f"policies: {name!r} uses a {type(policy.source).__name__}; live runs support ideal pairs or an EntanglementPool")
        return "entangled"
    if isinstance(policy, Correlated):
        raise ValueError(f"policies: {name!r} is a Correlated box (no physical resource); run an Entangled policy live")
    if isinstance(policy, LocalPolicy):
        return "local"
    raise ValueError(f"policies: {name!r} ({type(policy).__name__}) is not a qcoord policy that can run live")


def _pct_block(x_s: list[float] | np.ndarray, unit: float, asked: float | None = None) -> dict[str, Any]:
    x = np.asarray(x_s, dtype=np.float64)
    p50, p95, p99 = percentiles(x)
    out: dict[str, Any] = {
        "n": int(x.size),
        "p50_ms": p50 * 1e3, "p95_ms": p95 * 1e3, "p99_ms": p99 * 1e3,
        "max_ms": float(x.max() * 1e3) if x.size else math.nan,
        "p50": p50 / unit, "p95": p95 / unit, "p99": p99 / unit,
    }
    if asked is not None:
        out["asked"] = asked
        out["asked_ms"] = asked * unit * 1e3
    return out


def _us_block(x_s: list[float] | np.ndarray) -> dict[str, float]:
    x = np.asarray(x_s, dtype=np.float64) * 1e6
    p50, p99 = (percentiles(x, (50.0, 99.0)) if x.size else [math.nan, math.nan])
    return {"p50": p50, "p99": p99, "mean": float(x.mean()) if x.size else math.nan,
            "max": float(x.max()) if x.size else math.nan, "n": int(x.size)}


def emulate(
    scenario: Scenario,
    policies: Sequence[Any],
    config: LiveConfig | None = None,
    *,
    progress: Callable[[int, int], Any] | None = None,
    on_started: Callable[[dict[str, int]], Any] | None = None,
) -> LiveResult:
    """Run ``policies`` live on loopback and compare each with the simulator on the same inputs.

    Parameters
    ----------
    scenario : Scenario
        Arrival rate, demands, classes, ``d``, ``D``, discipline, baseline ``T`` (its ``n_pairs``,
        ``warmup``, ``replications`` are replaced by the config's).
    policies : sequence of policy objects
        From :func:`qcoord.compile.to_policy` / :mod:`qcoord.policies`, used as they are (see
        :func:`check_live_policy`). Names must be unique.
    config : LiveConfig, optional
    progress : callable ``(done, total)``, optional
        Customers completed so far (all groups).
    on_started : callable, optional
        Called with ``{process label: pid}`` once every live process runs.

    Returns
    -------
    LiveResult

    Raises
    ------
    ValueError
        A bad config or policy (before any process starts).
    LiveError
        A live process died or failed, or the run exceeded its time bound (every process stopped).
    """
    cfg = config or LiveConfig()
    pols = list(policies)
    if not pols:
        raise ValueError("policies: give at least one policy")
    names = [getattr(p, "name", None) for p in pols]
    if len(set(names)) != len(names):
        raise ValueError(f"policies: names must be unique, got {names}")
    kinds = [check_live_policy(p) for p in pols]
    if cfg.realtime:
        from ._wire import realtime_ok

        why = realtime_ok()
        if why is not None:
            raise ValueError(f"realtime: {why}; run without it")
    seed = int(scenario.seed if cfg.seed is None else cfg.seed)
    scen = scenario.replace(n_pairs=int(cfg.n_pairs), warmup=int(cfg.warmup), replications=1, seed=seed)
    inputs = scen.draw_inputs(0)
    unit = cfg.unit
    G = len(pols)
    gap = unit / float(scen.pair_rate)  # mean inter-arrival, seconds
    offsets = [g * cfg.stagger * gap / G for g in range(G)]
    D, d = float(scen.message_latency), float(scen.handoff_delay)

    from qcoord.policies.entangled import POOL_STREAM_KEY

    children = [Child("proxy", "delay proxy", {"unit": unit, "D": D, "d": d})]
    ent = {g: p for g, p in enumerate(pols) if kinds[g] == "entangled"}
    if ent:
        children.append(Child("link", "entanglement link service", {
            "unit": unit, "offsets": offsets,
            "groups": {g: {"policy": p, "uniforms": np.ascontiguousarray(inputs.uniforms[:, 1:3]),
                           "seed": (int(inputs.seed), (int(inputs.replication), POOL_STREAM_KEY))} for g, p in ent.items()},
        }))
    for g, p in enumerate(pols):
        for j in (0, 1):
            children.append(Child("server", f"server {j} of policy '{p.name}'", {
                "group": g, "server": j, "policy": p, "scenario": scen, "unit": unit, "offset": offsets[g],
                "role": np.asarray(inputs.role), "shared_u": np.ascontiguousarray(inputs.uniforms[:, 0]), "seed": seed,
            }))
    children.append(Child("loadgen", "load generator", {
        "unit": unit, "arrival": inputs.arrival, "demand": inputs.demand, "cls": inputs.cls, "groups": G, "offsets": offsets,
    }))

    def ports_for(ch: list[Child]) -> dict[str, Any]:
        by = {c.label: c.port for c in ch}
        return {
            "proxy": by["delay proxy"], "link": by.get("entanglement link service"),
            "servers": [[by[f"server {j} of policy '{p.name}'"] for j in (0, 1)] for p in pols],
        }

    for c in children:
        c.spec["realtime"] = bool(cfg.realtime)
    horizon = float(inputs.arrival[-1]) * unit + max(offsets)
    bound = 2.0 * horizon + 30.0 if cfg.time_bound_s is None else float(cfg.time_bound_s)
    t_start = time.monotonic()
    res = run_processes(children, ports_for=ports_for, start_delay=cfg.start_delay_s, time_bound=bound,
                        progress=progress, on_started=on_started)
    t_an = time.monotonic()
    out = _analyse(scen, inputs, pols, kinds, res, offsets, cfg)
    timing = dict(res["_timing"])
    timing.pop("epoch", None)
    timing["analysis_s"] = time.monotonic() - t_an
    timing["total_s"] = time.monotonic() - t_start
    return LiveResult(tuple(out["policies"]), out["latency"], cfg, seed, scen, timing, len(children))


def _analyse(scen: Scenario, inputs: Any, pols: list[Any], kinds: list[str], res: dict[str, Any],
             offsets: list[float], cfg: LiveConfig) -> dict[str, Any]:
    from qcoord.entanglement import sampler

    unit = cfg.unit
    n, w0 = inputs.n, scen.warmup
    epoch = float(res["_timing"]["epoch"])
    lg = res["load generator"]
    link = res.get("entanglement link service")
    got: dict[str, list[float]] = {"control": [], "data": []}
    late: list[float] = []
    deliv: list[float] = []
    out = []
    base = scen.baseline
    for g, pol in enumerate(pols):
        e_g = epoch + offsets[g]
        srv = [res[f"server {j} of policy '{pol.name}'"] for j in (0, 1)]
        t_send, t_in, t_done, by = lg["t_send"][g], lg["t_in"][g], lg["t_done"][g], lg["by"][g]
        if not np.isfinite(t_done).all():
            missing = int((~np.isfinite(t_done)).sum())
            raise LiveError(f"policy '{pol.name}': {missing} customers never completed")
        arrival = (np.min(t_in, axis=1) - e_g) / unit
        waiting = (t_done - t_in) / unit - inputs.demand
        split = by[:, 0] != by[:, 1]
        runs = []
        acc_err = []
        for s in srv:
            r = np.asarray(s["runs"], dtype=np.float64).reshape(-1, 4)
            runs.append((r[:, :2] - e_g) / unit)
            length = (r[:, 1] - r[:, 0]) / unit
            # output accrued by the live task minus T(run length): for setup(c), minus the warm-up
            # timer's lateness exactly (output starts when the timer fires)
            acc_err.append(np.asarray(base.output(length)) - r[:, 2] - r[:, 3] / unit)
            got["control"] += s["got"]["control"]
            got["data"] += s["got"]["data"]
            late += s["lateness"]
            deliv += s["delivery"]
        measured = figures(arrival, waiting, split, (runs[0], runs[1]), base, w0, cfg.batches)
        # the simulator on the same inputs, with the same policy object
        routing = pol.route(inputs, scen)
        sr = run_servers(inputs, routing, scen.discipline)
        w_pred = sr.completion - inputs.arrival[:, None] - inputs.demand
        split_pred = np.asarray(routing.dest[:, 0] != routing.dest[:, 1])
        runs_pred = tuple(
            np.column_stack([np.append(sr.gap_start[k], sr.last_completion[k]), np.append(sr.gap_end[k], np.inf)]) for k in (0, 1)
        )
        predicted = figures(inputs.arrival, w_pred, split_pred, runs_pred, base, w0, cfg.batches)
        comps = {m: compare(measured, predicted, m) for m in METRICS}
        # the simulator's exact queues replayed on the release times the live system achieved
        rel = (lg["t_release"][g] - e_g) / unit
        arr_live = (t_in - e_g) / unit
        order_ok = np.isfinite(rel).all()
        replay = None
        if order_ok:
            from qcoord.system.interface import Routing

            live_routing = Routing(dest=by.astype(np.int8), release=np.maximum(rel, arr_live),
                                   decision=(by != np.arange(2)[None, :]).astype(np.int8))
            rr = run_servers(inputs, live_routing, scen.discipline)
            w_rep = rr.completion - arr_live - inputs.demand
            replay = float(np.mean(w_rep[w0:]))
        # release delay the live system added to each customer beyond the model's
        model_fwd = np.asarray(routing.decision, dtype=np.float64)
        live_fwd = (by != np.arange(2)[None, :]).astype(np.float64)
        hold_model = np.asarray(routing.release) - inputs.arrival[:, None] - scen.handoff_delay * model_fwd
        model_delay = hold_model + scen.handoff_delay * live_fwd  # the model's delay for the live decision
        live_delay = (lg["t_release"][g] - t_in) / unit
        excess_release = float(np.mean((live_delay - model_delay)[w0:]))
        # decisions
        dec_live = np.full((n, 2), -1, dtype=np.int64)
        lat = []
        rows = []
        for j, s in enumerate(srv):
            for k, (role, q, dec, t_in, t_dec, _lv) in s["decisions"].items():
                dec_live[int(k), j] = dec
                lat.append(t_dec - t_in)
                rows.append((int(k), j, role, q, dec))
        same = float(np.mean(dec_live == np.asarray(routing.decision)))
        chi = None
        lat_g = np.concatenate([np.asarray(s["lateness"], dtype=np.float64) for s in srv])
        extra: dict[str, Any] = {
            "replayed_mean_waiting": replay,
            "excess_release_mean": excess_release,
            "timer_late_mean": float(lat_g.mean() / unit) if lat_g.size else 0.0,
            "baseline_accounting_max_abs": float(max((np.abs(a).max() if a.size else 0.0) for a in acc_err)),
            "baseline_runs": int(sum(a.size for a in acc_err)),
            "held_left": int(sum(s["held_left"] for s in srv)),
            "server_pids": [int(s["pid"]) for s in srv],
        }
        if kinds[g] == "entangled":
            st = link["groups"][g]
            smp = sampler(pol.strategy)
            p1, p0 = smp.behaviour(1.0), smp.behaviour(0.0)
            na, nb, nx, ny = p1.shape
            O = np.zeros((2, 2, nx, ny))
            E = np.zeros_like(O)
            xa = {}
            for k, j, role, q, dec in rows:
                xa.setdefault(k, {})[role] = (q, dec)
            fallbacks = 0
            for k, halves in xa.items():
                if not st["avail"].get(k, True):
                    fallbacks += 1
                    continue
                if len(halves) != 2:
                    continue
                (x, a), (y, b) = halves[0], halves[1]
                v = float(st["vis"][k])
                O[a, b, x, y] += 1
                E[:, :, x, y] += v * p1[:, :, x, y] + (1 - v) * p0[:, :, x, y]
            chi = chi_square(O, E)
            extra["fallbacks"] = fallbacks
            extra["mean_visibility"] = float(np.mean([v for k, v in st["vis"].items() if st["avail"].get(k, True)] or [math.nan]))
        out.append(PolicyLive(
            name=pol.name, kind=kinds[g], comparisons=comps, measured=measured.values, predicted=predicted.values,
            decision_us=_us_block(lat),
            messages_per_pair=sum(s["sent_control"] for s in srv) / n,
            handoffs_per_pair=sum(s["sent_data"] for s in srv) / n,
            link_requests_per_pair=sum(s["link_requests"] for s in srv) / n,
            decisions_as_simulated=same, chi_square=chi, extra=extra, decisions=dec_live,
            available=None if kinds[g] != "entangled" else np.array([bool(link["groups"][g]["avail"].get(k, True)) for k in range(n)]),
        ))
    t_send = lg["t_send"]
    planned = np.stack([epoch + offsets[g] + inputs.arrival * unit for g in range(len(pols))])
    proxy = res["delay proxy"]
    latency = {
        "control": _pct_block(got["control"], unit, float(scen.message_latency)),
        "data": _pct_block(got["data"], unit, float(scen.handoff_delay)),
        "request": _pct_block(deliv, unit, 0.0),
        "timer_late_us": _us_block(late),
        "send_late_us": _us_block((t_send - planned[:, :, None]).ravel()),
        "proxy_late_us": _us_block(proxy["late"]),
        "proxy_counts": proxy["count"],
    }
    return {"policies": out, "latency": latency}
