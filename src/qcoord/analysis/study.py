"""A whole study of one scenario: every strategy class, the seven claims, the scope checks.

:func:`run_study` is what ``qcoord demo`` and ``qcoord run`` execute. It makes one big simulation
on common random numbers (every class, the local references, the entangled strategies of the
frontier, the noisy entangled strategies and the communicating strategies at every latency, with
the headline baseline and the t^k baselines evaluated on the same idle runs), reads claims 1-6
from it, certifies claim 7 on the ``np`` game, and optionally runs the backlog scope check.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from qcoord.compile import compile_game, solve, to_policy
from qcoord.policies import HoldForMessage, NaiveCommunicate
from qcoord.compile.policy import joint_table

from .claims import (
    FULL,
    QUICK,
    StudyConfig,
    claim_convex_gain,
    claim_convexity,
    claim_latency,
    claim_middle_p,
    claim_np_control,
    claim_visibility,
    control_linear,
    critical_visibility,
    scope_asymmetric,
    scope_backlog,
    scope_estimated_costs,
    scope_links,
)
from .core import DEFAULT_CLASSES, curve_points, rows_from_run, run_point
from .results import StudyResult
from numpy.typing import NDArray

__all__ = ["run_study", "StudyConfig", "QUICK", "FULL", "power_label"]

Progress = Callable[[str, int, int], None]

#: Seconds per time unit (mean customer demand) when the link presets are used.
LINK_TIME_UNIT = 1.0


def power_label(k: float) -> str:
    """Label of the baseline T = t^k in results (``"t^2"``)."""
    return f"t^{k:g}"


def _curve(run: Any, names: list[str], baseline: str = "baseline") -> dict[str, list[float]]:
    m = run.metrics[baseline]

    def cols(metric: str) -> NDArray[np.float64]:
        return np.stack([m[n][metric] for n in names], axis=1) if names else np.zeros((1, 0))

    return curve_points(cols("mean_waiting"), cols("throughput"), cols("split_prob"))


def run_study(
    scenario: Any,
    config: StudyConfig | None = None,
    *,
    quick: bool = False,
    seed: int | None = None,
    progress: Progress | None = None,
) -> StudyResult:
    """Run every strategy class and every claim on one scenario.

    Parameters
    ----------
    scenario : qcoord.system.Scenario
        The headline scenario (its baseline T is the headline; t^k are evaluated beside it).
    config : StudyConfig, optional
        Sizes and grids (default :data:`QUICK` when ``quick`` else :data:`FULL`).
    quick : bool
        Reduced run (CI).
    seed : int, optional
        Root seed (default: the scenario's); recorded in every result.
    progress : callable(stage, done, total), optional

    Returns
    -------
    StudyResult
    """
    t_start = time.perf_counter()
    cfg = config or (QUICK if quick else FULL)
    root = int(scenario.seed if seed is None else seed)
    sc = scenario.replace(
        n_pairs=cfg.n_pairs, warmup=min(cfg.warmup, cfg.n_pairs // 5), replications=cfg.replications, seed=root
    )

    def tick(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    # ---------------------------------------------------------------- solve the games
    tick("solve games", 0, len(cfg.lams) + 1)
    head = solve(compile_game(sc, cfg.lam), restarts=cfg.restarts, seed=root)
    sols = []
    for i, lam in enumerate(cfg.lams):
        sols.append(
            head if lam == cfg.lam else solve(compile_game(sc, lam), npa_level=None, nonsignaling=False, restarts=cfg.restarts, seed=root)
        )
        tick("solve games", i + 2, len(cfg.lams) + 1)
    v_crit = critical_visibility(head)

    # ---------------------------------------------------------------- one big simulation
    extra: dict[str, Any] = {}
    ent_names = []
    for lam, s in zip(cfg.lams, sols):
        nm = f"entangled@{lam:g}"
        extra[nm] = to_policy(s, "entangled", name=nm)
        ent_names.append(nm)
    for v in cfg.visibilities:
        nm = f"entangled-v{v:g}"
        extra[nm] = to_policy(head, "entangled", visibility=v, name=nm)
    table = joint_table(head)
    for D in cfg.latencies:
        extra[f"naive-D{D:g}"] = NaiveCommunicate(table, latency=D, name=f"naive-D{D:g}")
        extra[f"hold-D{D:g}"] = HoldForMessage(latency=D, name=f"hold-D{D:g}")
    from qcoord.compile import estimate_costs
    from qcoord.entanglement import presets
    from qcoord.system import power

    # the same game with costs estimated at the scenario's load (compile -> solve -> simulate)
    tick("estimate costs at load", 0, 1)
    est = estimate_costs(sc, cfg.lam, seed=root + 1, restarts=cfg.restarts)
    est_sol = solve(compile_game(sc, cfg.lam, costs=est), npa_level=None, nonsignaling=False, restarts=cfg.restarts, seed=root)
    extra["entangled-estimated"] = to_policy(est_sol, "entangled", name="entangled-estimated")
    tick("estimate costs at load", 1, 1)
    # the entangled strategy fed by real link presets (time unit: 1 s of mean demand)
    links = {"memory link (Knaut 2024 preset)": "entangled-memory", "streaming link preset": "entangled-streaming"}
    extra["entangled-memory"] = to_policy(head, "entangled", source=presets.memory_preset(time_unit=LINK_TIME_UNIT), name="entangled-memory")
    extra["entangled-streaming"] = to_policy(head, "entangled", source=presets.streaming_preset(time_unit=LINK_TIME_UNIT), name="entangled-streaming")

    labels = [power_label(k) for k in cfg.powers]
    baselines = {lb: power(k) for lb, k in zip(labels, cfg.powers)}
    # every entangled point is compared with local mixtures simulated at its own mean waiting
    match = ["entangled", "entangled-estimated", *ent_names, *(f"entangled-v{v:g}" for v in cfg.visibilities), *links.values()]
    run = run_point(
        sc, DEFAULT_CLASSES, solution=head, extra_policies=extra, baselines=baselines, match=match, progress=progress
    )

    # ---------------------------------------------------------------- claims
    claims = [claim_convex_gain(run)]
    lin = power_label(1.0) if 1.0 in cfg.powers else None
    if lin is None:
        raise ValueError("powers: must include 1 (the linear control)")
    claims.append(control_linear(run, baseline=lin))
    claims.append(claim_convexity(run, cfg.powers, labels))
    claims.append(claim_middle_p(run, cfg.lams, sols))
    claims.append(claim_visibility(run, cfg.visibilities, v_crit))
    c6, delay = claim_latency(run, cfg.latencies, ent_names)
    claims.append(c6)
    tick("np control", 0, 1)
    claims.append(claim_np_control(sc, cfg.lam, restarts=cfg.restarts, seed=root))
    tick("np control", 1, 1)
    claims.append(scope_asymmetric(run, cfg.powers, labels))
    claims.append(
        scope_estimated_costs(run, "entangled-estimated", {"converged": est.converged, "iterations": est.iterations,
                                                           "history": list(est.history), "advantage": est_sol.advantage})
    )
    claims.append(scope_links(run, links, LINK_TIME_UNIT))
    if cfg.backlog:
        claims.append(scope_backlog(sc, cfg, seed=root, progress=progress))
    else:
        from .results import ClaimResult

        claims.append(
            ClaimResult(
                key="scope_backlog",
                title="Scope: utilisation 0.3, servers that see their own busy flag",
                held=None,
                figure="not evaluated in this run (reduced run); the full `qcoord demo` runs it.",
                seed=root,
            )
        )

    # ---------------------------------------------------------------- figures' data
    m = run.metrics["baseline"]
    sym = sorted([n for n in run.local_names if n.endswith(":sym")], key=lambda n: float(np.mean(m[n]["mean_waiting"])))
    asym = sorted([n for n in run.local_names if n.endswith(":asym")], key=lambda n: float(np.mean(m[n]["mean_waiting"])))
    curves = {
        "local, role-symmetric": _curve(run, sym),
        "local, role-asymmetric": _curve(run, asym),
        "entangled (one point per lam)": {**_curve(run, ent_names), "lam": list(cfg.lams)},
        f"naive communicate (D={sc.message_latency:g})": _curve(run, ["naive"]),
        f"hold-for-message (D={sc.message_latency:g})": _curve(run, ["hold"]),
        "oracle (D=0)": _curve(run, ["oracle"]),
    }
    c5 = next(c for c in claims if c.key == "claim5_visibility")
    pts = c5.details["points"]
    visibility = {
        "v": [p["v"] for p in pts],
        "gain": [p["gain"]["mean"] for p in pts],
        "lo": [p["gain"]["ci_low"] for p in pts],
        "hi": [p["gain"]["ci_high"] for p in pts],
        "critical": v_crit,
    }
    rows = rows_from_run(run)
    rows_t2 = rows_from_run(run, baseline=power_label(2.0)) if 2.0 in cfg.powers else []
    sol = head.to_dict()
    sol["critical_visibility"] = v_crit
    params = {k: v for k, v in sc.to_dict().items() if k != "arrival_times"}
    return StudyResult(
        scenario={**params, "baseline": str(sc.baseline)},
        table=rows,
        claims=claims,
        curves=curves,
        visibility=visibility,
        delay=delay,
        solution=sol,
        seed=root,
        quick=bool(quick),
        seconds=time.perf_counter() - t_start,
        extra={"config": cfg.to_dict(), "table_t2": rows_t2},
    )
