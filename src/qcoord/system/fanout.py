r"""The N-server system with fan-out requests (scatter-gather groups).

Model
-----
``N >= 2`` servers, each running the preemptible baseline task whenever it has no customer work and
serving customers under the scenario's discipline (``srpt``, ``np``, ``fcfs``), exactly as the
two-server system (:mod:`qcoord.system.simulate`). Requests arrive as *groups* at Poisson times
(rate ``arrival_rate``, groups per unit time). A group brings one customer to each of ``k``
servers (``fanout``), its *members*:

- ``subset = "all"`` (requires ``k = N``): every server;
- ``subset = "uniform"``: a uniformly random ``k``-subset of the ``N`` servers, independently per group.

Members are listed in increasing server index (*positions* ``0..k-1``). Each member observes only its
own customer's demand class and decides ``KEEP`` or ``FORWARD`` about it.

Parties and roles. The group's decision problem is a ``k``-party game (:mod:`qcoord.compile.fanout`).
With ``role_coin`` a fresh shared coin per group, ``role[n] = r`` uniform in ``{0..k-1}``, rotates the
parties: the member at position ``j`` plays party :math:`(j - r) \bmod k`, so every server plays every
party equally often (for ``k = 2`` this is the two-server role coin: the member at position ``r`` plays
"A"). Without it, position ``j`` plays party ``j``.

Consolidation rule (``consolidation``). ``"lowest_keeper"`` (default): a forwarded customer joins, ``d``
(``handoff_delay``) after the group's arrival, the server of the *keeper with the lowest party index*;
if no member keeps, every customer is forwarded one party on (the customer of party ``i`` joins the
server of party ``(i + 1) mod k``), which for ``k = 2`` is the two-server swap. ``"next"``: a forwarded
customer always joins the next party's server (a ring); for ``k = 2`` both rules are the two-server
routing. A kept customer joins its own server at once. Holds (communicating
policies) delay the release as in :func:`qcoord.system.routing_with_holds`: release
:math:`= (t + d\,[\text{FORWARD}]) + \text{hold}`.

Job order at a server: by release time, then ``KEEP`` before ``FORWARD``, then group index, then party
index; each server's queue is run exactly by :func:`qcoord.system._kernels.run_queue` (event driven).
With ``N = k = 2`` this is the two-server simulator's order (customers of one pair never tie at one
server), so the two give the same numbers bit for bit (tested).

Measurement (per policy and replication; window ``[t0, t1]`` from the arrival of group ``warmup`` to
the last arrival, as for two servers)
-----------------------------------------------------------------------------------------------
- ``mean_waiting``, ``waiting_p50/p95/p99``: waiting of a customer = completion - group arrival -
  own demand, over all customers of groups ``n >= warmup``.
- ``mean_response_excess``, ``response_excess_p95``, ``response_excess_p99``: the group's fork-join
  response in excess of its largest demand, :math:`\max_j c_j - t - \max_j s_j \ge 0` (a scatter-gather
  query returns when its last part does; ``max s`` is the response with infinitely many idle servers).
- ``throughput`` :math:`= \sum_{\text{runs of all servers}} T(\text{run}) / (t_1 - t_0)` (idle runs
  clipped to the window); ``utilisation`` = mean busy fraction of the N servers;
  ``interruption_rate`` = idle runs ended by an arrival in ``(t0, t1]`` per unit time (all servers);
  ``longest_idle_run``; ``drain_time`` = last completion - ``t1``.
- ``split_prob`` = fraction of groups served on more than one server; ``consolidation_prob`` =
  ``1 - split_prob``; ``swap_prob`` = fraction with every member forwarding; ``servers_used`` = mean
  number of distinct servers a group's customers are served on.

These are the two-server metrics (:data:`qcoord.system.METRICS`, same definitions for ``N = 2``) plus
the response and ``servers_used`` metrics (:data:`FANOUT_METRICS`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from .baseline import Baseline, _show, baseline_from_spec, setup
from .demand import Demand, TwoPoint
from .interface import FORWARD, KEEP, RoutingError, ScenarioError
from .result import METRICS, SimulationResult
from .scenario import (
    DISCIPLINES,
    DemandClasses,
    _checked_demand_and_classes,
    NUM_UNIFORMS,
    _available_memory,
    _gib,
    _integer,
    _real,
    read_toml,
)
from ._kernels import run_queue

__all__ = [
    "FanoutScenario",
    "GroupInputs",
    "GroupRouting",
    "GroupPolicy",
    "FANOUT_METRICS",
    "SUBSET_RULES",
    "group_routing",
    "group_completions",
    "simulate_fanout",
    "is_fanout_spec",
]

SUBSET_RULES = ("all", "uniform")
#: Where a forwarded customer goes (module notes).
CONSOLIDATIONS = ("lowest_keeper", "next")

#: Metrics recorded for every policy and replication of the N-server simulator.
FANOUT_METRICS: tuple[str, ...] = METRICS + (
    "mean_response_excess",
    "response_excess_p95",
    "response_excess_p99",
    "servers_used",
)

#: Bytes per group and member of the inputs and one policy's routing and run, rounded up.
BYTES_PER_CUSTOMER = 160

#: Largest number of servers (the decision problem of a group is a k-party game; N only sets the load).
MAX_SERVERS = 64


@dataclass(frozen=True, eq=False)
class GroupInputs:
    """The random inputs of one replication of the N-server system (common random numbers).

    Attributes
    ----------
    arrival : ndarray (n,)
        Group arrival times, non-decreasing (time unit = mean demand).
    members : ndarray of int64 (n, k)
        Server indices of each group's members, increasing along a row.
    demand, cls : ndarray (n, k)
        Demand and observed class of the customer of the member at each position.
    role : ndarray of int8 (n,)
        Party rotation (module notes); zeros without the role coin.
    party : ndarray of int64 (n, k)
        Party played by the member at each position, :math:`(j - r) \\bmod k`.
    uniforms : ndarray (n, 4)
        Independent U(0, 1) per group for shared randomness and sampling correlated decisions.
    seed, replication : int
    """

    arrival: NDArray[np.float64]
    members: NDArray[np.int64]
    demand: NDArray[np.float64]
    cls: NDArray[np.int64]
    role: NDArray[np.int8]
    party: NDArray[np.int64]
    uniforms: NDArray[np.float64]
    seed: int
    replication: int

    @property
    def n(self) -> int:
        """Number of groups."""
        return int(self.arrival.shape[0])

    @property
    def k(self) -> int:
        """Members per group (the fan-out)."""
        return int(self.members.shape[1])

    def by_party(self, a: NDArray[Any]) -> NDArray[Any]:
        """Reorder an ``(n, k)`` array from member positions to parties: ``out[n, party[n, j]] = a[n, j]``."""
        if np.shape(a) != self.party.shape:
            raise ValueError(f"a: must have shape {self.party.shape} (groups, members), got {np.shape(a)}")
        out = np.empty_like(a)
        np.put_along_axis(out, self.party, a, axis=1)
        return out

    def by_position(self, a: NDArray[Any]) -> NDArray[Any]:
        """Inverse of :meth:`by_party`: ``out[n, j] = a[n, party[n, j]]``."""
        if np.shape(a) != self.party.shape:
            raise ValueError(f"a: must have shape {self.party.shape} (groups, parties), got {np.shape(a)}")
        return np.take_along_axis(a, self.party, axis=1)


@dataclass(frozen=True, eq=False)
class GroupRouting:
    """Where and when every customer of every group is served (arrays ``(n, k)`` by member position).

    Attributes
    ----------
    dest : ndarray of int64
        Server index serving each customer.
    release : ndarray of float64
        Time the customer joins ``dest``'s queue (>= the group's arrival).
    decision : ndarray of int8
        The member's final KEEP/FORWARD decision about its own customer.
    info : dict
        What the policy wants recorded (fallbacks, visibility, messages), or empty.
    """

    dest: NDArray[np.int64]
    release: NDArray[np.float64]
    decision: NDArray[np.int8]
    info: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class GroupPolicy(Protocol):
    """Anything :func:`simulate_fanout` can run: a ``name`` and ``route(inputs, scenario) -> GroupRouting``."""

    name: str

    def route(self, inputs: GroupInputs, scenario: "FanoutScenario") -> GroupRouting:  # pragma: no cover
        ...


@dataclass(frozen=True)
class FanoutScenario(DemandClasses):
    """The N-server system with fan-out groups (module notes), frozen and validated.

    Parameters
    ----------
    n_servers : int
        ``N``, between 2 and 64.
    fanout : int
        ``k``, customers per group, ``2 <= k <= N``.
    subset : {"all", "uniform"}
        Which servers a group visits (``"all"`` needs ``k = N``).
    consolidation : {"lowest_keeper", "next"}
        Where a forwarded customer goes: the keeper with the lowest party index (nobody keeps: the next
        party's server), or always the next party's server (a ring; module notes).
    arrival_rate : float
        Group rate > 0 (groups per unit time). Each server receives :math:`L k / N` customers per
        unit time, so its utilisation is :math:`\\rho = L\\,(k/N)\\,E[s]`.
    arrival_process : {"poisson", "deterministic"}
    demand : Demand
        Customer demand distribution (as :class:`~qcoord.system.Scenario`).
    class_edges : tuple of float or None
        Class edges (``None``: the demand's default, its median).
    handoff_delay, message_latency : float
        ``d`` and ``D`` >= 0 (time units).
    discipline : {"srpt", "np", "fcfs"}
    role_coin : bool
        Rotate the parties by a fresh shared coin per group.
    baseline : Baseline
        Baseline output ``T`` of an idle run (spec or object).
    n_groups : int
        Groups per replication (>= 2).
    warmup : int or None
        Groups excluded from statistics (``None``: ``min(10_000, n_groups // 20)``).
    replications : int
    seed : int
        Entropy of ``SeedSequence(seed).spawn(replications)[r]`` (replication ``r``'s inputs).

    Notes
    -----
    Random draws of a replication, in order: inter-arrival times, the ``(n, k)`` demands, the role
    coin ``(n,)`` (int8, uniform in ``0..k-1``; drawn even without the coin, then zeroed), ``(n, 4)``
    uniforms, then (``subset = "uniform"`` only) an ``(n, N)`` array of uniforms whose ``k`` smallest
    entries choose the members. For ``N = k = 2`` the first four are exactly the two-server scenario's
    draws, so the same seed gives the same inputs.
    """

    n_servers: int = 3
    fanout: int = 3
    subset: str = "all"
    consolidation: str = "lowest_keeper"
    arrival_rate: float = 0.1
    arrival_process: str = "poisson"
    demand: Demand = field(default_factory=TwoPoint)
    class_edges: tuple[float, ...] | None = None
    handoff_delay: float = 0.1
    message_latency: float = 0.5
    discipline: str = "srpt"
    role_coin: bool = True
    baseline: Baseline = field(default_factory=lambda: setup(1.0))
    n_groups: int = 200_000
    warmup: int | None = 10_000
    replications: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        put = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        put("n_servers", _integer(self.n_servers, "n_servers", 2))
        if self.n_servers > MAX_SERVERS:
            raise ScenarioError(f"n_servers: must be in [2, {MAX_SERVERS}], got {self.n_servers}")
        put("fanout", _integer(self.fanout, "fanout", 2))
        if self.fanout > self.n_servers:
            raise ScenarioError(f"fanout: must be in [2, n_servers = {self.n_servers}], got {self.fanout}")
        if self.subset not in SUBSET_RULES:
            raise ScenarioError(f"subset: must be one of {SUBSET_RULES}, got {_show(self.subset)}")
        if self.subset == "all" and self.fanout != self.n_servers:
            raise ScenarioError(
                f"subset: 'all' needs fanout = n_servers = {self.n_servers}, got fanout = {self.fanout}; "
                "use subset = 'uniform' for groups smaller than the system"
            )
        if self.consolidation not in CONSOLIDATIONS:
            raise ScenarioError(f"consolidation: must be one of {CONSOLIDATIONS}, got {_show(self.consolidation)}")
        put("arrival_rate", _real(self.arrival_rate, "arrival_rate", lo=0.0, lo_open=True))
        if self.arrival_process not in ("poisson", "deterministic"):
            raise ScenarioError(
                f"arrival_process: must be 'poisson' or 'deterministic' for an N-server scenario, got {_show(self.arrival_process)}"
            )
        put("n_groups", _integer(self.n_groups, "n_groups", 2))
        _checked_demand_and_classes(self)
        put("handoff_delay", _real(self.handoff_delay, "handoff_delay", lo=0.0))
        put("message_latency", _real(self.message_latency, "message_latency", lo=0.0))
        if self.discipline not in DISCIPLINES:
            raise ScenarioError(f"discipline: must be one of {DISCIPLINES}, got {_show(self.discipline)}")
        if not isinstance(self.role_coin, (bool, np.bool_)):
            raise ScenarioError(f"role_coin: must be true or false, got {_show(self.role_coin)}")
        put("role_coin", bool(self.role_coin))
        put("baseline", baseline_from_spec(self.baseline))
        if self.warmup is None:
            put("warmup", min(10_000, self.n_groups // 20))
        put("warmup", _integer(self.warmup, "warmup", 0))
        if self.warmup > self.n_groups - 2:
            raise ScenarioError(f"warmup: must be <= n_groups - 2 = {self.n_groups - 2}, got {self.warmup}")
        put("replications", _integer(self.replications, "replications", 1))
        put("seed", _integer(self.seed, "seed", 0))

    # ------------------------------------------------------------------ derived
    # (edges, num_classes, class_probs, class_means, classify, seed_sequence: DemandClasses)
    @property
    def num_subsets(self) -> int:
        """Number of possible member sets (1 for ``"all"``)."""
        return 1 if self.subset == "all" else math.comb(self.n_servers, self.fanout)

    def subsets(self) -> list[tuple[int, ...]]:
        """Every possible member set, in lexicographic order."""
        if self.subset == "all":
            return [tuple(range(self.n_servers))]
        return list(combinations(range(self.n_servers), self.fanout))

    @property
    def utilisation(self) -> float:
        """Offered load of each server, :math:`\\rho = L\\,(k/N)\\,E[s]`."""
        return self.arrival_rate * self.fanout / self.n_servers * self.demand.mean

    def check_stationary(self) -> "FanoutScenario":
        """``self`` if each server's offered load is < 1, else a :class:`ScenarioError`."""
        rho = self.utilisation
        if not rho < 1.0:
            raise ScenarioError(
                f"arrival_rate: the utilisation arrival_rate * fanout / n_servers * mean demand = {rho:.6g} "
                "must be < 1 for a stationary result"
            )
        return self

    # ------------------------------------------------------------------ inputs
    def draw_inputs(self, replication: int = 0) -> GroupInputs:
        """The random inputs of one replication (see the class notes for the order of the draws)."""
        rng = np.random.default_rng(self.seed_sequence(replication))
        n, k, N = self.n_groups, self.fanout, self.n_servers
        need, avail = n * k * BYTES_PER_CUSTOMER, _available_memory()
        if avail is not None and need > avail:
            raise ScenarioError(
                f"n_groups: the inputs of {n:,} groups of {k} need about {_gib(need)}, more than the {_gib(avail)} available"
            )
        if self.arrival_process == "poisson":
            arrival = rng.exponential(1.0 / self.arrival_rate, size=n)
            np.cumsum(arrival, out=arrival)
        else:
            arrival = np.arange(1, n + 1, dtype=np.float64) / self.arrival_rate
        demand = self.demand.sample(rng, k * n).reshape(n, k)
        cls = self.classify(demand)
        role = rng.integers(0, k, size=n, dtype=np.int8)
        if not self.role_coin:
            role = np.zeros(n, dtype=np.int8)
        uniforms = rng.random((n, NUM_UNIFORMS))
        if self.subset == "all":
            members = np.broadcast_to(np.arange(N, dtype=np.int64), (n, N)).copy()
        else:
            members = np.sort(np.argpartition(rng.random((n, N)), k - 1, axis=1)[:, :k], axis=1).astype(np.int64)
        party = (np.arange(k, dtype=np.int64)[None, :] - role.astype(np.int64)[:, None]) % k
        for a in (arrival, members, demand, cls, role, party, uniforms):
            a.setflags(write=False)
        return GroupInputs(arrival, members, demand, cls, role, party, uniforms, seed=self.seed, replication=int(replication))

    # ------------------------------------------------------------------ (de)serialisation
    def replace(self, **changes: Any) -> "FanoutScenario":
        """A copy with some fields changed (validated again)."""
        try:
            return dataclasses.replace(self, **changes)
        except TypeError as exc:
            raise ScenarioError(f"{exc}; the fields are {[f.name for f in dataclasses.fields(self)]}") from None

    # to_dict, to_json: DemandClasses
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FanoutScenario":
        """Build from a mapping (unknown keys are an error naming the allowed fields)."""
        if not isinstance(data, Mapping):
            raise ScenarioError(f"scenario: must be a table of fields, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(str(k) for k in data if k not in names)
        if unknown:
            raise ScenarioError(f"{unknown[0]}: not a field of an N-server scenario; the fields are {sorted(names)}")
        kw = dict(data)
        if isinstance(kw.get("class_edges"), list):
            kw["class_edges"] = tuple(kw["class_edges"])
        return cls(**kw)

    @classmethod
    def from_toml(cls, path: str | Path) -> "FanoutScenario":
        """Load from a TOML file (flat fields or a ``[scenario]`` table)."""
        data = read_toml(path)
        if "scenario" in data and isinstance(data["scenario"], Mapping):
            data = data["scenario"]
        return cls.from_dict(data)


def is_fanout_spec(data: Mapping[str, Any]) -> bool:
    """Whether a scenario table describes the N-server system (it has ``n_servers`` or ``fanout``)."""
    if "scenario" in data and isinstance(data["scenario"], Mapping):
        data = data["scenario"]
    return "n_servers" in data or "fanout" in data


# ---------------------------------------------------------------------- routing
def group_routing(
    inputs: GroupInputs,
    scenario: FanoutScenario,
    decision: NDArray[Any],
    hold: NDArray[np.float64] | float | None = None,
    info: Mapping[str, Any] | None = None,
) -> GroupRouting:
    """Routing of decisions by the consolidation rule (module notes).

    Parameters
    ----------
    decision : array (n, k) of int
        KEEP (0) / FORWARD (1) of each member about its own customer, by member position.
    hold : array (n, k), float or None
        Time each customer waits at its arrival server before the decision takes effect (>= 0).

    Returns
    -------
    GroupRouting
        ``dest`` = own server (KEEP), the server of the lowest-party keeper (FORWARD), or the next
        party's server when nobody keeps; ``release = (t + d [FORWARD]) + hold``.
    """
    n, k = inputs.n, inputs.k
    dec = np.asarray(decision)
    if dec.shape != (n, k):
        raise RoutingError(f"decision: must have shape ({n}, {k}), got {dec.shape}")
    if dec.size and not np.all((dec == KEEP) | (dec == FORWARD)):
        raise RoutingError("decision: entries must be KEEP (0) or FORWARD (1)")
    dec = dec.astype(np.int8)
    party = inputs.party
    keep = dec == KEEP
    pk = np.where(keep, party, k)
    tgt_party = pk.min(axis=1)
    has_keeper = tgt_party < k
    role = inputs.role.astype(np.int64)
    tgt_pos = (np.where(has_keeper, tgt_party, 0) + role) % k
    target = np.take_along_axis(inputs.members, tgt_pos[:, None], axis=1)[:, 0]
    nxt = np.roll(inputs.members, -1, axis=1)  # position j -> j + 1 (mod k): the next party's server
    if scenario.consolidation == "next":
        dest = np.where(keep, inputs.members, nxt)
    else:
        dest = np.where(keep, inputs.members, np.where(has_keeper[:, None], target[:, None], nxt))
    release = inputs.arrival[:, None] + np.where(dec == FORWARD, scenario.handoff_delay, 0.0)
    if hold is not None:
        h = np.broadcast_to(np.asarray(hold, dtype=np.float64), (n, k))
        if not (np.all(np.isfinite(h)) and np.all(h >= 0)):
            raise RoutingError("hold: every hold must be finite and >= 0")
        release = release + h
    return GroupRouting(dest=dest.astype(np.int64), release=release, decision=dec, info=dict(info or {}))


# ---------------------------------------------------------------------- simulation
def _run_all_servers(
    inputs: GroupInputs, routing: GroupRouting, scenario: FanoutScenario
) -> tuple[NDArray[np.float64], list[tuple[NDArray[np.float64], NDArray[np.float64]]], list[float]]:
    """Every server's queue, exactly: completions ``(n * k,)`` (group-major), idle gaps and last completion per server."""
    n, k, N = inputs.n, inputs.k, scenario.n_servers
    dest = np.ascontiguousarray(routing.dest).ravel()
    dec = np.ascontiguousarray(routing.decision).ravel()
    rel = np.ascontiguousarray(routing.release, dtype=np.float64).ravel()
    size = np.ascontiguousarray(inputs.demand, dtype=np.float64).ravel()
    group = np.repeat(np.arange(n, dtype=np.int64), k)
    party = np.ascontiguousarray(inputs.party).ravel()
    comp = np.empty(n * k, dtype=np.float64)
    order = np.lexsort((party, group, dec, rel, dest))  # by server, then the job order
    bounds = np.searchsorted(dest[order], np.arange(N + 1))
    gaps: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []
    lasts: list[float] = []
    for s in range(N):
        idx = order[bounds[s] : bounds[s + 1]]
        c, gs, ge, last = run_queue(rel[idx], size[idx], scenario.discipline)
        comp[idx] = c
        gaps.append((gs, ge))
        lasts.append(float(last))
    return comp, gaps, lasts


def group_completions(inputs: GroupInputs, routing: GroupRouting, scenario: FanoutScenario) -> NDArray[np.float64]:
    """Completion time of every customer, shape ``(n, k)`` by member position (the simulator's exact run)."""
    _check_routing(routing, inputs, scenario, "routing")
    return _run_all_servers(inputs, routing, scenario)[0].reshape(inputs.n, inputs.k)


def _measure(
    inputs: GroupInputs,
    routing: GroupRouting,
    scenario: FanoutScenario,
    baselines: Mapping[str, Baseline],
    window: tuple[float, float],
) -> dict[str, float]:
    from .simulate import _percentiles

    n, k, N = inputs.n, inputs.k, scenario.n_servers
    comp, gaps, lasts = _run_all_servers(inputs, routing, scenario)
    t0, t1 = window
    span = t1 - t0
    runs_list: list[NDArray[np.float64]] = []
    interrupted = 0
    for (gs, ge), last in zip(gaps, lasts):
        interrupted += int(np.count_nonzero((ge > t0) & (ge <= t1)))
        starts = np.append(gs, last)
        ends = np.append(ge, np.inf)
        r = np.minimum(ends, t1) - np.maximum(starts, t0)
        runs_list.append(r[r > 0])
    last_all = max(lasts)
    runs = np.concatenate(runs_list) if runs_list else np.zeros(0)
    w0 = scenario.warmup
    C = comp.reshape(n, k)[w0:]
    a = inputs.arrival[w0:]
    S = inputs.demand[w0:]
    waiting = (C - (a[:, None] + S)).ravel()
    excess = C.max(axis=1) - a - S.max(axis=1)
    p50, p95, p99 = _percentiles(waiting)
    _, e95, e99 = _percentiles(excess)
    D = routing.dest[w0:]
    Ds = np.sort(D, axis=1)
    used = 1 + np.count_nonzero(np.diff(Ds, axis=1), axis=1) if k > 1 else np.ones(len(D))
    n_stat = n - w0
    n_split = int(np.count_nonzero(used > 1))
    split = n_split / n_stat
    out = {
        "mean_waiting": float(np.mean(waiting)),
        "waiting_p50": float(p50),
        "waiting_p95": float(p95),
        "waiting_p99": float(p99),
        "throughput": scenario.baseline.total(runs) / span,
        "split_prob": split,
        "swap_prob": float(np.count_nonzero(np.all(routing.decision[w0:] == FORWARD, axis=1))) / n_stat,
        "consolidation_prob": (n_stat - n_split) / n_stat,
        "utilisation": 1.0 - float(np.sum(runs)) / (N * span),
        "interruption_rate": interrupted / span,
        "longest_idle_run": float(runs.max()) if runs.size else 0.0,
        "drain_time": float(last_all) - t1,
        "mean_response_excess": float(np.mean(excess)),
        "response_excess_p95": float(e95),
        "response_excess_p99": float(e99),
        "servers_used": float(np.mean(used)),
    }
    for name, b in baselines.items():
        out[f"throughput[{name}]"] = b.total(runs) / span
    return out


def _check_routing(routing: Any, inputs: GroupInputs, scenario: FanoutScenario, name: str) -> None:
    if not isinstance(routing, GroupRouting):
        raise RoutingError(f"routing: policy {name!r} returned {type(routing).__name__}, not a GroupRouting")
    shape = (inputs.n, inputs.k)
    for f in ("dest", "release", "decision"):
        if np.shape(getattr(routing, f)) != shape:
            raise RoutingError(f"routing.{f}: policy {name!r} must return shape {shape}, got {np.shape(getattr(routing, f))}")
    if not np.all((routing.dest >= 0) & (routing.dest < scenario.n_servers)):
        raise RoutingError(f"routing.dest: policy {name!r} sent a customer to a server outside [0, {scenario.n_servers - 1}]")
    rel = np.asarray(routing.release, dtype=float)
    if not (np.all(np.isfinite(rel)) and np.all(rel >= inputs.arrival[:, None])):
        raise RoutingError(f"routing.release: policy {name!r} released a customer before its group arrived (or not at all)")


def simulate_fanout(
    scenario: FanoutScenario,
    policies: GroupPolicy | Sequence[GroupPolicy],
    *,
    replications: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
    baselines: Mapping[str, Any] | None = None,
) -> SimulationResult:
    """Simulate group policies on the N-server system with common random numbers.

    Parameters
    ----------
    scenario : FanoutScenario
        Must be stationary (each server's offered load < 1).
    policies : GroupPolicy or sequence
        Objects with a unique ``name`` and ``route(inputs, scenario) -> GroupRouting``.
    replications : int, optional
        Default ``scenario.replications``.
    progress : callable(done, total), optional
    baselines : mapping name -> Baseline spec, optional
        Extra ``T`` on the same idle runs (``throughput[name]``).

    Returns
    -------
    SimulationResult
        ``metrics[m][p, r]`` for every ``m`` in :data:`FANOUT_METRICS` (plus extra baselines).
    """
    if not isinstance(scenario, FanoutScenario):
        raise TypeError(f"scenario: must be a FanoutScenario, got {type(scenario).__name__}")
    scenario.check_stationary()
    pols = [policies] if hasattr(policies, "route") else list(policies)  # type: ignore[list-item]
    if not pols:
        raise ValueError("policies: need at least one policy")
    names = tuple(str(getattr(p, "name", "")) for p in pols)
    if len(set(names)) != len(names) or not all(names):
        raise ValueError(f"policies: names must be unique and non-empty, got {list(names)}")
    n_rep = scenario.replications if replications is None else int(replications)
    if n_rep < 1:
        raise ScenarioError(f"replications: must be an integer >= 1, got {n_rep}")
    if n_rep != scenario.replications:
        scenario = scenario.replace(replications=n_rep)
    need = scenario.n_groups * scenario.fanout * BYTES_PER_CUSTOMER * 2
    avail = _available_memory()
    if avail is not None and need > avail:
        raise ScenarioError(f"n_groups: a run of {scenario.n_groups:,} groups needs about {_gib(need)}, more than the {_gib(avail)} available")
    extra = {str(k): baseline_from_spec(v) for k, v in (baselines or {}).items()}
    metric_names = FANOUT_METRICS + tuple(f"throughput[{k}]" for k in extra)
    values = {m: np.empty((len(pols), n_rep)) for m in metric_names}
    window = np.empty((n_rep, 2))
    infos: list[list[dict[str, Any]]] = [[] for _ in pols]
    timings = dict.fromkeys(names, 0.0)
    done = 0
    for r in range(n_rep):
        inputs = scenario.draw_inputs(r)
        w = scenario.warmup
        t0, t1 = float(inputs.arrival[w]), float(inputs.arrival[-1])
        window[r] = (t0, t1)
        for p, pol in enumerate(pols):
            start = time.perf_counter()
            routing = pol.route(inputs, scenario)
            _check_routing(routing, inputs, scenario, pol.name)
            m = _measure(inputs, routing, scenario, extra, (t0, t1))
            for key in metric_names:
                values[key][p, r] = m[key]
            infos[p].append(dict(routing.info))
            timings[pol.name] += time.perf_counter() - start
            done += 1
            if progress is not None:
                progress(done, n_rep * len(pols))
    return SimulationResult(
        scenario=scenario,  # type: ignore[arg-type]
        policies=names,
        replications=tuple(range(n_rep)),
        metrics=values,
        window=window,
        timings=timings,
        policy_info=tuple(tuple(i) for i in infos),
    )
