"""Symmetry-reduced NPA: the moment SDP restricted to group-invariant moments, block-diagonalised.

:func:`qcoord.games.npa_upper_bound` (``symmetry="auto"``, the default) uses this module when the game
has a non-trivial symmetry group (:func:`qcoord.games.symmetry.game_symmetries`).

Why it is exact
---------------
A symmetry :math:`g` relabels questions and answers; it maps a feasible moment vector :math:`y` of the
NPA relaxation to a feasible :math:`g \\cdot y` of the same value, so the group average
:math:`\\bar y` of an optimum is an optimum, and it is *invariant*. The SDP may therefore be restricted
to invariant moments, :math:`y = N z` (:math:`N` a basis of the invariant subspace, ``r`` columns).
For invariant :math:`y` the moment matrix commutes with the group's action on words, so in a suitable
basis :math:`M` it is block diagonal, :math:`M\\,\\Gamma(y)\\,M^\\top = \\bigoplus_b \\Gamma_b(z)`, and
:math:`\\Gamma \\succeq 0 \\iff \\Gamma_b \\succeq 0` for every block. ``chsh_d(5)`` at ``"1+ab"``:
side 441 and 58 360 moments become blocks of side at most a few dozen and ``r`` in the hundreds.

How it is computed
------------------
The group acts on Collins-Gisin (CG) words *linearly* (a dropped answer :math:`A_{k-1|x} = 1 - \\sum_a
A_{a|x}` is not a CG projector), but it *permutes* full-projector (FP) words, the words over all
:math:`k` answers: that is why the structure is computed in the FP picture. With :math:`E` the
expansion of FP words into CG words (``n_fp x n``, full column rank), :math:`\\Gamma_{FP} = E\\,\\Gamma\\,
E^\\top`, and

* the *orbits* of FP word pairs under the generators (and transposition) are the orbital basis of the
  commutant: the Reynolds average of :math:`\\Gamma_{FP}` is its mean over each orbit;
* the invariant moments are the range of :math:`K`, the Reynolds map in orbit coordinates (a small dense
  matrix, ranked by an SVD);
* the blocks are the eigenspaces of a random symmetric element :math:`X` of the group algebra
  (a combination of permutation matrices of random group elements) restricted to
  :math:`\\mathrm{range}(E)`, merged along the non-zeros of a random invariant moment matrix written in
  that eigenbasis (Murota et al. [1]_). A wrong split cannot go unnoticed: two random invariant
  matrices must be block diagonal to 1e-9, else the full SDP is solved.

Certificate
-----------
The reduced problem's dual (:math:`\\lambda`, :math:`Y_b`) gives :math:`Y = \\sum_b M_b^\\top Y_b M_b
\\succeq 0` for the full SDP; it is averaged over the group (orbit means of :math:`E^{+\\top} Y E^+`,
mapped back by :math:`E^\\top \\cdot E`, which keeps it positive semidefinite) and passed to the same
rigorous weak-duality bound as the full problem
(:func:`qcoord.games._npa_conic.certified_bound`). The bound is therefore valid whatever the symmetry
computation did; a wrong reduction could only make it loose, and the primal point is checked in the
full SDP (its smallest eigenvalue is recorded).

References
----------
.. [1] K. Murota, Y. Kanno, M. Kojima and S. Kojima, "A numerical algorithm for block-diagonal
   decomposition of matrix *-algebras with application to semidefinite programming", Japan J. Indust.
   Appl. Math. 27, 125-160 (2010).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from ._npa_conic import ConicSolution, MomentSDP, _unsvec, certified_bound, clarabel_settings
from .symmetry import GameSymmetry

#: Off-block entries of a random invariant moment matrix in the block basis must be below this
#: (relative to its largest entry), else the reduction is refused and the full SDP is solved.
BLOCK_TOL = 1e-9

#: Random group elements in the group-algebra element whose eigenspaces give the blocks.
ALGEBRA_SAMPLES = 24

#: The reduction is attempted while the FP moment matrix has at most this side (its pair orbits are
#: computed on side**2 nodes).
MAX_FP_SIDE = 2500


#: Clarabel attempts on the reduced SDP: its defaults (gap and feasibility 1e-8), then 1e-7.
REDUCED_ATTEMPTS: tuple[dict[str, float], ...] = ({}, {"tol_gap_abs": 1e-7, "tol_gap_rel": 1e-7, "tol_feas": 1e-7})


@dataclass(frozen=True, eq=False)
class ReducedSDP:
    """The symmetry-reduced form of one :class:`~qcoord.games._npa_conic.MomentSDP`.

    Attributes
    ----------
    order : int
        The symmetry group's order.
    num_variables : int
        ``r``, the dimension of the invariant moment subspace (without the identity).
    blocks : tuple of int
        The sides of the blocks kept: one per class of congruent copies.
    copies : tuple of int
        How many congruent copies each kept block stands for.
    all_blocks : tuple of int
        Every block side (they add up to the moment matrix side).
    y0, N : ndarray
        Invariant moments are ``y = y0 + N z`` (``y0`` the invariant point with all free parts zero).
    block_basis : tuple of ndarray
        ``M_b`` (``|b| x n``): block ``b`` is ``M_b Gamma(y) M_b^T``.
    block_const, block_lin : tuple of ndarray
        ``vec(Gamma_b(z)) = block_const[b] + block_lin[b] @ z`` (full ``|b| x |b|`` matrices, row-major).
    fp_expansion : sparse matrix
        :math:`E`, FP words in CG words.
    fp_pinv : ndarray
        A left inverse :math:`E^+` of :math:`E`.
    pair_orbit : ndarray of int
        Orbit label of every FP pair ``u * n_fp + v``.
    behaviour_orbit : ndarray of int
        Orbit label of every behaviour entry (raveled ``p[a, b, x, y]``).
    """

    order: int
    num_variables: int
    blocks: tuple[int, ...]
    copies: tuple[int, ...]
    all_blocks: tuple[int, ...]
    y0: NDArray[np.float64]
    N: NDArray[np.float64]
    block_basis: tuple[NDArray[np.float64], ...]
    block_const: tuple[NDArray[np.float64], ...]
    block_lin: tuple[NDArray[np.float64], ...]
    fp_expansion: sp.csr_matrix
    fp_pinv: NDArray[np.float64]
    pair_orbit: NDArray[np.int64]
    behaviour_orbit: NDArray[np.int64]
    timings: dict[str, float] = field(default_factory=dict)

    def size(self) -> dict[str, Any]:
        """Group order, invariant variables and block sides (largest first)."""
        sides = sorted(self.blocks, reverse=True)
        return {"group_order": self.order, "variables": self.num_variables, "blocks": len(self.all_blocks),
                "distinct_blocks": len(sides), "largest_block": sides[0] if sides else 0, "block_sides": sides}


class SymmetryNotApplicable(Exception):
    """The reduction cannot be built for this level or group (the full SDP is solved instead)."""


# --------------------------------------------------------------------------- FP words
def _fp_words(sdp: MomentSDP, shape: tuple[int, int, int, int]) -> tuple[list[tuple[tuple[int, ...], tuple[int, ...]]], NDArray[np.int64]]:
    """FP words (labels ``x * k + a``) with the question patterns of the level's CG words, and the FP
    index of every CG word."""
    na, nb, _, _ = shape
    patterns = sorted({(tuple(o // (na - 1) for o in wa), tuple(o // (nb - 1) for o in wb)) for wa, wb in sdp.words},
                      key=lambda p: (len(p[0]) + len(p[1]), len(p[0]), p))
    words: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    for qa, qb in patterns:
        for outs_a in np.ndindex(*([na] * len(qa))):
            for outs_b in np.ndindex(*([nb] * len(qb))):
                words.append((tuple(x * na + a for x, a in zip(qa, outs_a)), tuple(y * nb + b for y, b in zip(qb, outs_b))))
    index = {w: i for i, w in enumerate(words)}
    cg_to_fp = np.empty(sdp.side, dtype=np.int64)
    for i, (wa, wb) in enumerate(sdp.words):
        fa = tuple((o // (na - 1)) * na + o % (na - 1) for o in wa)
        fb = tuple((o // (nb - 1)) * nb + o % (nb - 1) for o in wb)
        cg_to_fp[i] = index[(fa, fb)]
    return words, cg_to_fp


def _expansion(sdp: MomentSDP, shape: tuple[int, int, int, int], fp_words: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> sp.csr_matrix:
    """:math:`E`: row ``u`` holds FP word ``u`` as a combination of the level's CG words."""
    from .npa import _reduce

    na, nb, nx, ny = shape
    qa = [x for x in range(nx) for _ in range(na - 1)]
    qb = [y for y in range(ny) for _ in range(nb - 1)]
    cg_index = {w: i for i, w in enumerate(sdp.words)}

    def expand(word: tuple[int, ...], k: int, q: list[int]) -> dict[tuple[int, ...], float]:
        terms: dict[tuple[int, ...], float] = {(): 1.0}
        for lab in word:
            x, a = divmod(lab, k)
            ops = [(1.0, x * (k - 1) + a)] if a < k - 1 else [(1.0, None)] + [(-1.0, x * (k - 1) + a2) for a2 in range(k - 1)]
            new: dict[tuple[int, ...], float] = {}
            for seq, c in terms.items():
                for s, op in ops:
                    key = seq if op is None else seq + (op,)
                    new[key] = new.get(key, 0.0) + c * s
            terms = new
        out: dict[tuple[int, ...], float] = {}
        for seq, c in terms.items():
            r = _reduce(seq, q)
            if r is not None and c != 0.0:
                out[r] = out.get(r, 0.0) + c
        return out

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for u, (fa, fb) in enumerate(fp_words):
        for ra, ca in expand(fa, na, qa).items():
            for rb, cb in expand(fb, nb, qb).items():
                if ca * cb == 0.0:
                    continue
                j = cg_index.get((ra, rb))
                if j is None:  # the level's words are not closed under sub-words
                    raise SymmetryNotApplicable("the level's words are not closed under sub-words")
                rows.append(u)
                cols.append(j)
                vals.append(ca * cb)
    E = sp.csr_matrix((vals, (rows, cols)), shape=(len(fp_words), sdp.side))
    E.sum_duplicates()
    E.eliminate_zeros()
    return E


def _word_permutations(sym: GameSymmetry, fp_words: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> NDArray[np.int64]:
    """Every generator as a permutation of the FP words (shape ``(k, n_fp)``)."""
    index = {w: i for i, w in enumerate(fp_words)}
    perms = np.empty((sym.num_generators, len(fp_words)), dtype=np.int64)
    for g in range(sym.num_generators):
        pa, pb = sym.alice[g], sym.bob[g]
        for u, (fa, fb) in enumerate(fp_words):
            image = (tuple(int(pa[o]) for o in fa), tuple(int(pb[o]) for o in fb))
            j = index.get(image)
            if j is None:
                raise SymmetryNotApplicable("the level's words are not closed under the symmetry group")
            perms[g, u] = j
    return perms


def _orbits(n: int, maps: Sequence[NDArray[np.int64]]) -> NDArray[np.int64]:
    """Orbit label of each of ``n`` points under the group generated by the given index maps."""
    src = np.concatenate([np.arange(n, dtype=np.int64)] * len(maps))
    dst = np.concatenate(maps)
    graph = sp.coo_matrix((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="weak")
    return labels.astype(np.int64)


# --------------------------------------------------------------------------- reduction
def _full_positions(sdp: MomentSDP) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Both triangles of the non-zero entries of Gamma: (row, column, moment or -1 for the identity)."""
    off = sdp.rows != sdp.cols
    return (np.concatenate([sdp.rows, sdp.cols[off]]), np.concatenate([sdp.cols, sdp.rows[off]]),
            np.concatenate([sdp.moment, sdp.moment[off]]))


def build_reduction(sdp: MomentSDP, shape: tuple[int, int, int, int], sym: GameSymmetry, seed: int = 0) -> ReducedSDP:
    """Build the symmetry-reduced SDP data (see the module docstring).

    Raises
    ------
    SymmetryNotApplicable
        If the group is trivial, the level's words are not closed under the group or under sub-words,
        the FP side exceeds :data:`MAX_FP_SIDE`, or the block check fails.
    """
    t0 = time.perf_counter()
    if sym.trivial:
        raise SymmetryNotApplicable("the game has no symmetry")
    na, nb, nx, ny = shape
    rng = np.random.default_rng(seed)
    fp_words, cg_to_fp = _fp_words(sdp, shape)
    nf, n, m = len(fp_words), sdp.side, sdp.num_moments
    if nf > MAX_FP_SIDE:
        raise SymmetryNotApplicable(f"the full-projector moment matrix would have side {nf} > {MAX_FP_SIDE}")
    E = _expansion(sdp, shape, fp_words)
    perms = _word_permutations(sym, fp_words)
    t1 = time.perf_counter()

    # orbits of FP word pairs (u, v) -> u * nf + v under the generators and transposition
    uu, vv = np.divmod(np.arange(nf * nf, dtype=np.int64), nf)
    maps = [perms[g][uu] * nf + perms[g][vv] for g in range(perms.shape[0])] + [vv * nf + uu]
    pair_orbit = _orbits(nf * nf, maps)
    n_orb = int(pair_orbit.max()) + 1
    orbit_size = np.bincount(pair_orbit, minlength=n_orb).astype(float)

    # positions of Gamma (both triangles) and their FP orbits; "visible" orbits hold a CG position
    pi, pj, pm = _full_positions(sdp)
    pos_orbit = pair_orbit[cg_to_fp[pi] * nf + cg_to_fp[pj]]
    visible, pos_vis = np.unique(pos_orbit, return_inverse=True)
    V = visible.size
    mom = np.where(pm < 0, m, pm)  # moment index, the identity as index m
    t2 = time.perf_counter()

    # Zf: moments (m + 1) -> mean of Gamma_FP over each visible orbit
    Ecsc = E.tocsc()
    col_ptr, col_idx, col_val = Ecsc.indptr, Ecsc.indices, Ecsc.data
    cnt_i = np.diff(col_ptr)[pi]
    cnt_j = np.diff(col_ptr)[pj]
    reps = cnt_i * cnt_j
    e_id = np.repeat(np.arange(pi.size), reps)
    start = np.concatenate([[0], np.cumsum(reps)[:-1]])
    k = np.arange(e_id.size) - np.repeat(start, reps)
    ki, kj = np.divmod(k, np.repeat(cnt_j, reps))
    ui = col_ptr[pi][e_id] + ki
    vj = col_ptr[pj][e_id] + kj
    fp_pair = col_idx[ui].astype(np.int64) * nf + col_idx[vj]
    coef = col_val[ui] * col_val[vj]
    orb_t = pair_orbit[fp_pair]
    vis_of = np.full(n_orb, -1, dtype=np.int64)
    vis_of[visible] = np.arange(V)
    keep = vis_of[orb_t] >= 0
    Zf = sp.csr_matrix((coef[keep] / orbit_size[orb_t[keep]], (vis_of[orb_t[keep]], mom[e_id[keep]])), shape=(V, m + 1))
    # Read: orbit values -> moments (mean over each moment's positions)
    mom_count = np.bincount(mom, minlength=m + 1).astype(float)
    Read = sp.csr_matrix((1.0 / mom_count[mom], (mom, pos_vis)), shape=(m + 1, V))
    K = np.asarray((Zf @ Read).todense())
    U, s, _ = np.linalg.svd(K)
    rank = int(np.sum(s > 1e-9 * s[0]))
    basis = U[:, :rank]  # orbit values of the invariant subspace
    # the identity moment is fixed at 1: c0 = K e_id (its own orbit has value 1), the rest have c_id = 0
    id_vis = vis_of[pair_orbit[cg_to_fp[0] * nf + cg_to_fp[0]]]
    c0 = np.asarray(Zf[:, m].todense()).ravel()
    if not abs(c0[id_vis] - 1.0) < 1e-9:
        raise SymmetryNotApplicable("the identity's orbit is not fixed")
    free = basis - np.outer(c0, basis[id_vis])
    Uf, sf, _ = np.linalg.svd(free, full_matrices=False)
    r = int(np.sum(sf > 1e-9 * max(sf[0], 1.0)))
    Cfree = Uf[:, :r]
    y0 = np.asarray(Read @ c0).ravel()[:m]
    Nmat = np.asarray(Read @ Cfree)[:m]
    t3 = time.perf_counter()

    # blocks: eigenspaces of a random symmetric group-algebra element on range(E)
    Ed = E.toarray()
    Wq, _ = np.linalg.qr(Ed)
    X = np.zeros((nf, nf))
    cur = np.arange(nf)
    for _ in range(ALGEBRA_SAMPLES):
        for _ in range(int(rng.integers(1, 6))):
            cur = perms[int(rng.integers(perms.shape[0]))][cur]
        c = rng.standard_normal()
        X[np.arange(nf), cur] += c
        X[cur, np.arange(nf)] += c
    Xr = Wq.T @ X @ Wq
    _, Qe = np.linalg.eigh(0.5 * (Xr + Xr.T))
    Mfull = Qe.T @ (Wq.T @ Ed)  # M Gamma M^T = Q' W' Gamma_FP W Q'

    def invariant_gamma(z: NDArray[np.float64]) -> NDArray[np.float64]:
        G = np.zeros((n, n))
        G[pi, pj] = (c0 + Cfree @ z)[pos_vis]  # an invariant moment matrix holds its orbit's value
        return G

    pattern = np.zeros((n, n))
    for _ in range(2):
        Y = Mfull @ invariant_gamma(rng.standard_normal(r)) @ Mfull.T
        pattern += np.abs(Y) / np.abs(Y).max()
    ncomp, comp = connected_components(sp.csr_matrix(pattern > 1e-7), directed=False)
    blocks = [np.flatnonzero(comp == c) for c in range(ncomp)]
    # check with a fresh invariant matrix: off-block mass must vanish
    Y = Mfull @ invariant_gamma(rng.standard_normal(r)) @ Mfull.T
    mask = comp[:, None] == comp[None, :]
    if np.abs(Y[~mask]).max(initial=0.0) > BLOCK_TOL * np.abs(Y).max():
        raise SymmetryNotApplicable("the block structure did not pass its check")
    t4 = time.perf_counter()

    # block data: Gamma_b(z) = M_b Gamma(c0 + Cfree z) M_b^T, one dense congruence per direction
    bases = [Mfull[idx] for idx in blocks]
    consts = [np.empty(idx.size * idx.size) for idx in blocks]
    lins = [np.empty((idx.size * idx.size, r)) for idx in blocks]
    directions = np.column_stack([c0, Cfree])  # (V, r + 1)
    step = max(1, int(4e7 // (n * n)))
    for j0 in range(0, r + 1, step):
        cols = directions[:, j0:j0 + step]
        G = np.zeros((cols.shape[1], n, n))
        G[:, pi, pj] = cols[pos_vis].T
        Yb = Mfull @ G @ Mfull.T
        for bi, idx in enumerate(blocks):
            sub = Yb[:, idx[:, None], idx[None, :]].reshape(cols.shape[1], -1)
            for jj in range(cols.shape[1]):
                if j0 + jj == 0:
                    consts[bi][:] = sub[jj]
                else:
                    lins[bi][:, j0 + jj - 1] = sub[jj]
    # congruent copies of one irreducible block carry the same constraint: keep one of each
    # (same side and spectrum at two random points; keeping fewer blocks could only loosen the bound,
    # and the certificate is computed in the full SDP anyway)
    zs = rng.standard_normal((r, 2))
    scale = max(float(np.abs(c).max(initial=0.0)) for c in consts) + max(float(np.abs(l).max(initial=0.0)) for l in lins)
    seen: dict[tuple[Any, ...], int] = {}
    keep_blocks: list[int] = []
    copies: list[int] = []
    for bi, idx in enumerate(blocks):
        side = idx.size
        sig = [side]
        for t in range(zs.shape[1]):
            Mz = (consts[bi] + lins[bi] @ zs[:, t]).reshape(side, side)
            sig.extend(np.round(np.linalg.eigvalsh(0.5 * (Mz + Mz.T)) / scale, 7).tolist())
        key_sig = tuple(sig)
        if key_sig in seen:
            copies[seen[key_sig]] += 1
            continue
        seen[key_sig] = len(keep_blocks)
        keep_blocks.append(bi)
        copies.append(1)
    tiny = 1e-13 * scale
    bases = [bases[i] for i in keep_blocks]
    consts = [np.where(np.abs(consts[i]) < tiny, 0.0, consts[i]) for i in keep_blocks]
    lins = [np.where(np.abs(lins[i]) < tiny, 0.0, lins[i]) for i in keep_blocks]
    all_sides = tuple(int(i.size) for i in blocks)
    blocks = [blocks[i] for i in keep_blocks]

    # behaviour orbits (for averaging the multipliers of p >= 0)
    a, b, x, y = (g.ravel() for g in np.meshgrid(np.arange(na), np.arange(nb), np.arange(nx), np.arange(ny), indexing="ij"))
    beh_maps = []
    for g in range(sym.num_generators):
        la, lb = sym.alice[g][x * na + a], sym.bob[g][y * nb + b]
        beh_maps.append(np.ravel_multi_index((la % na, lb % nb, la // na, lb // nb), shape))
    beh_orbit = _orbits(na * nb * nx * ny, beh_maps)
    pinv = np.linalg.solve(Ed.T @ Ed, Ed.T)
    t5 = time.perf_counter()
    for arr in (y0, Nmat, pair_orbit, beh_orbit, pinv, *bases, *consts, *lins):
        arr.setflags(write=False)
    return ReducedSDP(
        order=sym.order, num_variables=r, blocks=tuple(int(i.size) for i in blocks), copies=tuple(copies),
        all_blocks=all_sides, y0=y0, N=Nmat,
        block_basis=tuple(bases), block_const=tuple(consts), block_lin=tuple(lins), fp_expansion=E, fp_pinv=pinv,
        pair_orbit=pair_orbit, behaviour_orbit=beh_orbit,
        timings={"words": t1 - t0, "orbits": t2 - t1, "invariants": t3 - t2, "blocks": t4 - t3, "data": t5 - t4},
    )


_CACHE: dict[tuple[Any, ...], ReducedSDP] = {}
_CACHE_SIZE = 8


def cached_reduction(sdp: MomentSDP, shape: tuple[int, int, int, int], level: str, identify_adjoints: bool,
                     sym: GameSymmetry) -> ReducedSDP:
    """:func:`build_reduction`, cached per (shape, level, adjoint rule, group generators)."""
    key = (shape, level, bool(identify_adjoints), sym.alice.tobytes(), sym.bob.tobytes())
    red = _CACHE.get(key)
    if red is None:
        red = build_reduction(sdp, shape, sym)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = red
    return red


# --------------------------------------------------------------------------- solve
def _svec_rows(side: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Row-major full-matrix positions of Clarabel's svec (upper triangle by columns) and their scale."""
    c, r = np.tril_indices(side)  # (row r <= column c), ordered by column then row
    return r * side + c, np.where(r == c, 1.0, math.sqrt(2.0))


def _problem(sdp: MomentSDP, red: ReducedSDP, w: NDArray[np.float64]) -> tuple[Any, ...]:
    """Clarabel data ``(q, A, b, cones, behaviour representatives)`` of the reduced SDP for weights ``w``."""
    import clarabel

    # p = C (y0 + N z) + c0 is constant on each behaviour orbit: one row per orbit
    reps = np.unique(red.behaviour_orbit, return_index=True)[1]
    Cr = sdp.C[reps]
    A_lin = -np.asarray(Cr @ red.N)
    b_lin = np.asarray(Cr @ red.y0).ravel() + sdp.c0[reps]
    A_parts, b_parts = [A_lin], [b_lin]
    cones = [clarabel.NonnegativeConeT(int(reps.size))]
    for side, const, lin in zip(red.blocks, red.block_const, red.block_lin):
        pos, scale = _svec_rows(side)
        A_parts.append(-(lin[pos] * scale[:, None]))
        b_parts.append(const[pos] * scale)
        cones.append(clarabel.PSDTriangleConeT(side) if side > 1 else clarabel.NonnegativeConeT(1))
    q = -np.asarray(red.N.T @ (sdp.C.T @ w)).ravel()
    return q, sp.csc_matrix(np.vstack(A_parts)), np.concatenate(b_parts), cones, reps


def _symmetrised_dual(sdp: MomentSDP, red: ReducedSDP, lam_rep: NDArray[np.float64], reps: NDArray[np.int64],
                      Yblocks: Sequence[NDArray[np.float64]]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The full SDP's dual ``(lambda, Y)`` of a reduced dual point, averaged over the group."""
    orbit = red.behaviour_orbit
    size = np.bincount(orbit).astype(float)
    lam_orbit = np.zeros(size.size)
    lam_orbit[orbit[reps]] = np.clip(lam_rep, 0.0, None)
    lam = lam_orbit[orbit] / size[orbit]  # the orbit's multiplier shared by its equal rows
    Y = sum(Mb.T @ Yb @ Mb for Mb, Yb in zip(red.block_basis, Yblocks))
    Yfp = red.fp_pinv.T @ Y @ red.fp_pinv
    po = red.pair_orbit
    mean = np.bincount(po, weights=Yfp.ravel()) / np.bincount(po)
    Ybar = mean[po].reshape(Yfp.shape)
    E = red.fp_expansion
    Ysym = np.asarray(E.T @ np.asarray(E.T @ Ybar).T)  # E' Ybar E (Ybar symmetric)
    return lam, 0.5 * (Ysym + Ysym.T)


def solve_reduced(sdp: MomentSDP, red: ReducedSDP, w: NDArray[np.float64], time_limit: float | None) -> tuple[ConicSolution, float]:
    """Solve the symmetry-reduced SDP with Clarabel (interior point; the blocks are small).

    Returns
    -------
    (ConicSolution, float)
        The solution in the full SDP's moments (``certified_bound`` from the group-averaged dual, see
        the module docstring) and the smallest eigenvalue of the full moment matrix at the returned
        point (``>= -1e-7`` for a feasible point).
    """
    import clarabel

    from .npa import SolverError

    q, A, b, cones, reps = _problem(sdp, red, w)
    label, status, best = "", "", None
    for opts in REDUCED_ATTEMPTS:
        settings = clarabel_settings(opts, time_limit)
        r = q.size
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sol = clarabel.DefaultSolver(sp.csc_matrix((r, r)), q, A, b, cones, settings).solve()
        text = str(sol.status)
        label = "CLARABEL(symmetry" + (", " + ", ".join(f"{k}={v:g}" for k, v in opts.items()) if opts else "") + ")"
        status = {"Solved": "optimal", "AlmostSolved": "optimal_inaccurate"}.get(text, text)
        if status in ("optimal", "optimal_inaccurate"):
            best = sol
            if status == "optimal":
                break
        if text == "MaxTime":
            break
    if best is None:
        raise SolverError(f"the symmetry-reduced SDP: Clarabel returned {status!r}")
    z = np.asarray(best.x, dtype=float)
    dual = np.asarray(best.z, dtype=float)
    y = red.y0 + red.N @ z
    nrep = reps.size
    lam_rep, off = dual[:nrep], nrep
    Yblocks = []
    for side in red.blocks:
        k = side * (side + 1) // 2
        Yblocks.append(_unsvec(dual[off:off + k], side, "clarabel") if side > 1 else dual[off:off + 1].reshape(1, 1))
        off += k
    lam, Y = _symmetrised_dual(sdp, red, lam_rep, reps, Yblocks)
    bound = certified_bound(sdp, w, lam, Y)
    value = float(w @ (sdp.C @ y + sdp.c0))
    G = np.zeros((sdp.side, sdp.side))
    vals = np.concatenate([y, [1.0]])[np.where(sdp.moment < 0, sdp.num_moments, sdp.moment)]
    G[sdp.rows, sdp.cols] = vals
    G[sdp.cols, sdp.rows] = vals
    min_eig = float(np.linalg.eigvalsh(G)[0])
    from .npa import solver_tolerance

    return ConicSolution(label, status, solver_tolerance("CLARABEL", {}), value, y, bound), min_eig
