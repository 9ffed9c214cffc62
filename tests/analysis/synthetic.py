"""Synthetic runs for unit tests of the study layer: arms and per-replication metrics made by hand.

No simulation: each arm is given its mean waiting, throughput (per baseline), restart rate and split
probability per replication, so a test states exactly the situation a claim must judge.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from qcoord.analysis import Arm, Run
from qcoord.system import Scenario, power, setup

R = 8  # replications
SPAN = 1.0e4  # statistics window length


def arm(name: str, family: str = "local", sym: bool = True, headline: bool = False, **params: Any) -> Arm:
    """An arm whose policy is a stand-in with the right name."""
    return Arm(name, SimpleNamespace(name=name), family, sym, params, headline=headline)


def make_run(spec: dict[Arm, dict[str, Any]], *, baselines: dict[str, Any] | None = None, scenario: Any = None,
             noise: float = 0.0, seed: int = 0) -> Run:
    """A run with the given arms; ``spec[arm]`` maps metric -> value (scalar or (R,) array).

    ``throughput`` may be a dict ``baseline label -> value``; missing metrics get harmless defaults
    (no ill-defined arm). ``noise`` adds the same N(0, noise) draw per replication to every arm's
    throughput and waiting (common random numbers), so paired differences stay exact.
    """
    rng = np.random.default_rng(seed)
    common_t = rng.normal(0, noise, R)
    common_w = rng.normal(0, noise, R)
    sc = scenario if scenario is not None else Scenario(baseline=setup(2.0), replications=R, n_pairs=1000, warmup=100)
    bl = {"baseline": sc.baseline, **{k: v for k, v in (baselines or {}).items()}}
    arms = tuple(spec)
    metrics: dict[str, list[np.ndarray]] = {}

    def put(key: str, value: Any) -> None:
        metrics.setdefault(key, []).append(np.broadcast_to(np.asarray(value, dtype=float), (R,)).astype(float))

    for a in arms:
        m = spec[a]
        t = m.get("throughput", 1.0)
        tt = t if isinstance(t, dict) else {"baseline": t}
        for label in bl:
            key = "throughput" if label == "baseline" else f"throughput[{label}]"
            put(key, np.asarray(tt.get(label, tt.get("baseline", 1.0)), dtype=float) + common_t)
        put("mean_waiting", np.asarray(m.get("mean_waiting", 0.3), dtype=float) + common_w)
        put("interruption_rate", m.get("interruption_rate", 0.1))
        put("split_prob", m.get("split_prob", 0.5))
        put("longest_idle_run", m.get("longest_idle_run", 50.0))
        put("drain_time", m.get("drain_time", 1.0))
        for k in ("waiting_p50", "waiting_p95", "waiting_p99", "utilisation"):
            put(k, m.get(k, 0.1))
    window = np.tile([0.0, SPAN], (R, 1))
    return Run(sc, arms, {k: np.stack(v) for k, v in metrics.items()}, window, bl)


def local_line(n: int = 5, w0: float = 0.1, w1: float = 0.6, t0: float = 1.4, t1: float = 1.7, sym: bool = True,
               prefix: str = "rule") -> dict[Arm, dict[str, Any]]:
    """``n`` local arms on a concave curve from (w0, t0) to (w1, t1); restarts fall as waiting grows."""
    ws = np.linspace(w0, w1, n)
    ts = t0 + (t1 - t0) * np.sqrt((ws - w0) / (w1 - w0))
    return {arm(f"{prefix}{i}{'s' if sym else 'a'}", "local", sym): {"mean_waiting": w, "throughput": t,
                                                                     "interruption_rate": 0.2 - 0.1 * (w - w0) / (w1 - w0),
                                                                     "split_prob": 1 - (w - w0) / (w1 - w0)}
            for i, (w, t) in enumerate(zip(ws, ts))}


def power_baselines() -> dict[str, Any]:
    """t^1 and t^2 as extra baselines."""
    return {"t^1": power(1.0), "t^2": power(2.0)}
