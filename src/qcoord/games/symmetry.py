"""Symmetries of a two-player game: relabelings of questions and answers that leave the payoff unchanged.

A *symmetry* of a game with weights :math:`W(a, b, x, y) = \\pi(x, y)\\,V(a, b, x, y)` is a pair of
bijections of the players' (question, answer) labels,

.. math::

    \\alpha:\\ (x, a) \\mapsto (\\sigma(x), \\tau_x(a)), \\qquad
    \\beta:\\ (y, b) \\mapsto (\\sigma'(y), \\tau'_y(b)),

(a question permutation and, for every question, an answer permutation that may depend on it) with
:math:`W(\\tau_x(a), \\tau'_y(b), \\sigma(x), \\sigma'(y)) = W(a, b, x, y)` for all entries. Relabeling
a strategy by a symmetry keeps its value, so every value of the game (classical, quantum, NPA,
no-signalling) has an optimum that is invariant under the whole group; :func:`qcoord.games.npa_upper_bound`
uses this to block-diagonalise the moment matrix (``symmetry="auto"``; see
:mod:`qcoord.games._npa_symmetry`). Exchanging the players is not included.

The group is found as the automorphism group of a vertex-coloured graph with nauty [1]_ (through
``pynauty``): one vertex per question and per (question, answer) label of each player, joined to its
question, and one vertex per entry :math:`(x, a), (y, b)` whose weight is not the most frequent one,
coloured by its weight class and joined to its two labels. Every generator is checked against the
weights exactly before it is returned.

References
----------
.. [1] B. D. McKay and A. Piperno, "Practical graph isomorphism, II", J. Symbolic Comput. 60, 94-112
   (2014).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .game import Game

__all__ = ["GameSymmetry", "game_symmetries"]


@dataclass(frozen=True, eq=False)
class GameSymmetry:
    """Generators of a game's symmetry group, as permutations of each player's labels.

    Attributes
    ----------
    shape : (na, nb, nx, ny)
        The game's shape.
    alice : ndarray of int, shape (k, nx * na)
        Generator ``i`` maps Alice's label ``x * na + a`` to ``alice[i, x * na + a]``.
    bob : ndarray of int, shape (k, ny * nb)
        The same for Bob's labels ``y * nb + b``.
    order : int
        The order of the group they generate (from nauty; 1 for a game with no symmetry).
    """

    shape: tuple[int, int, int, int]
    alice: NDArray[np.int64]
    bob: NDArray[np.int64]
    order: int

    @property
    def num_generators(self) -> int:
        """The number of generators ``k``."""
        return int(self.alice.shape[0])

    @property
    def trivial(self) -> bool:
        """Whether the group has only the identity."""
        return self.order <= 1

    def act(self, i: int, weights: NDArray[np.float64]) -> NDArray[np.float64]:
        """The weights relabelled by generator ``i``: ``out[g(a, b, x, y)] = weights[a, b, x, y]``."""
        na, nb, nx, ny = self.shape
        out = np.empty_like(weights)
        a, b, x, y = np.meshgrid(np.arange(na), np.arange(nb), np.arange(nx), np.arange(ny), indexing="ij")
        la = self.alice[i][x * na + a]
        lb = self.bob[i][y * nb + b]
        out[la % na, lb % nb, la // na, lb // nb] = weights
        return out


def _labels_respect_questions(perm: NDArray[np.int64], n_answers: int) -> bool:
    """Whether a label permutation maps each question's labels onto one question's labels."""
    q = perm.reshape(-1, n_answers) // n_answers
    return bool(np.all(q == q[:, :1]))


def game_symmetries(game: Game) -> GameSymmetry:
    """The symmetry group of a game (question and answer relabelings that keep every weight).

    Parameters
    ----------
    game : Game

    Returns
    -------
    GameSymmetry
        Generators and group order. A game without symmetry (most random games) gives ``order == 1``
        and no generators.

    Raises
    ------
    ImportError
        If ``pynauty`` is not installed (it is a dependency of qcoord).

    Examples
    --------
    >>> from qcoord.games import chsh_d
    >>> game_symmetries(chsh_d(3)).order >= 108
    True
    """
    import pynauty

    W = np.asarray(game.weights, dtype=float)
    na, nb, nx, ny = (int(v) for v in W.shape)
    # vertices: Alice questions, Alice labels, Bob questions, Bob labels, then one per weighted entry
    qa0, la0 = 0, nx
    qb0 = la0 + nx * na
    lb0 = qb0 + ny
    entries0 = lb0 + ny * nb
    adj: dict[int, list[int]] = {}
    for x in range(nx):
        adj[qa0 + x] = [la0 + x * na + a for a in range(na)]
    for y in range(ny):
        adj[qb0 + y] = [lb0 + y * nb + b for b in range(nb)]
    # entry ((x, a), (y, b)) has weight W[a, b, x, y]; the most frequent weight class gets no vertex
    flat = W.transpose(2, 0, 3, 1).reshape(nx * na, ny * nb)  # [label_a, label_b]
    values, cls = np.unique(flat, return_inverse=True)
    cls = cls.reshape(flat.shape)
    common = int(np.bincount(cls.ravel()).argmax())
    colours: list[set[int]] = [set(range(qa0, la0)), set(range(la0, qb0)), set(range(qb0, lb0)), set(range(lb0, entries0))]
    v = entries0
    for c in range(values.size):
        if c == common:
            continue
        members = set()
        for ia, ib in zip(*np.nonzero(cls == c)):
            adj[v] = [la0 + int(ia), lb0 + int(ib)]
            members.add(v)
            v += 1
        colours.append(members)
    graph = pynauty.Graph(v, directed=False, adjacency_dict=adj, vertex_coloring=[c for c in colours if c])
    generators, size1, size2, _, _ = pynauty.autgrp(graph)
    alice: list[NDArray[np.int64]] = []
    bob: list[NDArray[np.int64]] = []
    for gen in generators:
        g = np.asarray(gen, dtype=np.int64)
        pa = g[la0:qb0] - la0
        pb = g[lb0:entries0] - lb0
        if np.array_equal(pa, np.arange(nx * na)) and np.array_equal(pb, np.arange(ny * nb)):
            continue
        alice.append(pa)
        bob.append(pb)
    order = int(round(size1 * 10 ** size2))
    sym = GameSymmetry(
        shape=(na, nb, nx, ny),
        alice=np.array(alice, dtype=np.int64).reshape(-1, nx * na),
        bob=np.array(bob, dtype=np.int64).reshape(-1, ny * nb),
        order=max(1, order) if alice else 1,
    )
    for i in range(sym.num_generators):  # nauty's answer, checked against the definition
        if not (_labels_respect_questions(sym.alice[i], na) and _labels_respect_questions(sym.bob[i], nb)
                and np.array_equal(sym.act(i, W), W)):
            raise AssertionError(f"game_symmetries: generator {i} does not preserve the weights of {game.name!r}")
    for arr in (sym.alice, sym.bob):
        arr.setflags(write=False)
    return sym
