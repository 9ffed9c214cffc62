r"""Hot loops of the N-player classical-value search (numba), with plain-Python references beside them.

Layout. The *responding* party ``r`` is fixed; the other ``M = N - 1`` parties are *enumerated*. The
weights are flattened to ``Wf[alpha, ar, q, xr]`` where ``alpha`` is the C-order index of the
enumerated parties' answers :math:`(a_j)_{j \ne r}` (stride ``stride[j]``, radix ``nans[j]``), ``q``
the C-order index of their questions, ``xr`` / ``ar`` the responder's question / answer.

A joint deterministic strategy of the enumerated parties is a vector of *digits* ``s[d]``, one per
(party, question) pair ``d = off[j] + x_j`` (radix ``nans[j]``). At question tuple ``q`` the answer
index is :math:`\alpha(s, q) = \sum_j s[\mathrm{digit\_of}[q, j]]\, \mathrm{stride}[j]`, and the
exact best response of ``r`` gives

.. math::  v(s) = \sum_{x_r} \max_{a_r} B[a_r, x_r], \qquad B[a_r, x_r] = \sum_q Wf[\alpha(s,q), a_r, q, x_r].

Chunks fix the digits ``perm[k:]`` (the *prefix*) and run the digits ``perm[:k]`` through a reflected
mixed-radix Gray code: one digit ``d`` changes per step, which changes :math:`\alpha(s, q)` only for
the question tuples with :math:`q_j = x` (CSR list ``aff_ptr/aff_q``), so ``B`` is updated in
:math:`O(Q / X_j \cdot A_r X_r)` per strategy instead of :math:`O(Q A_r X_r)`.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

__all__ = ["chunk_search", "chunk_bounds", "direct_search", "value_reference", "bound_reference"]


@nb.njit(cache=True, inline="always")
def _value(B: NDArray[np.float64]) -> float:  # pragma: no cover - compiled
    nr, nxr = B.shape
    s = 0.0
    for y in range(nxr):
        m = B[0, y]
        for r in range(1, nr):
            if B[r, y] > m:
                m = B[r, y]
        s += m
    return s


@nb.njit(cache=True)
def _alpha(s: NDArray[np.int64], digit_of: NDArray[np.int64], stride: NDArray[np.int64], q: int) -> int:  # pragma: no cover
    a = 0
    for j in range(digit_of.shape[1]):
        a += s[digit_of[q, j]] * stride[j]
    return a


@nb.njit(cache=True)
def chunk_search(
    Wf: NDArray[np.float64],
    digit_of: NDArray[np.int64],
    stride: NDArray[np.int64],
    radix: NDArray[np.int64],
    party_of: NDArray[np.int64],
    aff_ptr: NDArray[np.int64],
    aff_q: NDArray[np.int64],
    perm: NDArray[np.int64],
    k: int,
    prefixes: NDArray[np.int64],
    threshold: float,
    out_value: NDArray[np.float64],
    out_digits: NDArray[np.int64],
    cand: NDArray[np.int64],
) -> int:  # pragma: no cover - compiled
    """Best value (and its digits) of every chunk; strategies with value >= ``threshold`` go to ``cand``.

    Returns the number of strategies at or above ``threshold`` (only the first ``len(cand)`` are written).
    """
    nalpha, nr, Q, nxr = Wf.shape
    K = radix.shape[0]
    nc = prefixes.shape[0]
    count = 0
    for c in range(nc):
        s = np.zeros(K, dtype=np.int64)
        for t in range(K - k):
            s[perm[k + t]] = prefixes[c, t]
        alpha = np.empty(Q, dtype=np.int64)
        B = np.zeros((nr, nxr))
        for q in range(Q):
            alpha[q] = _alpha(s, digit_of, stride, q)
            B += Wf[alpha[q], :, q, :]
        dirs = np.ones(k, dtype=np.int64)
        best = _value(B)
        best_s = s.copy()
        if best >= threshold:
            if count < cand.shape[0]:
                cand[count, :] = s
            count += 1
        while True:
            j = 0
            nd = 0
            while j < k:
                nd = s[perm[j]] + dirs[j]
                if nd >= 0 and nd < radix[perm[j]]:
                    break
                dirs[j] = -dirs[j]
                j += 1
            if j == k:
                break
            d = perm[j]
            shift = (nd - s[d]) * stride[party_of[d]]
            for t in range(aff_ptr[d], aff_ptr[d + 1]):
                q = aff_q[t]
                B -= Wf[alpha[q], :, q, :]
                alpha[q] += shift
                B += Wf[alpha[q], :, q, :]
            s[d] = nd
            v = _value(B)
            if v > best:
                best = v
                best_s[:] = s
            if v >= threshold:
                if count < cand.shape[0]:
                    cand[count, :] = s
                count += 1
        out_value[c] = best
        out_digits[c, :] = best_s
    return count


@nb.njit(cache=True)
def direct_search(
    Wf: NDArray[np.float64],
    digit_of: NDArray[np.int64],
    stride: NDArray[np.int64],
    radix: NDArray[np.int64],
    perm: NDArray[np.int64],
    k: int,
    prefixes: NDArray[np.int64],
    threshold: float,
    cand: NDArray[np.int64],
) -> tuple[float, int]:  # pragma: no cover - compiled
    """Re-evaluate every strategy of the given chunks from scratch (no incremental updates,
    lexicographic order); an independent re-check of :func:`chunk_search`.

    Returns ``(best value, number of strategies >= threshold)``; the first ``len(cand)`` go to ``cand``.
    """
    nalpha, nr, Q, nxr = Wf.shape
    K = radix.shape[0]
    best = -np.inf
    count = 0
    for c in range(prefixes.shape[0]):
        s = np.zeros(K, dtype=np.int64)
        for t in range(K - k):
            s[perm[k + t]] = prefixes[c, t]
        while True:
            B = np.zeros((nr, nxr))
            for q in range(Q):
                B += Wf[_alpha(s, digit_of, stride, q), :, q, :]
            v = _value(B)
            if v > best:
                best = v
            if v >= threshold:
                if count < cand.shape[0]:
                    cand[count, :] = s
                count += 1
            j = 0
            while j < k:
                s[perm[j]] += 1
                if s[perm[j]] < radix[perm[j]]:
                    break
                s[perm[j]] = 0
                j += 1
            if j == k:
                break
    return best, count


@nb.njit(cache=True)
def chunk_bounds(
    Wf: NDArray[np.float64],
    digit_of: NDArray[np.int64],
    stride: NDArray[np.int64],
    nans: NDArray[np.int64],
    perm: NDArray[np.int64],
    k: int,
    prefixes: NDArray[np.int64],
    n_digits: int,
    out: NDArray[np.float64],
) -> None:  # pragma: no cover - compiled
    r"""Upper bound of every chunk:
    :math:`U = \sum_{x_r} \max_{a_r} \sum_q \max_{\alpha \text{ consistent at } q} Wf[\alpha, a_r, q, x_r]`,
    where :math:`\alpha` is consistent at ``q`` when it gives every enumerated party whose digit at
    ``q`` is fixed by the prefix that digit's answer."""
    nalpha, nr, Q, nxr = Wf.shape
    M = stride.shape[0]
    for c in range(prefixes.shape[0]):
        fixed = -np.ones(n_digits, dtype=np.int64)
        for t in range(n_digits - k):
            fixed[perm[k + t]] = prefixes[c, t]
        F = np.zeros((nr, nxr))
        for q in range(Q):
            Mq = np.full((nr, nxr), -np.inf)
            for al in range(nalpha):
                ok = True
                for j in range(M):
                    f = fixed[digit_of[q, j]]
                    if f >= 0 and (al // stride[j]) % nans[j] != f:
                        ok = False
                        break
                if ok:
                    for r in range(nr):
                        for y in range(nxr):
                            if Wf[al, r, q, y] > Mq[r, y]:
                                Mq[r, y] = Wf[al, r, q, y]
            F += Mq
        out[c] = _value(F)


# ------------------------------------------------------------------------ references (plain Python)
def value_reference(Wf: NDArray[np.float64], digit_of: NDArray[np.int64], stride: NDArray[np.int64], s: NDArray[np.int64]) -> float:
    """:math:`v(s)` by the formula, in plain Python/numpy (a reference for the kernels)."""
    _, nr, Q, nxr = Wf.shape
    B = np.zeros((nr, nxr))
    for q in range(Q):
        a = int(sum(int(s[digit_of[q, j]]) * int(stride[j]) for j in range(len(stride))))
        B += Wf[a, :, q, :]
    return float(B.max(axis=0).sum())


def bound_reference(
    Wf: NDArray[np.float64], digit_of: NDArray[np.int64], stride: NDArray[np.int64], nans: NDArray[np.int64],
    fixed: NDArray[np.int64],
) -> float:
    """The chunk bound of :func:`chunk_bounds` for one map ``fixed[d]`` (-1 = free), in plain numpy."""
    nalpha, nr, Q, nxr = Wf.shape
    F = np.zeros((nr, nxr))
    for q in range(Q):
        ok = np.ones(nalpha, dtype=bool)
        for j in range(len(stride)):
            f = fixed[digit_of[q, j]]
            if f >= 0:
                ok &= (np.arange(nalpha) // stride[j]) % nans[j] == f
        F += Wf[ok, :, q, :].max(axis=0)
    return float(F.max(axis=0).sum())
