"""The claims of the study: each a pure ``measure(evidence) -> Measurement`` and ``decide(m, rules) -> Verdict``.

Nothing here simulates, solves or writes English prose for the report: :mod:`qcoord.analysis.study`
gathers the :class:`Evidence` (runs and solved games), a claim *measures* it into a typed,
JSON-ready measurement with paired CIs, and *decides* a :class:`~qcoord.analysis.verdicts.Verdict`
with the rules of :mod:`qcoord.analysis.verdicts`; :mod:`qcoord.analysis.report` renders both.
Every claim can therefore be unit-tested on a synthetic :class:`~qcoord.analysis.experiment.Run`.

Adding a claim: write its measurement dataclass, ``measure`` and ``decide`` here, append a
:class:`Claim` to :data:`CLAIMS`, and give :mod:`qcoord.analysis.report` its renderer.

Kinds: ``advantage`` (a claim that entanglement helps; must come out "no significant gain" in
the controls), ``control`` (a check that must show nothing), ``certificate`` (one-shot game values),
``scope`` (where entanglement helps or not; the outcome is the reading of its key difference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..system.result import Estimate, estimate
from .arms import Arm
from .experiment import HEADLINE_BASELINE, Run
from .readings import ParetoGain, frontier_difference, pareto_readings
from .verdicts import HELD, NOT_HELD, RULES, UNDEFINED, Rules, Verdict, direction

__all__ = [
    "Claim",
    "CLAIMS",
    "Evidence",
    "BusyEvidence",
    "claim",
    "crossing",
    "ConvexGain",
    "LinearControl",
    "Convexity",
    "MiddleP",
    "Visibility",
    "Latency",
    "Certificate",
    "ScopeAsymmetric",
    "ScopeEntangledAsymmetric",
    "ScopeBusy",
    "ScopeCosts",
    "ScopeLinks",
]

#: Benchmark descriptions (the report prints them).
ALL_LOCAL = "concave envelope of every local rule (role-symmetric and role-asymmetric) and their shared-randomness mixtures"
SYM_LOCAL = "concave envelope of the role-symmetric local rules and their mixtures"


def to_jsonable(obj: Any) -> Any:
    """Measurements (dataclasses, estimates, arrays) as JSON-ready values; non-finite floats -> None."""
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return to_jsonable(obj.to_dict())
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in fields(obj) if f.repr}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


# ====================================================================== evidence
@dataclass(frozen=True, eq=False)
class BusyEvidence:
    """The busy-flag scope check's own run (utilisation ``load``, servers see their busy flag).

    ``scans``: per price ``lam``, the (class, busy) game's one-shot values priced per idle server.
    """

    run: Run
    load: float
    lam: float
    scans: tuple[dict[str, Any], ...]


@dataclass(frozen=True, eq=False)
class Evidence:
    """Everything the claims read: the main run and the solved games.

    Attributes
    ----------
    run : Run
        Every arm of the study on the scenario's inputs; baselines: the scenario's ``T``, ``t^k`` per
        power (labels in ``powers``) and the linear control ``linear``.
    solution : Solution
        The headline pair game, solved.
    solutions : mapping lam -> Solution
        The games of the entangled frontier.
    critical_visibility : float
        Of the headline entangled strategy (``nan`` without advantage).
    powers : mapping k -> baseline label
    linear : str
        Label of ``T(t) = t`` in the run.
    np_solution : Solution, optional
        The headline game under the non-preemptive discipline.
    fcfs_solution : Solution, optional
        The headline game under FCFS with per-customer waiting.
    busy : BusyEvidence, optional
    cost_estimate : dict, optional
        Convergence record of the costs estimated at load.
    links : mapping label -> arm name
        Entangled arms fed by link presets.
    skipped : mapping claim key -> reason
        Claims the study chose not to measure, and why.
    """

    run: Run
    solution: Any
    solutions: Mapping[float, Any]
    critical_visibility: float
    powers: Mapping[float, str]
    linear: str
    np_solution: Any = None
    fcfs_solution: Any = None
    busy: BusyEvidence | None = None
    cost_estimate: Mapping[str, Any] | None = None
    links: Mapping[str, str] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    """A claim: what it states, its control, how it is measured and decided."""

    key: str
    kind: str
    title: str
    control: str
    measure: Callable[[Evidence], Any]
    decide: Callable[[Any, Rules], Verdict]
    needs: str = ""
    subject: str = "entanglement"

    def applies(self, evidence: Evidence) -> str | None:
        """Why the claim cannot be measured on this evidence (``None`` when it can)."""
        if self.key in evidence.skipped:
            return evidence.skipped[self.key]
        if self.needs == "busy" and evidence.busy is None:
            return "not evaluated in this run"
        if self.needs == "np" and evidence.np_solution is None:
            return "not evaluated in this run"
        if self.needs == "links" and not evidence.links:
            return "not evaluated in this run"
        if self.needs == "estimated" and evidence.cost_estimate is None:
            return "not evaluated in this run"
        return None


def headline_arm(run: Run) -> Arm:
    """The headline entangled arm: ideal pairs, role-symmetric, the headline price."""
    return run.one(family="entangled", headline=True, role_symmetric=True)



def _readings(run: Run, target: Arm, baseline: str, mode: str = "reference") -> ParetoGain:
    """Readings of ``target`` against the benchmark ``mode``: ``"all"`` stationary local arms, ``"symmetric"``
    ones only, or the ``"reference"`` of :meth:`Run.reference` (all, or symmetric where all is ill-posed)."""
    if mode == "reference":
        bench, flagged, sym = run.reference(baseline)
    else:
        sym = mode == "symmetric"
        bench, flagged = run.benchmark(baseline, role_symmetric=True if sym else None)
    return pareto_readings(run, target, bench, baseline=baseline, description=SYM_LOCAL if sym else ALL_LOCAL,
                           excluded=flagged)


def crossing(x: Sequence[float], y: Sequence[float]) -> float | None:
    """First ``x`` where the piecewise-linear ``y`` goes from negative to non-negative (``None`` if never)."""
    xs, ys = np.asarray(x, float), np.asarray(y, float)
    for i in range(1, len(xs)):
        if np.isfinite(ys[i - 1]) and np.isfinite(ys[i]) and ys[i - 1] < 0 <= ys[i]:
            return float(xs[i - 1] + (xs[i] - xs[i - 1]) * (-ys[i - 1]) / (ys[i] - ys[i - 1]))
    return None


def _bracket(x: Sequence[float], ests: Sequence[Estimate], rules: Rules) -> tuple[float | None, float | None]:
    """Last ``x`` with a significant loss before the first with a significant gain (the crossing's bracket)."""
    dirs = [direction(e, rules) for e in ests]
    first_gain = next((i for i, d in enumerate(dirs) if d == "gain"), None)
    if first_gain is None:
        return None, None
    last_loss = max((i for i, d in enumerate(dirs[:first_gain]) if d == "loss"), default=None)
    return (None if last_loss is None else float(x[last_loss])), float(x[first_gain])


# ====================================================================== claim 1
@dataclass(frozen=True)
class ConvexGain:
    """Claim 1: the headline entangled arm against the best-local benchmark, every reading.

    ``primary`` is ``"all"`` (every stationary local rule and mixture) unless some local arm has no
    stationary throughput under this ``T`` (``t^k``: then ``"symmetric"``, and ``all_local`` lists
    the excluded arms).
    """

    baseline: str
    premise: str | None
    all_local: ParetoGain
    symmetric: ParetoGain
    primary: str

    @property
    def main(self) -> ParetoGain:
        """The reading the verdict uses."""
        return self.all_local if self.primary == "all" else self.symmetric


def premise_strictly_convex(T: Any) -> str | None:
    """Why ``T`` is not strictly convex (``None`` if it is): not convex, or linear (``T(2t) = 2T(t)``)."""
    try:
        T.check_convex()
    except ValueError as exc:
        return str(exc)
    t = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0])
    if np.allclose(T.output(2 * t), 2 * T.output(t), rtol=1e-12, atol=0.0):
        return f"T = {T} is linear, not strictly convex"
    return None


def measure_convex(ev: Evidence) -> ConvexGain:
    run = ev.run
    premise = premise_strictly_convex(run.scenario.baseline)
    ent = headline_arm(run)
    allg = _readings(run, ent, HEADLINE_BASELINE, "all")
    symg = _readings(run, ent, HEADLINE_BASELINE, "symmetric")
    return ConvexGain(str(run.scenario.baseline), premise, allg, symg, "symmetric" if allg.excluded else "all")


def decide_convex(m: ConvexGain, rules: Rules = RULES) -> Verdict:
    d = direction(m.main.throughput, rules)
    if m.premise is not None:
        return Verdict(UNDEFINED, f"the claim's premise fails ({m.premise}); measured: {d}", d)
    if d == "gain":
        return Verdict(HELD, "the paired 95% CI of the throughput gain at equal waiting lies above zero", d)
    if d == "undefined":
        return Verdict(UNDEFINED, "no replication is comparable (the entangled arm waits less than every local point)", d)
    return Verdict(NOT_HELD, f"{d}: the paired 95% CI of the throughput gain at equal waiting does not lie above zero", d)


# ====================================================================== control 2
@dataclass(frozen=True)
class LinearControl:
    """Control 2: the same comparison with ``T(t) = t`` (no gain possible by construction)."""

    gain: ParetoGain


def measure_linear(ev: Evidence) -> LinearControl:
    return LinearControl(_readings(ev.run, headline_arm(ev.run), ev.linear))


def decide_linear(m: LinearControl, rules: Rules = RULES) -> Verdict:
    d = direction(m.gain.throughput, rules)
    if d == "no significant difference":
        return Verdict(HELD, "no significant difference, as it must be for linear T", d)
    if d == "undefined":
        return Verdict(UNDEFINED, "no replication is comparable", d)
    return Verdict(NOT_HELD, f"a significant {d} where none is possible: the comparison itself is biased", d)


# ====================================================================== claim 3
@dataclass(frozen=True)
class Convexity:
    """Claim 3: relative gain over role-symmetric local strategies for ``T = t^k``, and each step in k."""

    powers: tuple[float, ...]
    gains: tuple[Estimate, ...]
    steps: tuple[Estimate, ...]
    pareto: tuple[Estimate, ...] = ()


def measure_convexity(ev: Evidence) -> Convexity:
    run = ev.run
    ent = headline_arm(run)
    ks = tuple(sorted(ev.powers))
    rs = [_readings(run, ent, ev.powers[k], "symmetric") for k in ks]
    per = [r.per_replication["throughput_at_equal_waiting"] for r in rs]
    gains = tuple(estimate(g, drop_nonfinite=True) for g in per)
    steps = tuple(estimate(b - a, drop_nonfinite=True) for a, b in zip(per, per[1:]))
    return Convexity(ks, gains, steps, tuple(r.pareto_front for r in rs))


def decide_convexity(m: Convexity, rules: Rules = RULES) -> Verdict:
    if len(m.powers) < 2:
        return Verdict(UNDEFINED, "needs at least two exponents k")
    for k, g in zip(m.powers, m.gains):
        if k > 1 and direction(g, rules) != "gain":
            return Verdict(NOT_HELD, f"at k = {k:g} the gain is not significantly positive (reading: {direction(g, rules)})",
                           direction(g, rules))
    for (k0, k1), s in zip(zip(m.powers, m.powers[1:]), m.steps):
        if direction(s, rules) != "gain":
            return Verdict(NOT_HELD, f"the step from k = {k0:g} to k = {k1:g} is not a significant increase (reading: "
                                     f"{direction(s, rules)})", direction(s, rules))
    return Verdict(HELD, "every gain for k > 1 and every step in k is significantly positive (paired 95% CIs)", "gain")


# ====================================================================== claim 4
@dataclass(frozen=True)
class MiddleP:
    """Claim 4: one point per interruption price: split probability, one-shot advantage, simulated gain."""

    lams: tuple[float, ...]
    split: tuple[Estimate, ...]
    advantage: tuple[float, ...]
    gains: tuple[Estimate, ...]

    def significant_range(self, rules: Rules = RULES) -> tuple[float, float] | None:
        """Least and largest split probability among points with a significant gain (``None``: none)."""
        ps = [p.mean for p, g in zip(self.split, self.gains) if direction(g, rules) == "gain"]
        return (min(ps), max(ps)) if ps else None


def measure_middle_p(ev: Evidence) -> MiddleP:
    run = ev.run
    arms = run.select(family="entangled", frontier=True)
    rows = []
    for a in arms:
        lam = float(a.params["lam"])
        g = _readings(run, a, HEADLINE_BASELINE).throughput
        rows.append((estimate(run.values(a, "split_prob")), lam, float(getattr(ev.solutions.get(lam), "advantage", math.nan)), g))
    rows.sort(key=lambda r: r[0].mean)
    return MiddleP(tuple(r[1] for r in rows), tuple(r[0] for r in rows), tuple(r[2] for r in rows), tuple(r[3] for r in rows))


def decide_middle_p(m: MiddleP, rules: Rules = RULES) -> Verdict:
    if len(m.lams) < 3:
        return Verdict(UNDEFINED, "needs at least three interruption prices")
    rng = m.significant_range(rules)
    if rng is None:
        return Verdict(NOT_HELD, "no split probability has a significant gain", "no significant difference")
    ends = (0, len(m.lams) - 1)
    for i in ends:
        if direction(m.gains[i], rules) == "gain" or m.advantage[i] > rules.numerical_equal:
            return Verdict(NOT_HELD, f"the advantage does not vanish at p = {m.split[i].mean:.2f}", "gain")
    if not (m.split[0].mean < 0.05 and m.split[-1].mean > 0.95):
        return Verdict(UNDEFINED, "the prices do not reach p near 0 and near 1; widen the grid of lam")
    return Verdict(HELD, f"significant gains for p in [{rng[0]:.2f}, {rng[1]:.2f}] only; none at the ends", "gain")


# ====================================================================== claim 5
@dataclass(frozen=True)
class Visibility:
    """Claim 5: the headline strategy on Werner-noisy pairs, gain at equal waiting per visibility."""

    critical: float
    visibilities: tuple[float, ...]
    gains: tuple[Estimate, ...]
    steps: tuple[Estimate, ...]
    crossing: float | None
    bracket: tuple[float | None, float | None]


def measure_visibility(ev: Evidence) -> Visibility:
    run = ev.run
    arms = sorted(run.select(family="entangled", noisy=True), key=lambda a: a.params["visibility"])
    per = [_readings(run, a, HEADLINE_BASELINE).per_replication["throughput_at_equal_waiting"] for a in arms]
    gains = tuple(estimate(p, drop_nonfinite=True) for p in per)
    steps = tuple(estimate(b - a, drop_nonfinite=True) for a, b in zip(per, per[1:]))
    vs = tuple(float(a.params["visibility"]) for a in arms)
    return Visibility(float(ev.critical_visibility), vs, gains, steps,
                      crossing(vs, [g.mean for g in gains]), _bracket(vs, gains, RULES))


def decide_visibility(m: Visibility, rules: Rules = RULES) -> Verdict:
    if not m.visibilities:
        return Verdict(UNDEFINED, "no visibility was simulated")
    if not math.isfinite(m.critical):
        return Verdict(UNDEFINED, "the game has no entangled advantage, so no critical visibility v* exists")
    top = direction(m.gains[-1], rules)
    if top != "gain":
        return Verdict(NOT_HELD, f"at the highest visibility the gain is not significant ({top})", top)
    below = [v for v, g in zip(m.visibilities, m.gains) if v < m.critical and direction(g, rules) == "gain"]
    if below:
        return Verdict(NOT_HELD, f"a significant gain below v* at v = {below[0]:g}", "gain")
    drops = [v for v, s in zip(m.visibilities[1:], m.steps) if direction(s, rules) == "loss"]
    if drops:
        return Verdict(NOT_HELD, f"the gain decreases significantly with visibility at v = {drops[0]:g}", "loss")
    return Verdict(HELD, "significant gain at full visibility, none below v*, never significantly decreasing in v", "gain")


# ====================================================================== claim 6
@dataclass(frozen=True)
class Latency:
    """Claim 6: two frontiers against each communicating policy, per message latency D.

    ``entangled_minus[protocol][i]``: relative throughput of the entangled frontier (concave envelope
    of the entangled arms of every lam, nothing else) at the communicating arm's mean waiting, minus
    the communicating arm's; ``local_minus`` the same for the best-local benchmark;
    ``entangled_minus_local``: their paired difference (what entanglement adds over local rules
    there). Positive = the communication-free side wins.
    """

    latencies: tuple[float, ...]
    entangled_minus: dict[str, tuple[Estimate, ...]]
    local_minus: dict[str, tuple[Estimate, ...]]
    entangled_minus_local: dict[str, tuple[Estimate, ...]]
    crossover_entangled: dict[str, float | None]
    crossover_local: dict[str, float | None]
    bracket_entangled: dict[str, tuple[float | None, float | None]]
    bracket_local: dict[str, tuple[float | None, float | None]]


PROTOCOLS = {"naive": "naive communicate", "hold": "hold-for-message"}


def measure_latency(ev: Evidence) -> Latency:
    run = ev.run
    ent = run.select(family="entangled", frontier=True)
    bench, _, _ = run.reference(HEADLINE_BASELINE)
    We, Te = run.points(ent, "mean_waiting"), run.points(ent, "throughput")
    Wl, Tl = run.points(bench, "mean_waiting"), run.points(bench, "throughput")
    em: dict[str, tuple[Estimate, ...]] = {}
    lm: dict[str, tuple[Estimate, ...]] = {}
    el: dict[str, tuple[Estimate, ...]] = {}
    Ds: tuple[float, ...] = ()
    for proto in PROTOCOLS:
        arms = sorted(run.select(family="communicating", protocol=proto, sweep=True), key=lambda a: a.params["latency"])
        Ds = tuple(float(a.params["latency"]) for a in arms)
        a_, b_, c_ = [], [], []
        for a in arms:
            da, db = frontier_difference(We, Te, Wl, Tl, run.values(a, "mean_waiting"), run.values(a, "throughput"))
            a_.append(estimate(da, drop_nonfinite=True))
            b_.append(estimate(db, drop_nonfinite=True))
            c_.append(estimate(da - db, drop_nonfinite=True))
        em[proto], lm[proto], el[proto] = tuple(a_), tuple(b_), tuple(c_)
    return Latency(
        Ds, em, lm, el,
        {p: crossing(Ds, [e.mean for e in em[p]]) for p in PROTOCOLS},
        {p: crossing(Ds, [e.mean for e in lm[p]]) for p in PROTOCOLS},
        {p: _bracket(Ds, em[p], RULES) for p in PROTOCOLS},
        {p: _bracket(Ds, lm[p], RULES) for p in PROTOCOLS},
    )


def decide_latency(m: Latency, rules: Rules = RULES) -> Verdict:
    if len(m.latencies) < 2:
        return Verdict(UNDEFINED, "needs at least two message latencies")
    for proto, label in PROTOCOLS.items():
        first = direction(m.entangled_minus[proto][0], rules)
        if first != "loss":
            return Verdict(NOT_HELD, f"{label} does not win significantly at the smallest D = {m.latencies[0]:g} ({first})", first)
        both = [D for D, e, x in zip(m.latencies, m.entangled_minus[proto], m.entangled_minus_local[proto])
                if direction(e, rules) == "gain" and direction(x, rules) == "gain"]
        if not both:
            return Verdict(
                NOT_HELD,
                f"at no D does the entangled frontier beat {label} significantly while also beating the best local "
                "frontier there: whatever beats communication is not entanglement",
                "no significant difference",
            )
    return Verdict(HELD, "for both protocols: communication wins at the smallest D; beyond a crossover the entangled "
                         "frontier wins, significantly, where the local frontier alone does less", "gain")


# ====================================================================== claim 7
@dataclass(frozen=True)
class Certificate:
    """Claim 7: one-shot values of the headline game under the non-preemptive discipline."""

    classical: float
    quantum: float
    npa: float
    nonsignaling: float
    npa_level: Any
    discipline: str = "np"

    @property
    def gap(self) -> float:
        """Largest distance of the quantum, NPA and no-signalling values from the classical one."""
        return max(abs(self.quantum - self.classical), abs(self.npa - self.classical), abs(self.nonsignaling - self.classical))


def _certificate(s: Any, discipline: str) -> Certificate:
    return Certificate(float(s.classical_value), float(s.quantum_value), float(s.npa_value), float(s.nonsignaling_value),
                       getattr(getattr(s, "npa", None), "level", 2), discipline)


def measure_np(ev: Evidence) -> tuple[Certificate, ...]:
    out = [_certificate(ev.np_solution, "np")]
    if ev.fcfs_solution is not None:
        out.append(_certificate(ev.fcfs_solution, "fcfs"))
    return tuple(out)


def decide_np(m: Certificate | Sequence[Certificate], rules: Rules = RULES) -> Verdict:
    certs = (m,) if isinstance(m, Certificate) else tuple(m)
    for c in certs:
        if not all(math.isfinite(v) for v in (c.classical, c.quantum, c.npa, c.nonsignaling)):
            return Verdict(UNDEFINED, f"some one-shot value of the {c.discipline} game was not computed")
        if c.gap > rules.numerical_equal:
            return Verdict(NOT_HELD, f"the {c.discipline} game's values differ by {c.gap:.1e}", "gain")
    names = " and ".join(c.discipline for c in certs)
    return Verdict(HELD, f"{names}: classical = entangled = NPA = no-signalling within {rules.numerical_equal:g}: no strategy "
                         "without communication can do better, a certified zero", "no significant difference")


# ====================================================================== scope items
@dataclass(frozen=True)
class ScopeAsymmetric:
    """Entangled (role-symmetric) vs every local rule with a stationary throughput, for ``T = t^k``."""

    powers: tuple[float, ...]
    gains: tuple[ParetoGain, ...]


def measure_asymmetric(ev: Evidence) -> ScopeAsymmetric:
    ks = tuple(k for k in sorted(ev.powers) if k > 1)
    return ScopeAsymmetric(ks, tuple(_readings(ev.run, headline_arm(ev.run), ev.powers[k], "all") for k in ks))


def _combine(dirs: Sequence[str]) -> str:
    if any(d == "loss" for d in dirs):
        return "loss"
    if dirs and all(d == "gain" for d in dirs):
        return "gain"
    if dirs and all(d == "undefined" for d in dirs):
        return "undefined"
    return "no significant difference"


def _scope(outcome: str, reason: str) -> Verdict:
    status = UNDEFINED if outcome == "undefined" else HELD if outcome == "gain" else NOT_HELD
    return Verdict(status, reason, outcome)


def decide_asymmetric(m: ScopeAsymmetric, rules: Rules = RULES) -> Verdict:
    if not m.powers:
        return Verdict(UNDEFINED, "no exponent k > 1 was evaluated")
    dirs = [direction(g.throughput, rules) for g in m.gains]
    excluded = sorted({n for g in m.gains for n in g.excluded})
    why = (f" {len(excluded)} local arm(s) never interrupt one server and have no stationary t^k throughput; they are "
           "excluded, so t^k against all classical strategies is ill-posed and only role-symmetric comparisons (claim 3) are "
           "meaningful") if excluded else ""
    return _scope(_combine(dirs), "reading of the throughput gain at equal waiting per k: " + ", ".join(
        f"k = {k:g}: {d}" for k, d in zip(m.powers, dirs)) + "." + why)


@dataclass(frozen=True)
class ScopeEntangledAsymmetric:
    """The headline entangled strategy played role-asymmetrically minus played role-symmetrically.

    Per ``T`` (the headline and each ``t^k``): the paired difference of their relative throughput
    gains at equal waiting over the same benchmark (:meth:`Run.reference`).
    """

    baselines: tuple[str, ...]
    differences: tuple[Estimate, ...]


def measure_entangled_asymmetric(ev: Evidence) -> ScopeEntangledAsymmetric:
    run = ev.run
    sym, asym = headline_arm(run), run.one(family="entangled", asymmetric=True)
    labels = (HEADLINE_BASELINE, *(ev.powers[k] for k in sorted(ev.powers) if k > 1))
    key = "throughput_at_equal_waiting"
    diffs = tuple(estimate(_readings(run, asym, lb).per_replication[key] - _readings(run, sym, lb).per_replication[key],
                           drop_nonfinite=True) for lb in labels)
    return ScopeEntangledAsymmetric(tuple(str(run.baselines[lb]) for lb in labels), diffs)


def decide_entangled_asymmetric(m: ScopeEntangledAsymmetric, rules: Rules = RULES) -> Verdict:
    dirs = [direction(d, rules) for d in m.differences]
    return _scope(_combine(dirs), "role-asymmetric minus role-symmetric entangled strategy, per T: "
                  + ", ".join(f"{b}: {d}" for b, d in zip(m.baselines, dirs)))


@dataclass(frozen=True)
class ScopeBusy:
    """Utilisation ``load``, servers see their busy flag; game priced per idle server."""

    load: float
    lam: float
    scans: tuple[dict[str, Any], ...]
    busy_aware: ParetoGain
    class_only: ParetoGain
    busy_aware_symmetric: ParetoGain | None = None


def measure_busy(ev: Evidence) -> ScopeBusy:
    b = ev.busy
    assert b is not None
    run = b.run
    busy_arm = run.one(family="entangled", observation="class+busy")
    class_arm = run.one(family="entangled", observation="class")
    return ScopeBusy(b.load, b.lam, b.scans, _readings(run, busy_arm, HEADLINE_BASELINE), _readings(run, class_arm, HEADLINE_BASELINE),
                     _readings(run, busy_arm, HEADLINE_BASELINE, "symmetric"))


def decide_busy(m: ScopeBusy, rules: Rules = RULES) -> Verdict:
    d = direction(m.busy_aware.throughput, rules)
    return _scope(d, f"busy-aware entangled strategy against every local rule, busy-aware ones included: {d} "
                     f"(class-only entangled: {direction(m.class_only.throughput, rules)})")


@dataclass(frozen=True)
class ScopeCosts:
    """Entangled strategy of the game with costs estimated at load vs that of the closed-form game."""

    closed_form: ParetoGain
    estimated: ParetoGain
    difference: Estimate
    estimate_record: Mapping[str, Any]


def measure_costs(ev: Evidence) -> ScopeCosts:
    run = ev.run
    a0 = headline_arm(run)
    a1 = run.one(family="entangled", costs="estimated")
    g0 = _readings(run, a0, HEADLINE_BASELINE)
    g1 = _readings(run, a1, HEADLINE_BASELINE)
    key = "throughput_at_equal_waiting"
    diff = estimate(g1.per_replication[key] - g0.per_replication[key], drop_nonfinite=True)
    return ScopeCosts(g0, g1, diff, dict(ev.cost_estimate or {}))


def decide_costs(m: ScopeCosts, rules: Rules = RULES) -> Verdict:
    d = direction(m.difference, rules)
    return _scope(d, f"estimated costs minus closed-form costs, paired: {d}")


@dataclass(frozen=True)
class ScopeLinks:
    """The headline strategy fed by link presets: gain, fallbacks, visibility and latency per link."""

    links: dict[str, ParetoGain]
    fallback_rate: dict[str, float]
    mean_visibility: dict[str, float]
    mean_latency: dict[str, float]


def measure_links(ev: Evidence) -> ScopeLinks:
    run = ev.run
    gains, fb, vis, lat = {}, {}, {}, {}
    n = int(run.scenario.n_pairs)
    for label, name in ev.links.items():
        gains[label] = _readings(run, run.arm(name), HEADLINE_BASELINE)
        recs = run.info.get(name, ())

        def mean(key: str) -> float:
            xs = [float(r[key]) for r in recs if key in r]
            return float(np.mean(xs)) if xs else float("nan")

        fb[label] = mean("fallbacks") / n
        vis[label] = mean("mean_visibility")
        lat[label] = mean("mean_latency")
    return ScopeLinks(gains, fb, vis, lat)


def decide_links(m: ScopeLinks, rules: Rules = RULES) -> Verdict:
    dirs = {k: direction(g.throughput, rules) for k, g in m.links.items()}
    best = "gain" if any(d == "gain" for d in dirs.values()) else _combine(list(dirs.values()))
    return _scope(best, "; ".join(f"{k}: {d}" for k, d in dirs.items()))


# ====================================================================== the registry
CLAIMS: tuple[Claim, ...] = (
    Claim("claim1_convex", "advantage", "Claim 1: with a strictly convex T, entangled routing reaches more throughput than the best local strategy at equal mean waiting",
          "linear T (control 2), np discipline, low visibility", measure_convex, decide_convex),
    Claim("control2_linear", "control", "Control 2: with linear T(t) = t no strategy can gain",
          "this is the control of claim 1", measure_linear, decide_linear),
    Claim("claim3_convexity", "advantage", "Claim 3: the gain grows with convexity, T = t^k (role-symmetric strategies)",
          "k = 1 (linear)", measure_convexity, decide_convexity),
    Claim("claim4_middle_p", "advantage", "Claim 4: the advantage lives on a middle range of split probability p and vanishes at p = 0 and p = 1",
          "the ends p = 0 and p = 1", measure_middle_p, decide_middle_p),
    Claim("claim5_visibility", "advantage", "Claim 5: with noisy pairs the gain falls with visibility and is gone below the critical visibility v*",
          "visibilities below v*", measure_visibility, decide_visibility),
    Claim("claim6_latency", "advantage", "Claim 6: communication wins at small message latency D, entanglement beyond a crossover",
          "the best local frontier against the same communicating policies", measure_latency, decide_latency),
    Claim("claim7_np", "certificate", "Claim 7 (control): with non-preemptive service (np), or FCFS with per-customer waiting, entanglement cannot help, certified",
          "this is a control", measure_np, decide_np, needs="np"),
    Claim("scope_asymmetric", "scope", "Scope: entangled (role-symmetric) vs role-asymmetric local strategies for T = t^k",
          "claim 3 (role-symmetric comparison)", measure_asymmetric, decide_asymmetric),
    Claim("scope_entangled_asymmetric", "scope", "Scope: the entangled strategy played role-asymmetrically (server 0 always measures as A)",
          "the same strategy, role-symmetric", measure_entangled_asymmetric, decide_entangled_asymmetric,
          subject="the role-asymmetric entangled strategy"),
    Claim("scope_backlog", "scope", "Scope: utilisation 0.3, servers that see their own busy flag (game priced per idle server)",
          "busy-aware local rules", measure_busy, decide_busy, needs="busy"),
    Claim("scope_estimated_costs", "scope", "Scope: compiling the game with costs estimated by simulation at the actual load",
          "the closed-form (low-load) game", measure_costs, decide_costs, needs="estimated"),
    Claim("scope_links", "scope", "Scope: entanglement from the link presets (finite pair rate, memory decoherence)",
          "ideal pairs (claim 1)", measure_links, decide_links, needs="links"),
)


def claim(key: str) -> Claim:
    """The registered claim ``key``."""
    for c in CLAIMS:
        if c.key == key:
            return c
    raise KeyError(f"claim: no claim {key!r}; known: {[c.key for c in CLAIMS]}")
