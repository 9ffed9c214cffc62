"""Statistics on per-replication results: CIs, frontiers and matching at equal waiting.

All functions work on plain arrays whose first axis is the replication. Replications share their
random inputs across policies (common random numbers), so a difference between two policies is
computed *per replication* and its confidence interval is the t interval of those paired
differences; this cancels most of the input noise.

Matching at equal mean waiting
------------------------------
A class's frontier in the (mean waiting W, baseline throughput T) plane is the upper concave
envelope of its simulated points: time-sharing two policies by a shared random coin with weights
(1 - w, w) reaches, at low load, the chord between them, so every point under the envelope is
reachable. The throughput gain of a policy at (W_e, T_e) over that class at equal waiting is

.. math::

    G = T_e - \\hat T(W_e), \\qquad \\hat T = \\text{upper concave envelope, evaluated at } W_e,

computed in every replication with that replication's own envelope, then averaged with a paired
95% t interval.

Confidence intervals
--------------------
:class:`Estimate` and :func:`estimate` are those of :mod:`qcoord.system.result` (re-exported here):
one definition of the t interval for the whole package. With one replication the half width is
``inf`` (nothing is significant). Gains that are not comparable in a replication (target left of
the frontier) are ``nan`` there and are dropped (``estimate(..., drop_nonfinite=True)``); ``n``
counts the comparable replications.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..system.result import Estimate, estimate

__all__ = [
    "AnalysisError",
    "Estimate",
    "estimate",
    "upper_envelope",
    "pareto_front",
    "lower_envelope",
    "envelope_at",
    "gain_at_equal",
    "frontier_values",
]


class AnalysisError(ValueError):
    """Bad input to an analysis routine; the message names the field and the allowed range."""


def _finite_points(x: ArrayLike, y: ArrayLike, what: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The points ``(x, y)`` (flattened) where both coordinates are finite; ``AnalysisError`` if none."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        raise AnalysisError(f"points: need at least one finite {what} point")
    return x[ok], y[ok]


def _hull(x: NDArray[np.float64], y: NDArray[np.float64], upper: bool) -> NDArray[np.int64]:
    """Indices of the upper (or lower) convex hull of points, sorted by x (monotone chain)."""
    order = np.lexsort((-y if upper else y, x))
    pts: list[int] = []
    sgn = 1.0 if upper else -1.0
    for i in order:
        if pts and x[pts[-1]] == x[i]:
            continue  # same x: the first one has the best y
        while len(pts) >= 2:
            i0, i1 = pts[-2], pts[-1]
            cross = (x[i1] - x[i0]) * (y[i] - y[i0]) - (y[i1] - y[i0]) * (x[i] - x[i0])
            if sgn * cross >= 0:  # i1 is not strictly above the chord i0 -> i
                pts.pop()
            else:
                break
        pts.append(int(i))
    return np.asarray(pts, dtype=np.int64)


def upper_envelope(w: ArrayLike, t: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Upper concave envelope of points ``(w, t)``, cut to its non-decreasing part.

    The non-decreasing part is the efficient frontier: beyond the point of largest ``t``, more
    waiting buys nothing (a policy can always time-share towards that point).

    Returns
    -------
    (w_env, t_env) : arrays, sorted by ``w``.
    """
    w, t = _finite_points(w, t, "(waiting, throughput)")
    idx = _hull(w, t, upper=True)
    we, te = w[idx], t[idx]
    top = int(np.argmax(te))
    return we[: top + 1].copy(), te[: top + 1].copy()


def pareto_front(w: ArrayLike, t: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Non-dominated points ``(w, t)`` (no other point has less or equal waiting and more throughput).

    Sorted by ``w``; ``t`` strictly increasing. Interpolating linearly between *consecutive*
    non-dominated points assumes time-sharing only between neighbours; with a simulated point close
    to the target (a matched mixture) this is nearly exact, unlike the concave envelope, whose long
    chords per-pair time-sharing does not reach at load.
    """
    w, t = _finite_points(w, t, "(waiting, throughput)")
    order = np.lexsort((-t, w))
    keep: list[int] = []
    best = -np.inf
    for i in order:
        if t[i] > best:
            if keep and w[keep[-1]] == w[i]:
                continue
            keep.append(int(i))
            best = t[i]
    return w[keep].copy(), t[keep].copy()


def lower_envelope(p: ArrayLike, w: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lower convex envelope of points ``(p, w)`` (least waiting at each split probability)."""
    p, w = _finite_points(p, w, "(split, waiting)")
    idx = _hull(p, w, upper=False)
    return p[idx].copy(), w[idx].copy()


def envelope_at(x_env: NDArray[np.float64], y_env: NDArray[np.float64], x: float, *, extrapolate: str = "nan") -> float:
    """Piecewise-linear evaluation of an envelope at ``x``.

    Left of the envelope (less waiting than any point of the class reaches) the value is ``nan``
    (``extrapolate="nan"``) or the first point's (``"clamp"``); right of it the largest ``y``
    (more waiting is never needed).
    """
    if x < x_env[0] - 1e-12:
        return float(y_env[0]) if extrapolate == "clamp" else float("nan")
    if x >= x_env[-1]:
        return float(y_env[-1])
    return float(np.interp(x, x_env, y_env))


def gain_at_equal(
    w_points: ArrayLike,
    t_points: ArrayLike,
    w_target: ArrayLike,
    t_target: ArrayLike,
    *,
    envelope: str = "pareto",
    relative: bool = False,
) -> tuple[Estimate, NDArray[np.float64]]:
    """Paired gain of a target policy over a class's frontier, per replication.

    Parameters
    ----------
    w_points, t_points : array, shape (R, m)
        The class's points (e.g. mean waiting and throughput of m policies) in each of R
        replications (common random numbers with the target).
    w_target, t_target : array, shape (R,)
        The target policy's coordinates in the same replications.
    envelope : {"pareto", "upper", "lower"}
        ``"pareto"`` (default): frontier = non-dominated points, linearly interpolated between
        neighbours (:func:`pareto_front`); ``"upper"``: upper concave envelope, non-decreasing part
        (assumes time-sharing reaches every chord: favourable to the reference, so a conservative
        gain); gain = ``t_target - frontier(w_target)``. ``"lower"``: frontier = lower convex envelope
        (waiting vs split probability); gain = ``frontier(w_target) - t_target`` (waiting saved).
    relative : bool
        Divide each replication's gain by the frontier value there.

    Returns
    -------
    (Estimate, per-replication gains)
    """
    W = np.atleast_2d(np.asarray(w_points, dtype=float))
    T = np.atleast_2d(np.asarray(t_points, dtype=float))
    wt = np.atleast_1d(np.asarray(w_target, dtype=float))
    tt = np.atleast_1d(np.asarray(t_target, dtype=float))
    if W.shape != T.shape or W.shape[0] != wt.shape[0] or wt.shape != tt.shape:
        raise AnalysisError(
            f"points: shapes must be (R, m), (R, m), (R,), (R,); got {W.shape}, {T.shape}, {wt.shape}, {tt.shape}"
        )
    if envelope not in ("pareto", "upper", "lower"):
        raise AnalysisError(f"envelope: must be 'pareto', 'upper' or 'lower', got {envelope!r}")
    refs = frontier_values(W, T, wt, envelope)
    gains = tt - refs if envelope in ("upper", "pareto") else refs - tt
    if relative:
        ok = np.isfinite(refs) & (refs != 0)
        gains = np.where(ok, gains / np.where(ok, refs, 1.0), gains)
    return estimate(gains, drop_nonfinite=True), gains


def frontier_values(X: NDArray[np.float64], Y: NDArray[np.float64], x: NDArray[np.float64], envelope: str) -> NDArray[np.float64]:
    """Per replication ``r``, the frontier of the points ``(X[r], Y[r])`` evaluated at ``x[r]``.

    ``envelope``: ``"upper"`` (concave envelope, non-decreasing part; :func:`envelope_at`), ``"pareto"``
    (:func:`pareto_front`), or ``"lower"`` (lower convex envelope, ``nan`` outside its range). ``nan``
    where the frontier does not reach ``x[r]``. The one evaluation behind :func:`gain_at_equal` and the
    readings of :mod:`qcoord.analysis.readings`.
    """
    refs = np.full(np.shape(x)[0], np.nan)
    for r in range(refs.size):
        if envelope in ("upper", "pareto"):
            xe, ye = upper_envelope(X[r], Y[r]) if envelope == "upper" else pareto_front(X[r], Y[r])
            refs[r] = envelope_at(xe, ye, x[r])
        else:
            xe, ye = lower_envelope(X[r], Y[r])
            if not (x[r] < xe[0] - 1e-12 or x[r] > xe[-1] + 1e-12):
                refs[r] = float(np.interp(x[r], xe, ye))
    return refs
