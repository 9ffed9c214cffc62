"""A library of standard non-local games, and random games for tests and benchmarks.

Every factory returns a :class:`~qcoord.games.game.Game` in the ``[a, b, x, y]`` layout.
The registry :data:`GAMES` maps the names the CLI accepts (``qcoord game values NAME``) to
zero-argument factories.

Known values (used as closed-form checks in the tests):

=====================  ======================  ==========================  ===============
game                   classical               quantum                     no-signalling
=====================  ======================  ==========================  ===============
``chsh()``             3/4                     cos^2(pi/8) ~ 0.8536        1
``odd_cycle(n)``       1 - 1/(2n)              cos^2(pi/(4n))              1
``magic_square()``     8/9                     1 (local dimension 4)       1
``chsh_d(d)``          d = 2..6: 3/4, 2/3,     --                          1
                       5/8, 12/25, 1/2
``repeat(chsh(), 2)``  10/16                   cos^4(pi/8) ~ 0.7286        1
``bcs_game`` 4-cycle,  7/8                     cos^2(pi/16) ~ 0.9619       1
odd parity
=====================  ======================  ==========================  ===============

The BCS row is the 4-cycle system :math:`v_1 + v_2 = v_2 + v_3 = v_3 + v_4 = 0`,
:math:`v_4 + v_1 = 1` (see :func:`bcs_game`); its game is the chained Bell game on the 8-cycle of
constraint-variable incidences with one frustrated parity, the structure of the odd-cycle game
with ``2n = 8`` question pairs, hence :math:`\\cos^2(\\pi/(4n))` at ``n = 4`` (measured: see-saw and
NPA agree to 1e-8).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .game import Game, GameError, check_int, seed_sequence

__all__ = [
    "chsh",
    "chsh_d",
    "odd_cycle",
    "magic_square",
    "random_game",
    "GAMES",
    "get_game",
    "xor_game",
    "repeat",
    "bcs_game",
    "has_perfect_strategy",
    "PerfectStrategyResult",
]


def chsh() -> Game:
    """The CHSH game.

    Questions :math:`x, y \\in \\{0, 1\\}` uniform; answers :math:`a, b \\in \\{0, 1\\}`; the players win
    (payoff 1) iff :math:`a \\oplus b = x \\wedge y`. Classical value 3/4, quantum value
    :math:`\\cos^2(\\pi/8)`, no-signalling value 1 (the PR box).

    Returns
    -------
    Game
    """
    g = chsh_d(2)
    return Game(g.prob, g.payoff, name="chsh")


def chsh_d(d: int) -> Game:
    """The mod-``d`` generalisation of CHSH.

    Questions :math:`x, y \\in \\mathbb{Z}_d` uniform (probability :math:`1/d^2` each), answers
    :math:`a, b \\in \\mathbb{Z}_d`; win iff :math:`a - b \\equiv x y \\pmod d`.
    For ``d = 2`` this is CHSH (since :math:`a - b \\equiv a \\oplus b \\pmod 2`).

    Parameters
    ----------
    d : int >= 2

    Returns
    -------
    Game
    """
    d = check_int(d, "d", 2)
    a, b, x, y = np.ogrid[:d, :d, :d, :d]
    payoff = (((a - b) - x * y) % d == 0).astype(np.float64)
    prob = np.full((d, d), 1.0 / (d * d))
    names = tuple(str(i) for i in range(d))
    return Game(prob, payoff, name=f"chsh{d}", question_names=(names, names), answer_names=(names, names))


def odd_cycle(n: int) -> Game:
    """The odd-cycle game on :math:`C_n` (``n`` odd, ``n >= 3``).

    The referee picks a vertex :math:`x \\in \\mathbb{Z}_n` uniformly and sends Bob either the same
    vertex :math:`y = x` or the next one :math:`y = x + 1 \\bmod n`, each with probability 1/2, so
    :math:`\\pi(x, y) = 1/(2n)` on those ``2n`` pairs. The players answer a colour in {0, 1} and win iff
    the colours are equal when :math:`y = x` and differ when :math:`y = x + 1`. An odd cycle is not
    2-colourable, so classically one of the ``2n`` constraints fails: value :math:`1 - 1/(2n)`;
    quantum value :math:`\\cos^2(\\pi/(4n))`.

    Parameters
    ----------
    n : odd int >= 3

    Returns
    -------
    Game
    """
    n = check_int(n, "n", 3)
    if n % 2 == 0:
        raise GameError(f"n: must be an odd integer >= 3, got {n}")
    prob = np.zeros((n, n))
    payoff = np.zeros((2, 2, n, n))
    for x in range(n):
        for y, differ in ((x, 0), ((x + 1) % n, 1)):
            prob[x, y] = 1.0 / (2 * n)
            for a in range(2):
                for b in range(2):
                    payoff[a, b, x, y] = float((a ^ b) == differ)
    return Game(prob, payoff, name=f"odd_cycle{n}")


#: Alice's answers in the magic square: a row of three bits with even parity.
_ROWS = ((0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0))
#: Bob's answers: a column of three bits with odd parity.
_COLS = ((0, 0, 1), (0, 1, 0), (1, 0, 0), (1, 1, 1))


def magic_square() -> Game:
    """The Mermin-Peres magic-square game.

    Alice receives a row :math:`r \\in \\{0,1,2\\}` and Bob a column :math:`c \\in \\{0,1,2\\}`,
    uniformly (1/9 each). Alice fills her row with three bits of *even* parity, Bob his column with
    three bits of *odd* parity; they win iff they agree on the shared cell, i.e. Alice's bit ``c``
    equals Bob's bit ``r``. Each player has exactly four parity-consistent answers, so
    ``na = nb = 4``; answer ``i`` of Alice is the bit string ``_ROWS[i]`` (000, 011, 101, 110) and
    answer ``j`` of Bob is ``_COLS[j]`` (001, 010, 100, 111); the answer names spell the strings.
    Classical value 8/9; quantum value 1 with two shared Bell pairs (local dimension 4).

    Returns
    -------
    Game
    """
    prob = np.full((3, 3), 1.0 / 9.0)
    payoff = np.zeros((4, 4, 3, 3))
    for i, row in enumerate(_ROWS):
        for j, col in enumerate(_COLS):
            for r in range(3):
                for c in range(3):
                    payoff[i, j, r, c] = float(row[c] == col[r])
    names = ("".join(map(str, s)) for s in _ROWS)
    return Game(
        prob,
        payoff,
        name="magic_square",
        question_names=(("row0", "row1", "row2"), ("col0", "col1", "col2")),
        answer_names=(tuple(names), tuple("".join(map(str, s)) for s in _COLS)),
    )


GameKind = Literal["weighted", "binary", "negative"]


def random_game(
    nx: int,
    ny: int,
    na: int = 2,
    nb: int = 2,
    seed: int | np.random.SeedSequence | None = 0,
    kind: GameKind = "weighted",
) -> Game:
    """A random game, reproducible from ``seed``.

    The question distribution is :math:`\\pi(x, y) \\propto u_{xy}` with :math:`u_{xy}` i.i.d.
    uniform on (0, 1]. The payoff depends on ``kind``:

    ``"weighted"``
        :math:`V(a,b,x,y)` i.i.d. uniform on [0, 1).
    ``"binary"``
        a random predicate, :math:`V \\in \\{0, 1\\}` i.i.d. with probability 1/2 (toqito's games).
    ``"negative"``
        every payoff strictly negative, :math:`V` i.i.d. uniform on [-1, -0.01) (a cost game; the
        value is negative, which toqito 1.1.8's ``classical_value`` cannot report: it returns 0).

    Parameters
    ----------
    nx, ny : int >= 1
        Numbers of questions of Alice and Bob.
    na, nb : int >= 1
        Numbers of answers.
    seed : int >= 0, numpy.random.SeedSequence or None
        Seed of the generator (``SeedSequence(seed)``; None draws fresh entropy); the entropy is
        recorded in the game's name, so the game can be rebuilt from its name.
    kind : {"weighted", "binary", "negative"}

    Returns
    -------
    Game
        Named ``random_{kind}_{nx}x{ny}_{na}x{nb}_seed{entropy}``.
    """
    nx = check_int(nx, "nx", 1)
    ny = check_int(ny, "ny", 1)
    na = check_int(na, "na", 1)
    nb = check_int(nb, "nb", 1)
    if kind not in ("weighted", "binary", "negative"):
        raise GameError(f"kind: must be one of 'weighted', 'binary', 'negative', got {kind!r}")
    ss = seed_sequence(seed)
    rng = np.random.default_rng(ss)
    u = 1.0 - rng.random((nx, ny))
    prob = u / u.sum()
    shape = (na, nb, nx, ny)
    if kind == "weighted":
        payoff = rng.random(shape)
    elif kind == "binary":
        payoff = (rng.random(shape) < 0.5).astype(np.float64)
    else:
        payoff = -0.01 - 0.99 * rng.random(shape)
    label = seed if isinstance(seed, (int, np.integer)) else ss.entropy  # None: the fresh entropy drawn
    return Game(prob, payoff, name=f"random_{kind}_{nx}x{ny}_{na}x{nb}_seed{label}")


#: Registry of named games for the CLI: name -> zero-argument factory.
GAMES: dict[str, Callable[[], Game]] = {
    "chsh": chsh,
    "chsh3": lambda: chsh_d(3),
    "chsh4": lambda: chsh_d(4),
    "chsh5": lambda: chsh_d(5),
    "odd_cycle3": lambda: odd_cycle(3),
    "odd_cycle5": lambda: odd_cycle(5),
    "odd_cycle7": lambda: odd_cycle(7),
    "magic_square": magic_square,
    "random4": lambda: random_game(4, 4, seed=0, kind="weighted"),
    "random8": lambda: random_game(8, 8, seed=0, kind="binary"),
    "negative4": lambda: random_game(4, 4, seed=0, kind="negative"),
}


def get_game(name: str) -> Game:
    """The library game registered under ``name`` in :data:`GAMES`.

    Parameters
    ----------
    name : str
        E.g. ``"chsh"``, ``"chsh3"``, ``"odd_cycle5"``, ``"magic_square"``.

    Returns
    -------
    Game

    Raises
    ------
    GameError
        When ``name`` is unknown; the message lists the available names.
    """
    try:
        factory = GAMES[name]
    except KeyError:
        raise GameError(f"game: unknown name {name!r}; available: {', '.join(sorted(GAMES))}") from None
    return factory()


# --------------------------------------------------------------------------- constructors
def _binary_array(value: ArrayLike, field_name: str, shape: tuple[int, ...] | None, ndim: int) -> NDArray[np.int64]:
    """``value`` as an int array of 0/1 entries (bools, ints or floats equal to 0 or 1), else GameError."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise GameError(f"{field_name}: must be an array of 0/1 entries ({exc})") from None
    if arr.ndim != ndim:
        raise GameError(f"{field_name}: expected a {ndim}-dimensional array of 0/1 entries, got shape {arr.shape}")
    if shape is not None and arr.shape != tuple(shape):
        raise GameError(f"{field_name}: expected shape {tuple(shape)}, got {arr.shape}")
    if arr.size == 0:
        raise GameError(f"{field_name}: every axis must have length >= 1, got shape {arr.shape}")
    bad = ~np.isin(arr, (0.0, 1.0))
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise GameError(f"{field_name}: entries must be 0 or 1; {field_name}{list(idx)} = {float(arr[idx])!r}")
    return arr.astype(np.int64)


def xor_game(prob: ArrayLike, parity: ArrayLike, name: str = "xor") -> Game:
    """The XOR game with question distribution ``prob`` and parity table ``parity``.

    The referee draws :math:`(x, y) \\sim \\pi`; Alice and Bob answer bits :math:`a, b` and win
    (payoff 1) iff :math:`a \\oplus b = f(x, y)`, i.e.

    .. math::

        V(a, b, x, y) = [\\, a \\oplus b = f(x, y) \\,].

    CHSH is ``xor_game(np.full((2, 2), 0.25), [[0, 0], [0, 1]])`` (:math:`f(x, y) = x \\wedge y`).
    The quantum value of an XOR game is an SDP (Tsirelson; Cleve, Hoyer, Toner, Watrous,
    "Consequences and limits of nonlocal strategies", CCC 2004); see
    :func:`qcoord.games.xor.xor_quantum_value`.

    Parameters
    ----------
    prob : array_like, shape (nx, ny)
        Question distribution (validated as :attr:`Game.prob`).
    parity : array_like of 0/1, shape (nx, ny)
        :math:`f(x, y)`.
    name : str

    Returns
    -------
    Game
        Shape ``(2, 2, nx, ny)``.

    Raises
    ------
    GameError
        ``parity`` not of ``prob``'s shape or with an entry other than 0/1; ``prob`` invalid.
    """
    try:
        prob_arr = np.asarray(prob, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise GameError(f"prob: must be an array of real numbers ({exc})") from None
    if prob_arr.ndim != 2:
        raise GameError(f"prob: expected a 2-dimensional array, got shape {prob_arr.shape}")
    f = _binary_array(parity, "parity", prob_arr.shape, 2)
    a = np.arange(2)[:, None, None, None]
    b = np.arange(2)[None, :, None, None]
    payoff = ((a ^ b) == f[None, None]).astype(np.float64)
    return Game(prob_arr, payoff, name=name, answer_names=(("0", "1"), ("0", "1")))


#: Largest number of entries of a repeated game's payoff tensor :func:`repeat` builds (8e7 floats, 640 MB).
MAX_REPEAT_ENTRIES = 80_000_000


def repeat(game: Game, k: int) -> Game:
    """The ``k``-fold parallel repetition :math:`G^{\\otimes k}` of a game (also ``game ** k``).

    The referee draws ``k`` independent question pairs; each player receives the tuple of their
    ``k`` questions and answers a tuple of ``k`` answers. Tuples are flattened in row-major
    (C) order, round 1 most significant: the question tuple :math:`(x_1, \\dots, x_k)` is index
    :math:`\\sum_i x_i\\, n_x^{k-i}`, likewise for ``y``, ``a`` and ``b``. Then

    .. math::

        \\pi_k(\\vec x, \\vec y) = \\prod_{i=1}^k \\pi(x_i, y_i), \\qquad
        V_k(\\vec a, \\vec b, \\vec x, \\vec y) = \\prod_{i=1}^k V(a_i, b_i, x_i, y_i).

    For a win/lose game (:math:`V \\in \\{0, 1\\}`) the product is the standard rule: the players
    win iff they win every round (Raz, "A parallel repetition theorem", SIAM J. Comput. 27, 763
    (1998)). For a general weighted game we *define* the payoff as the product of the rounds'
    payoffs (so a game with payoffs in [0, 1] gives payoffs in [0, 1]; with negative payoffs the
    sign alternates with the number of negative rounds; this is not the mean payoff of the rounds).

    Values: the classical value is in general *not* multiplicative (CHSH twice: 10/16 > (3/4)^2),
    while the quantum value of an XOR game is (Cleve, Slofstra, Unger, Upadhyay, "Perfect parallel
    repetition theorem for quantum XOR proof systems", Comput. Complexity 17, 282 (2008)): CHSH
    twice has quantum value :math:`\\cos^4(\\pi/8) \\approx 0.7286`.

    Parameters
    ----------
    game : Game
    k : int >= 1
        Number of rounds; ``k = 1`` returns an equal copy (renamed).

    Returns
    -------
    Game
        Shape ``(na^k, nb^k, nx^k, ny^k)``, named ``"{name}^{k}"``; question and answer names are
        the rounds' names joined by ``","``.

    Raises
    ------
    GameError
        ``k`` not an integer >= 1, or the repeated payoff tensor would have more than
        ``MAX_REPEAT_ENTRIES`` entries.
    """
    if not isinstance(game, Game):
        raise GameError(f"game: expected a qcoord Game, got {type(game).__name__}")
    k = check_int(k, "k", 1)
    na, nb, nx, ny = game.shape
    entries = (na * nb * nx * ny) ** k
    if entries > MAX_REPEAT_ENTRIES:
        raise GameError(
            f"k: {game.name!r} repeated {k} times has a payoff tensor of {entries} entries, above "
            f"MAX_REPEAT_ENTRIES = {MAX_REPEAT_ENTRIES}; use a smaller k"
        )
    prob, payoff = game.prob, game.payoff
    (qa, qb), (aa, ab) = game.question_names, game.answer_names  # type: ignore[misc]
    for _ in range(k - 1):
        P, V = prob, payoff
        prob = np.einsum("xy,zw->xzyw", P, game.prob).reshape(P.shape[0] * nx, P.shape[1] * ny)
        n1a, n1b, n1x, n1y = V.shape
        payoff = np.einsum("abxy,cdzw->acbdxzyw", V, game.payoff).reshape(n1a * na, n1b * nb, n1x * nx, n1y * ny)
        qa = tuple(f"{s},{t}" for s in qa for t in game.question_names[0])  # type: ignore[index]
        qb = tuple(f"{s},{t}" for s in qb for t in game.question_names[1])  # type: ignore[index]
        aa = tuple(f"{s},{t}" for s in aa for t in game.answer_names[0])  # type: ignore[index]
        ab = tuple(f"{s},{t}" for s in ab for t in game.answer_names[1])  # type: ignore[index]
    return Game(prob, payoff, name=f"{game.name}^{k}", question_names=(qa, qb), answer_names=(aa, ab))


def bcs_game(M: ArrayLike, b: ArrayLike, name: str | None = None) -> Game:
    """The game of a binary constraint system :math:`M v = b \\pmod 2` (constraint-parity encoding).

    A binary constraint system of parity constraints has ``m`` constraints over ``n`` Boolean
    variables: constraint ``i`` reads :math:`\\bigoplus_{j \\in S_i} v_j = b_i` with
    :math:`S_i = \\{j : M_{ij} = 1\\}`. In its game (Cleve & Mittal, "Characterization of binary
    constraint system games", ICALP 2014, LNCS 8572, 320) the referee draws a constraint ``i``
    uniformly and a variable :math:`j \\in S_i` uniformly,

    .. math::

        \\pi(i, j) = \\frac{[\\, j \\in S_i \\,]}{m\\, |S_i|},

    sends ``i`` to Alice and ``j`` to Bob. Alice answers an assignment :math:`\\alpha` of the
    variables of :math:`S_i`, Bob a bit :math:`\\beta`; they win iff :math:`\\alpha` satisfies the
    constraint and agrees with Bob on :math:`v_j`:

    .. math::

        V(\\alpha, \\beta, i, j) = [\\, \\textstyle\\bigoplus_{t} \\alpha_t = b_i \\,]\\;
            [\\, \\alpha_{j} = \\beta \\,].

    Encoding of Alice's answers (rectangular answer sets): with maximal arity
    :math:`r = \\max_i |S_i|`, Alice has :math:`2^r` answers; answer ``a`` assigns to the ``t``-th
    variable of :math:`S_i` (in increasing index order) the bit :math:`(a \\gg t) \\,\\&\\, 1`, and
    bits :math:`t \\ge |S_i|` are ignored (for constraints of smaller arity several answers are the
    same assignment). Assignments of the wrong parity are allowed answers that always lose, so no
    value changes against the version where Alice may only answer satisfying assignments.

    The game has a perfect classical strategy iff the system has a solution, and a perfect quantum
    (tensor-product, finite-dimensional) strategy iff it has an operator solution (Cleve & Mittal).

    Parameters
    ----------
    M : array_like of 0/1, shape (m, n)
        Incidence of variables in constraints; every row needs at least one 1.
    b : array_like of 0/1, shape (m,)
        Parities.
    name : str, optional
        Default ``"bcs_{m}x{n}"``.

    Returns
    -------
    Game
        Shape ``(2**r, 2, m, n)``; Alice's answer names spell her bits in variable order
        (bit ``t`` of ``a`` first), question names ``"c{i}"`` and ``"v{j}"``.

    Raises
    ------
    GameError
        ``M`` or ``b`` not 0/1, wrong shapes, an empty constraint, or arity above 16.

    Examples
    --------
    The 4-cycle with odd total parity (each variable in two constraints, so the parities of a
    solution would add up to 0): no classical solution.

    >>> g = bcs_game([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1]], [0, 0, 0, 1])
    >>> g.shape
    (4, 2, 4, 4)
    """
    Mi = _binary_array(M, "M", None, 2)
    m, n = Mi.shape
    bi = _binary_array(b, "b", (m,), 1)
    supports = [np.flatnonzero(Mi[i]) for i in range(m)]
    for i, S in enumerate(supports):
        if S.size == 0:
            raise GameError(f"M: every constraint needs at least one variable; row M[{i}] is all zeros")
    r = max(S.size for S in supports)
    if r > 16:
        raise GameError(f"M: the largest constraint has {r} variables; at most 16 are supported (2**r answers)")
    na = 2**r
    bits = (np.arange(na)[:, None] >> np.arange(r)[None, :]) & 1  # bits[a, t]
    prob = np.zeros((m, n))
    payoff = np.zeros((na, 2, m, n))
    for i, S in enumerate(supports):
        s = S.size
        satisfied = (bits[:, :s].sum(axis=1) % 2) == bi[i]
        for t, j in enumerate(S):
            prob[i, j] = 1.0 / (m * s)
            for beta in range(2):
                payoff[:, beta, i, j] = (satisfied & (bits[:, t] == beta)).astype(np.float64)
    prob /= prob.sum()
    alice_names = tuple("".join(str(int(v)) for v in bits[a]) for a in range(na))
    return Game(
        prob,
        payoff,
        name=name if name is not None else f"bcs_{m}x{n}",
        question_names=(tuple(f"c{i}" for i in range(m)), tuple(f"v{j}" for j in range(n))),
        answer_names=(alice_names, ("0", "1")),
    )


@dataclass(frozen=True)
class PerfectStrategyResult:
    """Whether the NPA hierarchy at one level rules out a perfect quantum strategy.

    Attributes
    ----------
    perfect : bool
        ``npa_bound >= target - tol``: the level does *not* rule out a perfect strategy (a necessary
        condition for one; it proves nothing about existence). For a game with a perfect classical
        strategy it is always True.
    certified : bool
        ``certified_bound < target - tol``: the rigorous (dual) NPA bound proves that no perfect
        quantum (commuting-operator, hence also tensor-product) strategy exists.
    npa_bound : float
        The NPA value at ``level`` (:attr:`qcoord.games.npa.NPAResult.value`).
    certified_bound : float
        Its rigorous dual bound (:attr:`qcoord.games.npa.NPAResult.certified_bound`).
    level : str
    target : float
        The value of a perfect strategy, :math:`\\sum_{x,y} \\pi(x,y) \\max_{a,b} V(a,b,x,y)`
        (1 for a win/lose game where every question pair has a winning answer pair).
    tol : float
    npa : NPAResult
        The full NPA result.
    """

    perfect: bool
    certified: bool
    npa_bound: float
    certified_bound: float
    level: str
    target: float
    tol: float
    npa: Any = field(repr=False, default=None)

    def __bool__(self) -> bool:
        return self.perfect


def has_perfect_strategy(game: Game, level: int | str = "1+ab", tol: float = 1e-6) -> PerfectStrategyResult:
    """Ask the NPA hierarchy whether ``game`` can have a perfect quantum strategy.

    A perfect strategy reaches the algebraic maximum
    :math:`\\omega^* = \\sum_{x,y} \\pi(x,y) \\max_{a,b} V(a,b,x,y)` (1 for BCS games). Every NPA
    level bounds the quantum value from above (Navascués, Pironio, Acín, "A convergent hierarchy of
    semidefinite programs characterizing the set of quantum correlations", New J. Phys. 10, 073013
    (2008)), so a level whose certified bound is below :math:`\\omega^* - \\text{tol}` proves that
    no perfect quantum strategy exists. A bound at :math:`\\omega^*` is inconclusive: a higher level
    may still rule one out (or the game may have one: then every level gives :math:`\\omega^*`).

    Parameters
    ----------
    game : Game
    level : int or str
        NPA level (``1``, ``"1+ab"``, ``2``, ...), as for :func:`qcoord.games.npa.npa_upper_bound`.
    tol : float > 0
        Margin below :math:`\\omega^*` required to declare the level conclusive.

    Returns
    -------
    PerfectStrategyResult
        ``bool(result)`` is ``result.perfect``.
    """
    from .npa import npa_upper_bound  # lazy: keeps the library free of cvxpy at import time

    if not isinstance(game, Game):
        raise GameError(f"game: expected a qcoord Game, got {type(game).__name__}")
    if not (isinstance(tol, (int, float, np.floating)) and np.isfinite(tol) and tol > 0):
        raise GameError(f"tol: must be a finite number > 0, got {tol!r}")
    target = float((game.prob * game.payoff.max(axis=(0, 1))).sum())
    res = npa_upper_bound(game, level)
    return PerfectStrategyResult(
        perfect=bool(res.value >= target - tol),
        certified=bool(res.certified_bound < target - tol),
        npa_bound=float(res.value),
        certified_bound=float(res.certified_bound),
        level=res.level,
        target=target,
        tol=float(tol),
        npa=res,
    )
