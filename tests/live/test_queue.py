"""The live server's queue logic (``ServerQueue``) against the simulator's exact kernels.

Driven by a fake clock whose timers fire exactly on time, two ``ServerQueue``s fed with a
simulator routing must complete every customer at the simulator's completion time and record the
simulator's idle runs; the baseline task's accrued output then equals ``T(run)`` exactly. This
isolates the live server's scheduling logic (srpt preemption, np, fcfs, the warm-up phase) from
real timing.
"""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.compile import compile_game, solve, to_policy
from qcoord.live._nodes import ServerQueue, _Job
from qcoord.system import Scenario, power, setup
from qcoord.system.simulate import run_servers


class _Handle:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeLoop:
    """Timers that fire exactly at their due time, in (time, scheduling order)."""

    def __init__(self) -> None:
        self.t = 0.0
        self.heap: list = []
        self.seq = 0

    def now(self) -> float:
        return self.t

    def call_at(self, when: float, cb, *args):
        h = _Handle()
        heapq.heappush(self.heap, (when, self.seq, h, cb, args))
        self.seq += 1
        return h

    def run(self) -> None:
        while self.heap:
            when, _, h, cb, args = heapq.heappop(self.heap)
            if not h.cancelled:
                self.t = when
                cb(*args)


def _replay(sc: Scenario, policy) -> tuple:
    inputs = sc.draw_inputs(0)
    routing = policy.route(inputs, sc)
    loop = FakeLoop()
    done = np.full((inputs.n, 2), np.nan)

    def complete(job, t):
        done[job.n, job.origin] = t

    queues = [ServerQueue(sc.discipline, 1.0, sc.baseline, loop.now, loop.call_at, complete) for _ in (0, 1)]
    for q in queues:
        q.begin(0.0)
    # the simulator's job order: release time, KEEP before FORWARD, pair, arrival server
    order = sorted(((float(routing.release[n, j]), int(routing.decision[n, j]), n, j) for n in range(inputs.n) for j in (0, 1)))
    for seq, (r, _, n, j) in enumerate(order):
        job = _Job(n, j, float(inputs.demand[n, j]), r, seq, float(inputs.arrival[n]))
        loop.call_at(r, queues[int(routing.dest[n, j])].add, job)
    loop.run()
    return inputs, routing, done, queues


@pytest.fixture(scope="module")
def solutions():
    out = {}
    for disc in ("srpt", "np", "fcfs"):
        sc = Scenario(arrival_rate=0.3, handoff_delay=0.1, discipline=disc, baseline=setup(2.0), n_pairs=400,
                      warmup=0, replications=1, seed=11)
        out[disc] = (sc, solve(compile_game(sc, lam=0.5)))
    return out


@pytest.mark.parametrize("disc", ["srpt", "np", "fcfs"])
@pytest.mark.parametrize("kind", ["local", "entangled", "hold", "naive"])
def test_queue_equals_the_simulators_servers(solutions, disc, kind):
    sc, sol = solutions[disc]
    pol = to_policy(sol, kind)
    inputs, routing, done, queues = _replay(sc, pol)
    run = run_servers(inputs, routing, sc.discipline)
    np.testing.assert_allclose(done, run.completion, rtol=0, atol=1e-9)
    for k, q in enumerate(queues):
        runs = np.asarray(q.all_runs(float(np.nanmax(done)) + 1.0))
        # every idle run that ended with an arrival is one of the simulator's gaps, and vice versa
        ended = runs[:-1]
        np.testing.assert_allclose(ended[:, 0], run.gap_start[k], atol=1e-9)
        np.testing.assert_allclose(ended[:, 1], run.gap_end[k], atol=1e-9)
        assert runs[-1, 0] == pytest.approx(run.last_completion[k], abs=1e-9)
        # timers on time: the accrued output is T(run) exactly, the warm-up lateness zero
        np.testing.assert_allclose(runs[:, 2], sc.baseline.output(runs[:, 1] - runs[:, 0]), atol=1e-9)
        assert np.all(runs[:, 3] == 0.0)
        assert np.all(np.asarray(q.lateness) == 0.0)


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(["srpt", "np", "fcfs"]), st.floats(0.05, 0.45), st.integers(0, 2**20), st.sampled_from([0.0, 1.0, 3.0]))
def test_queue_equals_the_simulator_on_random_scenarios(disc, rate, seed, c):
    sc = Scenario(arrival_rate=rate, handoff_delay=0.05, discipline=disc, baseline=setup(c) if c else power(2.0),
                  n_pairs=150, warmup=0, replications=1, seed=seed)
    from qcoord.policies import LocalRule

    pol = LocalRule((1, 0), (0, 1))  # role A forwards short, role B forwards long: every kind of pair
    inputs, routing, done, queues = _replay(sc, pol)
    run = run_servers(inputs, routing, sc.discipline)
    np.testing.assert_allclose(done, run.completion, rtol=0, atol=1e-9)
    for q in queues:
        runs = np.asarray(q.all_runs(float(np.nanmax(done)) + 1.0))
        np.testing.assert_allclose(runs[:, 2], sc.baseline.output(runs[:, 1] - runs[:, 0]), atol=1e-9)
