r"""N-server scenario + interruption price -> the ``k``-party game of one fan-out group, solved.

One group is one round of a ``k``-party game (:class:`qcoord.games.multiparty.MultiGame`). Party
``i``'s question is its own customer's class, its answer KEEP (0) / FORWARD (1). The payoff is

.. math::

    V(a, x) = -\,O(a, x) - \lambda\,\big(U(a) - 1\big),

where :math:`U(a)` is the number of servers the group's customers are served on (every member that
keeps, or ``k`` when nobody keeps: each of those servers' baseline runs is interrupted at low load),
:math:`\lambda \ge 0` prices an interruption, and the objective :math:`O` is either

``"waiting"``
    the mean waiting per customer, :math:`E[\sum_i w_i \mid x, a] / k`; for ``k = 2`` this is the
    two-server game :math:`-C/2 - \lambda[a = b]` exactly (:func:`qcoord.compile.compile_game`; tested);
``"response"``
    the fork-join excess response :math:`E[\max_i c_i - \max_i s_i \mid x, a]` (a scatter-gather query
    completes with its last part).

Costs are the *low-load* costs (every server idle at the group's arrival), computed exactly for each
demand vector by :func:`group_costs_low_load` (the consolidation rule and job order of
:mod:`qcoord.system.fanout`) and averaged over the demands inside each class: over the product of the
per-class samples of :func:`qcoord.compile.compiler._class_samples` when it has at most
:data:`MAX_PRODUCT` points (exact for two-point demands), else over :data:`MAX_PRODUCT` seeded random
draws from it (documented in the result, ``cost_samples``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Any, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .compiler import SAMPLES_PER_CLASS, CompileError, _class_samples

__all__ = [
    "OBJECTIVES",
    "CompiledGroupGame",
    "GroupSolution",
    "group_costs_low_load",
    "GroupEstimatedCosts",
    "estimate_group_costs",
    "compile_group_game",
    "solve_group",
    "critical_group_visibility",
    "to_group_policy",
    "GROUP_POLICY_KINDS",
]

OBJECTIVES = ("waiting", "response")
CONSOLIDATIONS = ("lowest_keeper", "next")
#: Largest number of demand vectors averaged per class profile (the full product for two parties,
#: as :func:`qcoord.compile.compile_game` averages).
MAX_PRODUCT = SAMPLES_PER_CLASS**2


def _sjf(start: NDArray[np.float64], jobs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Completions of ``jobs`` (M, m) served back to back from ``start`` (M,), shortest first (ties in column order)."""
    order = np.argsort(jobs, axis=1, kind="stable")
    done = start[:, None] + np.cumsum(np.take_along_axis(jobs, order, axis=1), axis=1)
    out = np.empty_like(done)
    np.put_along_axis(out, order, done, axis=1)
    return out


def _server_completions(own: NDArray[np.float64] | None, F: NDArray[np.float64], d: float,
                        discipline: str) -> tuple[NDArray[np.float64] | None, NDArray[np.float64]]:
    """One idle server at time 0: its own customer ``own`` (released at 0, or None) and the forwarded ones
    ``F`` (M, m), released at ``d`` in party order. Returns the completions of both (module notes)."""
    M, m = F.shape
    if m == 0:
        return own, F
    if own is None:
        own_eff = np.zeros(M)  # an idle server at d: as if its own work had ended before d
    else:
        own_eff = own
    if discipline == "fcfs":
        start = np.maximum(own_eff, d)
        return own, start[:, None] + np.cumsum(F, axis=1)
    if discipline == "np":
        # busy at d: every forwarded customer waits, shortest first after the own one; free at d:
        # the first forwarded customer (party order) starts at once, the rest shortest first after it
        busy = _sjf(own_eff, F)
        first = d + F[:, 0]
        free = np.concatenate([first[:, None], _sjf(first, F[:, 1:])], axis=1)
        return own, np.where((own_eff > d)[:, None], busy, free)
    rem = np.maximum(own_eff - d, 0.0)  # srpt: least remaining work first; ties: own, then party order
    jobs = np.concatenate([rem[:, None], F], axis=1)
    out = _sjf(np.full(M, float(d)), jobs)
    c_own = None if own is None else np.where(own > d, out[:, 0], own)
    return c_own, out[:, 1:]


def group_costs_low_load(
    s: ArrayLike, a: Sequence[int], d: float, discipline: str, consolidation: str = "lowest_keeper"
) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    r"""Exact costs of one group arriving at time 0 to idle servers.

    Parameters
    ----------
    s : array (M, k)
        Demands by party (time units), ``M`` demand vectors.
    a : sequence of k ints
        Decisions by party (0 KEEP, 1 FORWARD).
    d : float
        Hand-off delay.
    discipline : {"srpt", "np", "fcfs"}
    consolidation : {"lowest_keeper", "next"}
        Where a forwarded customer goes (:mod:`qcoord.system.fanout`).

    Returns
    -------
    total_waiting : ndarray (M,)
        :math:`\sum_i (c_i - s_i)`.
    excess_response : ndarray (M,)
        :math:`\max_i c_i - \max_i s_i`.
    servers_used : int
        Servers receiving work (for ``lowest_keeper``: the keepers, or ``k`` when nobody keeps).

    Notes
    -----
    Destinations: a kept customer stays; a forwarded one joins at ``d`` the lowest-party keeper
    (``lowest_keeper``; when nobody keeps, the next party's server) or the next party's server
    (``next``). Each server ``t`` then serves its own customer (if kept) from 0 and the ones forwarded
    to it from ``d``. At ``t``: ``fcfs`` serves its own customer, then the forwarded
    ones in party order; ``np`` finishes its own customer, then the forwarded ones shortest first
    (if it is already free at ``d``, the first forwarded customer in party order starts at once);
    ``srpt`` serves at every instant the least remaining work (ties: its own customer, then party
    order). These are the simulator's rules for an isolated group (tested against it).
    """
    S = np.atleast_2d(np.asarray(s, dtype=np.float64))
    M, k = S.shape
    dec = np.asarray(a, dtype=np.int64)
    if dec.shape != (k,) or not np.all((dec == 0) | (dec == 1)):
        raise CompileError(f"a: must be {k} decisions in {{0, 1}}, got {list(a)}")
    if not d >= 0:
        raise CompileError(f"handoff_delay: must be >= 0, got {d}")
    if discipline not in ("srpt", "np", "fcfs"):
        raise CompileError(f"discipline: must be one of ('srpt', 'np', 'fcfs'), got {discipline!r}")
    if consolidation not in CONSOLIDATIONS:
        raise CompileError(f"consolidation: must be one of {CONSOLIDATIONS}, got {consolidation!r}")
    keepers = np.flatnonzero(dec == 0)
    dest = np.arange(k)
    for i in np.flatnonzero(dec == 1):
        if consolidation == "lowest_keeper" and keepers.size:
            dest[i] = int(keepers[0])
        else:  # nobody keeps, or the "next" rule: one party on
            dest[i] = (i + 1) % k
    C = np.empty((M, k))
    for j in np.unique(dest):
        has_own = bool(dec[j] == 0)
        fwd = np.array([i for i in range(k) if dest[i] == j and dec[i] == 1], dtype=np.int64)  # party order
        own = S[:, j] if has_own else None
        c_own, c_fwd = _server_completions(own, S[:, fwd], d, discipline)
        if has_own:
            C[:, j] = c_own
        if fwd.size:
            C[:, fwd] = c_fwd
    used = int(np.unique(dest).size)
    waiting = (C - S).sum(axis=1)
    excess = C.max(axis=1) - S.max(axis=1)
    return waiting, excess, used


def _profiles(k: int) -> list[tuple[int, ...]]:
    return list(product((0, 1), repeat=k))


@dataclass(frozen=True, eq=False)
class GroupEstimatedCosts:
    """Group costs estimated by simulation at the scenario's load (:func:`estimate_group_costs`).

    Attributes
    ----------
    waiting, response : ndarray ``(2,)*k + (C,)*k``
        Mean waiting per customer and mean excess response of the groups in each cell
        (decisions by party, classes by party).
    count : ndarray of int, same shape
        Groups observed per cell.
    seed, n_groups, replications : int
    """

    waiting: NDArray[np.float64] = field(repr=False)
    response: NDArray[np.float64] = field(repr=False)
    count: NDArray[np.int64] = field(repr=False)
    seed: int = 0
    n_groups: int = 0
    replications: int = 0


def estimate_group_costs(scenario: Any, *, n_groups: int = 50_000, replications: int = 2, seed: int = 0,
                         min_count: int = 30) -> GroupEstimatedCosts:
    r"""Estimate the group cost tables at the scenario's actual load by simulation.

    Every member decides KEEP or FORWARD by its own fair coin (a generator seeded from
    ``SeedSequence(seed)``), so every (decision profile, class profile) cell is visited; the groups of
    each cell give :math:`\hat O(a, x)` = the mean, over those groups, of the mean waiting per
    customer (and of the excess response). The queueing state the groups meet is that of the random
    routing (the two-server compiler's ``estimate_costs`` makes the same choice).

    Raises
    ------
    CompileError
        A cell has fewer than ``min_count`` groups (use more ``n_groups``).
    """
    from qcoord.system.fanout import FanoutScenario, group_completions, group_routing

    if not isinstance(scenario, FanoutScenario):
        raise CompileError(f"scenario: must be a FanoutScenario, got {type(scenario).__name__}")
    for nm, v, lo in (("n_groups", n_groups, 100), ("replications", replications, 1), ("min_count", min_count, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise CompileError(f"{nm}: must be an integer >= {lo}, got {v!r}")
    sc = scenario.replace(n_groups=int(n_groups), warmup=min(int(n_groups) // 10, 5000), replications=int(replications), seed=int(seed))
    k, nc = sc.fanout, sc.num_classes
    shape = (2,) * k + (nc,) * k
    sw, sr, cnt = np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=np.int64)
    for r in range(sc.replications):
        inp = sc.draw_inputs(r)
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(r, 0x455354)))
        dec = rng.integers(0, 2, size=(inp.n, k)).astype(np.int8)
        C = group_completions(inp, group_routing(inp, sc, dec), sc)
        w0 = sc.warmup
        a, S, Cw = inp.arrival[w0:], inp.demand[w0:], C[w0:]
        wait = (Cw - (a[:, None] + S)).mean(axis=1)
        exc = Cw.max(axis=1) - a - S.max(axis=1)
        A = inp.by_party(dec)[w0:]
        X = inp.by_party(inp.cls)[w0:]
        idx = tuple(A.T) + tuple(X.T)
        np.add.at(sw, idx, wait)
        np.add.at(sr, idx, exc)
        np.add.at(cnt, idx, 1)
    if cnt.min() < min_count:
        raise CompileError(f"n_groups: some (decisions, classes) cell saw only {int(cnt.min())} groups (< {min_count}); use more n_groups")
    return GroupEstimatedCosts(sw / cnt, sr / cnt, cnt, int(seed), int(n_groups), int(replications))


@dataclass(frozen=True, eq=False)
class CompiledGroupGame:
    """The ``k``-party game of one group, with what is needed to read it back.

    Attributes
    ----------
    game : MultiGame
        Payoff :math:`-O - \\lambda (U - 1)`, prob = product of the class priors.
    scenario : FanoutScenario
    lam : float
    objective : {"waiting", "response"}
    waiting : ndarray ``(2,)*k + (C,)*k``
        Expected mean waiting per customer.
    response : ndarray ``(2,)*k + (C,)*k``
        Expected excess response.
    used : ndarray ``(2,)*k``
        Servers used by each decision profile.
    cost_samples : int
        Demand vectors averaged per class profile (exact when the product is complete).
    exact_average : bool
    """

    game: Any
    scenario: Any
    lam: float
    objective: str
    waiting: NDArray[np.float64] = field(repr=False)
    response: NDArray[np.float64] = field(repr=False)
    used: NDArray[np.float64] = field(repr=False)
    cost_samples: int = 0
    exact_average: bool = True

    @property
    def k(self) -> int:
        return int(self.used.ndim)

    def _expect(self, table: NDArray[np.float64], behaviour: ArrayLike) -> float:
        B = np.asarray(behaviour, dtype=float)
        k = self.k
        P = self.game.prob
        return float(np.sum(P[(None,) * k] * B * table))

    def mean_waiting(self, behaviour: ArrayLike) -> float:
        """Low-load mean waiting per customer of a behaviour."""
        return self._expect(self.waiting, behaviour)

    def mean_response(self, behaviour: ArrayLike) -> float:
        """Low-load mean excess response of a behaviour."""
        return self._expect(self.response, behaviour)

    def mean_servers_used(self, behaviour: ArrayLike) -> float:
        """Mean number of servers a group is served on."""
        k = self.k
        U = self.used.reshape(self.used.shape + (1,) * k)
        return self._expect(np.broadcast_to(U, np.shape(behaviour)), behaviour)


def compile_group_game(scenario: Any, lam: float, *, objective: str = "waiting", seed: int = 12345,
                       costs: Any = "closed_form") -> CompiledGroupGame:
    """Build the ``k``-party game of one group (module notes).

    Parameters
    ----------
    scenario : FanoutScenario
    lam : float
        Interruption price >= 0 (objective units per extra server used).
    objective : {"waiting", "response"}
    seed : int
        Seed of the class samples (and of the subsample when the product is large).
    costs : "closed_form" or GroupEstimatedCosts
        Low-load costs (module notes) or costs estimated at the scenario's load
        (:func:`estimate_group_costs`).

    Raises
    ------
    CompileError
        Bad ``lam``/``objective``/scenario; ScenarioError if the scenario is not stationary.
    """
    from qcoord.games.multiparty.game import MultiGame
    from qcoord.system.fanout import FanoutScenario

    if not isinstance(scenario, FanoutScenario):
        raise CompileError(f"scenario: must be a FanoutScenario, got {type(scenario).__name__}")
    scenario.check_stationary()
    if isinstance(lam, bool) or not isinstance(lam, (int, float, np.floating, np.integer)) or not np.isfinite(lam) or lam < 0:
        raise CompileError(f"lam: must be a finite number >= 0, got {lam!r}")
    if objective not in OBJECTIVES:
        raise CompileError(f"objective: must be one of {OBJECTIVES}, got {objective!r}")
    k = scenario.fanout
    samples = _class_samples(scenario, seed)
    nc = len(samples)
    d = float(scenario.handoff_delay)
    W = np.zeros((2,) * k + (nc,) * k)
    R = np.zeros_like(W)
    U = np.zeros((2,) * k)
    rng = np.random.default_rng(seed)
    m_used, exact = 0, True
    for x in product(range(nc), repeat=k):
        sizes = [samples[c].size for c in x]
        total = int(np.prod(sizes))
        if total <= MAX_PRODUCT:
            grids = np.meshgrid(*[samples[c] for c in x], indexing="ij")
            S = np.stack([g.ravel() for g in grids], axis=1)
        else:
            exact = False
            S = np.stack([rng.choice(samples[c], size=MAX_PRODUCT) for c in x], axis=1)
        m_used = max(m_used, S.shape[0])
        for a in _profiles(k):
            w, e, used = group_costs_low_load(S, a, d, scenario.discipline, scenario.consolidation)
            W[a + x] = float(np.mean(w)) / k
            R[a + x] = float(np.mean(e))
            U[a] = used
    if isinstance(costs, GroupEstimatedCosts):
        if costs.waiting.shape != W.shape:
            raise CompileError(f"costs: estimated tables have shape {costs.waiting.shape}, the scenario's game needs {W.shape}")
        W, R, exact, m_used = costs.waiting.copy(), costs.response.copy(), False, int(costs.count.min())
    elif not (isinstance(costs, str) and costs == "closed_form"):
        raise CompileError(f"costs: must be 'closed_form' or a GroupEstimatedCosts, got {costs!r}")
    prob = np.ones((nc,) * k)
    pri = scenario.class_probs
    for i in range(k):
        shape = [1] * k
        shape[i] = nc
        prob = prob * pri.reshape(shape)
    prob = prob / prob.sum()
    O = W if objective == "waiting" else R
    pen = (U - 1.0).reshape(U.shape + (1,) * k)
    payoff = -O - float(lam) * pen
    names = ("short", "long") if nc == 2 else tuple(f"c{i}" for i in range(nc))
    game = MultiGame(prob, payoff, question_names=(names,) * k, answer_names=(("KEEP", "FORWARD"),) * k,
                     name=f"fanout(k={k}, {objective}, lam={float(lam):g})")
    return CompiledGroupGame(game, scenario, float(lam), objective, W, R, U, m_used, exact)


@dataclass(frozen=True, eq=False)
class GroupSolution:
    """A compiled group game with every value and strategy.

    Attributes
    ----------
    compiled : CompiledGroupGame
    classical : result of ``multiparty.classical_value`` (optimal deterministic strategy, certificate)
    quantum : result of ``multiparty.quantum_lower_bound`` (state and measurements)
    npa : result of ``multiparty.npa_upper_bound`` or None
    nonsignaling : result of ``multiparty.nonsignaling_value``
    noise_value : float
        Value of the quantum strategy on the maximally mixed state (its measurements kept).
    critical_visibility : float
        :math:`v^* = (\\omega_c - \\omega_0) / (\\omega_q - \\omega_0)`: the visibility above which the
        noisy strategy beats the classical value (``inf`` when there is no quantum advantage).
    """

    compiled: CompiledGroupGame
    classical: Any
    quantum: Any
    npa: Any
    nonsignaling: Any
    noise_value: float
    critical_visibility: float

    @property
    def classical_value(self) -> float:
        return float(self.classical.value)

    @property
    def quantum_value(self) -> float:
        return float(self.quantum.value)

    @property
    def npa_value(self) -> float:
        return float("nan") if self.npa is None else float(self.npa.value)

    @property
    def nonsignaling_value(self) -> float:
        return float(self.nonsignaling.value)

    @property
    def advantage(self) -> float:
        """Quantum lower bound minus the classical value (objective units)."""
        return self.quantum_value - self.classical_value

    def certified_no_advantage(self, tol: float = 1e-6) -> bool:
        """NPA upper bound = classical value (to ``tol``): no quantum strategy helps in this game (a proof)."""
        return self.npa is not None and self.npa_value - self.classical_value <= tol * max(1.0, abs(self.classical_value))

    def to_dict(self) -> dict[str, Any]:
        return {
            "lam": self.compiled.lam,
            "objective": self.compiled.objective,
            "classical": self.classical_value,
            "quantum_lower_bound": self.quantum_value,
            "npa_upper_bound": self.npa_value,
            "npa_level": None if self.npa is None else getattr(self.npa, "level", None),
            "nonsignaling": self.nonsignaling_value,
            "critical_visibility": self.critical_visibility,
            "certified_no_advantage": self.certified_no_advantage(),
        }


def critical_group_visibility(classical: float, quantum: float, noise: float) -> float:
    """:math:`v^* = (\\omega_c - \\omega_0) / (\\omega_q - \\omega_0)` (``inf`` if ``quantum <= classical``)."""
    if not quantum > classical + 1e-12:
        return float("inf")
    return float(max(0.0, (classical - noise) / (quantum - noise)))


def solve_group(
    compiled: CompiledGroupGame,
    *,
    dim: int = 2,
    restarts: int = 20,
    seed: int = 0,
    npa_level: Any = 2,
    time_limit: float = 60.0,
) -> GroupSolution:
    """Classical value (certified), see-saw lower bound, NPA upper bound and NS value of a group game.

    Parameters
    ----------
    compiled : CompiledGroupGame
    dim : int
        Local dimension of the see-saw (2: qubits, GHZ-type states).
    restarts, seed : int
        See-saw restarts and seed (``SeedSequence``).
    npa_level : int, str or None
        NPA level (``None`` skips it). Level 2 contains every product of two operators of any parties;
        a string such as ``"1+ab+ac+bc"`` names parties by letters (:mod:`qcoord.games.multiparty.npa`).
    time_limit : float
        Seconds for the NPA solve.
    """
    from qcoord.games.multiparty.classical import classical_value
    from qcoord.games.multiparty.nonsignaling import nonsignaling_value
    from qcoord.games.multiparty.npa import npa_upper_bound
    from qcoord.games.multiparty.seesaw import quantum_lower_bound

    g = compiled.game
    cl = classical_value(g)
    q = quantum_lower_bound(g, dim=dim, restarts=restarts, seed=seed)
    ns = nonsignaling_value(g)
    npa = None
    if npa_level is not None:
        npa = npa_upper_bound(g, level=npa_level, time_limit=time_limit)
    noise = float(g.value(q.strategy.with_visibility(0.0).behaviour()))
    vstar = critical_group_visibility(float(cl.value), float(q.value), noise)
    return GroupSolution(compiled, cl, q, npa, ns, noise, vstar)


#: Strategy classes :func:`to_group_policy` builds.
GROUP_POLICY_KINDS = ("local", "local_fixed", "entangled", "hold", "oracle")


def to_group_policy(solution: GroupSolution, kind: str, *, name: str | None = None, **kwargs: Any) -> Any:
    """A group policy of ``kind`` from a solved group game.

    Parameters
    ----------
    solution : GroupSolution
    kind : {"local", "local_fixed", "entangled", "hold", "oracle"}
        ``local``: the classical optimum, parties rotated by the shared role coin; ``local_fixed``: the
        same with fixed parties; ``entangled``: the see-saw strategy (``kwargs``: ``visibility``,
        ``pool``, ``fallback`` as :class:`qcoord.policies.fanout.GroupEntangled`; with a pool and no
        fallback the classical optimum is the fallback); ``hold``: hold-for-message with the
        full-information optimum (``kwargs``: ``latency``); ``oracle``: that optimum at zero latency.
    name : str, optional
        Policy name (default: the kind).
    """
    from qcoord.policies.fanout import GroupEntangled, GroupHold, GroupOracle, GroupRule, group_joint_optimum

    if kind not in GROUP_POLICY_KINDS:
        raise CompileError(f"kind: must be one of {GROUP_POLICY_KINDS}, got {kind!r}")
    nm = name or kind
    table = np.asarray(solution.classical.strategy.answers, dtype=np.int8)
    if kind == "local":
        return GroupRule(nm, table)
    if kind == "local_fixed":
        return GroupRule(nm, table, rotate=False)
    if kind == "entangled":
        if kwargs.get("pool") is not None and kwargs.get("fallback") is None:
            kwargs["fallback"] = GroupRule(nm + "/fallback", table)
        return GroupEntangled.from_strategy(nm, solution.quantum.strategy, **kwargs)
    joint = group_joint_optimum(solution.compiled.game.payoff)
    if kind == "hold":
        return GroupHold(nm, joint, **kwargs)
    return GroupOracle(nm, joint)
