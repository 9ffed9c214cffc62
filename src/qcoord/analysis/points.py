"""One sweep point: every strategy class on one scenario, one flat row per class (sweep stores).

:func:`evaluate_point` is the default evaluator of :mod:`qcoord.sweep`. It builds the same arms as a
study (the class arms, every local rule of the classical frontier and their per-pair mixtures),
simulates them on common random numbers and reports, per class, every metric with its 95% CI and the
paired gains over the best-local benchmark (the concave envelope of the stationary local arms; see
:mod:`qcoord.analysis.readings`). Flat, JSON-ready values only: this is the serialisation edge.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .arms import class_arms, local_rule_arms, mixture_arms
from .experiment import HEADLINE_BASELINE, run_arms
from .stats import AnalysisError
from .study import strategy_rows

__all__ = ["DEFAULT_CLASSES", "evaluate_point", "POINT_METRICS"]

#: Strategy classes evaluated by default.
DEFAULT_CLASSES: tuple[str, ...] = ("local", "local_asym", "shared", "entangled", "naive", "hold", "oracle")
#: Metrics of every row (mean, ``_hw`` half width, ``_ci_low``, ``_ci_high``).
POINT_METRICS: tuple[str, ...] = ("mean_waiting", "throughput", "split_prob", "waiting_p50", "waiting_p95", "waiting_p99",
                                  "utilisation", "interruption_rate")

Progress = Callable[[str, int, int], None]


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
    """Evaluate every strategy class on one scenario: one flat row per class.

    Deterministic given ``seed``: compiles the pair game at interruption price ``lam`` (closed-form
    low-load costs), solves it, builds the class arms and the best-local benchmark arms, and
    simulates them all on the same inputs.

    Parameters
    ----------
    scenario : qcoord.system.Scenario
    classes : sequence of str
        Any of ``local``, ``local_asym``, ``shared``, ``entangled``, ``naive``, ``hold``, ``oracle``.
    replications, seed, n_pairs : int, optional
        Override the scenario's.
    lam : float
        Interruption price :math:`\\lambda \\ge 0` of the compiled game.
    visibility : float in [0, 1], optional
        Werner visibility of the entangled pairs (default: ideal pairs).
    npa : bool
        Also compute the NPA level-2 bound and the no-signalling value (slower).

    Returns
    -------
    list of dict
        One row per class: ``class``, ``family``, ``policy``; for each metric of
        :data:`POINT_METRICS` its mean and ``_hw``, ``_ci_low``, ``_ci_high``;
        ``gain_equal_waiting`` (+ ``gain_ci_low``, ``gain_ci_high``): absolute throughput gain at equal
        mean waiting over the best-local concave envelope; ``gain_relative*`` the same relative;
        ``waiting_saved_equal_throughput*``, ``restarts_avoided_equal_waiting*``,
        ``waiting_saved_equal_split*`` (relative readings); ``gain_significant`` (the CI of the
        throughput reading lies above zero and the effect exceeds the practical-zero threshold);
        ``ill_defined`` (why the class's throughput is not a stationary rate, or empty);
        one-shot values ``classical_value``, ``quantum_value``, ``npa_value``, ``nonsignaling_value``;
        ``lam``, ``replications``, ``n_pairs``, ``seed``.
    """
    from qcoord.compile import compile_game, solve

    changes: dict[str, Any] = {}
    if replications is not None:
        changes["replications"] = int(replications)
    if seed is not None:
        changes["seed"] = int(seed)
    if n_pairs is not None:
        changes["n_pairs"] = int(n_pairs)
        changes["warmup"] = min(int(scenario.warmup), int(n_pairs) // 10)
    sc = scenario.replace(**changes) if changes else scenario
    known = {"local", "local_asym", "shared", "entangled", "naive", "hold", "oracle"}
    for c in classes:
        if c not in known:
            raise AnalysisError(f"classes: each must be one of {sorted(known)}, got {c!r}")
    if progress:
        progress("solve", 0, 1)
    sol = solve(compile_game(sc, lam), npa_level=2 if npa else None, nonsignaling=npa, restarts=4, seed=int(sc.seed))
    if progress:
        progress("solve", 1, 1)
    heads = [a for a in class_arms(sol) if a.name in classes]
    if visibility is not None:
        from qcoord.compile import to_policy

        from .arms import Arm

        heads = [Arm(a.name, to_policy(sol, "entangled", visibility=float(visibility), name=a.name), a.family, a.role_symmetric,
                     {**a.params, "visibility": float(visibility)}, a.label, True) if a.name == "entangled" else a for a in heads]
    rules = local_rule_arms(sol)
    arms = heads + [a for a in rules] + mixture_arms(rules)
    run = run_arms(sc, arms, progress=progress)
    rows = []
    for r in strategy_rows(run, HEADLINE_BASELINE):
        out: dict[str, Any] = {"class": r["class"], "family": r["family"], "policy": r["class"]}
        for m in POINT_METRICS:
            e = r[m]
            out[m] = e["mean"]
            out[f"{m}_hw"] = e["half_width"]
            out[f"{m}_ci_low"] = e["ci_low"]
            out[f"{m}_ci_high"] = e["ci_high"]
        g = r["gain"] or {}
        ga = r["gain_abs"] or {}
        nan = float("nan")
        out.update(gain_equal_waiting=ga.get("mean", nan), gain_ci_low=ga.get("ci_low", nan), gain_ci_high=ga.get("ci_high", nan),
                   gain_significant=r["gain_direction"] == "gain", ill_defined=r["ill_defined"] or "")
        for key, col in (("throughput_at_equal_waiting", "gain_relative"), ("waiting_at_equal_throughput", "waiting_saved_equal_throughput"),
                         ("restarts_at_equal_waiting", "restarts_avoided_equal_waiting"),
                         ("waiting_at_equal_restarts", "waiting_saved_equal_restarts"), ("waiting_at_equal_split", "waiting_saved_equal_split")):
            e = g.get(key) or {}
            out[col] = e.get("mean", nan)
            out[f"{col}_ci_low"] = e.get("ci_low", nan)
            out[f"{col}_ci_high"] = e.get("ci_high", nan)
        out.update(lam=float(lam), classical_value=sol.classical_value, quantum_value=sol.quantum_value,
                   npa_value=sol.npa_value, nonsignaling_value=sol.nonsignaling_value, is_threshold=sol.is_threshold,
                   replications=int(sc.replications), n_pairs=int(sc.n_pairs), seed=int(sc.seed))
        rows.append(out)
    return rows
