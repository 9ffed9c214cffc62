"""Run strategy classes on common random numbers and compare them (frontiers, equal-W gains).

The central routine is :func:`evaluate_point`: one scenario, one interruption price ``lam``; it
compiles and solves the pair game, builds one policy per strategy class plus the local reference
policies, simulates them all on the same inputs, and returns one row per class with every metric,
its 95% CI, and the paired gains over the best local strategy.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from qcoord.compile import Solution, compile_game, solve, to_policy
from qcoord.compile.policy import POLICY_KINDS

from .stats import AnalysisError, Estimate, estimate, gain_at_equal, pareto_front

__all__ = [
    "DEFAULT_CLASSES",
    "METRICS",
    "PointRun",
    "Frontier",
    "simulate_metrics",
    "local_reference_policies",
    "run_point",
    "rows_from_run",
    "evaluate_point",
    "frontier",
    "compare",
    "matched_mixture",
]

#: Strategy classes evaluated by default (see :data:`qcoord.compile.policy.POLICY_KINDS`).
DEFAULT_CLASSES: tuple[str, ...] = ("local", "local_asym", "shared", "entangled", "naive", "hold", "oracle")
#: Per-replication metrics extracted from a simulation.
METRICS: tuple[str, ...] = (
    "mean_waiting",
    "throughput",
    "split_prob",
    "swap_prob",
    "consolidation_prob",
    "waiting_p95",
    "utilisation",
    "interruption_rate",
)

Progress = Callable[[str, int, int], None]


def _scenario_params(scenario: Any) -> dict[str, Any]:
    try:
        d = dict(scenario.to_dict())
    except Exception:  # pragma: no cover - defensive
        d = {}
    d.pop("arrival_times", None)
    return d


def simulate_metrics(
    scenario: Any,
    policies: Mapping[str, Any],
    *,
    baselines: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    info: dict[str, Any] | None = None,
) -> dict[str, dict[str, dict[str, NDArray[np.float64]]]]:
    """Simulate policies on common random numbers; per-replication metric arrays.

    Parameters
    ----------
    scenario : Scenario
        Replications, pairs, seed are the scenario's.
    policies : mapping name -> policy
    baselines : mapping label -> Baseline, optional
        Extra baseline output functions evaluated on the same idle runs (the scenario's own is
        always there, labelled ``"baseline"``).
    progress : callable(stage, done, total), optional
    info : dict, optional
        Filled with ``policy name -> [routing info per replication]`` (fallback counts, mean
        visibility and latency of entangled policies, ...).

    Returns
    -------
    dict baseline label -> policy name -> metric -> ndarray of shape (replications,)
    """
    from qcoord.system import simulate

    if not policies:
        raise AnalysisError("policies: need at least one policy")
    names = list(policies)
    pols = [policies[n] for n in names]
    for n, p in zip(names, pols):
        if getattr(p, "name", None) != n:
            raise AnalysisError(f"policies: key {n!r} must equal the policy's name {getattr(p, 'name', None)!r}")
    extra = dict(baselines or {})
    hook = None
    if progress is not None:
        hook = lambda done, total: progress("simulate", done, total)  # noqa: E731
    res = simulate(scenario, pols, progress=hook, baselines=extra or None)
    if info is not None:
        pinfo = getattr(res, "policy_info", ()) or ()
        for i, n in enumerate(names):
            info[n] = [dict(x) for x in pinfo[i]] if i < len(pinfo) else []
    out: dict[str, dict[str, dict[str, NDArray[np.float64]]]] = {}
    labels = ["baseline"] + list(extra)
    for label in labels:
        tkey = "throughput" if label == "baseline" else f"throughput[{label}]"
        per: dict[str, dict[str, NDArray[np.float64]]] = {}
        for i, n in enumerate(names):
            m = {k: np.asarray(res.metrics[k][i], dtype=float) for k in METRICS}
            m["throughput"] = np.asarray(res.metrics[tkey][i], dtype=float)
            per[n] = m
        out[label] = per
    return out


def _rule_tag(strategy: Any) -> str:
    """``"<alice answers>|<bob answers>"`` of a deterministic strategy, e.g. ``"00|10"``."""
    return f"{''.join(map(str, strategy.alice))}|{''.join(map(str, strategy.bob))}"


def local_reference_policies(solution: Solution, *, symmetric: bool = True, asymmetric: bool = True) -> dict[str, Any]:
    """The local policies that span the best-local frontier.

    Every vertex of the classical frontier of the solved game (the deterministic rules optimal for
    some interruption price), role-symmetric and role-asymmetric. Time-sharing between them by
    shared randomness reaches the chords of their (waiting, throughput) points.
    """
    from qcoord.policies import LocalRule

    out: dict[str, Any] = {}
    for i, s in enumerate(solution.frontier.strategies):
        tag = _rule_tag(s)
        if symmetric:
            out[f"ref:{tag}:sym"] = LocalRule(s.alice, s.bob, role_symmetric=True, name=f"ref:{tag}:sym")
        if asymmetric:
            out[f"ref:{tag}:asym"] = LocalRule(s.alice, s.bob, role_symmetric=False, name=f"ref:{tag}:asym")
    return out


def local_mixture_grid(
    solution: Solution, refs: Mapping[str, Any], weights: Sequence[float] = (0.25, 0.5, 0.75)
) -> dict[str, Any]:
    """Shared-randomness mixtures between vertices of the classical frontier.

    For each pair of frontier rules (not only neighbours: at load, waiting and throughput are not
    linear in the mixing weight, so a mixture of distant vertices can lie above one of neighbours)
    and each weight ``w`` in ``weights``, the mixture plays the second rule with probability ``w``
    per pair, role-symmetric and role-asymmetric (``grid:<tag0>+<tag1>:<w>:sym``). Simulated beside
    the vertices, these points make the best-local frontier dense, so a gain "at equal waiting"
    does not depend on which other mixtures a study happened to simulate.
    """
    from qcoord.policies import SharedRandomness

    for w in weights:
        if not 0.0 < float(w) < 1.0:
            raise AnalysisError(f"frontier_grid: weights must lie in (0, 1), got {w!r}")
    tags = [_rule_tag(s) for s in solution.frontier.strategies]
    out: dict[str, Any] = {}
    for t0, t1 in itertools.combinations(tags, 2):
        for fam in ("sym", "asym"):
            r0, r1 = refs.get(f"ref:{t0}:{fam}"), refs.get(f"ref:{t1}:{fam}")
            if r0 is None or r1 is None:
                continue
            for w in weights:
                name = f"grid:{t0}+{t1}:{float(w):g}:{fam}"
                out[name] = SharedRandomness([r0, r1], [1 - float(w), float(w)], role_symmetric=fam == "sym", name=name)
    return out


@dataclass(frozen=True, eq=False)
class PointRun:
    """Raw result of :func:`run_point`: per-replication metrics of every policy simulated.

    Attributes
    ----------
    scenario : Scenario
    solution : Solution
    classes : dict class -> policy name
    local_names : tuple of str
        Policies of the best-local reference (classes ``local*``/``shared*`` and the references).
    symmetric_local_names : tuple of str
        The role-symmetric subset of ``local_names``.
    metrics : dict baseline label -> policy name -> metric -> ndarray (R,)
    seed : int
    seconds : float
    extra : dict
        ``"info"``: policy name -> routing info per replication (first pass).
    """

    scenario: Any
    solution: Solution
    classes: dict[str, str]
    local_names: tuple[str, ...]
    symmetric_local_names: tuple[str, ...]
    metrics: dict[str, dict[str, dict[str, NDArray[np.float64]]]]
    seed: int
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    def gain(
        self,
        name: str,
        *,
        baseline: str | None = None,
        reference: str = "all",
        relative: bool = False,
        envelope: str = "pareto",
    ) -> tuple[Estimate, NDArray[np.float64]]:
        """Throughput gain of policy ``name`` over the local frontier at its own mean waiting.

        ``reference``: ``"all"`` (best local overall) or ``"symmetric"`` (role-symmetric only).
        ``envelope``: ``"pareto"`` or ``"upper"`` (concave, conservative); see
        :func:`qcoord.analysis.stats.gain_at_equal`.
        """
        m = self.metrics[baseline or next(iter(self.metrics))]
        refs = self.local_names if reference == "all" else self.symmetric_local_names
        W = np.stack([m[r]["mean_waiting"] for r in refs], axis=1)
        T = np.stack([m[r]["throughput"] for r in refs], axis=1)
        return gain_at_equal(W, T, m[name]["mean_waiting"], m[name]["throughput"], relative=relative, envelope=envelope)

    def waiting_saved(self, name: str, *, baseline: str | None = None, reference: str = "all") -> tuple[Estimate, NDArray[np.float64]]:
        """Mean waiting saved by ``name`` over the local frontier at its own split probability."""
        m = self.metrics[baseline or next(iter(self.metrics))]
        refs = self.local_names if reference == "all" else self.symmetric_local_names
        P = np.stack([m[r]["split_prob"] for r in refs], axis=1)
        W = np.stack([m[r]["mean_waiting"] for r in refs], axis=1)
        return gain_at_equal(P, W, m[name]["split_prob"], m[name]["mean_waiting"], envelope="lower")

    def matched_gain(
        self, name: str, *, role_symmetric: bool = True, baseline: str | None = None, relative: bool = False
    ) -> tuple[Estimate, Estimate]:
        """Paired throughput gain of ``name`` over its simulated matched-waiting local mixture.

        Returns ``(gain, waiting_difference)``: ``T_name - T_mix`` (relative to ``T_mix`` if asked)
        and ``W_name - W_mix`` (how well the waiting was matched), per replication with 95% CIs.
        Raises ``AnalysisError`` if no mixture was simulated for ``name``.
        """
        m = self.metrics[baseline or next(iter(self.metrics))]
        mix = f"mix:{name}:{'sym' if role_symmetric else 'asym'}"
        if mix not in m:
            raise AnalysisError(f"name: no matched mixture {mix!r} was simulated (run_point(match=...))")
        d = m[name]["throughput"] - m[mix]["throughput"]
        if relative:
            d = d / m[mix]["throughput"]
        return estimate(d), estimate(m[name]["mean_waiting"] - m[mix]["mean_waiting"])

    def paired(self, a: str, b: str, metric: str = "throughput", *, baseline: str | None = None) -> Estimate:
        """Paired difference ``a - b`` of a metric over replications (common random numbers)."""
        m = self.metrics[baseline or next(iter(self.metrics))]
        return estimate(m[a][metric] - m[b][metric])


def _tune_mixtures(
    scenario: Any,
    mixes: dict[str, Any],
    targets: Mapping[str, str],
    metrics: dict[str, dict[str, dict[str, NDArray[np.float64]]]],
    *,
    baselines: Mapping[str, Any] | None,
    rounds: int,
    tol: float = 1e-3,
) -> None:
    """Refine matched mixtures so that their simulated mean waiting equals their target's.

    A mixture of rules ``r0`` and ``r1`` with weight ``w`` on ``r1`` has mean waiting ``W(w)``,
    known exactly at ``w = 0``, ``1`` and every weight simulated so far. At load ``W`` is not
    linear in ``w``, so the first, linearly interpolated weight misses the target; each round
    inverts the piecewise-linear interpolant through the known points (a secant step on the
    bracketing interval) and simulates the new weight on the same common random numbers. Mixtures
    already within ``tol`` of the target are left alone. ``mixes`` and ``metrics`` are updated in
    place (same names).
    """
    from qcoord.policies import SharedRandomness

    base = metrics["baseline"]
    known: dict[str, list[tuple[float, float]]] = {}
    for name, mix in mixes.items():
        r0, r1 = mix.components
        known[name] = [(0.0, float(np.mean(base[r0.name]["mean_waiting"]))), (1.0, float(np.mean(base[r1.name]["mean_waiting"])))]
    for _ in range(max(0, int(rounds))):
        redo: dict[str, Any] = {}
        for name, mix in mixes.items():
            wt = float(np.mean(base[targets[name]]["mean_waiting"]))
            w_now = float(mix.weights[1])
            w_sim = float(np.mean(base[name]["mean_waiting"]))
            if abs(w_sim - wt) <= tol:
                continue
            pts = sorted(known[name] + [(w_now, w_sim)])
            known[name] = pts
            new_w = None
            for (a, wa), (b, wb) in zip(pts, pts[1:]):
                if min(wa, wb) <= wt <= max(wa, wb) and wa != wb:
                    new_w = a + (b - a) * (wt - wa) / (wb - wa)
                    break
            if new_w is None or not 0.0 < new_w < 1.0 or abs(new_w - w_now) < 1e-6:
                continue
            redo[name] = SharedRandomness(
                list(mix.components), [1 - new_w, new_w], role_symmetric=mix.role_symmetric, name=name
            )
        if not redo:
            return
        more = simulate_metrics(scenario, redo, baselines=baselines)
        for label in metrics:
            metrics[label].update(more[label])
        mixes.update(redo)


def run_point(
    scenario: Any,
    classes: Sequence[str] = DEFAULT_CLASSES,
    *,
    lam: float = 0.5,
    solution: Solution | None = None,
    visibility: float | None = None,
    source: Any = None,
    extra_policies: Mapping[str, Any] | None = None,
    baselines: Mapping[str, Any] | None = None,
    restarts: int = 4,
    npa: bool = True,
    match: Sequence[str] = ("entangled",),
    frontier_grid: Sequence[float] = (0.25, 0.5, 0.75),
    mixture_tuning: int = 2,
    progress: Progress | None = None,
) -> PointRun:
    """Compile, solve and simulate every class (and the local references) on common inputs.

    Parameters
    ----------
    scenario : Scenario
        Its ``seed``, ``replications`` and ``n_pairs`` are used as given.
    classes : sequence of str
        Strategy classes (:data:`qcoord.compile.policy.POLICY_KINDS`).
    lam : float
        Interruption price of the compiled game.
    solution : Solution, optional
        Reuse a solved game (skips compile and solve). Otherwise the game is compiled with the
        closed-form low-load costs, or, when the scenario observes backlog levels, with costs
        estimated by simulation at its load (:func:`qcoord.compile.estimate_costs`).
    visibility, source :
        Passed to the entangled policy (Werner visibility; pair pool or stream).
    extra_policies : mapping name -> policy, optional
        Simulated with the rest (e.g. more entangled strategies for a frontier).
    baselines : mapping label -> Baseline, optional
        Extra baseline functions evaluated on the same routing (see :func:`simulate_metrics`).
    restarts : int
        See-saw restarts.
    npa : bool
        Compute the NPA level-2 bound and the NS value.
    match : sequence of str
        Policies (classes or extra) for which a second pass simulates shared-randomness mixtures
        of local reference rules tuned to the same mean waiting, role-symmetric and asymmetric
        (:func:`matched_mixture`); they join the local reference as ``mix:<name>:sym|asym``.
    frontier_grid : sequence of float
        Weights of the mixtures between neighbouring frontier rules simulated as part of the local
        reference (:func:`local_mixture_grid`); ``()`` for none.
    mixture_tuning : int
        Rounds of secant refinement of each matched mixture's weight so that its simulated mean
        waiting equals the target's (:func:`_tune_mixtures`); ``0`` keeps the interpolated weight.
    """
    t0 = time.perf_counter()
    for c in classes:
        if c not in POLICY_KINDS:
            raise AnalysisError(f"classes: each must be one of {POLICY_KINDS}, got {c!r}")
    seed = int(scenario.seed)
    if solution is None:
        if progress:
            progress("solve", 0, 1)
        costs: Any = "closed_form"
        if tuple(getattr(scenario, "backlog_levels", ()) or ()):
            # questions include the backlog level: price them by simulation at the load
            from qcoord.compile import estimate_costs

            costs = estimate_costs(scenario, lam, seed=seed, restarts=restarts)
        solution = solve(
            compile_game(scenario, lam, costs=costs),
            quantum=True,
            npa_level=2 if npa else None,
            nonsignaling=npa,
            restarts=restarts,
            seed=seed,
        )
        if progress:
            progress("solve", 1, 1)
    policies: dict[str, Any] = {}
    class_names: dict[str, str] = {}
    for c in classes:
        kw: dict[str, Any] = {"name": c}
        if c == "entangled":
            kw.update(visibility=visibility, source=source)
        policies[c] = to_policy(solution, c, **kw)
        class_names[c] = c
    refs = local_reference_policies(solution)
    policies.update(refs)
    policies.update(local_mixture_grid(solution, refs, frontier_grid))
    if extra_policies:
        policies.update(extra_policies)
    local_names = tuple(
        n for n in policies if n.startswith(("ref:", "grid:")) or n in ("local", "local_asym", "shared", "shared_asym")
    )
    sym_names = tuple(n for n in local_names if n.endswith(":sym") or n in ("local", "shared"))
    info: dict[str, Any] = {}
    metrics = simulate_metrics(scenario, policies, baselines=baselines, progress=progress, info=info)
    # second pass: shared-randomness mixtures of local rules tuned to each matched policy's waiting
    mixes: dict[str, Any] = {}
    mix_targets: dict[str, str] = {}
    for target in match:
        if target not in metrics["baseline"]:
            continue
        for sym in (True, False):
            refs = [n for n in local_names if n.startswith("ref:") and n.endswith(":sym" if sym else ":asym")]
            mix = matched_mixture(metrics["baseline"], refs, policies, target, role_symmetric=sym)
            if mix is not None:
                mixes[mix.name] = mix
                mix_targets[mix.name] = target
            more_mixes = bracketing_mixtures(metrics["baseline"], refs, policies, target, role_symmetric=sym)
            if mix is not None:  # the matched pair is one of the bracketing pairs: simulate it once
                chosen = tuple(c.name for c in mix.components)
                more_mixes = {n: m for n, m in more_mixes.items() if tuple(c.name for c in m.components) != chosen}
            mixes.update(more_mixes)
            mix_targets.update(dict.fromkeys(more_mixes, target))
    if mixes:
        hook2 = (lambda st, d, t: progress("simulate matched mixtures", d, t)) if progress else None  # noqa: E731
        more = simulate_metrics(scenario, mixes, baselines=baselines, progress=hook2)
        for label in metrics:
            metrics[label].update(more[label])
        _tune_mixtures(scenario, mixes, mix_targets, metrics, baselines=baselines, rounds=mixture_tuning)
        local_names = local_names + tuple(mixes)
        sym_names = sym_names + tuple(n for n in mixes if n.endswith(":sym"))
    return PointRun(
        scenario=scenario,
        solution=solution,
        classes=class_names,
        local_names=local_names,
        symmetric_local_names=sym_names,
        metrics=metrics,
        seed=seed,
        seconds=time.perf_counter() - t0,
        extra={"info": info},
    )


def matched_mixture(
    metrics: Mapping[str, Mapping[str, NDArray[np.float64]]],
    refs: Sequence[str],
    policies: Mapping[str, Any],
    target: str,
    *,
    role_symmetric: bool,
) -> Any:
    """A shared-randomness mixture of two local rules whose mean waiting matches ``target``'s.

    The two reference rules whose simulated mean waiting brackets the target's most tightly (the
    highest-throughput pair among bracketing ones) are mixed with weight ``w`` from linear
    interpolation of their waiting; at low load the mixture's waiting is linear in ``w``. The
    mixture is then simulated like any policy (no interpolation of throughput: for strongly convex
    T, time-sharing by a per-pair coin does *not* reach the chord between two policies, because it
    cuts the long idle runs). Returns ``None`` when no pair brackets the target.
    """
    from qcoord.policies import SharedRandomness

    pairs = _bracketing_pairs(metrics, refs, target)
    if not pairs:
        return None
    _, r0, r1, wgt = max(pairs, key=lambda c: c[0])
    tag = "sym" if role_symmetric else "asym"
    return SharedRandomness(
        [policies[r0], policies[r1]], [1 - wgt, wgt], role_symmetric=role_symmetric, name=f"mix:{target}:{tag}"
    )


def _bracketing_pairs(
    metrics: Mapping[str, Mapping[str, NDArray[np.float64]]], refs: Sequence[str], target: str
) -> list[tuple[float, str, str, float]]:
    """Every pair of reference rules whose mean waiting brackets ``target``'s.

    Returns ``(interpolated throughput, rule0, rule1, weight of rule1)`` per pair, the weight from
    linear interpolation of the two rules' mean waiting.
    """
    wt = float(np.mean(metrics[target]["mean_waiting"]))
    pts = [(float(np.mean(metrics[r]["mean_waiting"])), float(np.mean(metrics[r]["throughput"])), r) for r in refs]
    out = []
    for w0, t0, r0 in pts:
        for w1, t1, r1 in pts:
            if w0 <= wt <= w1 and w1 > w0:
                wgt = (wt - w0) / (w1 - w0)
                out.append(((1 - wgt) * t0 + wgt * t1, r0, r1, wgt))
    return out


def bracketing_mixtures(
    metrics: Mapping[str, Mapping[str, NDArray[np.float64]]],
    refs: Sequence[str],
    policies: Mapping[str, Any],
    target: str,
    *,
    role_symmetric: bool,
) -> dict[str, Any]:
    """Shared-randomness mixtures of *every* pair of local rules bracketing ``target``'s waiting.

    :func:`matched_mixture` keeps the pair with the best *interpolated* throughput; at load the
    simulated throughput of a per-pair mixture is not the interpolation, so another pair can be
    better. Simulating all of them (``mix:<target>:<rule0>+<rule1>:sym|asym``) gives the best local
    policy at the target's waiting without relying on that guess.
    """
    from qcoord.policies import SharedRandomness

    tag = "sym" if role_symmetric else "asym"
    out: dict[str, Any] = {}
    for _, r0, r1, wgt in _bracketing_pairs(metrics, refs, target):
        name = f"mix:{target}:{r0}+{r1}:{tag}"
        out[name] = SharedRandomness([policies[r0], policies[r1]], [1 - wgt, wgt], role_symmetric=role_symmetric, name=name)
    return out


def rows_from_run(run: PointRun, *, baseline: str | None = None) -> list[dict[str, Any]]:
    """One row per strategy class of a :class:`PointRun` (see :func:`evaluate_point`)."""
    label = baseline or next(iter(run.metrics))
    m = run.metrics[label]
    sol = run.solution
    sc = run.scenario
    # reach of the best-local frontier (Pareto front of every local policy) in each replication:
    # beyond its largest waiting the frontier is its top point ("more waiting buys nothing")
    W = np.stack([m[r]["mean_waiting"] for r in run.local_names], axis=1)
    T = np.stack([m[r]["throughput"] for r in run.local_names], axis=1)
    fronts = [pareto_front(W[r], T[r])[0] for r in range(W.shape[0])]
    w_lo = np.array([f[0] for f in fronts])
    w_hi = np.array([f[-1] for f in fronts])
    w_next = np.array([f[-2] if f.size > 1 else -np.inf for f in fronts])  # last point before the top
    top = run.local_names[int(np.argmax(T.mean(axis=0)))]
    rows = []
    for cls, name in run.classes.items():
        row: dict[str, Any] = {"class": cls, "policy": name, "baseline": str(getattr(sc, "baseline", "")) if label == "baseline" else label}
        wn = m[name]["mean_waiting"]
        row.update(
            reference=name in run.local_names,
            frontier_waiting_low=float(np.mean(w_lo)),
            frontier_waiting_high=float(np.mean(w_hi)),
            beyond_frontier=bool(np.any(wn > w_hi)),
            against_frontier_top=bool(np.any(wn > w_next)),
            below_frontier=bool(np.any(wn < w_lo - 1e-12)),
            frontier_top_policy=top,
            frontier_top_waiting=float(np.mean(m[top]["mean_waiting"])),
            frontier_top_throughput=float(np.mean(m[top]["throughput"])),
        )
        for key in METRICS:
            e = estimate(m[name][key])
            row[key] = e.mean
            row[f"{key}_hw"] = e.half_width
            row[f"{key}_ci_low"] = e.low
            row[f"{key}_ci_high"] = e.high
        g, _ = run.gain(name, baseline=label)
        gr, _ = run.gain(name, baseline=label, relative=True)
        gs, _ = run.gain(name, baseline=label, reference="symmetric")
        ws, _ = run.waiting_saved(name, baseline=label)
        gc, _ = run.gain(name, baseline=label, envelope="upper")
        row.update(
            gain_equal_waiting=g.mean,
            gain_ci_low=g.low,
            gain_ci_high=g.high,
            gain_significant=bool(g.excludes_zero()),
            gain_relative=gr.mean,
            gain_relative_ci_low=gr.low,
            gain_relative_ci_high=gr.high,
            gain_concave_envelope=gc.mean,
            gain_concave_ci_low=gc.low,
            gain_concave_ci_high=gc.high,
            gain_vs_symmetric_local=gs.mean,
            gain_vs_symmetric_ci_low=gs.low,
            gain_vs_symmetric_ci_high=gs.high,
            waiting_saved_equal_split=ws.mean,
            waiting_saved_ci_low=ws.low,
            waiting_saved_ci_high=ws.high,
        )
        row.update(
            lam=sol.compiled.lam,
            classical_value=sol.classical_value,
            quantum_value=sol.quantum_value,
            npa_value=sol.npa_value,
            nonsignaling_value=sol.nonsignaling_value,
            is_threshold=sol.is_threshold,
            replications=int(sc.replications),
            n_pairs=int(sc.n_pairs),
            seed=run.seed,
            arrival_rate=float(sc.arrival_rate),
            handoff_delay=float(sc.handoff_delay),
            message_latency=float(sc.message_latency),
            discipline=str(sc.discipline),
        )
        rows.append(row)
    return rows


def evaluate_point(
    scenario: Any,
    classes: Sequence[str] = DEFAULT_CLASSES,
    *,
    replications: int | None = None,
    seed: int | None = None,
    n_pairs: int | None = None,
    lam: float = 0.5,
    visibility: float | None = None,
    npa: bool = False,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Evaluate every strategy class on one scenario: one row per class.

    Self-contained and deterministic given ``seed``: compiles the pair game of ``scenario`` at
    interruption price ``lam`` (closed-form low-load costs), solves it (certified classical optimum,
    see-saw entangled strategy seeded by ``seed``), builds one policy per class and the local
    reference policies (every vertex of the classical frontier, role-symmetric and -asymmetric),
    and simulates all of them on the same inputs (common random numbers).

    Parameters
    ----------
    scenario : qcoord.system.Scenario
    classes : sequence of str
        Any of ``local``, ``local_asym``, ``shared``, ``shared_asym``, ``entangled``, ``oracle``,
        ``naive``, ``hold``.
    replications, seed, n_pairs : int, optional
        Override the scenario's (``seed`` is the ``SeedSequence`` entropy of the inputs and the
        see-saw).
    lam : float
        Interruption price :math:`\\lambda \\ge 0` of the compiled game (0.5 = reference R1).
    visibility : float in [0, 1], optional
        Werner visibility of the entangled pairs (default: ideal pairs).
    npa : bool
        Also compute the NPA level-2 bound and the no-signalling value (slower).
    progress : callable(stage, done, total), optional

    Returns
    -------
    list of dict
        One row per class, keys:

        - ``class``, ``policy``, ``baseline``, ``lam``;
        - for each metric in :data:`METRICS` (``mean_waiting``, ``throughput``, ``split_prob``,
          ``swap_prob``, ``consolidation_prob``, ``waiting_p95``, ``utilisation``): the mean over
          replications and ``<metric>_hw`` / ``_ci_low`` / ``_ci_high`` (95% t interval);
        - ``gain_equal_waiting`` (+ ``gain_ci_low``, ``gain_ci_high``, ``gain_significant``):
          throughput minus the best local frontier's throughput at the same mean waiting,
          replication by replication (paired), best local = role-symmetric *and* asymmetric local
          rules and shared-randomness mixtures of them simulated at the entangled policy's waiting,
          frontier = their Pareto front interpolated between neighbours;
          ``gain_concave_*``: the same against the upper concave envelope (conservative);
          ``gain_relative*``: the same divided by the frontier's throughput;
          ``gain_vs_symmetric_local*``: against role-symmetric local strategies only;
        - ``reference`` (the class is one of the best-local reference policies), the frontier's
          reach ``frontier_waiting_low`` / ``frontier_waiting_high`` (mean over replications of
          its least and largest mean waiting), ``beyond_frontier`` / ``below_frontier`` (the
          class waits more / less than that reach in some replication: beyond it the frontier is
          its top point, below it the gain is nan), ``against_frontier_top`` (the class waits more
          than the frontier's last point before its top in some replication: its reference is the
          top point or interpolated towards it), and that top point
          (``frontier_top_policy``, ``frontier_top_waiting``, ``frontier_top_throughput``);
        - ``waiting_saved_equal_split*``: the local frontier's least mean waiting at the class's
          split probability minus the class's mean waiting (positive = the class waits less);
        - one-shot game values ``classical_value``, ``quantum_value``, ``npa_value``,
          ``nonsignaling_value`` (nan unless ``npa``), ``is_threshold``;
        - ``replications``, ``n_pairs``, ``seed``, ``arrival_rate``, ``handoff_delay``,
          ``message_latency``, ``discipline``.
    """
    changes: dict[str, Any] = {}
    if replications is not None:
        changes["replications"] = int(replications)
    if seed is not None:
        changes["seed"] = int(seed)
    if n_pairs is not None:
        changes["n_pairs"] = int(n_pairs)
        changes["warmup"] = min(int(scenario.warmup), int(n_pairs) // 10)
    sc = scenario.replace(**changes) if changes else scenario
    run = run_point(sc, classes, lam=lam, visibility=visibility, npa=npa, progress=progress)
    return rows_from_run(run)


@dataclass(frozen=True, eq=False)
class Frontier:
    """A class's (waiting, throughput) frontier over interruption prices, by simulation.

    Attributes
    ----------
    kind : str
    lams : ndarray (m,)
    names : tuple of str
        Policy names, one per ``lam``.
    waiting, throughput, split : ndarray (R, m)
        Per-replication metrics.
    seed : int
    """

    kind: str
    lams: NDArray[np.float64]
    names: tuple[str, ...]
    waiting: NDArray[np.float64]
    throughput: NDArray[np.float64]
    split: NDArray[np.float64]
    seed: int

    def curve(self) -> dict[str, list[float]]:
        """Means and 95% interval ends per point (for :func:`qcoord.analysis.plot_frontier`)."""
        return {**curve_points(self.waiting, self.throughput, self.split), "lam": [float(x) for x in self.lams]}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"kind": self.kind, "seed": self.seed, **self.curve()}


def curve_points(
    waiting: NDArray[np.float64], throughput: NDArray[np.float64], split: NDArray[np.float64]
) -> dict[str, list[float]]:
    """Means and 95% interval ends of points of a curve, for :func:`qcoord.analysis.plot_frontier`.

    Parameters
    ----------
    waiting, throughput, split : array, shape (R, m)
        Mean waiting, throughput and split probability of ``m`` policies in ``R`` replications.

    Returns
    -------
    dict with lists of length m: ``w``, ``w_lo``, ``w_hi`` (mean waiting and its 95% CI), ``t``,
    ``t_lo``, ``t_hi`` (throughput), ``p`` (mean split probability).
    """
    out: dict[str, list[float]] = {k: [] for k in ("w", "w_lo", "w_hi", "t", "t_lo", "t_hi", "p")}
    for j in range(np.shape(waiting)[1]):
        ew, et, ep = estimate(waiting[:, j]), estimate(throughput[:, j]), estimate(split[:, j])
        out["w"].append(ew.mean)
        out["w_lo"].append(ew.low)
        out["w_hi"].append(ew.high)
        out["t"].append(et.mean)
        out["t_lo"].append(et.low)
        out["t_hi"].append(et.high)
        out["p"].append(ep.mean)
    return out


def frontier(
    scenario: Any,
    kind: str,
    lams: Sequence[float],
    *,
    solutions: Sequence[Solution] | None = None,
    visibility: float | None = None,
    restarts: int = 4,
    progress: Progress | None = None,
) -> Frontier:
    """Trace a class's frontier: one policy per ``lam``, all simulated on common inputs.

    Parameters
    ----------
    scenario : Scenario
    kind : str
        A class of :data:`qcoord.compile.policy.POLICY_KINDS`.
    lams : sequence of float
        Interruption prices.
    solutions : sequence of Solution, optional
        Pre-solved games for the same ``lams`` (skips solving).
    """
    lams_a = np.asarray(list(lams), dtype=float)
    if lams_a.size == 0:
        raise AnalysisError("lams: need at least one interruption price")
    pols: dict[str, Any] = {}
    for j, lam in enumerate(lams_a):
        sol = solutions[j] if solutions is not None else solve(
            compile_game(scenario, lam), npa_level=None, nonsignaling=False, restarts=restarts, seed=int(scenario.seed)
        )
        name = f"{kind}@{lam:.4g}"
        kw: dict[str, Any] = {"name": name}
        if kind == "entangled" and visibility is not None:
            kw["visibility"] = visibility
        pols[name] = to_policy(sol, kind, **kw)
    m = simulate_metrics(scenario, pols, progress=progress)["baseline"]
    names = tuple(pols)
    stack = lambda key: np.stack([m[n][key] for n in names], axis=1)  # noqa: E731
    return Frontier(kind, lams_a, names, stack("mean_waiting"), stack("throughput"), stack("split_prob"), int(scenario.seed))


def compare(target: Frontier, reference: Frontier, *, relative: bool = False) -> list[Estimate]:
    """Paired gain of each point of ``target`` over ``reference``'s frontier at equal mean waiting.

    Both frontiers must come from the same scenario and seed (common random numbers); the gain of
    point ``j`` is ``T_target - envelope_reference(W_target)`` per replication (see
    :func:`qcoord.analysis.stats.gain_at_equal`).
    """
    if target.waiting.shape[0] != reference.waiting.shape[0] or target.seed != reference.seed:
        raise AnalysisError("reference: must share the target's replications and seed (common random numbers)")
    return [
        gain_at_equal(reference.waiting, reference.throughput, target.waiting[:, j], target.throughput[:, j], relative=relative)[0]
        for j in range(target.waiting.shape[1])
    ]
