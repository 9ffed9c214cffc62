"""Numba kernel: the state-dependent decision pass (own-backlog observation).

See :mod:`qcoord.policies.backlog` for the model and the plain-Python reference used in tests.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["backlog_pass_kernel"]


@njit(cache=True)
def backlog_pass_kernel(arrival, demand, table, offset, thresholds):  # pragma: no cover - compiled
    """Decide pairs in time order from each server's own workload level.

    Parameters
    ----------
    arrival : float64[n]            pair arrival times, non-decreasing
    demand : float64[n, 2]          demand of the customer that arrived at server j
    table : int8[n, 2, L, L]        decision of server j when server 0 is at level l0 and server 1 at l1
    offset : float64[n, 2, 2]       release offset of customer j given its decision (0 KEEP, 1 FORWARD)
    thresholds : float64[L - 1]     increasing workload thresholds; level = #{k : W > thresholds[k]}

    Returns
    -------
    dec : int8[n, 2], level : int64[n, 2]
    """
    n = arrival.shape[0]
    nthr = thresholds.shape[0]
    dec = np.empty((n, 2), dtype=np.int8)
    lev = np.zeros((n, 2), dtype=np.int64)
    work = np.zeros(2)
    last = np.zeros(2)
    if n > 0:
        last[0] = arrival[0]
        last[1] = arrival[0]
    cap = 64
    p_t = np.empty(cap)
    p_s = np.empty(cap, dtype=np.int64)
    p_w = np.empty(cap)
    m = 0
    for i in range(n):
        t = arrival[i]
        # Absorb every pending release with time <= t, in time order.
        while m > 0:
            k = 0
            for q in range(1, m):
                if p_t[q] < p_t[k]:
                    k = q
            if p_t[k] > t:
                break
            s = p_s[k]
            r = p_t[k]
            w = work[s] - (r - last[s])
            if w < 0.0:
                w = 0.0
            work[s] = w + p_w[k]
            last[s] = r
            m -= 1
            p_t[k] = p_t[m]
            p_s[k] = p_s[m]
            p_w[k] = p_w[m]
        for s in range(2):
            w = work[s] - (t - last[s])
            if w < 0.0:
                w = 0.0
            work[s] = w
            last[s] = t
            c = 0
            for k in range(nthr):
                if w > thresholds[k]:
                    c += 1
            lev[i, s] = c
        l0 = lev[i, 0]
        l1 = lev[i, 1]
        for j in range(2):
            dj = table[i, j, l0, l1]
            dec[i, j] = dj
            dest = j if dj == 0 else 1 - j
            if m == cap:
                cap *= 2
                nt = np.empty(cap)
                ns = np.empty(cap, dtype=np.int64)
                nw = np.empty(cap)
                nt[:m] = p_t[:m]
                ns[:m] = p_s[:m]
                nw[:m] = p_w[:m]
                p_t = nt
                p_s = ns
                p_w = nw
            p_t[m] = t + offset[i, j, dj]
            p_s[m] = dest
            p_w[m] = demand[i, j]
            m += 1
    return dec, lev
