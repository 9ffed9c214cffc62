"""Benchmark: pairs simulated per second, qcoord's simulator vs the independent SimPy model.

Both simulate the same scenario: Poisson pairs at utilisation 0.5, two-point demand, the chosen
discipline (``srpt`` preemptive, ``np`` non-preemptive SJF, ``fcfs``; ``all`` runs the three), hand-off delay 0.1, a local threshold rule (server 0 keeps; server 1 forwards a short customer) and
baseline setup(1), reporting mean waiting and throughput. SimPy is the process-based model of
``tests/system/simpy_model.py``; qcoord runs ``simulate`` (input drawing, routing, both event-driven
queue kernels and all metrics included; numba compilation excluded by a warm-up run). The waiting
and throughput of both are printed as a sanity check (different random streams: agree within noise).
One core: run with NUMBA_NUM_THREADS=1.

Usage::

    python benchmarks/bench_simulator.py [--pairs 1000000] [--simpy-pairs 20000] [--discipline srpt|np|fcfs|all]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qcoord.system import Scenario, TwoPoint, routing_from_decisions, setup, simulate  # noqa: E402
from tests.system import simpy_model  # noqa: E402


class Threshold:
    """Server 0 keeps; server 1 forwards its customer iff it is short (class 0)."""

    name = "threshold"

    def route(self, inputs, scenario):  # type: ignore[no-untyped-def]
        dec = np.zeros((inputs.n, 2), dtype=np.int8)
        dec[:, 1] = inputs.cls[:, 1] == 0
        return routing_from_decisions(inputs, scenario, dec)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=1_000_000)
    ap.add_argument("--simpy-pairs", type=int, default=20_000)
    ap.add_argument("--rate", type=float, default=0.5)
    ap.add_argument("--discipline", default="srpt", choices=["srpt", "np", "fcfs", "all"])
    ap.add_argument("--repeat", type=int, default=3, help="qcoord timing: best of this many runs")
    args = ap.parse_args()
    for discipline in ("srpt", "np", "fcfs") if args.discipline == "all" else (args.discipline,):
        args.discipline = discipline
        run(args)


def run(args: argparse.Namespace) -> None:
    """One discipline: time qcoord (best of ``--repeat``) and SimPy on the same scenario, print both."""

    base = dict(arrival_rate=args.rate, demand=TwoPoint(), discipline=args.discipline, role_coin=False,
                baseline=setup(1.0), handoff_delay=0.1, replications=1, seed=1)
    sc = Scenario(n_pairs=args.pairs, warmup=min(10_000, args.pairs // 20), **base)
    simulate(Scenario(n_pairs=2_000, warmup=100, **base), Threshold())  # numba warm-up

    best = best_cpu = math.inf
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        res = simulate(sc, Threshold())
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    q_rate = args.pairs / best

    low, high = 1 - math.log(2), 1 + math.log(2)
    t, c = time.perf_counter(), time.process_time()
    ref = simpy_model.run_model(
        rate=args.rate,
        sample_demand=lambda rng: low if rng.random() < 0.5 else high,
        classify=lambda s: 0 if s <= low else 1,
        decide=lambda j, c: 1 if (j == 1 and c == 0) else 0,
        d=0.1,
        discipline=args.discipline,
        n_pairs=args.simpy_pairs,
        warmup=min(10_000, args.simpy_pairs // 20),
        seed=2,
        baselines={"setup1": lambda x: np.maximum(x - 1.0, 0.0)},
    )
    s_time = time.perf_counter() - t
    s_cpu = time.process_time() - c
    s_rate = args.simpy_pairs / s_time

    print(f"scenario: rate {args.rate}, two-point demand, {args.discipline}, d = 0.1, threshold rule, setup(1)")
    print(f"qcoord  : {args.pairs:>9d} pairs in {best:7.3f} s wall ({best_cpu:.3f} s CPU) -> "
          f"{q_rate:12.0f} pairs/s (W = {res.mean('mean_waiting'):.4f}, throughput = {res.mean('throughput'):.4f})")
    print(f"SimPy   : {args.simpy_pairs:>9d} pairs in {s_time:7.3f} s wall ({s_cpu:.3f} s CPU) -> "
          f"{s_rate:12.0f} pairs/s (W = {ref['mean_waiting']:.4f}, throughput = {ref['throughput[setup1]']:.4f})")
    cpu_ratio = (args.pairs / best_cpu) / (args.simpy_pairs / s_cpu)
    print(f"ratio   : {q_rate / s_rate:.0f}x wall, {cpu_ratio:.0f}x CPU (target >= 100x); 10^6 pairs take "
          f"{1e6 / q_rate:.3f} s wall, {1e6 * best_cpu / args.pairs:.3f} s CPU (target < 1 s)")


if __name__ == "__main__":
    main()
