r"""The classical value of an N-player game, exact, with an exact-arithmetic certificate.

.. math::

    \omega_c(G) = \max_{f_1, \dots, f_N} \sum_x \pi(x)\, V(f_1(x_1), \dots, f_N(x_N), x),

the maximum over deterministic strategies :math:`f_i : X_i \to A_i` (shared randomness is a convex
mixture of them and the value is linear in the behaviour, so it cannot do better).

Algorithm. The party with the most deterministic strategies (:math:`A_r^{X_r}` largest) is the
*responder* ``r``; the joint strategies of the other parties are enumerated and ``r`` plays the
exact best response, which decouples over its questions:

.. math::  v(f_{-r}) = \sum_{x_r} \max_{a_r} \sum_{x_{-r}} \pi(x) V(f_{-r}(x_{-r}), a_r, x).

So :math:`\prod_{i \ne r} A_i^{X_i}` strategies are evaluated (closed-form count, checked against
``max_strategies`` before anything is enumerated). The enumerated (party, question) *digits* are
split into chunks: the most influential digits are fixed per chunk (its prefix), the others run
through a Gray code with incremental updates (numba kernel, :mod:`._kernels`). Chunks are visited in
decreasing order of the upper bound

.. math::  U = \sum_{x_r} \max_{a_r} \sum_{x_{-r}} \max_{a_{-r} \text{ consistent with the prefix}} W[a, x]

and skipped (pruned) once :math:`U` is below the best value found minus twice the rounding bound.
Floats cannot separate strategies closer than the rounding bound, so every strategy whose float
value is within it of the best is re-evaluated in exact rational arithmetic (floats are binary
fractions, so ``fractions.Fraction`` is exact) and the exact best is returned.

Certificate: :class:`MultiClassicalCertificate` records the exact value, the responder, the chunks
searched and pruned with their bounds; :meth:`MultiClassicalCertificate.verify` re-checks it in exact
arithmetic (coverage, every pruned bound, the exact best response, and either a full exact
enumeration of every strategy or an independent direct float re-evaluation of every searched one
with exact re-checks of the near-optimal ones), as the two-player
:class:`qcoord.games.ClassicalCertificate` does.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..classical import CertificateError, GameTooLargeError, Verification
from ..game import GameError, check_int
from . import _kernels as K
from .game import MultiGame, as_multigame
from .strategy import MultiDeterministicStrategy

__all__ = ["classical_value", "MultiClassicalResult", "MultiClassicalCertificate", "exact_value", "num_strategies"]

_U = 2.0**-53
DEFAULT_CHUNK_SIZE = 64
MAX_CHUNKS = 2**16
#: Default refusal threshold: enumerated joint strategies (2^32 would take hours on one core).
DEFAULT_MAX_STRATEGIES = 2**28
MAX_EXACT_CANDIDATES = 2**16
DEFAULT_EXACT_LIMIT = 4096
BEST_RESPONSE_RULE = (
    "for each question x_r of the responding party, the first answer a_r maximising "
    "sum_{x_-r} W[f_-r(x_-r), a_r, x] (exact rational arithmetic)"
)


def num_strategies(game: MultiGame) -> tuple[int, int]:
    """``(responder, count)``: the party whose best response is computed (most strategies; first on
    ties) and the exact number :math:`\\prod_{i \\ne r} A_i^{X_i}` of enumerated joint strategies."""
    counts = [a**x for a, x in zip(game.n_answers, game.n_questions)]
    r = max(range(len(counts)), key=lambda i: (counts[i], -i))
    return r, math.prod(c for i, c in enumerate(counts) if i != r)


# ------------------------------------------------------------------------------------- exact
def exact_weights(game: MultiGame) -> tuple[NDArray[np.object_], int]:
    """Weights :math:`\\pi(x) V(a, x)` as exact Python integers over a common power-of-two denominator."""
    p_ratio = np.empty(game.prob.size, dtype=object)
    p_ratio[:] = [float(v).as_integer_ratio() for v in game.prob.ravel()]
    p_ratio = p_ratio.reshape(game.prob.shape)
    n = game.n_players
    nums = np.empty(game.shape, dtype=object)
    exps = np.empty(game.shape, dtype=np.int64)
    for idx in np.ndindex(*game.shape):
        vn, vd = float(game.payoff[idx]).as_integer_ratio()
        pn, pd = p_ratio[idx[n:]]
        nums[idx] = pn * vn
        exps[idx] = (pd.bit_length() - 1) + (vd.bit_length() - 1)
    emax = int(exps.max())
    W = np.empty(game.shape, dtype=object)
    for idx in np.ndindex(*game.shape):
        W[idx] = nums[idx] << (emax - int(exps[idx]))
    return W, 1 << emax


def exact_value(game: MultiGame, strategy: MultiDeterministicStrategy) -> Fraction:
    """The exact rational value :math:`\\sum_x \\pi(x) V(f(x), x)` of a deterministic strategy."""
    game = as_multigame(game)
    if strategy.n_players != game.n_players or any(len(t) != nx for t, nx in zip(strategy.answers, game.n_questions)):
        raise GameError(f"strategy: expects one answer per question, question counts {game.n_questions}")
    Wint, D = exact_weights(game)
    total = 0
    for x in np.ndindex(*game.n_questions):
        a = tuple(strategy.answers[i][x[i]] for i in range(game.n_players))
        total += Wint[a + x]
    return Fraction(total, D)


@dataclass(frozen=True)
class _Layout:
    """The flattened search layout of a game (see :mod:`._kernels`)."""

    responder: int
    enumerated: tuple[int, ...]
    stride: NDArray[np.int64]
    nans: NDArray[np.int64]
    off: NDArray[np.int64]
    digit_of: NDArray[np.int64]
    party_of: NDArray[np.int64]
    radix: NDArray[np.int64]
    aff_ptr: NDArray[np.int64]
    aff_q: NDArray[np.int64]

    def flatten(self, W: NDArray[Any]) -> NDArray[Any]:
        """``W[a, x]`` -> ``Wf[alpha, ar, q, xr]``."""
        n = len(self.enumerated) + 1
        e, r = list(self.enumerated), self.responder
        Wt = np.transpose(W, e + [r] + [n + j for j in e] + [n + r])
        nalpha = int(np.prod(self.nans))
        ar, xr = W.shape[r], W.shape[n + r]
        return np.ascontiguousarray(Wt.reshape(nalpha, ar, -1, xr))

    def alpha(self, s: NDArray[np.int64]) -> NDArray[np.int64]:
        """``alpha[m, q]`` for digit rows ``s[m]``."""
        s = np.atleast_2d(s)
        return (s[:, self.digit_of] * self.stride[None, None, :]).sum(axis=2)

    def to_tables(self, s: NDArray[np.int64], r_answers: Any) -> MultiDeterministicStrategy:
        tables: list[tuple[int, ...]] = [()] * (len(self.enumerated) + 1)
        for j, party in enumerate(self.enumerated):
            tables[party] = tuple(int(v) for v in s[self.off[j] : self.off[j + 1]])
        tables[self.responder] = tuple(int(v) for v in r_answers)
        return MultiDeterministicStrategy(tuple(tables))


def _layout(game: MultiGame, responder: int) -> _Layout:
    n = game.n_players
    e = tuple(i for i in range(n) if i != responder)
    nans = np.array([game.n_answers[i] for i in e], dtype=np.int64)
    nq = [game.n_questions[i] for i in e]
    stride = np.array([int(np.prod(nans[j + 1 :])) for j in range(len(e))], dtype=np.int64)
    off = np.concatenate([[0], np.cumsum(nq)]).astype(np.int64)
    qx = np.indices(nq).reshape(len(e), -1).T  # C order of q
    digit_of = np.ascontiguousarray(qx + off[None, :-1], dtype=np.int64)
    party_of = np.repeat(np.arange(len(e)), nq).astype(np.int64)
    radix = nans[party_of]
    Kd = int(off[-1])
    lists = [np.flatnonzero((digit_of == d).any(axis=1)) for d in range(Kd)]
    aff_ptr = np.concatenate([[0], np.cumsum([len(v) for v in lists])]).astype(np.int64)
    aff_q = np.concatenate(lists).astype(np.int64) if lists else np.zeros(0, dtype=np.int64)
    return _Layout(responder, e, stride, nans, off, digit_of, party_of, radix, aff_ptr, aff_q)


def _prefix_tuples(radices: NDArray[np.int64]) -> NDArray[np.int64]:
    if len(radices) == 0:
        return np.zeros((1, 0), dtype=np.int64)
    return np.ascontiguousarray(np.indices(tuple(int(r) for r in radices)).reshape(len(radices), -1).T, dtype=np.int64)


def _exact_strategy_values(Wint_f: NDArray[np.object_], lay: _Layout, s: NDArray[np.int64]) -> list[int]:
    """Exact :math:`D\\,v(s)` for each digit row of ``s`` (int64 when no sum can overflow)."""
    if len(s) == 0:
        return []
    alpha = lay.alpha(s)  # (m, Q)
    Q = Wint_f.shape[2]
    biggest = max(abs(int(v)) for v in Wint_f.flat)
    if biggest * (Q + 1) * (Wint_f.shape[3] + 1) < 2**62:
        Wi = Wint_f.astype(np.int64)
        B = np.zeros((len(s), Wi.shape[1], Wi.shape[3]), dtype=np.int64)
        for q in range(Q):
            B += Wi[alpha[:, q], :, q, :]
        return [int(v) for v in B.max(axis=1).sum(axis=1)]
    B = np.empty((len(s), Wint_f.shape[1], Wint_f.shape[3]), dtype=object)
    B[:] = 0
    for q in range(Q):
        B = B + Wint_f[alpha[:, q], :, q, :]
    return [int(v) for v in B.max(axis=1).sum(axis=1)]


def _best_response(Wint_f: NDArray[np.object_], lay: _Layout, s: NDArray[np.int64]) -> tuple[list[int], int]:
    """Exact best response (first maximiser per question) and :math:`D\\,v(s)`."""
    alpha = lay.alpha(s)[0]
    B = np.empty(Wint_f.shape[1:2] + Wint_f.shape[3:4], dtype=object)
    B[:] = 0
    for q in range(Wint_f.shape[2]):
        B = B + Wint_f[alpha[q], :, q, :]
    nr, nxr = B.shape
    r = [max(range(nr), key=lambda a, y=y: (B[a, y], -a)) for y in range(nxr)]
    return r, int(sum(B[r[y], y] for y in range(nxr)))


# ------------------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class MultiClassicalCertificate:
    """Proof of the classical value as run (see the module docstring).

    Attributes
    ----------
    strategy : MultiDeterministicStrategy
    value_exact : fractions.Fraction
    responder : int
        The party playing the exact best response.
    num_strategies, num_evaluated : int
        Joint strategies of the enumerated parties, and how many were evaluated (the rest pruned).
    free_digits : int
        Digits Gray-coded inside a chunk (``digit_order[:free_digits]``); the rest form the prefix.
    digit_order : tuple of int
    searched_prefixes, searched_maxima, pruned_prefixes, pruned_bounds : ndarray
    incumbent, rounding_bound : float
    exact_candidates : int
        Near-optimal strategies re-evaluated exactly (``-1``: too many; float best returned, optimal
        up to ``2 * rounding_bound``).
    best_response_rule : str
    """

    strategy: MultiDeterministicStrategy
    value_exact: Fraction
    responder: int
    num_strategies: int
    num_evaluated: int
    free_digits: int
    digit_order: tuple[int, ...]
    searched_prefixes: NDArray[np.int64] = field(repr=False)
    searched_maxima: NDArray[np.float64] = field(repr=False)
    pruned_prefixes: NDArray[np.int64] = field(repr=False)
    pruned_bounds: NDArray[np.float64] = field(repr=False)
    incumbent: float = float("nan")
    rounding_bound: float = 0.0
    exact_candidates: int = -1
    best_response_rule: str = BEST_RESPONSE_RULE

    def verify(self, game: MultiGame, exact_limit: int = DEFAULT_EXACT_LIMIT, max_candidates: int = 100_000) -> Verification:
        """Re-check the certificate against ``game`` in exact arithmetic.

        (1) the strategy's exact value equals :attr:`value_exact`; (2) the responder's answers are
        exact best responses; (3) searched and pruned chunks cover every joint strategy exactly once;
        (4) every pruned chunk's bound is at most the value (float screen with a proven error bound,
        exact integers for any chunk it cannot settle); (5) with at most ``exact_limit`` strategies
        every one is re-evaluated exactly, else every searched one is re-evaluated directly in floats
        and each that could beat the value is re-checked exactly.

        Returns
        -------
        qcoord.games.classical.Verification

        Raises
        ------
        CertificateError
            Naming the first failed check.
        """
        game = as_multigame(game)
        st = self.strategy
        if st.n_players != game.n_players or any(len(t) != nx for t, nx in zip(st.answers, game.n_questions)):
            raise CertificateError(f"strategy: expects one answer per question, question counts {game.n_questions}")
        if exact_value(game, st) != self.value_exact:
            raise CertificateError(f"value: the strategy is worth {exact_value(game, st)}, not {self.value_exact}")
        lay = _layout(game, self.responder)
        Wint, D = exact_weights(game)
        Wint_f = lay.flatten(Wint)
        s = np.concatenate([np.array(st.answers[p], dtype=np.int64) for p in lay.enumerated])
        r_best, val_int = _best_response(Wint_f, lay, s[None])
        B_own = _exact_strategy_values(Wint_f, lay, s[None])[0]
        if Fraction(B_own, D) != self.value_exact:
            raise CertificateError("best response: the responder's answers are not an exact best response")
        expected = math.prod(int(v) for v in lay.radix)
        if self.num_strategies != expected:
            raise CertificateError(f"num_strategies: {expected} joint strategies, not {self.num_strategies}")
        k = self.free_digits
        perm = np.array(self.digit_order, dtype=np.int64)
        if sorted(perm.tolist()) != list(range(len(lay.radix))):
            raise CertificateError("digit_order: not a permutation of the digits")
        pre_r = lay.radix[perm[k:]]
        pre_s = np.asarray(self.searched_prefixes, dtype=np.int64).reshape(len(self.searched_prefixes), len(pre_r))
        pre_p = np.asarray(self.pruned_prefixes, dtype=np.int64).reshape(len(self.pruned_prefixes), len(pre_r))
        allp = np.concatenate([pre_s, pre_p])
        codes = {tuple(row) for row in allp.tolist()}
        n_chunks = math.prod(int(v) for v in pre_r)
        if len(allp) != n_chunks or len(codes) != len(allp) or (allp < 0).any() or (allp >= pre_r[None, :]).any():
            raise CertificateError("chunks: searched and pruned chunks do not cover every strategy exactly once")
        Wf = lay.flatten(np.asarray(game.weights))
        Q, nxr = Wf.shape[2], Wf.shape[3]
        amax = float(np.abs(Wf).max(axis=(0, 1)).sum())
        best_int = val_int
        if len(pre_p):
            fixed_all = -np.ones((len(pre_p), len(lay.radix)), dtype=np.int64)
            fixed_all[:, perm[k:]] = pre_p
            bounds_f = _bounds_numpy(Wf, lay, fixed_all)  # independent of the search kernel
            err = 4.0 * (Q + nxr + 4) * _U * amax
            v = float(self.value_exact)
            unsettled = np.flatnonzero(~(bounds_f + err < v - 2.0 * _U * abs(v)))
            for c in unsettled:
                fixed = -np.ones(len(lay.radix), dtype=np.int64)
                fixed[perm[k:]] = pre_p[c]
                if _exact_bound(Wint_f, lay, fixed) > best_int:
                    raise CertificateError(f"pruned chunk {tuple(pre_p[c])}: its exact bound exceeds the value {self.value_exact}")
        if expected <= exact_limit:
            all_s = _prefix_tuples(lay.radix)
            vals = _exact_strategy_values(Wint_f, lay, all_s)
            if max(vals) > best_int:
                raise CertificateError(f"enumeration: a strategy is worth {Fraction(max(vals), D)} > {self.value_exact}")
            return Verification("exact", expected, 0.0)
        err_direct = 4.0 * (Q + nxr + 4) * _U * amax
        value = float(self.value_exact)
        threshold = value - 2.0 * _U * abs(value) - err_direct
        cand = np.empty((max(int(max_candidates), 0), len(lay.radix)), dtype=np.int64)
        worst, count = K.direct_search(Wf, lay.digit_of, lay.stride, lay.radix, perm, k, np.ascontiguousarray(pre_s), threshold, cand)
        checked = len(pre_s) * math.prod(int(v) for v in lay.radix[perm[:k]])
        if worst > value + self.rounding_bound + err_direct:
            raise CertificateError(f"searched chunks: a strategy evaluates to {worst!r} > value {value!r}")
        if count <= len(cand):
            vals = _exact_strategy_values(Wint_f, lay, cand[:count])
            if vals and max(vals) > best_int:
                raise CertificateError(f"enumeration: a strategy is worth {Fraction(max(vals), D)} > {self.value_exact} exactly")
            return Verification("exact", checked, 0.0)
        return Verification("rounding", checked, 2 * self.rounding_bound)


def _bounds_numpy(Wf: NDArray[np.float64], lay: _Layout, fixed: NDArray[np.int64], batch: int = 2048) -> NDArray[np.float64]:
    """Chunk bounds (as :func:`._kernels.chunk_bounds`) recomputed with numpy, for rows ``fixed[c, d]``
    (-1 = free digit): an independent float screen for :meth:`MultiClassicalCertificate.verify`."""
    nalpha, nr, Q, nxr = Wf.shape
    a_of = (np.arange(nalpha)[:, None] // lay.stride[None, :]) % lay.nans[None, :]  # (nalpha, M)
    out = np.empty(len(fixed))
    for lo in range(0, len(fixed), batch):
        fx = fixed[lo : lo + batch]
        F = np.zeros((len(fx), nr, nxr))
        for q in range(Q):
            fq = fx[:, lay.digit_of[q]]  # (C, M)
            ok = ((fq[:, None, :] < 0) | (fq[:, None, :] == a_of[None])).all(axis=2)  # (C, nalpha)
            F += np.where(ok[:, :, None, None], Wf[None, :, :, q, :], -np.inf).max(axis=1)
        out[lo : lo + batch] = F.max(axis=1).sum(axis=1)
    return out


def _exact_bound(Wint_f: NDArray[np.object_], lay: _Layout, fixed: NDArray[np.int64]) -> int:
    nalpha, nr, Q, nxr = Wint_f.shape
    al = np.arange(nalpha)
    F = np.empty((nr, nxr), dtype=object)
    F[:] = 0
    for q in range(Q):
        ok = np.ones(nalpha, dtype=bool)
        for j in range(len(lay.stride)):
            f = fixed[lay.digit_of[q, j]]
            if f >= 0:
                ok &= (al // lay.stride[j]) % lay.nans[j] == f
        F = F + Wint_f[ok, :, q, :].max(axis=0)
    return int(F.max(axis=0).sum())


@dataclass(frozen=True, eq=False)
class MultiClassicalResult:
    """The classical value of an N-player game and an optimal deterministic strategy.

    Attributes
    ----------
    value : float
        The classical value (the exact value of :attr:`strategy`, correctly rounded).
    strategy : MultiDeterministicStrategy
        ``strategy.answers[i][x]``: party i's answer to its question x.
    certificate : MultiClassicalCertificate
        Re-check with ``certificate.verify(game)``.
    status : str
        ``"optimal"``.
    time_s : float
    parameters : dict
        ``chunk_size``, ``prune``, ``max_strategies``; the search is deterministic (no seed).
    """

    value: float
    strategy: MultiDeterministicStrategy
    certificate: MultiClassicalCertificate
    status: str = "optimal"
    time_s: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)

    def __float__(self) -> float:
        return self.value


def classical_value(
    game: MultiGame,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    prune: bool = True,
    max_strategies: int = DEFAULT_MAX_STRATEGIES,
) -> MultiClassicalResult:
    """The classical value :math:`\\omega_c(G)` of an N-player game, an optimal strategy, a certificate.

    Parameters
    ----------
    game : MultiGame (or a two-player Game)
    chunk_size : int >= 1
        Target number of strategies per chunk (Gray-coded part).
    prune : bool
        Skip chunks whose bound is below the best value found (branch and bound).
    max_strategies : int >= 1
        Refuse with ``GameTooLargeError`` when :math:`\\prod_{i \\ne r} A_i^{X_i}` (closed form,
        computed before any enumeration) exceeds it; default ``2**28``.

    Returns
    -------
    MultiClassicalResult

    Examples
    --------
    >>> from qcoord.games.multiparty.library import mermin_ghz
    >>> float(classical_value(mermin_ghz()))
    0.75
    """
    game = as_multigame(game)
    chunk_size = check_int(chunk_size, "chunk_size", 1)
    max_strategies = check_int(max_strategies, "max_strategies", 1)
    t0 = time.perf_counter()
    responder, n_enum = num_strategies(game)
    if n_enum > max_strategies:
        raise GameTooLargeError(
            f"game: exact enumeration needs prod_(i != r) A_i**X_i = {n_enum} joint strategies (responder r = {responder}), "
            f"above max_strategies = {max_strategies}; raise max_strategies or use a smaller game"
        )
    lay = _layout(game, responder)
    Wf = lay.flatten(np.asarray(game.weights, dtype=np.float64))
    nalpha, nr, Q, nxr = Wf.shape
    Kd = len(lay.radix)
    # influence of a digit: spread of the weights it can change; least influential are Gray-coded
    spread = (Wf.max(axis=(0, 1)) - Wf.min(axis=(0, 1))).sum(axis=1)  # per q
    influence = np.array([spread[lay.aff_q[lay.aff_ptr[d] : lay.aff_ptr[d + 1]]].sum() for d in range(Kd)])
    perm = np.argsort(influence, kind="stable").astype(np.int64)
    k = 0
    target = max(chunk_size, -(-n_enum // MAX_CHUNKS))
    free_count = 1  # strategies per chunk
    while k < Kd:
        nxt = free_count * int(lay.radix[perm[k]])
        if nxt <= target or n_enum // free_count > MAX_CHUNKS:
            free_count, k = nxt, k + 1
        else:
            break
    prefixes = _prefix_tuples(lay.radix[perm[k:]])
    nc = len(prefixes)
    bounds = np.empty(nc)
    K.chunk_bounds(Wf, lay.digit_of, lay.stride, lay.nans, perm, k, prefixes, Kd, bounds)
    amax = float(np.abs(Wf).max(axis=(0, 1)).sum())
    steps = free_count
    rounding_bound = 4.0 * _U * amax * (Q * (1 + 2 * steps) + nxr + 4)
    order = np.argsort(-bounds, kind="stable")
    maxima = np.full(nc, -np.inf)
    digits = np.zeros((nc, Kd), dtype=np.int64)
    searched: list[int] = []
    incumbent = -math.inf
    pos, pruned_from, batch = 0, nc, 1
    no_cand = np.empty((0, Kd), dtype=np.int64)
    while pos < nc:
        if prune and bounds[order[pos]] < incumbent - 2.0 * rounding_bound:
            pruned_from = pos
            break
        idx = order[pos : pos + batch]
        if prune:
            idx = idx[bounds[idx] >= incumbent - 2.0 * rounding_bound]
        out_v = np.empty(len(idx))
        out_d = np.empty((len(idx), Kd), dtype=np.int64)
        K.chunk_search(Wf, lay.digit_of, lay.stride, lay.radix, lay.party_of, lay.aff_ptr, lay.aff_q, perm, k,
                       np.ascontiguousarray(prefixes[idx]), math.inf, out_v, out_d, no_cand)
        maxima[idx] = out_v
        digits[idx] = out_d
        searched.extend(int(i) for i in idx)
        incumbent = max(incumbent, float(out_v.max()))
        pos += len(idx)
        if len(idx) < min(batch, nc - (pos - len(idx))):
            pruned_from = pos
            break
        batch = min(2 * batch, 1024)
    searched_arr = np.array(searched, dtype=np.int64)
    pruned_arr = order[pruned_from:] if pruned_from < nc else np.zeros(0, dtype=np.int64)
    best_chunk = int(searched_arr[np.argmax(maxima[searched_arr])])
    # exact refinement among every strategy within the rounding bound of the float best
    threshold = incumbent - 2.0 * rounding_bound
    near = searched_arr[maxima[searched_arr] >= threshold]
    cand = np.empty((MAX_EXACT_CANDIDATES, Kd), dtype=np.int64)
    scratch_v = np.empty(len(near))
    scratch_d = np.empty((len(near), Kd), dtype=np.int64)
    count = K.chunk_search(Wf, lay.digit_of, lay.stride, lay.radix, lay.party_of, lay.aff_ptr, lay.aff_q, perm, k,
                           np.ascontiguousarray(prefixes[near]), threshold, scratch_v, scratch_d, cand)
    Wint, D = exact_weights(game)
    Wint_f = lay.flatten(Wint)
    s_best = digits[best_chunk]
    if 0 < count <= MAX_EXACT_CANDIDATES:
        vals = _exact_strategy_values(Wint_f, lay, cand[:count])
        i_best = max(range(len(vals)), key=lambda i: vals[i])
        s_best = cand[i_best]
    else:
        count = -1
    r_ans, val_int = _best_response(Wint_f, lay, s_best[None])
    strategy = lay.to_tables(s_best, r_ans)
    value_exact = Fraction(val_int, D)
    cert = MultiClassicalCertificate(
        strategy=strategy,
        value_exact=value_exact,
        responder=responder,
        num_strategies=n_enum,
        num_evaluated=len(searched_arr) * free_count,
        free_digits=k,
        digit_order=tuple(int(v) for v in perm),
        searched_prefixes=prefixes[searched_arr],
        searched_maxima=maxima[searched_arr],
        pruned_prefixes=prefixes[pruned_arr],
        pruned_bounds=bounds[pruned_arr],
        incumbent=float(incumbent),
        rounding_bound=float(rounding_bound),
        exact_candidates=int(count),
    )
    return MultiClassicalResult(
        value=float(value_exact),
        strategy=strategy,
        certificate=cert,
        status="optimal",
        time_s=time.perf_counter() - t0,
        parameters={"chunk_size": chunk_size, "prune": prune, "max_strategies": max_strategies},
    )
