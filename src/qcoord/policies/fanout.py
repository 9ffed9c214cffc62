r"""Group policies for the N-server system (:mod:`qcoord.system.fanout`).

A group of ``k`` members is one round of a ``k``-party game: party ``i``'s question is the class of
its own customer, its answer KEEP (0) / FORWARD (1). Which member plays which party is given by the
inputs (``inputs.party``, the role rotation); a policy with ``rotate=False`` ignores it and lets the
member at position ``j`` play party ``j`` (role-asymmetric: the lowest-index member is always party 0).

Communication-free (each member's decision is a function of its own class, its party and its own
share of a resource only):

- :class:`GroupRule`: a deterministic table ``table[party, class]``;
- :class:`GroupMixture`: shared randomness, one of several rules chosen per group by the shared
  uniform ``inputs.uniforms[:, 0]``;
- :class:`GroupEntangled`: a ``k``-party quantum strategy measured on a GHZ-type (or any) ``k``-party
  state per group. The joint outcome is sampled from the strategy's behaviour at the state's
  visibility, :math:`p_v(a \mid x) = v\,p(a \mid x) + (1 - v)\,p_0(a \mid x)` with :math:`p_0` the
  behaviour on the maximally mixed state, from the uniform ``inputs.uniforms[:, 1]`` (as a central
  state simulator does); the behaviour is no-signalling, so each member's marginal depends only on its
  own question. States come from ideal sources or from one :class:`~qcoord.entanglement.EntanglementPool`
  *per member set* (a Bell-pair pool per link for ``k = 2``, a ``k``-party GHZ pool per ``k``-subset),
  each with the pool's rate, memory and cutoff; a group whose pool has no state uses the classical
  ``fallback`` rule (heralded: every member knows). The pool's visibility (age decay) is applied as
  global white noise on the ``k``-party state.

Communicating (not local; every member receives the others' classes):

- :class:`GroupHold`: each member holds its customer for the message latency ``D``, then all apply the
  full-information optimum ``joint[x_1..x_k]``: ``k (k - 1)`` messages per group;
- :class:`GroupOracle`: the same table at zero latency (the unattainable reference).

Every policy records its server-to-server messages per group in ``info["messages_per_group"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..system.fanout import FanoutScenario, GroupInputs, GroupRouting, group_routing
from ..system.interface import FORWARD, KEEP
from .errors import PolicyError

__all__ = [
    "GroupRule",
    "GroupMixture",
    "GroupEntangled",
    "GroupHold",
    "GroupOracle",
    "group_joint_optimum",
    "GROUP_SHARED_COLUMN",
    "GROUP_SAMPLING_COLUMN",
    "POOL_STREAM_KEY",
]

#: Column of ``inputs.uniforms`` used by shared randomness.
GROUP_SHARED_COLUMN = 0
#: Column used to sample entangled outcomes.
GROUP_SAMPLING_COLUMN = 1
#: Second element of the ``spawn_key`` of the pools' generators.
POOL_STREAM_KEY: int = 0x47485A


def _parties(inputs: GroupInputs, rotate: bool) -> NDArray[np.int64]:
    if rotate:
        return inputs.party
    return np.broadcast_to(np.arange(inputs.k, dtype=np.int64), (inputs.n, inputs.k))


def _check_table(table: ArrayLike, name: str) -> NDArray[np.int8]:
    t = np.asarray(table)
    if t.ndim != 2 or t.shape[0] < 2 or t.shape[1] < 1:
        raise PolicyError(f"{name}: must have shape (k, n_classes) with k >= 2, got {t.shape}")
    if not np.isin(t, (KEEP, FORWARD)).all():
        raise PolicyError(f"{name}: decisions must be 0 (KEEP) or 1 (FORWARD)")
    t = t.astype(np.int8)
    t.setflags(write=False)
    return t


def _check_shape(inputs: GroupInputs, scenario: FanoutScenario, k: int, n_classes: int, who: str) -> None:
    if inputs.k != k:
        raise PolicyError(f"{who}: built for groups of {k}, the scenario has fanout {inputs.k}")
    if scenario.num_classes != n_classes:
        raise PolicyError(f"{who}: built for {n_classes} classes, the scenario has {scenario.num_classes}")


@dataclass(frozen=True, eq=False)
class GroupRule:
    """A deterministic local rule: party ``i`` with class ``c`` decides ``table[i, c]``.

    Parameters
    ----------
    name : str
    table : array (k, n_classes) of 0/1
    rotate : bool
        Use the inputs' party rotation (role-symmetric) or fixed parties by position.
    """

    name: str
    table: NDArray[np.int8]
    rotate: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", _check_table(self.table, "table"))

    @property
    def k(self) -> int:
        return int(self.table.shape[0])

    @property
    def symmetric(self) -> bool:
        """Every party uses the same map from class to decision."""
        return bool(np.all(self.table == self.table[0]))

    def decisions(self, inputs: GroupInputs, parties: NDArray[np.int64]) -> NDArray[np.int8]:
        """Decision of every member, ``table[party, class]``, shape ``(n, k)``."""
        return self.table[parties, inputs.cls]

    def route(self, inputs: GroupInputs, scenario: FanoutScenario) -> GroupRouting:
        _check_shape(inputs, scenario, self.k, self.table.shape[1], f"GroupRule {self.name!r}")
        dec = self.decisions(inputs, _parties(inputs, self.rotate))
        return group_routing(inputs, scenario, dec, info={"messages_per_group": 0})


@dataclass(frozen=True, eq=False)
class GroupMixture:
    """Shared randomness: rule ``m`` with probability ``weights[m]``, chosen per group by the shared uniform."""

    name: str
    rules: tuple[GroupRule, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.rules) < 1 or len(self.rules) != len(self.weights):
            raise PolicyError("weights: need one weight per rule (at least one rule)")
        w = np.asarray(self.weights, dtype=float)
        if not (np.all(np.isfinite(w)) and np.all(w >= 0) and abs(w.sum() - 1.0) <= 1e-9):
            raise PolicyError(f"weights: must be >= 0 and sum to 1, got {list(self.weights)}")
        if len({(r.k, r.table.shape[1]) for r in self.rules}) != 1:
            raise PolicyError("rules: every rule must have the same shape (k, n_classes)")

    def route(self, inputs: GroupInputs, scenario: FanoutScenario) -> GroupRouting:
        r0 = self.rules[0]
        _check_shape(inputs, scenario, r0.k, r0.table.shape[1], f"GroupMixture {self.name!r}")
        u = inputs.uniforms[:, GROUP_SHARED_COLUMN]
        pick = np.searchsorted(np.cumsum(self.weights)[:-1], u, side="right")
        dec = np.empty((inputs.n, inputs.k), dtype=np.int8)
        for m, rule in enumerate(self.rules):
            sel = pick == m
            if np.any(sel):
                parties = _parties(inputs, rule.rotate)[sel]
                dec[sel] = rule.table[parties, inputs.cls[sel]]
        return group_routing(inputs, scenario, dec, info={"messages_per_group": 0})


def _flat_questions(x_by_party: NDArray[np.int64], n_classes: int) -> NDArray[np.int64]:
    k = x_by_party.shape[1]
    w = n_classes ** np.arange(k - 1, -1, -1, dtype=np.int64)
    return x_by_party @ w


def _as_cumulative(behaviour: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """``(2,)*k + (C,)*k`` behaviour -> ``(C^k, 2^k)`` cumulative distributions over joint answers."""
    B = np.asarray(behaviour, dtype=float)
    n_a = int(np.prod(B.shape[:k]))
    n_q = int(np.prod(B.shape[k:]))
    P = B.reshape(n_a, n_q).T
    return np.cumsum(P, axis=1)


@dataclass(frozen=True, eq=False)
class GroupEntangled:
    """A ``k``-party quantum strategy measured per group (module notes).

    Parameters
    ----------
    name : str
    behaviour : array ``(2,)*k + (C,)*k``
        :math:`p(a_1..a_k \\mid x_1..x_k)` of the strategy on its ideal state (by party).
    noise_behaviour : array of the same shape
        The behaviour on the maximally mixed state (:math:`v = 0`).
    visibility : float in [0, 1]
        White-noise visibility of every state (multiplies a pool's age-dependent visibility).
    pool : EntanglementPool or None
        Template of the pool each member set gets (same parameters, its own history); ``None`` = ideal
        states always available.
    fallback : GroupRule or None
        Classical rule for groups whose pool has no state (required with a pool).
    rotate : bool
    """

    name: str
    behaviour: NDArray[np.float64]
    noise_behaviour: NDArray[np.float64]
    visibility: float = 1.0
    pool: Any = None
    fallback: GroupRule | None = None
    rotate: bool = True
    _cum1: NDArray[np.float64] = field(init=False, repr=False)
    _cum0: NDArray[np.float64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        B = np.asarray(self.behaviour, dtype=float)
        B0 = np.asarray(self.noise_behaviour, dtype=float)
        if B.ndim < 4 or B.ndim % 2 or B.shape != B0.shape:
            raise PolicyError(f"behaviour: must have shape (2,)*k + (C,)*k with k >= 2 and match noise_behaviour, got {B.shape}, {B0.shape}")
        k = B.ndim // 2
        if B.shape[:k] != (2,) * k:
            raise PolicyError(f"behaviour: answers must be KEEP/FORWARD (2 per party), got shape {B.shape}")
        for nm, T in (("behaviour", B), ("noise_behaviour", B0)):
            if not np.all(np.isfinite(T)) or np.any(T < -1e-9):
                raise PolicyError(f"{nm}: entries must be finite probabilities >= 0")
            s = T.reshape(2**k, -1).sum(axis=0)
            if np.max(np.abs(s - 1.0)) > 1e-6:
                raise PolicyError(f"{nm}: p(.|x) must sum to 1 for every question, off by {np.max(np.abs(s - 1.0)):.2e}")
        v = float(self.visibility)
        if not 0.0 <= v <= 1.0:
            raise PolicyError(f"visibility: must be in [0, 1], got {self.visibility}")
        if self.pool is not None and self.fallback is None:
            raise PolicyError("fallback: a classical rule is required with a pool (groups without a state use it)")
        object.__setattr__(self, "visibility", v)
        object.__setattr__(self, "_cum1", _as_cumulative(np.clip(B, 0, None), k))
        object.__setattr__(self, "_cum0", _as_cumulative(np.clip(B0, 0, None), k))

    @classmethod
    def from_strategy(cls, name: str, strategy: Any, **kwargs: Any) -> "GroupEntangled":
        """From a strategy with ``behaviour()`` and ``with_visibility(v)`` (e.g. ``MultiQuantumStrategy``)."""
        return cls(name, np.asarray(strategy.behaviour()), np.asarray(strategy.with_visibility(0.0).behaviour()), **kwargs)

    @property
    def k(self) -> int:
        return np.ndim(self.behaviour) // 2

    @property
    def n_classes(self) -> int:
        return int(np.shape(self.behaviour)[-1])

    def _visibilities(self, inputs: GroupInputs) -> tuple[NDArray[np.float64], NDArray[np.bool_], dict[str, Any]]:
        n = inputs.n
        if self.pool is None:
            return np.full(n, self.visibility), np.zeros(n, dtype=bool), {"fallback_rate": 0.0}
        vis = np.empty(n)
        fb = np.zeros(n, dtype=bool)
        sets = {tuple(row) for row in np.unique(inputs.members, axis=0)}
        per_link: dict[str, float] = {}
        for members in sorted(sets):
            sel = np.all(inputs.members == np.asarray(members), axis=1)
            idx = np.flatnonzero(sel)
            ss = np.random.SeedSequence(entropy=inputs.seed, spawn_key=(inputs.replication, POOL_STREAM_KEY, *members))
            draw = self.pool.schedule(inputs.arrival[idx], np.random.default_rng(ss))
            vis[idx] = self.visibility * np.asarray(draw.visibility, dtype=float)
            fb[idx] = np.asarray(draw.fallback, dtype=bool)
            per_link["-".join(map(str, members))] = float(np.mean(fb[idx])) if idx.size else 0.0
        return vis, fb, {"fallback_rate": float(np.mean(fb)), "fallback_rate_per_set": per_link}

    def route(self, inputs: GroupInputs, scenario: FanoutScenario) -> GroupRouting:
        k = self.k
        _check_shape(inputs, scenario, k, self.n_classes, f"GroupEntangled {self.name!r}")
        parties = _parties(inputs, self.rotate)
        x = inputs.by_party(inputs.cls) if self.rotate else inputs.cls
        q = _flat_questions(np.asarray(x, dtype=np.int64), self.n_classes)
        vis, fb, info = self._visibilities(inputs)
        cum = vis[:, None] * self._cum1[q] + (1.0 - vis)[:, None] * self._cum0[q]
        u = inputs.uniforms[:, GROUP_SAMPLING_COLUMN]
        joint = np.minimum((u[:, None] >= cum).sum(axis=1), 2**k - 1)
        shifts = np.arange(k - 1, -1, -1, dtype=np.int64)
        a_by_party = ((joint[:, None] >> shifts[None, :]) & 1).astype(np.int8)
        dec = np.take_along_axis(a_by_party, parties, axis=1)
        if np.any(fb):
            assert self.fallback is not None
            dec[fb] = self.fallback.table[_parties(inputs, self.fallback.rotate)[fb], inputs.cls[fb]]
        info.update({"messages_per_group": 0, "mean_visibility": float(np.mean(vis[~fb])) if np.any(~fb) else float("nan")})
        return group_routing(inputs, scenario, dec, info=info)


def group_joint_optimum(payoff: ArrayLike) -> NDArray[np.int8]:
    """Full-information optimum ``joint[x_1..x_k] = argmax_a payoff[a, x]`` (ties: first in row-major order).

    Parameters
    ----------
    payoff : array ``(2,)*k + (C,)*k``

    Returns
    -------
    ndarray of int8, shape ``(C,)*k + (k,)``
        The decisions of parties ``0..k-1`` for each question profile.
    """
    V = np.asarray(payoff, dtype=float)
    if V.ndim < 4 or V.ndim % 2:
        raise PolicyError(f"payoff: must have shape (2,)*k + (C,)*k, got {V.shape}")
    k = V.ndim // 2
    best = V.reshape(2**k, *V.shape[k:]).argmax(axis=0)
    shifts = np.arange(k - 1, -1, -1)
    return ((best[..., None] >> shifts) & 1).astype(np.int8)


@dataclass(frozen=True, eq=False)
class GroupHold:
    """Hold-for-message: every member holds its customer ``latency`` (default ``D``), then the joint optimum.

    Parameters
    ----------
    name : str
    joint : array ``(C,)*k + (k,)``
        Decisions by party for each question profile (:func:`group_joint_optimum`).
    latency : float or None
        Hold time; ``None`` = the scenario's ``message_latency``.
    rotate : bool
    """

    name: str
    joint: NDArray[np.int8]
    latency: float | None = None
    rotate: bool = True

    def __post_init__(self) -> None:
        J = np.asarray(self.joint)
        if J.ndim < 3 or J.shape[-1] != J.ndim - 1 or not np.isin(J, (KEEP, FORWARD)).all():
            raise PolicyError(f"joint: must have shape (C,)*k + (k,) of 0/1, got {J.shape}")
        if self.latency is not None and not (np.isfinite(self.latency) and self.latency >= 0):
            raise PolicyError(f"latency: must be finite and >= 0, got {self.latency}")
        object.__setattr__(self, "joint", J.astype(np.int8))

    @property
    def k(self) -> int:
        return int(self.joint.shape[-1])

    def _hold(self, scenario: FanoutScenario) -> float:
        return float(scenario.message_latency if self.latency is None else self.latency)

    def route(self, inputs: GroupInputs, scenario: FanoutScenario) -> GroupRouting:
        k = self.k
        _check_shape(inputs, scenario, k, self.joint.shape[0], f"{type(self).__name__} {self.name!r}")
        parties = _parties(inputs, self.rotate)
        x = inputs.by_party(inputs.cls) if self.rotate else inputs.cls
        a_by_party = self.joint[tuple(x[:, i] for i in range(k))]
        dec = np.take_along_axis(a_by_party, parties, axis=1)
        h = self._hold(scenario)
        return group_routing(inputs, scenario, dec, hold=h if h > 0 else None,
                             info={"messages_per_group": k * (k - 1), "hold": h})


@dataclass(frozen=True, eq=False)
class GroupOracle(GroupHold):
    """The full-information optimum at zero latency (unattainable reference; messages counted as for a hold)."""

    def _hold(self, scenario: FanoutScenario) -> float:
        return 0.0
