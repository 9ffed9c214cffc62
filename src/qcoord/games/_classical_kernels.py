"""Hot loops of the classical-value search (numba), with a plain-Python reference beside them.

Layout used by every function here: the *enumerated* player ``E`` and the *responding* player ``R``.
``Wt[x, e, r, y]`` is the weight :math:`\\pi(x, y) V(\\cdot)` of ``E`` answering ``e`` to its question
``x`` and ``R`` answering ``r`` to its question ``y`` (so for ``E`` = Alice, ``Wt = W.transpose(2, 0, 1, 3)``).

For a fixed strategy :math:`e = (e_0, \\dots, e_{n-1})` of ``E``, the exact best response of ``R`` picks
for each ``y`` an answer maximising :math:`B[r, y] = \\sum_x Wt[x, e_x, r, y]`; the value of ``e`` is

.. math::  v(e) = \\sum_y \\max_r B[r, y].

The search splits ``E``'s strategies into *chunks*: the answers to questions ``k..n-1`` are fixed by
the chunk's prefix, the answers to questions ``0..k-1`` run through a reflected mixed-radix Gray
code, so consecutive strategies differ in one answer and :math:`B` is updated in
:math:`O(|R|\\,n_y)` per step instead of being recomputed.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

__all__ = ["chunk_maxima", "chunk_maxima_serial", "near_optimal_direct", "chunk_maxima_reference", "strategy_values_reference"]


@nb.njit(cache=True, inline="always")
def _value(B: NDArray[np.float64]) -> float:
    nr, ny = B.shape
    s = 0.0
    for y in range(ny):
        m = B[0, y]
        for r in range(1, nr):
            if B[r, y] > m:
                m = B[r, y]
        s += m
    return s


@nb.njit(cache=True)
def _one_chunk(
    Wt: NDArray[np.float64],
    delta: NDArray[np.float64],
    k: int,
    prefix: NDArray[np.int64],
    out_answers: NDArray[np.int64],
) -> float:  # pragma: no cover - compiled
    """Best value in one chunk; writes its maximiser (first found in Gray order) to ``out_answers``."""
    nx, ne, nr, ny = Wt.shape
    B = np.zeros((nr, ny))
    for j in range(nx - k):
        B += Wt[k + j, prefix[j]]
    for x in range(k):
        B += Wt[x, 0]
    digits = np.zeros(k, dtype=np.int64)
    dirs = np.ones(k, dtype=np.int64)
    best = _value(B)
    best_digits = digits.copy()
    while True:
        # reflected mixed-radix Gray code: move the lowest digit that can move in its direction,
        # reversing the direction of every digit that cannot
        j = 0
        nd = 0
        while j < k:
            nd = digits[j] + dirs[j]
            if nd >= 0 and nd < ne:
                break
            dirs[j] = -dirs[j]
            j += 1
        if j == k:
            break
        B += delta[j, digits[j], nd]
        digits[j] = nd
        v = _value(B)
        if v > best:
            best = v
            best_digits[:] = digits
    for x in range(k):
        out_answers[x] = best_digits[x]
    for j in range(nx - k):
        out_answers[k + j] = prefix[j]
    return best


@nb.njit(cache=True, parallel=True)
def chunk_maxima(
    Wt: NDArray[np.float64],
    delta: NDArray[np.float64],
    k: int,
    prefixes: NDArray[np.int64],
    out_value: NDArray[np.float64],
    out_answers: NDArray[np.int64],
) -> None:  # pragma: no cover - compiled
    """Best strategy of ``E`` inside each chunk (in parallel over chunks).

    Parameters
    ----------
    Wt : (nx, ne, nr, ny) float64
    delta : (k, ne, ne, nr, ny) float64
        ``delta[x, old, new] = Wt[x, new] - Wt[x, old]`` for the Gray-coded questions ``x < k``.
    k : int
        Number of questions enumerated inside a chunk (answers of ``x < k``).
    prefixes : (nc, nx - k) int64
        ``prefixes[c, j]`` is the fixed answer to question ``k + j`` in chunk ``c``.
    out_value : (nc,) float64
        Receives the best value :math:`v(e)` in each chunk.
    out_answers : (nc, nx) int64
        Receives the maximising strategy (first found in Gray order).
    """
    for c in nb.prange(prefixes.shape[0]):
        out_value[c] = _one_chunk(Wt, delta, k, prefixes[c], out_answers[c])


@nb.njit(cache=True)
def chunk_maxima_serial(
    Wt: NDArray[np.float64],
    delta: NDArray[np.float64],
    k: int,
    prefixes: NDArray[np.int64],
    out_value: NDArray[np.float64],
    out_answers: NDArray[np.int64],
) -> None:  # pragma: no cover - compiled
    """:func:`chunk_maxima` on one thread (no thread start-up cost: used for small work)."""
    for c in range(prefixes.shape[0]):
        out_value[c] = _one_chunk(Wt, delta, k, prefixes[c], out_answers[c])


@nb.njit(cache=True)
def near_optimal_direct(
    Wt: NDArray[np.float64],
    free: NDArray[np.int64],
    prefixes: NDArray[np.int64],
    threshold: float,
    out: NDArray[np.int64],
) -> tuple[float, int]:  # pragma: no cover - compiled
    """Re-evaluate every strategy ``e = (free[i], prefixes[c])`` from scratch; collect the near-optimal ones.

    An independent re-check of :func:`chunk_maxima` (no incremental updates, lexicographic order):
    :math:`v(e) = \\sum_y \\max_r \\sum_x Wt[x, e_x, r, y]`.

    Returns
    -------
    best : float
        The largest :math:`v(e)`.
    count : int
        How many strategies have :math:`v(e) \\ge` ``threshold``; the first ``len(out)`` of them are
        written to ``out`` (rows in the layout of ``Wt``'s questions).
    """
    nx, ne, nr, ny = Wt.shape
    k = free.shape[1]
    best = -np.inf
    count = 0
    B = np.empty((nr, ny))
    for c in range(prefixes.shape[0]):
        for i in range(free.shape[0]):
            B[:] = 0.0
            for x in range(nx):
                a = free[i, x] if x < k else prefixes[c, x - k]
                B += Wt[x, a]
            v = _value(B)
            if v > best:
                best = v
            if v >= threshold:
                if count < out.shape[0]:
                    for x in range(k):
                        out[count, x] = free[i, x]
                    for x in range(nx - k):
                        out[count, k + x] = prefixes[c, x]
                count += 1
    return best, count


def strategy_values_reference(Wt: NDArray[np.float64], strategies: NDArray[np.int64]) -> NDArray[np.float64]:
    """Plain numpy: :math:`v(e)` for each row ``e`` of ``strategies`` (shape (m, nx)), recomputed from scratch."""
    nx, _, nr, ny = Wt.shape
    B = np.zeros((len(strategies), nr, ny))
    for x in range(nx):
        B += Wt[x][strategies[:, x]]  # (m, nr, ny)
    return B.max(axis=1).sum(axis=1)


def chunk_maxima_reference(
    Wt: NDArray[np.float64], k: int, prefixes: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Plain numpy reference of :func:`chunk_maxima` (direct evaluation, lexicographic order).

    Returns the best value in each chunk and a maximiser (the values agree with the kernel up to
    rounding; on exact ties the maximiser may differ).
    """
    nx, ne = Wt.shape[:2]
    free = np.array(np.unravel_index(np.arange(ne**k), (ne,) * k)).T[:, ::-1] if k else np.zeros((1, 0), np.int64)
    values = np.empty(len(prefixes))
    answers = np.empty((len(prefixes), nx), dtype=np.int64)
    for c, pre in enumerate(prefixes):
        strategies = np.concatenate([free, np.broadcast_to(pre, (len(free), nx - k))], axis=1).astype(np.int64)
        v = strategy_values_reference(Wt, strategies)
        i = int(np.argmax(v))
        values[c] = v[i]
        answers[c] = strategies[i]
    return values, answers
