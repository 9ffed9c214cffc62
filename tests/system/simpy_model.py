"""An independent SimPy implementation of the dual-work two-server model (tests and benchmarks only).

Written from model.md section 1 without using the simulator's code: processes generate pairs,
each server decides KEEP/FORWARD from its own class, forwarded customers travel for ``d`` and each
server is a SimPy process that serves its present customers by the discipline:

- ``srpt``: serve the least remaining work; an arrival interrupts service and the choice is redone;
- ``np``: when free, start the smallest waiting customer and finish it;
- ``fcfs``: when free, start the earliest released customer and finish it.

Idle intervals are recorded by the server process itself (it goes idle when nothing is present and
wakes on the next arrival).

Two entry points:

- :func:`replay`: run given releases/sizes/destinations (the simulator's own inputs and routing), to
  compare completion times customer by customer;
- :func:`run_model`: the whole model with its own random stream (pairs, demands, classes, decisions,
  hand-offs), returning the metrics the simulator reports, for comparison within confidence intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import simpy


@dataclass
class _Customer:
    pair: int
    origin: int
    arrival: float
    size: float
    release: float
    seq: int
    remaining: float = 0.0
    completion: float = math.nan


class _Server:
    def __init__(self, env: simpy.Environment, discipline: str) -> None:
        self.env = env
        self.discipline = discipline
        self.present: list[_Customer] = []
        self.idle: list[list[float]] = []  # [start, end]; end = inf while idle
        self.signal = env.event()
        self.seq = 0
        self.done: list[_Customer] = []
        env.process(self._serve())

    def arrive(self, c: _Customer) -> None:
        c.remaining = c.size
        self.present.append(c)
        if not self.signal.triggered:
            self.signal.succeed()

    def _choose(self) -> _Customer:
        if self.discipline == "srpt":
            return min(self.present, key=lambda c: (c.remaining, c.release, c.seq))
        if self.discipline == "np":
            return min(self.present, key=lambda c: (c.size, c.release, c.seq))
        return min(self.present, key=lambda c: (c.release, c.seq))

    def _serve(self):  # type: ignore[no-untyped-def]
        env = self.env
        while True:
            if not self.present:
                self.idle.append([env.now, math.inf])
                yield self.signal
                self.signal = env.event()
                self.idle[-1][1] = env.now
                continue
            if self.signal.triggered:
                self.signal = env.event()
            c = self._choose()
            start = env.now
            if self.discipline == "srpt":
                done = env.timeout(c.remaining)
                yield done | self.signal
                if done.processed or math.isclose(env.now - start, c.remaining, rel_tol=0, abs_tol=0):
                    self._complete(c)
                else:
                    c.remaining -= env.now - start
                    self.signal = env.event()
            else:
                yield env.timeout(c.remaining)
                self._complete(c)

    def _complete(self, c: _Customer) -> None:
        c.remaining = 0.0
        c.completion = self.env.now
        self.present.remove(c)
        self.done.append(c)


def replay(
    arrival: np.ndarray, size: np.ndarray, dest: np.ndarray, release: np.ndarray, discipline: str
) -> tuple[np.ndarray, list[list[list[float]]]]:
    """Serve given customers (shape (n, 2) arrays) in SimPy; completion times (n, 2) and idle intervals."""
    env = simpy.Environment()
    servers = [_Server(env, discipline), _Server(env, discipline)]
    customers = []
    order = sorted(((float(release[n, j]), n, j) for n in range(arrival.shape[0]) for j in (0, 1)))
    for seq, (rel, n, j) in enumerate(order):
        customers.append(_Customer(n, j, float(arrival[n]), float(size[n, j]), rel, seq))

    def feeder():  # type: ignore[no-untyped-def]
        for c in customers:
            if c.release > env.now:
                yield env.timeout(c.release - env.now)
            servers[int(dest[c.pair, c.origin])].arrive(c)

    env.process(feeder())
    env.run()
    comp = np.full(size.shape, np.nan)
    for c in customers:
        comp[c.pair, c.origin] = c.completion
    return comp, [s.idle for s in servers]


def run_model(
    *,
    rate: float,
    sample_demand: Callable[[np.random.Generator], float],
    classify: Callable[[float], int],
    decide: Callable[[int, int], int],
    d: float,
    discipline: str,
    n_pairs: int,
    warmup: int,
    seed: int,
    baselines: dict[str, Callable[[np.ndarray], np.ndarray]],
) -> dict[str, float]:
    """Simulate the model with its own random stream; the simulator's metrics for one replication.

    ``decide(server, own_class) -> 0 (KEEP) | 1 (FORWARD)`` is the local rule of each server.
    Metrics: ``mean_waiting`` (both customers of pairs >= warmup), ``utilisation`` (busy fraction in
    the window from the arrival of pair ``warmup`` to the last arrival), ``split_prob`` and
    ``throughput[name]`` for each baseline (sum of T over idle intervals clipped to the window, per
    unit time).
    """
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    servers = [_Server(env, discipline), _Server(env, discipline)]
    customers: list[_Customer] = []
    arrivals: list[float] = []
    splits: list[bool] = []

    def handoff(c: _Customer, to: int):  # type: ignore[no-untyped-def]
        yield env.timeout(d)
        servers[to].arrive(c)

    def pairs():  # type: ignore[no-untyped-def]
        seq = 0
        for n in range(n_pairs):
            yield env.timeout(rng.exponential(1.0 / rate))
            arrivals.append(env.now)
            decisions = []
            for j in (0, 1):
                s = sample_demand(rng)
                dec = decide(j, classify(s))
                decisions.append(dec)
                c = _Customer(n, j, env.now, s, env.now + (d if dec else 0.0), seq)
                seq += 1
                customers.append(c)
                if dec == 0:
                    servers[j].arrive(c)
                else:
                    env.process(handoff(c, 1 - j))
            splits.append(decisions[0] == decisions[1])

    env.process(pairs())
    env.run()
    waits = [c.completion - c.arrival - c.size for c in customers if c.pair >= warmup]
    t0, t1 = arrivals[warmup], arrivals[-1]
    runs = []
    for s in servers:
        for a, b in s.idle:
            length = min(b, t1) - max(a, t0)
            if length > 0:
                runs.append(length)
    runs_arr = np.array(runs)
    span = t1 - t0
    out = {
        "mean_waiting": float(np.mean(waits)),
        "utilisation": 1.0 - float(runs_arr.sum()) / (2 * span),
        "split_prob": float(np.mean(splits[warmup:])),
    }
    for name, fn in baselines.items():
        out[f"throughput[{name}]"] = float(np.sum(fn(runs_arr))) / span
    return out
