"""Benchmark: routing pairs per second, qcoord.policies vs a direct per-pair Python implementation.

The peer does what a straightforward implementation would, one pair at a time:

- local rule: look up each server's table by role and class, build dest and release;
- entangled: one ``EntangledPair`` per customer pair (qcoord.entanglement's object API), the A half
  measured with A's class, then the B half with B's; same uniforms, so the decisions must coincide
  exactly with the vectorised policy's (checked);
- busy-flag rule: a heap of pending releases and a per-server workload, one pair at a time.

qcoord routes the same inputs (role coin on, R1 scenario at utilisation 0.3). Both sides run in this
process; the script prints pairs/s and the ratio and asserts the decisions agree.

Usage::

    python benchmarks/bench_policies.py [--pairs 1000000] [--peer-pairs 50000]
"""

from __future__ import annotations

import argparse
import heapq
import time

import numpy as np

from qcoord.entanglement import LocalMeasurements, partially_entangled, sampler
from qcoord.policies import Entangled, LocalRule
from qcoord.system import Scenario


def peer_local(inputs, alice, bob, d):
    n = inputs.n
    dec = np.empty((n, 2), dtype=np.int8)
    rel = np.empty((n, 2))
    for i in range(n):
        ra = int(inputs.role[i])
        for j in (0, 1):
            table = alice if j == ra else bob
            dj = table[int(inputs.cls[i, j])]
            dec[i, j] = dj
            rel[i, j] = inputs.arrival[i] + (d if dj else 0.0)
    return dec, rel


def peer_entangled(inputs, strategy):
    s = sampler(strategy)
    n = inputs.n
    dec = np.empty((n, 2), dtype=np.int8)
    for i in range(n):
        ra = int(inputs.role[i])
        pair = s.pair(uniforms=(float(inputs.uniforms[i, 1]), float(inputs.uniforms[i, 2])))
        half_a, half_b = pair.halves
        dec[i, ra] = half_a.measure(int(inputs.cls[i, ra]))
        dec[i, 1 - ra] = half_b.measure(int(inputs.cls[i, 1 - ra]))
    return dec


def peer_busy(inputs, table, d):
    """table[q] with q = class * 2 + busy; same table for both roles."""
    n = inputs.n
    dec = np.empty((n, 2), dtype=np.int8)
    work = [0.0, 0.0]
    last = [0.0, 0.0]
    pending: list[tuple[float, int, float]] = []
    for i in range(n):
        t = float(inputs.arrival[i])
        while pending and pending[0][0] <= t:
            r, s, w = heapq.heappop(pending)
            work[s] = max(work[s] - (r - last[s]), 0.0) + w
            last[s] = r
        busy = []
        for s in (0, 1):
            work[s] = max(work[s] - (t - last[s]), 0.0)
            last[s] = t
            busy.append(1 if work[s] > 0.0 else 0)
        for j in (0, 1):
            dj = table[int(inputs.cls[i, j]) * 2 + busy[j]]
            dec[i, j] = dj
            heapq.heappush(pending, (t + (d if dj else 0.0), j ^ dj, float(inputs.demand[i, j])))
    return dec


def rate(n, seconds):
    return n / seconds if seconds > 0 else float("inf")


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=1_000_000)
    ap.add_argument("--peer-pairs", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sc = Scenario(arrival_rate=0.3, n_pairs=args.pairs, warmup=0, replications=1, seed=args.seed)
    sc_busy = sc.replace(backlog_levels=(0.0,))
    inputs = sc.draw_inputs(0)
    small = Scenario(arrival_rate=0.3, n_pairs=args.peer_pairs, warmup=0, replications=1, seed=args.seed).draw_inputs(0)
    strat = LocalMeasurements.from_bloch_angles([0.4, 1.9], [1.0, -0.6]).strategy(partially_entangled(np.deg2rad(42.7)))
    alice, bob = (0, 0), (1, 0)
    busy_table = (1, 0, 0, 0)
    cases = [
        ("local rule", LocalRule(alice, bob), sc, lambda inp: peer_local(inp, alice, bob, sc.handoff_delay)[0]),
        ("entangled", Entangled(strat), sc, lambda inp: peer_entangled(inp, strat)),
        ("busy-flag rule", LocalRule(busy_table), sc_busy, lambda inp: peer_busy(inp, busy_table, sc.handoff_delay)),
    ]
    print(f"{'policy':16s} {'qcoord pairs/s':>15s} {'peer pairs/s':>13s} {'ratio':>8s}   (qcoord n={args.pairs}, peer n={args.peer_pairs})")
    for label, pol, scen, peer in cases:
        pol.route(small, scen)  # warm-up: numba cache load
        r, tq = timed(pol.route, inputs, scen)
        r_small = pol.route(small, scen)
        dec_peer, tp = timed(peer, small)
        assert np.array_equal(dec_peer, r_small.decision), f"{label}: peer and qcoord decisions differ"
        rq, rp = rate(args.pairs, tq), rate(args.peer_pairs, tp)
        print(f"{label:16s} {rq:15.3e} {rp:13.3e} {rq / rp:8.1f}x")


if __name__ == "__main__":
    main()
