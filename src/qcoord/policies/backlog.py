"""Own-backlog observation: the sequential decision pass and its plain-Python reference.

Model
-----
When ``scenario.backlog_levels = (θ_1 < ... < θ_{L-1})`` is non-empty, each server observes, at every
pair arrival ``t_n``, its own *unfinished work* :math:`W_j(t_n^-)` (total remaining demand of the
customers already in its queue, in units of mean demand), thresholded into a level

.. math:: \\ell_j(n) = \\#\\{k : W_j(t_n^-) > θ_k\\} \\in \\{0, \\dots, L-1\\}.

``backlog_levels = (0.0,)`` is the busy flag (level 1 iff the server has work). A customer counts
towards its destination's workload from its *release* time on (customers in transit — forwarded with
delay ``d`` or held for a message — join when they are released, not before), and work drains at rate
1 while positive. For work-conserving disciplines (srpt, np, fcfs) the workload does not depend on
the discipline, so the pass needs no queue model. The customers of the pair being decided are not part
of its own observation; releases of earlier pairs at exactly ``t_n`` are.

Because decisions change future workloads, the levels are computed in one pass over pairs in time
order (:func:`backlog_pass`, a numba kernel). Decisions enter as tables of every *hypothetical* level
combination, ``table[n, j, l0, l1]``, built vectorised beforehand by calling each server's local rule
with the constant hypothetical level of that server; locality is preserved because the tables of a
local rule for server ``j`` do not depend on the other server's level (a correlated resource's outcome
for ``j`` may, through the joint sampler, exactly as for class questions).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._kernels import backlog_pass_kernel
from .errors import PolicyError

__all__ = ["backlog_pass", "backlog_pass_reference", "workload_levels"]


def _check(arrival, demand, table, offset, thresholds):
    arrival = np.ascontiguousarray(arrival, dtype=np.float64)
    demand = np.ascontiguousarray(demand, dtype=np.float64)
    table = np.ascontiguousarray(table, dtype=np.int8)
    offset = np.ascontiguousarray(offset, dtype=np.float64)
    thresholds = np.ascontiguousarray(thresholds, dtype=np.float64).reshape(-1)
    n = arrival.shape[0]
    L = thresholds.shape[0] + 1
    if demand.shape != (n, 2):
        raise PolicyError(f"demand: must have shape ({n}, 2), got {demand.shape}")
    if table.shape != (n, 2, L, L):
        raise PolicyError(f"table: must have shape ({n}, 2, {L}, {L}), got {table.shape}")
    if offset.shape != (n, 2, 2):
        raise PolicyError(f"offset: must have shape ({n}, 2, 2), got {offset.shape}")
    if n and np.any(np.diff(arrival) < 0):
        raise PolicyError("arrival: must be non-decreasing")
    if thresholds.size and np.any(np.diff(thresholds) <= 0):
        raise PolicyError(f"backlog_levels: must be strictly increasing, got {tuple(thresholds)}")
    if table.size and (table.min() < 0 or table.max() > 1):
        raise PolicyError("table: decisions must be 0 (KEEP) or 1 (FORWARD)")
    if np.any(offset < 0):
        raise PolicyError("offset: release offsets must be >= 0")
    return arrival, demand, table, offset, thresholds


def backlog_pass(
    arrival: NDArray[np.float64],
    demand: NDArray[np.float64],
    table: NDArray[np.int8],
    offset: NDArray[np.float64],
    thresholds: NDArray[np.float64] | tuple[float, ...],
) -> tuple[NDArray[np.int8], NDArray[np.int64]]:
    """State-dependent decisions from each server's own workload level (numba).

    Parameters
    ----------
    arrival : ndarray, shape (n,)
        Pair arrival times, non-decreasing.
    demand : ndarray, shape (n, 2)
        ``demand[n, j]``: demand of the customer that arrived at server ``j``.
    table : ndarray of int8, shape (n, 2, L, L)
        ``table[n, j, l0, l1]``: decision of server ``j`` (0 KEEP, 1 FORWARD) if server 0 is at level
        ``l0`` and server 1 at level ``l1``.
    offset : ndarray, shape (n, 2, 2)
        ``offset[n, j, dec]``: time after ``arrival[n]`` at which customer ``j`` joins its destination
        (the server itself if KEEP, the other one if FORWARD).
    thresholds : sequence of float, length L - 1
        Strictly increasing workload thresholds (``scenario.backlog_levels``).

    Returns
    -------
    decision : ndarray of int8, shape (n, 2)
    level : ndarray of int64, shape (n, 2)
        The observed level of each server at each pair arrival.
    """
    args = _check(arrival, demand, table, offset, thresholds)
    return backlog_pass_kernel(*args)


def workload_levels(releases: list[tuple[float, int, float]], t: float, thresholds) -> list[int]:
    """Reference: the level of each server at time ``t`` from the full list of released customers.

    Recomputes each server's workload from scratch with the Lindley recursion over its releases at
    times ``<= t`` (in time order): :math:`W \\leftarrow \\max(W - \\Delta t, 0) + s`.
    """
    levels = []
    for server in (0, 1):
        own = sorted((r, s) for (r, dest, s) in releases if dest == server and r <= t)
        w, last = 0.0, None
        for r, s in own:
            if last is not None:
                w = max(w - (r - last), 0.0)
            w += s
            last = r
        if last is not None:
            w = max(w - (t - last), 0.0)
        levels.append(sum(1 for th in thresholds if w > th))
    return levels


def backlog_pass_reference(arrival, demand, table, offset, thresholds) -> tuple[NDArray[np.int8], NDArray[np.int64]]:
    """Plain-Python reference of :func:`backlog_pass` (quadratic time; for tests only).

    Same parameters and returns as :func:`backlog_pass`; at every arrival it recomputes each server's
    unfinished work from scratch over all releases so far (:func:`workload_levels`, the Lindley
    recursion), independently of the kernel's incremental bookkeeping.
    """
    arrival, demand, table, offset, thresholds = _check(arrival, demand, table, offset, thresholds)
    n = arrival.shape[0]
    dec = np.zeros((n, 2), dtype=np.int8)
    lev = np.zeros((n, 2), dtype=np.int64)
    releases: list[tuple[float, int, float]] = []
    for i in range(n):
        t = float(arrival[i])
        l0, l1 = workload_levels(releases, t, [float(x) for x in thresholds])
        lev[i] = (l0, l1)
        for j in (0, 1):
            dj = int(table[i, j, l0, l1])
            dec[i, j] = dj
            releases.append((t + float(offset[i, j, dj]), j if dj == 0 else 1 - j, float(demand[i, j])))
    return dec, lev
