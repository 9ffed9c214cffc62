"""Inline policies for the simulator's own tests (the real ones live in qcoord.policies)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from qcoord.system import FORWARD, KEEP, PairInputs, Routing, Scenario, routing_from_decisions


class DecisionPolicy:
    """A policy given by a function ``inputs -> decision (n, 2)``."""

    def __init__(self, name: str, decide: Callable[[PairInputs], np.ndarray]) -> None:
        self.name = name
        self.decide = decide

    def route(self, inputs: PairInputs, scenario: Scenario) -> Routing:
        return routing_from_decisions(inputs, scenario, self.decide(inputs))


def always_split() -> DecisionPolicy:
    return DecisionPolicy("split", lambda i: np.full((i.n, 2), KEEP, dtype=np.int8))


def always_swap() -> DecisionPolicy:
    return DecisionPolicy("swap", lambda i: np.full((i.n, 2), FORWARD, dtype=np.int8))


def consolidate_at(server: int) -> DecisionPolicy:
    row = np.array([KEEP, FORWARD] if server == 0 else [FORWARD, KEEP], dtype=np.int8)
    return DecisionPolicy(f"consolidate{server}", lambda i: np.tile(row, (i.n, 1)))


def threshold_rule() -> DecisionPolicy:
    """Role-symmetric local rule: A keeps always; B forwards a short customer (class 0)."""

    def decide(i: PairInputs) -> np.ndarray:
        dec = np.zeros((i.n, 2), dtype=np.int8)
        b = 1 - i.role.astype(np.int64)  # server playing B
        rows = np.arange(i.n)
        dec[rows, b] = (i.cls[rows, b] == 0).astype(np.int8)
        return dec

    return DecisionPolicy("threshold", decide)


def random_decisions(p_forward: float = 0.5) -> DecisionPolicy:
    """Each server forwards independently with probability ``p_forward`` (uniform columns 0, 1)."""
    return DecisionPolicy(
        f"random{p_forward:g}", lambda i: (i.uniforms[:, :2] < p_forward).astype(np.int8)
    )
