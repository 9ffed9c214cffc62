"""An independent SimPy model of the N-server system under FCFS (tests and benchmarks only).

Each server is a ``simpy.Resource`` of capacity 1. A launcher process starts every customer's process
at its release time, in the simulator's documented job order (release, KEEP before FORWARD, group,
party), so simultaneous requests queue in that order; a customer holds its server for its demand.
Returns the completion time of every customer, ``(n, k)`` by member position.
"""

from __future__ import annotations

import numpy as np


def simpy_fcfs(inputs, routing, n_servers: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    import simpy

    env = simpy.Environment()
    servers = [simpy.Resource(env, capacity=1) for _ in range(n_servers)]
    n, k = inputs.n, inputs.k
    completion = np.zeros((n, k))
    jobs = sorted(
        (float(routing.release[g, j]), int(routing.decision[g, j]), g, int(inputs.party[g, j]), j)
        for g in range(n) for j in range(k)
    )

    def customer(g: int, j: int):  # type: ignore[no-untyped-def]
        with servers[int(routing.dest[g, j])].request() as req:
            yield req
            yield env.timeout(float(inputs.demand[g, j]))
            completion[g, j] = env.now

    def launcher():  # type: ignore[no-untyped-def]
        for rel, _, g, _, j in jobs:
            if rel > env.now:
                yield env.timeout(rel - env.now)
            env.process(customer(g, j))

    env.process(launcher())
    env.run()
    return completion
