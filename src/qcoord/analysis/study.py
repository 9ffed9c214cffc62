"""A whole study of one scenario: solve the games, simulate every arm, measure and decide every claim.

:func:`run_study` is what ``qcoord demo`` and ``qcoord run`` execute:

1. solve the headline pair game (certified classical optimum, see-saw, NPA, no-signalling) and the
   games of the entangled frontier (one per interruption price); when the servers observe a busy flag
   the costs are estimated by simulation at the load and interruptions are priced per idle server;
2. build the arms (:mod:`qcoord.analysis.arms`) and simulate them all on common random numbers, the
   headline ``T`` and every ``t^k`` evaluated on the same idle runs (:func:`run_arms`);
3. solve the ``np`` certificate and, in a full run, the busy-flag scope check's own game and run;
4. measure and decide every claim of :data:`qcoord.analysis.claims.CLAIMS` on that evidence.

The returned :class:`Study` keeps the runs themselves; only :mod:`qcoord.analysis.report`
turns it into words and files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..system.result import estimate
from .arms import (
    Arm,
    class_arms,
    communicating_arms,
    entangled_arms,
    local_rule_arms,
    mixture_arms,
    noisy_arms,
)
from .claims import CLAIMS, BusyEvidence, Claim, Evidence, to_jsonable
from .experiment import HEADLINE_BASELINE, Run, run_arms
from .readings import pareto_readings
from .stats import AnalysisError
from .verdicts import RULES, UNDEFINED, Rules, Verdict, direction

__all__ = ["StudyConfig", "QUICK", "FULL", "Study", "Outcome", "run_study", "power_label", "strategy_rows",
           "critical_visibility"]

Progress = Callable[[str, int, int], None]

#: Seconds per time unit (mean customer demand) when the link presets are used.
LINK_TIME_UNIT = 1.0


@dataclass(frozen=True)
class StudyConfig:
    """Sizes and grids of a study.

    Attributes
    ----------
    n_pairs, warmup, replications : int
        Simulation length per replication, warm-up pairs, replications.
    lam : float
        Headline interruption price (reference R1: 0.5).
    lams : tuple of float
        Interruption prices of the entangled frontier (claim 4, claim 6, the frontier figure).
    visibilities : tuple of float
        Werner visibilities (claim 5).
    latencies : tuple of float
        Message latencies D (claim 6).
    powers : tuple of float
        Exponents k of T = t^k (claim 3; must include 1, the linear control).
    mixture_weights : tuple of float
        Weights of the per-pair mixtures between every two local rules (the secondary benchmark).
    restarts : int
        See-saw restarts per game.
    backlog : bool
        Run the busy-flag scope check (utilisation ``backlog_load``, its own game and run).
    """

    n_pairs: int = 100_000
    warmup: int = 5_000
    replications: int = 10
    lam: float = 0.5
    lams: tuple[float, ...] = (0.0, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 1.0)
    visibilities: tuple[float, ...] = (0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
    latencies: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 1.0)
    powers: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0)
    mixture_weights: tuple[float, ...] = (0.25, 0.5, 0.75)
    restarts: int = 8
    backlog: bool = True
    backlog_load: float = 0.3
    backlog_pairs: int = 60_000
    backlog_lams: tuple[float, ...] = (0.3, 0.5, 0.7, 1.0)

    def __post_init__(self) -> None:
        if 1.0 not in self.powers:
            raise ValueError("powers: must include 1 (the linear control)")
        if self.replications < 2:
            raise ValueError(f"replications: must be >= 2 for a confidence interval, got {self.replications}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return dict(self.__dict__)


FULL = StudyConfig()
QUICK = StudyConfig(
    n_pairs=12_000,
    warmup=1_000,
    replications=5,
    lams=(0.0, 0.4, 0.5, 0.6, 1.0),
    visibilities=(0.7, 0.8, 0.9, 1.0),
    latencies=(0.0, 0.1, 0.3, 0.6),
    restarts=4,
    backlog=False,
    backlog_pairs=10_000,
    backlog_lams=(0.5,),
)


def power_label(k: float) -> str:
    """Label of the baseline T = t^k in a run (``"t^2"``)."""
    return f"t^{k:g}"


def critical_visibility(solution: Any) -> float:
    r"""Critical visibility :math:`v^*` of a solved game's entangled strategy (``nan`` without advantage).

    The value is linear in the Werner visibility, :math:`\omega(v) = v\,\omega_1 + (1 - v)\,\omega_0`, so
    :math:`v^* = (\omega_c - \omega_0)/(\omega_1 - \omega_0)` (:func:`qcoord.games.critical_visibility`).
    """
    from qcoord.games import NoAdvantageError
    from qcoord.games import critical_visibility as _cv

    try:
        return float(_cv(solution.compiled.game, solution.quantum.strategy, classical=solution.classical_value))
    except NoAdvantageError:
        return float("nan")


@dataclass(frozen=True)
class Outcome:
    """One claim on one study: its measurement, verdict and the time the measurement took."""

    claim: Claim
    measurement: Any
    verdict: Verdict
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """The claim's record in ``summary.json``."""
        return {
            "key": self.claim.key,
            "kind": self.claim.kind,
            "title": self.claim.title,
            "control": self.claim.control,
            "verdict": self.verdict.to_dict(),
            "measurement": to_jsonable(self.measurement),
            "seconds": self.seconds,
        }


@dataclass(frozen=True, eq=False)
class Study:
    """Everything one study measured: evidence (runs, games), outcomes of every claim, timings."""

    scenario: Any
    config: StudyConfig
    evidence: Evidence
    outcomes: tuple[Outcome, ...]
    seed: int
    quick: bool
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    rules: Rules = RULES

    def outcome(self, key: str) -> Outcome:
        """The outcome of claim ``key``."""
        for o in self.outcomes:
            if o.claim.key == key:
                return o
        raise KeyError(f"claim: no outcome {key!r}")


def _solve(sc: Any, lam: float, cfg: StudyConfig, seed: int, *, full: bool) -> Any:
    from qcoord.compile import compile_game, estimate_costs, solve

    costs: Any = "closed_form"
    if tuple(sc.backlog_levels or ()):
        costs = estimate_costs(sc, lam, seed=seed + 1, restarts=cfg.restarts)
    return solve(compile_game(sc, lam, costs=costs), npa_level=2 if full else None, nonsignaling=full,
                 restarts=cfg.restarts, seed=seed)


def _busy_evidence(sc: Any, cfg: StudyConfig, root: int, progress: Progress | None) -> BusyEvidence:
    """The busy-flag scope check: (class, busy) game priced per idle server, solved and simulated."""
    from qcoord.compile import compile_game, estimate_costs, solve, to_policy

    busy = sc.replace(arrival_rate=cfg.backlog_load, backlog_levels=(0.0,), n_pairs=cfg.backlog_pairs,
                      warmup=min(cfg.warmup, cfg.backlog_pairs // 10))
    scans, best = [], None
    for i, lam in enumerate(cfg.backlog_lams):
        est = estimate_costs(busy, lam, seed=root + 1, restarts=cfg.restarts)
        big = solve(compile_game(busy, lam, costs=est), restarts=cfg.restarts, seed=root, npa_level=2, nonsignaling=True)
        scans.append({"lam": float(lam), "pricing": big.compiled.pricing, "classical": big.classical_value,
                      "quantum": big.quantum_value, "npa2": big.npa_value, "nonsignaling": big.nonsignaling_value,
                      "advantage": big.advantage, "cost_estimate_converged": bool(est.converged)})
        if best is None or big.advantage > best.advantage + 1e-12:
            best = big
        if progress is not None:
            progress("busy-flag game", i + 1, len(cfg.backlog_lams))
    assert best is not None
    small = solve(compile_game(busy.replace(backlog_levels=()), best.compiled.lam), npa_level=None, nonsignaling=False,
                  restarts=cfg.restarts, seed=root)
    rules = local_rule_arms(best, prefix="busy-rule", observation="class+busy") + local_rule_arms(small, observation="class")
    arms: list[Arm] = list(rules)
    for obs in ("class+busy", "class"):
        arms += mixture_arms([a for a in rules if a.params["observation"] == obs], cfg.mixture_weights)
    lam_b = float(best.compiled.lam)
    arms.append(Arm("entangled[class+busy]", to_policy(best, "entangled", name="entangled[class+busy]"), "entangled", True,
                    {"lam": lam_b, "observation": "class+busy", "costs": "estimated"}, "entangled, sees class and busy flag"))
    arms.append(Arm("entangled[class]", to_policy(small, "entangled", name="entangled[class]"), "entangled", True,
                    {"lam": lam_b, "observation": "class", "costs": "closed_form"}, "entangled, sees class only"))
    hook = None if progress is None else (lambda st, d, t: progress("simulate busy-flag check", d, t))
    return BusyEvidence(run_arms(busy, arms, progress=hook), float(cfg.backlog_load), lam_b, tuple(scans))


def run_study(
    scenario: Any,
    config: StudyConfig | None = None,
    *,
    quick: bool = False,
    seed: int | None = None,
    progress: Progress | None = None,
    rules: Rules = RULES,
) -> Study:
    """Run every strategy class and every claim on one scenario (module notes).

    Parameters
    ----------
    scenario : qcoord.system.Scenario
        The headline scenario (its baseline T is the headline; t^k are evaluated beside it).
    config : StudyConfig, optional
        Sizes and grids (default :data:`QUICK` when ``quick`` else :data:`FULL`).
    quick : bool
        Reduced run (CI).
    seed : int, optional
        Root seed (default: the scenario's); the ``SeedSequence`` entropy of every input and solver.
    progress : callable(stage, done, total), optional
    rules : Rules
        Verdict thresholds.

    Returns
    -------
    Study
    """
    from qcoord.compile import compile_game, estimate_costs, solve, to_policy
    from qcoord.entanglement import presets
    from qcoord.system import power

    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    cfg = config or (QUICK if quick else FULL)
    root = int(scenario.seed if seed is None else seed)
    sc = scenario.replace(n_pairs=cfg.n_pairs, warmup=min(cfg.warmup, cfg.n_pairs // 5), replications=cfg.replications,
                          seed=root)
    sc.check_stationary()
    busy_observed = bool(tuple(sc.backlog_levels or ()))
    observation = "class+busy" if busy_observed else "class"

    def tick(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    # ------------------------------------------------------------ games
    t0 = time.perf_counter()
    lams = tuple(dict.fromkeys([*cfg.lams, cfg.lam]))
    tick("solve games", 0, len(lams))
    head = _solve(sc, cfg.lam, cfg, root, full=True)
    sols = {cfg.lam: head}
    for i, lam in enumerate(lams):
        if lam != cfg.lam:
            sols[lam] = _solve(sc, lam, cfg, root, full=False)
        tick("solve games", i + 1, len(lams))
    v_crit = critical_visibility(head)
    np_sol = solve(compile_game(sc.replace(discipline="np", backlog_levels=()), cfg.lam), restarts=cfg.restarts, seed=root)
    fcfs_sol = solve(compile_game(sc.replace(discipline="fcfs", backlog_levels=()), cfg.lam), restarts=cfg.restarts, seed=root)
    timings["solve games"] = time.perf_counter() - t0

    # ------------------------------------------------------------ arms
    rules_arms = local_rule_arms(head, observation=observation)
    if busy_observed:  # class-only rules are local strategies too
        small = solve(compile_game(sc.replace(backlog_levels=()), cfg.lam), npa_level=None, nonsignaling=False,
                      restarts=cfg.restarts, seed=root)
        rules_arms += local_rule_arms(small, prefix="class-rule", observation="class")
    arms: list[Arm] = class_arms(head, observation=observation)
    arms += rules_arms
    for obs in dict.fromkeys(a.params["observation"] for a in rules_arms):
        arms += mixture_arms([a for a in rules_arms if a.params["observation"] == obs], cfg.mixture_weights)
    arms += entangled_arms({lam: s for lam, s in sols.items() if lam != cfg.lam}, observation=observation)
    arms += noisy_arms(head, cfg.visibilities)
    arms += communicating_arms(head, cfg.latencies)
    cost_record = None
    if not busy_observed:
        tick("estimate costs at load", 0, 1)
        est = estimate_costs(sc, cfg.lam, seed=root + 1, restarts=cfg.restarts)
        est_sol = solve(compile_game(sc, cfg.lam, costs=est), npa_level=None, nonsignaling=False, restarts=cfg.restarts, seed=root)
        arms.append(Arm("entangled[estimated costs]", to_policy(est_sol, "entangled", name="entangled[estimated costs]"),
                        "entangled", True, {"lam": cfg.lam, "observation": "class", "costs": "estimated"},
                        "entangled, game with costs estimated at load"))
        cost_record = {"converged": bool(est.converged), "iterations": int(est.iterations),
                       "one_shot_advantage": float(est_sol.advantage)}
        tick("estimate costs at load", 1, 1)
    links = {"memory link (Knaut 2024 preset)": "entangled[memory link]", "streaming link preset": "entangled[streaming link]"}
    for label, name, src in (
        ("memory link (Knaut 2024 preset)", links["memory link (Knaut 2024 preset)"], presets.memory_preset(time_unit=LINK_TIME_UNIT)),
        ("streaming link preset", links["streaming link preset"], presets.streaming_preset(time_unit=LINK_TIME_UNIT)),
    ):
        arms.append(Arm(name, to_policy(head, "entangled", source=src, name=name), "entangled", True,
                        {"lam": cfg.lam, "observation": observation, "source": label}, f"entangled, {label}"))

    # ------------------------------------------------------------ one simulation on common random numbers
    t0 = time.perf_counter()
    powers = {float(k): power_label(k) for k in cfg.powers}
    run = run_arms(sc, arms, baselines={lb: power(k) for k, lb in powers.items()}, progress=progress)
    timings["simulate"] = time.perf_counter() - t0
    busy = None
    skipped: dict[str, str] = {}
    if busy_observed:
        skipped["scope_backlog"] = ("not evaluated separately: this scenario's servers already observe their busy flag, so "
                                    "claim 1 is the busy-flag comparison (game priced per idle server)")
        skipped["scope_estimated_costs"] = "not evaluated separately: this scenario's game is compiled with costs estimated at load"
    elif not cfg.backlog:
        skipped["scope_backlog"] = "not evaluated in the reduced run (the full run measures it)"
    if cfg.backlog and not busy_observed:
        t0 = time.perf_counter()
        busy = _busy_evidence(sc, cfg, root, progress)
        timings["busy-flag check"] = time.perf_counter() - t0

    ev = Evidence(run=run, solution=head, solutions=sols, critical_visibility=v_crit, powers=powers,
                  linear=powers[1.0], np_solution=np_sol, fcfs_solution=fcfs_sol, busy=busy, cost_estimate=cost_record, links=links, skipped=skipped)
    outcomes = tuple(evaluate_claims(ev, rules))
    return Study(scenario=sc, config=cfg, evidence=ev, outcomes=outcomes, seed=root, quick=bool(quick),
                 seconds=time.perf_counter() - t_start, timings=timings, rules=rules)


def evaluate_claims(ev: Evidence, rules: Rules = RULES, claims: tuple[Claim, ...] = CLAIMS) -> list[Outcome]:
    """Measure and decide every claim on ``ev``.

    A claim that does not apply, or whose arms the run does not hold, is ``undefined`` with the reason.
    """
    out = []
    for c in claims:
        t0 = time.perf_counter()
        why = c.applies(ev)
        if why is not None:
            out.append(Outcome(c, None, Verdict(UNDEFINED, why, "undefined"), 0.0))
            continue
        try:
            m = c.measure(ev)
        except AnalysisError as exc:
            out.append(Outcome(c, None, Verdict(UNDEFINED, f"not evaluated: {exc}", "undefined"), time.perf_counter() - t0))
            continue
        v = c.decide(m, rules)
        out.append(Outcome(c, m, v, time.perf_counter() - t0))
    return out


# ====================================================================== the strategy-class table
def strategy_rows(run: Run, baseline: str = HEADLINE_BASELINE, rules: Rules = RULES) -> list[dict[str, Any]]:
    """One row per headline arm (strategy class): metrics with 95% CIs and the Pareto readings.

    Keys: ``class``, ``family``, ``label``, ``role_symmetric``, ``baseline``; for each of
    ``split_prob``, ``mean_waiting``, ``waiting_p50``, ``waiting_p95``, ``waiting_p99``, ``throughput``,
    ``interruption_rate``, ``utilisation``: an :class:`Estimate` dict; ``ill_defined`` (reason or
    ``None``); ``gain`` (the readings against the best-local benchmark, relative, or ``None`` when the
    arm's throughput is ill-defined) with ``gain_direction`` (:func:`direction` of the throughput
    reading); ``benchmark_excluded`` (local arms excluded from the benchmark and why);
    ``benchmark_role_symmetric_only`` (the benchmark is the role-symmetric local arms, see
    :meth:`Run.reference`); ``benchmark_member`` (the arm is itself part of the benchmark).
    """
    bench, flagged, sym_only = run.reference(baseline, rules)
    rows = []
    for a in run.select(headline=True):
        row: dict[str, Any] = {"class": a.name, "family": a.family, "label": a.label, "role_symmetric": a.role_symmetric,
                               "baseline": str(run.baselines[baseline]), "params": dict(a.params)}
        for m in ("split_prob", "mean_waiting", "waiting_p50", "waiting_p95", "waiting_p99", "interruption_rate", "utilisation"):
            row[m] = estimate(run.values(a, m)).to_dict()
        row["throughput"] = estimate(run.values(a, "throughput", baseline)).to_dict()
        why = run.ill_defined(a, baseline, rules)
        row["ill_defined"] = why
        if why is None and bench:
            g = pareto_readings(run, a, bench, baseline=baseline)
            row["gain"] = {k: e.to_dict() for k, e in g.readings.items()}
            row["gain_abs"] = g.throughput_abs.to_dict()
            row["gain_direction"] = direction(g.throughput, rules)
        else:
            row["gain"] = None
            row["gain_abs"] = None
            row["gain_direction"] = "undefined"
        row["benchmark_excluded"] = dict(flagged)
        row["benchmark_role_symmetric_only"] = sym_only
        row["benchmark_member"] = any(a is b for b in bench)
        rows.append(row)
    return rows

