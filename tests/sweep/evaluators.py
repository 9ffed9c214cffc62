"""Point evaluators for testing the sweep machinery without the full analysis stack.

``queue_evaluator`` is a small but real computation: for every strategy class it simulates the
waiting times of an FCFS M/M/1-type queue by the Lindley recursion (vectorised: with the random
walk ``X_n = sum_{k<n} (S_k - A_{k+1})``, ``W_n = X_n - min_{k<=n} X_k``), on common random
numbers drawn from ``SeedSequence(seed).spawn(replications)``. Class ``"local"`` serves demands
``S ~ Exp(1)``; class ``"entangled"`` serves ``S * (0.8 + handoff_delay)`` (faster for
``handoff_delay < 0.2``, slower above). Its rows carry a ``gain`` (reduction of mean waiting
against ``"local"``, paired across replications) with a 95% CI, so heatmaps have a region with
and one without advantage. For ``"local"`` the mean waiting must match the M/M/1 closed form
``W_q = L / (1 - L)``; ``test_evaluators.py`` checks that.
"""

from __future__ import annotations

import time

import numpy as np

FACTORS = {"local": lambda d: 1.0, "entangled": lambda d: 0.8 + d}
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def _ci(x: np.ndarray) -> float:
    n = len(x)
    if n < 2:
        return float("nan")
    return float(T95.get(n - 1, 1.96) * np.std(x, ddof=1) / np.sqrt(n))


def queue_evaluator(scenario, classes, *, replications, seed, pause=0.0, scale=1.0):
    """Rows per class (see module notes). Options: ``pause`` seconds of sleep per point (slow
    points for kill/resume and batching tests), ``scale`` multiplies every demand."""
    lam = float(scenario.get("arrival_rate", 0.1))
    d = float(scenario.get("handoff_delay", 0.1))
    n = int(scenario.get("n_pairs", 20_000))
    for c in classes:
        if c not in FACTORS:
            raise ValueError(f"classes: unknown class {c!r}; allowed: {sorted(FACTORS)}")
    waits = {c: np.empty(replications) for c in classes}
    for r, child in enumerate(np.random.SeedSequence(seed).spawn(replications)):
        rng = np.random.default_rng(child)
        gaps = rng.exponential(1.0 / lam, size=n)
        base = rng.exponential(1.0, size=n)
        for c in classes:
            s = base * FACTORS[c](d) * float(scale)
            x = np.concatenate(([0.0], np.cumsum(s[:-1] - gaps[1:])))
            w = x - np.minimum.accumulate(x)
            waits[c][r] = w.mean()
    rows = []
    for c in classes:
        row = {"class": c, "mean_waiting": float(waits[c].mean()), "mean_waiting_ci": _ci(waits[c]),
               "utilisation": lam * FACTORS[c](d) * float(scale)}
        if c != "local" and "local" in classes:
            diff = waits["local"] - waits[c]
            h = _ci(diff)
            row.update(gain=float(diff.mean()), gain_ci_low=float(diff.mean() - h), gain_ci_high=float(diff.mean() + h))
        rows.append(row)
    if pause:
        time.sleep(float(pause))
    return rows


def failing_evaluator(scenario, classes, *, replications, seed):  # no options
    """Fails on points with arrival_rate >= 0.5 (error propagation)."""
    if float(scenario.get("arrival_rate", 0)) >= 0.5:
        raise ZeroDivisionError("synthetic failure")
    return queue_evaluator(scenario, classes, replications=replications, seed=seed)


def trivial_evaluator(scenario, classes, *, replications, seed):
    """Constant-time rows (no simulation): for measuring the sweep machinery itself on big grids."""
    x = float(scenario.get("arrival_rate", 0.0))
    return [{"class": c, "value": x, "seed_mod": seed % 997} for c in classes]


def slow_trivial_evaluator(scenario, classes, *, replications, seed, pause=0.2):
    """:func:`trivial_evaluator` after ``pause`` seconds of sleep (kill, lock and orphan tests)."""
    time.sleep(float(pause))
    return trivial_evaluator(scenario, classes, replications=replications, seed=seed)


class FakeClock:
    """A clock that only moves when told to: evaluation times without waiting for real time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
