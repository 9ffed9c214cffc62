"""Hot loops of ``qcoord.entanglement`` (numba), each with a plain-Python reference used in tests.

Sampling kernel
---------------
Tables (``x, y`` questions, ``a, b`` outcomes), for the signal state and for the white-noise part:

- ``PA[x, a] = p(a | x)`` (Alice's marginal) and ``P[x, y, a, b] = p(a, b | x, y)``;
- ``NA``, ``N`` the same for the maximally mixed state (``N = NA[x, a] NB[y, b]``).

Round ``i`` with visibility ``v`` uses ``p_v = v p + (1 - v) p_noise``. Alice's outcome is the inverse
CDF of ``p_v(a | x)`` at ``ua[i]``; Bob's is the inverse CDF of ``p_v(b | x, y, a)`` at ``ub[i]``,
evaluated without division by comparing ``ub[i] * p_v(a | x)`` against cumulative sums of
``p_v(a, b | x, y)`` over ``b``. Alice's step never reads ``y``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "sample_kernel",
    "sample_kernel_rng",
    "sample_reference",
    "pool_kernel",
    "pool_reference",
    "stream_kernel",
    "stream_reference",
]


@njit(cache=True, nogil=True, inline="always")
def _round(xi, yi, ua, ub, vi, PA, NA, P, N):  # pragma: no cover - compiled
    """One round: (a, b) by inverse CDF; Alice's step reads only x."""
    na = PA.shape[1]
    nb = P.shape[3]
    wi = 1.0 - vi
    acc = 0.0
    a = na - 1
    for k in range(na - 1):
        acc += vi * PA[xi, k] + wi * NA[xi, k]
        if ua < acc:
            a = k
            break
    pa = vi * PA[xi, a] + wi * NA[xi, a]
    thr = ub * pa
    acc = 0.0
    b = nb - 1
    for k in range(nb - 1):
        acc += vi * P[xi, yi, a, k] + wi * N[xi, yi, a, k]
        if thr < acc:
            b = k
            break
    return a, b


@njit(cache=True, nogil=True)
def sample_kernel(x, y, ua, ub, v, PA, NA, P, N, out_a, out_b):  # pragma: no cover - compiled
    """Rounds with pre-drawn uniforms ``ua`` (Alice) and ``ub`` (Bob); ``v`` has length 1 or n."""
    n = x.shape[0]
    scalar_v = v.shape[0] == 1
    for i in range(n):
        vi = v[0] if scalar_v else v[i]
        a, b = _round(x[i], y[i], ua[i], ub[i], vi, PA, NA, P, N)
        out_a[i] = a
        out_b[i] = b


@njit(cache=True, nogil=True)
def sample_kernel_rng(rng, x, y, v, PA, NA, P, N, out_a, out_b):  # pragma: no cover - compiled
    """As :func:`sample_kernel`, drawing ``ua[i], ub[i]`` from ``rng`` in that order per round (the
    order of ``rng.random((n, 2))``), without materialising the uniforms."""
    n = x.shape[0]
    scalar_v = v.shape[0] == 1
    for i in range(n):
        vi = v[0] if scalar_v else v[i]
        ua = rng.random()
        ub = rng.random()
        a, b = _round(x[i], y[i], ua, ub, vi, PA, NA, P, N)
        out_a[i] = a
        out_b[i] = b


def sample_reference(x, y, ua, ub, v, PA, NA, P, N):
    """Plain-Python reference of :func:`sample_kernel` (one round at a time, explicit division)."""
    n = len(x)
    out_a = np.empty(n, dtype=np.int64)
    out_b = np.empty(n, dtype=np.int64)
    for i in range(n):
        vi = float(v[0] if len(v) == 1 else v[i])
        xi, yi = int(x[i]), int(y[i])
        pa = [vi * PA[xi, k] + (1 - vi) * NA[xi, k] for k in range(PA.shape[1])]
        a = len(pa) - 1
        c = 0.0
        for k, p in enumerate(pa[:-1]):
            c += p
            if ua[i] < c:
                a = k
                break
        joint = [vi * P[xi, yi, a, k] + (1 - vi) * N[xi, yi, a, k] for k in range(P.shape[3])]
        cond = [p / pa[a] for p in joint] if pa[a] > 0 else [1.0 / len(joint)] * len(joint)
        b = len(cond) - 1
        c = 0.0
        for k, p in enumerate(cond[:-1]):
            c += p
            if ub[i] < c:
                b = k
                break
        out_a[i] = a
        out_b[i] = b
    return out_a, out_b


# ---------------------------------------------------------------------------------------------
# Pool kernel
# ---------------------------------------------------------------------------------------------
# Generation modes: 0 = Poisson with rate ``rate``; 1 = attempts every ``period`` each heralding a
# pair with probability ``q`` (successes on the grid k * period, k >= 1).
# Memory: a ring of stored generation times and ids (sorted by generation time, oldest first).


@njit(cache=True)
def _grid_index(t, period):  # pragma: no cover - compiled
    """The integer k with k * period <= t < (k + 1) * period (robust to rounding)."""
    k = math.floor(t / period)
    while (k + 1.0) * period <= t:
        k += 1.0
    while k * period > t:
        k -= 1.0
    return k


@njit(cache=True)
def _next_generation(rng, t, mode, rate, period, q):  # pragma: no cover - compiled
    """First generation time strictly after ``t`` (memoryless restart at ``t``)."""
    if mode == 0:
        return t + rng.standard_exponential() / rate
    k = _grid_index(t, period) + 1.0
    if q < 1.0:
        k += rng.geometric(q) - 1.0
    return k * period


@njit(cache=True)
def _count_generations(rng, t0, t1, mode, rate, period, q):  # pragma: no cover - compiled
    """Number of generations in (t0, t1] (used to count pairs dropped while the memory is full)."""
    if t1 <= t0:
        return 0
    if mode == 0:
        return rng.poisson(rate * (t1 - t0))
    slots = int(_grid_index(t1, period) - _grid_index(t0, period))
    if slots <= 0:
        return 0
    if q >= 1.0:
        return slots
    return rng.binomial(slots, q)


@njit(cache=True)
def _last_generations(rng, t0, t1, mode, rate, period, q, C, buf):  # pragma: no cover - compiled
    """Count the generations in (t0, t1] and fill ``buf[:k]`` with the last ``k = min(count, C)``
    of their times, ascending. Returns ``(count, k)``.

    Exact in law without drawing every generation: a Poisson process read backwards from ``t1`` is
    again a Poisson process (exponential gaps), and the attempts read backwards are again Bernoulli
    trials (geometric gaps); the generations before the C-th last are only counted.
    """
    k = 0
    if mode == 0:
        s = t1
        while k < C:
            s -= rng.standard_exponential() / rate
            if s <= t0:
                break
            buf[k] = s
            k += 1
        total = k
        if k == C:
            total = C + rng.poisson(rate * (buf[C - 1] - t0))
    else:
        K0 = _grid_index(t0, period)
        j = _grid_index(t1, period)
        while k < C:
            if q < 1.0:
                j -= rng.geometric(q) - 1.0
            if j <= K0:
                break
            buf[k] = j * period
            k += 1
            j -= 1.0
        total = k
        if k == C:
            rest = int(j - K0)
            if rest > 0:
                total += rest if q >= 1.0 else rng.binomial(rest, q)
    # ascending order
    for i in range(k // 2):
        tmp = buf[i]
        buf[i] = buf[k - 1 - i]
        buf[k - 1 - i] = tmp
    return total, k


@njit(cache=True)
def pool_kernel(
    rng, req, mode, rate, period, q, capacity, cutoff, freshest, evict_oldest, n_initial,
    out_gen, out_id, stats,
):  # pragma: no cover - compiled
    """Event-driven pool. Fills ``out_gen`` (generation time of the consumed pair, NaN = fallback),
    ``out_id`` (pair id, -1 = fallback) and ``stats`` =
    [generated, consumed, discarded_cutoff, dropped_capacity, fallbacks, left_in_memory].

    Pair ids count generated pairs in order of generation (0, 1, ...), including pairs dropped
    because the memory was full, so ids of consumed pairs are strictly increasing in generation time.
    """
    n = req.shape[0]
    mem_t = np.empty(capacity, dtype=np.float64)
    mem_id = np.empty(capacity, dtype=np.int64)
    buf = np.empty(capacity, dtype=np.float64)
    head = 0  # index of the oldest stored pair in the ring
    size = 0
    next_id = 0
    generated = 0
    consumed = 0
    discarded = 0
    dropped = 0
    fallbacks = 0
    use_cutoff = cutoff > 0.0 and cutoff < np.inf
    # initial pairs, generated at time 0
    for j in range(n_initial):
        if size < capacity:
            mem_t[(head + size) % capacity] = 0.0
            mem_id[(head + size) % capacity] = next_id
            size += 1
        else:
            dropped += 1
        next_id += 1
        generated += 1
    t_gen = _next_generation(rng, 0.0, mode, rate, period, q)
    for i in range(n):
        t = req[i]
        # advance generation and expiry events up to and including time t
        while True:
            # earliest expiry among stored pairs (the oldest)
            t_exp = np.inf
            if use_cutoff and size > 0:
                t_exp = mem_t[head] + cutoff
            if t_exp < t_gen and t_exp < t:
                # the oldest pair reaches its cutoff age: discard it
                head = (head + 1) % capacity
                size -= 1
                discarded += 1
                continue
            if t_gen <= t:
                if size < capacity:
                    mem_t[(head + size) % capacity] = t_gen
                    mem_id[(head + size) % capacity] = next_id
                    size += 1
                    next_id += 1
                    generated += 1
                    t_gen = _next_generation(rng, t_gen, mode, rate, period, q)
                elif evict_oldest:
                    expected = (rate if mode == 0 else q / period) * (t - t_gen)
                    if use_cutoff or expected <= 4.0 * capacity:
                        mem_t[head] = t_gen  # overwrite the oldest; it becomes the newest
                        mem_id[head] = next_id
                        head = (head + 1) % capacity
                        dropped += 1
                        next_id += 1
                        generated += 1
                        t_gen = _next_generation(rng, t_gen, mode, rate, period, q)
                    else:
                        # fast-forward to the request: of the generations at t_gen and in (t_gen, t],
                        # only the newest `capacity` stay; each generation evicts the oldest pair.
                        m, k = _last_generations(rng, t_gen, t, mode, rate, period, q, capacity, buf)
                        total = 1 + m
                        keep = total if total < capacity else capacity
                        first_id = next_id + total - keep
                        for j in range(keep):
                            # the kept ones are the last `keep` of [t_gen, buf[0], ..., buf[k-1]]
                            src = k - keep + j
                            mem_t[head] = t_gen if src < 0 else buf[src]
                            mem_id[head] = first_id + j
                            head = (head + 1) % capacity
                        dropped += total
                        generated += total
                        next_id += total
                        t_gen = _next_generation(rng, t, mode, rate, period, q)
                else:
                    # memory full, new pairs are dropped until a slot opens (expiry) or the request:
                    # count them in one draw and restart the memoryless generation clock there.
                    t_open = t
                    if t_exp < t:
                        t_open = t_exp
                    k = 1 + _count_generations(rng, t_gen, t_open, mode, rate, period, q)
                    dropped += k
                    next_id += k
                    generated += k
                    t_gen = _next_generation(rng, t_open, mode, rate, period, q)
                continue
            break
        # consume
        if size > 0:
            if freshest:
                slot = (head + size - 1) % capacity
            else:
                slot = head
                head = (head + 1) % capacity
            out_gen[i] = mem_t[slot]
            out_id[i] = mem_id[slot]
            size -= 1
            consumed += 1
        else:
            out_gen[i] = np.nan
            out_id[i] = -1
            fallbacks += 1
    stats[0] = generated
    stats[1] = consumed
    stats[2] = discarded
    stats[3] = dropped
    stats[4] = fallbacks
    stats[5] = size


def pool_reference(gen_times, req, capacity, cutoff, freshest, evict_oldest, n_initial=0):
    """Plain-Python pool on an explicit list of generation times (no fast-forward, no RNG).

    Returns ``(gen_of_consumed, id_of_consumed, stats)`` with the same meaning as :func:`pool_kernel`,
    where generation ``j`` of ``gen_times`` gets id ``n_initial + j``. Generations after the last
    request are ignored.
    """
    events = [(0.0, 0, j) for j in range(n_initial)]
    events += [(float(g), 0, n_initial + j) for j, g in enumerate(gen_times)]  # kind 0: generation
    events += [(float(t), 1, i) for i, t in enumerate(req)]  # kind 1: request (after gens at same time)
    events.sort(key=lambda e: (e[0], e[1]))
    mem: list[tuple[float, int]] = []  # (gen time, id), oldest first
    out_gen = np.full(len(req), np.nan)
    out_id = np.full(len(req), -1, dtype=np.int64)
    generated = consumed = discarded = dropped = fallbacks = 0
    last_req = max(req) if len(req) else 0.0
    use_cutoff = cutoff is not None and 0 < cutoff < math.inf

    def expire(now: float) -> None:
        nonlocal discarded
        while use_cutoff and mem and mem[0][0] + cutoff < now:
            mem.pop(0)
            discarded += 1

    for t, kind, idx in events:
        if kind == 0 and t > last_req:
            break
        expire(t)
        if kind == 0:
            generated += 1
            if len(mem) < capacity:
                mem.append((t, idx))
            elif evict_oldest:
                mem.pop(0)
                mem.append((t, idx))
                dropped += 1
            else:
                dropped += 1
        else:
            if mem:
                g, pid = mem.pop(-1) if freshest else mem.pop(0)
                out_gen[idx] = g
                out_id[idx] = pid
                consumed += 1
            else:
                fallbacks += 1
    stats = np.array([generated, consumed, discarded, dropped, fallbacks, len(mem)], dtype=np.int64)
    return out_gen, out_id, stats


# ---------------------------------------------------------------------------------------------
# Streaming kernel
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def stream_kernel(rng, req, rate, eta_a, eta_b, out_time, out_id, stats):  # pragma: no cover - compiled
    """Streaming source with the memoryless shortcut.

    Emissions are Poisson(rate); a pair is *usable* (a coincidence) iff detected on both sides,
    independently with ``eta_a`` and ``eta_b``: coincidences form a Poisson process of rate
    ``rate * eta_a * eta_b``, and the other emissions an independent Poisson process of the rest.
    Request ``i`` takes the first coincidence strictly after ``max(req[i], previous used pair)``.
    ``out_id`` is the index of the used pair among all *emitted* pairs (so ids count lost and unused
    pairs too). ``stats`` = [emitted, coincidences, used, unused_coincidences, lost].
    """
    n = req.shape[0]
    rc = rate * eta_a * eta_b
    rl = rate - rc
    last = 0.0  # time of the previous used coincidence (or 0)
    emitted = 0
    coinc = 0
    used = 0
    unused = 0
    lost = 0
    for i in range(n):
        t = req[i]
        start = last
        if t > last:
            # coincidences in (last, t] are never used
            k = rng.poisson(rc * (t - last))
            unused += k
            coinc += k
            emitted += k
            start = t
        tp = start + rng.standard_exponential() / rc
        # lost pairs emitted between the previous used pair and this one
        if rl > 0.0:
            kl = rng.poisson(rl * (tp - last))
            lost += kl
            emitted += kl
        # unused coincidences between `last` and `start` have been counted; this one is used
        emitted += 1
        coinc += 1
        used += 1
        out_time[i] = tp
        out_id[i] = emitted - 1
        last = tp
    stats[0] = emitted
    stats[1] = coinc
    stats[2] = used
    stats[3] = unused
    stats[4] = lost


def stream_reference(emit_times, det_a, det_b, req):
    """Explicit time-tag protocol for the streaming source (plain Python, used in tests).

    Each side knows only its own detection time tags and receives the other side's tags (the
    coincidence identification of entanglement-based QKD). For every request, *each side separately*
    scans its own detections from the request time on and takes the first one that the other side
    also detected and that no earlier request used. Returns ``(id_a, id_b, time)``: the emission index
    chosen by side A and by side B (they must agree) and its time tag.
    """
    emit_times = np.asarray(emit_times, dtype=np.float64)
    tags_a = [i for i in range(len(emit_times)) if det_a[i]]
    tags_b = [i for i in range(len(emit_times)) if det_b[i]]
    set_a, set_b = set(tags_a), set(tags_b)

    def side(own: list[int], other: set[int]) -> list[int]:
        chosen: list[int] = []
        ptr = 0
        last = -1
        for t in req:
            while ptr < len(own) and (emit_times[own[ptr]] < t or own[ptr] <= last or own[ptr] not in other):
                ptr += 1
            if ptr == len(own):
                chosen.append(-1)
                continue
            last = own[ptr]
            chosen.append(last)
            ptr += 1
        return chosen

    ida = np.array(side(tags_a, set_b), dtype=np.int64)
    idb = np.array(side(tags_b, set_a), dtype=np.int64)
    times = np.where(ida >= 0, emit_times[np.maximum(ida, 0)], np.nan)
    return ida, idb, times
