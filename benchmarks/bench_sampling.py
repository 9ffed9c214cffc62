"""Benchmark: entangled decisions per second, qcoord's sampler vs a naive per-round Born-rule sampler.

Both sample the same CHSH strategy (Werner visibility 0.9) on the same questions. The reference does
what a direct implementation would: per round, build the noisy joint distribution
``p(a, b | x, y) = tr[(A^x_a ⊗ B^y_b) rho_v]`` from the operators and draw one outcome pair.
qcoord precomputes the tables once and runs an inverse-CDF lookup per round in a numba kernel
(the time includes drawing the two uniforms per round). One core: run with NUMBA_NUM_THREADS=1.

Usage::

    python benchmarks/bench_sampling.py [--rounds 20000000] [--ref-rounds 20000] [--pool-requests 1000000]

A second part times the pair pool: :meth:`EntanglementPool.schedule` (numba, event-driven) against the
plain-Python event loop :func:`qcoord.entanglement._kernels.pool_reference` on the same requests and
the same (deterministic, attempt period 0.5, success 1) generation times, checking identical output.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from qcoord.entanglement import EntanglementPool, StreamingSource, bell_state, chsh_measurements, sample, sampler
from qcoord.entanglement import _kernels


def naive_rounds(strategy, x, y, v, rng):
    """Per-round Born rule: p = tr[(A ⊗ B) rho_v] for the 4 outcome pairs, then one categorical draw."""
    A, B = strategy.alice, strategy.bob
    dA, dB = strategy.dims
    rho = v * strategy.rho + (1 - v) * np.eye(dA * dB) / (dA * dB)
    out = np.empty((len(x), 2), dtype=np.int8)
    for i in range(len(x)):
        p = np.array([[np.trace(np.kron(A[x[i], a], B[y[i], b]) @ rho).real for b in range(2)] for a in range(2)]).ravel()
        k = rng.choice(4, p=p / p.sum())
        out[i] = divmod(k, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20_000_000)
    ap.add_argument("--ref-rounds", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pool-requests", type=int, default=1_000_000)
    ap.add_argument("--pool-ref-requests", type=int, default=100_000)
    args = ap.parse_args()
    ss = np.random.SeedSequence(args.seed)
    s_q, s_x, s_r = ss.spawn(3)
    strat = chsh_measurements().strategy(bell_state())
    qx = np.random.default_rng(s_x)
    x = qx.integers(0, 2, args.rounds)
    y = qx.integers(0, 2, args.rounds)
    rng = np.random.default_rng(s_q)
    sampler(strat).sample(x[:1000], y[:1000], rng, visibility=0.9)  # compile / load the numba cache

    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        a, b = sample(strat, x, y, rng, visibility=0.9)
        best = min(best, time.perf_counter() - t0)
    q_rate = args.rounds / best
    win = float(((a ^ b) == (x & y)).mean())

    m = args.ref_rounds
    t0 = time.perf_counter()
    ref = naive_rounds(strat, x[:m], y[:m], 0.9, np.random.default_rng(s_r))
    t_ref = time.perf_counter() - t0
    r_rate = m / t_ref
    ref_win = float(((ref[:, 0] ^ ref[:, 1]) == (x[:m] & y[:m])).mean())

    print(f"seed={args.seed} rounds={args.rounds} ref_rounds={m} visibility=0.9")
    print(f"qcoord sample : {q_rate:,.0f} rounds/s ({2 * q_rate:,.0f} decisions/s, two per round); CHSH win {win:.5f}")
    print(f"naive per-round Born rule: {r_rate:,.0f} rounds/s; CHSH win {ref_win:.4f}")
    print(f"expected CHSH win (1 + 0.9/sqrt 2)/2 = {(1 + 0.9 / np.sqrt(2)) / 2:.5f}")
    print(f"speed-up qcoord / naive: {q_rate / r_rate:,.0f}x")
    print(f"goal >= 1e7 decisions/s on one core: {'met' if 2 * q_rate >= 1e7 else 'NOT met'} "
          f"(stricter, >= 1e7 rounds/s: {'yes' if q_rate >= 1e7 else 'no'}); "
          f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    bench_pool(args.pool_requests, args.pool_ref_requests, args.seed)


def bench_pool(n: int, n_ref: int, seed: int) -> None:
    """Pool and streaming source throughput; pool vs the plain-Python reference on the same work."""
    ss = np.random.SeedSequence(seed)
    rng = np.random.default_rng(ss.spawn(1)[0])
    t = np.cumsum(rng.exponential(1.0, n))
    pool = EntanglementPool(attempt_period=0.5, capacity=4, cutoff=3.0, consume="oldest")
    pool.schedule(t[:100], 0)  # compile / load cache
    t0 = time.perf_counter()
    d = pool.schedule(t[:n_ref], 0)
    tq_small = time.perf_counter() - t0
    gens = 0.5 * np.arange(1, int(t[n_ref - 1] / 0.5) + 3)
    t0 = time.perf_counter()
    _, ref_id, _ = _kernels.pool_reference(gens, t[:n_ref], 4, 3.0, False, False)
    t_ref = time.perf_counter() - t0
    same = bool(np.array_equal(ref_id, d.pair_id))
    t0 = time.perf_counter()
    EntanglementPool(rate=2.0, capacity=4, cutoff=3.0).schedule(t, 1)
    t_big = time.perf_counter() - t0
    src = StreamingSource(rate=10.0, eta_a=0.5, eta_b=0.4)
    src.schedule(t[:100], 0)
    t0 = time.perf_counter()
    src.schedule(t, 2)
    t_stream = time.perf_counter() - t0
    print(f"pool (same {n_ref} requests, identical output: {same}): qcoord {n_ref / tq_small:,.0f} req/s, "
          f"plain-Python reference {n_ref / t_ref:,.0f} req/s, ratio {t_ref / tq_small:,.0f}x")
    print(f"pool, {n} Poisson requests (rate 2, capacity 4, cutoff 3): {t_big:.3f} s ({n / t_big:,.0f} req/s)")
    print(f"streaming source, {n} requests: {t_stream:.3f} s ({n / t_stream:,.0f} req/s)")


if __name__ == "__main__":
    main()
