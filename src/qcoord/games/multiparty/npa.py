r"""Upper bounds on the quantum (commuting-operator) value of an N-player game: the NPA hierarchy.

The N-party version of the two-player :mod:`qcoord.games.npa` [NPA08]_ (same SDP form, certificate,
status rules and size guard). For a set :math:`\mathcal{S}` of operator *words* the moment matrix

.. math::  \Gamma_{ij} = \langle \psi | S_i^\dagger S_j | \psi \rangle, \qquad S_i, S_j \in \mathcal{S},

of every quantum strategy is positive semidefinite with :math:`\Gamma_{11} = 1`, and entries whose
operator products are equal (or adjoint; real symmetric relaxation) as words are equal, in the
algebra of projectors with

* :math:`P^{(i)}_{x a} P^{(i)}_{x a'} = \delta_{a a'} P^{(i)}_{x a}` (orthogonal projectors of a
  party's question, summing to the identity), and
* projectors of different parties commute.

A word is therefore one reduced word per party. Collins-Gisin: only the first :math:`A_i - 1`
outcomes appear, the last is :math:`I - \sum_{a < A_i - 1} P^{(i)}_{x a}`, and every full probability
:math:`p(a|x)` is affine in the moments (products over the parties of these expansions). The moments
of products of more operators than the level contains (e.g. :math:`\langle A B C\rangle` at level 1)
are free variables constrained only by :math:`p(a|x) \ge 0`, which is imposed for every full
probability (as in the two-player code).

Levels (a string's letters name parties: ``a`` = party 0, ``b`` = party 1, ``c`` = party 2, ...):

* an integer :math:`k`: every word that is a product of at most :math:`k` projectors (of any parties);
* ``"k+w1+w2..."``: level :math:`k` plus, for each term, the products with as many projectors of each
  party as the term has letters of it: ``"1+ab"`` adds the products of one projector of party 0 and one
  of party 1 (for N = 2 exactly the two-player ``"1+ab"``), ``"1+ab+ac+bc"`` all products of two
  projectors of two different parties for N = 3 (:func:`pairs_level` builds that string for any N),
  ``"1+abc"`` products of one projector of each of three parties.

Each level bounds the quantum value from above; bigger word sets never give larger bounds. Each
result carries a ``certified_bound`` from the dual solution by weak duality, rigorous whatever the
solver's accuracy (:func:`qcoord.games.npa._certified_bound`; every moment of a quantum strategy has
:math:`|z_k| \le 1`).

References
----------
.. [NPA08] M. Navascués, S. Pironio, A. Acín, New J. Phys. 10, 073013 (2008).
"""

from __future__ import annotations

import itertools
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any, Sequence, Union

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .._limits import MAX_MATRIX_SIZE
from ..game import GameError
from ..npa import CLARABEL_MAX_SIDE, DEFAULT_TIME_LIMIT, SolverError, _certified_bound, _reduce, _solve_sdp
from .game import MultiGame, as_multigame

__all__ = ["npa_upper_bound", "MultiNPAResult", "moment_matrix_size", "npa_words", "pairs_level", "parse_level"]

Level = Union[int, str]
Word = tuple[tuple[int, ...], ...]
_LETTERS = "abcdefghijklmnop"


def pairs_level(n_players: int) -> str:
    """``"1+ab+ac+...+bc+..."``: level 1 plus every product of two projectors of two different parties."""
    return "1+" + "+".join(_LETTERS[i] + _LETTERS[j] for i in range(n_players) for j in range(i + 1, n_players))


def parse_level(level: Level, n_players: int) -> tuple[int, tuple[tuple[int, ...], ...], str]:
    """``(k, extra per-party counts, label)`` of a level for ``n_players`` parties."""
    bad = (f"level: must be an integer >= 1 or a string like '1+ab' (a base level, then '+' and words of party "
           f"letters {_LETTERS[:n_players]!r}, 'a' = party 0), got {level!r}")
    if isinstance(level, (bool, np.bool_)):
        raise GameError(bad)
    if isinstance(level, (int, np.integer)):
        if int(level) < 1:
            raise GameError(bad)
        return int(level), (), str(int(level))
    if not isinstance(level, str):
        raise GameError(bad)
    text = level.replace(" ", "").lower()
    parts = text.split("+")
    letters = _LETTERS[:n_players]
    if not parts[0].isdigit() or int(parts[0]) < 1 or any(not p or not re.fullmatch(f"[{letters}]+", p) for p in parts[1:]):
        raise GameError(bad)
    extra = tuple(tuple(p.count(ch) for ch in letters) for p in parts[1:])
    return int(parts[0]), extra, text


def _counts(n_q: int, m: int, length: int) -> int:
    return 1 if length == 0 else n_q * m * ((n_q - 1) * m) ** (length - 1)


def _max_len(n_q: int, m: int, cap: int) -> int:
    if n_q * m == 0:
        return 0
    return cap if (n_q - 1) * m > 0 else min(cap, 1)


def _length_tuples(k: int, extra: Sequence[tuple[int, ...]], caps: Sequence[int], stop_after: int | None = None):
    """Reachable reduced-length tuples: those with sum <= k, and each term's rectangle (lengths
    ``1..c`` for a party with ``c >= 1`` letters, 0 otherwise), within the parties' caps."""
    n = len(caps)
    seen: set[tuple[int, ...]] = set()

    def triangle(i: int, left: int, prefix: tuple[int, ...]):
        if i == n:
            yield prefix
            return
        for length in range(min(left, caps[i]) + 1):
            yield from triangle(i + 1, left - length, prefix + (length,))

    for t in triangle(0, k, ()):
        yield t
    for counts in extra:
        ranges = [range(1, c + 1) if c else range(1) for c in counts]
        for t in itertools.product(*ranges):
            if sum(t) <= k or any(t[i] > caps[i] for i in range(n)) or t in seen:
                continue
            seen.add(t)
            yield t


def moment_matrix_size(level: Level, n_answers: Sequence[int], n_questions: Sequence[int], *, stop_above: int | None = None) -> int:
    r"""Side of the moment matrix in closed form: :math:`\sum_{\ell \text{ reachable}} \prod_i N_i(\ell_i)`
    with :math:`N_i(0) = 1`, :math:`N_i(\ell) = X_i m_i ((X_i - 1) m_i)^{\ell - 1}`, :math:`m_i = A_i - 1`
    (reduced words of party i of length :math:`\ell`: neighbours from different questions). With
    ``stop_above`` the sum stops as soon as it exceeds it (a size guard that returns at once)."""
    n = len(n_answers)
    k, extra, _ = parse_level(level, n)
    cap_all = [max([k, *(c[i] for c in extra)]) for i in range(n)]
    caps = [_max_len(n_questions[i], n_answers[i] - 1, cap_all[i]) for i in range(n)]
    total = 0
    for t in _length_tuples(k, extra, caps):
        total += math.prod(_counts(n_questions[i], n_answers[i] - 1, t[i]) for i in range(n))
        if stop_above is not None and total > stop_above:
            return total
    return total


def _party_words(n_q: int, m: int, length: int) -> list[tuple[int, ...]]:
    """Reduced words of one party of a given length (op id = x * m + a; neighbours differ in question)."""
    if length == 0:
        return [()]
    out: list[tuple[int, ...]] = []
    ops = range(n_q * m)

    def extend(w: tuple[int, ...]) -> None:
        if len(w) == length:
            out.append(w)
            return
        for o in ops:
            if not w or o // m != w[-1] // m:
                extend(w + (o,))

    extend(())
    return out


def npa_words(level: Level, n_answers: Sequence[int], n_questions: Sequence[int]) -> list[Word]:
    """The words indexing the moment matrix (identity first, then by total length)."""
    n = len(n_answers)
    k, extra, _ = parse_level(level, n)
    cap_all = [max([k, *(c[i] for c in extra)]) for i in range(n)]
    ms = [a - 1 for a in n_answers]
    caps = [_max_len(n_questions[i], ms[i], cap_all[i]) for i in range(n)]
    cache: dict[tuple[int, int], list[tuple[int, ...]]] = {}
    words: list[Word] = []
    for t in _length_tuples(k, extra, caps):
        lists = []
        for i in range(n):
            key = (i, t[i])
            if key not in cache:
                cache[key] = _party_words(n_questions[i], ms[i], t[i])
            lists.append(cache[key])
        words.extend(itertools.product(*lists))
    words = sorted(set(words), key=lambda w: (sum(len(p) for p in w), w))
    return words


@dataclass(frozen=True)
class MultiNPAResult:
    """An NPA upper bound on the quantum value of an N-player game (fields as :class:`qcoord.games.NPAResult`).

    Attributes
    ----------
    value : float
        The SDP optimum (or the certified bound when ``status == "optimal_inaccurate"``).
    level : str
    status : str
        ``"optimal"`` or ``"optimal_inaccurate"`` (then ``value == certified_bound``).
    solver : str
    matrix_size, num_moments : int
    behaviour : ndarray (A1..AN, X1..XN)
        The optimal pseudo-behaviour.
    certified_bound : float
        Rigorous upper bound from the dual solution (weak duality).
    timings : dict
    game_name : str
    tolerance : float
    """

    value: float
    level: str
    status: str
    solver: str
    matrix_size: int
    num_moments: int
    behaviour: NDArray[np.float64] = field(repr=False)
    certified_bound: float = float("inf")
    timings: dict[str, float] = field(default_factory=dict)
    game_name: str = "game"
    tolerance: float = float("nan")

    def __float__(self) -> float:
        return float(self.value)


def _build(W: NDArray[np.float64], level: Level, n_answers: Sequence[int], n_questions: Sequence[int]) -> tuple[Any, ...]:
    import cvxpy as cp

    n = len(n_answers)
    _, _, label = parse_level(level, n)
    words = npa_words(level, n_answers, n_questions)
    side = len(words)
    ms = [a - 1 for a in n_answers]
    qof = [[x for x in range(n_questions[i]) for _ in range(ms[i])] for i in range(n)]
    index: dict[Word, int] = {}

    def moment(word: Word) -> int:
        adj = tuple(p[::-1] for p in word)
        key = min(word, adj)
        j = index.get(key)
        if j is None:
            j = index[key] = len(index)
        return j

    rows: list[int] = []
    cols: list[int] = []
    const_pos: list[int] = []
    for i in range(side):
        wi_rev = [p[::-1] for p in words[i]]
        for j in range(i, side):
            prod = []
            for p in range(n):
                r = _reduce(wi_rev[p] + words[j][p], qof[p])
                if r is None:
                    break
                prod.append(r)
            else:
                if all(not r for r in prod):
                    const_pos.extend({i * side + j, j * side + i})
                    continue
                m = moment(tuple(prod))
                for pos in {i * side + j, j * side + i}:
                    rows.append(pos)
                    cols.append(m)
    shape = tuple(n_answers) + tuple(n_questions)
    C_rows: list[int] = []
    C_cols: list[int] = []
    C_vals: list[float] = []
    c0 = np.zeros(int(np.prod(shape)))
    for flat, idx in enumerate(np.ndindex(*shape)):
        a, x = idx[:n], idx[n:]
        expansions = []
        for p in range(n):
            if a[p] < ms[p]:
                expansions.append([(1.0, (x[p] * ms[p] + a[p],))])
            else:
                expansions.append([(1.0, ())] + [(-1.0, (x[p] * ms[p] + a2,)) for a2 in range(ms[p])])
        for combo in itertools.product(*expansions):
            coef = math.prod(c for c, _ in combo)
            word = tuple(w for _, w in combo)
            if all(not w for w in word):
                c0[flat] += coef
            else:
                C_rows.append(flat)
                C_cols.append(moment(word))
                C_vals.append(coef)
    num_m = len(index)
    z = cp.Variable(num_m, name="moments")
    F = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(side * side, num_m))
    f0 = np.zeros(side * side)
    f0[const_pos] = 1.0
    gamma = cp.reshape(F @ z + f0, (side, side), order="C")
    C = sp.csr_matrix((C_vals, (C_rows, C_cols)), shape=(c0.size, num_m))
    p_expr = C @ z + c0
    w = np.asarray(W).ravel()
    problem = cp.Problem(cp.Maximize(w @ p_expr), [gamma >> 0, p_expr >= 0])
    data = {"F": F, "f0": f0, "C": C, "c0": c0, "w": w}
    return problem, p_expr, data, side, num_m, label


def npa_upper_bound(
    game: MultiGame,
    level: Level = 1,
    solvers: Sequence[str] | None = None,
    max_matrix_size: int = MAX_MATRIX_SIZE,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
) -> MultiNPAResult:
    """Upper bound on the quantum value of an N-player game from an NPA level.

    Parameters
    ----------
    game : MultiGame (or a two-player Game)
    level : int or str
        ``1``, ``2``, ... or a string such as ``"1+ab"``, ``"1+ab+ac+bc"`` (see the module docstring;
        letters name parties, :func:`pairs_level` gives level 1 plus all two-party products).
    solvers : sequence of str, optional
        Default Clarabel then SCS for moment matrices of side <= 30, else SCS then Clarabel.
    max_matrix_size : int
        Refuse (``GameError`` naming ``level``) when the closed-form side exceeds it (default 1000).
    time_limit : float or None
        Wall-time budget of all solver attempts (seconds); a capped attempt counts as inaccurate.

    Returns
    -------
    MultiNPAResult

    Raises
    ------
    GameError
        Malformed level, or a moment matrix above ``max_matrix_size``.
    SolverError
        Every solver failed and no inaccurate attempt certified a bound better than the trivial one.
    """
    game = as_multigame(game)
    n = game.n_players
    side = moment_matrix_size(level, game.n_answers, game.n_questions, stop_above=max_matrix_size)
    if side > max_matrix_size:
        raise GameError(
            f"level: {level!r} needs a moment matrix of side above {max_matrix_size} on {game.name!r} "
            f"(max_matrix_size = {max_matrix_size}); use a lower level (1, '1+ab', ...) or raise max_matrix_size"
        )
    if time_limit is not None and not (isinstance(time_limit, (int, float)) and not isinstance(time_limit, bool) and time_limit > 0):
        raise GameError(f"time_limit: must be a number of seconds > 0 or None, got {time_limit!r}")
    t0 = time.perf_counter()
    scale = float(np.abs(game.weights).sum()) or 1.0
    from .._scale import _canonical

    W = _canonical(np.asarray(game.weights) / scale) if abs(scale - 1.0) > 1e-12 else np.asarray(game.weights)
    if abs(scale - 1.0) <= 1e-12:
        scale = 1.0
    problem, p_expr, data, side, num_m, label = _build(W, level, game.n_answers, game.n_questions)
    t1 = time.perf_counter()
    if solvers is None:
        solvers = ("CLARABEL", "SCS") if side <= CLARABEL_MAX_SIDE else ("SCS", "CLARABEL")
    solver, status, tolerance, certified = _solve_sdp(
        problem, solvers, what=f"npa_upper_bound(level={label}) on {game.name!r} ({n} players)",
        certify=lambda: _certified_bound(problem, data, side), time_limit=time_limit,
    )
    t2 = time.perf_counter()
    if status == "optimal":
        certified = _certified_bound(problem, data, side)
    else:
        trivial = float(W.reshape(int(np.prod(game.n_answers)), -1).max(axis=0).sum())
        if not certified < trivial:
            raise SolverError(
                f"npa_upper_bound(level={label}) on {game.name!r}: no solver reached its tolerances ({solver}: {status}) and "
                f"the dual certifies only {certified * scale:.6g}, no better than the trivial bound {trivial * scale:.6g}; "
                "use a lower level, or raise time_limit"
            )
    t3 = time.perf_counter()
    if p_expr.value is None:  # pragma: no cover - a solved problem always has a primal point
        raise SolverError(f"npa_upper_bound(level={label}) on {game.name!r}: the solver returned no primal point")
    p = np.clip(np.asarray(p_expr.value, dtype=float).reshape(game.shape), 0.0, None)
    p.setflags(write=False)
    value = float(problem.value) if status == "optimal" else float(certified)
    return MultiNPAResult(
        value=value * scale,
        level=label,
        status=status,
        solver=solver,
        matrix_size=side,
        num_moments=num_m,
        behaviour=p,
        certified_bound=float(certified) * scale,
        timings={"build": t1 - t0, "solve": t2 - t1, "certificate": t3 - t2, "total": t3 - t0},
        game_name=game.name,
        tolerance=tolerance,
    )
