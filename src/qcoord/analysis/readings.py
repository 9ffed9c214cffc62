r"""The readings of a Pareto gain over the best-local benchmark, each paired over replications.

A policy at (mean waiting :math:`W_e`, throughput :math:`T_e`, restart rate :math:`R_e`, split
probability :math:`p_e`) is compared, in every replication :math:`r`, with the benchmark arms'
points of the same replication (common random numbers):

throughput at equal waiting
    :math:`(T_e - \hat T(W_e)) / \hat T(W_e)`, :math:`\hat T` = upper concave envelope of the
    benchmark's (W, T) points, non-decreasing part (block time-sharing of local rules on a shared
    clock reaches every chord, without communication). Undefined (dropped) in a replication where
    :math:`W_e` is below every benchmark point.
mean waiting at equal throughput
    :math:`(\hat W(T_e) - W_e) / \hat W(T_e)`, :math:`\hat W` = the inverse of that envelope: the least
    waiting at which the benchmark reaches throughput :math:`T_e` (the first point's waiting if
    :math:`T_e` is below it; undefined where :math:`T_e` exceeds every benchmark point).
restarts at equal waiting
    :math:`(\hat R(W_e) - R_e) / \hat R(W_e)`: restarts (interruptions of an idle baseline run, per
    unit time) avoided, :math:`\hat R` = lower convex envelope of the benchmark's (W, R) points,
    non-increasing part. Independent of ``T``.
waiting at equal restart rate
    :math:`(\hat W_R(R_e) - W_e) / \hat W_R(R_e)`: the same restarts/waiting trade read along the other
    axis, :math:`\hat W_R` = lower convex envelope of the benchmark's (R, W) points, non-increasing part
    (undefined where :math:`R_e` is below every benchmark point). Independent of ``T``.
waiting at equal split probability
    :math:`(\hat W_p(p_e) - W_e) / \hat W_p(p_e)`, :math:`\hat W_p` = lower convex envelope of (p, W).

Positive = in favour of the policy for every reading. Each is summarised by its mean over the
comparable replications and the paired 95% t interval (:func:`qcoord.system.estimate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..system.result import Estimate, estimate
from .stats import AnalysisError, envelope_at, frontier_values, lower_envelope, upper_envelope

__all__ = [
    "ParetoGain",
    "READINGS",
    "pareto_readings",
    "throughput_at_equal_waiting",
    "waiting_at_equal_throughput",
    "restarts_at_equal_waiting",
    "waiting_at_equal_restarts",
    "waiting_at_equal_split",
    "frontier_difference",
]

#: References smaller than this make a relative reading meaningless (undefined there).
_TINY = 1e-12

#: Names of the readings, in the order the report gives them.
READINGS: tuple[str, ...] = (
    "throughput_at_equal_waiting",
    "waiting_at_equal_throughput",
    "restarts_at_equal_waiting",
    "waiting_at_equal_restarts",
    "waiting_at_equal_split",
)


def _shape(points: ArrayLike, target: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    P = np.atleast_2d(np.asarray(points, dtype=float))
    t = np.atleast_1d(np.asarray(target, dtype=float))
    if P.shape[0] != t.shape[0]:
        raise AnalysisError(f"points: need one row per replication ({t.shape[0]}), got shape {P.shape}")
    if P.shape[1] == 0:
        raise AnalysisError("points: the benchmark has no arm")
    return P, t


def throughput_at_equal_waiting(
    W: ArrayLike, T: ArrayLike, w: ArrayLike, t: ArrayLike, *, front: str = "concave"
) -> NDArray[np.float64]:
    """Per-replication relative throughput gain at equal waiting (module notes).

    ``front="concave"``: upper concave envelope; ``"pareto"``: the Pareto front of the points,
    interpolated between neighbours (what per-pair coins reach; the secondary benchmark).
    """
    W, w = _shape(W, w)
    T, t = _shape(T, t)
    ref = frontier_values(W, T, w, "upper" if front == "concave" else "pareto")
    ok = np.isfinite(ref) & (np.abs(ref) > _TINY)
    return np.where(ok, (t - ref) / np.where(ok, np.abs(ref), 1.0), np.nan)


def waiting_at_equal_throughput(W: ArrayLike, T: ArrayLike, w: ArrayLike, t: ArrayLike) -> NDArray[np.float64]:
    """Per-replication relative waiting saved at equal throughput (module notes)."""
    W, w = _shape(W, w)
    T, t = _shape(T, t)
    out = np.full(w.shape, np.nan)
    for r in range(w.size):
        we, te = upper_envelope(W[r], T[r])
        if t[r] > te[-1] + 1e-15:
            continue  # the benchmark never reaches this throughput
        ref = float(we[0]) if t[r] <= te[0] else float(np.interp(t[r], te, we))
        if ref > _TINY:
            out[r] = (ref - w[r]) / ref
    return out


def _saved_on_lower_envelope(X: ArrayLike, Y: ArrayLike, x: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """Per replication ``(Y_env(x) - y) / Y_env(x)``, ``Y_env`` = lower convex envelope of (X, Y), non-increasing part.

    Left of the envelope (``x`` below every point) the reading is undefined; right of its least ``Y``
    the envelope is that least value (moving further along ``X`` is never needed).
    """
    X, x = _shape(X, x)
    Y, y = _shape(Y, y)
    out = np.full(x.shape, np.nan)
    for r in range(x.size):
        xe, ye = lower_envelope(X[r], Y[r])
        k = int(np.argmin(ye))
        ref = envelope_at(xe[: k + 1], ye[: k + 1], x[r])
        if np.isfinite(ref) and ref > _TINY:
            out[r] = (ref - y[r]) / ref
    return out


def restarts_at_equal_waiting(W: ArrayLike, R: ArrayLike, w: ArrayLike, rr: ArrayLike) -> NDArray[np.float64]:
    """Per-replication relative restarts avoided at equal waiting (module notes)."""
    return _saved_on_lower_envelope(W, R, w, rr)


def waiting_at_equal_restarts(R: ArrayLike, W: ArrayLike, rr: ArrayLike, w: ArrayLike) -> NDArray[np.float64]:
    """Per-replication relative waiting saved at equal restart rate (module notes)."""
    return _saved_on_lower_envelope(R, W, rr, w)


def waiting_at_equal_split(P: ArrayLike, W: ArrayLike, p: ArrayLike, w: ArrayLike) -> NDArray[np.float64]:
    """Per-replication relative waiting saved at equal split probability (module notes)."""
    P, p = _shape(P, p)
    W, w = _shape(W, w)
    ref = frontier_values(P, W, p, "lower")
    ok = np.isfinite(ref) & (ref > _TINY)
    return np.where(ok, (ref - w) / np.where(ok, ref, 1.0), np.nan)


def frontier_difference(
    W_a: ArrayLike, T_a: ArrayLike, W_b: ArrayLike, T_b: ArrayLike, w: ArrayLike, t: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two frontiers against one policy at its own waiting: ``(T_a_env(w) - t, T_b_env(w) - t)``.

    Relative to ``t`` per replication; used for "entangled frontier minus communicating" and
    "best local minus communicating" (claim 6).
    """
    W_a, w = _shape(W_a, w)
    T_a, t = _shape(T_a, t)
    W_b, _ = _shape(W_b, w)
    T_b, _ = _shape(T_b, t)
    da = np.full(w.shape, np.nan)
    db = np.full(w.shape, np.nan)
    for r in range(w.size):
        for P, Q, out in ((W_a, T_a, da), (W_b, T_b, db)):
            xe, ye = upper_envelope(P[r], Q[r])
            ref = envelope_at(xe, ye, w[r], extrapolate="clamp")
            out[r] = (ref - t[r]) / abs(t[r]) if t[r] != 0 else np.nan
    return da, db


@dataclass(frozen=True)
class ParetoGain:
    """Every reading of one policy's gain over one benchmark (module notes).

    Attributes
    ----------
    target : str
        The arm compared.
    benchmark : str
        What it is compared with, in words (e.g. "concave envelope of every local rule and mixture").
    baseline : str
        The ``T`` label.
    readings : dict name -> Estimate
        Relative readings of :data:`READINGS` (fractions; positive = in favour of the target).
    per_replication : dict name -> ndarray
        The per-replication values behind each reading (nan = not comparable there).
    throughput_abs : Estimate
        Absolute throughput gain at equal waiting (output per unit time).
    pareto_front : Estimate
        Relative throughput gain at equal waiting against the Pareto front of the benchmark's
        simulated points (what per-pair coins reach; secondary).
    target_waiting, target_throughput : Estimate
    n_benchmark : int
        Benchmark arms used.
    excluded : dict arm -> reason
        Benchmark arms left out (throughput not a stationary rate under this ``T``).
    """

    target: str
    benchmark: str
    baseline: str
    readings: dict[str, Estimate]
    per_replication: dict[str, NDArray[np.float64]] = field(repr=False)
    throughput_abs: Estimate
    pareto_front: Estimate
    target_waiting: Estimate
    target_throughput: Estimate
    n_benchmark: int
    excluded: dict[str, str] = field(default_factory=dict)

    @property
    def throughput(self) -> Estimate:
        """Relative throughput gain at equal waiting."""
        return self.readings["throughput_at_equal_waiting"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (estimates as dicts)."""
        return {
            "target": self.target,
            "benchmark": self.benchmark,
            "baseline": self.baseline,
            "readings": {k: v.to_dict() for k, v in self.readings.items()},
            "throughput_abs": self.throughput_abs.to_dict(),
            "pareto_front": self.pareto_front.to_dict(),
            "target_waiting": self.target_waiting.to_dict(),
            "target_throughput": self.target_throughput.to_dict(),
            "n_benchmark": self.n_benchmark,
            "excluded": dict(self.excluded),
        }


def pareto_readings(run: Any, target: Any, benchmark: Sequence[Any], *, baseline: str = "baseline",
                    description: str = "", excluded: dict[str, str] | None = None,
                    waiting_metric: str = "mean_waiting") -> ParetoGain:
    """Every reading of ``target``'s gain over the ``benchmark`` arms of ``run`` under ``baseline``.

    Parameters
    ----------
    run : qcoord.analysis.Run
    target : Arm or str
    benchmark : sequence of Arm
        Usually ``run.benchmark(baseline)[0]`` (stationary local and shared arms).
    baseline : str
        The ``T`` label (restarts, waiting and split do not depend on it).
    description : str
        The benchmark in words (kept for the report).
    excluded : dict, optional
        Benchmark arms left out and why (kept for the report).
    waiting_metric : str
        The metric read as "waiting" (default ``mean_waiting``; the N-server study also reads the
        fork-join ``mean_response_excess`` this way).
    """
    if not benchmark:
        raise AnalysisError("benchmark: no stationary benchmark arm to compare with")
    W = run.points(benchmark, waiting_metric)
    T = run.points(benchmark, "throughput", baseline)
    R = run.points(benchmark, "interruption_rate")
    P = run.points(benchmark, "split_prob")
    w = run.values(target, waiting_metric)
    t = run.values(target, "throughput", baseline)
    rr = run.values(target, "interruption_rate")
    p = run.values(target, "split_prob")
    per = {
        "throughput_at_equal_waiting": throughput_at_equal_waiting(W, T, w, t),
        "waiting_at_equal_throughput": waiting_at_equal_throughput(W, T, w, t),
        "restarts_at_equal_waiting": restarts_at_equal_waiting(W, R, w, rr),
        "waiting_at_equal_restarts": waiting_at_equal_restarts(R, W, rr, w),
        "waiting_at_equal_split": waiting_at_equal_split(P, W, p, w),
    }
    rel = per["throughput_at_equal_waiting"]
    ref = np.where(np.isfinite(rel), t / (1.0 + rel), np.nan)
    name = getattr(target, "name", target)
    return ParetoGain(
        target=str(name),
        benchmark=description,
        baseline=baseline,
        readings={k: estimate(v, drop_nonfinite=True) for k, v in per.items()},
        per_replication=per,
        throughput_abs=estimate(t - ref, drop_nonfinite=True),
        pareto_front=estimate(throughput_at_equal_waiting(W, T, w, t, front="pareto"), drop_nonfinite=True),
        target_waiting=estimate(w),
        target_throughput=estimate(t),
        n_benchmark=len(benchmark),
        excluded=dict(excluded or {}),
    )
