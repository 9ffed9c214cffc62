"""Scenario + Lagrange weight -> the weighted non-local game of one pair (model.md section 3).

One pair of customers is one round of a two-player game. The referee's questions are the local
observations of the two servers (their customers' demand classes, optionally with a backlog level);
the answers are ``KEEP = 0`` / ``FORWARD = 1``; the payoff is

.. math::

    V(a, b, x, y) = -\\tfrac12\\, C(a, b, x, y) - \\lambda\\, [a = b],

where :math:`C(a, b, x, y) = E[w_A + w_B \\mid x, y, a, b]` is the expected *total* waiting of the
pair's two customers (so :math:`C/2` is the mean waiting per customer, time unit = mean demand),
:math:`[a = b]` is a split (KEEP/KEEP or FORWARD/FORWARD: both servers receive one customer and both
baseline runs are interrupted), and :math:`\\lambda \\ge 0` prices an interruption. Sweeping
:math:`\\lambda` traces the waiting/throughput frontier.

Pricing interruptions (``pricing``)
-----------------------------------
``"split"`` charges :math:`\\lambda` per split. When the servers also observe a busy flag (backlog
levels starting at 0, level 0 = idle), a split that lands on a *busy* server interrupts no baseline
run, so charging it misprices the game. ``"idle_servers"`` charges an interruption only where an idle
server receives work:

.. math::

    V(a, b, x, y) = -\\tfrac12\\, C(a, b, x, y) - \\lambda\\,\\big(I_A(x)\\, r_A(a, b) + I_B(y)\\, r_B(a, b) - 1\\big),

with :math:`I_A(x) = 1` iff server A's question says it is idle, :math:`r_A = [a = \\text{KEEP}
\\lor b = \\text{FORWARD}]` (A receives a customer) and likewise for B. When both servers are idle
this equals :math:`\\lambda [a = b]` exactly (a consolidation interrupts one idle server, a split
two; the constant :math:`-1` keeps the values of the class-only game unchanged). ``"auto"`` (the
default) uses ``"idle_servers"`` when the questions carry a busy flag and ``"split"`` otherwise.

Two sources of :math:`C`:

``"closed_form"``
    Both servers idle at arrival (low load). The per-pair cost is
    :func:`qcoord.system.costs.pair_waiting_low_load` (the one source of truth for the formula),
    averaged over the demands inside each class.
:class:`EstimatedCosts`
    Estimated by simulation at the scenario's actual load (see :mod:`qcoord.compile.estimate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np
from numpy.typing import NDArray

from qcoord.games import Game

__all__ = [
    "CompileError",
    "CompiledGame",
    "EstimatedCosts",
    "compile_game",
    "closed_form_costs",
    "question_labels",
    "interruption_penalty",
    "idle_questions",
    "PRICINGS",
]

#: Number of demand samples kept per class when a class holds a continuum of demands.
SAMPLES_PER_CLASS = 400


class CompileError(ValueError):
    """Bad input to the compiler; the message names the field and the allowed range."""


@dataclass(frozen=True, eq=False)
class EstimatedCosts:
    """Pair-waiting costs estimated by simulation at the scenario's load.

    Attributes
    ----------
    cost : ndarray, shape (2, 2, nx, ny)
        ``cost[a, b, x, y]``: estimated mean total waiting of the pair's two customers when server A
        observes ``x`` and answers ``a`` and server B observes ``y`` and answers ``b``.
    stderr : ndarray, shape (2, 2, nx, ny)
        Standard error of each entry (``nan`` where a cell was never observed).
    counts : ndarray of int, shape (2, 2, nx, ny)
        Number of simulated pairs behind each entry.
    prob : ndarray, shape (nx, ny)
        Empirical question distribution at the simulated load (needed when questions include a
        backlog level, whose law depends on the load and on the policy).
    iterations : int
        Compile -> solve -> simulate rounds performed.
    converged : bool
        Whether the optimal classical strategy stopped changing before the iteration limit.
    history : tuple of dict
        Per-iteration record (strategy, value, max cost change).
    seed : int
        Seed of the simulations.
    """

    cost: NDArray[np.float64]
    stderr: NDArray[np.float64]
    counts: NDArray[np.int64]
    prob: NDArray[np.float64]
    iterations: int = 1
    converged: bool = True
    history: tuple[dict[str, Any], ...] = ()
    seed: int = 0


CostSpec = Union[str, EstimatedCosts]


def question_labels(scenario: Any) -> tuple[str, ...]:
    """Names of the questions a server can receive: its class, or ``(class, backlog level)``.

    Classes are named ``c0 < c1 < ...`` in increasing demand (two classes: ``short``, ``long``);
    backlog levels ``l0 < l1 < ...`` by own unfinished work (one threshold at 0: ``idle``/``busy``).
    """
    k = int(scenario.num_classes)
    cls_names = ("short", "long") if k == 2 else tuple(f"c{i}" for i in range(k))
    levels = tuple(getattr(scenario, "backlog_levels", ()) or ())
    if not levels:
        return cls_names
    nl = len(levels) + 1
    lvl_names = ("idle", "busy") if levels == (0.0,) else tuple(f"l{i}" for i in range(nl))
    return tuple(f"{c}/{lv}" for c in cls_names for lv in lvl_names)


def _class_samples(scenario: Any, seed: int = 12345) -> list[NDArray[np.float64]]:
    """Demand samples of each class, drawn from the scenario's demand distribution and class edges.

    Two-point and deterministic demands give a constant sample per class (the average is then
    exact); continuous demands give up to :data:`SAMPLES_PER_CLASS` draws per class.
    """
    from qcoord.system.demand import classify

    n = int(min(max(20 * SAMPLES_PER_CLASS * scenario.num_classes, 4000), 200_000))
    edges = scenario.class_edges if scenario.class_edges is not None else scenario.demand.default_edges()
    demand = np.asarray(scenario.demand.sample(np.random.default_rng(np.random.SeedSequence(seed)), n), dtype=float)
    cls = np.asarray(classify(demand, edges))
    out = []
    rng = np.random.default_rng(seed)
    for c in range(int(scenario.num_classes)):
        s = demand[cls == c]
        if s.size == 0:
            raise CompileError(f"class_edges: class {c} received no demand in {n} draws; adjust the class edges")
        if np.ptp(s) <= 1e-12 * max(1.0, abs(s[0])):
            out.append(s[:1].copy())
        else:
            if s.size > SAMPLES_PER_CLASS:
                s = rng.choice(s, size=SAMPLES_PER_CLASS, replace=False)
            out.append(np.sort(s))
    return out


def closed_form_costs(scenario: Any) -> NDArray[np.float64]:
    """Low-load expected pair waiting ``C[a, b, x, y]`` per class pair.

    .. math::

        C(a, b, x, y) = E\\big[c(s_A, s_B, a, b; d) \\,\\big|\\, s_A \\in \\text{class } x,
        s_B \\in \\text{class } y\\big],

    with :math:`c` = :func:`qcoord.system.costs.pair_waiting_low_load` (both servers idle at the
    pair's arrival, hand-off delay :math:`d`, the scenario's discipline). Demands of the two
    customers are independent, so the expectation is over the product of the per-class samples.
    """
    from qcoord.system.costs import pair_waiting_low_load

    if tuple(getattr(scenario, "backlog_levels", ()) or ()):
        raise CompileError(
            "costs: the closed form assumes idle servers and cannot price backlog questions; "
            "use costs=estimate_costs(...) when backlog_levels is set"
        )
    samples = _class_samples(scenario)
    k = len(samples)
    d = float(scenario.handoff_delay)
    cost = np.zeros((2, 2, k, k))
    for x in range(k):
        for y in range(k):
            sa = np.repeat(samples[x], samples[y].size)
            sb = np.tile(samples[y], samples[x].size)
            for a in (0, 1):
                for b in (0, 1):
                    w = pair_waiting_low_load(
                        sa, sb, np.full(sa.shape, a, dtype=np.int8), np.full(sb.shape, b, dtype=np.int8),
                        d, scenario.discipline,
                    )
                    cost[a, b, x, y] = float(np.mean(w))
    return cost


@dataclass(frozen=True, eq=False)
class CompiledGame:
    """The weighted game of one pair, with everything needed to read it back.

    Attributes
    ----------
    game : qcoord.games.Game
        Questions = local observations (``question_names``), answers ``("KEEP", "FORWARD")``,
        payoff :math:`-C/2 - \\lambda [a = b]`.
    scenario : qcoord.system.Scenario
        The scenario it was compiled from.
    lam : float
        The interruption price :math:`\\lambda \\ge 0` (waiting time units per split).
    costs : str or EstimatedCosts
        ``"closed_form"`` or the estimate used.
    cost : ndarray, shape (2, 2, nx, ny)
        Expected total pair waiting ``C[a, b, x, y]``.
    pricing : {"split", "idle_servers"}
        How interruptions are charged (module notes).
    penalty : ndarray, shape (2, 2, nx, ny)
        The interruption count that ``lam`` multiplies (see :attr:`interruptions`).
    """

    game: Game
    scenario: Any
    lam: float
    costs: CostSpec
    cost: NDArray[np.float64] = field(repr=False)
    pricing: str = "split"
    penalty: NDArray[np.float64] | None = field(default=None, repr=False)

    @property
    def interruptions(self) -> NDArray[np.float64]:
        """The count ``P[a, b, x, y]`` that ``lam`` multiplies (``[a = b]`` under ``"split"`` pricing)."""
        return self.split if self.penalty is None else self.penalty

    @property
    def prob(self) -> NDArray[np.float64]:
        """Question distribution ``prob[x, y]``."""
        return self.game.prob

    @property
    def split(self) -> NDArray[np.float64]:
        """Indicator ``[a = b]`` as an array of shape (2, 2, nx, ny)."""
        nx, ny = self.game.prob.shape
        return np.broadcast_to(np.eye(2)[:, :, None, None], (2, 2, nx, ny)).copy()

    def waiting(self, behaviour: NDArray[np.float64]) -> float:
        """Mean waiting per customer :math:`\\sum \\pi(x,y) p(a,b|x,y) C(a,b,x,y) / 2` of a behaviour."""
        return float(np.einsum("xy,abxy,abxy->", self.game.prob, behaviour, self.cost) / 2.0)

    def split_prob(self, behaviour: NDArray[np.float64]) -> float:
        """Split probability :math:`\\sum \\pi(x,y) (p(0,0|x,y) + p(1,1|x,y))` of a behaviour."""
        return float(np.einsum("xy,aaxy->", self.game.prob, behaviour))


#: Interruption pricings of :func:`compile_game` (module notes).
PRICINGS = ("auto", "split", "idle_servers")


def idle_questions(scenario: Any) -> NDArray[np.bool_]:
    """Per question index ``q = class * levels + level``: whether it says the server is idle.

    Only defined when the backlog thresholds start at 0 (``backlog_levels[0] == 0``: level 0 means
    no unfinished work); raises :class:`CompileError` otherwise.
    """
    levels = tuple(getattr(scenario, "backlog_levels", ()) or ())
    if not levels or float(levels[0]) != 0.0:
        raise CompileError(
            f"pricing: 'idle_servers' needs a busy flag (backlog_levels starting at 0.0), got backlog_levels={levels}"
        )
    nl = len(levels) + 1
    nq = int(scenario.num_classes) * nl
    return np.arange(nq) % nl == 0


def interruption_penalty(scenario: Any, pricing: str = "auto") -> tuple[NDArray[np.float64], str]:
    """The interruption count ``P[a, b, x, y]`` that ``lam`` multiplies, and the pricing used.

    ``"split"``: ``[a = b]``; ``"idle_servers"``: idle servers that receive work, minus one (module
    notes); ``"auto"``: ``"idle_servers"`` when the questions carry a busy flag, else ``"split"``.
    """
    if pricing not in PRICINGS:
        raise CompileError(f"pricing: must be one of {PRICINGS}, got {pricing!r}")
    levels = tuple(getattr(scenario, "backlog_levels", ()) or ())
    if pricing == "auto":
        pricing = "idle_servers" if levels and float(levels[0]) == 0.0 else "split"
    nq = len(question_labels(scenario))
    if pricing == "split":
        return np.broadcast_to(np.eye(2)[:, :, None, None], (2, 2, nq, nq)).copy(), "split"
    idle = idle_questions(scenario).astype(float)
    a = np.arange(2)[:, None]
    b = np.arange(2)[None, :]
    recv_a = ((a == 0) | (b == 1)).astype(float)  # A keeps its own customer or B forwards to A
    recv_b = ((b == 0) | (a == 1)).astype(float)
    pen = recv_a[:, :, None, None] * idle[None, None, :, None] + recv_b[:, :, None, None] * idle[None, None, None, :] - 1.0
    return pen, "idle_servers"


def compile_game(scenario: Any, lam: float, costs: CostSpec = "closed_form", *, pricing: str = "auto") -> CompiledGame:
    """Build the weighted non-local game of one pair (model.md section 3).

    Parameters
    ----------
    scenario : qcoord.system.Scenario
        Demand classes, hand-off delay ``d``, discipline and (optional) backlog levels.
    lam : float
        Interruption price :math:`\\lambda \\ge 0`; payoff :math:`-C/2 - \\lambda[a=b]`.
    costs : ``"closed_form"`` or EstimatedCosts
        Source of the expected pair waiting :math:`C` (see module notes).
    pricing : {"auto", "split", "idle_servers"}
        How an interruption is charged (module notes); ``"auto"`` prices per idle server when the
        servers observe a busy flag.

    Returns
    -------
    CompiledGame

    Raises
    ------
    ScenarioError
        The scenario has no stationary regime (utilisation >= 1: ``Scenario.check_stationary``,
        the same error as :func:`qcoord.system.simulate`); the costs would describe a queue that
        grows without bound.
    CompileError
        ``scenario`` not a Scenario; ``lam`` negative or not finite; unknown ``costs``; closed form
        asked for backlog questions; estimated costs whose shape does not match the scenario's
        questions.

    Examples
    --------
    At the reference R1 (two-point demand, srpt, d = 0.1, lam = 0.5) a split is the best joint
    answer exactly when both customers are long.
    """
    check_stationary = getattr(scenario, "check_stationary", None)
    if not callable(check_stationary):
        raise CompileError(f"scenario: must be a qcoord.system.Scenario, got {type(scenario).__name__}")
    check_stationary()  # ScenarioError naming arrival_rate (or arrival_times) when utilisation >= 1
    try:
        lam_f = float(lam)
    except (TypeError, ValueError):
        raise CompileError(f"lam: must be a real number >= 0, got {lam!r}") from None
    if not np.isfinite(lam_f) or lam_f < 0:
        raise CompileError(f"lam: must be a finite number >= 0, got {lam!r}")
    names = question_labels(scenario)
    nq = len(names)
    if isinstance(costs, str):
        if costs != "closed_form":
            raise CompileError(f"costs: must be 'closed_form' or an EstimatedCosts, got {costs!r}")
        cost = closed_form_costs(scenario)
        q = np.asarray(scenario.class_probs, dtype=float)
        prob = np.outer(q, q)
    elif isinstance(costs, EstimatedCosts):
        cost = np.asarray(costs.cost, dtype=float)
        prob = np.asarray(costs.prob, dtype=float)
        if cost.shape != (2, 2, nq, nq) or prob.shape != (nq, nq):
            raise CompileError(
                f"costs: estimated cost has shape {cost.shape} / prob {prob.shape}, expected "
                f"(2, 2, {nq}, {nq}) / ({nq}, {nq}) for questions {names}"
            )
        if not np.all(np.isfinite(cost)):
            raise CompileError("costs: estimated cost has unobserved cells (nan); simulate longer")
    else:
        raise CompileError(f"costs: must be 'closed_form' or an EstimatedCosts, got {type(costs).__name__}")
    prob = prob / prob.sum()
    penalty, used = interruption_penalty(scenario, pricing)
    payoff = -0.5 * cost - lam_f * penalty
    game = Game(
        prob=prob,
        payoff=payoff,
        name=f"pair game (d={scenario.handoff_delay:g}, {scenario.discipline}, lam={lam_f:g})",
        question_names=(names, names),
        answer_names=(("KEEP", "FORWARD"), ("KEEP", "FORWARD")),
    )
    return CompiledGame(game=game, scenario=scenario, lam=lam_f, costs=costs, cost=cost, pricing=used, penalty=penalty)
