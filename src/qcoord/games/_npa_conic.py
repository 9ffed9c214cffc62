"""The NPA moment SDP built sparsely and handed to SCS / Clarabel in their own standard form.

:func:`qcoord.games.npa.npa_upper_bound` (``backend="conic"``, the default) uses this module; the
cvxpy model of :func:`qcoord.games.npa._build` stays available (``backend="cvxpy"``) as the reference
it is tested against.

The SDP
-------
With the distinct moments :math:`y \\in \\mathbb{R}^m` of the level's words (the same word identities
as :mod:`qcoord.games.npa`: projector idempotence and orthogonality, commuting parties, adjoints), the
moment matrix is :math:`\\Gamma(y) = F_0 + \\sum_k y_k F_k` with 0/1 matrices :math:`F_k` (every entry
of :math:`\\Gamma` is one moment, the constant 1 or the constant 0) and the behaviour is
:math:`p(y) = C y + c_0` (Collins-Gisin). The problem

.. math::

    \\max_y\\; w \\cdot (C y + c_0) \\quad\\text{s.t.}\\quad T\\,\\Gamma(y)\\,T^\\top \\succeq 0,\\qquad C y + c_0 \\ge 0

is posed directly as ``min c'x s.t. Ax + s = b, s in K`` with :math:`x = y`,
:math:`K = \\mathbb{R}_+^{|p|} \\times \\mathcal{S}_+^n` (``A`` and ``b`` are the stacked
:math:`-C, c_0` and the scaled half-vectorisation of :math:`-T F_k T^\\top, T F_0 T^\\top`). This is the
smaller of the two forms: its ``m`` variables are at most the :math:`n(n+1)/2` entries the dual form
would carry, and ``A`` is as sparse as :math:`\\Gamma` itself (no lifted matrix variable and no
equality rows, which is what cvxpy's canonicalisation produces).

:math:`T` is an invertible change of word basis (so :math:`T \\Gamma T^\\top \\succeq 0 \\iff \\Gamma
\\succeq 0`, and the optimum is unchanged): the *centred* basis replaces every projector :math:`P` of a
question with :math:`k` answers by :math:`(P - 1/k) / \\sqrt{(1/k)(1 - 1/k)}` (for two answers this is
the :math:`\\pm 1` observable :math:`2P - 1`), a unit-triangular map in word length. With three or more
answers a projector moment matrix mixes entries of order :math:`1` and :math:`k^{-\\ell}`, and the
first-order solver SCS converges much faster in the centred basis (``chsh_d(4)`` at ``"1+ab"``: 1850
iterations, 20 s, instead of 8950 iterations, 55 s); with two answers it did not help (random 8x8
binary games at level 2: 14-34 s against 5-38 s), so binary games keep the plain basis
(:math:`T = I`). The centred ``A`` has about :math:`\\mathrm{nnz}(T)^2/2` non-zeros; above
:data:`CENTRED_MAX_NNZ` the plain basis is used too. Clarabel (interior point, insensitive to such
scalings) always gets the plain basis.

Structure reuse: everything above except the objective :math:`c = -C^\\top w` depends only on the
game's shape, the level and ``identify_adjoints``; it is built once and cached
(:func:`moment_sdp`), so a second game of the same shape only pays for the solve.

Warm start and polish (SCS)
---------------------------
SCS (ADMM) can be started from any point; :func:`strategy_moments` turns a quantum strategy (the
see-saw's, see ``warm_start`` of :func:`qcoord.games.npa.npa_upper_bound`) into the moments of a
feasible point, often an optimal one. On random 8x8 binary games at level 2 this took SCS from 8800 /
2450 iterations to 425 / 900. The dual side is started too (:func:`dual_start`): the smaller standard
levels (``1``, then ``"1+ab"``) are solved in turn, each started from the strategy and the previous
dual, and the last dual, padded with zeros (:func:`embed_dual`: exactly dual-feasible for the larger
level, with the smaller level's bound), starts the target; with both a near-optimal primal and dual,
SCS on 8x8 level 2 stops after 0-50 iterations instead of 350-900. A solved point whose certificate is more than :data:`POLISH_GAP` above
its value is continued once, warm-started from itself at 10x tighter tolerances (for at most a
quarter of the iterations it took). Neither changes the
SDP, its optimum or the rigour of the certificate.

Certified bound
---------------
The solver's dual :math:`(\\lambda, Y')` is projected onto the cones (eigenvalues of :math:`Y'`
clipped at 0, :math:`\\lambda` at 0) and mapped back to :math:`Y = T^\\top Y' T \\succeq 0`; then
weak duality with :math:`|y_k| \\le 1` for every quantum moment gives the rigorous bound of
:func:`qcoord.games.npa._certified_bound` (same formula, applied entry-wise on the sparse structure).
"""

from __future__ import annotations

import functools
import itertools
import math
import time
import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

#: The centred basis is used while the PSD block of ``A`` has at most this many non-zeros (beyond it
#: the sparse factorisation inside SCS fills in: ``chsh_d(5)`` at ``"1+ab"`` would have 1.2e6 non-zeros,
#: a 25 s set-up and 0.2 s per iteration, against 75 000 non-zeros and ~0.02 s per iteration plain).
CENTRED_MAX_NNZ = 600_000

#: Clarabel's interior point method factorises a dense block of side n(n+1)/2 per iteration (memory
#: ~ 4 n^4 bytes): it is not attempted above this moment-matrix side (n = 120: ~0.8 GB), even as a
#: fallback.
CLARABEL_HARD_MAX_SIDE = 120

#: Solver attempts of the direct path, in order, per solver: Clarabel at its default tolerances, then
#: 1e-7 (as the cvxpy path); SCS to eps 1e-7 (its value is then within ~1e-7 of the SDP optimum: see
#: tests/games/test_npa_conic.py and benchmarks/bench_quantum.py).
CONIC_ATTEMPTS: dict[str, list[dict[str, Any]]] = {
    "CLARABEL": [{}, {"tol_gap_abs": 1e-7, "tol_gap_rel": 1e-7, "tol_feas": 1e-7}],
    "SCS": [{"eps_abs": 1e-8, "eps_rel": 1e-8, "max_iters": 200_000}],
}


@dataclass(frozen=True, eq=False)
class MomentSDP:
    """The payoff-independent part of one NPA SDP (cached per shape, level and adjoint rule).

    Attributes
    ----------
    side : int
        :math:`n`, the number of words (side of the moment matrix).
    num_moments : int
        :math:`m`, the number of distinct free moments (SDP variables).
    rows, cols : ndarray of int
        Upper-triangle entries :math:`(i \\le j)` of :math:`\\Gamma` whose word product is not 0.
    moment : ndarray of int
        The moment of each such entry, ``-1`` for the identity (constant 1).
    C, c0 : sparse matrix, ndarray
        :math:`p = C y + c_0`, the behaviour ``p[a, b, x, y]`` raveled.
    basis : str
        ``"plain"``, ``"centred"`` or ``"scaled"`` (the word basis of the SCS form; see the module
        docstring).
    T : sparse matrix, shape (n, n)
        The basis change of the SCS form.
    A, b : sparse matrix, ndarray
        SCS standard form rows: ``len(c0)`` non-negative rows, then the PSD block in SCS's
        half-vectorisation (lower triangle by columns, off-diagonal entries times :math:`\\sqrt 2`).
    words : tuple
        The words indexing :math:`\\Gamma` (:func:`qcoord.games.npa.npa_words`).
    """

    side: int
    num_moments: int
    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    moment: NDArray[np.int64]
    C: sp.csr_matrix
    c0: NDArray[np.float64]
    basis: str
    T: sp.csr_matrix
    A: sp.csc_matrix
    b: NDArray[np.float64]
    words: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = ()

    @property
    def psd_entries(self) -> int:
        """:math:`n(n+1)/2`, the length of the PSD block."""
        return self.side * (self.side + 1) // 2

    def size(self) -> dict[str, Any]:
        """The SDP's size as posed to SCS: side, moments, rows of each cone, non-zeros of ``A``, basis."""
        return {
            "side": self.side,
            "moments": self.num_moments,
            "psd_rows": self.psd_entries,
            "linear_rows": int(self.c0.size),
            "nnz": int(self.A.nnz),
            "basis": self.basis,
        }


# --------------------------------------------------------------------------- structure
def _player_products(parts: list[tuple[int, ...]], question_of: Sequence[int]) -> tuple[NDArray[np.int64], NDArray[np.int64], dict[tuple[int, ...], int]]:
    """Products :math:`u^\\dagger v` of one player's word parts: table of product ids (-1 for 0), adjoint ids."""
    from .npa import _reduce

    ids: dict[tuple[int, ...], int] = {}
    table = np.full((len(parts), len(parts)), -1, dtype=np.int64)
    for i, u in enumerate(parts):
        ru = u[::-1]
        for j, v in enumerate(parts):
            r = _reduce(ru + v, question_of)
            if r is not None:
                table[i, j] = ids.setdefault(r, len(ids))
    # the reverse of a product u^+ v is v^+ u, also in the table
    adjoint = np.array([ids[p[::-1]] for p in ids], dtype=np.int64)
    return table, adjoint, ids


def _basis(words: list[tuple[tuple[int, ...], tuple[int, ...]]], shape: tuple[int, int, int, int],
           choice: str = "auto") -> tuple[str, sp.csr_matrix]:
    """The word basis :math:`T` of the SCS form: ``"plain"`` (identity), ``"scaled"`` (diagonal) or
    ``"centred"`` (rows: centred words in terms of the plain ones); ``"auto"``: see :func:`moment_sdp`."""
    from .npa import _reduce

    na, nb, nx, ny = shape
    n = len(words)
    if choice == "auto":
        choice = "centred" if max(na, nb) > 2 else "plain"
    if choice == "plain":
        return "plain", sp.identity(n, format="csr")
    qa = [x for x in range(nx) for _ in range(na - 1)]
    qb = [y for y in range(ny) for _ in range(nb - 1)]
    ca, cb = 1.0 / na, 1.0 / nb
    sa, sb = math.sqrt(ca * (1.0 - ca)), math.sqrt(cb * (1.0 - cb))
    norm = np.array([sa ** len(wa) * sb ** len(wb) for wa, wb in words])
    if choice == "scaled":
        return "scaled", sp.diags(1.0 / norm, format="csr")
    nnz_t = sum(2 ** (len(wa) + len(wb)) for wa, wb in words)
    if nnz_t * nnz_t > 4 * CENTRED_MAX_NNZ:  # the PSD block of A has ~nnz(T)^2 / 2 non-zeros
        return "plain", sp.identity(n, format="csr")
    index = {w: i for i, w in enumerate(words)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []

    def expand(word: tuple[int, ...], q: Sequence[int], c: float) -> dict[tuple[int, ...], float]:
        out: dict[tuple[int, ...], float] = {}
        for keep in itertools.product((0, 1), repeat=len(word)):
            r = _reduce([op for op, k in zip(word, keep) if k], q)
            if r is not None:
                out[r] = out.get(r, 0.0) + (-c) ** (len(word) - sum(keep))
        return out

    for i, (wa, wb) in enumerate(words):
        for ra, va in expand(wa, qa, ca).items():
            for rb, vb in expand(wb, qb, cb).items():
                j = index.get((ra, rb))
                if j is None:  # a level whose words are not closed under sub-words (e.g. "1+aab")
                    return "plain", sp.identity(n, format="csr")
                rows.append(i)
                cols.append(j)
                vals.append(va * vb / norm[i])
    return "centred", sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


@functools.lru_cache(maxsize=16)
def moment_sdp(shape: tuple[int, int, int, int], level: str, identify_adjoints: bool = True, basis: str = "auto") -> MomentSDP:
    """Build (once per arguments) the payoff-independent SDP data of an NPA level.

    Parameters
    ----------
    shape : (na, nb, nx, ny)
        The game's shape.
    level : str
        A normalised level label (``"2"``, ``"1+ab"``, ...).
    identify_adjoints : bool
        As :func:`qcoord.games.npa.npa_upper_bound`.
    basis : {"auto", "plain", "centred", "scaled"}
        Word basis of the SCS form. ``"auto"``: centred when a party has three or more answers
        (and the centred rows stay sparse, and the level's words are closed under sub-words), else
        plain. ``"scaled"`` (each word divided by its centred normalisation, diagonal) is kept for
        experiments.

    Returns
    -------
    MomentSDP
    """
    from .npa import npa_words

    na, nb, nx, ny = shape
    words = npa_words(level, (na, nb), (nx, ny))
    n = len(words)
    qa = [x for x in range(nx) for _ in range(na - 1)]
    qb = [y for y in range(ny) for _ in range(nb - 1)]
    parts_a = sorted({w[0] for w in words}, key=lambda t: (len(t), t))
    parts_b = sorted({w[1] for w in words}, key=lambda t: (len(t), t))
    ta, adj_a, ids_a = _player_products(parts_a, qa)
    tb, adj_b, ids_b = _player_products(parts_b, qb)
    pos_a = {p: i for i, p in enumerate(parts_a)}
    pos_b = {p: i for i, p in enumerate(parts_b)}
    wa = np.array([pos_a[w[0]] for w in words], dtype=np.int64)
    wb = np.array([pos_b[w[1]] for w in words], dtype=np.int64)
    nqb = len(ids_b)

    iu, ju = np.triu_indices(n)
    pa = ta[wa[iu], wa[ju]]
    pb = tb[wb[iu], wb[ju]]
    nonzero = (pa >= 0) & (pb >= 0)
    iu, ju, pa, pb = iu[nonzero], ju[nonzero], pa[nonzero], pb[nonzero]
    key = pa * nqb + pb
    if identify_adjoints:
        key = np.minimum(key, adj_a[pa] * nqb + adj_b[pb])
    identity = ids_a[()] * nqb + ids_b[()]
    is_id = key == identity
    uniq, inv = np.unique(key[~is_id], return_inverse=True)
    moment = np.full(key.size, -1, dtype=np.int64)
    moment[~is_id] = inv
    num_m = int(uniq.size)
    position = {int(k): i for i, k in enumerate(uniq)}

    # Collins-Gisin behaviour map, as in npa._build
    def mom(x: int | None, a: int | None, y: int | None, b: int | None) -> int:
        pa_ = () if x is None else (x * (na - 1) + a,)  # type: ignore[operator]
        pb_ = () if y is None else (y * (nb - 1) + b,)  # type: ignore[operator]
        return position[ids_a[pa_] * nqb + ids_b[pb_]]

    c_rows: list[int] = []
    c_cols: list[int] = []
    c_vals: list[float] = []
    c0 = np.zeros(na * nb * nx * ny)
    for a, b, x, y in itertools.product(range(na), range(nb), range(nx), range(ny)):
        r = int(np.ravel_multi_index((a, b, x, y), shape))
        a_set = [(1.0, a)] if a < na - 1 else [(1.0, None)] + [(-1.0, a2) for a2 in range(na - 1)]
        b_set = [(1.0, b)] if b < nb - 1 else [(1.0, None)] + [(-1.0, b2) for b2 in range(nb - 1)]
        for (s_a, aa), (s_b, bb) in itertools.product(a_set, b_set):
            if aa is None and bb is None:
                c0[r] += s_a * s_b
            else:
                c_rows.append(r)
                c_cols.append(mom(None if aa is None else x, aa, None if bb is None else y, bb))
                c_vals.append(s_a * s_b)
    C = sp.csr_matrix((c_vals, (c_rows, c_cols)), shape=(c0.size, num_m))

    basis, T = _basis(words, shape, basis)
    A_psd, b_psd = _psd_rows(n, iu, ju, moment, num_m, T, order="scs")
    A = sp.vstack([-C, A_psd], format="csc")
    bvec = np.concatenate([c0, b_psd])
    for arr in (iu, ju, moment, c0, bvec):
        arr.setflags(write=False)
    return MomentSDP(side=n, num_moments=num_m, rows=iu, cols=ju, moment=moment, C=C, c0=c0, basis=basis, T=T,
                     A=A, b=bvec, words=tuple(words))


def strategy_moments(sdp: MomentSDP, shape: tuple[int, int, int, int], state: NDArray[np.complex128],
                     alice: NDArray[np.complex128], bob: NDArray[np.complex128]) -> NDArray[np.float64]:
    """The moments :math:`y_k = \\mathrm{Re}\\langle\\psi| S_i^\\dagger S_j |\\psi\\rangle` of a quantum strategy.

    Parameters
    ----------
    sdp : MomentSDP
    shape : (na, nb, nx, ny)
    state : ndarray, shape (dA * dB,)
        A pure state (the see-saw's output), index ``i * dB + j`` for ``|i>_A |j>_B``.
    alice, bob : ndarray, shape (nx, na, dA, dA) and (ny, nb, dB, dB)
        Projective measurements.

    Returns
    -------
    ndarray, shape (m,)
        A feasible point of the SDP (its moment matrix is a Gram matrix; its behaviour is the Born
        rule's), used to warm-start SCS.
    """
    na, nb, _, _ = shape
    dA, dB = alice.shape[-1], bob.shape[-1]
    eye_a, eye_b = np.eye(dA), np.eye(dB)
    vecs = np.empty((sdp.side, dA * dB), dtype=complex)
    for i, (wa, wb) in enumerate(sdp.words):
        v = np.asarray(state, dtype=complex).ravel()
        for k in reversed(wb):  # S = A_1 ... A_p B_1 ... B_q applied right to left
            v = np.kron(eye_a, bob[k // (nb - 1), k % (nb - 1)]) @ v
        for k in reversed(wa):
            v = np.kron(alice[k // (na - 1), k % (na - 1)], eye_b) @ v
        vecs[i] = v
    vals = np.einsum("ed,ed->e", vecs[sdp.rows].conj(), vecs[sdp.cols]).real
    y = np.zeros(sdp.num_moments)
    var = sdp.moment >= 0
    y[sdp.moment[var]] = vals[var]
    return y


def _svec_position(n: int, r: NDArray[np.int64], c: NDArray[np.int64], order: str) -> NDArray[np.int64]:
    """Index of entry (r, c), r <= c, of a symmetric n x n matrix in a solver's half-vectorisation.

    SCS: lower triangle by columns (= upper triangle by rows); Clarabel: upper triangle by columns.
    """
    if order == "scs":
        return r * n - r * (r - 1) // 2 + (c - r)
    return c * (c + 1) // 2 + r


def _psd_rows(n: int, iu: NDArray[np.int64], ju: NDArray[np.int64], moment: NDArray[np.int64], num_m: int,
              T: sp.csr_matrix | None, order: str) -> tuple[sp.csr_matrix, NDArray[np.float64]]:
    """``(A_psd, b_psd)`` with ``b_psd - A_psd y = svec(T Gamma(y) T')``."""
    N = n * (n + 1) // 2
    if T is not None and T.nnz == n and np.all(T.indices == np.arange(n)):  # diagonal: scale the entries
        d = T.diagonal()
        factor = d[iu] * d[ju]
        T = None
    else:
        factor = np.ones(iu.size)
    if T is None:
        scale = np.where(iu == ju, 1.0, math.sqrt(2.0)) * factor
        pos = _svec_position(n, iu, ju, order)
        const = moment < 0
        b = np.zeros(N)
        b[pos[const]] = scale[const]
        A = sp.csr_matrix((-scale[~const], (pos[~const], moment[~const])), shape=(N, num_m))
        return A, b
    # general basis: vec(T G T') = (T kron T) vec(G), G = F0 + F y on the full (symmetric) matrix
    off = iu != ju
    ii = np.concatenate([iu, ju[off]])
    jj = np.concatenate([ju, iu[off]])
    mm = np.concatenate([moment, moment[off]])
    full = ii * n + jj
    var = mm >= 0
    F = sp.csr_matrix((np.ones(int(var.sum())), (full[var], mm[var])), shape=(n * n, num_m))
    f0 = np.zeros(n * n)
    f0[full[~var]] = 1.0
    su, sv = np.triu_indices(n)
    K = sp.kron(T, T, format="csr")[su * n + sv]
    scale = np.where(su == sv, 1.0, math.sqrt(2.0))
    A_full = (sp.diags(scale) @ (K @ F)).tocsr()
    b_full = scale * (K @ f0)
    if order != "scs":  # reorder rows to the solver's half-vectorisation
        perm = np.argsort(_svec_position(n, su, sv, order))
        A_full, b_full = A_full[perm], b_full[perm]
    A_full.eliminate_zeros()
    return -A_full, b_full


@functools.lru_cache(maxsize=8)
def _clarabel_rows(sdp: MomentSDP) -> tuple[sp.csc_matrix, NDArray[np.float64]]:
    """Clarabel's standard form of ``sdp`` in the plain word basis (cached with the structure)."""
    A_psd, b_psd = _psd_rows(sdp.side, sdp.rows, sdp.cols, sdp.moment, sdp.num_moments, None, order="clarabel")
    return sp.vstack([-sdp.C, A_psd], format="csc"), np.concatenate([sdp.c0, b_psd])


# --------------------------------------------------------------------------- certificate
def _unsvec(v: NDArray[np.float64], n: int, order: str) -> NDArray[np.float64]:
    """The symmetric matrix of a half-vectorisation (off-diagonal entries divided by sqrt 2)."""
    if order == "scs":
        r, c = np.triu_indices(n)
    else:
        c, r = np.tril_indices(n)  # upper triangle by columns: (row r <= column c)
    M = np.zeros((n, n))
    vals = np.where(r == c, v, v / math.sqrt(2.0))
    M[r, c] = vals
    M[c, r] = vals
    return M


def certified_bound(sdp: MomentSDP, w: NDArray[np.float64], lam: NDArray[np.float64], Y: NDArray[np.float64]) -> float:
    """Rigorous upper bound from a dual point :math:`(\\lambda, Y)` of the plain-basis SDP.

    Parameters
    ----------
    sdp : MomentSDP
    w : ndarray
        The objective's weights on the raveled behaviour.
    lam : ndarray
        Multipliers of :math:`p \\ge 0` (clipped at 0 here).
    Y : ndarray, shape (n, n)
        Multiplier of :math:`\\Gamma \\succeq 0` (symmetrised and projected onto the PSD cone here).

    Returns
    -------
    float
        :math:`w \\cdot c_0 + \\lambda \\cdot c_0 + \\langle F_0, Y \\rangle + \\sum_k |r_k|`,
        :math:`r_k = (C^\\top (w + \\lambda))_k + \\langle F_k, Y \\rangle` (weak duality with
        :math:`|y_k| \\le 1`; see :func:`qcoord.games.npa._certified_bound`), ``inf`` for a non-finite dual.
    """
    Y = 0.5 * (Y + Y.T)
    if not np.all(np.isfinite(Y)) or not np.all(np.isfinite(lam)):
        return float("inf")
    ev, V = np.linalg.eigh(Y)
    Y = (V * np.clip(ev, 0.0, None)) @ V.T
    lam = np.clip(lam, 0.0, None)
    wl = w + lam
    mult = np.where(sdp.rows == sdp.cols, 1.0, 2.0) * Y[sdp.rows, sdp.cols]
    const_entries = sdp.moment < 0
    r = sdp.C.T @ wl + np.bincount(sdp.moment[~const_entries], weights=mult[~const_entries], minlength=sdp.num_moments)
    const = float(wl @ sdp.c0 + mult[const_entries].sum())
    return const + float(np.abs(r).sum())


# --------------------------------------------------------------------------- solve
@dataclass(frozen=True)
class ConicSolution:
    """One successful (or best inaccurate) direct solve: see :func:`solve_moment_sdp`."""

    solver: str
    status: str
    tolerance: float
    value: float
    moments: NDArray[np.float64]
    certified_bound: float


def _label(name: str, opts: dict[str, Any]) -> str:
    return name + (f"({', '.join(f'{k}={v:g}' for k, v in opts.items())})" if opts else "")


def _gap(sdp: MomentSDP, cvec: NDArray[np.float64], w: NDArray[np.float64], x: NDArray[np.float64], ydual: NDArray[np.float64]) -> float:
    """Certified bound minus primal value of an SCS point (``inf`` if not finite)."""
    P = sdp.c0.size
    M = _unsvec(ydual[P:], sdp.side, "scs")
    Y = np.asarray(sdp.T.T @ np.asarray(sdp.T.T @ M).T)
    value = float(w @ (sdp.C @ x + sdp.c0))
    out = certified_bound(sdp, w, ydual[:P], Y) - value
    return out if math.isfinite(out) else float("inf")


#: A solved SCS point whose certificate exceeds its value by more than this (in units of sum |W| = 1)
#: is continued once at 10x tighter tolerances, warm-started from itself, for at most a quarter of the
#: iterations it took (unbounded, it could cost as much as the solve itself on large sides).
POLISH_GAP = 2e-7


def _scs_solve(sdp: MomentSDP, cvec: NDArray[np.float64], settings: dict[str, Any], x: NDArray[np.float64] | None = None,
               y: NDArray[np.float64] | None = None, s: NDArray[np.float64] | None = None) -> dict[str, Any]:
    """One SCS solve of ``sdp`` with objective ``cvec``; warm-started from ``x`` (then ``y`` defaults to
    0 and ``s`` to ``b - A x``) if given. Returns SCS's solution dict."""
    import scs

    solver = scs.SCS({"A": sdp.A, "b": np.asarray(sdp.b), "c": cvec}, {"l": int(sdp.c0.size), "s": [sdp.side]}, **settings)
    if x is None:
        return solver.solve()
    x = np.asarray(x, dtype=float)
    y = np.zeros(sdp.b.size) if y is None else np.asarray(y, dtype=float)
    s = sdp.b - sdp.A @ x if s is None else np.asarray(s, dtype=float)
    return solver.solve(warm_start=True, x=x, y=y, s=s)


def _run_scs(sdp: MomentSDP, cvec: NDArray[np.float64], opts: dict[str, Any], time_left: float | None,
             x0: NDArray[np.float64] | None = None,
             polish_gap: tuple[float, NDArray[np.float64]] | None = None,
             y0: NDArray[np.float64] | None = None) -> tuple[str, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], bool]:
    """Solve with SCS (primal warm start ``x0``, dual ``y0`` in SCS's rows, if given): ``(status, x, lam, Y plain basis, out_of_time)``."""
    t_start = time.perf_counter()
    settings = dict(opts, verbose=False)
    if time_left is not None:
        settings["time_limit_secs"] = float(time_left)
    sol = _scs_solve(sdp, cvec, settings, x0, y0)
    if int(sol["info"]["status_val"]) == 1 and polish_gap is not None:
        x, yd = np.asarray(sol["x"], dtype=float), np.asarray(sol["y"], dtype=float)
        if _gap(sdp, cvec, polish_gap[1], x, yd) > polish_gap[0]:
            # solved, but the dual residual left a loose certificate: continue from this point, 10x tighter
            tight = dict(settings, eps_abs=settings.get("eps_abs", 1e-8) / 10, eps_rel=settings.get("eps_rel", 1e-8) / 10,
                         max_iters=max(200, int(sol["info"]["iter"]) // 4))  # at most a quarter more work
            if time_left is not None:
                tight["time_limit_secs"] = max(1e-3, float(time_left) - (time.perf_counter() - t_start))
            sol2 = _scs_solve(sdp, cvec, tight, x, yd, np.asarray(sol["s"], dtype=float))
            if int(sol2["info"]["status_val"]) in (1, 2):
                x2, y2 = np.asarray(sol2["x"], dtype=float), np.asarray(sol2["y"], dtype=float)
                if np.all(np.isfinite(x2)) and np.all(np.isfinite(y2)) and _gap(sdp, cvec, polish_gap[1], x2, y2) < _gap(sdp, cvec, polish_gap[1], x, yd):
                    sol = dict(sol, x=x2, y=y2)
    info = sol["info"]
    code = int(info["status_val"])
    if code == -5:  # SCS_SIGINT: the user pressed Ctrl-C
        raise KeyboardInterrupt
    text = str(info["status"])
    status = {1: "optimal", 2: "optimal_inaccurate"}.get(code, text)
    out_of_time = "time" in text
    if code == 2 and ("time" in text or "iter" in text):
        status = "user_limit"
    ydual = np.asarray(sol["y"], dtype=float)
    P = sdp.c0.size
    Yp = _unsvec(ydual[P:], sdp.side, "scs")
    TtY = np.asarray(sdp.T.T @ Yp)  # T' Y'
    Y = np.asarray(sdp.T.T @ TtY.T)  # T' (Y' T) = T' Y' T  (Y' symmetric)
    return status, np.asarray(sol["x"], dtype=float), ydual[:P], np.asarray(Y), out_of_time


def clarabel_settings(opts: dict[str, Any], time_left: float | None) -> Any:
    """Clarabel settings: quiet, the given tolerances, the time left (seconds) if any."""
    import clarabel

    settings = clarabel.DefaultSettings()
    settings.verbose = False
    for k, v in opts.items():
        setattr(settings, k, v)
    if time_left is not None:
        settings.time_limit = float(time_left)
    return settings


def _run_clarabel(sdp: MomentSDP, cvec: NDArray[np.float64], opts: dict[str, Any], time_left: float | None,
                  x0: NDArray[np.float64] | None = None, polish_gap: Any = None,
                  y0: NDArray[np.float64] | None = None) -> tuple[str, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], bool]:
    """Solve with Clarabel (plain basis; an interior point method takes no warm start, ``x0`` and ``y0`` are ignored)."""
    import clarabel

    A, b = _clarabel_rows(sdp)
    settings = clarabel_settings(opts, time_left)
    m = sdp.num_moments
    P = sp.csc_matrix((m, m))
    cones = [clarabel.NonnegativeConeT(int(sdp.c0.size)), clarabel.PSDTriangleConeT(sdp.side)]
    sol = clarabel.DefaultSolver(P, cvec, A, b, cones, settings).solve()
    text = str(sol.status)
    status = {"Solved": "optimal", "AlmostSolved": "optimal_inaccurate", "MaxTime": "user_limit",
              "MaxIterations": "user_limit"}.get(text, text)
    z = np.asarray(sol.z, dtype=float)
    Pn = sdp.c0.size
    return status, np.asarray(sol.x, dtype=float), z[:Pn], _unsvec(z[Pn:], sdp.side, "clarabel"), text == "MaxTime"


def solve_moment_sdp(sdp: MomentSDP, w: NDArray[np.float64], solvers: Sequence[str], what: str,
                     time_limit: float | None, x0: NDArray[np.float64] | None = None,
                     y0: NDArray[np.float64] | None = None) -> ConicSolution:
    """Solve the SDP for objective weights ``w`` with the first solver that reaches ``"optimal"``.

    ``x0`` (a feasible point, e.g. :func:`strategy_moments` of a see-saw strategy) and ``y0`` (a dual
    point in SCS's rows, e.g. :func:`dual_start`) warm-start SCS; they change where the iterations
    start, not the problem, its optimum or the certificate.

    The attempts and their order follow :data:`CONIC_ATTEMPTS`; the semantics (time budget shared by
    the attempts, an inaccurate or time-capped attempt kept for its certified bound, a
    :class:`~qcoord.games.npa.SolverError` listing every attempt otherwise) are those of
    :func:`qcoord.games.npa._solve_sdp`.
    """
    from .npa import SolverError, solver_tolerance

    runners = {"SCS": _run_scs, "CLARABEL": _run_clarabel}
    cvec = -(sdp.C.T @ w)
    const = float(w @ sdp.c0)
    tried: list[str] = []
    best: ConicSolution | None = None
    deadline = None if time_limit is None else time.perf_counter() + float(time_limit)
    for name in solvers:
        run = runners.get(name)
        if run is None:
            tried.append(f"{name}: not installed")
            continue
        if name == "CLARABEL" and sdp.side > CLARABEL_HARD_MAX_SIDE:
            tried.append(f"{name}: not tried (moment matrix side {sdp.side} > {CLARABEL_HARD_MAX_SIDE}: "
                         f"its dense KKT block would need ~{4 * sdp.side ** 4 / 1e9:.0f} GB)")
            continue
        for opts in CONIC_ATTEMPTS[name]:
            label = _label(name, opts)
            left = None
            if deadline is not None:
                left = deadline - time.perf_counter()
                if left <= 0:
                    tried.append(f"{label}: not tried (time_limit of {time_limit:g} s spent)")
                    break
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    status, x, lam, Y, out_of_time = run(sdp, cvec, opts, left, x0, (POLISH_GAP, w), y0)
            except (ValueError, ArithmeticError, RuntimeError, np.linalg.LinAlgError) as exc:
                tried.append(f"{label}: raised {type(exc).__name__}: {exc}")
                break
            tol = solver_tolerance(name, opts)
            value = const + float(w @ (sdp.C @ x)) if np.all(np.isfinite(x)) else float("nan")
            if status == "optimal" and np.isfinite(value):
                return ConicSolution(label, status, tol, value, x, certified_bound(sdp, w, lam, Y))
            tried.append(f"{label}: status {status!r}")
            if status in ("optimal_inaccurate", "user_limit") and np.all(np.isfinite(x)):
                bound = certified_bound(sdp, w, lam, Y)
                if np.isfinite(bound) and (best is None or bound < best.certified_bound):
                    best = ConicSolution(label, "optimal_inaccurate", tol, bound, x, bound)
            if status == "user_limit" or out_of_time:
                break
    if best is not None:
        return best
    raise SolverError(f"{what}: no solver returned an optimal solution ({'; '.join(tried)})")


# --------------------------------------------------------------------------- dual warm start
#: Standard levels tried, smallest first, as dual warm starts of a larger level (each one's words are a
#: subset of the next one's): see :func:`dual_start`.
DUAL_CHAIN = ("1", "1+ab", "2", "3")

#: SCS settings of the chain's intermediate solves (a warm start needs a good dual, not a certified one).
#: Measured on random 8x8 binary games (seeds 1-8) at level 2, total seconds per game: this chain
#: 0.11-1.56 s; a cap of 20 000 iterations 0.11-1.53 s (no better); "1+ab" alone 0.66-2.93 s; level 1
#: by Clarabel (an interior, not an extreme, dual point) 0.14-1.48 s but slower on most seeds.
DUAL_CHAIN_SCS = {"eps_abs": 1e-6, "eps_rel": 1e-6, "max_iters": 2000}


def embed_dual(ydual: NDArray[np.float64], small: MomentSDP, big: MomentSDP) -> NDArray[np.float64]:
    """A dual point of ``small`` (SCS rows) as a dual point of ``big``, a level with more words.

    With :math:`Y` padded by zeros on the new words, :math:`(\\lambda, Y)` satisfies the larger
    level's dual constraints exactly (a moment that appears only in new entries gets no weight, the
    others get the same as before), with the same objective: the smaller level's bound. Both SDPs
    must be in the plain word basis.
    """
    if small.basis != "plain" or big.basis != "plain":
        raise ValueError("embed_dual: both SDPs must be in the plain word basis")
    index = {w: i for i, w in enumerate(big.words)}
    emb = np.array([index[w] for w in small.words], dtype=np.int64)
    P = small.c0.size
    Ys = _unsvec(np.asarray(ydual)[P:], small.side, "scs")
    n = big.side
    Yb = np.zeros((n, n))
    Yb[np.ix_(emb, emb)] = Ys
    su, sv = np.triu_indices(n)
    return np.concatenate([np.asarray(ydual)[:P], Yb[su, sv] * np.where(su == sv, 1.0, math.sqrt(2.0))])


def dual_start(target: MomentSDP, shape: tuple[int, int, int, int], identify_adjoints: bool, w: NDArray[np.float64],
               strategy: tuple[NDArray[np.complex128], NDArray[np.complex128], NDArray[np.complex128]],
               time_left: float | None) -> tuple[NDArray[np.float64] | None, dict[str, Any]]:
    """A dual warm start for ``target`` from the smaller standard levels, solved in turn.

    Each level of :data:`DUAL_CHAIN` whose words are a proper subset of the target's is solved by SCS
    (:data:`DUAL_CHAIN_SCS`), started from the strategy's moments (primal) and the previous level's
    dual (:func:`embed_dual`); the last dual, embedded in the target, is returned with a record
    (levels, iterations, seconds). With an optimal see-saw strategy and a near-optimal dual, SCS on the
    target often stops within a few dozen iterations (random 8x8 binary games at level 2: 0-50
    instead of 350-900). ``(None, {})`` when no smaller level applies.
    """
    from .npa import moment_matrix_size

    t0 = time.perf_counter()
    if target.basis != "plain":
        return None, {}
    words = set(target.words)
    chain = []
    na, nb, nx, ny = shape
    for level in DUAL_CHAIN:
        if moment_matrix_size(level, (na, nb), (nx, ny), stop_above=target.side) >= target.side:
            continue  # not smaller: never built
        small = moment_sdp(shape, level, identify_adjoints)
        if small.side < target.side and set(small.words) <= words and small.basis == "plain":
            chain.append((level, small))
    if not chain:
        return None, {}
    state, alice, bob = strategy
    prev: tuple[NDArray[np.float64], MomentSDP] | None = None
    record: dict[str, Any] = {"levels": [], "iterations": []}
    for level, small in chain:
        if time_left is not None and time.perf_counter() - t0 > 0.25 * time_left:
            break  # the chain may use a quarter of the budget at most
        x0 = strategy_moments(small, shape, state, alice, bob)
        y0 = None if prev is None else embed_dual(prev[0], prev[1], small)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sol = _scs_solve(small, -(small.C.T @ w), dict(DUAL_CHAIN_SCS, verbose=False), x0, y0)
        if int(sol["info"]["status_val"]) == -5:  # Ctrl-C
            raise KeyboardInterrupt
        y = np.asarray(sol["y"], dtype=float)
        if not np.all(np.isfinite(y)):
            break
        prev = (y, small)
        record["levels"].append(level)
        record["iterations"].append(int(sol["info"]["iter"]))
    if prev is None:
        return None, {}
    record["time_s"] = time.perf_counter() - t0
    return embed_dual(prev[0], prev[1], target), record
