r"""Lower bounds on the quantum value of an N-player game: the see-saw over states and measurements.

For local dimensions :math:`d_1, \dots, d_N` the see-saw maximises

.. math::

    \omega(\psi, M) = \sum_{a, x} \pi(x) V(a, x)\,
        \langle \psi | M^{(1)}_{x_1 a_1} \otimes \cdots \otimes M^{(N)}_{x_N a_N} | \psi \rangle

one block at a time, each block exactly:

* **party i** (state and the other parties fixed): the value is
  :math:`\sum_{x_i, a_i} \mathrm{tr}[M^{(i)}_{x_i a_i} E^{(i)}_{x_i a_i}]` with the effective operator
  :math:`E^{(i)}_{x_i a_i} = \mathrm{tr}_{\neg i}\big[(I_i \otimes G^{(i)}_{x_i a_i}) |\psi\rangle\langle\psi|\big]`,
  :math:`G^{(i)}_{x_i a_i} = \sum_{a_{\neg i}, x_{\neg i}} W[a, x] \bigotimes_{j \ne i} M^{(j)}_{x_j a_j}`.
  With two answers the best projective measurement is the projector on the positive eigenspace of
  :math:`E_0 - E_1` (eigendecomposition, closed form for qubits); with more answers pairs of
  projectors are re-split exactly in their joint subspace (the two-player engine's
  :func:`qcoord.games._seesaw_kernels.improve_measurements`);
* **state** (all measurements fixed): the top eigenvector of the Bell operator
  :math:`\sum_{a,x} W[a,x] \bigotimes_i M^{(i)}_{x_i a_i}`; its eigenvalue is the value.

No step decreases the value, so every run converges (to a local optimum). Runs are batched as arrays.
One run starts from the classical optimum (product state :math:`|0 \cdots 0\rangle`, diagonal
projectors reproducing the optimal deterministic strategy), so the result is never below the
classical value; the others from Haar-like random states and projective measurements drawn from a
``numpy.random.SeedSequence`` whose entropy is recorded.

The returned value is the Born-rule re-evaluation ``game.value(result.strategy.behaviour())``.
"""

from __future__ import annotations

import string
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from numpy.typing import NDArray

from .._seesaw_kernels import improve_measurements
from ..classical import GameTooLargeError
from ..game import GameError, check_int, seed_sequence
from ..seesaw import _diagonal_projectors, _random_projective
from .game import MultiGame, as_multigame
from .strategy import MultiQuantumStrategy

__all__ = ["quantum_lower_bound", "MultiQuantumResult", "MAX_STATE_DIM"]

DEFAULT_RESTARTS = 16
DEFAULT_TOL = 1e-10
DEFAULT_MAX_ITER = 2000
#: Largest joint dimension :math:`D = \prod_i d_i` (each run's Bell operator is a D x D complex matrix).
MAX_STATE_DIM = 1024


@dataclass(frozen=True)
class MultiQuantumResult:
    """A see-saw lower bound on the quantum value of an N-player game, with its strategy.

    Attributes
    ----------
    value : float
        ``game.value(strategy.behaviour())`` in payoff units: a lower bound on the quantum value at
        local dimensions ``dims``.
    strategy : MultiQuantumStrategy
        Pure state of dimension ``prod(dims)`` and every party's projective measurements.
    behaviour : ndarray (A1..AN, X1..XN)
    dims : tuple of int
    seed : int or tuple of int
        Entropy of the ``SeedSequence`` (pass back to reproduce; with ``spawn_key`` if non-empty).
    spawn_key : tuple of int
    restarts : int
        Random restarts (the classical start comes on top).
    restart_values, iterations, converged : tuples, one entry per run (classical start first)
    best_run : int
    classical_value : float or None
    tol, max_iter : float, int
    timings : dict
    method : str
    game_name : str
    """

    value: float
    strategy: MultiQuantumStrategy = field(repr=False)
    behaviour: NDArray[np.float64] = field(repr=False)
    dims: tuple[int, ...]
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

    def __float__(self) -> float:
        return float(self.value)

    @property
    def dim(self) -> tuple[int, ...]:
        """Alias of :attr:`dims` (the two-player result calls it ``dim``)."""
        return self.dims

    @property
    def parameters(self) -> dict[str, Any]:
        """The inputs that reproduce this result."""
        return {"dim": self.dims, "restarts": self.restarts, "seed": self.seed, "spawn_key": self.spawn_key,
                "tol": self.tol, "max_iter": self.max_iter}


class _Contractions:
    r"""The effective operators and the Bell operator as chains of two-operand contractions.

    Effective operator of party i: apply every other party's operators to the ket (each replaces a
    ket axis :math:`v_j` by :math:`(k_j, u_j)`: size :math:`R \prod_{j \ne i} K_j \prod d`), contract
    the weights over :math:`k_{\neg i}`, then the bra over :math:`u_{\neg i}`. Bell operator: contract
    the weights with one party's operators at a time. Each step is a BLAS-backed ``einsum``.
    """

    def __init__(self, Wk: NDArray[np.float64], n: int) -> None:
        letters = iter(string.ascii_letters.replace("R", ""))
        self.k = [next(letters) for _ in range(n)]
        self.u = [next(letters) for _ in range(n)]
        self.v = [next(letters) for _ in range(n)]
        self.n = n
        self.Wk = Wk

    def effective(self, i: int, ops: list[NDArray[np.complex128]], psi: NDArray[np.complex128]) -> NDArray[np.complex128]:
        """``E[R, x_i, a_i, v, u]`` (Hermitian part) with value ``sum tr[M E]`` (matrix rows v, columns u)."""
        n, k, u, v = self.n, self.k, self.u, self.v
        flat = [o.reshape(o.shape[0], -1, o.shape[-2], o.shape[-1]) for o in ops]
        psi_t = psi.reshape((psi.shape[0],) + tuple(o.shape[-1] for o in ops))
        T, cur = psi_t, "R" + "".join(v)
        for j in range(n):
            if j == i:
                continue
            new = cur.replace(v[j], k[j] + u[j])
            T = np.einsum(f"R{k[j]}{u[j]}{v[j]},{cur}->{new}", flat[j], T, optimize=True)
            cur = new
        new = "R" + k[i] + "".join(c for c in cur[1:] if c not in k)
        T = np.einsum(f"{''.join(k)},{cur}->{new}", self.Wk, T, optimize=True)
        bra = "R" + "".join(u)
        E = np.einsum(f"{new},{bra}->R{k[i]}{v[i]}{u[i]}", T, psi_t.conj(), optimize=True)
        X, A = ops[i].shape[1], ops[i].shape[2]
        E = E.reshape(E.shape[0], X, A, E.shape[-2], E.shape[-1])
        return 0.5 * (E + np.conj(np.swapaxes(E, -1, -2)))

    def bell(self, ops: list[NDArray[np.complex128]]) -> NDArray[np.complex128]:
        r"""Each run's Bell operator :math:`\sum_k W_k \bigotimes_i M^{(i)}_{k_i}` (Hermitian part), (R, D, D)."""
        n, k, u, v = self.n, self.k, self.u, self.v
        flat = [o.reshape(o.shape[0], -1, o.shape[-2], o.shape[-1]) for o in ops]
        T, cur = self.Wk, "".join(k)
        for j in range(n):
            new = ("R" if j == 0 else "") + cur.replace(k[j], "") + u[j] + v[j]
            T = np.einsum(f"R{k[j]}{u[j]}{v[j]},{cur}->{new}", flat[j], T, optimize=True)
            cur = new
        G = np.einsum(f"{cur}->R{''.join(u)}{''.join(v)}", T)
        D = int(np.prod([o.shape[-1] for o in ops]))
        G = G.reshape(G.shape[0], D, D)
        return 0.5 * (G + np.conj(np.swapaxes(G, -1, -2)))


def _weights_k(W: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """``W[a1..aN, x1..xN]`` -> ``Wk[k1..kN]`` with ``k_i = x_i * A_i + a_i``."""
    order = [ax for i in range(n) for ax in (n + i, i)]
    Wt = np.transpose(W, order)
    return np.ascontiguousarray(Wt.reshape([Wt.shape[2 * i] * Wt.shape[2 * i + 1] for i in range(n)]))


def _check_dims(dim: int | Sequence[int], n: int) -> tuple[int, ...]:
    if isinstance(dim, (list, tuple)):
        if len(dim) != n:
            raise GameError(f"dim: give one local dimension per party ({n}), got {len(dim)}")
        dims = tuple(check_int(d, "dim", 1) for d in dim)
    else:
        dims = (check_int(dim, "dim", 1),) * n
    D = int(np.prod(dims))
    if D > MAX_STATE_DIM:
        raise GameError(
            f"dim: the joint dimension prod(dims) = {D} exceeds MAX_STATE_DIM = {MAX_STATE_DIM} (each run's Bell operator "
            f"is a {D} x {D} complex matrix); use smaller local dimensions"
        )
    return dims


def quantum_lower_bound(
    game: MultiGame,
    dim: int | Sequence[int] = 2,
    restarts: int = DEFAULT_RESTARTS,
    seed: int | np.random.SeedSequence | None = None,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
    classical_start: bool = True,
) -> MultiQuantumResult:
    """A lower bound on the quantum value of an N-player game by see-saw, with its strategy.

    Parameters
    ----------
    game : MultiGame (or a two-player Game)
    dim : int or sequence of N ints >= 1
        Local dimension of every party (or one per party); ``prod(dims) <= MAX_STATE_DIM`` (1024).
    restarts : int >= 0
        Random starting points, iterated together as arrays.
    seed : int, SeedSequence or None
        Seed of ``numpy.random.SeedSequence`` (``None``: fresh entropy, recorded in ``result.seed``).
    tol : float > 0
        A run stops when a round improves its value by less than ``tol`` (units of
        :math:`\\sum |W|`: the see-saw iterates on the normalised game).
    max_iter : int >= 1
    classical_start : bool
        Add the run started from the classical optimum (skipped when the classical enumeration is
        refused as too large); it makes ``value >= classical value``.

    Returns
    -------
    MultiQuantumResult
        ``result.value == game.value(result.strategy.behaviour())``.

    Raises
    ------
    GameError
        Bad parameters (named), or ``prod(dims)`` above ``MAX_STATE_DIM``.
    """
    game = as_multigame(game)
    n = game.n_players
    dims = _check_dims(dim, n)
    restarts = check_int(restarts, "restarts", 0)
    max_iter = check_int(max_iter, "max_iter", 1)
    if isinstance(tol, bool) or not (isinstance(tol, (int, float, np.floating)) and np.isfinite(tol) and tol > 0):
        raise GameError(f"tol: must be a finite number > 0, got {tol!r}")
    ss = seed_sequence(seed)
    rng = np.random.default_rng(ss)
    t0 = time.perf_counter()
    scale = float(np.abs(game.weights).sum()) or 1.0
    W = np.asarray(game.weights) / scale
    Wk = _weights_k(W, n)
    X, A = game.n_questions, game.n_answers
    D = int(np.prod(dims))

    c_value = None
    starts_psi: list[NDArray[np.complex128]] = []
    starts_ops: list[list[NDArray[np.complex128]]] = []
    if classical_start:
        from .classical import classical_value

        try:
            cres = classical_value(game)
        except GameTooLargeError:
            cres = None
        if cres is not None:
            c_value = float(cres.value)
            psi0 = np.zeros(D, dtype=np.complex128)
            psi0[0] = 1.0
            starts_psi.append(psi0)
            starts_ops.append([_diagonal_projectors(cres.strategy.answers[i], A[i], dims[i]) for i in range(n)])
    if restarts == 0 and not starts_psi:
        raise GameError("restarts: must be >= 1 when there is no classical start")
    t1 = time.perf_counter()
    psi_r = rng.standard_normal((restarts, D)) + 1j * rng.standard_normal((restarts, D))
    psi_r /= np.linalg.norm(psi_r, axis=1, keepdims=True) if restarts else 1.0
    ops_r = [_random_projective(rng, restarts, X[i], A[i], dims[i]) for i in range(n)]
    if starts_psi:
        psi = np.concatenate([np.stack(starts_psi), psi_r])
        ops = [np.concatenate([np.stack([s[i] for s in starts_ops]), ops_r[i]]) for i in range(n)]
    else:
        psi, ops = psi_r, ops_r
    R = psi.shape[0]
    con = _Contractions(Wk, n)
    values = np.full(R, -np.inf)
    iters = np.zeros(R, dtype=int)
    conv = np.zeros(R, dtype=bool)
    active = np.arange(R)
    for _ in range(max_iter):
        p_act = psi[active]
        o_act = [o[active] for o in ops]
        for i in range(n):
            E = con.effective(i, o_act, p_act)
            o_act[i] = improve_measurements(o_act[i], E)
        G = con.bell(o_act)
        lam, vec = np.linalg.eigh(G)
        v = lam[:, -1]
        psi[active] = vec[:, :, -1]
        for i in range(n):
            ops[i][active] = o_act[i]
        improve = v - values[active]
        values[active] = v
        iters[active] += 1
        done = improve < tol
        conv[active[done]] = True
        active = active[~done]
        if active.size == 0:
            break
    best, best_val, best_strat, best_p = -1, -np.inf, None, None
    final = np.empty(R)
    for r in np.argsort(-values):
        if values[r] * scale < best_val - 1e-9 * scale:
            final[r] = values[r] * scale
            continue
        strat = MultiQuantumStrategy(state=psi[r] / np.linalg.norm(psi[r]), measurements=tuple(o[r] for o in ops))
        p = strat.behaviour()
        val = game.value(p)
        final[r] = val
        if val > best_val:
            best, best_val, best_strat, best_p = int(r), val, strat, p
    t2 = time.perf_counter()
    assert best_strat is not None and best_p is not None
    best_p.setflags(write=False)
    entropy = ss.entropy
    return MultiQuantumResult(
        value=float(best_val),
        strategy=best_strat,
        behaviour=best_p,
        dims=dims,
        seed=int(entropy) if np.isscalar(entropy) else tuple(int(e) for e in entropy),  # type: ignore[arg-type]
        spawn_key=tuple(int(k) for k in ss.spawn_key),
        restarts=restarts,
        restart_values=tuple(float(x) for x in final),
        iterations=tuple(int(i) for i in iters),
        converged=tuple(bool(c) for c in conv),
        best_run=best,
        classical_value=c_value,
        tol=float(tol),
        max_iter=max_iter,
        timings={"classical": t1 - t0, "seesaw": t2 - t1, "total": t2 - t0},
        method="projective-eigh (party-by-party, state by top eigenvector)",
        game_name=game.name,
    )
