r"""A library of N-player games: Mermin-GHZ, MABK and Svetlichny Bell expressions as games, N-party CHSH, random games.

Correlator Bell expressions as games
------------------------------------
For parties with two settings and outcomes :math:`\pm 1` (answer :math:`a_i \in \{0, 1\}` read as
:math:`(-1)^{a_i}`), a correlator expression :math:`\beta = \sum_x c_x \langle \prod_i A^{(i)}_{x_i} \rangle`
becomes the XOR game (:func:`correlator_game`) with

.. math::

    \pi(x) = |c_x| / S, \quad S = \sum_x |c_x|, \qquad
    V(a, x) = [\, (-1)^{a_1 \oplus \cdots \oplus a_N} = \mathrm{sign}(c_x) \,],

whose value is :math:`\omega = \tfrac12 + \beta / (2 S)` (each question wins with probability
:math:`(1 + \mathrm{sign}(c_x) E_x)/2`, :math:`E_x` the correlator). So a local bound
:math:`\beta_L` and a quantum maximum :math:`\beta_Q` give the game values
:math:`\tfrac12 + \beta_L/(2S)` and :math:`\tfrac12 + \beta_Q/(2S)`.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..game import GameError, check_int, seed_sequence
from .game import MultiGame

__all__ = [
    "correlator_game",
    "mermin_ghz",
    "mabk",
    "mabk_expression",
    "mabk_values",
    "svetlichny",
    "svetlichny_expression",
    "chsh_n",
    "random_multigame",
    "MULTI_GAMES",
    "get_multigame",
]


def correlator_game(coefficients: ArrayLike, name: str = "correlator") -> MultiGame:
    r"""The XOR game of a correlator Bell expression :math:`\sum_x c_x \langle \prod_i A^{(i)}_{x_i}\rangle`.

    Parameters
    ----------
    coefficients : array_like, shape (X1, ..., XN), N >= 2
        :math:`c_x`, real, not all zero.

    Returns
    -------
    MultiGame
        ``prob = |c| / sum |c|``, payoff 1 when the parity of the answers matches the sign of
        :math:`c_x` (even parity for :math:`c_x > 0`), else 0; value :math:`\tfrac12 + \beta / (2 \sum|c|)`.
    """
    c = np.asarray(coefficients, dtype=np.float64)
    if c.ndim < 2 or not np.isfinite(c).all() or not np.abs(c).sum() > 0:
        raise GameError(f"coefficients: must be a finite real array with N >= 2 axes, not all zero; got shape {c.shape}")
    n = c.ndim
    prob = np.abs(c) / np.abs(c).sum()
    parity = np.indices((2,) * n).sum(axis=0) % 2  # (2,)*n
    target = (c < 0).astype(int)  # odd parity wanted where c < 0
    payoff = (parity.reshape((2,) * n + (1,) * n) == target[(None,) * n]).astype(np.float64)
    return MultiGame(prob, payoff, name=name)


def mermin_ghz() -> MultiGame:
    r"""The Mermin-GHZ game (3 players; Mermin, Phys. Rev. Lett. 65, 1838 (1990); Am. J. Phys. 58, 731 (1990)).

    Questions :math:`x \in \{0,1\}^3` with :math:`x_1 \oplus x_2 \oplus x_3 = 0`, uniform (4 of them);
    the players win iff :math:`a_1 \oplus a_2 \oplus a_3 = x_1 \lor x_2 \lor x_3`. Classical value
    3/4, quantum value 1 (the GHZ state measured in X for question 0 and Y for question 1).
    """
    prob = np.zeros((2, 2, 2))
    payoff = np.zeros((2,) * 6)
    for x in np.ndindex(2, 2, 2):
        if sum(x) % 2 == 0:
            prob[x] = 0.25
        for a in np.ndindex(2, 2, 2):
            payoff[a + x] = float(sum(a) % 2 == (x[0] | x[1] | x[2]))
    return MultiGame(prob, payoff, name="mermin_ghz")


def mabk_expression(n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Coefficients :math:`c_x` of the MABK polynomials :math:`(M_n, M'_n)`, normalised to local bound 1.

    Recursion (Gisin & Bechmann-Pasquinucci, Phys. Lett. A 246, 1 (1998)):
    :math:`M_1 = A_1`, :math:`M'_1 = A'_1`,

    .. math::

        M_n = M_{n-1} \tfrac{A_n + A'_n}{2} + M'_{n-1} \tfrac{A_n - A'_n}{2}, \qquad
        M'_n = M'_{n-1} \tfrac{A'_n + A_n}{2} + M_{n-1} \tfrac{A'_n - A_n}{2}

    (setting 0 = :math:`A`, setting 1 = :math:`A'`). Every deterministic local assignment gives
    :math:`|M_n| = 1` (exactly one of :math:`A_n \pm A'_n` is non-zero), so the local bound is 1; the
    quantum maximum is :math:`2^{(n-1)/2}`, attained by the GHZ state: Mermin, Phys. Rev. Lett. 65,
    1838 (1990) (odd n); Ardehali, Phys. Rev. A 46, 5375 (1992); Belinskii & Klyshko, Phys. Usp. 36,
    653 (1993). ``M_2`` is CHSH / 2.
    """
    n = check_int(n, "n", 1)
    M = np.array([1.0, 0.0])
    Mp = np.array([0.0, 1.0])
    for _ in range(2, n + 1):
        plus, minus = np.array([0.5, 0.5]), np.array([0.5, -0.5])
        M, Mp = np.multiply.outer(M, plus) + np.multiply.outer(Mp, minus), np.multiply.outer(Mp, plus) + np.multiply.outer(M, -minus)
    return M, Mp


def mabk_values(n: int) -> tuple[float, float]:
    r"""``(classical, quantum)`` values of :func:`mabk` ``(n)`` from the literature bounds:
    :math:`\tfrac12 + 1/(2S)` and :math:`\tfrac12 + 2^{(n-1)/2}/(2S)`, :math:`S = \sum_x |c_x|`
    (:math:`S = 2^{(n-1)/2}` for odd n, so the quantum value is 1; :math:`2^{n/2}` for even n)."""
    c, _ = mabk_expression(n)
    S = float(np.abs(c).sum())
    return 0.5 + 1.0 / (2 * S), 0.5 + 2 ** ((n - 1) / 2) / (2 * S)


def mabk(n: int) -> MultiGame:
    r"""The MABK (Mermin-Ardehali-Belinskii-Klyshko) Bell expression :math:`M_n` for n parties as a game.

    The game is :func:`correlator_game` of :func:`mabk_expression` ``(n)[0]`` (local bound 1, quantum
    maximum :math:`2^{(n-1)/2}`), with values :func:`mabk_values`: n = 3: 3/4 and 1 (it is the
    Mermin-GHZ game up to relabelling answers), n = 4: 5/8 and :math:`\tfrac12 + 1/(2\sqrt2)`,
    n = 5: 5/8 and 1.

    Parameters
    ----------
    n : int in [2, 10]
    """
    n = check_int(n, "n", 2)
    if n > 10:
        raise GameError(f"n: must be an integer in [2, 10], got {n}")
    return correlator_game(mabk_expression(n)[0], name=f"mabk{n}")


def svetlichny_expression() -> NDArray[np.float64]:
    r"""Coefficients ``c[x_A, x_B, x_C]`` of Svetlichny's 3-party expression (Svetlichny, Phys. Rev. D
    35, 3066 (1987); Collins, Gisin, Popescu, Roberts, Scarani, Phys. Rev. Lett. 88, 170405 (2002))

    .. math::

        S_3 = ABC + ABC' + AB'C + A'BC - A'B'C' - A'B'C - A'BC' - AB'C'
            = M_2\, C + \bar M_2\, C',

    with :math:`M_2 = AB + AB' + A'B - A'B'` (CHSH) and :math:`\bar M_2 = AB - AB' - A'B - A'B'`
    (primes: setting 1). Local (and hybrid local / non-local) bound 4 (:math:`|M_2|, |\bar M_2| \le 2`),
    quantum maximum :math:`4\sqrt2` (GHZ state)."""
    M2 = np.array([[1.0, 1.0], [1.0, -1.0]])
    M2bar = np.array([[1.0, -1.0], [-1.0, -1.0]])
    return np.stack([M2, M2bar], axis=-1)


def svetlichny() -> MultiGame:
    r"""Svetlichny's inequality as a 3-player game (:func:`correlator_game` of :func:`svetlichny_expression`).

    All 8 questions equally likely (:math:`|c_x| = 1`, :math:`S = 8`), so the game value is
    :math:`\tfrac12 + S_3 / 16`: classical 3/4 (local bound 4), quantum
    :math:`\tfrac12 + \sqrt2/4 \approx 0.853553` (maximum :math:`4\sqrt2`).
    """
    return correlator_game(svetlichny_expression(), name="svetlichny")


def chsh_n(n: int) -> MultiGame:
    r"""An N-party CHSH game: uniform questions :math:`x \in \{0,1\}^n`, win iff
    :math:`a_1 \oplus \cdots \oplus a_n = x_1 x_2 \cdots x_n` (the AND of all questions).

    For n = 2 it is CHSH (classical 3/4, quantum :math:`\cos^2(\pi/8)`). Classical value
    :math:`1 - 2^{-n}` for every n: answering 0 always loses only on :math:`x = 1\cdots1`, and no
    deterministic strategy wins everywhere (the parity of local answers is a polynomial of degree
    <= 1 over GF(2) in x, the AND has degree n). Quantum values for n >= 3 are computed here, not
    quoted from the literature: for n = 3 and 4 the NPA bound at level 1 plus all two-party products
    (:func:`~qcoord.games.multiparty.npa.pairs_level`) equals :math:`1 - 2^{-n}` to 1e-6, so this
    generalisation has *no* quantum advantage beyond n = 2 (tests/games/multiparty/test_library.py);
    :func:`mabk` and :func:`svetlichny` are the N-party games with one.

    Parameters
    ----------
    n : int in [2, 10]
    """
    n = check_int(n, "n", 2)
    if n > 10:
        raise GameError(f"n: must be an integer in [2, 10], got {n}")
    prob = np.full((2,) * n, 2.0**-n)
    payoff = np.zeros((2,) * (2 * n))
    for x in np.ndindex(*(2,) * n):
        target = int(all(x))
        for a in np.ndindex(*(2,) * n):
            payoff[a + x] = float(sum(a) % 2 == target)
    return MultiGame(prob, payoff, name=f"chsh_n{n}")


def random_multigame(
    n_players: int,
    n_questions: int | Sequence[int] = 2,
    n_answers: int | Sequence[int] = 2,
    seed: int | np.random.SeedSequence | None = 0,
    kind: str = "weighted",
) -> MultiGame:
    r"""A random N-player game, reproducible from ``seed``.

    :math:`\pi(x) \propto u_x`, :math:`u_x` i.i.d. uniform on (0, 1]; payoff i.i.d. uniform on [0, 1)
    (``"weighted"``), in {0, 1} with probability 1/2 (``"binary"``) or uniform on [-1, -0.01)
    (``"negative"``), as :func:`qcoord.games.random_game`.

    Parameters
    ----------
    n_players : int in [2, 16]
    n_questions, n_answers : int >= 1 or one per player
    seed : int >= 0, SeedSequence or None
    kind : {"weighted", "binary", "negative"}
    """
    n = check_int(n_players, "n_players", 2)

    def per_player(v: int | Sequence[int], field: str) -> tuple[int, ...]:
        if isinstance(v, (list, tuple)):
            if len(v) != n:
                raise GameError(f"{field}: give one value per player ({n}), got {len(v)}")
            return tuple(check_int(s, field, 1) for s in v)
        return (check_int(v, field, 1),) * n

    X = per_player(n_questions, "n_questions")
    A = per_player(n_answers, "n_answers")
    if kind not in ("weighted", "binary", "negative"):
        raise GameError(f"kind: must be one of 'weighted', 'binary', 'negative', got {kind!r}")
    size = math.prod(X) * math.prod(A)
    if size > 10**7:
        raise GameError(f"n_questions, n_answers: the payoff would have {size} entries (at most 10**7)")
    ss = seed_sequence(seed)
    rng = np.random.default_rng(ss)
    u = 1.0 - rng.random(X)
    prob = u / u.sum()
    if kind == "weighted":
        payoff = rng.random(A + X)
    elif kind == "binary":
        payoff = (rng.random(A + X) < 0.5).astype(np.float64)
    else:
        payoff = -0.01 - 0.99 * rng.random(A + X)
    label = seed if isinstance(seed, (int, np.integer)) else ss.entropy
    return MultiGame(prob, payoff, name=f"random_{kind}_{n}p_{'x'.join(map(str, X))}q_{'x'.join(map(str, A))}a_seed{label}")


#: Named N-player games: name -> zero-argument constructor.
MULTI_GAMES: dict[str, Callable[[], MultiGame]] = {
    "mermin_ghz": mermin_ghz,
    "mabk3": lambda: mabk(3),
    "mabk4": lambda: mabk(4),
    "mabk5": lambda: mabk(5),
    "svetlichny": svetlichny,
    "chsh_n3": lambda: chsh_n(3),
    "chsh_n4": lambda: chsh_n(4),
}


def get_multigame(name: str) -> MultiGame:
    """The named game of :data:`MULTI_GAMES`; :class:`GameError` listing the names otherwise."""
    try:
        factory = MULTI_GAMES[name]
    except (KeyError, TypeError):
        raise GameError(f"game: unknown N-player game {name!r}; known: {', '.join(sorted(MULTI_GAMES))}") from None
    return factory()
