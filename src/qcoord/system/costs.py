"""Closed-form pair costs at low load: the one source of truth the game compiler uses.

When both servers are idle at the pair's arrival (time 0), the total waiting of the pair's two
customers (waiting = completion - arrival - own demand, hand-off delay included) depends only on the
two demands ``s_a`` (customer that arrived at server A), ``s_b`` and the two decisions:

================  =====================================================================
KEEP / KEEP       split: each server serves its own customer at once; total 0.
FORWARD/FORWARD   swap: each customer reaches the other (idle) server after ``d``; total ``2 d``.
KEEP / FORWARD    consolidation at A: the kept customer starts at 0, the forwarded one joins at ``d``.
                  ``srpt``: :math:`d + \\min(s_{fwd}, \\max(s_{keep} - d, 0))` (the forwarded customer
                  preempts iff it is shorter than the keeper's remaining work; ties keep the keeper).
                  ``np`` / ``fcfs``: :math:`d + \\max(s_{keep} - d, 0)` (it waits for the keeper).
FORWARD / KEEP    consolidation at B, the same with the roles of ``s_a`` and ``s_b`` exchanged.
================  =====================================================================

These are exactly what the simulator produces for an isolated pair (tested), with ``d`` the scenario's
``handoff_delay``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._kernels import discipline_code
from .interface import FORWARD, KEEP

__all__ = ["pair_waiting_low_load", "consolidation_waiting"]


def consolidation_waiting(
    s_keep: ArrayLike, s_fwd: ArrayLike, d: float, discipline: str
) -> NDArray[np.float64]:
    """Total waiting of a consolidated pair at an idle server (see the module table).

    Parameters
    ----------
    s_keep, s_fwd : array_like
        Demands of the kept customer and of the forwarded one (broadcast together).
    d : float
        Hand-off delay, >= 0.
    discipline : {"srpt", "np", "fcfs"}

    Returns
    -------
    ndarray of float64
        Total waiting of the two customers (time units): ``srpt``
        :math:`d + \\min(s_{fwd}, \\max(s_{keep} - d, 0))`; ``np`` / ``fcfs``
        :math:`d + \\max(s_{keep} - d, 0)`.
    """
    code = discipline_code(discipline)
    if not d >= 0:
        raise ValueError(f"d: must be >= 0, got {d}")
    sk = np.asarray(s_keep, dtype=np.float64)
    sf = np.asarray(s_fwd, dtype=np.float64)
    residual = np.maximum(sk - d, 0.0)
    if code == 0:
        return d + np.minimum(sf, residual)
    return d + residual + 0.0 * sf


def pair_waiting_low_load(
    s_a: ArrayLike,
    s_b: ArrayLike,
    dec_a: ArrayLike,
    dec_b: ArrayLike,
    d: float,
    discipline: str = "srpt",
) -> NDArray[np.float64]:
    """Total waiting of the pair's two customers when both servers are idle at arrival.

    Parameters
    ----------
    s_a, s_b : array_like
        Demands of the customers that arrived at server A and at server B (time units).
    dec_a, dec_b : array_like of int
        Decisions ``KEEP = 0`` / ``FORWARD = 1`` of A about its customer and of B about its customer.
    d : float
        Hand-off delay (>= 0).
    discipline : {"srpt", "np", "fcfs"}

    Returns
    -------
    ndarray
        Total waiting (time units), broadcast over all inputs: 0 for a split, ``2 d`` for a swap, the
        consolidation cost of :func:`consolidation_waiting` otherwise.
    """
    sa, sb, da, db = np.broadcast_arrays(
        np.asarray(s_a, dtype=np.float64),
        np.asarray(s_b, dtype=np.float64),
        np.asarray(dec_a),
        np.asarray(dec_b),
    )
    if not (np.isin(da, (KEEP, FORWARD)).all() and np.isin(db, (KEEP, FORWARD)).all()):
        raise ValueError("dec_a, dec_b: decisions must be KEEP (0) or FORWARD (1)")
    at_a = consolidation_waiting(sa, sb, d, discipline)
    at_b = consolidation_waiting(sb, sa, d, discipline)
    out = np.where(
        (da == KEEP) & (db == KEEP),
        0.0,
        np.where((da == FORWARD) & (db == FORWARD), 2.0 * d, np.where(da == KEEP, at_a, at_b)),
    )
    return np.asarray(out, dtype=np.float64)
