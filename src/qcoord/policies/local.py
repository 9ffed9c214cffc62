"""Deterministic local rules and their mixtures by shared randomness.

- :class:`LocalRule`: a decision table per role, ``table[question] -> decision``.
- :class:`ThresholdRule`: FORWARD iff the class is below (or at/above) a threshold class.
- :class:`SharedRandomness`: a mixture of deterministic rules, the component drawn per pair by the
  shared uniform (column 0 of ``inputs.uniforms``), identical at both servers.

All are communication-free: their :meth:`decide` sees one server's view only.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from numpy.typing import NDArray

from ..system.interface import FORWARD, KEEP, PairInputs
from .base import SHARED_UNIFORM_COLUMN, Context, LocalPolicy
from .errors import PolicyError
from .views import ROLE_A, LocalView, Share, SharedUniform

__all__ = ["LocalRule", "ThresholdRule", "SharedRandomness", "DeterministicRule"]


def _table(values: Sequence[int], field: str) -> tuple[int, ...]:
    try:
        t = tuple(int(v) for v in values)
    except (TypeError, ValueError):
        raise PolicyError(f"{field}: must be a sequence of decisions 0 (KEEP) / 1 (FORWARD), got {values!r}") from None
    if not t:
        raise PolicyError(f"{field}: must have at least one entry")
    if any(v not in (KEEP, FORWARD) for v in t):
        raise PolicyError(f"{field}: entries must be 0 (KEEP) or 1 (FORWARD), got {t}")
    return t


class DeterministicRule(LocalPolicy):
    """Marker base for rules whose decision depends on the local view alone (no resource)."""

    separable_levels = True


class LocalRule(DeterministicRule):
    """A fixed decision table per role: observation -> decision.

    Parameters
    ----------
    alice : sequence of {0, 1}
        ``alice[q]``: decision (0 KEEP, 1 FORWARD) of the server that plays A, for question ``q``.
        A question is the server's own class (table of ``num_classes`` entries) or, when the
        scenario observes backlog, the flattened ``class * n_levels + level`` (table of
        ``num_classes * n_levels`` entries), ``n_levels = len(scenario.backlog_levels) + 1``.
    bob : sequence of {0, 1}, optional
        Table of the server that plays B; defaults to ``alice`` (both servers use one table).
    role_symmetric : bool, default True
        True: server ``inputs.role[n]`` plays A (the scenario's shared role coin). False: server 0
        always plays A, server 1 always B (role-asymmetric).
    name : str, optional

    Examples
    --------
    Two classes (0 short, 1 long); "A keeps everything, B forwards short customers":
    ``LocalRule(alice=(0, 0), bob=(1, 0))``.
    """

    def __init__(self, alice: Sequence[int], bob: Sequence[int] | None = None, *, role_symmetric: bool = True, name: str | None = None) -> None:
        self.alice = _table(alice, "alice")
        self.bob = self.alice if bob is None else _table(bob, "bob")
        self.role_symmetric = bool(role_symmetric)
        sym = "sym" if self.role_symmetric else "asym"
        self.name = name or f"local[{''.join(map(str, self.alice))}|{''.join(map(str, self.bob))}]-{sym}"

    @classmethod
    def from_strategy(cls, strategy: Any, *, role_symmetric: bool = True, name: str | None = None) -> "LocalRule":
        """Build from a :class:`qcoord.games.DeterministicStrategy` (answer 0 = KEEP, 1 = FORWARD)."""
        return cls(strategy.alice, strategy.bob, role_symmetric=role_symmetric, name=name)

    def _question_sizes(self) -> tuple[int, ...]:
        return (len(self.alice), len(self.bob))

    def decide(self, view: LocalView, share: Share) -> NDArray[np.int8]:
        """Look up the role's table: ``alice[q]`` or ``bob[q]`` for each own question ``q``."""
        table = np.asarray(self.alice if view.role == ROLE_A else self.bob, dtype=np.int8)
        return table[view.question_for(table.shape[0], "alice" if view.role == ROLE_A else "bob")]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "alice": list(self.alice), "bob": list(self.bob)}


class ThresholdRule(DeterministicRule):
    """FORWARD iff the own class is below a threshold class (or at/above it).

    Parameters
    ----------
    alice : int
        Threshold class ``k_A`` of the server playing A.
    bob : int, optional
        Threshold ``k_B`` of the server playing B (default ``k_A``).
    forward : {"below", "above"}
        ``"below"``: decision = FORWARD iff ``class < k`` (forward short customers);
        ``"above"``: FORWARD iff ``class >= k`` (forward long customers).
    role_symmetric : bool, default True
    name : str, optional

    Notes
    -----
    Classes are ordered by demand (class 0 = shortest), so ``k = 0`` with ``"below"`` never forwards
    and ``k = num_classes`` always forwards. The backlog level is not used.
    """

    def __init__(self, alice: int, bob: int | None = None, *, forward: str = "below", role_symmetric: bool = True, name: str | None = None) -> None:
        for field, k in (("alice", alice), ("bob", bob)):
            if k is not None and (not isinstance(k, (int, np.integer)) or k < 0):
                raise PolicyError(f"{field}: threshold class must be an integer >= 0, got {k!r}")
        if forward not in ("below", "above"):
            raise PolicyError(f"forward: must be 'below' or 'above', got {forward!r}")
        self.alice_threshold = int(alice)
        self.bob_threshold = int(alice if bob is None else bob)
        self.forward = forward
        self.role_symmetric = bool(role_symmetric)
        sym = "sym" if self.role_symmetric else "asym"
        self.name = name or f"threshold[{forward}:{self.alice_threshold}|{self.bob_threshold}]-{sym}"

    def decide(self, view: LocalView, share: Share) -> NDArray[np.int8]:
        """FORWARD iff ``cls < threshold`` of the role (``forward="below"``), else iff ``cls >= threshold``."""
        k = self.alice_threshold if view.role == ROLE_A else self.bob_threshold
        below = view.cls < k
        return (below if self.forward == "below" else ~below).astype(np.int8)

    def tables(self, n_classes: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The equivalent :class:`LocalRule` tables over ``n_classes`` classes."""
        c = np.arange(n_classes)
        out = []
        for k in (self.alice_threshold, self.bob_threshold):
            below = c < k
            out.append(tuple(int(v) for v in (below if self.forward == "below" else ~below)))
        return out[0], out[1]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "alice_threshold": self.alice_threshold, "bob_threshold": self.bob_threshold, "forward": self.forward}


class _SharedUniformResource:
    def __init__(self, u: NDArray[np.float64]) -> None:
        self._u = u

    def share(self, server: int, role: int, idx: NDArray[np.int64]) -> SharedUniform:
        return SharedUniform(self._u[idx])


class SharedRandomness(LocalPolicy):
    """A mixture of deterministic local rules chosen per pair by shared randomness.

    Component ``k`` is used in pair ``n`` iff ``c_{k-1} <= u_n < c_k`` with ``c_k`` the cumulative
    weights and ``u_n = inputs.uniforms[n, 0]`` the shared uniform (both servers hold the same value,
    so they always use the same component). The resulting behaviour is
    :math:`p = \\sum_k w_k p_k`.

    Parameters
    ----------
    components : sequence of LocalRule or ThresholdRule
    weights : sequence of float
        Non-negative, summing to 1 (within 1e-6; renormalised).
    role_symmetric : bool, optional
        Default: the components' common setting (they must agree).
    name : str, optional
    """

    uniform_columns = SHARED_UNIFORM_COLUMN + 1
    separable_levels = True

    def __init__(self, components: Sequence[DeterministicRule], weights: Sequence[float], *, role_symmetric: bool | None = None, name: str | None = None) -> None:
        comps = tuple(components)
        if not comps:
            raise PolicyError("components: need at least one rule")
        for c in comps:
            if not isinstance(c, DeterministicRule):
                raise PolicyError(f"components: must be LocalRule or ThresholdRule instances, got {type(c).__name__}")
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.shape[0] != len(comps):
            raise PolicyError(f"weights: need one weight per component ({len(comps)}), got {w.shape[0]}")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise PolicyError(f"weights: must be finite and >= 0, got {w.tolist()}")
        if abs(w.sum() - 1.0) > 1e-6:
            raise PolicyError(f"weights: must sum to 1 (within 1e-6), got sum {w.sum()!r}")
        self.components = comps
        self.weights = tuple(float(x) for x in w / w.sum())
        if role_symmetric is None:
            flags = {c.role_symmetric for c in comps}
            if len(flags) != 1:
                raise PolicyError("role_symmetric: components disagree; pass role_symmetric explicitly")
            role_symmetric = flags.pop()
        self.role_symmetric = bool(role_symmetric)
        self._cum = np.cumsum(self.weights)
        self._cum[-1] = 1.0
        self.name = name or "shared[" + ",".join(f"{wk:.3g}*{c.name}" for c, wk in zip(comps, self.weights)) + "]"

    def _question_sizes(self) -> tuple[int, ...]:
        return tuple(q for c in self.components for q in c._question_sizes())

    def _resource(self, inputs: PairInputs, ctx: Context, state: dict[str, Any]) -> _SharedUniformResource:
        return _SharedUniformResource(np.asarray(inputs.uniforms[:, SHARED_UNIFORM_COLUMN], dtype=np.float64))

    def component_index(self, u: NDArray[np.float64]) -> NDArray[np.int64]:
        """The component chosen for shared uniforms ``u``."""
        return np.minimum(np.searchsorted(self._cum, u, side="right"), len(self.components) - 1)

    def decide(self, view: LocalView, share: Share) -> NDArray[np.int8]:
        """Rule ``k`` of the mixture for each pair, where ``k`` is read off the shared uniform
        (:math:`P(k) = w_k`), then that rule's own decision."""
        if not isinstance(share, SharedUniform):
            raise PolicyError("share: SharedRandomness needs the shared uniform")
        k = self.component_index(share.u)
        out = np.empty(view.size, dtype=np.int8)
        for i, comp in enumerate(self.components):
            m = k == i
            if not m.any():
                continue
            sub = LocalView(view.server, view.role, view.cls[m], view.level[m], view.n_classes, view.n_levels)
            out[m] = comp.decide(sub, share)
        return out

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "weights": list(self.weights),
            "components": [c.describe() for c in self.components],
            "uniform_column": SHARED_UNIFORM_COLUMN,
        }
