r"""The classical value of a weighted two-player game, with a checkable certificate.

The classical value is

.. math::

    \omega_c(G) = \max_{f, g} \sum_{x, y} \pi(x, y)\, V(f(x), g(y), x, y),

the maximum over *deterministic* strategies :math:`f: X \to A` (Alice) and :math:`g: Y \to B` (Bob).
Shared randomness cannot do better: a shared-randomness strategy is a convex mixture of deterministic
ones, its behaviour is the same mixture of their behaviours, and the value is linear in the behaviour,
so a mixture is never better than its best component. Private randomness is a special case.

Algorithm (exact enumeration of one side, exact best response of the other)
---------------------------------------------------------------------------
For a fixed strategy :math:`e` of one player (the *enumerated* side ``E``), the best response of the
other player (``R``) decouples over its questions: for each ``y`` it picks
:math:`r_y \in \arg\max_r B_e[r, y]` with :math:`B_e[r, y] = \sum_x W[e_x, r, x, y]`
(``W = prob * payoff`` in the ``E``-first layout), and the value of :math:`e` is
:math:`v(e) = \sum_y \max_r B_e[r, y]`. Hence :math:`\omega_c = \max_e v(e)` and only
:math:`\min(|A|^{|X|}, |B|^{|Y|})` strategies need enumerating: we enumerate the smaller side.

The strategies of ``E`` are split into chunks. ``E``'s questions are ordered by influence
(:math:`\sum_y (\max W - \min W)`); a chunk fixes the answers to the most influential ones (its
*prefix*), and a reflected Gray code runs through the answers to the others, changing one answer per
step, so :math:`B_e` is updated in :math:`O(|R|\,|Y|)` per strategy (numba kernel; batches of at
least ``PARALLEL_MIN_WORK`` strategies run in parallel over chunks, smaller ones on one thread because
thread start-up costs more than it saves). Chunks are *pruned* by the upper bound

.. math::

    U(\text{chunk}) = \sum_y \max_r \Big( \sum_{x \text{ fixed}} W[e_x, r, x, y]
                       + \sum_{x \text{ free}} \max_a W[a, r, x, y] \Big) \;\ge\; v(e)
                       \quad\text{for every } e \text{ in the chunk},

processing chunks in decreasing order of :math:`U` and skipping those whose bound is below the
best value found (minus twice the rounding bound). Every bound used is recorded in the certificate.
Finally, floats cannot separate strategies closer than the rounding bound, so every strategy whose
float value is within the error bounds of the best is re-evaluated in exact integer arithmetic and
the exact best among them is returned (typically a handful; capped at ``MAX_EXACT_CANDIDATES``).

Certificate
-----------
:class:`ClassicalCertificate` holds (1) the exact rational value of the returned strategy (floats are
binary rationals, so ``fractions.Fraction`` of the weights is exact; the returned ``value`` is that
rational correctly rounded, and the responding side's answers are exact best responses) and (2) the
proof as run: the enumerated side, the number of strategies, the best-response rule, the question
order, the chunks searched with their maxima and the chunks pruned with their bounds.
:meth:`ClassicalCertificate.verify` re-checks it: coverage of all strategies, every pruning bound
(a float screen with a proven error bound, exact integer arithmetic for any chunk the screen cannot
settle), the exact best response; then, for small games, a full exact enumeration (the value is then
proven optimal exactly); for larger ones an independent direct float re-evaluation of every searched
strategy (optimal up to ``2 * rounding_bound``, about 1e-13 relative to the payoff scale).

Note: toqito 1.1.8's ``NonlocalGame.classical_value`` starts its maxima at 0 and therefore returns
0 for games whose payoffs are all negative; this implementation is right for any real payoffs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import numba
import numpy as np
from numpy.typing import NDArray

from ._classical_kernels import chunk_maxima, chunk_maxima_serial, near_optimal_direct
from .game import Game, GameError, check_int
from .strategy import DeterministicStrategy

__all__ = [
    "classical_value",
    "ClassicalResult",
    "ClassicalCertificate",
    "CertificateError",
    "GameTooLargeError",
    "Verification",
    "exact_weights",
    "exact_value",
]

#: Unit roundoff of float64.
_U = 2.0**-53
#: Default number of strategies enumerated inside one chunk (Gray-coded part). Measured on random
#: binary games with 16/20/22 questions (benchmarks/bench_classical.py --chunks): 64 prunes most.
DEFAULT_CHUNK_SIZE = 64
#: At most this many chunks (the chunk size grows for larger games; bounds cost memory per chunk).
MAX_CHUNKS = 2**16
#: Default limit on the number of strategies of the enumerated side.
DEFAULT_MAX_STRATEGIES = 2**32
#: Below this many strategies in a batch, the single-threaded kernel is used (thread start-up costs more).
PARALLEL_MIN_WORK = 2**20
#: At most this many near-optimal strategies are re-evaluated exactly by ``classical_value``.
MAX_EXACT_CANDIDATES = 2**17
#: Games with at most this many enumerated strategies get a full exact re-check in ``verify``.
DEFAULT_EXACT_LIMIT = 4096

BEST_RESPONSE_RULE = (
    "for each question y of the responding player, the first answer r maximising "
    "B[r, y] = sum_x W[e_x, r, x, y] (exact rational arithmetic)"
)


class GameTooLargeError(GameError):
    """The smaller side has more deterministic strategies than the enumeration limit allows."""


class CertificateError(GameError):
    """A classical-value certificate failed its exact re-check."""


# ---------------------------------------------------------------------------------------- exact
def exact_weights(game: Game) -> tuple[NDArray[np.object_], int]:
    """The weights :math:`W = \\pi(x,y) V(a,b,x,y)` as exact integers over a common denominator.

    Every float is a binary rational ``n / 2**e``, so the exact product of ``prob`` and ``payoff``
    (not the rounded float product) is ``Wint / D`` with ``D`` a power of two.

    Returns
    -------
    Wint : ndarray of Python int, shape (na, nb, nx, ny)
    D : int
        The common denominator (a power of two).
    """
    na, nb, nx, ny = game.shape
    p_ratio = [[float(v).as_integer_ratio() for v in row] for row in game.prob]
    v_ratio = [float(v).as_integer_ratio() for v in game.payoff.ravel()]
    v_ratio_arr = np.empty(len(v_ratio), dtype=object)
    v_ratio_arr[:] = v_ratio
    v_ratio_arr = v_ratio_arr.reshape(game.shape)
    exps = np.empty(game.shape, dtype=np.int64)
    nums = np.empty(game.shape, dtype=object)
    for a in range(na):
        for b in range(nb):
            for x in range(nx):
                for y in range(ny):
                    pn, pd = p_ratio[x][y]
                    vn, vd = v_ratio_arr[a, b, x, y]
                    nums[a, b, x, y] = pn * vn
                    exps[a, b, x, y] = (pd.bit_length() - 1) + (vd.bit_length() - 1)
    emax = int(exps.max())
    Wint = np.empty(game.shape, dtype=object)
    for idx in np.ndindex(*game.shape):
        Wint[idx] = nums[idx] << (emax - int(exps[idx]))
    return Wint, 1 << emax


def exact_value(game: Game, strategy: DeterministicStrategy) -> Fraction:
    """The exact rational value :math:`\\sum_{x,y} \\pi(x,y) V(f(x), g(y), x, y)` of a deterministic strategy.

    Computed in integers: the float weights :math:`\\pi(x,y)V(a,b,x,y)` are read exactly as binary
    fractions over a common denominator ``D`` (:func:`exact_weights`), so no rounding occurs.

    Parameters
    ----------
    game : Game
    strategy : DeterministicStrategy
        Answer tables :math:`f` (Alice, length ``nx``) and :math:`g` (Bob, length ``ny``).

    Returns
    -------
    fractions.Fraction
        The value, exactly, in payoff units.

    Raises
    ------
    GameError
        If the tables' lengths do not match the game's questions.
    """
    Wint, D = exact_weights(game)
    nx, ny = game.num_questions
    if len(strategy.alice) != nx or len(strategy.bob) != ny:
        raise GameError(f"strategy: expects {nx} answers for Alice and {ny} for Bob")
    total = sum(Wint[a, b, x, y] for x, a in enumerate(strategy.alice) for y, b in enumerate(strategy.bob))
    return Fraction(total, D)


def _exact_strategy_values(Wt_int: NDArray[np.object_], strategies: NDArray[np.int64]) -> list[int]:
    """Exact :math:`D \\cdot v(e)` (Python ints) for each row ``e`` of ``strategies``.

    ``Wt_int[x, e, r, y]`` holds exact integer weights. Uses int64 arithmetic when no partial sum
    can overflow (checked from the largest weight), Python integers otherwise.
    """
    n_e, _, nr, n_r = Wt_int.shape
    m = len(strategies)
    if m == 0:
        return []
    biggest = max(abs(int(v)) for v in Wt_int.flat)
    if biggest * (n_e + 1) * (n_r + 1) < 2**62:
        Wi = Wt_int.astype(np.int64)
        B = np.zeros((m, nr, n_r), dtype=np.int64)
        for x in range(n_e):
            B += Wi[x][strategies[:, x]]
        return [int(v) for v in B.max(axis=1).sum(axis=1)]
    Bo = np.empty((m, nr, n_r), dtype=object)
    Bo[:] = 0
    for x in range(n_e):
        Bo = Bo + Wt_int[x][strategies[:, x]]
    return list(Bo.max(axis=1).sum(axis=1))


def _side_layout(W: NDArray[Any], enumerated: str) -> NDArray[Any]:
    """``Wt[x, e, r, y]`` for the enumerated side (``E``-first layout)."""
    return W.transpose(2, 0, 1, 3) if enumerated == "alice" else W.transpose(3, 1, 0, 2)


def _all_tuples(base: int, length: int) -> NDArray[np.int64]:
    """All ``base**length`` tuples, first coordinate fastest, shape (base**length, length)."""
    if length == 0:
        return np.zeros((1, 0), dtype=np.int64)
    grids = np.indices((base,) * length).reshape(length, -1).T
    return np.ascontiguousarray(grids[:, ::-1], dtype=np.int64)


# ----------------------------------------------------------------------------------- certificate
@dataclass(frozen=True)
class Verification:
    """What :meth:`ClassicalCertificate.verify` established.

    Attributes
    ----------
    level : {"exact", "rounding"}
        ``"exact"``: proven optimal in exact arithmetic, i.e. no deterministic strategy is worth more
        than :attr:`ClassicalCertificate.value_exact` (every strategy re-evaluated exactly, or the
        float re-evaluation plus an exact check of all near-optimal candidates). ``"rounding"``: more
        than ``max_candidates`` near-optimal candidates; the classical value exceeds the returned
        value by at most ``2 * rounding_bound``.
    checked_strategies : int
        Strategies of the enumerated side re-evaluated by the check.
    gap_bound : float
        Proven bound on ``classical value - returned value`` (0 for ``"exact"``).
        Pruned chunks are always checked exactly, whatever the level.
    """

    level: str
    checked_strategies: int
    gap_bound: float


@dataclass(frozen=True, eq=False)
class ClassicalCertificate:
    r"""Proof of the classical value as run.

    Attributes
    ----------
    strategy : DeterministicStrategy
        The returned optimal strategy.
    value_exact : fractions.Fraction
        Its exact value :math:`\sum_{x,y} \pi(x,y) V(f(x), g(y), x, y)` in rational arithmetic.
    enumerated : {"alice", "bob"}
        The side whose strategies were enumerated (the one with fewer strategies).
    num_strategies : int
        Strategies of the enumerated side, :math:`|A|^{|X|}` or :math:`|B|^{|Y|}`.
    num_evaluated : int
        Strategies actually evaluated (the rest lie in pruned chunks).
    free_questions : int
        ``k``: a chunk fixes the answers to the enumerated side's questions ``order[k], ...,
        order[n-1]`` (its *prefix*) and runs through all answers to ``order[0], ..., order[k-1]``.
    question_order : tuple of int
        ``order``: the enumerated side's questions, least influential first (influence of ``x``:
        :math:`\sum_y (\max_{e,r} W - \min_{e,r} W)`), so that prefixes fix the influential
        questions and the pruning bounds are tight.
    best_response_rule : str
        How the responding side answers.
    searched_prefixes, searched_maxima : ndarray
        Chunks searched exhaustively and the best float value found in each.
    pruned_prefixes, pruned_bounds : ndarray
        Chunks skipped and the float upper bound :math:`U` that justified skipping each.
    incumbent : float
        The best float value when pruning was decided.
    rounding_bound : float
        Bound on the absolute rounding error of any float value or bound computed by the search.
    exact_candidates : int
        Near-optimal strategies (float value within the error bounds of the best) that were
        re-evaluated exactly to pick the returned one; ``-1`` if there were more than
        ``MAX_EXACT_CANDIDATES`` (then the float best is returned, optimal up to
        ``2 * rounding_bound``).
    """

    strategy: DeterministicStrategy
    value_exact: Fraction
    enumerated: str
    num_strategies: int
    num_evaluated: int
    free_questions: int
    question_order: tuple[int, ...]
    best_response_rule: str
    searched_prefixes: NDArray[np.int64] = field(repr=False)
    searched_maxima: NDArray[np.float64] = field(repr=False)
    pruned_prefixes: NDArray[np.int64] = field(repr=False)
    pruned_bounds: NDArray[np.float64] = field(repr=False)
    incumbent: float
    rounding_bound: float
    exact_candidates: int = -1

    def verify(
        self, game: Game, exact_limit: int = DEFAULT_EXACT_LIMIT, max_candidates: int = 100_000
    ) -> Verification:
        """Re-check the certificate against ``game`` in exact arithmetic.

        Checks, in order: (1) the exact value of :attr:`strategy` equals :attr:`value_exact`;
        (2) the responding side's answers are exact best responses; (3) searched and pruned chunks
        together cover every strategy of the enumerated side exactly once; (4) every pruned chunk's
        bound :math:`U`, recomputed exactly, is at most :attr:`value_exact`; (5) if the enumerated
        side has at most ``exact_limit`` strategies, all of them are re-evaluated exactly and none
        exceeds :attr:`value_exact`; otherwise every searched strategy is re-evaluated by an
        independent direct float evaluation (no incremental updates) with a proven error bound, and
        every strategy that could, within that bound, beat the returned one (at most
        ``max_candidates`` of them; typically only exact ties) is re-evaluated in exact arithmetic.

        Returns
        -------
        Verification

        Raises
        ------
        CertificateError
            Naming the first check that failed.
        """
        na, nb, nx, ny = game.shape
        st = self.strategy
        if len(st.alice) != nx or len(st.bob) != ny:
            raise CertificateError(f"strategy: expects {nx} questions for Alice and {ny} for Bob")
        Wint, D = exact_weights(game)
        # (1) exact value
        total = sum(Wint[a, b, x, y] for x, a in enumerate(st.alice) for y, b in enumerate(st.bob))
        if Fraction(total, D) != self.value_exact:
            raise CertificateError(
                f"value_exact: the strategy is worth {Fraction(total, D)} exactly, the certificate says {self.value_exact}"
            )
        Wt = _side_layout(Wint, self.enumerated)
        n_e, ne, nr, n_r = Wt.shape
        order = np.asarray(self.question_order, dtype=np.int64)
        if sorted(order.tolist()) != list(range(n_e)):
            raise CertificateError(f"question_order: must be a permutation of range({n_e})")
        Wt = Wt[order]  # processing order: Gray-coded questions first, prefix questions last
        e = np.array(st.alice if self.enumerated == "alice" else st.bob, dtype=np.int64)[order]
        r = np.array(st.bob if self.enumerated == "alice" else st.alice, dtype=np.int64)
        expected = ne**n_e
        if self.num_strategies != expected:
            raise CertificateError(f"num_strategies: the enumerated side has {expected} strategies, not {self.num_strategies}")
        # (2) exact best response
        Be = Wt[np.arange(n_e), e].sum(axis=0)  # (nr, ny) exact ints
        for y in range(n_r):
            col = list(Be[:, y])
            if col[r[y]] != max(col):
                raise CertificateError(f"best response: answer {r[y]} to question {y} is not a best response")
        best_int = total
        # (3) coverage
        k = self.free_questions
        pre_s = np.asarray(self.searched_prefixes, dtype=np.int64).reshape(len(self.searched_prefixes), n_e - k)
        pre_p = np.asarray(self.pruned_prefixes, dtype=np.int64).reshape(len(self.pruned_prefixes), n_e - k)
        allp = np.concatenate([pre_s, pre_p])
        codes = (allp * (ne ** np.arange(n_e - k, dtype=np.int64))[None, :]).sum(axis=1) if n_e > k else np.zeros(len(allp), dtype=np.int64)
        if len(allp) != ne ** (n_e - k) or len(np.unique(codes)) != len(allp) or (allp < 0).any() or (allp >= ne).any():
            raise CertificateError("chunks: searched and pruned chunks do not cover every strategy exactly once")
        # (4) pruned bounds, exactly
        if len(pre_p):
            # Float screen first (independent numpy recomputation with a proven error bound), exact
            # integer arithmetic for every chunk the screen cannot settle.
            Wf_bound = _side_layout(np.asarray(game.weights), self.enumerated)[order]
            A = float(np.abs(Wf_bound).max(axis=(1, 2)).sum())
            err = 2.0 * (n_e + n_r + 4) * _U * A + 2.0 * _U * A
            Gf = Wf_bound[:k].max(axis=1).sum(axis=0) if k else np.zeros((nr, n_r))
            Ff = np.broadcast_to(Gf, (len(pre_p), nr, n_r)).copy()
            for j in range(n_e - k):
                Ff += Wf_bound[k + j][pre_p[:, j]]
            bounds_f = Ff.max(axis=1).sum(axis=1)
            v = float(self.value_exact)
            v_low = v - 2.0 * _U * abs(v)  # exact value >= v_low
            unsettled = np.flatnonzero(~(bounds_f + err < v_low))
            if len(unsettled):
                G = np.empty((nr, n_r), dtype=object)
                G[:] = 0
                for x in range(k):
                    G = G + Wt[x].max(axis=0)  # exact max over answers of the Gray-coded question x
                sub = pre_p[unsettled]
                F = np.empty((len(sub), nr, n_r), dtype=object)
                F[:] = G[None]
                for j in range(n_e - k):
                    F = F + Wt[k + j][sub[:, j]]
                bounds = F.max(axis=1).sum(axis=1)
                bad = [i for i, bnd in enumerate(bounds) if bnd > best_int]
                if bad:
                    raise CertificateError(
                        f"pruned chunk {tuple(sub[bad[0]])}: its bound {Fraction(bounds[bad[0]], D)} exceeds the value {self.value_exact}"
                    )
        # (5) enumeration
        if expected <= exact_limit:
            vals = _exact_strategy_values(Wt, _all_tuples(ne, n_e))
            if max(vals) > best_int:
                raise CertificateError(f"enumeration: a strategy is worth {Fraction(max(vals), D)} > {self.value_exact}")
            if max(vals) != best_int:  # pragma: no cover - impossible given (1)
                raise CertificateError("enumeration: the returned strategy is not among the enumerated ones")
            return Verification("exact", expected, 0.0)
        Wf = _side_layout(np.asarray(game.weights), self.enumerated)[order]
        # Every searched strategy is re-evaluated directly in floats (error <= err_direct); any
        # strategy whose exact value exceeds the returned one must come out >= threshold, and all of
        # those (the near-optimal ones) are re-checked in exact integer arithmetic.
        free = _all_tuples(ne, k)
        A = float(np.abs(Wf).max(axis=(1, 2)).sum())
        err_direct = 2.0 * (n_e + n_r + 4) * _U * A + 2.0 * _U * A
        value = float(self.value_exact)
        threshold = value - 2.0 * _U * abs(value) - err_direct
        out = np.empty((max(int(max_candidates), 0), n_e), dtype=np.int64)
        worst, count = (
            near_optimal_direct(np.ascontiguousarray(Wf), free, np.ascontiguousarray(pre_s), threshold, out)
            if len(pre_s)
            else (-math.inf, 0)
        )
        checked = len(pre_s) * len(free)
        if worst > value + self.rounding_bound:
            raise CertificateError(
                f"searched chunks: a strategy evaluates to {worst!r} > value {value!r} + rounding bound {self.rounding_bound:.3g}"
            )
        if count <= len(out):
            vals = _exact_strategy_values(Wt, out[:count])
            better = [i for i, val in enumerate(vals) if val > best_int]
            if better:
                raise CertificateError(
                    f"enumeration: a strategy is worth {Fraction(vals[better[0]], D)} > {self.value_exact} exactly"
                )
            return Verification("exact", checked, 0.0)
        return Verification("rounding", checked, 2 * self.rounding_bound)


@dataclass(frozen=True, eq=False)
class ClassicalResult:
    """The classical value of a game and an optimal deterministic strategy.

    Attributes
    ----------
    value : float
        The classical value (the exact value of :attr:`strategy`, correctly rounded to float).
    strategy : DeterministicStrategy
        An optimal strategy: Alice's answer to each of her questions, Bob's to each of his.
    certificate : ClassicalCertificate
        Exact value and proof of optimality as run; re-check with ``certificate.verify(game)``.
    status : str
        ``"optimal"``.
    time_s : float
        Wall time of the search (seconds).
    parameters : dict
        The options used (``chunk_size``, ``prune``, ``max_strategies``, ``threads``). The
        search is deterministic: there is no seed.
    """

    value: float
    strategy: DeterministicStrategy
    certificate: ClassicalCertificate
    status: str = "optimal"
    time_s: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)

    def __float__(self) -> float:
        return self.value


# ----------------------------------------------------------------------------------------- solver
def classical_value(
    game: Game,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    prune: bool = True,
    max_strategies: int = DEFAULT_MAX_STRATEGIES,
    progress: Callable[[int, int], None] | None = None,
) -> ClassicalResult:
    """The classical value :math:`\\omega_c(G)` of a game, an optimal strategy, and a certificate.

    Exact optimum over deterministic strategies (shared randomness cannot do better: the value is
    linear in the behaviour, so a mixture is never better than its best component). Enumerates
    the side with fewer strategies (:math:`|A|^{|X|}` vs :math:`|B|^{|Y|}`) with the exact best
    response of the other, Gray-code updates in a parallel numba kernel, and pruning by chunk
    bounds (see the module docstring).

    Parameters
    ----------
    game : Game
        Any real payoffs (negative ones included).
    chunk_size : int >= 1
        Target number of strategies per chunk (the Gray-coded part); also the granularity of
        pruning and of parallel work.
    prune : bool
        Skip chunks whose upper bound is below the best value found.
    max_strategies : int >= 1
        Refuse (``GameTooLargeError``) if the smaller side has more strategies than this.
    progress : callable, optional
        ``progress(done, total)`` in strategies of the enumerated side, after each batch of chunks.

    Returns
    -------
    ClassicalResult
        ``float(result)`` is the value.

    Raises
    ------
    GameError
        ``game`` is not a :class:`Game`, or an option is out of range.
    GameTooLargeError
        The enumeration would exceed ``max_strategies``.

    Examples
    --------
    >>> from qcoord.games.library import chsh
    >>> float(classical_value(chsh()))
    0.75
    """
    if not isinstance(game, Game):
        raise GameError(f"game: expected a qcoord.games.Game, got {type(game).__name__}")
    chunk_size = check_int(chunk_size, "chunk_size", 1)
    max_strategies = check_int(max_strategies, "max_strategies", 1)
    t0 = time.perf_counter()
    na, nb, nx, ny = game.shape
    n_alice, n_bob = na**nx, nb**ny
    enumerated = "alice" if n_alice <= n_bob else "bob"
    n_enum = min(n_alice, n_bob)
    if n_enum > max_strategies:
        raise GameTooLargeError(
            f"game: exact enumeration needs min(na**nx, nb**ny) = {n_enum} strategies, above "
            f"max_strategies = {max_strategies}; raise max_strategies or use a smaller game"
        )
    Wt = _side_layout(game.weights, enumerated)
    # Least influential questions first: they are Gray-coded inside chunks, the influential ones
    # are fixed by the chunk prefixes, which makes the chunk bounds tight.
    influence = (Wt.max(axis=(1, 2)) - Wt.min(axis=(1, 2))).sum(axis=1)
    qorder = np.argsort(influence, kind="stable")
    Wt = np.ascontiguousarray(Wt[qorder], dtype=np.float64)
    n_e, ne, nr, n_r = Wt.shape
    # Questions 0..k-1 are Gray-coded inside a chunk; k maximal with ne**k <= chunk_size.
    if ne == 1:
        k = n_e
    else:
        k = 0
        target = max(chunk_size, -(-n_enum // MAX_CHUNKS))
        while k < n_e and (ne ** (k + 1) <= target or ne ** (n_e - k) > MAX_CHUNKS):
            k += 1
    prefixes = _all_tuples(ne, n_e - k)
    nc = len(prefixes)
    delta = np.ascontiguousarray(Wt[:k, None, :, :, :] - Wt[:k, :, None, :, :])  # [x, old, new]
    # Upper bounds per chunk.
    G = Wt[:k].max(axis=1).sum(axis=0) if k else np.zeros((nr, n_r))
    F = np.zeros((nc, nr, n_r))
    for j in range(n_e - k):
        F += Wt[k + j][prefixes[:, j]]
    bounds = (F + G[None]).max(axis=1).sum(axis=1)
    # Rounding bound: every float partial sum is bounded by A_y = sum_x max|Wt[x,..,y]|; the Gray
    # walk does at most 2*ne**k updates per chunk, each with two roundings (first-order bound, x2).
    A = float(np.abs(Wt).max(axis=(1, 2)).sum())
    steps = n_e + 3 * (ne**k) + n_r + 4
    rounding_bound = 2.0 * steps * _U * A + 2.0 * _U * A  # + rounding of the products prob*payoff
    order = np.argsort(-bounds, kind="stable")
    maxima = np.full(nc, -np.inf)
    answers = np.zeros((nc, n_e), dtype=np.int64)
    searched: list[int] = []
    incumbent = -math.inf
    threads = numba.get_num_threads()
    batch = max(1, threads)
    pos = 0
    pruned_from = nc
    while pos < nc:
        if prune and bounds[order[pos]] < incumbent - 2.0 * rounding_bound:
            pruned_from = pos
            break
        idx = order[pos : pos + batch]
        if prune:
            idx = idx[bounds[idx] >= incumbent - 2.0 * rounding_bound]
        out_v = np.empty(len(idx))
        out_a = np.empty((len(idx), n_e), dtype=np.int64)
        kernel = chunk_maxima if (threads > 1 and len(idx) > 1 and len(idx) * ne**k >= PARALLEL_MIN_WORK) else chunk_maxima_serial
        kernel(Wt, delta, k, np.ascontiguousarray(prefixes[idx]), out_v, out_a)
        maxima[idx] = out_v
        answers[idx] = out_a
        searched.extend(int(i) for i in idx)
        incumbent = max(incumbent, float(out_v.max()))
        pos += len(idx)
        if len(idx) < min(batch, nc - (pos - len(idx))):
            pruned_from = pos
            break
        batch = min(2 * batch, max(256, PARALLEL_MIN_WORK // ne**k))
        if progress is not None:
            progress(min(pos, nc) * ne**k, n_enum)
    searched_arr = np.array(searched, dtype=np.int64)
    pruned_arr = order[pruned_from:] if pruned_from < nc else np.zeros(0, dtype=np.int64)
    best_chunk = int(searched_arr[np.argmax(maxima[searched_arr])])
    # Exact refinement: floats cannot separate strategies whose values differ by less than the
    # rounding bound. Re-evaluate directly every strategy whose float value is within the error
    # bounds of the best one (chunks whose maximum can reach the threshold) and pick the exact best
    # among them in integer arithmetic; any strategy exactly better than the float best is among them.
    Wint, D = exact_weights(game)
    err_direct = 2.0 * (n_e + n_r + 4) * _U * A + 2.0 * _U * A
    threshold = incumbent - 2.0 * rounding_bound - err_direct
    near_chunks = searched_arr[maxima[searched_arr] >= threshold - rounding_bound]
    out = np.empty((MAX_EXACT_CANDIDATES, n_e), dtype=np.int64)
    _, count = near_optimal_direct(Wt, _all_tuples(ne, k), np.ascontiguousarray(prefixes[near_chunks]), threshold, out)
    e_proc = answers[best_chunk]
    if 0 < count <= MAX_EXACT_CANDIDATES:
        vals = _exact_strategy_values(_side_layout(Wint, enumerated)[qorder], out[:count])
        e_proc = out[vals.index(max(vals))]
    else:
        count = -1  # too many near-ties: the float best is returned (optimal up to 2 * rounding_bound)
    e = np.empty(n_e, dtype=np.int64)
    e[qorder] = e_proc  # back to the game's question order
    # Exact best response of the responding side, and the exact value.
    Wti = _side_layout(Wint, enumerated)
    Be = Wti[np.arange(n_e), e].sum(axis=0)  # Wti is in the game's question order
    r = np.array([max(range(nr), key=lambda rr, y=y: (Be[rr, y], -rr)) for y in range(n_r)], dtype=np.int64)
    value_int = sum(Be[r[y], y] for y in range(n_r))
    value_exact = Fraction(value_int, D)
    if enumerated == "alice":
        strategy = DeterministicStrategy(tuple(int(v) for v in e), tuple(int(v) for v in r))
    else:
        strategy = DeterministicStrategy(tuple(int(v) for v in r), tuple(int(v) for v in e))
    if progress is not None:
        progress(n_enum, n_enum)
    certificate = ClassicalCertificate(
        strategy=strategy,
        value_exact=value_exact,
        enumerated=enumerated,
        num_strategies=n_enum,
        num_evaluated=len(searched_arr) * ne**k,
        free_questions=k,
        question_order=tuple(int(v) for v in qorder),
        best_response_rule=BEST_RESPONSE_RULE,
        searched_prefixes=prefixes[searched_arr],
        searched_maxima=maxima[searched_arr],
        pruned_prefixes=prefixes[pruned_arr],
        pruned_bounds=bounds[pruned_arr],
        incumbent=float(incumbent),
        rounding_bound=float(rounding_bound),
        exact_candidates=int(count),
    )
    return ClassicalResult(
        value=float(value_exact),
        strategy=strategy,
        certificate=certificate,
        status="optimal",
        time_s=time.perf_counter() - t0,
        parameters={"chunk_size": chunk_size, "prune": prune, "max_strategies": max_strategies, "threads": threads},
    )
