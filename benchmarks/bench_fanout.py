"""Benchmark: customers simulated per second, qcoord's N-server simulator vs the independent SimPy model.

Both run the same inputs and routing (N = 3 servers, groups of 3, FCFS, Poisson groups at utilisation
0.5, exponential demands, hand-off delay 0.1, a local rule: party 0 keeps, the others forward a short
customer), and both completion arrays are compared (they must agree to 1e-9). qcoord's time covers the
per-server queue runs and every metric (``simulate_fanout`` on a prepared policy); numba compilation is
excluded by a warm-up run. One core: run with NUMBA_NUM_THREADS=1.

Usage::

    python benchmarks/bench_fanout.py [--groups 200000] [--simpy-groups 20000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qcoord.policies.fanout import GroupRule  # noqa: E402
from qcoord.system.fanout import FanoutScenario, group_completions, simulate_fanout  # noqa: E402
from tests.nserver.simpy_fanout import simpy_fcfs  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--groups", type=int, default=200_000)
    ap.add_argument("--simpy-groups", type=int, default=20_000)
    a = ap.parse_args()
    rule = GroupRule("rule", np.array([[0, 0], [1, 0], [1, 0]], dtype=np.int8))
    base = dict(n_servers=3, fanout=3, arrival_rate=0.5, discipline="fcfs", handoff_delay=0.1,
                demand={"kind": "exponential", "mean": 1.0}, warmup=0, replications=1, seed=1)
    small = FanoutScenario(n_groups=a.simpy_groups, **base)
    inputs = small.draw_inputs(0)
    routing = rule.route(inputs, small)
    t = time.perf_counter()
    ref = simpy_fcfs(inputs, routing, 3)
    t_simpy = time.perf_counter() - t
    ours = group_completions(inputs, routing, small)
    err = float(np.max(np.abs(ours - ref)))
    big = FanoutScenario(n_groups=a.groups, **base)
    simulate_fanout(big.replace(n_groups=2000), rule)  # warm-up (numba)
    t = time.perf_counter()
    res = simulate_fanout(big, rule)
    t_q = time.perf_counter() - t
    rate_simpy = 3 * a.simpy_groups / t_simpy
    rate_q = 3 * a.groups / t_q
    print(f"SimPy : {a.simpy_groups:>9,} groups in {t_simpy:7.2f} s = {rate_simpy:12,.0f} customers/s")
    print(f"qcoord: {a.groups:>9,} groups in {t_q:7.2f} s = {rate_q:12,.0f} customers/s "
          f"(mean waiting {res.mean('mean_waiting'):.4f}, excess response {res.mean('mean_response_excess'):.4f})")
    print(f"same inputs, max |completion difference| = {err:.2e}")
    print(f"ratio (qcoord / SimPy customers per second): {rate_q / rate_simpy:.0f}x")


if __name__ == "__main__":
    main()
