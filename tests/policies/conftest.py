"""Shared helpers for the policies tests: hand-built inputs and a minimal scenario."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from qcoord.system import PairInputs


@dataclass(frozen=True)
class TinyScenario:
    """The four scenario attributes policies read (the real Scenario is used in integration tests)."""

    num_classes: int = 2
    backlog_levels: tuple = ()
    handoff_delay: float = 0.1
    message_latency: float = 0.5


def make_inputs(arrival, cls, role, demand=None, uniforms=None, seed=7, replication=0) -> PairInputs:
    arrival = np.asarray(arrival, dtype=np.float64)
    n = arrival.shape[0]
    cls = np.asarray(cls, dtype=np.int64).reshape(n, 2)
    demand = np.ones((n, 2)) if demand is None else np.asarray(demand, dtype=np.float64)
    if uniforms is None:
        uniforms = np.random.default_rng(np.random.SeedSequence(seed)).random((n, 4))
    return PairInputs(
        arrival=arrival,
        demand=demand,
        cls=cls,
        role=np.asarray(role, dtype=np.int8),
        uniforms=np.asarray(uniforms, dtype=np.float64),
        seed=seed,
        replication=replication,
    )


@pytest.fixture
def tiny() -> tuple[PairInputs, TinyScenario]:
    """Five isolated pairs covering every class combination and both roles.

    pair: t  cls     role (server playing A)
      0   0  (0, 0)  0
      1   1  (0, 1)  1
      2   2  (1, 0)  0
      3   3  (1, 1)  1
      4   4  (0, 1)  0
    """
    inputs = make_inputs(
        arrival=[0.0, 1.0, 2.0, 3.0, 4.0],
        cls=[[0, 0], [0, 1], [1, 0], [1, 1], [0, 1]],
        role=[0, 1, 0, 1, 0],
        uniforms=[[0.1, 0.5, 0.5, 0.5], [0.7, 0.5, 0.5, 0.5], [0.3, 0.5, 0.5, 0.5], [0.9, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]],
    )
    return inputs, TinyScenario()
