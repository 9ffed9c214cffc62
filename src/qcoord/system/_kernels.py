"""Event-driven single-server queues (numba), with a plain-Python reference used in tests.

One server receives jobs ``i = 0..m-1`` sorted by release time; job ``i`` joins the queue at
``release[i]`` with work ``size[i]``. Its position ``i`` in that order is its tie-break rank
(the simulator sorts by release, then KEEP before FORWARD, then pair, then arrival server).

Disciplines (all work-conserving, so busy and idle periods are the same for all three; only
completion times differ):

- ``srpt`` (code 0): preemptive shortest remaining processing time. The job in service is the one
  with the least ``(remaining, rank)``; an arriving job preempts iff its size is strictly smaller
  than the remaining work in service (ties keep the earlier job).
- ``np`` (code 1): non-preemptive shortest job first. An idle server starts an arriving job at once;
  when a job completes, the server starts the waiting job with the least ``(size, rank)``; a job
  released exactly at a completion instant competes for it.
- ``fcfs`` (code 2): first come first served in rank order, :math:`c_i = \\max(c_{i-1}, r_i) + s_i`.

Event order at equal times: completions at time ``t`` happen before arrivals at ``t``.

Outputs: completion time per job, the idle gaps ``[gap_start[k], gap_end[k])`` that end with an
arrival (including the initial gap from time 0 to the first release when it is positive), and the
final completion time (after which the server idles for ever). Gaps of zero length are not
recorded.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = [
    "DISCIPLINES",
    "discipline_code",
    "run_queue",
    "run_queue_reference",
    "server_job_order",
    "run_two_servers",
    "routing_violation",
]

DISCIPLINES: dict[str, int] = {"srpt": 0, "np": 1, "fcfs": 2}


def discipline_code(discipline: str) -> int:
    """Integer code of a discipline name (``srpt``, ``np``, ``fcfs``)."""
    try:
        return DISCIPLINES[discipline]
    except KeyError:
        raise ValueError(f"discipline: must be one of {sorted(DISCIPLINES)}, got {discipline!r}") from None


@njit(cache=True, inline="always")
def _less(key: NDArray[np.float64], a: int, b: int) -> bool:
    ka = key[a]
    kb = key[b]
    return ka < kb or (ka == kb and a < b)


@njit(cache=True)
def _push(heap: NDArray[np.int64], n: int, key: NDArray[np.float64], j: int) -> int:
    i = n
    heap[i] = j
    while i > 0:
        p = (i - 1) >> 1
        if _less(key, heap[i], heap[p]):
            tmp = heap[i]
            heap[i] = heap[p]
            heap[p] = tmp
            i = p
        else:
            break
    return n + 1


@njit(cache=True)
def _pop(heap: NDArray[np.int64], n: int, key: NDArray[np.float64]) -> int:
    """Remove the top; return the new length (the caller reads ``heap[0]`` before)."""
    n -= 1
    if n == 0:
        return 0
    heap[0] = heap[n]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= n:
            break
        c = left
        right = left + 1
        if right < n and _less(key, heap[right], heap[left]):
            c = right
        if _less(key, heap[c], heap[i]):
            tmp = heap[i]
            heap[i] = heap[c]
            heap[c] = tmp
            i = c
        else:
            break
    return n


@njit(cache=True)
def _queue(order, release, size, comp, code):  # type: ignore[no-untyped-def]
    """Run one server on jobs ``order[0..m-1]`` (indices into ``release``/``size``/``comp``).

    ``order`` lists the jobs by rank (sorted by release); completion times are written to
    ``comp[order[a]]``. Returns the idle gaps and the final completion time.
    """
    m = order.shape[0]
    gap_start = np.empty(m, dtype=np.float64)
    gap_end = np.empty(m, dtype=np.float64)
    ng = 0
    t = 0.0
    if code == 2:  # fcfs
        for i in range(m):
            f = order[i]
            r = release[f]
            if t < r:
                gap_start[ng] = t
                gap_end[ng] = r
                ng += 1
                t = r
            t = t + size[f]
            comp[f] = t
        return gap_start[:ng], gap_end[:ng], t
    heap = np.empty(m, dtype=np.int64)
    n = 0
    key = np.empty(m, dtype=np.float64)  # by rank: remaining work (srpt) or size (np)
    for i in range(m):
        key[i] = size[order[i]]
    if code == 0:  # preemptive srpt
        # ``cur`` is in service (least (remaining, rank) of all present jobs); the heap holds the
        # waiting ones keyed by their remaining work, which does not change while they wait.
        rem = key
        cur = -1
        for i in range(m):
            r = release[order[i]]
            while cur >= 0:
                if t + rem[cur] <= r:
                    t = t + rem[cur]
                    comp[order[cur]] = t
                    rem[cur] = 0.0
                    if n > 0:
                        cur = heap[0]
                        n = _pop(heap, n, rem)
                    else:
                        cur = -1
                else:
                    rem[cur] -= r - t
                    t = r
                    break
            if cur < 0:
                if t < r:
                    gap_start[ng] = t
                    gap_end[ng] = r
                    ng += 1
                cur = i
            elif _less(rem, i, cur):
                n = _push(heap, n, rem, cur)
                cur = i
            else:
                n = _push(heap, n, rem, i)
            t = r
        while cur >= 0:
            t = t + rem[cur]
            comp[order[cur]] = t
            rem[cur] = 0.0
            if n > 0:
                cur = heap[0]
                n = _pop(heap, n, rem)
            else:
                cur = -1
        return gap_start[:ng], gap_end[:ng], t
    # non-preemptive sjf
    sz = key
    for i in range(m):
        r = release[order[i]]
        while n > 0 and t < r:
            j = heap[0]
            n = _pop(heap, n, sz)
            t = t + sz[j]
            comp[order[j]] = t
        if n == 0 and t <= r:
            if t < r:
                gap_start[ng] = t
                gap_end[ng] = r
                ng += 1
            t = r + sz[i]
            comp[order[i]] = t
        else:
            n = _push(heap, n, sz, i)
    while n > 0:
        j = heap[0]
        n = _pop(heap, n, sz)
        t = t + sz[j]
        comp[order[j]] = t
    return gap_start[:ng], gap_end[:ng], t


@njit(cache=True)
def _run_queue(release, size, code):  # type: ignore[no-untyped-def]
    m = release.shape[0]
    comp = np.empty(m, dtype=np.float64)
    gs, ge, t = _queue(np.arange(m), release, size, comp, code)
    return comp, gs, ge, t


@njit(cache=True)
def _server_job_order(dest, decision, release, server):  # type: ignore[no-untyped-def]
    """Flat indices of ``server``'s customers by (release, KEEP first, flat index).

    Two cursors walk the KEEP and the FORWARD customers of the server in flat order and merge
    them. Returns ``(order, ok)``; ``ok`` is False when either stream is not sorted by release
    (e.g. holds), in which case the caller sorts instead.
    """
    m = dest.shape[0]
    out = np.empty(m, dtype=np.int64)
    i = 0
    while i < m and not (dest[i] == server and decision[i] == 0):
        i += 1
    j = 0
    while j < m and not (dest[j] == server and decision[j] != 0):
        j += 1
    last_i = -np.inf
    last_j = -np.inf
    o = 0
    while i < m or j < m:
        if j >= m or (i < m and release[i] <= release[j]):
            r = release[i]
            if r < last_i:
                return out[:0], False
            last_i = r
            out[o] = i
            i += 1
            while i < m and not (dest[i] == server and decision[i] == 0):
                i += 1
        else:
            r = release[j]
            if r < last_j:
                return out[:0], False
            last_j = r
            out[o] = j
            j += 1
            while j < m and not (dest[j] == server and decision[j] != 0):
                j += 1
        o += 1
    return out[:o], True


@njit(cache=True)
def _run_two_servers(dest, decision, release, size, code):  # type: ignore[no-untyped-def]
    m = dest.shape[0]
    comp = np.empty(m, dtype=np.float64)
    empty = np.empty(0, dtype=np.float64)
    gs0, ge0, gs1, ge1 = empty, empty, empty, empty
    last0 = 0.0
    last1 = 0.0
    for server in range(2):
        order, ok = _server_job_order(dest, decision, release, server)
        if not ok:
            return comp, gs0, ge0, last0, gs1, ge1, last1, False
        gs, ge, last = _queue(order, release, size, comp, code)
        if server == 0:
            gs0, ge0, last0 = gs, ge, last
        else:
            gs1, ge1, last1 = gs, ge, last
    return comp, gs0, ge0, last0, gs1, ge1, last1, True


def run_two_servers(
    dest: NDArray[np.int8],
    decision: NDArray[np.int8],
    release: NDArray[np.float64],
    size: NDArray[np.float64],
    discipline: str,
) -> tuple[NDArray[np.float64], tuple[NDArray[np.float64], ...], tuple[NDArray[np.float64], ...], tuple[float, float]]:
    """Both servers at once from flattened ``(n, 2)`` routing arrays (fused numba path).

    Equivalent to :func:`server_job_order` followed by :func:`run_queue` for each server.

    Returns
    -------
    completion : ndarray (2 n,)
    gap_start, gap_end : (ndarray, ndarray)
        Per server.
    last_completion : (float, float)
    """
    code = discipline_code(discipline)
    comp, gs0, ge0, l0, gs1, ge1, l1, ok = _run_two_servers(dest, decision, release, size, code)
    if ok:
        return comp, (gs0, gs1), (ge0, ge1), (float(l0), float(l1))
    gs, ge, last = [], [], []
    for k in (0, 1):
        idx = server_job_order(dest, decision, release, k)
        c, g0, g1, t = run_queue(release[idx], size[idx], discipline)
        comp[idx] = c
        gs.append(g0)
        ge.append(g1)
        last.append(t)
    return comp, (gs[0], gs[1]), (ge[0], ge[1]), (last[0], last[1])


def server_job_order(
    dest: NDArray[np.int8], decision: NDArray[np.int8], release: NDArray[np.float64], server: int
) -> NDArray[np.int64]:
    """Flat indices of the customers served by ``server``, in the simulator's job order.

    The order is by release time, then KEEP before FORWARD, then flat index ``2 n + j`` (pair, then
    arrival server). ``dest``, ``decision``, ``release`` are flattened ``(n, 2)`` routing arrays.
    """
    order, ok = _server_job_order(dest, decision, release, server)
    if ok:
        return order
    at = dest == server
    idx = np.concatenate((np.flatnonzero(at & (decision == 0)), np.flatnonzero(at & (decision != 0))))
    return idx[np.argsort(release[idx], kind="stable")]


@njit(cache=True)
def _routing_violation(dest, decision, release, arrival):  # type: ignore[no-untyped-def]
    n = arrival.shape[0]
    for i in range(n):
        a = arrival[i]
        for j in range(2):
            k = dest[i, j]
            dc = decision[i, j]
            if k != 0 and k != 1:
                return 1
            if dc != 0 and dc != 1:
                return 2
            if (k != j) != (dc == 1):
                return 3
            r = release[i, j]
            if not np.isfinite(r):
                return 4
            if r < a:
                return 5
    return 0


def routing_violation(
    dest: NDArray[np.int64], decision: NDArray[np.int64], release: NDArray[np.float64], arrival: NDArray[np.float64]
) -> int:
    """First violated routing rule (0 = none): 1 dest not in {0, 1}; 2 decision not KEEP/FORWARD;
    3 decision inconsistent with dest; 4 non-finite release; 5 release before the pair's arrival."""
    return int(_routing_violation(dest, decision, release, arrival))


def run_queue(
    release: NDArray[np.float64], size: NDArray[np.float64], discipline: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], float]:
    """Run one server's queue exactly (numba kernel).

    Parameters
    ----------
    release : ndarray, shape (m,)
        Release times, non-decreasing, >= 0.
    size : ndarray, shape (m,)
        Work of each job, >= 0.
    discipline : {"srpt", "np", "fcfs"}

    Returns
    -------
    completion : ndarray, shape (m,)
    gap_start, gap_end : ndarray, shape (g,)
        Idle gaps ending with an arrival (positive length).
    last_completion : float
        Time the server empties for good (0.0 if ``m == 0``).
    """
    code = discipline_code(discipline)
    r = np.ascontiguousarray(release, dtype=np.float64)
    s = np.ascontiguousarray(size, dtype=np.float64)
    comp, gs, ge, t = _run_queue(r, s, code)
    return comp, gs, ge, float(t)


def run_queue_reference(
    release: list[float] | NDArray[np.float64], size: list[float] | NDArray[np.float64], discipline: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], float]:
    """Plain-Python reference for :func:`run_queue` (same conventions, no heap; O(m^2)).

    It steps from event to event: the next event is either the next release or the completion of
    the job in service, the job in service being re-chosen by scanning all present jobs.
    """
    code = discipline_code(discipline)
    release = [float(x) for x in release]
    work = [float(x) for x in size]
    m = len(release)
    comp = [0.0] * m
    gaps: list[tuple[float, float]] = []
    t = 0.0
    i = 0
    present: list[int] = []
    rem = list(work)
    if code == 2:
        for i in range(m):
            if t < release[i]:
                gaps.append((t, release[i]))
                t = release[i]
            t = t + work[i]
            comp[i] = t
    elif code == 0:
        while i < m or present:
            if not present:
                if t < release[i]:
                    gaps.append((t, release[i]))
                t = release[i]
                present.append(i)
                i += 1
                continue
            j = min(present, key=lambda q: (rem[q], q))
            if i < m and t + rem[j] > release[i]:
                rem[j] -= release[i] - t
                t = release[i]
                present.append(i)
                i += 1
            else:
                t = t + rem[j]
                comp[j] = t
                rem[j] = 0.0
                present.remove(j)
    else:
        while i < m or present:
            if present and (i >= m or t < release[i]):
                j = min(present, key=lambda q: (work[q], q))
                present.remove(j)
                t = t + work[j]
                comp[j] = t
            elif not present and t <= release[i]:
                if t < release[i]:
                    gaps.append((t, release[i]))
                t = release[i] + work[i]
                comp[i] = t
                i += 1
            else:
                present.append(i)
                i += 1
    gs = np.array([g[0] for g in gaps], dtype=np.float64)
    ge = np.array([g[1] for g in gaps], dtype=np.float64)
    return np.array(comp, dtype=np.float64), gs, ge, float(t)
