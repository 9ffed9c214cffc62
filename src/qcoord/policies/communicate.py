"""Policies that communicate: the oracle, naive communicate, and hold-for-message.

These are *not* local: they explicitly receive the partner's observation, after the message
latency ``D = scenario.message_latency`` (the control path; distinct from the hand-off delay ``d`` of
the data path). The oracle is the unattainable zero-latency reference.

Joint tables: ``joint_table[x, y] = (a, b)`` are the decisions of the server playing A (question
``x``) and of the one playing B (question ``y``), 0 KEEP / 1 FORWARD. Questions are classes or
``class * n_levels + level`` as for local rules. :meth:`Oracle.from_game` builds the table of
pointwise optima of a game's payoff.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..system.interface import FORWARD, KEEP, PairInputs
from .base import Context, PairPolicy
from .errors import PolicyError

__all__ = ["Oracle", "NaiveCommunicate", "Communicate", "HoldForMessage", "joint_optimum"]


def joint_optimum(payoff: ArrayLike) -> NDArray[np.int8]:
    """The full-information optimum ``joint_table[x, y] = argmax_{a, b} payoff[a, b, x, y]``.

    Ties go to the first maximiser in ``(a, b)`` row-major order (KEEP before FORWARD).

    Parameters
    ----------
    payoff : array_like, shape (2, 2, nx, ny)
        Game payoff :math:`V(a, b, x, y)` (decisions 0 = KEEP, 1 = FORWARD).

    Returns
    -------
    ndarray of int8, shape (nx, ny, 2)
        ``joint_table[x, y] = (a*, b*)``; with full information the value
        :math:`\\sum_{x,y} \\pi(x,y) \\max_{a,b} V(a,b,x,y)` is reached, an upper bound on every
        communication-free strategy.
    """
    V = np.asarray(payoff, dtype=np.float64)
    if V.ndim != 4 or V.shape[:2] != (2, 2):
        raise PolicyError(f"payoff: must have shape (2, 2, nx, ny), got {V.shape}")
    nx, ny = V.shape[2:]
    flat = V.reshape(4, nx, ny).argmax(axis=0)
    return np.stack([flat // 2, flat % 2], axis=-1).astype(np.int8)


def _joint_table(joint_table: ArrayLike) -> NDArray[np.int8]:
    t = np.asarray(joint_table)
    if t.ndim != 3 or t.shape[2] != 2 or t.shape[0] == 0 or t.shape[1] == 0:
        raise PolicyError(f"joint_table: must have shape (nx, ny, 2) with joint_table[x, y] = (a, b), got {t.shape}")
    if not np.isin(t, (KEEP, FORWARD)).all():
        raise PolicyError("joint_table: decisions must be 0 (KEEP) or 1 (FORWARD)")
    t = t.astype(np.int8)
    t.setflags(write=False)
    return t


def _question(cls: NDArray[np.int64], level: NDArray[np.int64], n_questions: int, ctx: Context, field: str) -> NDArray[np.int64]:
    if n_questions == ctx.n_classes * ctx.n_levels:
        return cls * ctx.n_levels + level
    if n_questions == ctx.n_classes:
        return cls
    raise PolicyError(
        f"{field}: needs n_classes = {ctx.n_classes} or n_classes * n_levels = {ctx.n_classes * ctx.n_levels} "
        f"questions per server, got {n_questions}"
    )


class Oracle(PairPolicy):
    """The joint optimum with full information and zero latency (an unattainable reference).

    Parameters
    ----------
    joint_table : array_like of int, shape (nx, ny, 2)
        ``joint_table[x, y] = (a, b)``: decisions of the servers playing A and B.
    role_symmetric : bool, default True
        Whether server ``inputs.role[n]`` plays A (else server 0 always does).
    name : str, optional

    Notes
    -----
    Kept customers join at the pair's arrival ``t``, forwarded ones at ``t + d``.
    """

    def __init__(self, joint_table: ArrayLike, *, role_symmetric: bool = True, name: str | None = None) -> None:
        self.joint_table = _joint_table(joint_table)
        self.role_symmetric = bool(role_symmetric)
        self.name = name or "oracle"

    @classmethod
    def from_game(cls, game: Any, **kwargs: Any) -> "Oracle":
        """The oracle of a compiled game: pointwise maximiser of ``game.payoff`` per ``(x, y)``."""
        return cls(joint_optimum(game.payoff), **kwargs)

    def _question_sizes(self) -> tuple[int, ...]:
        return self.joint_table.shape[:2]

    def _decide(self, inputs: PairInputs, ctx: Context, state: dict[str, Any], level: NDArray[np.int64]) -> NDArray[np.int8]:
        n = ctx.n
        rows = np.arange(n)
        sa = ctx.role
        sb = 1 - sa
        nx, ny = self.joint_table.shape[:2]
        x = _question(inputs.cls[rows, sa], level[rows, sa], nx, ctx, "joint_table")
        y = _question(inputs.cls[rows, sb], level[rows, sb], ny, ctx, "joint_table")
        ab = self.joint_table[x, y]
        dec = np.empty((n, 2), dtype=np.int8)
        dec[rows, sa] = ab[:, 0]
        dec[rows, sb] = ab[:, 1]
        return dec

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "joint_table": self.joint_table.tolist()}


class NaiveCommunicate(Oracle):
    """Exchange classes, wait for the message, then play the joint optimum.

    Every customer is held until the message arrives, ``t + D``; then kept customers join their own
    server at ``t + D`` and forwarded ones the other server at ``t + D + d``.

    Parameters
    ----------
    joint_table : array_like of int, shape (nx, ny, 2)
        As for :class:`Oracle`.
    latency : float, optional
        Message latency ``D``; default ``scenario.message_latency``.
    role_symmetric : bool, default True
    name : str, optional
    """

    def __init__(self, joint_table: ArrayLike, latency: float | None = None, *, role_symmetric: bool = True, name: str | None = None) -> None:
        super().__init__(joint_table, role_symmetric=role_symmetric, name=name or "naive-communicate")
        if latency is not None and (not np.isfinite(latency) or latency < 0):
            raise PolicyError(f"latency: must be a finite number >= 0, got {latency!r}")
        self.latency = None if latency is None else float(latency)

    def _extra_latency(self, ctx: Context, state: dict[str, Any]) -> float:
        return ctx.message_latency if self.latency is None else self.latency

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "latency": self.latency}


#: Alias used in the architecture notes.
Communicate = NaiveCommunicate


class HoldForMessage(PairPolicy):
    """Hold-for-message (model.md section 4.3).

    The *sender* (the server playing A) keeps its customer at once and sends its class. The
    *receiver* (B):

    - short customer: forwards it at once (it joins the sender at ``t + d``);
    - long customer: holds it until the message arrives at ``t + D``; then, if the sender's customer
      is short, forwards it (joins the sender at ``t + D + d``), else serves it at home from ``t + D``.

    Parameters
    ----------
    short_below : int, optional
        Classes ``< short_below`` are "short"; default ``num_classes // 2`` (class 0 of the default
        two classes).
    latency : float, optional
        Message latency ``D``; default ``scenario.message_latency``.
    role_symmetric : bool, default True
        Sender = server ``inputs.role[n]`` (else server 0 always sends).
    name : str, optional

    Notes
    -----
    Backlog levels are not used.
    """

    def __init__(self, short_below: int | None = None, latency: float | None = None, *, role_symmetric: bool = True, name: str | None = None) -> None:
        if short_below is not None and (not isinstance(short_below, (int, np.integer)) or short_below < 0):
            raise PolicyError(f"short_below: must be an integer >= 0, got {short_below!r}")
        if latency is not None and (not np.isfinite(latency) or latency < 0):
            raise PolicyError(f"latency: must be a finite number >= 0, got {latency!r}")
        self.short_below = None if short_below is None else int(short_below)
        self.latency = None if latency is None else float(latency)
        self.role_symmetric = bool(role_symmetric)
        self.name = name or "hold-for-message"

    def _prepare(self, inputs: PairInputs, ctx: Context) -> dict[str, Any]:
        k = ctx.n_classes // 2 if self.short_below is None else self.short_below
        rows = np.arange(ctx.n)
        sa = ctx.role
        sb = 1 - sa
        return {
            "sender_short": inputs.cls[rows, sa] < k,
            "receiver_short": inputs.cls[rows, sb] < k,
            "D": ctx.message_latency if self.latency is None else self.latency,
        }

    def _decide(self, inputs: PairInputs, ctx: Context, state: dict[str, Any], level: NDArray[np.int64]) -> NDArray[np.int8]:
        rows = np.arange(ctx.n)
        dec = np.empty((ctx.n, 2), dtype=np.int8)
        dec[rows, ctx.role] = KEEP
        fwd = state["receiver_short"] | state["sender_short"]
        dec[rows, 1 - ctx.role] = np.where(fwd, FORWARD, KEEP)
        return dec

    def _offsets(self, inputs: PairInputs, ctx: Context, state: dict[str, Any]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        keep = np.zeros((ctx.n, 2))
        rows = np.flatnonzero(~state["receiver_short"])  # held until the message arrives
        keep[rows, 1 - ctx.role[rows]] = state["D"]
        return keep, keep + ctx.handoff_delay

    def _info(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any]:
        return {"held": int((~state["receiver_short"]).sum()), "message_latency": state["D"]}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "short_below": self.short_below, "latency": self.latency}
