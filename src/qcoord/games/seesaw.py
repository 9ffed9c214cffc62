"""Lower bounds on the quantum value: the see-saw over states and projective measurements.

For a fixed local dimension :math:`d` the see-saw (alternating optimisation, [LD07]_) maximises

.. math::

    \\omega(\\psi, A, B) = \\sum_{a,b,x,y} \\pi(x,y) V(a,b,x,y)\\,
        \\langle\\psi| A^x_a \\otimes B^y_b |\\psi\\rangle

one block at a time, each block *exactly*:

1. **Alice** (state and Bob fixed). The value is :math:`\\sum_{x,a} \\mathrm{tr}[A^x_a M^x_a]` with
   :math:`M^x_a = \\sum_{y,b} W[a,b,x,y]\\, \\Psi (B^y_b)^T \\Psi^\\dagger`. With two answers the best
   projective measurement is :math:`A^x_0` = the projector on the positive eigenspace of
   :math:`M^x_0 - M^x_1`; for qubits that is a closed form in the 2x2 entries (no eigen-solver).
   With more answers, pairs of projectors are re-split exactly within their joint subspace (a block
   coordinate ascent over projective measurements; see
   :func:`qcoord.games._seesaw_kernels.improve_measurements`).
2. **Bob**, symmetrically.
3. **State** (measurements fixed): the top eigenvector of the Bell operator
   :math:`G = \\sum W[a,b,x,y] A^x_a \\otimes B^y_b`; the value is its top eigenvalue. The state is not
   forced to be maximally entangled, so partially entangled optima are found.

Each step cannot decrease the value, so each restart converges (to a local optimum). Restarts are
batched as arrays: one NumPy call updates all restarts at once. One restart starts from the classical
optimum (a product state :math:`|0\\rangle|0\\rangle` with diagonal projectors reproducing the optimal
deterministic strategy), so the result is never below the classical value.

**Fixed maximally entangled state** (``state="bell"``): the state is held at
:math:`|\\Phi^+_d\\rangle = \\frac{1}{\\sqrt d}\\sum_{i<d} |ii\\rangle` (what a quantum network delivers,
e.g. NetQASM's EPR pairs) and only the measurement steps 1-2 alternate. With :math:`\\Psi = I/\\sqrt d`
the value is :math:`\\frac1d \\sum W[a,b,x,y]\\, \\mathrm{tr}[A^x_a (B^y_b)^T]`. The classical start uses the
trivial projectors :math:`A^x_{a} = I` for the optimal deterministic answer (so the value is again never
below the classical value), and the result reports ``free_value``, the unconstrained see-saw's value
from the same seed (started also from the constrained optimum, so ``free_value >= value``), and
``value_lost = free_value - value``.

Scope: projective measurements of local dimension ``dim`` (every POVM strategy is a projective one
in a larger dimension, so a larger ``dim`` also covers POVMs); ``povm=True`` adds a final see-saw
over general POVMs at the same ``dim`` (one SDP per measurement step) on the best run.

References
----------
.. [LD07] Y.-C. Liang, A. C. Doherty, "Bounds on quantum correlations in Bell-inequality
   experiments", Phys. Rev. A 75, 042103 (2007).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from numpy.typing import NDArray

from . import _seesaw_kernels as K
from .game import Game, GameError, check_int, seed_sequence
from .strategy import DeterministicStrategy, QuantumStrategy

__all__ = ["QuantumResult", "quantum_lower_bound", "memory_estimate"]

DEFAULT_RESTARTS = 16
DEFAULT_TOL = 1e-10
DEFAULT_MAX_ITER = 3000
#: Largest local dimension accepted. The state step builds and diagonalises each run's Bell
#: operator, a ``d^2 x d^2`` complex matrix (``16 d^4`` bytes: 64 GiB per run at d = 256), so the
#: memory, not this cap, limits ``dim`` in practice: :func:`memory_estimate` is checked against the
#: available memory before anything is allocated.
MAX_DIM = 256
#: Bytes of one complex128 entry.
_COMPLEX = 16


def memory_estimate(shape: tuple[int, int, int, int], dim: int, runs: int) -> int:
    """Peak bytes of the batched see-saw on a game of ``shape = (na, nb, nx, ny)`` (an upper estimate).

    With ``R = runs`` (random restarts plus the classical and ``initial`` starts) and ``D = dim^2``:

    - the state step: each run's Bell operator (``D x D`` complex), the transposed copy of the
      contraction that builds it, its Hermitian part, the eigenvectors and LAPACK's workspace:
      ``16 D^2 (6 R + 4)`` bytes (measured peaks: 3.5-4.9 Bell operators per run);
    - the measurement steps: ``R x (nx na + ny nb)`` complex ``dim x dim`` operators, their effective
      operators, copies and ``eigh`` workspaces: ``16 dim^2 R (nx na + ny nb) x 12`` bytes;
    - the states: ``16 D R x 4`` bytes.
    """
    na, nb, nx, ny = shape
    d2 = int(dim) ** 2
    R = max(int(runs), 1)
    bell = _COMPLEX * d2 * d2 * (6 * R + 4)
    ops = _COMPLEX * d2 * R * (nx * na + ny * nb) * 12
    states = _COMPLEX * d2 * R * 4
    return bell + ops + states


def _available_memory() -> int | None:
    """Bytes this process may still use (:func:`qcoord._memory.available_memory`; a seam for tests)."""
    from .._memory import available_memory

    return available_memory()


def _bytes(nbytes: float) -> str:
    from .._memory import format_bytes

    return format_bytes(nbytes)


def _check_memory(shape: tuple[int, int, int, int], dim: int, restarts: int, extra_runs: int) -> None:
    """Refuse a see-saw whose :func:`memory_estimate` exceeds the available memory (before allocating)."""
    runs = restarts + extra_runs
    need = memory_estimate(shape, dim, runs)
    avail = _available_memory()
    if avail is None or need <= avail:
        return
    max_dim = 0
    for d in range(dim - 1, 0, -1):
        if memory_estimate(shape, d, runs) <= avail:
            max_dim = d
            break
    max_restarts = -1
    if memory_estimate(shape, dim, 1) <= avail:
        lo, hi = 1, runs  # largest run count that fits
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if memory_estimate(shape, dim, mid) <= avail else (lo, mid - 1)
        max_restarts = lo - extra_runs
    starts = f"restarts={restarts}" + (f" plus {extra_runs} start{'s' if extra_runs > 1 else ''} "
                                       "(classical / initial)" if extra_runs else "")
    hints = []
    if max_dim >= 1:
        hints.append(f"dim <= {max_dim} with these restarts")
    if max_restarts >= 0 and (max_restarts > 0 or extra_runs > 0):
        hints.append(f"restarts <= {max_restarts} at dim={dim}")
    hint = " or ".join(hints) if hints else "a smaller dim"
    raise GameError(
        f"dim: the see-saw at dim={dim} with {runs} run{'s' if runs > 1 else ''}: {starts}, needs about {_bytes(need)} of memory (each "
        f"run's Bell operator alone is a {dim * dim} x {dim * dim} complex matrix, {_bytes(_COMPLEX * dim**4)}), "
        f"more than the {_bytes(avail)} available; use {hint}"
    )


@dataclass(frozen=True)
class QuantumResult:
    """A see-saw lower bound on the quantum value, with the strategy that attains it.

    Attributes
    ----------
    value : float
        ``game.value(strategy.behaviour())``: the value of the returned strategy (a lower bound on
        the quantum value at local dimension ``dim``), in payoff units.
    strategy : QuantumStrategy
        Pure state of dimension ``dim * dim`` and projective measurements ``alice[x, a]``,
        ``bob[y, b]``.
    behaviour : ndarray (na, nb, nx, ny)
        Its Born-rule behaviour ``p(a, b | x, y)``.
    dim : int
        Local dimension.
    seed : int (or tuple of int)
        The entropy of the ``numpy.random.SeedSequence`` used: pass it back as ``seed`` to reproduce
        exactly (with ``SeedSequence(seed, spawn_key=spawn_key)`` if ``spawn_key`` is non-empty).
    spawn_key : tuple of int
        The spawn key of that ``SeedSequence`` (empty unless a spawned child was passed).
    restarts : int
        Number of random restarts (the classical start and ``initial`` come on top).
    restart_values : tuple of float
        Final value of every run; order: classical start (if any), ``initial`` (if given), random.
    iterations : tuple of int
        See-saw rounds per run.
    converged : tuple of bool
        Whether each run's improvement fell below ``tol`` before ``max_iter``.
    best_run : int
        Index (in the order above) of the returned run.
    classical_value : float or None
        The classical value used for the classical start (``None`` if it was not computed).
    tol, max_iter : float, int
    timings : dict
        ``{"classical": s, "seesaw": s, "total": s}`` in seconds.
    method : str
        ``"qubit-closed-form"`` (dim 2, two answers each) or ``"projective-eigh"``; with
        ``povm=True`` followed by ``"+povm-sdp(k rounds)"``.
    game_name : str
    state : {"free", "bell"}
        Whether the state was optimised (``"free"``) or held at :math:`|\\Phi^+_d\\rangle` (``"bell"``).
    free_value : float or None
        With ``state="bell"``: the unconstrained see-saw value (same game, ``dim``, seed and restarts,
        plus the constrained optimum as a start); ``None`` otherwise.
    value_lost : float or None
        ``free_value - value`` (>= 0), in payoff units: what fixing the state to
        :math:`|\\Phi^+_d\\rangle` costs; ``None`` for ``state="free"``.
    """

    value: float
    strategy: QuantumStrategy = field(repr=False)
    behaviour: NDArray[np.float64] = field(repr=False)
    dim: int
    seed: int | tuple[int, ...]
    restarts: int
    restart_values: tuple[float, ...] = field(repr=False)
    iterations: tuple[int, ...] = field(repr=False)
    converged: tuple[bool, ...] = field(repr=False)
    best_run: int
    classical_value: float | None
    tol: float
    max_iter: int
    timings: dict[str, float] = field(default_factory=dict)
    method: str = ""
    game_name: str = "game"
    spawn_key: tuple[int, ...] = ()
    state: str = "free"
    free_value: float | None = None
    value_lost: float | None = None

    def __float__(self) -> float:
        return float(self.value)

    @property
    def parameters(self) -> dict[str, Any]:
        """The inputs that reproduce this result."""
        return {
            "dim": self.dim,
            "restarts": self.restarts,
            "seed": self.seed,
            "spawn_key": self.spawn_key,
            "tol": self.tol,
            "max_iter": self.max_iter,
            "state": self.state,
        }


# --------------------------------------------------------------------------- initial points
def _random_projective(rng: np.random.Generator, R: int, n_q: int, n_out: int, d: int) -> NDArray[np.complex128]:
    """Random projective measurements: a Haar-like random basis, vectors assigned to outcomes.

    The first ``min(d, n_out)`` basis vectors get distinct outcomes (so no outcome is needlessly
    empty), the rest random outcomes.
    """
    Z = rng.standard_normal((R, n_q, d, d)) + 1j * rng.standard_normal((R, n_q, d, d))
    Q, _ = np.linalg.qr(Z)
    labels = rng.integers(0, n_out, size=(R, n_q, d))
    k = min(d, n_out)
    perm = np.argsort(rng.random((R, n_q, n_out)), axis=-1)[..., :k]
    labels[..., :k] = perm
    onehot = (labels[..., None] == np.arange(n_out)).astype(np.float64)  # (R, n_q, d, n_out)
    # P[r, q, o] = sum_k onehot[r,q,k,o] |q_k><q_k|
    return np.einsum("rqik,rqko,rqjk->rqoij", Q, onehot, np.conj(Q), optimize=True)


def _random_states(rng: np.random.Generator, R: int, d: int) -> NDArray[np.complex128]:
    v = rng.standard_normal((R, d * d)) + 1j * rng.standard_normal((R, d * d))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v.reshape(R, d, d)


def _diagonal_projectors(answers: tuple[int, ...], n_out: int, d: int) -> NDArray[np.complex128]:
    """Projective measurements ``P[q, answers[q]] = |0><0|``, ``P[q, answers[q]+1 mod n] = rest``."""
    P = np.zeros((len(answers), n_out, d, d), dtype=np.complex128)
    for q, ans in enumerate(answers):
        P[q, ans, 0, 0] = 1.0
        if d > 1:
            other = (ans + 1) % n_out if n_out > 1 else ans
            for i in range(1, d):
                P[q, other, i, i] = 1.0
    return P


def _classical_start(strategy: DeterministicStrategy, na: int, nb: int, d: int) -> tuple[Any, Any, Any]:
    psi = np.zeros((d, d), dtype=np.complex128)
    psi[0, 0] = 1.0
    return psi, _diagonal_projectors(strategy.alice, na, d), _diagonal_projectors(strategy.bob, nb, d)


def _trivial_projectors(answers: tuple[int, ...], n_out: int, d: int) -> NDArray[np.complex128]:
    """``P[q, answers[q]] = I`` and 0 for the other answers: the deterministic answer on any state."""
    P = np.zeros((len(answers), n_out, d, d), dtype=np.complex128)
    for q, ans in enumerate(answers):
        P[q, ans] = np.eye(d)
    return P


def _bell_matrix(d: int) -> NDArray[np.complex128]:
    """:math:`|\\Phi^+_d\\rangle = \\sum_i |ii\\rangle / \\sqrt d` as the ``d x d`` coefficient matrix ``I / sqrt(d)``."""
    return np.eye(d, dtype=np.complex128) / np.sqrt(d)


def _bell_classical_start(strategy: DeterministicStrategy, na: int, nb: int, d: int) -> tuple[Any, Any, Any]:
    return _bell_matrix(d), _trivial_projectors(strategy.alice, na, d), _trivial_projectors(strategy.bob, nb, d)


def _bell_iteration(psi: Any, A: Any, B: Any, W: NDArray[np.float64]) -> tuple[NDArray[np.float64], Any, Any, Any]:
    """One round with the state held fixed: Alice's exact step, Bob's exact step; the value is Bob's
    objective :math:`\\sum_{y,b} \\mathrm{tr}[B^y_b L^y_b]` (= :math:`\\langle\\psi|G|\\psi\\rangle`)."""
    A = K.improve_measurements(A, K.reduced_alice(psi, B, W))
    L = K.reduced_bob(psi, A, W)
    B = K.improve_measurements(B, L)
    value = np.einsum("rybij,rybji->r", B, L, optimize=True).real
    return value, psi, A, B


def _initial_start(initial: QuantumStrategy | DeterministicStrategy, game: Game, d: int) -> tuple[Any, Any, Any]:
    na, nb, nx, ny = game.shape
    if isinstance(initial, DeterministicStrategy):
        if len(initial.alice) != nx or len(initial.bob) != ny:
            raise GameError(f"initial: a deterministic strategy needs {nx} answers for Alice and {ny} for Bob")
        return _classical_start(initial, na, nb, d)
    if not isinstance(initial, QuantumStrategy):
        raise GameError(f"initial: expected a QuantumStrategy or DeterministicStrategy, got {type(initial).__name__}")
    if initial.dims != (d, d) or initial.shape != game.shape:
        raise GameError(
            f"initial: strategy with dims {initial.dims} and shape {initial.shape} does not fit dim={d} "
            f"and the game's shape {game.shape}"
        )
    for who, ops in (("alice", initial.alice), ("bob", initial.bob)):
        if np.abs(ops @ ops - ops).max() > 1e-7:
            raise GameError(f"initial: {who}'s measurements must be projective (P @ P = P within 1e-7)")
    lam, vecs = np.linalg.eigh(initial.rho)
    if lam[:-1].sum() > 1e-9:
        raise GameError("initial: the state must be pure (rank one)")
    return vecs[:, -1].reshape(d, d), np.array(initial.alice), np.array(initial.bob)


class _POVMStep:
    """Best POVM for one question: :math:`\\max \\sum_a \\mathrm{tr}[E_a M_a]`, :math:`E_a \\succeq 0`,
    :math:`\\sum_a E_a = I` (an SDP; cvxpy with parameters, compiled once per shape)."""

    def __init__(self, n_out: int, d: int) -> None:
        import cvxpy as cp

        self.E = [cp.Variable((d, d), hermitian=True) for _ in range(n_out)]
        self.M = [cp.Parameter((d, d), complex=True) for _ in range(n_out)]
        obj = sum(cp.real(cp.sum(cp.multiply(E, M))) for E, M in zip(self.E, self.M))
        cons = [E >> 0 for E in self.E] + [sum(self.E) == np.eye(d)]
        self.problem = cp.Problem(cp.Maximize(obj), cons)

    def __call__(self, M: NDArray[np.complex128], current: NDArray[np.complex128]) -> NDArray[np.complex128]:
        from .npa import SolverError, solve_sdp

        for par, m in zip(self.M, M):
            par.value = np.ascontiguousarray(m.T)  # tr[E M] = sum(E * M^T)
        try:
            solve_sdp(self.problem, what="quantum_lower_bound POVM step")
        except SolverError:
            return current  # keep the current measurement: the value cannot decrease
        E = np.array([0.5 * (e.value + e.value.conj().T) for e in self.E])
        # Project onto valid POVMs (clip tiny negative eigenvalues, renormalise to sum to I).
        lam, V = np.linalg.eigh(E)
        E = (V * np.clip(lam, 0.0, None)[..., None, :]) @ np.conj(np.swapaxes(V, -1, -2))
        S = E.sum(axis=0)
        ls, Vs = np.linalg.eigh(S)
        inv_sqrt = (Vs / np.sqrt(ls)) @ Vs.conj().T
        E = inv_sqrt @ E @ inv_sqrt
        new_val = float(np.real(np.einsum("aij,aji->", E, M)))
        old_val = float(np.real(np.einsum("aij,aji->", current, M)))
        return E if new_val >= old_val else current


def _povm_polish(
    psi: NDArray[np.complex128], A: NDArray[np.complex128], B: NDArray[np.complex128], W: NDArray[np.float64],
    tol: float, rounds: int,
) -> tuple[float, Any, Any, Any, int]:
    """See-saw over POVMs for one run (SDP per question), starting from its projective optimum."""
    na, nb = W.shape[:2]
    d = A.shape[-1]
    step_a, step_b = _POVMStep(na, d), _POVMStep(nb, d)
    value = -np.inf
    done = 0
    for done in range(1, rounds + 1):
        M = K.reduced_alice(psi[None], B[None], W)[0]
        A = np.array([step_a(M[x], A[x]) for x in range(A.shape[0])])
        L = K.reduced_bob(psi[None], A[None], W)[0]
        B = np.array([step_b(L[y], B[y]) for y in range(B.shape[0])])
        v, p = K.best_state(A[None], B[None], W)
        psi = p[0]
        if v[0] - value < tol:
            value = float(v[0])
            break
        value = float(v[0])
    return value, psi, A, B, done


# --------------------------------------------------------------------------- main
def quantum_lower_bound(
    game: Game,
    dim: int = 2,
    restarts: int = DEFAULT_RESTARTS,
    seed: int | np.random.SeedSequence | None = None,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
    initial: QuantumStrategy | DeterministicStrategy | None = None,
    classical_start: bool = True,
    povm: bool = False,
    povm_rounds: int = 50,
    progress: Callable[[int, int], None] | None = None,
    state: str = "free",
) -> QuantumResult:
    """A lower bound on the quantum value by see-saw, with the strategy that attains it.

    Parameters
    ----------
    game : Game
    dim : int in [1, MAX_DIM]
        Local dimension of each player's system (the state lives in :math:`\\mathbb{C}^d \\otimes
        \\mathbb{C}^d`); at most ``MAX_DIM`` (256).
    restarts : int >= 0
        Random starting points (Haar-random pure state and projective measurements), all iterated
        together as arrays.
    seed : int, SeedSequence or None
        Seed of ``numpy.random.SeedSequence``; ``None`` draws fresh entropy, recorded in
        ``result.seed`` so that any run can be reproduced exactly.
    tol : float > 0
        A run stops when one round improves its value by less than ``tol``, in units of the game's
        scale :math:`\\sum |W|` (the see-saw iterates on the normalised game, :mod:`qcoord.games._scale`).
    max_iter : int >= 1
        Maximum see-saw rounds per run.
    initial : QuantumStrategy or DeterministicStrategy, optional
        An extra starting point (pure state, projective measurements of dimension ``dim``).
    classical_start : bool
        Add the run started from the classical optimum (computed with
        :func:`qcoord.games.classical.classical_value`); this guarantees
        ``value >= classical value``. Skipped (``result.classical_value is None``) when
        ``classical_value`` refuses the game as too large (``GameTooLargeError``); note that exact
        enumeration of games with ~30 questions per side takes minutes: pass ``False`` to skip it.
    povm : bool
        After the projective see-saw, polish the best run by a see-saw over general POVMs (each
        measurement step is an SDP, :math:`\\max \\sum_a \\mathrm{tr}[E_a M_a]` over
        :math:`E_a \\succeq 0, \\sum_a E_a = I`, solved with cvxpy/Clarabel). Never lowers the value;
        useful when ``dim`` is too small for projective measurements to be optimal. Slower (one SDP
        per question per round).
    povm_rounds : int >= 1
        Maximum rounds of the POVM polish.
    progress : callable(done_rounds, max_iter), optional
        Called after each round.
    state : {"free", "bell"}
        ``"free"`` (default): the state is optimised too. ``"bell"``: the state is held at
        :math:`|\\Phi^+_d\\rangle = \\sum_i |ii\\rangle/\\sqrt d` (the pairs a quantum network
        delivers) and only the measurements are optimised; ``result.free_value`` and
        ``result.value_lost`` then report the unconstrained value and the loss (module notes). The
        constrained value lies between the classical value and the unconstrained one. Not combinable
        with ``povm=True``.

    Returns
    -------
    QuantumResult
        ``result.value == game.value(result.strategy.behaviour())``.

    Raises
    ------
    GameError
        Bad parameters (the message names the field and the allowed range), or a see-saw too
        large for the memory: :func:`memory_estimate` (the Bell operators, ``16 dim^4`` bytes per
        run, dominate) is compared with the available memory before anything is allocated, and
        the message names ``dim``, ``restarts``, the estimate and the available memory.
    """
    if not isinstance(game, Game):
        raise GameError(f"game: expected a qcoord Game, got {type(game).__name__}")
    from ._scale import normalised

    unit, scale = normalised(game)
    if scale != 1.0:  # iterate in units of sum |W| (tol is relative to it), report in the game's units
        from dataclasses import replace

        r = quantum_lower_bound(unit, dim, restarts, seed, tol, max_iter, initial, classical_start, povm, povm_rounds, progress,
                                state)
        return replace(
            r, value=float(game.value(r.behaviour)), restart_values=tuple(v * scale for v in r.restart_values),
            classical_value=None if r.classical_value is None else r.classical_value * scale, game_name=game.name,
            free_value=None if r.free_value is None else r.free_value * scale,
            value_lost=None if r.value_lost is None else r.value_lost * scale,
        )
    if state not in ("free", "bell"):
        raise GameError(f"state: must be 'free' (optimise the state) or 'bell' (fix it to |Phi+>), got {state!r}")
    bell = state == "bell"
    if bell and povm:
        raise GameError("povm: the POVM polish optimises the state too; it cannot be combined with state='bell'")
    d = check_int(dim, "dim", 1)
    if d > MAX_DIM:
        raise GameError(f"dim: must be an integer in [1, {MAX_DIM}] (MAX_DIM), got {dim!r}")
    restarts = check_int(restarts, "restarts", 0)
    max_iter = check_int(max_iter, "max_iter", 1)
    if not (isinstance(tol, (int, float, np.floating)) and np.isfinite(tol) and tol > 0):
        raise GameError(f"tol: must be a finite number > 0, got {tol!r}")
    povm_rounds = check_int(povm_rounds, "povm_rounds", 1)
    # before the classical start (which may take minutes) and before any array is allocated
    _check_memory(game.shape, d, restarts, int(bool(classical_start)) + int(initial is not None))
    ss = seed_sequence(seed)
    seed_used = ss.entropy
    rng = np.random.default_rng(ss)
    na, nb, nx, ny = game.shape
    W = np.asarray(game.weights, dtype=np.float64)
    t0 = time.perf_counter()

    starts: list[tuple[Any, Any, Any]] = []
    c_value: float | None = None
    if classical_start:
        from .classical import GameTooLargeError, classical_value

        try:
            cres = classical_value(game)
        except GameTooLargeError:
            cres = None  # too many deterministic strategies to certify: no classical start
        if cres is not None:
            c_value = float(cres.value)
            starts.append((_bell_classical_start if bell else _classical_start)(cres.strategy, na, nb, d))
    if initial is not None:
        st = _initial_start(initial, game, d)
        starts.append((_bell_matrix(d), st[1], st[2]) if bell else st)
    if restarts == 0 and not starts:
        raise GameError("restarts: must be >= 1 when there is no classical start and no initial strategy")
    t1 = time.perf_counter()

    psi = _random_states(rng, restarts, d)
    if bell:
        psi = np.broadcast_to(_bell_matrix(d), psi.shape).copy()
    A = _random_projective(rng, restarts, nx, na, d)
    B = _random_projective(rng, restarts, ny, nb, d)
    if starts:
        psi = np.concatenate([np.stack([s[0] for s in starts]), psi])
        A = np.concatenate([np.stack([s[1] for s in starts]), A])
        B = np.concatenate([np.stack([s[2] for s in starts]), B])
    R = psi.shape[0]

    values = np.full(R, -np.inf)
    iters = np.zeros(R, dtype=int)
    conv = np.zeros(R, dtype=bool)
    active = np.arange(R)
    for it in range(max_iter):
        v, p_new, a_new, b_new = (_bell_iteration if bell else K.seesaw_iteration)(psi[active], A[active], B[active], W)
        psi[active], A[active], B[active] = p_new, a_new, b_new
        improve = v - values[active]
        values[active] = v
        iters[active] += 1
        done = improve < tol
        conv[active[done]] = True
        active = active[~done]
        if progress is not None:
            progress(it + 1, max_iter)
        if active.size == 0:
            break

    povm_iters = 0
    if povm:
        r = int(np.argmax(values))
        v, p_, a_, b_, povm_iters = _povm_polish(psi[r], A[r], B[r], W, tol, povm_rounds)
        if v >= values[r]:
            psi[r], A[r], B[r], values[r] = p_, a_, b_, v

    # Re-evaluate every run by the Born rule and return the best one.
    best, best_val, best_strat, best_p = -1, -np.inf, None, None
    exact_vals = np.empty(R)
    for r in np.argsort(-values):
        if values[r] < best_val - 1e-9:
            exact_vals[r] = values[r]
            continue
        strat = QuantumStrategy(state=psi[r].reshape(-1) / np.linalg.norm(psi[r]), alice=A[r], bob=B[r])
        p = strat.behaviour()
        val = game.value(p)
        exact_vals[r] = val
        if val > best_val:
            best, best_val, best_strat, best_p = int(r), val, strat, p
    t2 = time.perf_counter()
    assert best_strat is not None and best_p is not None
    best_p.setflags(write=False)
    method = "qubit-closed-form" if (d == 2 and na == 2 and nb == 2) else "projective-eigh"
    if povm:
        method += f"+povm-sdp({povm_iters} rounds)"
    free_value = value_lost = None
    if bell:
        method = "bell-state+" + method
        # the unconstrained see-saw from the same seed, also started from the constrained optimum
        free = quantum_lower_bound(game, d, restarts, np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 1)), tol,
                                   max_iter, best_strat, classical_start, False, povm_rounds)
        free_value = float(free.value)
        value_lost = max(free_value - float(best_val), 0.0)
    t2 = time.perf_counter()
    return QuantumResult(
        value=float(best_val),
        strategy=best_strat,
        behaviour=best_p,
        dim=d,
        seed=int(seed_used) if np.isscalar(seed_used) else tuple(int(e) for e in seed_used),
        spawn_key=tuple(int(k) for k in ss.spawn_key),
        restarts=restarts,
        restart_values=tuple(float(x) for x in exact_vals),
        iterations=tuple(int(i) for i in iters),
        converged=tuple(bool(c) for c in conv),
        best_run=best,
        classical_value=c_value,
        tol=float(tol),
        max_iter=max_iter,
        timings={"classical": t1 - t0, "seesaw": t2 - t1, "total": t2 - t0},
        method=method,
        game_name=game.name,
        state=state,
        free_value=free_value,
        value_lost=value_lost,
    )
