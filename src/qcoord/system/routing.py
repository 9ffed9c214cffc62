"""From decisions to a :class:`Routing`: where and when every customer joins a queue.

Decision ``KEEP`` by server ``j`` about its own customer: the customer joins server ``j`` at the
pair's arrival time (plus any hold). ``FORWARD``: it joins server ``1 - j`` a hand-off delay ``d``
later. Communicating policies may *hold* a customer at its arrival server until a message arrives
and decide then: :func:`routing_with_holds` takes the hold per customer, after which the decision
takes effect (a held-then-kept customer joins at ``arrival + hold``, a held-then-forwarded one at
``arrival + hold + d``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._kernels import _route, routing_violation
from .interface import FORWARD, KEEP, PairInputs, Routing, RoutingError

__all__ = ["routing_from_decisions", "routing_with_holds", "check_routing"]

if TYPE_CHECKING:  # pragma: no cover
    from .scenario import Scenario


def _decisions(decision: ArrayLike, n: int) -> NDArray[np.int8]:
    dec = np.asarray(decision)
    if dec.shape != (n, 2):
        raise RoutingError(f"decision: must have shape ({n}, 2), got {dec.shape}")
    if dec.dtype.kind == "b":
        return dec.astype(np.int8)
    if dec.dtype.kind not in "iu":
        if not np.all(np.isin(dec, (KEEP, FORWARD))):
            raise RoutingError("decision: entries must be KEEP (0) or FORWARD (1)")
    elif dec.size and not (dec.min() >= KEEP and dec.max() <= FORWARD):
        raise RoutingError("decision: entries must be KEEP (0) or FORWARD (1)")
    return dec.astype(np.int8, copy=False)


def routing_with_holds(
    inputs: PairInputs, scenario: "Scenario", decision: ArrayLike, hold: ArrayLike | None = None
) -> Routing:
    """Routing for decisions that take effect after an optional hold.

    Parameters
    ----------
    inputs : PairInputs
        The replication's inputs (for the arrival times).
    scenario : Scenario
        For the hand-off delay ``d``.
    decision : array_like of int, shape (n, 2)
        Final decision of server ``j`` about its own customer (``KEEP``/``FORWARD``).
    hold : array_like, shape (n, 2) or None
        Time (>= 0) customer ``j`` waits at its arrival server before the decision takes effect,
        e.g. the message latency ``D`` for a customer held for a message; ``None`` = no holds.

    Returns
    -------
    Routing
        ``dest[n, j] = j`` for KEEP and ``1 - j`` for FORWARD; ``release = arrival + hold + d *
        [FORWARD]``.
    """
    n = inputs.n
    dec = _decisions(decision, n)
    if hold is None:
        h = np.empty((0, 2), dtype=np.float64)
    else:
        h = np.asarray(hold, dtype=np.float64)
        if h.shape != (n, 2):
            raise RoutingError(f"hold: must have shape ({n}, 2), got {h.shape}")
        if not (np.all(np.isfinite(h)) and np.all(h >= 0)):
            raise RoutingError("hold: every hold must be finite and >= 0")
    # one compiled pass: dest = j XOR dec, release = arrival + d [FORWARD] + hold
    dest = np.empty((n, 2), dtype=np.int8)
    release = np.empty((n, 2), dtype=np.float64)
    _route(np.ascontiguousarray(inputs.arrival, dtype=np.float64), dec, float(scenario.handoff_delay), h, dest, release)
    return Routing(dest=dest, release=release, decision=dec)


def routing_from_decisions(inputs: PairInputs, scenario: "Scenario", decision: ArrayLike) -> Routing:
    """Routing of communication-free decisions: KEEP joins at arrival, FORWARD ``d`` later elsewhere.

    See :func:`routing_with_holds` (this is the case without holds): for pair ``n`` arriving at
    :math:`t_n`, customer ``j`` goes to ``dest = j`` released at :math:`t_n` if KEEP, and to
    ``dest = 1 - j`` released at :math:`t_n + d` if FORWARD (``d`` = ``scenario.handoff_delay``).

    Parameters
    ----------
    inputs : PairInputs
    scenario : Scenario
    decision : array_like of int, shape (n, 2)
        ``decision[n, j]`` of server ``j`` for its own customer: 0 = KEEP, 1 = FORWARD.

    Returns
    -------
    Routing
    """
    return routing_with_holds(inputs, scenario, decision, None)


def check_routing(routing: Routing, inputs: PairInputs) -> None:
    """Raise :class:`RoutingError` unless ``routing`` is consistent with ``inputs``.

    Checks shapes ``(n, 2)``, ``dest`` in {0, 1}, ``decision`` in {KEEP, FORWARD} and consistent with
    ``dest`` (``dest[n, j] == j`` iff KEEP), and finite releases no earlier than the pair's arrival.

    Parameters
    ----------
    routing : Routing
        What a policy returned.
    inputs : PairInputs
        The inputs it was computed from.

    Raises
    ------
    RoutingError
        Naming the offending field (``routing.dest``, ``routing.release``, ``routing.decision``).
    """
    dest, dec, rel = _checked_arrays(routing, inputs)
    code = routing_violation(
        dest.astype(np.int8) if dest.dtype.kind == "b" else dest,
        dec.astype(np.int8) if dec.dtype.kind == "b" else dec,
        rel.astype(np.float64, copy=False),
        np.asarray(inputs.arrival, dtype=np.float64),
    )
    if code:
        raise violation_error(code)


def _checked_arrays(routing: Routing, inputs: PairInputs) -> tuple[NDArray, NDArray, NDArray]:
    """Shape and dtype checks of :func:`check_routing`; returns ``dest``, ``decision``, ``release``."""
    n = inputs.n
    for name in ("dest", "release", "decision"):
        arr = getattr(routing, name)
        if np.shape(arr) != (n, 2):
            raise RoutingError(f"routing.{name}: must have shape ({n}, 2), got {np.shape(arr)}")
    dest = np.asarray(routing.dest)
    dec = np.asarray(routing.decision)
    rel = np.asarray(routing.release)
    for name, arr in (("dest", dest), ("decision", dec)):
        if arr.dtype.kind not in "iub":
            raise RoutingError(f"routing.{name}: must be an integer array, got dtype {arr.dtype}")
    if rel.dtype.kind not in "iuf":
        raise RoutingError(f"routing.release: must be a real array, got dtype {rel.dtype}")
    return dest, dec, rel


def violation_error(code: int) -> RoutingError:
    """The :class:`RoutingError` for rule ``code`` of :func:`_kernels.routing_violation`."""
    return RoutingError(_VIOLATIONS[code])


_VIOLATIONS = {
    1: "routing.dest: servers must be 0 or 1",
    2: "routing.decision: entries must be KEEP (0) or FORWARD (1)",
    3: "routing.decision: must be FORWARD exactly where dest differs from the arrival server",
    4: "routing.release: release times must be finite",
    5: "routing.release: a customer cannot join a queue before its pair arrives",
}
