r"""The N-server study: does a ``k``-party entangled strategy beat every communication-free one?

Built on the study layer (:class:`~qcoord.analysis.arms.Arm`, :func:`~qcoord.analysis.experiment.run_arms`,
:func:`~qcoord.analysis.readings.pareto_readings`, :func:`~qcoord.analysis.verdicts.direction`), for a
:class:`~qcoord.system.fanout.FanoutScenario`. Two readings of "waiting" are studied, each with the
game compiled for it (:func:`qcoord.compile.fanout.compile_group_game`):

``response``
    the group's fork-join excess response (``mean_response_excess``): a scatter-gather query waits for
    its last part;
``waiting``
    the mean waiting per customer (``mean_waiting``), as in the two-server study.

Steps
-----
1. For each objective and each price :math:`\lambda` of the grid, the group game is solved
   (:func:`~qcoord.compile.fanout.solve_group`): certified classical value, see-saw lower bound with
   its state and measurements, NPA upper bound, no-signalling value, critical visibility :math:`v^*`.
   A game whose NPA bound equals its classical value is a *proof* that no quantum strategy helps in it.
2. Arms (all on common random numbers): every deterministic rule when there are at most
   :data:`ALL_RULES_LIMIT` (``k = 2`` with two classes: all 16), else every role-symmetric rule (one map
   class -> decision for all members) and the classical optimum at every scanned price (the one-shot
   classical frontier, up to :data:`SCAN_EXTRA`); each with the parties rotated by the shared coin
   (role-symmetric) and with fixed parties (role-asymmetric: the lowest-index member is always party 0);
   shared randomness (even coins between consecutive optima); the entangled strategy of every price with a one-shot advantage; controls: the
   headline entangled strategy at a visibility below :math:`v^*`, the same on a pool of noisy states
   per member set with classical fallback, hold-for-message at ``D`` and at ``D / 10`` (fast
   messaging), and the zero-latency oracle.
3. The benchmark is the concave envelope of every stationary local arm (symmetric and asymmetric;
   :meth:`Run.reference`). The headline entangled arm of each objective is fixed *before* simulating:
   the price with the largest one-shot advantage. Its readings against the benchmark are paired over
   replications; :func:`direction` decides every word.
4. Controls measured the same way: linear ``T`` (same idle runs), the low-visibility arm, fast
   messaging, and the game certificate under every discipline (``srpt``, ``np``, ``fcfs``).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .arms import Arm
from .experiment import Run, run_arms
from .readings import ParetoGain, pareto_readings
from .stats import AnalysisError
from .verdicts import HELD, NOT_HELD, RULES, UNDEFINED, Rules, Verdict, direction

__all__ = [
    "FanoutConfig",
    "FANOUT_QUICK",
    "FANOUT_FULL",
    "FanoutStudy",
    "run_fanout_study",
    "write_fanout_report",
    "fanout_rows",
    "OBJECTIVE_METRIC",
]

#: The metric read as "waiting" for each objective.
OBJECTIVE_METRIC = {"response": "mean_response_excess", "waiting": "mean_waiting"}
#: Prices added to the scan beyond [0.02, 2]: the high-throughput end of the classical frontier
#: (consolidating rules become optimal only at large prices).
SCAN_EXTRA = (3.0, 5.0, 10.0)
#: Every deterministic rule is simulated when there are at most this many (2^(k * classes)); else the
#: symmetric rules and the classical optimum at every scanned price.
ALL_RULES_LIMIT = 16
_OBJECTIVE_WORDS = {"response": "excess group response", "waiting": "mean waiting"}

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FanoutConfig:
    """Sizes and grids of an N-server study.

    Attributes
    ----------
    lams : tuple of float
        Interruption prices of the games (objective units per extra server).
    objectives : tuple of str
        ``"response"`` and/or ``"waiting"``.
    n_groups, warmup, replications : int
        Run size.
    restarts : int
        See-saw restarts per game.
    npa_level : str or int
        NPA level of the certificates.
    low_visibility_margin : float
        The low-visibility control runs at :math:`v^* -` this margin.
    fast_latency_factor : float
        Fast messaging control: hold-for-message at ``D`` times this.
    certificate_lams : tuple of float
        Prices at which every discipline's game is certified.
    np_control : bool
        Also solve and simulate under non-preemptive service (the np control).
    latency_factors : tuple of float
        Hold-for-message is also simulated at ``D`` times each factor: the latency at which it stops
        beating entanglement (:attr:`FanoutStudy.crossover`).
    scan_points, scan_top : int
        The price scan: ``scan_points`` prices in [0.02, 2] (plus ``lams``) get the classical and
        no-signalling values (cheap LPs); the ``scan_top`` prices with the largest no-signalling gap
        are solved in full beside ``lams`` (an advantage lives in narrow price windows).
    """

    lams: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5)
    objectives: tuple[str, ...] = ("response", "waiting")
    n_groups: int = 100_000
    warmup: int = 5_000
    replications: int = 10
    restarts: int = 20
    npa_level: Any = 2
    low_visibility_margin: float = 0.1
    fast_latency_factor: float = 0.1
    certificate_lams: tuple[float, ...] = (0.1, 0.3, 1.0)
    scan_points: int = 34
    scan_top: int = 3
    np_control: bool = True
    latency_factors: tuple[float, ...] = (0.1, 0.2, 0.4, 0.6, 0.8)

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}


FANOUT_FULL = FanoutConfig()
FANOUT_QUICK = FanoutConfig(n_groups=20_000, warmup=1_000, replications=5, restarts=8, lams=(0.1, 0.3, 0.5, 1.0))


@dataclass(frozen=True, eq=False)
class FanoutStudy:
    """Everything an N-server study found (the report only formats it).

    Attributes
    ----------
    scenario : FanoutScenario
    config : FanoutConfig
    seed : int
    solutions : mapping objective -> mapping lam -> GroupSolution
    headline : mapping objective -> lam or None
        The pre-registered price of each objective's headline entangled arm (``None``: no game of the
        grid has a one-shot advantage).
    certificates : list of dict
        Per discipline, objective and price: classical, quantum lower bound, NPA bound, advantage,
        certified no advantage.
    run : Run
    readings : mapping arm name -> mapping baseline -> ParetoGain
    verdicts : mapping claim id -> Verdict
    claims : mapping claim id -> str
        The claim in words.
    benchmark_excluded : dict
        Benchmark arms left out (no stationary throughput) and why.
    scan : list of dict
        The price scan (classical and no-signalling values, optimal rule per price).
    crossover : dict
        Per objective with a headline arm: the paired difference (hold minus entangled) of the
        objective's metric at every simulated latency, and ``D*``, the latency where it crosses zero
        (linear interpolation of the means between the two latencies around the sign change; ``None``
        if no sign change on the grid).
    """

    scenario: Any
    config: FanoutConfig
    seed: int
    solutions: Mapping[str, Mapping[float, Any]]
    headline: Mapping[str, float | None]
    certificates: list[dict[str, Any]]
    run: Run
    readings: Mapping[str, Mapping[str, ParetoGain]]
    verdicts: Mapping[str, Verdict]
    claims: Mapping[str, str]
    benchmark_excluded: Mapping[str, str] = field(default_factory=dict)
    rules: Rules = RULES
    scan: list[dict[str, Any]] = field(default_factory=list)
    crossover: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------- arms
def _tag(table: np.ndarray) -> str:
    return "|".join("".join(str(int(v)) for v in row) for row in table)


def _rule_arms(tables: Sequence[np.ndarray], prefix: str) -> list[Arm]:
    from qcoord.policies.fanout import GroupRule

    arms: list[Arm] = []
    seen: set[tuple[str, bool]] = set()
    for t in tables:
        t = np.asarray(t, dtype=np.int8)
        sym = bool(np.all(t == t[0]))
        for rotate in ((True,) if sym else (True, False)):
            key = (_tag(t), rotate)
            if key in seen:
                continue
            seen.add(key)
            name = f"{prefix}[{_tag(t)}]" + ("" if rotate else "/fixed")
            arms.append(Arm(name, GroupRule(name, t, rotate=rotate), "local", role_symmetric=rotate or sym,
                            params={"rule": _tag(t), "rotate": rotate}, label=name))
    return arms


def _mixture_arms(sols: Mapping[str, Mapping[float, Any]], objectives: Sequence[str]) -> list[Arm]:
    """Shared randomness: an even per-group coin between consecutive distinct classical optima of the price path."""
    from qcoord.policies.fanout import GroupMixture, GroupRule

    arms: list[Arm] = []
    seen: set[str] = set()
    for obj in objectives:
        path: list[np.ndarray] = []
        for lam in sorted(sols[obj]):
            t = np.asarray(sols[obj][lam].classical.strategy.answers, dtype=np.int8)
            if not path or not np.array_equal(path[-1], t):
                path.append(t)
        for a, b in zip(path, path[1:]):
            name = f"mix[{_tag(a)}+{_tag(b)}]"
            if name in seen:
                continue
            seen.add(name)
            pol = GroupMixture(name, (GroupRule(name + "/a", a), GroupRule(name + "/b", b)), (0.5, 0.5))
            arms.append(Arm(name, pol, "shared", role_symmetric=True, params={"weight": 0.5}, label=name))
    return arms


def _np_control(sc: Any, cfg: FanoutConfig, seed: int, rules: Rules, progress: Progress | None) -> tuple[dict[str, Verdict], dict[str, str], dict[str, Any]]:
    """The same comparison under non-preemptive service (np): games solved again, arms simulated again."""
    from qcoord.compile.fanout import compile_group_game, solve_group

    sc_np = sc.replace(discipline="np")
    verdicts: dict[str, Verdict] = {}
    claims: dict[str, str] = {}
    found: dict[str, Any] = {}
    for obj in cfg.objectives:
        words = _OBJECTIVE_WORDS[obj]
        cid = f"{obj}:control_np"
        claims[cid] = f"control, non-preemptive service (np): the entangled strategy still has a lower {words} than every communication-free strategy at equal throughput"
        sols = {float(l): solve_group(compile_group_game(sc_np, float(l), objective=obj), restarts=cfg.restarts, seed=seed,
                                      npa_level=cfg.npa_level) for l in cfg.lams}
        good = {l: x.advantage for l, x in sols.items() if x.advantage > rules.numerical_equal * max(1.0, abs(x.classical_value))}
        found[obj] = {l: x.to_dict() for l, x in sols.items()}
        if not good:
            cert = all(x.certified_no_advantage() for x in sols.values())
            verdicts[cid] = Verdict(NOT_HELD, "under np every game of the price grid has NPA bound = classical value (certified)" if cert
                                    else "under np no game of the price grid has a one-shot quantum advantage", outcome="no significant difference")
            continue
        lam = max(good, key=lambda l: good[l])
        sol = sols[lam]
        from qcoord.games.multiparty.classical import classical_value

        grid = np.unique(np.round(np.concatenate([np.linspace(0.02, 2.0, cfg.scan_points), SCAN_EXTRA]), 6))
        scan_rules = [classical_value(compile_group_game(sc_np, float(l), objective=obj).game).strategy.answers for l in grid]
        tables = _benchmark_tables(sc.fanout, sc.num_classes, scan_rules) + [
            np.asarray(x.classical.strategy.answers, dtype=np.int8) for x in sols.values()]
        name = f"entangled[{obj},np,lam={lam:g}]"
        arms = _rule_arms(tables, "rule") + [_entangled_arm(name, sol)]
        run = run_arms(sc_np, arms, progress=progress)
        bench, flagged, sym_only = run.reference("baseline", rules)
        g = pareto_readings(run, run.arm(name), bench, excluded=flagged, waiting_metric=OBJECTIVE_METRIC[obj])
        e = g.readings["waiting_at_equal_throughput"]
        d = direction(e, rules)
        status = HELD if d == "gain" else (UNDEFINED if d == "undefined" else NOT_HELD)
        verdicts[cid] = Verdict(status, f"np, lam = {lam:g} (one-shot advantage {sol.advantage:.3e}): {words} saved at equal throughput {_pct(e)} ({d})", outcome=d)
    return verdicts, claims, found


def _benchmark_tables(k: int, nc: int, rules: Sequence[Any]) -> list[np.ndarray]:
    """Every deterministic table (``2^(k nc) <= ALL_RULES_LIMIT``), else the symmetric ones plus ``rules``."""
    from itertools import product

    if 2 ** (k * nc) <= ALL_RULES_LIMIT:
        return [np.array(bits, dtype=np.int8).reshape(k, nc) for bits in product((0, 1), repeat=k * nc)]
    return _symmetric_tables(k, nc) + [np.asarray(r, dtype=np.int8) for r in rules]


def _latency_crossover(run: Run, headline: Mapping[str, float | None], objectives: Sequence[str]) -> dict[str, Any]:
    from qcoord.system.result import estimate

    out: dict[str, Any] = {}
    holds = sorted((a for a in run.arms if a.family == "communicating"), key=lambda a: a.params["latency"])
    for obj in objectives:
        lam = headline.get(obj)
        if lam is None or not holds:
            continue
        m = OBJECTIVE_METRIC[obj]
        ent = run.values(f"entangled[{obj},lam={lam:g}]", m)
        rows = []
        for a in holds:
            e = estimate(run.values(a, m) - ent)
            rows.append({"latency": float(a.params["latency"]), "mean": e.mean, "low": e.low, "high": e.high})
        dstar = None
        for r0, r1 in zip(rows, rows[1:]):
            if r0["mean"] < 0 <= r1["mean"]:
                dstar = r0["latency"] + (r1["latency"] - r0["latency"]) * (-r0["mean"]) / (r1["mean"] - r0["mean"])
                break
        out[obj] = {"metric": m, "entangled": f"entangled[{obj},lam={lam:g}]", "hold_minus_entangled": rows, "D_star": dstar}
    return out


def _symmetric_tables(k: int, nc: int) -> list[np.ndarray]:
    from itertools import product

    return [np.tile(np.array(row, dtype=np.int8), (k, 1)) for row in product((0, 1), repeat=nc)]


def _entangled_arm(name: str, sol: Any, **kw: Any) -> Arm:
    from qcoord.policies.fanout import GroupEntangled

    pol = GroupEntangled.from_strategy(name, sol.quantum.strategy, **kw)
    params = {"lam": sol.compiled.lam, "objective": sol.compiled.objective, "visibility": pol.visibility,
              "source": "pool" if kw.get("pool") is not None else "ideal"}
    return Arm(name, pol, "entangled", role_symmetric=True, params=params, label=name)


# ---------------------------------------------------------------------- study
def _solve_all(scenario: Any, cfg: FanoutConfig, seed: int, progress: Progress | None) -> dict[str, dict[float, Any]]:
    from qcoord.compile.fanout import compile_group_game, solve_group

    from qcoord.games.multiparty.classical import classical_value
    from qcoord.games.multiparty.nonsignaling import nonsignaling_value

    out: dict[str, dict[float, Any]] = {}
    scan_rows: list[dict[str, Any]] = []
    grid = np.unique(np.round(np.concatenate([np.linspace(0.02, 2.0, cfg.scan_points), SCAN_EXTRA, cfg.lams]), 6))
    total = len(cfg.objectives) * (len(grid) + len(cfg.lams) + cfg.scan_top)
    done = 0
    for obj in cfg.objectives:
        gaps: dict[float, float] = {}
        for lam in grid:  # cheap scan: classical value and no-signalling value only
            g = compile_group_game(scenario, float(lam), objective=obj).game
            cr = classical_value(g)
            c, ns = float(cr.value), float(nonsignaling_value(g).value)
            gaps[float(lam)] = ns - c
            scan_rows.append({"objective": obj, "lam": float(lam), "classical": c, "nonsignaling": ns, "gap": ns - c,
                              "rule": [list(map(int, r)) for r in cr.strategy.answers]})
            done += 1
            if progress:
                progress("scan prices", done, total)
        top = [lam for lam in sorted(gaps, key=lambda x: -gaps[x]) if gaps[lam] > 1e-9][: cfg.scan_top]
        out[obj] = {}
        for lam in sorted(set(float(x) for x in cfg.lams) | set(top)):
            cg = compile_group_game(scenario, lam, objective=obj)
            out[obj][lam] = solve_group(cg, restarts=cfg.restarts, seed=seed, npa_level=cfg.npa_level)
            done += 1
            if progress:
                progress("solve games", done, total)
    out["_scan"] = scan_rows  # type: ignore[assignment]
    return out


def _certificates(scenario: Any, cfg: FanoutConfig, seed: int, progress: Progress | None) -> list[dict[str, Any]]:
    from qcoord.compile.fanout import compile_group_game, solve_group

    rows = []
    total = 3 * len(cfg.objectives) * len(cfg.certificate_lams)
    done = 0
    for disc in ("srpt", "np", "fcfs"):
        sc = scenario.replace(discipline=disc)
        for obj in cfg.objectives:
            for lam in cfg.certificate_lams:
                sol = solve_group(compile_group_game(sc, lam, objective=obj), restarts=max(4, cfg.restarts // 2),
                                  seed=seed, npa_level=cfg.npa_level)
                rows.append({"discipline": disc, "objective": obj, **sol.to_dict(),
                             "advantage": sol.advantage})
                done += 1
                if progress:
                    progress("certify games", done, total)
    return rows


def run_fanout_study(
    scenario: Any,
    config: FanoutConfig = FANOUT_FULL,
    *,
    seed: int | None = None,
    progress: Progress | None = None,
    rules: Rules = RULES,
) -> FanoutStudy:
    """Run the N-server study (module notes) on ``scenario`` with the config's run size.

    Parameters
    ----------
    scenario : FanoutScenario
        Its demand, discipline, ``d``, ``D``, ``T`` and topology; the run size comes from ``config``.
    config : FanoutConfig
    seed : int, optional
        Overrides ``scenario.seed`` (inputs, see-saw).
    progress : callable(stage, done, total), optional
    rules : Rules
    """
    from qcoord.entanglement import EntanglementPool
    from qcoord.policies.fanout import GroupHold, GroupOracle, GroupRule, group_joint_optimum
    from qcoord.system.fanout import FanoutScenario

    if not isinstance(scenario, FanoutScenario):
        raise AnalysisError(f"scenario: must be a FanoutScenario, got {type(scenario).__name__}")
    bad = [o for o in config.objectives if o not in OBJECTIVE_METRIC]
    if bad or not config.objectives:
        raise AnalysisError(f"objectives: must be a non-empty subset of {tuple(OBJECTIVE_METRIC)}, got {config.objectives}")
    s = scenario.seed if seed is None else int(seed)
    sc = scenario.replace(n_groups=config.n_groups, warmup=min(config.warmup, config.n_groups - 2),
                          replications=config.replications, seed=s)
    sols = _solve_all(sc, config, s, progress)
    scan = sols.pop("_scan")  # type: ignore[arg-type]
    certs = _certificates(sc, config, s, progress)
    k, nc = sc.fanout, sc.num_classes
    tol = rules.numerical_equal

    # ---- arms
    tables = _benchmark_tables(k, nc, [r["rule"] for r in scan])
    opt_tables = [np.asarray(sol.classical.strategy.answers, dtype=np.int8) for o in sols for sol in sols[o].values()]
    arms: list[Arm] = _rule_arms(tables + opt_tables, "rule")
    arms += _mixture_arms(sols, config.objectives)
    headline: dict[str, float | None] = {}
    for obj in config.objectives:
        adv = {lam: sol.advantage for lam, sol in sols[obj].items()}
        good = {lam: a for lam, a in adv.items() if a > tol * max(1.0, abs(sols[obj][lam].classical_value))}
        headline[obj] = max(good, key=lambda lam: good[lam]) if good else None
        for lam in good:
            arms.append(_entangled_arm(f"entangled[{obj},lam={lam:g}]", sols[obj][lam]))
    for obj in config.objectives:
        lam = headline[obj]
        if lam is None:
            continue
        sol = sols[obj][lam]
        fb_table = np.asarray(sol.classical.strategy.answers, dtype=np.int8)
        v_low = max(0.0, sol.critical_visibility - config.low_visibility_margin)
        arms.append(_entangled_arm(f"entangled[{obj},v={v_low:.3f}]", sol, visibility=v_low))
        pool = EntanglementPool(rate=1.5 * sc.arrival_rate / max(1, sc.num_subsets), capacity=1, visibility=0.98,
                                memory_time=20.0, name="ghz-pool")
        fb = GroupRule(f"fallback[{obj}]", fb_table)
        arms.append(_entangled_arm(f"entangled[{obj},pool]", sol, pool=pool, fallback=fb))
    # communicating arms, from the first objective's headline game (or its lam-median game)
    obj0 = config.objectives[0]
    lam0 = headline[obj0] if headline[obj0] is not None else sorted(sols[obj0])[len(sols[obj0]) // 2]
    joint = group_joint_optimum(sols[obj0][lam0].compiled.game.payoff)
    D = float(sc.message_latency)
    arms.append(Arm(f"hold[D={D:g}]", GroupHold(f"hold[D={D:g}]", joint), "communicating", params={"latency": D, "protocol": "hold"}))
    Df = D * config.fast_latency_factor
    for lat in sorted({Df, *(D * f for f in config.latency_factors)} - {D}):
        arms.append(Arm(f"hold[D={lat:g}]", GroupHold(f"hold[D={lat:g}]", joint, latency=lat), "communicating",
                        params={"latency": lat, "protocol": "hold"}))
    arms.append(Arm("oracle", GroupOracle("oracle", joint), "oracle", params={"latency": 0.0}))

    run = run_arms(sc, arms, baselines={"linear": "linear"}, progress=progress)

    # ---- readings and verdicts
    readings: dict[str, dict[str, ParetoGain]] = {}
    verdicts: dict[str, Verdict] = {}
    claims: dict[str, str] = {}
    excluded: dict[str, str] = {}
    targets = [a for a in run.arms if a.family in ("entangled", "communicating", "oracle")]
    for baseline in ("baseline", "linear"):
        bench, flagged, sym_only = run.reference(baseline, rules)
        excluded.update({f"{n} (T={baseline})": r for n, r in flagged.items()})
        for a in targets:
            obj = a.params.get("objective", obj0)
            readings.setdefault(a.name, {})[baseline] = pareto_readings(
                run, a, bench, baseline=baseline, excluded=flagged, waiting_metric=OBJECTIVE_METRIC[obj],
                description="concave envelope of every stationary local rule" + (" (role-symmetric only)" if sym_only else ""),
            )
    for obj in config.objectives:
        words = _OBJECTIVE_WORDS[obj]
        lam = headline[obj]
        ids = {
            f"{obj}:at_equal_throughput": (f"the entangled strategy has a lower {words} than every communication-free strategy at equal throughput", "waiting_at_equal_throughput"),
            f"{obj}:throughput": (f"the entangled strategy has a higher throughput than every communication-free strategy at equal {words}", "throughput_at_equal_waiting"),
            f"{obj}:restarts": (f"the entangled strategy interrupts the baseline less than every communication-free strategy at equal {words}", "restarts_at_equal_waiting"),
        }
        label = {"waiting_at_equal_throughput": f"{words} saved at equal throughput",
                 "throughput_at_equal_waiting": f"throughput gained at equal {words}",
                 "restarts_at_equal_waiting": f"restarts avoided at equal {words}"}
        for cid, (text, reading) in ids.items():
            claims[cid] = text
            if lam is None:
                best = max(sols[obj].values(), key=lambda s: s.advantage)
                cert = all(s.certified_no_advantage() for s in sols[obj].values())
                why = ("every game of the price grid has NPA bound = classical value: no quantum strategy helps (certified)"
                       if cert else f"no game of the price grid has a one-shot quantum advantage (largest see-saw gain {best.advantage:.2e}); nothing to simulate")
                verdicts[cid] = Verdict(NOT_HELD, why, outcome="no significant difference")
                continue
            e = readings[f"entangled[{obj},lam={lam:g}]"]["baseline"].readings[reading]
            dirn = direction(e, rules)
            if dirn == "gain":
                verdicts[cid] = Verdict(HELD, f"{label[reading]}: {e.mean:+.2%} [{e.low:+.2%}, {e.high:+.2%}] (paired 95% CI)", outcome=dirn)
            elif dirn == "undefined":
                verdicts[cid] = Verdict(UNDEFINED, f"{label[reading]} is undefined: the entangled arm lies outside the benchmark's range", outcome=dirn)
            else:
                verdicts[cid] = Verdict(NOT_HELD, f"{label[reading]}: {e.mean:+.2%} [{e.low:+.2%}, {e.high:+.2%}] ({dirn})", outcome=dirn)
        if lam is None:
            continue
        # controls
        e_lin = readings[f"entangled[{obj},lam={lam:g}]"]["linear"].readings["throughput_at_equal_waiting"]
        d_lin = direction(e_lin, rules)
        claims[f"{obj}:control_linear"] = f"control, linear T: no throughput gain at equal {words} (routing cannot change a linear T's output)"
        verdicts[f"{obj}:control_linear"] = Verdict(HELD if d_lin != "gain" else NOT_HELD,
                                                    f"throughput at equal {words} under T = t: {e_lin.mean:+.3%} [{e_lin.low:+.3%}, {e_lin.high:+.3%}] ({d_lin})", outcome=d_lin)
        low = [a for a in run.arms if a.family == "entangled" and a.params.get("objective") == obj and a.name.startswith(f"entangled[{obj},v=")]
        if low:
            e_low = readings[low[0].name]["baseline"].readings["waiting_at_equal_throughput"]
            d_low = direction(e_low, rules)
            claims[f"{obj}:control_low_visibility"] = f"control, visibility below v*: no lower {words} at equal throughput"
            verdicts[f"{obj}:control_low_visibility"] = Verdict(
                HELD if d_low != "gain" else NOT_HELD,
                f"{low[0].name}: {e_low.mean:+.2%} [{e_low.low:+.2%}, {e_low.high:+.2%}] ({d_low}); v* = {sols[obj][lam].critical_visibility:.3f}",
                outcome=d_low)
    fast = f"hold[D={Df:g}]"
    if headline[obj0] is not None:
        ent = f"entangled[{obj0},lam={headline[obj0]:g}]"
        m = OBJECTIVE_METRIC[obj0]
        diff = run.values(ent, m) - run.values(fast, m)
        from qcoord.system.result import estimate

        e = estimate(diff)
        claims["control_fast_messaging"] = f"control, fast messaging (D = {Df:g}): hold-for-message reaches an {_OBJECTIVE_WORDS[obj0]} at least as low as entanglement's"
        dirn = direction(estimate(diff / np.abs(run.values(fast, m))), rules)
        verdicts["control_fast_messaging"] = Verdict(
            HELD if dirn != "loss" else NOT_HELD,
            f"{_OBJECTIVE_WORDS[obj0]} entangled minus fast hold: {e.mean:+.4f} [{e.low:+.4f}, {e.high:+.4f}] time units", outcome=dirn)
    crossover = _latency_crossover(run, headline, config.objectives)
    if config.np_control and sc.discipline != "np":
        v_np, c_np, _ = _np_control(sc, config, s, rules, progress)
        verdicts.update(v_np)
        claims.update(c_np)
    return FanoutStudy(sc, config, s, sols, headline, certs, run, readings, verdicts, claims, excluded, rules, scan, crossover)


# ---------------------------------------------------------------------- report
def _fmt_est(x: np.ndarray, digits: int = 4) -> str:
    from qcoord.system.result import estimate

    e = estimate(np.asarray(x, dtype=float))
    return f"{e.mean:.{digits}f} ± {e.half_width:.{digits}f}"


def fanout_rows(study: FanoutStudy) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the arms table (mean ± 95% CI half width over replications)."""
    run = study.run
    header = ["arm", "family", "split", "servers", "mean waiting", "excess response", "throughput", "restarts/t", "messages"]
    rows = []
    for a in run.arms:
        info = run.info.get(a.name, ())
        msg = info[0].get("messages_per_group", 0) if info else 0
        rows.append([
            a.name, a.family + ("" if a.role_symmetric else " (asym)"),
            f"{np.mean(run.values(a, 'split_prob')):.3f}", f"{np.mean(run.values(a, 'servers_used')):.3f}",
            _fmt_est(run.values(a, "mean_waiting")), _fmt_est(run.values(a, "mean_response_excess")),
            _fmt_est(run.values(a, "throughput")), f"{np.mean(run.values(a, 'interruption_rate')):.4f}", str(msg),
        ])
    return header, rows


def _pct(e: Any) -> str:
    if e is None or e.n == 0 or not math.isfinite(e.mean):
        return "undefined"
    return f"{e.mean:+.2%} [{e.low:+.2%}, {e.high:+.2%}]"


def _summary(study: FanoutStudy) -> dict[str, Any]:
    def clean(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list):
            return [clean(v) for v in x]
        return x

    out = {
        "schema": "qcoord.fanout-summary/1",
        "seed": study.seed,
        "scenario": study.scenario.to_dict(),
        "config": study.config.to_dict(),
        "rules": study.rules.to_dict(),
        "games": {o: [s.to_dict() for s in sols.values()] for o, sols in study.solutions.items()},
        "headline_lam": dict(study.headline),
        "certificates": study.certificates,
        "price_scan": study.scan,
        "latency_crossover": study.crossover,
        "arms": {a.name: {"family": a.family, "role_symmetric": a.role_symmetric,
                          "params": {k: v for k, v in a.params.items() if isinstance(v, (int, float, str, bool, type(None)))},
                          "metrics": {m: study.run.values(a, m).tolist() for m in study.run.metrics},
                          "info": [{k: v for k, v in d.items() if isinstance(v, (int, float, str, bool))} for d in study.run.info.get(a.name, ())]}
                 for a in study.run.arms},
        "readings": {n: {b: g.to_dict() for b, g in per.items()} for n, per in study.readings.items()},
        "claims": {cid: {"claim": study.claims[cid], **v.to_dict()} for cid, v in study.verdicts.items()},
        "benchmark_excluded": dict(study.benchmark_excluded),
    }
    return clean(out)


def write_fanout_report(out: str | Path, study: FanoutStudy) -> dict[str, Path]:
    """Write ``report.md``, ``summary.json`` and ``frontier.png`` into ``out`` (created if needed)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sc = study.scenario
    lines = [f"# qcoord N-server study: N = {sc.n_servers}, groups of k = {sc.fanout} ({sc.subset}, consolidation {sc.consolidation})", ""]
    lines += [
        f"Scenario: utilisation {sc.utilisation:.3g} per server, d = {sc.handoff_delay:g}, D = {sc.message_latency:g}, "
        f"{sc.discipline}, T = {sc.baseline}; {sc.replications} x {sc.n_groups} groups, seed {study.seed}. "
        "Every figure is a mean over replications with its paired 95% CI; every verdict is decided by the rules printed at the end.",
        "",
        "## Verdicts",
        "",
    ]
    for cid, v in study.verdicts.items():
        lines.append(f"- **{v.status}** ({cid}): {study.claims[cid]}. {v.reason}.")
    lines += ["", "## The group games (one-shot, low-load costs)", "",
              "| objective | lam | classical | entangled (see-saw) | NPA bound | no-signalling | v* | certified no advantage |",
              "|---|---|---|---|---|---|---|---|"]
    for obj, sols in study.solutions.items():
        for lam, s in sols.items():
            mark = " (headline)" if study.headline.get(obj) == lam else ""
            lines.append(f"| {obj} | {lam:g}{mark} | {s.classical_value:.6f} | {s.quantum_value:.6f} | {s.npa_value:.6f} | "
                         f"{s.nonsignaling_value:.6f} | {s.critical_visibility:.4f} | {s.certified_no_advantage()} |")
    for obj in study.config.objectives:
        rows = [r for r in study.scan if r["objective"] == obj]
        if rows:
            best = max(rows, key=lambda r: r["gap"])
            lines.append("")
            lines.append(f"Price scan ({obj}, {len(rows)} prices in [0.02, 2]): the largest no-signalling gap over the classical value is "
                         f"{best['gap']:.3e} at lam = {best['lam']:g}" + ("; no-signalling = classical at every price, so no correlation of any kind helps."
                                                                         if best["gap"] <= 1e-9 else "."))
    for obj, c in study.crossover.items():
        lines += ["", f"## When does messaging beat entanglement? ({obj})", "",
                  f"Hold-for-message minus {c['entangled']} in {_OBJECTIVE_WORDS[obj]} (time units; negative = hold is better), paired 95% CI:", "",
                  "| latency D | difference |", "|---|---|"]
        lines += [f"| {r['latency']:g} | {r['mean']:+.4f} [{r['low']:+.4f}, {r['high']:+.4f}] |" for r in c["hold_minus_entangled"]]
        lines += ["", f"Crossover D* = {c['D_star']:.3f} (interpolated between the latencies around the sign change)." if c["D_star"] is not None
                  else "No crossover on this latency grid."]
    lines += ["", "## Certificates under every discipline", "",
              "| discipline | objective | lam | classical | entangled | NPA bound | advantage | certified no advantage |", "|---|---|---|---|---|---|---|---|"]
    for r in study.certificates:
        lines.append(f"| {r['discipline']} | {r['objective']} | {r['lam']:g} | {r['classical']:.6f} | {r['quantum_lower_bound']:.6f} | "
                     f"{r['npa_upper_bound']:.6f} | {r['advantage']:.2e} | {r['certified_no_advantage']} |")
    header, rows = fanout_rows(study)
    lines += ["", "## Arms (mean ± 95% CI half width)", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", "## Readings against the best communication-free benchmark (paired over replications)", "",
              "| arm | T | W read as | W at equal throughput | throughput at equal W | restarts at equal W |", "|---|---|---|---|---|---|"]
    for name, per in study.readings.items():
        obj = study.run.arm(name).params.get("objective", study.config.objectives[0])
        for b, g in per.items():
            w_at_t = ("n/a (a linear T's throughput does not depend on routing)" if b == "linear"
                      else _pct(g.readings["waiting_at_equal_throughput"]))
            lines.append(f"| {name} | {b} | {OBJECTIVE_METRIC[obj]} | {w_at_t} | "
                         f"{_pct(g.readings['throughput_at_equal_waiting'])} | {_pct(g.readings['restarts_at_equal_waiting'])} |")
    if study.benchmark_excluded:
        lines += ["", "Benchmark arms left out (no stationary throughput):", ""]
        lines += [f"- {n}: {r}" for n, r in study.benchmark_excluded.items()]
    lines += ["", "## How to read", "",
              "- *excess group response* = the last completion of a group minus its arrival minus its largest demand (fork-join).",
              "- The benchmark is the concave envelope of every stationary local rule: role-symmetric rules, and the classical optima of "
              "every game with parties rotated by a shared coin or fixed (asymmetric). Block time-sharing reaches every chord without communication.",
              "- The headline entangled arm of each objective is the price with the largest one-shot advantage, chosen before simulating.",
              "- *certified no advantage*: the NPA upper bound equals the classical value, a proof that no quantum strategy helps in that game.",
              "- hold = hold-for-message (every member waits D for the others' classes, k(k-1) messages per group); the oracle is that at zero latency (unattainable).",
              "", "Rules: " + ", ".join(f"{k} = {v}" for k, v in study.rules.to_dict().items()), ""]
    paths = {"report": out / "report.md", "summary": out / "summary.json", "figure": out / "frontier.png"}
    paths["report"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    paths["summary"].write_text(json.dumps(_summary(study), indent=1, allow_nan=False) + "\n", encoding="utf-8")
    _plot(study, paths["figure"])
    return paths


def _plot(study: FanoutStudy, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .stats import upper_envelope

    objs = list(study.config.objectives)
    fig, axes = plt.subplots(1, len(objs), figsize=(6.2 * len(objs), 4.6), squeeze=False)
    run = study.run
    colours = {"local": "0.55", "shared": "0.4", "entangled": "tab:purple", "communicating": "tab:green", "oracle": "tab:red"}
    bench, _, _ = run.reference("baseline", study.rules)
    for ax, obj in zip(axes[0], objs):
        m = OBJECTIVE_METRIC[obj]
        for a in run.arms:
            if a.family == "entangled" and a.params.get("objective") not in (obj, None):
                continue
            x, y = np.mean(run.values(a, m)), np.mean(run.values(a, "throughput"))
            ax.scatter([x], [y], s=22 if a.family == "local" else 40, color=colours[a.family],
                       marker="o" if a.role_symmetric else "s", zorder=3)
        if bench:
            W = np.array([np.mean(run.values(a, m)) for a in bench])
            T = np.array([np.mean(run.values(a, "throughput")) for a in bench])
            we, te = upper_envelope(W, T)
            ax.plot(we, te, color="0.3", lw=1.2, label="concave envelope of local rules")
        ax.set_xlabel(f"{_OBJECTIVE_WORDS[obj]} (time units)")
        ax.set_ylabel(f"baseline throughput (T = {study.scenario.baseline})")
        ax.set_title(f"N = {study.scenario.n_servers}, k = {study.scenario.fanout}: {obj}")
        for fam, c in colours.items():
            ax.scatter([], [], color=c, label=fam)
        ax.legend(fontsize=7, loc="lower right")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
