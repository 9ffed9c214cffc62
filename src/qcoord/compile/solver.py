"""Solve a compiled pair game: classical optimum, entangled strategy, NPA bound, NS value.

The classical optimum comes from :func:`qcoord.games.classical_value` and is cross-checked here by
an independent brute-force enumeration of all deterministic strategies (the games are small:
``2^(nx + ny)`` strategies), which also tells whether an optimal strategy is a *threshold rule*
(each server's decision is monotone in its class, classes ordered by demand) and yields the
classical frontier in the (mean waiting, split probability) plane used for shared randomness.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qcoord.games import DeterministicStrategy

from .compiler import CompiledGame, CompileError

__all__ = [
    "Solution",
    "solve",
    "enumerate_deterministic",
    "is_threshold_rule",
    "ClassicalFrontier",
    "classical_frontier",
]

#: Two values closer than this are treated as equal (ties between deterministic strategies).
TIE_ATOL = 1e-9


def enumerate_deterministic(nx: int, ny: int) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
    """All deterministic binary-answer strategies as arrays ``A[k, x]`` and ``B[k, y]``.

    Row ``k`` of the product enumerates ``alice = A[k // 2**ny]``, ``bob = B[k % 2**ny]``.
    """
    if nx > 12 or ny > 12:
        raise CompileError(f"questions: brute-force enumeration supports at most 12 per player, got ({nx}, {ny})")
    A = ((np.arange(2**nx)[:, None] >> np.arange(nx)[None, :]) & 1).astype(np.int8)
    B = ((np.arange(2**ny)[:, None] >> np.arange(ny)[None, :]) & 1).astype(np.int8)
    return A, B


def _table_sum(T: NDArray[np.float64], A: NDArray[np.int8], B: NDArray[np.int8]) -> NDArray[np.float64]:
    """``out[i, j] = sum_{x,y} T[A[i,x], B[j,y], x, y]`` for every pair of deterministic rules."""
    nx, ny = T.shape[2], T.shape[3]
    out = np.zeros((A.shape[0], B.shape[0]))
    for x in range(nx):
        for y in range(ny):
            out += T[A[:, x][:, None], B[:, y][None, :], x, y]
    return out


def is_threshold_rule(answers: tuple[int, ...] | NDArray[np.int8], num_classes: int | None = None) -> bool:
    """Whether a decision table is a threshold rule: monotone in the demand class.

    Parameters
    ----------
    answers : sequence of {0, 1}
        Decision per question. Questions are classes in increasing demand, or ``(class, level)``
        pairs in class-major order (``num_classes`` classes times ``len // num_classes`` levels);
        then the rule must be monotone in the class at every level.
    num_classes : int, optional
        Number of demand classes (default: every question is a class).

    Notes
    -----
    A threshold rule is "FORWARD iff class < k" or "FORWARD iff class >= k" for some k (constant
    rules included), the form the published analysis finds optimal at fixed p.
    """
    a = np.asarray(answers, dtype=int)
    k = a.size if num_classes is None else int(num_classes)
    if k <= 0 or a.size % k:
        raise CompileError(f"num_classes: must divide the number of questions {a.size}, got {num_classes}")
    table = a.reshape(k, a.size // k)
    for col in table.T:
        diff = np.diff(col)
        if not (np.all(diff >= 0) or np.all(diff <= 0)):
            return False
    return True


@dataclass(frozen=True, eq=False)
class ClassicalFrontier:
    """Lower convex hull of deterministic strategies in the (split probability, mean waiting) plane.

    Shared randomness reaches exactly the convex hull of deterministic strategies; its lower
    boundary is the classical frontier: the least mean waiting per customer reachable at each split
    probability ``p``.

    Attributes
    ----------
    split : ndarray, shape (m,)
        Split probabilities of the hull vertices, increasing (in general the expected interruption
        count that ``lam`` prices, :attr:`CompiledGame.interruptions`: under ``"idle_servers"``
        pricing, the idle servers that receive work minus one).
    waiting : ndarray, shape (m,)
        One-shot mean waiting per customer (time units) of the vertices, decreasing.
    strategies : tuple of DeterministicStrategy
        The vertex strategies (threshold rules preferred among ties).
    """

    split: NDArray[np.float64]
    waiting: NDArray[np.float64]
    strategies: tuple[DeterministicStrategy, ...]

    def mixture_at_split(self, p: float) -> tuple[list[DeterministicStrategy], list[float]]:
        """The shared-randomness mixture of (at most) two adjacent vertices with split probability p."""
        p = float(p)
        lo, hi = float(self.split[0]), float(self.split[-1])
        if not lo - 1e-12 <= p <= hi + 1e-12:
            raise CompileError(f"split: must lie in [{lo:.4g}, {hi:.4g}] (the classical frontier), got {p!r}")
        p = min(max(p, lo), hi)
        j = int(np.searchsorted(self.split, p, side="left"))
        if j == 0 or abs(self.split[j] - p) <= 1e-12:
            return [self.strategies[j]], [1.0]
        p0, p1 = self.split[j - 1], self.split[j]
        w1 = (p - p0) / (p1 - p0)
        return [self.strategies[j - 1], self.strategies[j]], [1.0 - w1, w1]

    def waiting_at_split(self, p: float) -> float:
        """Least one-shot mean waiting per customer at split probability ``p`` (linear on the hull)."""
        return float(np.interp(p, self.split, self.waiting))


def classical_frontier(compiled: CompiledGame) -> ClassicalFrontier:
    """The classical frontier of a compiled game (see :class:`ClassicalFrontier`).

    Computed by enumerating every deterministic strategy, mapping it to
    ``(p, W) = (sum pi [a=b], sum pi C / 2)`` and taking the lower convex hull (monotone chain).
    """
    nx, ny = compiled.game.prob.shape
    A, B = enumerate_deterministic(nx, ny)
    prob = compiled.game.prob[None, None]
    W = _table_sum(prob * compiled.cost / 2.0, A, B).ravel()
    P = _table_sum(prob * compiled.interruptions, A, B).ravel()
    idx = np.arange(W.size)
    # among equal (P, W) prefer threshold rules
    thr = np.array([is_threshold_rule(A[i // B.shape[0]]) and is_threshold_rule(B[i % B.shape[0]]) for i in idx])
    order = np.lexsort((~thr, W, P))
    pts: list[int] = []
    for i in order:
        # keep only the least W per P (first after sort), and build the lower hull
        if pts and abs(P[pts[-1]] - P[i]) <= TIE_ATOL:
            continue
        while len(pts) >= 2:
            i0, i1 = pts[-2], pts[-1]
            cross = (P[i1] - P[i0]) * (W[i] - W[i0]) - (W[i1] - W[i0]) * (P[i] - P[i0])
            if cross <= TIE_ATOL:
                pts.pop()
            else:
                break
        pts.append(int(i))
    # the frontier is the part where waiting decreases with p (more splits, less waiting)
    keep = [pts[0]]
    for i in pts[1:]:
        if W[i] < W[keep[-1]] - TIE_ATOL:
            keep.append(i)
    nb = B.shape[0]
    strategies = tuple(DeterministicStrategy(tuple(A[i // nb]), tuple(B[i % nb])) for i in keep)
    return ClassicalFrontier(split=P[keep].copy(), waiting=W[keep].copy(), strategies=strategies)


@dataclass(frozen=True, eq=False)
class Solution:
    """Every value of one compiled pair game.

    Attributes
    ----------
    compiled : CompiledGame
    classical : ClassicalResult
        Certified classical optimum from :func:`qcoord.games.classical_value`.
    classical_strategy : DeterministicStrategy
        An optimal deterministic strategy, a threshold rule whenever one is optimal.
    is_threshold : bool
        Whether an optimal deterministic strategy is a threshold rule (both players).
    brute_force_value : float
        Classical optimum by independent enumeration (cross-check of ``classical``).
    quantum : QuantumResult or None
        Best entangled strategy found (see-saw, qubits).
    npa : NPAResult or None
        NPA upper bound on the quantum value (level ``npa_level``).
    nonsignaling : NonsignalingResult or None
        No-signalling value.
    frontier : ClassicalFrontier
        Classical frontier of the game (for shared-randomness mixtures).
    timings : dict
        Seconds per solver.
    seed : int
        Seed of the see-saw.
    """

    compiled: CompiledGame
    classical: Any
    classical_strategy: DeterministicStrategy
    is_threshold: bool
    brute_force_value: float
    quantum: Any
    npa: Any
    nonsignaling: Any
    frontier: ClassicalFrontier
    timings: dict[str, float] = field(default_factory=dict)
    seed: int = 0

    @property
    def classical_value(self) -> float:
        """Classical optimum of the payoff."""
        return float(self.classical.value)

    @property
    def quantum_value(self) -> float:
        """Value of the best entangled strategy found (``nan`` if not solved)."""
        return float(self.quantum.value) if self.quantum is not None else float("nan")

    @property
    def npa_value(self) -> float:
        """NPA optimum as the solver returned it (``nan`` if not solved); within its tolerance."""
        return float(self.npa.value) if self.npa is not None else float("nan")

    @property
    def npa_bound(self) -> float:
        """Rigorous NPA upper bound (``NPAResult.certified_bound``, from the dual; ``nan`` if not solved).

        The solver's optimum :attr:`npa_value` may sit a solver tolerance (~1e-9) below an attained
        quantum value; this bound never does.
        """
        return float(self.npa.certified_bound) if self.npa is not None else float("nan")

    @property
    def nonsignaling_value(self) -> float:
        """No-signalling value (``nan`` if not solved)."""
        return float(self.nonsignaling.value) if self.nonsignaling is not None else float("nan")

    @property
    def advantage(self) -> float:
        """One-shot entangled advantage ``quantum - classical`` (payoff units)."""
        return self.quantum_value - self.classical_value

    @property
    def npa_gap(self) -> float:
        """How far the entangled strategy can be from optimal: ``npa_bound - quantum`` (>= 0)."""
        return self.npa_bound - self.quantum_value

    def entangled_description(self) -> dict[str, Any]:
        r"""The entangled strategy in words: Schmidt angle of the state and Bloch vectors.

        For a pure two-qubit state, the Schmidt decomposition
        :math:`\cos t\,|00\rangle + \sin t\,|11\rangle` (up to local unitaries) gives
        :math:`t = \arctan(s_2 / s_1)` from the singular values of the 2x2 coefficient matrix
        (:math:`t = 45^\circ`: maximally entangled). For each question, the Bloch vector
        :math:`(\mathrm{tr} A\sigma_x, \mathrm{tr} A\sigma_y, \mathrm{tr} A\sigma_z)` of the
        KEEP projector ``A = A^x_0`` (unit length for a rank-1 projector; zero for a trivial one).
        """
        if self.quantum is None:
            return {}
        st = self.quantum.strategy
        out: dict[str, Any] = {}
        if st.dims == (2, 2):
            rho = np.asarray(st.rho)
            w, v = np.linalg.eigh(rho)
            if w[-1] > 1 - 1e-9:  # pure
                sv = np.linalg.svd(v[:, -1].reshape(2, 2), compute_uv=False)
                out["schmidt_angle_deg"] = float(np.degrees(np.arctan2(sv[1], sv[0])))
            paulis = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]])

            def bloch(ops: NDArray[np.complex128]) -> list[list[float]]:
                return [[float(np.real(np.trace(op[0] @ p))) for p in paulis] for op in ops]

            out["alice_keep_bloch"] = bloch(np.asarray(st.alice))
            out["bob_keep_bloch"] = bloch(np.asarray(st.bob))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary of the values, strategies and timings."""
        q = self.quantum
        out: dict[str, Any] = {
            "lam": self.compiled.lam,
            "questions": list(self.compiled.game.question_names[0]),  # type: ignore[index]
            "classical_value": self.classical_value,
            "brute_force_value": self.brute_force_value,
            "classical_strategy": {
                "alice": list(self.classical_strategy.alice),
                "bob": list(self.classical_strategy.bob),
            },
            "is_threshold": self.is_threshold,
            "quantum_value": self.quantum_value,
            "npa_value": self.npa_value,
            "npa_bound": self.npa_bound,
            "npa_level": getattr(self.npa, "level", None) if self.npa is not None else None,
            "nonsignaling_value": self.nonsignaling_value,
            "advantage": self.advantage,
            "npa_gap": self.npa_gap,
            "timings": dict(self.timings),
            "seed": self.seed,
        }
        if q is not None:
            out["quantum_split_prob"] = self.compiled.split_prob(q.strategy.behaviour())
            out["quantum_waiting"] = self.compiled.waiting(q.strategy.behaviour())
            out["entangled_strategy"] = self.entangled_description()
        cs = self.classical_strategy.behaviour((2, 2))
        out["classical_split_prob"] = self.compiled.split_prob(cs)
        out["classical_waiting"] = self.compiled.waiting(cs)
        return out


def solve(
    compiled: CompiledGame,
    *,
    quantum: bool = True,
    npa_level: int | str = 2,
    nonsignaling: bool = True,
    restarts: int = 8,
    seed: int = 0,
) -> Solution:
    """Solve a compiled pair game with :mod:`qcoord.games`.

    Parameters
    ----------
    compiled : CompiledGame
    quantum : bool
        Run the see-saw (qubit strategies) for the best entangled strategy.
    npa_level : int or str or None
        NPA level for the upper bound (``None`` skips it).
    nonsignaling : bool
        Compute the no-signalling value.
    restarts, seed : int
        See-saw restarts and seed (``numpy.random.SeedSequence`` entropy).

    Returns
    -------
    Solution
    """
    from qcoord import games as G

    game = compiled.game
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    classical = G.classical_value(game)
    timings["classical"] = time.perf_counter() - t0

    # independent enumeration: the optimum, and whether a threshold rule attains it
    t0 = time.perf_counter()
    nx, ny = game.prob.shape
    A, B = enumerate_deterministic(nx, ny)
    vals = _table_sum(game.weights, A, B)
    best = float(vals.max())
    ii, jj = np.nonzero(vals >= best - 1e-9)
    chosen = None
    ncls = int(compiled.scenario.num_classes)
    for i, j in zip(ii, jj):
        if is_threshold_rule(A[i], ncls) and is_threshold_rule(B[j], ncls):
            chosen = DeterministicStrategy(tuple(A[i]), tuple(B[j]))
            break
    is_thr = chosen is not None
    if chosen is None:
        chosen = DeterministicStrategy(tuple(A[ii[0]]), tuple(B[jj[0]]))
    timings["enumeration"] = time.perf_counter() - t0
    if abs(best - float(classical.value)) > 1e-7 * max(1.0, abs(best)):
        raise CompileError(
            f"classical: games.classical_value gave {float(classical.value)!r} but enumeration of all "
            f"deterministic strategies gives {best!r}"
        )

    q = npa = ns = None
    if quantum:
        t0 = time.perf_counter()
        q = G.quantum_lower_bound(game, dim=2, restarts=restarts, seed=seed)
        timings["quantum"] = time.perf_counter() - t0
    if npa_level is not None:
        t0 = time.perf_counter()
        npa = G.npa_upper_bound(game, level=npa_level)
        timings["npa"] = time.perf_counter() - t0
    if nonsignaling:
        t0 = time.perf_counter()
        ns = G.nonsignaling_value(game)
        timings["nonsignaling"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fr = classical_frontier(compiled)
    timings["frontier"] = time.perf_counter() - t0
    return Solution(
        compiled=compiled,
        classical=classical,
        classical_strategy=chosen,
        is_threshold=is_thr,
        brute_force_value=best,
        quantum=q,
        npa=npa,
        nonsignaling=ns,
        frontier=fr,
        timings=timings,
        seed=int(seed),
    )
