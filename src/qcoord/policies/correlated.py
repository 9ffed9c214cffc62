"""Correlated decisions from any no-signalling behaviour, sampled sequentially.

A no-signalling box with behaviour :math:`p(a, b \\mid x, y)` is shared by the two servers. The
server that plays A inputs its question ``x`` and gets ``a`` drawn from its marginal

.. math:: p_A(a \\mid x) = \\sum_b p(a, b \\mid x, y) \\quad (\\text{independent of } y),

using uniform column 1; the server that plays B then gets ``b`` from the conditional
:math:`p(b \\mid x, y, a) = p(a, b \\mid x, y) / p_A(a \\mid x)` using uniform column 2. The joint law is
exactly ``p``; A's outcome never depends on B's question, so no information flows between servers.
Sampling is by inversion of the cumulative distribution: outcome = number of cumulative
probabilities ``<= u``.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..games import GameError, check_behaviour
from ..system.interface import PairInputs
from .base import SAMPLING_COLUMNS, Context, LocalPolicy
from .errors import PolicyError
from .views import ROLE_A, LocalView, ResourceHalf, Share, check_question_map

__all__ = ["Correlated", "SequentialPairs", "sample_first", "sample_second", "check_nonsignalling"]


def _inverse_cdf(probs: NDArray[np.float64], u: NDArray[np.float64]) -> NDArray[np.int8]:
    """Row-wise inversion: ``probs`` (m, k) rows of a distribution, ``u`` (m,) -> index in range(k)."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = np.inf  # guard against rounding: u < 1 always lands in range(k)
    return np.minimum((u[:, None] >= cum).sum(axis=1), probs.shape[1] - 1).astype(np.int8)


def sample_first(behaviour: NDArray[np.float64], x: NDArray[np.int64], u: NDArray[np.float64]) -> NDArray[np.int8]:
    """Draw A's outcome ``a ~ p_A(. | x)`` (marginal averaged over ``y``, exact for no-signalling ``p``)."""
    pa = behaviour.sum(axis=1).mean(axis=2)  # (na, nx)
    return _inverse_cdf(pa[:, x].T, u)


def sample_second(
    behaviour: NDArray[np.float64], x: NDArray[np.int64], a: NDArray[np.int64], y: NDArray[np.int64], u: NDArray[np.float64]
) -> NDArray[np.int8]:
    """Draw B's outcome ``b ~ p(b | x, y, a) = p(a, b | x, y) / p_A(a | x)``."""
    joint = behaviour[a, :, x, y]  # (m, nb)
    tot = joint.sum(axis=1, keepdims=True)
    cond = np.where(tot > 0, joint / np.where(tot > 0, tot, 1.0), 1.0 / joint.shape[1])
    return _inverse_cdf(cond, u)


def check_nonsignalling(p: NDArray[np.float64], atol: float = 1e-7) -> None:
    """Raise :class:`PolicyError` unless A's marginal is independent of ``y`` and B's of ``x``."""
    pa = p.sum(axis=1)  # (na, nx, ny)
    pb = p.sum(axis=0)  # (nb, nx, ny)
    da = np.abs(pa - pa[:, :, :1]).max()
    db = np.abs(pb - pb[:, :1, :]).max()
    if da > atol or db > atol:
        raise PolicyError(
            f"behaviour: must be no-signalling (marginals independent of the other party's question); "
            f"deviation {max(da, db):.2e} > {atol:g}"
        )


class SequentialPairs:
    """A batch of ``n`` shared correlated resources, one per pair, measured A half first.

    Parameters
    ----------
    n : int
        Number of pairs.
    first : callable ``(idx, x) -> a``
        Samples the A outcomes of pairs ``idx`` for questions ``x``.
    second : callable ``(idx, x, a, y) -> b``
        Samples the B outcomes given A's question and outcome (the post-measurement state).
    n_questions : (int, int)
        Questions accepted by the A and the B halves.
    available : ndarray of bool, shape (n,), optional
        Pairs that hold a resource (default all).

    Notes
    -----
    This object is the "world" (nature's joint sampler); rules only ever receive a
    :class:`~qcoord.policies.views.ResourceHalf` bound to their own server and role.
    """

    def __init__(
        self,
        n: int,
        first: Callable[[NDArray[np.int64], NDArray[np.int64]], NDArray[np.int8]],
        second: Callable[[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]], NDArray[np.int8]],
        n_questions: tuple[int, int],
        available: NDArray[np.bool_] | None = None,
    ) -> None:
        self._first = first
        self._second = second
        self._nq = n_questions
        self._x = np.zeros(n, dtype=np.int64)
        self._a = np.zeros(n, dtype=np.int64)
        self._done_a = np.zeros(n, dtype=bool)
        self._available = np.ones(n, dtype=bool) if available is None else np.asarray(available, dtype=bool)

    def share(self, server: int, role: int, idx: NDArray[np.int64]) -> ResourceHalf:
        if role == ROLE_A:
            def measure(x: NDArray[np.int64]) -> NDArray[np.int8]:
                a = np.asarray(self._first(idx, x), dtype=np.int8)
                self._x[idx] = x
                self._a[idx] = a
                self._done_a[idx] = True
                return a
            return ResourceHalf(measure, self._available[idx], self._nq[0])

        def measure_b(y: NDArray[np.int64]) -> NDArray[np.int8]:
            if not self._done_a[idx].all():
                raise PolicyError("measure: the A half of every pair must be measured before the B half")
            return np.asarray(self._second(idx, self._x[idx], self._a[idx], y), dtype=np.int8)

        return ResourceHalf(measure_b, self._available[idx], self._nq[1])


class Correlated(LocalPolicy):
    """Decisions drawn from a no-signalling behaviour ``p[a, b, x, y]`` (answer 0 KEEP, 1 FORWARD).

    Parameters
    ----------
    behaviour : array_like, shape (2, 2, nx, ny)
        ``p(a, b | x, y)``: non-negative, normalised per ``(x, y)``, no-signalling (within 1e-7).
        Questions are the own class (``nx = num_classes``) or ``class * n_levels + level``.
    question_map : array_like of int, optional
        Observation -> question map ``question_map[class]`` or ``question_map[class, level]``
        (see :func:`~qcoord.policies.views.check_question_map`), e.g. to merge classes.
    role_symmetric : bool, default True
        True: server ``inputs.role[n]`` plays A; False: server 0 always plays A.
    name : str, optional

    Notes
    -----
    Uses ``inputs.uniforms`` columns 1 (A's outcome) and 2 (B's outcome). Each server's rule is
    ``decision = half.measure(own question)``; see :mod:`qcoord.policies.correlated`.
    Any classical, quantum or super-quantum (e.g. PR-box) behaviour can be used: the box is a
    modelling device for "what if the servers had this correlation", not a physical resource.
    """

    uniform_columns = max(SAMPLING_COLUMNS) + 1

    def __init__(
        self, behaviour: ArrayLike, question_map: ArrayLike | None = None, *, role_symmetric: bool = True, name: str | None = None
    ) -> None:
        try:
            p = check_behaviour(behaviour)
        except GameError as exc:
            raise PolicyError(str(exc)) from None
        if p.shape[:2] != (2, 2):
            raise PolicyError(f"behaviour: answers must be 2 x 2 (KEEP/FORWARD), got shape {p.shape}")
        check_nonsignalling(p)
        p = np.clip(p, 0.0, None)
        p.setflags(write=False)
        self.behaviour = p
        self.question_map = check_question_map(question_map)
        self.role_symmetric = bool(role_symmetric)
        self.name = name or ("correlated-" + ("sym" if self.role_symmetric else "asym"))

    def _question_sizes(self) -> tuple[int, ...]:
        if self.question_map is not None:
            return ()
        return (self.behaviour.shape[2], self.behaviour.shape[3])

    def _resource(self, inputs: PairInputs, ctx: Context, state: dict[str, Any]) -> SequentialPairs:
        u1 = np.asarray(inputs.uniforms[:, SAMPLING_COLUMNS[0]], dtype=np.float64)
        u2 = np.asarray(inputs.uniforms[:, SAMPLING_COLUMNS[1]], dtype=np.float64)
        p = self.behaviour
        return SequentialPairs(
            ctx.n,
            lambda idx, x: sample_first(p, x, u1[idx]),
            lambda idx, x, a, y: sample_second(p, x, a, y, u2[idx]),
            (p.shape[2], p.shape[3]),
        )

    def decide(self, view: LocalView, share: Share) -> NDArray[np.int8]:
        """This server's answer from its half of the box: Alice's drawn from :math:`p(a|x)`, Bob's
        from :math:`p(b|x,y,a)` (sequential sampling; the joint law is ``behaviour``)."""
        if not isinstance(share, ResourceHalf):
            raise PolicyError("share: Correlated needs its half of the shared box")
        return share.measure(view.question_for(share.n_questions, "behaviour", self.question_map))

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "behaviour": self.behaviour.tolist(),
                "question_map": None if self.question_map is None else self.question_map.tolist(), "uniform_columns": list(SAMPLING_COLUMNS)}
