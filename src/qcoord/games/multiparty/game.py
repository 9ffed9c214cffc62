r"""The weighted N-player non-local game: one immutable value type.

A referee draws a question tuple :math:`x = (x_1, \dots, x_N)` with probability ``prob[x]``, sends
:math:`x_i` to player :math:`i`; the players answer :math:`a = (a_1, \dots, a_N)` without
communicating and the round pays ``payoff[a, x]`` (any real number). The value of a behaviour
:math:`p(a \mid x)` is

.. math::

    \omega(p) = \sum_{x} \pi(x) \sum_{a} V(a, x)\, p(a \mid x) = \sum_{a, x} W[a, x]\, p[a, x],
    \qquad W = \pi[\text{None}, \dots] \cdot V.

Array layout: ``prob[x1, ..., xN]``, ``payoff[a1, ..., aN, x1, ..., xN]`` and behaviours
``p[a1, ..., aN, x1, ..., xN]``; for N = 2 this is exactly :class:`qcoord.games.Game`'s
``[a, b, x, y]`` layout, and :meth:`MultiGame.from_game` / :meth:`MultiGame.to_game` convert
without any arithmetic.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..game import PROB_ATOL, PROB_RENORMALISE_ATOL, Game, GameError, _as_real_array, _is_name, _is_sequence, _short

__all__ = ["MultiGame", "check_multi_behaviour", "MAX_PLAYERS"]

#: Largest number of players accepted (numpy arrays have at most 64 axes; a payoff has 2N).
MAX_PLAYERS = 16


def _ndim_of(value: ArrayLike, field_name: str) -> int:
    try:
        return int(np.ndim(value))
    except RecursionError:
        raise GameError(f"{field_name}: nested too deeply to be an array of real numbers") from None
    except (TypeError, ValueError) as exc:
        raise GameError(f"{field_name}: must be an array of real numbers ({exc})") from None


def _party_names(given: Any, sizes: tuple[int, ...], field_name: str, prefix: str) -> tuple[tuple[str, ...], ...]:
    if given is None:
        return tuple(tuple(f"{prefix}{j}" for j in range(n)) for n in sizes)
    if not _is_sequence(given, ndim=2) or len(given) != len(sizes):
        raise GameError(f"{field_name}: must be a list of {len(sizes)} lists of strings (one per player), got {_short(given)}")
    out = []
    for i, (names, n) in enumerate(zip(given, sizes)):
        if not _is_sequence(names) or any(not _is_name(s) for s in names):
            raise GameError(f"{field_name}: player {i}'s names must be a list of strings, got {_short(names)}")
        if len(names) != n:
            raise GameError(f"{field_name}: player {i} needs {n} names, got {len(names)}")
        out.append(tuple(str(s) for s in names))
    return tuple(out)


@dataclass(frozen=True, eq=False)
class MultiGame:
    r"""A weighted N-player non-local game (N >= 2).

    Parameters
    ----------
    prob : array_like, shape (X1, ..., XN)
        Question distribution :math:`\pi(x)`: non-negative, sums to 1 within 1e-9; a sum within
        1e-6 of 1 is divided by the sum with a ``UserWarning`` (:attr:`renormalised`), beyond it a
        :class:`~qcoord.games.GameError` (as :class:`qcoord.games.Game`).
    payoff : array_like, shape (A1, ..., AN, X1, ..., XN)
        Payoff :math:`V(a, x)`; any finite reals.
    question_names, answer_names : list of N lists of str, optional
        Default ``x0, x1, ...`` and ``a0, a1, ...`` for every player.
    name : str
        A label for tables.

    Attributes
    ----------
    weights : ndarray, shape (A1, ..., AN, X1, ..., XN)
        :math:`W[a, x] = \pi(x) V(a, x)`.
    renormalised : bool

    Raises
    ------
    GameError
        Fewer than 2 or more than ``MAX_PLAYERS`` (16) players, shape mismatch, negative, NaN or
        infinite entries, ``prob`` not summing to 1; the message names the field.
    """

    prob: NDArray[np.float64]
    payoff: NDArray[np.float64]
    question_names: tuple[tuple[str, ...], ...] | None = None
    answer_names: tuple[tuple[str, ...], ...] | None = None
    name: str = "game"
    weights: NDArray[np.float64] = field(init=False, repr=False)
    renormalised: bool = field(init=False, repr=False, default=False)

    def __post_init__(self) -> None:
        n = _ndim_of(self.prob, "prob")
        if n < 2:
            raise GameError(f"prob: an N-player game needs N >= 2 question axes, got a {n}-dimensional prob (N = {n})")
        if n > MAX_PLAYERS:
            raise GameError(f"prob: at most {MAX_PLAYERS} players (question axes), got {n}")
        prob = _as_real_array(self.prob, "prob", n)
        payoff = _as_real_array(self.payoff, "payoff", 2 * n) if _ndim_of(self.payoff, "payoff") == 2 * n else None
        if payoff is None:
            raise GameError(
                f"payoff: expected a {2 * n}-dimensional array (A1..A{n}, X1..X{n}) for {n} players, "
                f"got {_ndim_of(self.payoff, 'payoff')} dimensions"
            )
        if payoff.shape[n:] != prob.shape:
            raise GameError(f"payoff: shape {payoff.shape} must end with prob.shape = {prob.shape} (A1..AN, X1..XN)")
        if (prob < 0).any():
            idx = tuple(int(i) for i in np.argwhere(prob < 0)[0])
            raise GameError(f"prob: entries must be >= 0; prob{list(idx)} = {prob[idx]}")
        total = float(prob.sum())
        if abs(total - 1.0) > PROB_RENORMALISE_ATOL:
            raise GameError(
                f"prob: entries must sum to 1 (within {PROB_ATOL:g}; sums within {PROB_RENORMALISE_ATOL:g} "
                f"are renormalised); they sum to {total!r}"
            )
        if abs(total - 1.0) > PROB_ATOL:
            warnings.warn(
                f"prob: entries sum to {total!r}, not 1 within {PROB_ATOL:g} (but within {PROB_RENORMALISE_ATOL:g}); "
                "renormalised by dividing by the sum",
                UserWarning,
                stacklevel=3,
            )
            prob = prob / total
            prob.setflags(write=False)
            object.__setattr__(self, "renormalised", True)
        if not _is_name(self.name):
            raise GameError(f"name: must be a string, got {type(self.name).__name__} {_short(self.name)}")
        object.__setattr__(self, "name", str(self.name))
        object.__setattr__(self, "prob", prob)
        object.__setattr__(self, "payoff", payoff)
        object.__setattr__(self, "question_names", _party_names(self.question_names, prob.shape, "question_names", "x"))
        object.__setattr__(self, "answer_names", _party_names(self.answer_names, payoff.shape[:n], "answer_names", "a"))
        weights = prob[(None,) * n] * payoff
        weights.setflags(write=False)
        object.__setattr__(self, "weights", weights)

    # ---------------------------------------------------------------- shape
    @property
    def n_players(self) -> int:
        """N, the number of players."""
        return int(self.prob.ndim)

    @property
    def n_questions(self) -> tuple[int, ...]:
        """``(X1, ..., XN)``."""
        return tuple(int(s) for s in self.prob.shape)

    @property
    def n_answers(self) -> tuple[int, ...]:
        """``(A1, ..., AN)``."""
        return tuple(int(s) for s in self.payoff.shape[: self.n_players])

    @property
    def shape(self) -> tuple[int, ...]:
        """``(A1, ..., AN, X1, ..., XN)``: the shape of payoffs and behaviours."""
        return tuple(int(s) for s in self.payoff.shape)

    # ---------------------------------------------------------------- values
    def value(self, behaviour: ArrayLike) -> float:
        r""":math:`\sum_{a,x} \pi(x) V(a,x)\, p(a|x)` of a behaviour shaped like ``payoff``
        (validated by :func:`check_multi_behaviour`)."""
        p = check_multi_behaviour(behaviour, self.shape)
        return float(np.sum(self.weights * p))

    def scaled(self, factor: float) -> "MultiGame":
        """The game with payoff multiplied by ``factor`` (names kept)."""
        return MultiGame(self.prob, self.payoff * float(factor), self.question_names, self.answer_names, self.name)

    # ---------------------------------------------------------------- two players
    @classmethod
    def from_game(cls, game: Game) -> "MultiGame":
        """The N = 2 game of a two-player :class:`~qcoord.games.Game` (same arrays, same names)."""
        if not isinstance(game, Game):
            raise GameError(f"game: expected a qcoord.games.Game, got {type(game).__name__}")
        return cls(game.prob, game.payoff, game.question_names, game.answer_names, game.name)

    def to_game(self) -> Game:
        """The two-player :class:`~qcoord.games.Game` (N = 2 only; same arrays, same names)."""
        if self.n_players != 2:
            raise GameError(f"to_game: only a 2-player game converts to Game, this one has {self.n_players} players")
        return Game(self.prob, self.payoff, name=self.name, question_names=self.question_names,  # type: ignore[arg-type]
                    answer_names=self.answer_names)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"MultiGame(name={self.name!r}, players={self.n_players}, questions={self.n_questions}, answers={self.n_answers})"


def as_multigame(game: Any) -> MultiGame:
    """A :class:`MultiGame` from a MultiGame or a two-player Game; else :class:`GameError`."""
    if isinstance(game, MultiGame):
        return game
    if isinstance(game, Game):
        return MultiGame.from_game(game)
    raise GameError(f"game: expected a qcoord MultiGame (or a two-player Game), got {type(game).__name__}")


def check_multi_behaviour(
    behaviour: ArrayLike, shape: Sequence[int] | None = None, atol: float = 1e-7
) -> NDArray[np.float64]:
    r"""Validate a behaviour ``p[a1..aN, x1..xN] = p(a|x)`` and return it (read-only float array).

    Raises
    ------
    GameError
        Wrong shape, non-finite or negative entries (below ``-atol``), or a question tuple whose
        :math:`\sum_a p(a|x)` differs from 1 by more than ``atol``.
    """
    ndim = _ndim_of(behaviour, "behaviour")
    if shape is not None and ndim != len(shape):
        raise GameError(f"behaviour: expected shape {tuple(shape)} (A1..AN, X1..XN), got a {ndim}-dimensional array")
    if ndim < 4 or ndim % 2:
        raise GameError(f"behaviour: expected a (A1..AN, X1..XN) array with N >= 2, got {ndim} dimensions")
    p = _as_real_array(behaviour, "behaviour", ndim)
    if shape is not None and p.shape != tuple(shape):
        raise GameError(f"behaviour: expected shape {tuple(shape)} (A1..AN, X1..XN), got {p.shape}")
    if (p < -atol).any():
        idx = tuple(int(i) for i in np.argwhere(p < -atol)[0])
        raise GameError(f"behaviour: probabilities must be >= 0; behaviour{list(idx)} = {p[idx]}")
    n = ndim // 2
    sums = p.sum(axis=tuple(range(n)))
    bad = np.abs(sums - 1.0) > atol
    if bad.any():
        x = tuple(int(i) for i in np.argwhere(bad)[0])
        raise GameError(f"behaviour: each p(.|x) must sum to 1 (within {atol:g}); at x={x} it sums to {sums[x]!r}")
    return p
