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

Both servers at once (:func:`run_two_servers`, the simulator's path): one pass puts
the flat customers into four streams (server x KEEP/FORWARD, each in flat order, hence sorted by
release when there are no holds) and checks the routing rules; each server's job order is the merge
of its two streams (release, KEEP first on ties). ``fcfs`` and ``np`` consume the merge on the fly
(``np``'s heap keeps ``(size, rank, flat index)`` side by side); ``srpt`` materialises the order.
Streams not sorted by release (holds) fall back to :func:`server_job_order` + :func:`run_queue`.
Large buffers are allocated by NumPy and passed in (NumPy asks for huge pages: cheaper first touch).

Measurement kernels: :func:`_measure_pass` (waitings, clipped idle runs, interruptions, decision
counts in one pass), :func:`order_statistics` (exact selected order statistics by a sampled
bracket: the percentiles), :func:`_setup_output` (the ``setup(c)`` baseline).
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
    "order_statistics",
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


@njit(cache=True, inline="always")
def _before(k1: float, r1: int, k2: float, r2: int) -> bool:
    return k1 < k2 or (k1 == k2 and r1 < r2)


@njit(cache=True, inline="always")
def _np_pop(hk, hr, n):  # type: ignore[no-untyped-def]
    """Remove the top of the ``(key, rank)`` heap of length ``n``; return the new length."""
    n -= 1
    if n > 0:
        kk = hk[n]
        rr = hr[n]
        p = 0
        while True:
            c = 2 * p + 1
            if c >= n:
                break
            if c + 1 < n and _before(hk[c + 1], hr[c + 1], hk[c], hr[c]):
                c += 1
            if _before(hk[c], hr[c], kk, rr):
                hk[p] = hk[c]
                hr[p] = hr[c]
                p = c
            else:
                break
        hk[p] = kk
        hr[p] = rr
    return n


@njit(cache=True)
def _np_queue(order, release, size, comp, hk, hr, gap_start, gap_end):  # type: ignore[no-untyped-def]
    """Non-preemptive SJF on jobs ``order`` (by rank); the heap keeps ``(size, rank)`` of the waiting
    jobs side by side in ``hk``/``hr`` (no indirection in the comparisons; sift by moving a hole)."""
    m = order.shape[0]
    ng = 0
    t = 0.0
    n = 0
    for i in range(m):
        f = order[i]
        r = release[f]
        while n > 0 and t < r:  # serve the waiting jobs that complete before this release
            t = t + hk[0]
            comp[order[hr[0]]] = t
            n = _np_pop(hk, hr, n)
        s = size[f]
        if n == 0 and t <= r:  # idle (or freed exactly now): start at once
            if t < r:
                gap_start[ng] = t
                gap_end[ng] = r
                ng += 1
            t = r + s
            comp[f] = t
        else:
            p = n
            n += 1
            while p > 0:
                q = (p - 1) >> 1
                if _before(s, i, hk[q], hr[q]):
                    hk[p] = hk[q]
                    hr[p] = hr[q]
                    p = q
                else:
                    break
            hk[p] = s
            hr[p] = i
    while n > 0:
        t = t + hk[0]
        comp[order[hr[0]]] = t
        n = _np_pop(hk, hr, n)
    return gap_start[:ng], gap_end[:ng], t


@njit(cache=True)
def _queue(order, release, size, comp, code, key, heap, gap_start, gap_end):  # type: ignore[no-untyped-def]
    """Run one server on jobs ``order[0..m-1]`` (indices into ``release``/``size``/``comp``).

    ``order`` lists the jobs by rank (sorted by release); completion times are written to
    ``comp[order[a]]``. ``key`` and ``heap`` are work buffers of length >= m (reused across calls;
    not read before written); the idle gaps are written to ``gap_start``/``gap_end`` (length >= m)
    and returned as views. Returns the idle gaps and the final completion time.
    """
    m = order.shape[0]
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
    if code == 1:  # non-preemptive sjf
        return _np_queue(order, release, size, comp, key, heap, gap_start, gap_end)
    # preemptive srpt
    n = 0
    # key by rank: remaining work; heap: ranks of the waiting jobs
    for i in range(m):
        key[i] = size[order[i]]
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


@njit(cache=True)
def _run_queue(release, size, code):  # type: ignore[no-untyped-def]
    m = release.shape[0]
    comp = np.empty(m, dtype=np.float64)
    gs, ge, t = _queue(np.arange(m), release, size, comp, code, np.empty(m, dtype=np.float64), np.empty(m, dtype=np.int64), np.empty(m, dtype=np.float64), np.empty(m, dtype=np.float64))
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
def _stream_index(dest, decision, release, idx0, idx1, arrival):  # type: ignore[no-untyped-def]
    """One pass sorting the flat customers into four streams ``s = 2 dest + [FORWARD]``.

    Server ``k``'s streams go to ``idx_k`` (length ``2 n``): KEEP from the front, FORWARD from the
    back (reversed afterwards, so each stream is in flat order). Returns the stream sizes ``cnt``
    (KEEP 0, FORWARD 0, KEEP 1, FORWARD 1), whether every stream is sorted by release (false e.g.
    with holds), and the first violated routing rule in pair order (the codes of
    :func:`routing_violation`; 0 = none, nothing else computed otherwise). Codes 1 and 2 (values
    outside {0, 1}) are always checked; 3 to 5 only when ``arrival`` (length ``n``) is given
    (length 0 = skip).
    """
    m = dest.shape[0]
    check = arrival.shape[0] > 0
    cnt = np.zeros(4, dtype=np.int64)
    last = np.full(4, -np.inf)
    ok = True
    for f in range(m):
        k = dest[f]
        dc = decision[f]
        r = release[f]
        if k != 0 and k != 1:
            return cnt, False, 1
        if dc != 0 and dc != 1:
            return cnt, False, 2
        if check:
            if (k != (f & 1)) != (dc == 1):
                return cnt, False, 3
            if not np.isfinite(r):
                return cnt, False, 4
            if r < arrival[f >> 1]:
                return cnt, False, 5
        s = 2 * k + dc
        c = cnt[s]
        buf = idx0 if k == 0 else idx1
        buf[m - 1 - c if dc else c] = f
        cnt[s] = c + 1
        ok &= r >= last[s]
        last[s] = r
    if ok:
        idx0[m - cnt[1] :] = idx0[m - cnt[1] :][::-1].copy()
        idx1[m - cnt[3] :] = idx1[m - cnt[3] :][::-1].copy()
    return cnt, ok, 0


@njit(cache=True)
def _merge_streams(idx, a0, a1, b0, b1, release, order):  # type: ignore[no-untyped-def]
    """Merge streams ``idx[a0:a1]`` (KEEP) and ``idx[b0:b1]`` (FORWARD) by release, KEEP first on ties."""
    i = a0
    j = b0
    o = 0
    while i < a1 and j < b1:
        fi = idx[i]
        fj = idx[j]
        if release[fi] <= release[fj]:
            order[o] = fi
            i += 1
        else:
            order[o] = fj
            j += 1
        o += 1
    while i < a1:
        order[o] = idx[i]
        i += 1
        o += 1
    while j < b1:
        order[o] = idx[j]
        j += 1
        o += 1
    return order[:o]


@njit(cache=True)
def _fcfs_streams(idx, a0, a1, b0, b1, release, size, comp, gap_start, gap_end):  # type: ignore[no-untyped-def]
    """FCFS on the merge of streams ``idx[a0:a1]`` (KEEP) and ``idx[b0:b1]`` (FORWARD), merged on the
    fly (release, KEEP first on ties): :math:`c = \\max(c_{prev}, r) + s`."""
    i = a0
    j = b0
    ng = 0
    t = 0.0
    while i < a1 or j < b1:
        if j >= b1 or (i < a1 and release[idx[i]] <= release[idx[j]]):
            f = idx[i]
            i += 1
        else:
            f = idx[j]
            j += 1
        r = release[f]
        if t < r:
            gap_start[ng] = t
            gap_end[ng] = r
            ng += 1
            t = r
        t = t + size[f]
        comp[f] = t
    return gap_start[:ng], gap_end[:ng], t


@njit(cache=True, inline="always")
def _np_pop3(hk, hr, hf, n):  # type: ignore[no-untyped-def]
    """Remove the top of the ``(key, rank, flat index)`` heap of length ``n``; return the new length."""
    n -= 1
    if n > 0:
        kk = hk[n]
        rr = hr[n]
        ff = hf[n]
        p = 0
        while True:
            c = 2 * p + 1
            if c >= n:
                break
            if c + 1 < n and _before(hk[c + 1], hr[c + 1], hk[c], hr[c]):
                c += 1
            if _before(hk[c], hr[c], kk, rr):
                hk[p] = hk[c]
                hr[p] = hr[c]
                hf[p] = hf[c]
                p = c
            else:
                break
        hk[p] = kk
        hr[p] = rr
        hf[p] = ff
    return n


@njit(cache=True)
def _np_streams(idx, a0, a1, b0, b1, release, size, comp, hk, hr, hf, gap_start, gap_end):  # type: ignore[no-untyped-def]
    """Non-preemptive SJF (as :func:`_np_queue`) on the merge of streams ``idx[a0:a1]`` (KEEP) and
    ``idx[b0:b1]`` (FORWARD), merged on the fly; the heap holds ``(size, rank, flat index)``."""
    ng = 0
    t = 0.0
    n = 0
    i = a0
    j = b0
    rank = 0
    while i < a1 or j < b1:
        if j >= b1 or (i < a1 and release[idx[i]] <= release[idx[j]]):
            f = idx[i]
            i += 1
        else:
            f = idx[j]
            j += 1
        r = release[f]
        while n > 0 and t < r:  # serve the waiting jobs that complete before this release
            t = t + hk[0]
            comp[hf[0]] = t
            n = _np_pop3(hk, hr, hf, n)
        s = size[f]
        if n == 0 and t <= r:  # idle (or freed exactly now): start at once
            if t < r:
                gap_start[ng] = t
                gap_end[ng] = r
                ng += 1
            t = r + s
            comp[f] = t
        else:
            p = n
            n += 1
            while p > 0:
                q = (p - 1) >> 1
                if _before(s, rank, hk[q], hr[q]):
                    hk[p] = hk[q]
                    hr[p] = hr[q]
                    hf[p] = hf[q]
                    p = q
                else:
                    break
            hk[p] = s
            hr[p] = rank
            hf[p] = f
        rank += 1
    while n > 0:
        t = t + hk[0]
        comp[hf[0]] = t
        n = _np_pop3(hk, hr, hf, n)
    return gap_start[:ng], gap_end[:ng], t


@njit(cache=True)
def _run_two_servers(dest, decision, release, size, code, idx0, idx1, comp, gap_start, gap_end, arrival):  # type: ignore[no-untyped-def]
    """Both servers' queues; ``idx0``, ``idx1`` (length ``2 n``) are work buffers, ``comp`` receives completions,
    ``gap_start``/``gap_end`` (length ``2 n``) the idle gaps (server 0's first, then server 1's).

    Server ``k``'s job order is the merge of its KEEP and FORWARD streams (each in flat order, so
    ties in release go KEEP first, then by flat index); the order, key and heap buffers are shared by
    the two servers. ``ok`` is False (nothing computed) when a stream is not sorted by release;
    ``bad`` is the first violated routing rule (see :func:`_stream_index`; ``arrival`` of length 0
    skips the rules that need it).
    """
    empty = np.empty(0, dtype=np.float64)
    gs0, ge0, gs1, ge1 = empty, empty, empty, empty
    last0 = 0.0
    last1 = 0.0
    cnt, ok, bad = _stream_index(dest, decision, release, idx0, idx1, arrival)
    if not ok:
        return gs0, ge0, last0, gs1, ge1, last1, False, bad
    m = dest.shape[0]
    width = max(cnt[0] + cnt[1], cnt[2] + cnt[3])
    order = np.empty(width if code == 0 else 0, dtype=idx0.dtype)  # np and fcfs merge on the fly
    hf = np.empty(width if code == 1 else 0, dtype=np.int64)
    key = np.empty(width if code != 2 else 0, dtype=np.float64)
    heap = np.empty(width if code != 2 else 0, dtype=np.int64)
    for server in range(2):
        idx = idx0 if server == 0 else idx1
        a1 = cnt[2 * server]  # KEEP stream idx[0:a1], FORWARD stream idx[b0:m]
        b0 = m - cnt[2 * server + 1]
        g0 = 0 if server == 0 else cnt[0] + cnt[1]  # server k's gaps fit in its share of the buffers
        if code == 2:
            gs, ge, last = _fcfs_streams(idx, 0, a1, b0, m, release, size, comp, gap_start[g0:], gap_end[g0:])
        elif code == 1:
            gs, ge, last = _np_streams(idx, 0, a1, b0, m, release, size, comp, key, heap, hf, gap_start[g0:], gap_end[g0:])
        else:
            o = _merge_streams(idx, 0, a1, b0, m, release, order)
            gs, ge, last = _queue(o, release, size, comp, code, key, heap, gap_start[g0:], gap_end[g0:])
        if server == 0:
            gs0, ge0, last0 = gs, ge, last
        else:
            gs1, ge1, last1 = gs, ge, last
    return gs0, ge0, last0, gs1, ge1, last1, True, 0


class RoutingViolation(ValueError):
    """A routing breaks rule ``code`` of :func:`routing_violation` (found by :func:`run_two_servers`)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"routing: violates rule {code} (see routing_violation)")
        self.code = code


def run_two_servers(
    dest: NDArray[np.int8],
    decision: NDArray[np.int8],
    release: NDArray[np.float64],
    size: NDArray[np.float64],
    discipline: str,
    arrival: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], tuple[NDArray[np.float64], ...], tuple[NDArray[np.float64], ...], tuple[float, float]]:
    """Both servers at once from flattened ``(n, 2)`` routing arrays (fused numba path).

    Equivalent to :func:`server_job_order` followed by :func:`run_queue` for each server. With the
    pairs' ``arrival`` times given, the first pass also checks every rule of
    :func:`routing_violation` (without them only ``dest``/``decision`` values outside {0, 1}).

    Raises
    ------
    RoutingViolation
        With the code of the first violated rule, in pair order.

    Returns
    -------
    completion : ndarray (2 n,)
    gap_start, gap_end : (ndarray, ndarray)
        Per server.
    last_completion : (float, float)
    """
    code = discipline_code(discipline)
    m = dest.shape[0]
    comp = np.empty(m, dtype=np.float64)
    itype = np.int32 if m < 2**31 else np.int64
    idx0 = np.empty(m, dtype=itype)  # each touched only as far as its server's customers
    idx1 = np.empty(m, dtype=itype)
    # large buffers come from NumPy (it asks the kernel for huge pages: cheaper first touch)
    gap_start = np.empty(m, dtype=np.float64)
    gap_end = np.empty(m, dtype=np.float64)
    arr = np.empty(0, dtype=np.float64) if arrival is None else np.ascontiguousarray(arrival, dtype=np.float64)
    gs0, ge0, l0, gs1, ge1, l1, ok, bad = _run_two_servers(
        dest, decision, release, size, code, idx0, idx1, comp, gap_start, gap_end, arr
    )
    if bad:
        raise RoutingViolation(int(bad))
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


# ----------------------------------------------------------------------------- fused measurement


@njit(cache=True)
def _measure_pass(arrival, demand, completion, decision, w0, t0, t1, gs0, ge0, last0, gs1, ge1, last1, waiting, runs):  # type: ignore[no-untyped-def]
    """One pass over the pairs ``n >= w0`` and the idle gaps of both servers (see ``simulate.measure``).

    ``demand``, ``completion``, ``decision`` are flattened ``(n, 2)`` arrays. Writes ``waiting``
    (flat, pair-major: :math:`c - (a_n + s)` exactly as NumPy would compute it) and returns it, the
    clipped idle runs (server 0's, then server 1's, each in gap order, lengths > 0 only), the number
    of gaps ending in ``(t0, t1]``, and the numbers of split pairs (equal decisions) and swapped
    pairs (both FORWARD).
    """
    n = arrival.shape[0]
    # ``waiting`` has length 2 (n - w0); it may be ``completion[2 w0:]`` itself (each entry is read
    # before it is overwritten)
    n_split = 0
    n_swap = 0
    for i in range(w0, n):
        a = arrival[i]
        f = 2 * i
        o = 2 * (i - w0)
        for j in range(2):
            w = completion[f + j] - (a + demand[f + j])
            waiting[o + j] = w
        same = decision[f] == decision[f + 1]
        n_split += same
        n_swap += same and decision[f] != 0
    # ``runs`` has room for every gap and both final runs: gs0.size + gs1.size + 2
    nr = 0
    interrupted = 0
    for k in range(2):
        gs = gs0 if k == 0 else gs1
        ge = ge0 if k == 0 else ge1
        g = gs.shape[0]
        for q in range(g + 1):
            if q < g:
                s = gs[q]
                e = ge[q]
                if e > t0 and e <= t1:
                    interrupted += 1
            else:
                s = last0 if k == 0 else last1
                e = np.inf
            r = min(e, t1) - max(s, t0)
            runs[nr] = r
            nr += r > 0
    return waiting, runs[:nr], interrupted, n_split, n_swap


@njit(cache=True)
def _bracket_pass(x, lo, hi, cap):  # type: ignore[no-untyped-def]
    """Per bracket ``g``: counts of ``x < lo[g]``, ``x == lo[g]``, ``x == hi[g]`` and the entries strictly
    between (first ``cap`` of them copied to ``buf[g]``; ``mid[g]`` counts them all)."""
    n = x.shape[0]
    q = lo.shape[0]
    buf = np.empty((q, cap + 1), dtype=np.float64)
    counts = np.zeros((q, 4), dtype=np.int64)
    if q == 2:  # the percentiles' case (p50; p95 with p99): both brackets in one pass over x
        a0 = lo[0]
        b0 = hi[0]
        a1 = lo[1]
        b1 = hi[1]
        row0 = buf[0]
        row1 = buf[1]
        nb0 = nl0 = nh0 = c0 = 0
        nb1 = nl1 = nh1 = c1 = 0
        for i in range(n):
            v = x[i]
            nb0 += v < a0
            nl0 += v == a0
            nh0 += v == b0
            row0[min(c0, cap)] = v
            c0 += (v > a0) & (v < b0)
            nb1 += v < a1
            nl1 += v == a1
            nh1 += v == b1
            row1[min(c1, cap)] = v
            c1 += (v > a1) & (v < b1)
        counts[0, 0] = nb0
        counts[0, 1] = nl0
        counts[0, 2] = nh0
        counts[0, 3] = c0
        counts[1, 0] = nb1
        counts[1, 1] = nl1
        counts[1, 2] = nh1
        counts[1, 3] = c1
        return counts, buf
    for g in range(q):  # one pass per bracket, branch-free, counters in registers
        a = lo[g]
        b = hi[g]
        row = buf[g]
        nb = 0
        nl = 0
        nh = 0
        c = 0
        for i in range(n):
            v = x[i]
            nb += v < a
            nl += v == a
            nh += v == b
            row[min(c, cap)] = v  # kept only if strictly inside; slot ``cap`` absorbs an overflow
            c += (v > a) & (v < b)
        counts[g, 0] = nb
        counts[g, 1] = nl
        counts[g, 2] = nh
        counts[g, 3] = c
    return counts, buf


_SAMPLE = 32768


def order_statistics(x: NDArray[np.float64], ranks: NDArray[np.int64]) -> NDArray[np.float64]:
    """The order statistics :math:`x_{(k)}` for ``k`` in ``ranks``; see :func:`_order_statistics`."""
    return _order_statistics(x, ranks)[0]


def _order_statistics(x: NDArray[np.float64], ranks: NDArray[np.int64]) -> tuple[NDArray[np.float64], int]:
    """The order statistics :math:`x_{(k)}` (0-based ranks into the sorted ``x``) for ``k`` in ``ranks``.

    Equal to ``np.partition(x, ranks)[ranks]`` (exact values; ``x`` is not modified) but in about
    one pass per group of nearby ranks instead of a partition of all of ``x``: a scattered sample
    (multiplicative hash of the index: no aliasing with any period of ``x``) brackets each group
    between two sample values ``lo <= hi`` (its sample quantile +- 4 standard deviations + 8);
    :func:`_bracket_pass` counts the entries ``< lo``, ``== lo``, ``== hi`` and copies those strictly
    between into a small buffer. The sorted ``x`` is ``[< lo] [== lo] [buffer sorted] [== hi] [> hi]``
    (with ``== hi`` empty when ``lo == hi``), so a rank inside the bracket is read off, using one
    ``np.partition`` of the buffer. A rank outside its bracket (an unlucky sample, a buffer
    overflow, NaNs) falls back to ``np.partition`` of a copy of ``x``; the second value returned is
    the number of ranks that did.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    ranks = np.asarray(ranks, dtype=np.int64)
    n = x.shape[0]
    if ranks.size and (ranks.min() < 0 or ranks.max() >= n):
        raise ValueError(f"ranks: must be in [0, {n - 1}]")
    out = np.empty(ranks.shape[0], dtype=np.float64)
    if n == 0 or ranks.size == 0:
        return out, 0
    if n <= 4 * _SAMPLE:
        return np.partition(x, ranks)[ranks], int(ranks.size)
    sample = np.sort(x[(np.arange(_SAMPLE, dtype=np.int64) * 2654435761) % n])
    groups = np.unique(ranks)
    # one bracket per cluster of ranks (ranks within 1/16 of n share it: one pass for p95 and p99)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(groups) > n // 16) + 1))
    ends = np.concatenate((starts[1:], [groups.size]))
    lo_rank = groups[starts]
    hi_rank = groups[ends - 1]
    p_lo = lo_rank / (n - 1)
    p_hi = hi_rank / (n - 1)
    m = _SAMPLE - 1
    margin_lo = 4.0 * np.sqrt(_SAMPLE * p_lo * (1 - p_lo)) + 8.0
    margin_hi = 4.0 * np.sqrt(_SAMPLE * p_hi * (1 - p_hi)) + 8.0
    i_lo = np.clip((p_lo * m - margin_lo).astype(np.int64), 0, m)
    i_hi = np.clip((p_hi * m + margin_hi).astype(np.int64) + 1, 0, m)
    lo = np.where(i_lo == 0, -np.inf, sample[i_lo])  # a bracket reaching an end of the sample is open there
    hi = np.where(i_hi == m, np.inf, sample[i_hi])
    # room for twice the share of x the widest bracket holds in the sample
    cap = min(n, int(2 * n * int(np.max(i_hi - i_lo + 1)) / _SAMPLE) + 64)
    counts, buf = _bracket_pass(x, lo, hi, cap)
    missing = []
    for g in range(lo.shape[0]):
        below, eq_lo, eq_hi, mid = (int(c) for c in counts[g])
        valid = mid <= cap and lo[g] == lo[g] and hi[g] == hi[g]
        if lo[g] == hi[g]:
            eq_hi = 0
        sel = np.flatnonzero((ranks >= lo_rank[g]) & (ranks <= hi_rank[g]))
        rel = ranks[sel] - below - eq_lo
        inside = valid & (rel >= 0) & (rel < mid)
        if np.any(inside):
            part = np.partition(buf[g, :mid], np.unique(rel[inside]))
            out[sel[inside]] = part[rel[inside]]
        low_tie = valid & (rel < 0) & (rel >= -eq_lo)
        out[sel[low_tie]] = lo[g]
        high_tie = valid & (rel >= mid) & (rel < mid + eq_hi)
        out[sel[high_tie]] = hi[g]
        missing.extend(sel[~(inside | low_tie | high_tie)].tolist())
    if missing:
        k = ranks[missing]
        out[missing] = np.partition(x, np.unique(k))[k]
    return out, len(missing)


@njit(cache=True)
def _setup_output(t, c, out):  # type: ignore[no-untyped-def]
    """:math:`\\max(t - c, 0)` elementwise into ``out`` (same floating-point operations as NumPy's) and
    whether all are finite."""
    finite = True
    for i in range(t.shape[0]):
        v = t[i] - c
        if v < 0.0:
            v = 0.0
        if not np.isfinite(v):
            finite = False
        out[i] = v
    return out, finite


@njit(cache=True)
def _route(arrival, decision, d, hold, dest, release):  # type: ignore[no-untyped-def]
    """``dest = j XOR decision`` and ``release = (arrival + d [FORWARD]) + hold`` for ``(n, 2)`` decisions.

    ``decision`` must hold only 0/1; ``hold`` is an ``(n, 2)`` array or ``(0, 2)`` for none. The
    additions are done in the same order as NumPy's ``arrival[:, None] + where(dec == 1, d, 0) + hold``.
    Writes ``dest`` (int8) and ``release`` (float64), both ``(n, 2)``.
    """
    n = arrival.shape[0]
    has_hold = hold.shape[0] > 0
    for i in range(n):
        a = arrival[i]
        for j in range(2):
            f = decision[i, j] == 1
            r = a + (d if f else 0.0)
            if has_hold:
                r = r + hold[i, j]
            release[i, j] = r
            dest[i, j] = j ^ f
    return dest, release


@njit(cache=True)
def _two_point_inplace(u, p_low, low, high):  # type: ignore[no-untyped-def]
    """``u[i] <- low if u[i] < p_low else high`` in place (the values of ``np.where(u < p_low, low, high)``)."""
    for i in range(u.shape[0]):
        u[i] = low if u[i] < p_low else high
    return u
