"""Figures of a live run and of the simulator on the same inputs, with batch-means CIs.

Definitions are the simulator's (:mod:`qcoord.system.simulate`), applied to the measured records:

- waiting of customer ``j`` of pair ``n``: ``(t_complete - t_sent) / unit - demand`` in time units,
  with ``t_sent`` the moment the load generator wrote the request and ``t_complete`` the server's
  completion timestamp (one ``CLOCK_MONOTONIC`` across processes); over pairs ``n >= warmup``;
- split probability: the pair's two customers end on different servers;
- throughput: idle runs clipped to the window ``[t0, t1]`` (arrival of pair ``warmup`` to the last
  arrival), :math:`\\sum T(\\text{run}) / (t_1 - t_0)` over both servers.

Confidence intervals: the pairs ``n >= warmup`` are cut into ``B`` consecutive batches; the batch
values :math:`x_b` (mean waiting, split fraction, throughput of the runs that end in the batch's
time window, cut half-way between consecutive batches' arrivals) give the 95% t-interval half width :math:`t_{0.975, B-1}\\, s_x / \\sqrt B`
(:func:`qcoord.system.result.estimate`), centred on the whole-window value. The difference
measured - predicted is paired batch by batch (common random numbers: same pairs), and the
*combined* CI half width is :math:`\\sqrt{h_m^2 + h_p^2}`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qcoord.system.result import Estimate, estimate

__all__ = ["Figures", "figures", "batch_bounds", "chi_square", "Comparison", "compare", "percentiles"]

METRICS = ("mean_waiting", "split_prob", "throughput")


@dataclass(frozen=True)
class Figures:
    """One policy's figures from per-customer waiting and per-server idle runs (time units).

    Attributes
    ----------
    values : dict
        ``mean_waiting``, ``waiting_p50/p95/p99``, ``split_prob``, ``throughput`` over the window.
    batches : dict
        ``metric -> ndarray (B,)`` batch values of :data:`METRICS`.
    """

    values: dict[str, float]
    batches: dict[str, NDArray[np.float64]]

    def estimate(self, metric: str) -> Estimate:
        """Whole-window value with the batch-means 95% half width."""
        e = estimate(self.batches[metric])
        return Estimate(self.values[metric], e.half_width, e.n, e.std)


def batch_bounds(n_stat: int, batches: int) -> NDArray[np.int64]:
    """Indices ``0 = b_0 < b_1 < ... < b_B = n_stat`` of ``B`` near-equal consecutive batches."""
    if batches < 2 or n_stat < 2 * batches:
        raise ValueError(f"batches: need 2 <= batches <= n_stat / 2 = {n_stat // 2}, got {batches}")
    return np.linspace(0, n_stat, batches + 1).round().astype(np.int64)


def percentiles(x: NDArray[np.float64], qs: tuple[float, ...] = (50.0, 95.0, 99.0)) -> list[float]:
    """``np.percentile`` of the finite values (``nan`` if none)."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return [float(v) for v in np.percentile(x, qs)] if x.size else [math.nan] * len(qs)


def figures(
    arrival: NDArray[np.float64],
    waiting: NDArray[np.float64],
    split: NDArray[np.bool_],
    runs: tuple[NDArray[np.float64], NDArray[np.float64]],
    baseline: Any,
    warmup: int,
    batches: int,
) -> Figures:
    """Figures of one policy.

    Parameters
    ----------
    arrival : (n,) pair arrival times (time units).
    waiting : (n, 2) waiting of each customer (time units).
    split : (n,) whether the pair was split (one customer per server).
    runs : two arrays (k, 2) of idle runs ``[start, end]`` per server (time units; ``end = inf`` for
        a run that never ended).
    baseline : :class:`qcoord.system.Baseline` (``total(runs)`` = sum of ``T``).
    warmup, batches : ints.
    """
    n = arrival.shape[0]
    t0, t1 = float(arrival[warmup]), float(arrival[-1])
    w = waiting[warmup:]
    sp = split[warmup:]
    all_runs = np.concatenate([np.asarray(r, dtype=np.float64).reshape(-1, 2) for r in runs])
    start = np.maximum(all_runs[:, 0], t0)
    end = np.minimum(all_runs[:, 1], t1)
    keep = end > start
    clipped = end[keep] - start[keep]
    p50, p95, p99 = percentiles(w.ravel())
    values = {
        "mean_waiting": float(np.mean(w)),
        "waiting_p50": p50,
        "waiting_p95": p95,
        "waiting_p99": p99,
        "split_prob": float(np.mean(sp)),
        "throughput": float(baseline.total(clipped)) / (t1 - t0),
    }
    b = batch_bounds(n - warmup, batches)
    a_stat = arrival[warmup:]
    # batch time windows cut half-way between the last arrival of a batch and the first of the next:
    # idle runs end at (or d, D after) arrivals, so a run is never split between live and simulated
    # figures by a few microseconds of live latency
    inner = 0.5 * (a_stat[b[1:-1] - 1] + a_stat[b[1:-1]])
    edges = np.concatenate(([t0], inner, [t1]))
    out: dict[str, list[float]] = {m: [] for m in METRICS}
    run_end = np.minimum(all_runs[:, 1], t1)
    for k in range(batches):
        lo, hi = b[k], b[k + 1]
        out["mean_waiting"].append(float(np.mean(w[lo:hi])))
        out["split_prob"].append(float(np.mean(sp[lo:hi])))
        a, z = edges[k], edges[k + 1]
        sel = (run_end > a) & (run_end <= z)
        seg = np.minimum(all_runs[sel, 1], t1) - np.maximum(all_runs[sel, 0], t0)
        out["throughput"].append(float(baseline.total(seg[seg > 0])) / (z - a))
    return Figures(values, {m: np.asarray(v) for m, v in out.items()})


@dataclass(frozen=True)
class Comparison:
    """Measured against predicted for one metric.

    Attributes
    ----------
    measured, predicted : Estimate
        Whole-window values with batch-means 95% half widths.
    difference : Estimate
        Measured - predicted, paired batch by batch (common random numbers).
    combined_half_width : float
        :math:`\\sqrt{h_m^2 + h_p^2}`.
    within : bool
        ``|measured - predicted| <= combined_half_width``.
    """

    measured: Estimate
    predicted: Estimate
    difference: Estimate
    combined_half_width: float
    within: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "measured": self.measured.to_dict(), "predicted": self.predicted.to_dict(),
            "difference": self.difference.to_dict(), "combined_half_width": self.combined_half_width,
            "within_combined_ci": self.within,
        }


def compare(measured: Figures, predicted: Figures, metric: str) -> Comparison:
    """:class:`Comparison` of one metric of two :class:`Figures` on the same pairs and batches."""
    m, p = measured.estimate(metric), predicted.estimate(metric)
    d = estimate(measured.batches[metric] - predicted.batches[metric])
    diff = Estimate(m.mean - p.mean, d.half_width, d.n, d.std)
    comb = math.hypot(m.half_width, p.half_width)
    return Comparison(m, p, diff, comb, bool(abs(diff.mean) <= comb))


def chi_square(observed: NDArray[np.float64], expected: NDArray[np.float64]) -> dict[str, float]:
    """Pearson chi-square of outcome counts ``[a, b, x, y]`` against expected counts.

    Each question pair ``(x, y)`` with observations is one multinomial over its four ``(a, b)``
    cells: :math:`X^2 = \\sum (O - E)^2 / E` over cells with ``E > 0`` (an observation in a cell with
    ``E = 0`` is impossible under the law: p-value 0), with ``sum_{xy} (cells_{xy} - 1)`` degrees of
    freedom; p-value = :math:`P(\\chi^2_{dof} \\ge X^2)`.
    """
    from scipy.stats import chi2

    O = np.asarray(observed, dtype=np.float64)
    E = np.asarray(expected, dtype=np.float64)
    stat, dof = 0.0, 0
    impossible = bool(((E <= 1e-12) & (O > 0)).any())
    for x in range(O.shape[2]):
        for y in range(O.shape[3]):
            o, e = O[:, :, x, y].ravel(), E[:, :, x, y].ravel()
            if o.sum() == 0:
                continue
            cells = e > 1e-12
            stat += float((((o - e) ** 2)[cells] / e[cells]).sum())
            dof += int(cells.sum()) - 1
    p = 0.0 if impossible else (float(chi2.sf(stat, dof)) if dof > 0 else 1.0)
    return {"statistic": stat, "dof": dof, "p_value": p, "n": float(O.sum())}
