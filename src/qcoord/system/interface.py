"""The contract between policies and the simulator.

A replication draws its random inputs once (:class:`PairInputs`, common random numbers shared by
every policy simulated on it). A policy turns them into a :class:`Routing`: for every customer, the
server that serves it and the time it joins that server's queue. The simulator then runs each
server's queue exactly and measures waiting and baseline output.

Conventions
-----------
- Servers are indexed 0 and 1. Customer ``j`` of pair ``n`` is the one that *arrived at* server ``j``.
- Decisions: ``KEEP = 0`` and ``FORWARD = 1``; these are also the answer indices of compiled games
  (answer 0 = KEEP, answer 1 = FORWARD).
- Roles: ``role[n] = r`` means server ``r`` plays "A" (Alice) in pair ``n`` and server ``1 - r``
  plays "B" (Bob). Without a role coin ``role`` is all zeros (server 0 is always A).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # pragma: no cover
    from .scenario import Scenario

__all__ = ["KEEP", "FORWARD", "PairInputs", "Routing", "Policy", "ScenarioError", "RoutingError"]

KEEP: int = 0
FORWARD: int = 1


class ScenarioError(ValueError):
    """A scenario (or one of its parts: demand, baseline, arrivals) failed validation.

    The message starts with the field name and states the allowed range.
    """


class RoutingError(ValueError):
    """A policy returned a :class:`Routing` that is inconsistent with its inputs."""


@dataclass(frozen=True, eq=False)
class PairInputs:
    """The random inputs of one replication (common random numbers across policies).

    Attributes
    ----------
    arrival : ndarray, shape (n,)
        Pair arrival times (time unit = mean demand), non-decreasing.
    demand : ndarray, shape (n, 2)
        ``demand[n, j]``: service demand of the customer that arrived at server ``j``.
    cls : ndarray of int, shape (n, 2)
        ``cls[n, j]``: the demand class that server ``j`` observes for its own customer.
    role : ndarray of int8, shape (n,)
        Which server plays "A" (see module notes).
    uniforms : ndarray, shape (n, k)
        Independent U(0, 1) numbers per pair for shared randomness and for sampling correlated
        decisions; column meaning is fixed by the consumer (policies document which they use).
    seed : int
        Entropy of the ``SeedSequence`` that produced these inputs.
    replication : int
        Index of the replication.
    """

    arrival: NDArray[np.float64]
    demand: NDArray[np.float64]
    cls: NDArray[np.int64]
    role: NDArray[np.int8]
    uniforms: NDArray[np.float64]
    seed: int
    replication: int

    @property
    def n(self) -> int:
        """Number of pairs."""
        return int(self.arrival.shape[0])


@dataclass(frozen=True, eq=False)
class Routing:
    """Where and when every customer is served.

    Attributes
    ----------
    dest : ndarray of int8, shape (n, 2)
        ``dest[n, j]``: server that serves the customer that arrived at server ``j``.
    release : ndarray, shape (n, 2)
        Time that customer joins ``dest[n, j]``'s queue (``>= arrival[n]``: hand-off delay ``d``
        for a forwarded customer, message latency ``D`` for a held one, and so on).
    decision : ndarray of int8, shape (n, 2)
        Final ``KEEP``/``FORWARD`` decision of server ``j`` about its own customer.
    """

    dest: NDArray[np.int8]
    release: NDArray[np.float64]
    decision: NDArray[np.int8]


@runtime_checkable
class Policy(Protocol):
    """Anything the simulator can run: a name and a ``route`` method.

    ``route`` receives the replication's inputs and the scenario and returns a :class:`Routing`.
    Communication-free policies must build their decisions from each server's *own* observation
    and its own share of a resource only; ``qcoord.policies`` enforces this by construction.
    """

    name: str

    def route(self, inputs: PairInputs, scenario: "Scenario") -> Routing:  # pragma: no cover
        """Decide every pair of one replication: a :class:`Routing` with arrays of shape ``(inputs.n, 2)``."""
        ...
