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
=====================  ======================  ==========================  ===============
"""

from __future__ import annotations

from typing import Callable, Literal

import numpy as np

from .game import Game, GameError, check_int, seed_sequence

__all__ = ["chsh", "chsh_d", "odd_cycle", "magic_square", "random_game", "GAMES", "get_game"]


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
