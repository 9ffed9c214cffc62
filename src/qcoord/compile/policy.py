"""A solved pair game as a simulator policy, for every strategy class of model.md section 4.

=================  ==========================================================================
kind               policy
=================  ==========================================================================
``local``          the certified classical optimum (a threshold rule when one is optimal),
                   role-symmetric (the scenario's free role coin decides who plays A)
``local_asym``     the same decision tables, role-asymmetric (server 0 always plays A)
``shared``         shared randomness: the mixture of the two adjacent vertices of the classical
                   frontier whose split probability equals ``split`` (default: the entangled
                   strategy's one-shot split probability, for comparisons at equal p)
``entangled``      the best entangled strategy (see-saw) on shared pairs: ideal, through an
                   ``EntanglementPool``/``StreamingSource`` (``source=``), or Werner-noisy
                   (``visibility=``); the classical optimum is the fallback when no pair is left
``oracle``         the joint optimum per question pair, zero latency (unattainable reference)
``naive``          naive communicate: both classes exchanged, every customer released after the
                   message latency D, then the joint optimum
``hold``           hold-for-message (model.md 4.3)
=================  ==========================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .compiler import CompileError
from .solver import Solution

__all__ = ["POLICY_KINDS", "to_policy", "joint_table"]

POLICY_KINDS = ("local", "local_asym", "shared", "shared_asym", "entangled", "oracle", "naive", "hold")


def joint_table(solution: Solution) -> NDArray[np.int8]:
    """The joint optimum ``table[x, y] = (a, b)`` maximising the payoff of each question pair.

    Ties are broken towards KEEP/KEEP, then KEEP/FORWARD, FORWARD/KEEP, FORWARD/FORWARD.
    """
    pay = solution.compiled.game.payoff  # [a, b, x, y]
    nx, ny = pay.shape[2:]
    flat = pay.reshape(4, nx, ny)  # index a * 2 + b
    best = np.argmax(flat >= flat.max(axis=0, keepdims=True) - 1e-12, axis=0)
    table = np.stack([best // 2, best % 2], axis=-1).astype(np.int8)
    return table


def _local(strategy: Any, role_symmetric: bool, name: str | None = None) -> Any:
    from qcoord.policies import LocalRule

    return LocalRule(tuple(strategy.alice), tuple(strategy.bob), role_symmetric=role_symmetric, name=name)


def to_policy(
    solution: Solution,
    kind: str = "entangled",
    *,
    split: float | None = None,
    source: Any = None,
    visibility: float | None = None,
    latency: float | None = None,
    name: str | None = None,
) -> Any:
    """Turn a solved pair game into a policy of :mod:`qcoord.policies`.

    Parameters
    ----------
    solution : Solution
    kind : str
        One of :data:`POLICY_KINDS` (see the module table).
    split : float, optional
        ``shared``: target split probability on the classical frontier.
    source : EntanglementPool or StreamingSource, optional
        ``entangled``: where pairs come from (``None``: an ideal, unlimited supply).
    visibility : float in [0, 1], optional
        ``entangled``: Werner visibility of every pair (ideal supply with noise).
    latency : float, optional
        ``naive`` / ``hold``: message latency D (default: the scenario's ``message_latency``).
    name : str, optional
        Policy name (default: the class's own).

    Raises
    ------
    CompileError
        Unknown kind, or a kind whose solver was skipped (e.g. ``entangled`` without ``quantum``).
    """
    import qcoord.policies as P

    if kind not in POLICY_KINDS:
        raise CompileError(f"kind: must be one of {POLICY_KINDS}, got {kind!r}")
    cs = solution.classical_strategy
    if kind in ("local", "local_asym"):
        return _local(cs, kind == "local", name)
    if kind in ("shared", "shared_asym"):
        if split is None:
            if solution.quantum is None:
                raise CompileError("split: give a target split probability (the entangled strategy was not solved)")
            split = solution.compiled.split_prob(solution.quantum.strategy.behaviour())
        strategies, weights = solution.frontier.mixture_at_split(split)
        sym = kind == "shared"
        comps = [_local(s, sym) for s in strategies]
        return P.SharedRandomness(comps, weights, role_symmetric=sym, name=name or ("shared" if sym else "shared-asym"))
    if kind == "entangled":
        if solution.quantum is None:
            raise CompileError("kind: 'entangled' needs a solution with the quantum strategy (solve(quantum=True))")
        strategy = solution.quantum.strategy
        fallback = _local(cs, True)
        kwargs: dict[str, Any] = {"fallback": fallback}
        if visibility is not None:
            v = float(visibility)
            if not 0.0 <= v <= 1.0:
                raise CompileError(f"visibility: must lie in [0, 1], got {visibility!r}")
            kwargs["visibility"] = v
        if source is not None:
            kwargs["source"] = source
        if name is not None:
            kwargs["name"] = name
        return P.Entangled(strategy, **kwargs)
    table = joint_table(solution)
    if kind == "oracle":
        return P.Oracle(table, **({"name": name} if name else {}))
    D = float(solution.compiled.scenario.message_latency if latency is None else latency)
    if not np.isfinite(D) or D < 0:
        raise CompileError(f"latency: must be a finite number >= 0, got {latency!r}")
    if kind == "naive":
        return P.NaiveCommunicate(table, latency=D, **({"name": name} if name else {}))
    # hold-for-message
    return P.HoldForMessage(latency=D, **({"name": name} if name else {}))
