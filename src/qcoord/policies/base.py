"""The routing machinery shared by every policy.

A policy produces, for every pair ``n`` and server ``j``, a decision ``dec[n, j]`` (KEEP = 0,
FORWARD = 1) and release offsets ``keep[n, j]`` / ``forward[n, j]``; the customer then joins server
``j`` at ``arrival[n] + keep[n, j]`` (KEEP) or server ``1 - j`` at ``arrival[n] + forward[n, j]``
(FORWARD). Local rules and the oracle: ``keep = 0``, ``forward = d``; naive communicate: ``D`` and
``D + d``; hold-for-message: ``D`` and ``D + d`` for a held customer; a streaming source adds its
decision latency to both.

- :class:`PairPolicy` owns validation, the backlog pass and the assembly of the :class:`PolicyRouting`.
- :class:`LocalPolicy` is the communication-free case: its decisions come only from
  :meth:`LocalPolicy.decide`, called with one server's :class:`~qcoord.policies.views.LocalView` and
  its own share of a resource (locality by construction; see :mod:`qcoord.policies.views`).

Roles: a role-symmetric policy uses the scenario's role coin (``inputs.role[n] = r``: server ``r``
plays A, the other B); a role-asymmetric one ignores it (server 0 always plays A).

Columns of ``inputs.uniforms`` used by qcoord.policies: column 0 = the shared uniform (mixtures by
shared randomness), columns 1 and 2 = the sampling uniforms of correlated / entangled outcomes (the
first measured half uses column 1, the second column 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
from numpy.typing import NDArray

from ..system.interface import FORWARD, KEEP, PairInputs, Routing
from .backlog import backlog_pass
from .errors import PolicyError
from .views import ROLE_A, ROLE_B, LocalView, NoShare, Share

if TYPE_CHECKING:  # pragma: no cover
    from ..system.scenario import Scenario

__all__ = ["PolicyRouting", "PairPolicy", "LocalPolicy", "Context", "route_info", "SHARED_UNIFORM_COLUMN", "SAMPLING_COLUMNS"]

#: Column of ``inputs.uniforms`` holding the shared uniform (mixture component choice).
SHARED_UNIFORM_COLUMN: int = 0
#: Columns of ``inputs.uniforms`` used to sample correlated/entangled outcomes (first half, second half).
SAMPLING_COLUMNS: tuple[int, int] = (1, 2)


@dataclass(frozen=True, eq=False)
class PolicyRouting(Routing):
    """A :class:`~qcoord.system.Routing` plus what the policy observed and used.

    Attributes
    ----------
    level : ndarray of int64, shape (n, 2)
        Backlog level each server observed at each pair (zeros when backlog is not observed).
    info : mapping
        ``policy`` = ``describe()``, the inputs' ``seed`` and ``replication``, and policy-specific
        counters (e.g. ``fallbacks``, ``mean_visibility``, ``pool_stats`` for entangled policies).
    """

    level: NDArray[np.int64]
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """The scenario parameters a policy needs, validated once per ``route`` call."""

    n: int
    n_classes: int
    n_levels: int
    thresholds: tuple[float, ...]
    handoff_delay: float
    message_latency: float
    role: NDArray[np.int64]  # per pair: the server that plays A for this policy
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def batches(self, inputs: PairInputs) -> list[tuple[int, int, NDArray[np.int64], NDArray[np.int64]]]:
        """``(role, server, idx, own_cls)`` for the four (role, server) batches, A batches first.

        ``idx``: the pairs in which ``server`` plays ``role``; ``own_cls = inputs.cls[idx, server]``.
        Computed once per ``route`` call (reused by every hypothetical backlog level).
        """
        if "batches" not in self.cache:
            out = []
            plays = (np.flatnonzero(self.role == 0), np.flatnonzero(self.role != 0))  # pairs where server 0 / 1 is A
            own = (np.ascontiguousarray(inputs.cls[:, 0], dtype=np.int64), np.ascontiguousarray(inputs.cls[:, 1], dtype=np.int64))
            for role in (ROLE_A, ROLE_B):
                for server in (0, 1):
                    idx = plays[server] if role == ROLE_A else plays[1 - server]
                    if idx.size:
                        out.append((role, server, idx, own[server].take(idx)))
            self.cache["batches"] = out
        return self.cache["batches"]


def _scenario_context(policy: "PairPolicy", inputs: PairInputs, scenario: "Scenario") -> Context:
    try:
        n_classes = int(scenario.num_classes)
        thresholds = tuple(float(t) for t in (getattr(scenario, "backlog_levels", ()) or ()))
        d = float(scenario.handoff_delay)
        D = float(scenario.message_latency)
    except AttributeError as exc:  # pragma: no cover - defensive
        raise PolicyError(f"scenario: missing attribute ({exc})") from None
    if not np.isfinite(d) or d < 0:
        raise PolicyError(f"handoff_delay: must be a finite number >= 0, got {d}")
    if not np.isfinite(D) or D < 0:
        raise PolicyError(f"message_latency: must be a finite number >= 0, got {D}")
    n = inputs.n
    for name, arr, shape in (("cls", inputs.cls, (n, 2)), ("demand", inputs.demand, (n, 2)), ("role", inputs.role, (n,))):
        if np.shape(arr) != shape:
            raise PolicyError(f"inputs.{name}: must have shape {shape}, got {np.shape(arr)}")
    if n:
        cmin, cmax = int(np.min(inputs.cls)), int(np.max(inputs.cls))
        if cmin < 0 or cmax >= n_classes:
            raise PolicyError(f"inputs.cls: classes must lie in range({n_classes}), got values in [{cmin}, {cmax}]")
    if policy.role_symmetric:
        role = np.asarray(inputs.role, dtype=np.int64)
        if n and (role.min() < 0 or role.max() > 1):
            raise PolicyError("inputs.role: must be 0 or 1")
    else:
        role = np.zeros(n, dtype=np.int64)
    return Context(n, n_classes, len(thresholds) + 1, thresholds, d, D, role)


class PairPolicy:
    """Base of every policy: decisions per pair and server, release offsets, the backlog pass.

    Subclasses implement :meth:`_decide` (decisions for given, possibly hypothetical, levels) and
    may override :meth:`_offsets`, :meth:`_prepare` (per-route state such as pool draws),
    :meth:`_question_sizes` (to tell whether levels are used) and :meth:`describe`.
    """

    name: str = "policy"
    role_symmetric: bool = True
    #: Number of ``inputs.uniforms`` columns the policy reads.
    uniform_columns: int = 0
    #: True when server j's decision never depends on the other server's level (deterministic local
    #: rules and their mixtures): the backlog pass then needs L hypothetical passes instead of L^2.
    separable_levels: bool = False

    # ----------------------------------------------------------------- hooks
    def _prepare(self, inputs: PairInputs, ctx: Context) -> dict[str, Any]:
        return {}

    def _question_sizes(self) -> tuple[int, ...]:
        return ()

    def _question_maps(self) -> tuple[NDArray[np.int64], ...]:
        """The policy's explicit question maps: its ``question_map`` attribute when set, else none."""
        qm = getattr(self, "question_map", None)
        return () if qm is None else (qm,)

    def _decide(self, inputs: PairInputs, ctx: Context, state: dict[str, Any], level: NDArray[np.int64]) -> NDArray[np.int8]:
        raise NotImplementedError

    def _extra_latency(self, ctx: Context, state: dict[str, Any]) -> NDArray[np.float64] | float:
        """Delay before any customer of the pair is released (e.g. waiting for a message)."""
        return 0.0

    def _offsets(self, inputs: PairInputs, ctx: Context, state: dict[str, Any]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Release offsets ``(keep, forward)``, each broadcastable to (n, 2).

        ``keep[n, j]``: time after ``arrival[n]`` at which customer ``j`` joins server ``j`` if kept;
        ``forward[n, j]``: at which it joins server ``1 - j`` if forwarded. Default: ``extra`` and
        ``extra + d`` with ``extra`` = :meth:`_extra_latency` (0 for local rules and the oracle).
        """
        extra = np.asarray(self._extra_latency(ctx, state), dtype=np.float64)
        if extra.ndim == 1:
            extra = extra[:, None]
        return extra, extra + ctx.handoff_delay

    def _info(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any]:
        return {}

    def describe(self) -> dict[str, Any]:
        """The policy's parameters as a plain dict (for results and reports)."""
        return {"name": self.name, "class": type(self).__name__, "role_symmetric": self.role_symmetric}

    # ----------------------------------------------------------------- machinery
    def uses_levels(self, n_classes: int, n_levels: int) -> bool:
        """Whether any table of the policy is indexed by (class, backlog level) questions."""
        if n_levels <= 1:
            return False
        if any(m.ndim == 2 and m.shape[1] > 1 and bool((m != m[:, :1]).any()) for m in self._question_maps()):
            return True
        return any(q == n_classes * n_levels for q in self._question_sizes())

    def route(self, inputs: PairInputs, scenario: "Scenario") -> PolicyRouting:
        """Decide every pair and return where and when each customer is served.

        Parameters
        ----------
        inputs : PairInputs
            The replication's random inputs (common random numbers).
        scenario : Scenario
            Uses ``num_classes``, ``backlog_levels``, ``handoff_delay`` (d) and ``message_latency`` (D).

        Returns
        -------
        PolicyRouting
            ``dest``, ``release``, ``decision`` of shape (n, 2), plus the observed ``level`` and ``info``.
        """
        ctx = _scenario_context(self, inputs, scenario)
        if self.uniform_columns:
            k = np.shape(inputs.uniforms)[1] if np.ndim(inputs.uniforms) == 2 else 0
            if np.shape(inputs.uniforms)[0] != ctx.n or k < self.uniform_columns:
                raise PolicyError(
                    f"inputs.uniforms: {self.name} needs shape (n, >= {self.uniform_columns}), got {np.shape(inputs.uniforms)}"
                )
        state = self._prepare(inputs, ctx)
        offset = self._offsets(inputs, ctx, state)
        L = ctx.n_levels
        if self.uses_levels(ctx.n_classes, L):
            table = np.empty((ctx.n, 2, L, L), dtype=np.int8)
            lev = np.empty((ctx.n, 2), dtype=np.int64)
            if self.separable_levels:
                for lv in range(L):
                    lev[:] = lv
                    d = self._decide(inputs, ctx, state, lev)
                    table[:, 0, lv, :] = d[:, 0, None]
                    table[:, 1, :, lv] = d[:, 1, None]
            else:
                for l0 in range(L):
                    for l1 in range(L):
                        lev[:, 0] = l0
                        lev[:, 1] = l1
                        table[:, :, l0, l1] = self._decide(inputs, ctx, state, lev)
            keep, fwd = offset
            off3 = np.empty((ctx.n, 2, 2))
            off3[:, :, KEEP] = keep
            off3[:, :, FORWARD] = fwd
            dec, level = backlog_pass(inputs.arrival, inputs.demand, table, off3, ctx.thresholds)
        else:
            level = np.broadcast_to(np.zeros(1, dtype=np.int64), (ctx.n, 2))  # not observed: a read-only zero view
            dec = np.asarray(self._decide(inputs, ctx, state, level), dtype=np.int8)
        return self._assemble(inputs, ctx, state, dec, offset, level)

    def _assemble(self, inputs, ctx, state, dec, offset, level) -> PolicyRouting:
        dec = np.ascontiguousarray(dec, dtype=np.int8)
        dest = (np.arange(2, dtype=np.int8)[None, :] ^ dec).astype(np.int8)
        keep, fwd = offset
        release = dec * (fwd - keep)  # float (n, 2)
        release += keep
        release += np.asarray(inputs.arrival, dtype=np.float64)[:, None]
        info = {"policy": self.describe(), "seed": inputs.seed, "replication": inputs.replication}
        info.update(self._info(ctx, state))
        return PolicyRouting(dest=dest, release=release, decision=dec, level=level, info=info)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _validate_decisions(out: Any, size: int, who: str) -> NDArray[np.int8]:
    arr = np.asarray(out)
    if arr.shape != (size,):
        raise PolicyError(f"{who}: a rule must return one decision per pair, shape ({size},), got {arr.shape}")
    if size:
        ok = arr.dtype.kind in "biu" or (arr.dtype.kind == "f" and bool(np.all(arr == np.round(arr))))
        if not ok or arr.min() < KEEP or arr.max() > FORWARD:
            raise PolicyError(f"{who}: decisions must be 0 (KEEP) or 1 (FORWARD)")
    return arr.astype(np.int8, copy=False)


class LocalPolicy(PairPolicy):
    """A communication-free policy: the same local rule program runs on both servers.

    Subclasses implement :meth:`decide`, which sees one server's :class:`LocalView` and that server's
    share of the resource built by :meth:`_resource`. The rule is called first for the servers in
    role A (server ``role[n]`` of each pair), then for role B, so that a correlated resource measures
    the A halves first (sequential sampling; the joint law is the Born rule either way).
    """

    def decide(self, view: LocalView, share: Share) -> NDArray[np.int8]:  # pragma: no cover - abstract
        """Decisions (0 KEEP / 1 FORWARD) of one server for the pairs of ``view``."""
        raise NotImplementedError

    def _resource(self, inputs: PairInputs, ctx: Context, state: dict[str, Any]) -> Any:
        """A fresh resource with ``share(server, role, idx) -> Share``; default: no resource."""
        return None

    def _decide(self, inputs, ctx, state, level):
        resource = self._resource(inputs, ctx, state)
        dec = np.empty((ctx.n, 2), dtype=np.int8)
        observed = ctx.n_levels > 1
        for role, server, idx, own_cls in ctx.batches(inputs):
            view = LocalView(
                server=server,
                role=role,
                cls=own_cls,
                level=level[idx, server] if observed else np.zeros(idx.size, dtype=np.int64),
                n_classes=ctx.n_classes,
                n_levels=ctx.n_levels,
            )
            share = NoShare() if resource is None else resource.share(server, role, idx)
            dec[idx, server] = _validate_decisions(self.decide(view, share), idx.size, self.name)
        return dec


def route_info(policy: PairPolicy, scenario: "Scenario", replications: int | None = None) -> list[dict[str, Any]]:
    """What a policy observed and used in each replication (the ``info`` of its routings).

    The simulator keeps only the metrics of a run; this re-routes each replication's inputs (the
    same common random numbers, so the same decisions) and returns ``routing.info`` per replication
    plus its ``split_prob`` (KEEP/KEEP or FORWARD/FORWARD) and ``forward_rate``; e.g. the pool
    ``fallbacks`` and ``mean_visibility`` of an :class:`~qcoord.policies.Entangled` policy.

    Parameters
    ----------
    policy : PairPolicy
    scenario : Scenario
        Needs ``draw_inputs(replication)``.
    replications : int, optional
        Default ``scenario.replications``.

    Returns
    -------
    list of dict
        One dict per replication: the routing's ``info`` plus ``split_prob`` and ``forward_rate``
        (fractions of the replication's pairs, warm-up included).
    """
    reps = int(scenario.replications if replications is None else replications)
    if reps < 1:
        raise PolicyError(f"replications: must be an integer >= 1, got {replications!r}")
    out = []
    for r in range(reps):
        routing = policy.route(scenario.draw_inputs(r), scenario)
        dec = routing.decision
        info = dict(routing.info)
        info["split_prob"] = float((dec[:, 0] == dec[:, 1]).mean()) if dec.shape[0] else float("nan")
        info["forward_rate"] = float(dec.mean()) if dec.shape[0] else float("nan")
        out.append(info)
    return out
