"""Exact quantum value of XOR games (Tsirelson; Cleve-Hoyer-Toner-Watrous SDP).

An XOR game has binary answers and a payoff that depends on the answers only through
:math:`a \\oplus b`: :math:`V(a, b, x, y) = V_{a \\oplus b}(x, y)`. With :math:`\\pm 1` observables
:math:`A_x = A^x_0 - A^x_1`, :math:`B_y` and correlators :math:`c_{xy} = \\langle A_x \\otimes B_y\\rangle`,

.. math::

    \\omega = \\sum_{x,y} \\pi(x,y) \\Big[ V_0 \\tfrac{1 + c_{xy}}{2} + V_1 \\tfrac{1 - c_{xy}}{2} \\Big]
           = \\underbrace{\\sum_{xy} \\pi \\tfrac{V_0 + V_1}{2}}_{\\text{offset}}
             + \\sum_{xy} \\underbrace{\\pi \\tfrac{V_0 - V_1}{2}}_{G_{xy}} c_{xy}.

Tsirelson's theorem: the quantum correlators are exactly :math:`c_{xy} = u_x \\cdot v_y` for real unit
vectors, so the quantum value is the SDP [CHTW04]_

.. math::

    \\max \\ \\mathrm{offset} + \\sum_{xy} G_{xy} Z_{x, n_x + y}
    \\quad \\text{s.t.} \\quad Z \\succeq 0,\\ Z_{ii} = 1,

over real symmetric :math:`(n_x + n_y)`-square Gram matrices. A strategy is recovered from the Gram
decomposition :math:`Z = V^T V` (vectors in :math:`\\mathbb{R}^r`, :math:`r` = numerical rank): with
pairwise anticommuting Hermitian unitaries :math:`\\Gamma_1..\\Gamma_r` of dimension
:math:`D = 2^{\\lceil (r-1)/2 \\rceil}` (Jordan-Wigner / Clifford generators), the observables
:math:`A_x = \\sum_i u_{x,i} \\Gamma_i`, :math:`B_y = \\sum_i v_{y,i} \\Gamma_i^T` on the maximally
entangled state :math:`|\\Phi_D\\rangle` give :math:`\\langle A_x \\otimes B_y \\rangle =
\\mathrm{tr}(A_x B_y^T)/D = u_x \\cdot v_y`.

References
----------
.. [CHTW04] R. Cleve, P. Høyer, B. Toner, J. Watrous, "Consequences and limits of nonlocal
   strategies", CCC 2004, arXiv:quant-ph/0404076.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .game import Game, GameError, check_int
from .npa import SolverError, solve_sdp
from .strategy import QuantumStrategy

__all__ = ["XORResult", "NotXORGameError", "xor_quantum_value", "is_xor_game", "xor_coefficients", "clifford_generators"]

#: Relative tolerance on the payoff symmetry that defines an XOR game.
XOR_ATOL = 1e-9
#: Eigenvalues of the Gram matrix below this (relative to 1) are dropped when recovering vectors.
RANK_TOL = 1e-6


class NotXORGameError(GameError):
    """The game is not an XOR game (binary answers, payoff a function of ``a XOR b``)."""


def is_xor_game(game: Game, atol: float = XOR_ATOL) -> bool:
    """True iff answers are binary and :math:`V(0,0,x,y) = V(1,1,x,y)`, :math:`V(0,1,x,y) = V(1,0,x,y)`.

    Then the payoff depends on the answers only through :math:`a \\oplus b`, and the quantum value is
    an SDP over correlators (Tsirelson), solved exactly by :func:`xor_quantum_value`.

    Parameters
    ----------
    game : Game
    atol : float
        Tolerance of the payoff equalities.

    Returns
    -------
    bool
    """
    if game.num_answers != (2, 2):
        return False
    V = game.payoff
    return bool(np.abs(V[0, 0] - V[1, 1]).max() <= atol and np.abs(V[0, 1] - V[1, 0]).max() <= atol)


def xor_coefficients(game: Game) -> tuple[float, NDArray[np.float64]]:
    """``(offset, G)`` with ``value = offset + sum_xy G[x, y] c_xy`` (see the module docstring)."""
    if not is_xor_game(game):
        if game.num_answers != (2, 2):
            raise NotXORGameError(f"game: an XOR game needs 2 answers per player, got {game.num_answers}")
        V = game.payoff
        dev = max(np.abs(V[0, 0] - V[1, 1]).max(), np.abs(V[0, 1] - V[1, 0]).max())
        raise NotXORGameError(
            f"game: payoff must depend only on a XOR b (V[0,0]=V[1,1], V[0,1]=V[1,0] within {XOR_ATOL:g}); "
            f"max deviation {dev:.3g}"
        )
    V0 = 0.5 * (game.payoff[0, 0] + game.payoff[1, 1])
    V1 = 0.5 * (game.payoff[0, 1] + game.payoff[1, 0])
    offset = float(np.sum(game.prob * (V0 + V1) / 2))
    return offset, game.prob * (V0 - V1) / 2


def clifford_generators(r: int) -> NDArray[np.complex128]:
    """``r`` pairwise anticommuting Hermitian unitaries of dimension ``2**ceil((r-1)/2)``.

    Jordan-Wigner construction on ``n`` qubits: :math:`Z^{\\otimes k} X I..`, :math:`Z^{\\otimes k} Y I..`
    for ``k < n``, and :math:`Z^{\\otimes n}` as the last one (``2n + 1`` generators).
    """
    if r < 1:
        raise GameError(f"r: must be >= 1, got {r}")
    n = max(0, int(np.ceil((r - 1) / 2)))
    X = np.array([[0, 1], [1, 0]], dtype=complex)
    Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
    Zm = np.diag([1.0, -1.0]).astype(complex)
    I2 = np.eye(2, dtype=complex)

    def chain(ops: list[NDArray[np.complex128]]) -> NDArray[np.complex128]:
        out = np.eye(1, dtype=complex)
        for o in ops:
            out = np.kron(out, o)
        return out

    gens = []
    for k in range(n):
        for P in (X, Y):
            gens.append(chain([Zm] * k + [P] + [I2] * (n - k - 1)))
    gens.append(chain([Zm] * n))
    return np.array(gens[:r])


@dataclass(frozen=True)
class XORResult:
    """The exact quantum value of an XOR game and an optimal strategy.

    Attributes
    ----------
    value : float
        The quantum value (payoff units): the value attained by :attr:`strategy`, certified
        optimal to within ``upper_bound - value`` (at most 1e-6, typically ~1e-9).
    upper_bound : float
        Rigorous upper bound from the dual SDP solution (weak duality, repaired to feasibility).
    sdp_value : float
        The solver's primal objective.
    strategy : QuantumStrategy
        Maximally entangled state of local dimension ``dim`` and projective measurements
        :math:`A^x_a = (I + (-1)^a A_x)/2` built from the optimal vectors.
    strategy_value : float
        ``game.value(strategy.behaviour())`` (equal to ``value`` within ~1e-7).
    correlators : ndarray (nx, ny)
        The correlators :math:`c_{xy} = u_x \\cdot v_y = \\langle A_x \\otimes B_y \\rangle` of
        :attr:`strategy`.
    gram : ndarray (nx+ny, nx+ny)
        The Gram matrix returned by the SDP solver.
    rank : int
        Dimension ``r`` of the recovered vectors (the smallest that reaches the value).
    dim : int
        Local dimension of the strategy, ``2**ceil((rank-1)/2)``.
    status, solver : str
    timings : dict
    game_name : str
    """

    value: float
    strategy: QuantumStrategy = field(repr=False)
    strategy_value: float
    upper_bound: float
    sdp_value: float
    correlators: NDArray[np.float64] = field(repr=False)
    gram: NDArray[np.float64] = field(repr=False)
    rank: int
    dim: int
    status: str
    solver: str
    timings: dict[str, float] = field(default_factory=dict)
    game_name: str = "game"

    def __float__(self) -> float:
        return float(self.value)


def _polish(u: NDArray[np.float64], v: NDArray[np.float64], G: NDArray[np.float64], rounds: int = 500) -> tuple[Any, Any]:
    """Alternating exact maximisation of :math:`\\sum G_{xy} u_x \\cdot v_y` over unit vectors.

    For fixed ``v`` the best ``u_x`` is :math:`\\sum_y G_{xy} v_y` normalised (and symmetrically),
    so the objective never decreases; this removes the small loss from truncating the rank.
    """
    best = float(np.einsum("xy,xi,yi->", G, u, v))
    for _ in range(rounds):
        for side in range(2):
            target = G @ v if side == 0 else G.T @ u
            norm = np.linalg.norm(target, axis=1, keepdims=True)
            cur = u if side == 0 else v
            new = np.where(norm > 1e-300, target / np.where(norm > 1e-300, norm, 1.0), cur)
            if side == 0:
                u = new
            else:
                v = new
        val = float(np.einsum("xy,xi,yi->", G, u, v))
        if val - best < 1e-15 * max(1.0, abs(val)):
            break
        best = val
    return u, v


def _low_rank_vectors(Z: NDArray[np.float64], nx: int, G: NDArray[np.float64], target: float) -> NDArray[np.float64]:
    """Unit vectors of the smallest rank whose polished value reaches ``target``.

    Interior-point solvers return a maximal-rank point of the optimal face (e.g. the identity when
    every Gram matrix is optimal), which would need a needlessly large dimension. For r = 1, 2, ...
    the top-r eigen-truncation of ``Z`` is normalised and polished (:func:`_polish`); the first r
    that reaches ``target`` is kept (at worst the numerical rank of ``Z``).
    """
    lam, V = np.linalg.eigh(0.5 * (Z + Z.T))
    order = np.argsort(lam)[::-1]
    lam, V = lam[order], V[:, order]
    full = int(max(1, np.sum(lam > RANK_TOL * max(1.0, lam.max()))))
    best, best_val = None, -np.inf
    for r in range(1, full + 1):
        vecs = V[:, :r] * np.sqrt(np.clip(lam[:r], 1e-300, None))
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        vecs = np.where(norms > 1e-12, vecs / np.where(norms > 1e-12, norms, 1.0), np.eye(1, r))
        u, v = _polish(vecs[:nx], vecs[nx:], G)
        val = float(np.einsum("xy,xi,yi->", G, u, v))
        if val > best_val:
            best, best_val = np.concatenate([u, v]), val
        if val >= target:
            break
    assert best is not None
    return best


def _strategy_from_vectors(vecs: NDArray[np.float64], nx: int) -> QuantumStrategy:
    r = vecs.shape[1]
    gens = clifford_generators(r)
    D = gens.shape[-1]
    obs_a = np.einsum("xi,ijk->xjk", vecs[:nx], gens)
    obs_b = np.einsum("yi,ikj->yjk", vecs[nx:], gens)  # Gamma_i^T
    eye = np.eye(D)
    alice = np.stack([(eye + obs_a) / 2, (eye - obs_a) / 2], axis=1)
    bob = np.stack([(eye + obs_b) / 2, (eye - obs_b) / 2], axis=1)
    state = np.eye(D).reshape(-1) / np.sqrt(D)
    return QuantumStrategy(state=state, alice=alice, bob=bob)


def _dual_upper_bound(offset: float, G: NDArray[np.float64], mu: NDArray[np.float64], primal: float) -> float:
    """Certified upper bound from dual multipliers of ``diag(Z) == 1``.

    Weak duality: for any :math:`\\mu` with :math:`\\mathrm{diag}(\\mu) \\succeq \\hat G`
    (:math:`\\hat G = [[0, G/2], [G^T/2, 0]]`), :math:`\\langle \\hat G, Z\\rangle \\le \\sum_i \\mu_i` for
    every feasible :math:`Z`. A small violation :math:`\\lambda_{min} < 0` is repaired by adding
    :math:`-\\lambda_{min}` to every :math:`\\mu_i`, so the bound is rigorous up to rounding.
    """
    nx, ny = G.shape
    Ghat = np.zeros((nx + ny, nx + ny))
    Ghat[:nx, nx:] = G / 2
    Ghat[nx:, :nx] = G.T / 2
    # cvxpy's sign convention for equality duals: pick the sign that matches the primal value.
    if abs(offset - mu.sum() - primal) < abs(offset + mu.sum() - primal):
        mu = -mu
    lam_min = float(np.linalg.eigvalsh(np.diag(mu) - Ghat).min())
    return float(offset + mu.sum() + (nx + ny) * max(0.0, -lam_min))


def xor_quantum_value(game: Game, solvers: tuple[str, ...] = ("CLARABEL", "SCS"), max_dim: int = 64) -> XORResult:
    """Exact quantum value of an XOR game, and an optimal strategy.

    Parameters
    ----------
    game : Game
        Binary answers; ``payoff[a, b, x, y]`` depends on ``(a, b)`` only through ``a XOR b``.
    solvers : tuple of str
        cvxpy solvers in order of preference.
    max_dim : int
        Largest local dimension allowed for the recovered strategy (the smallest rank ``r`` that
        reaches the value is used; dimension ``2**ceil((r-1)/2)``).

    Returns
    -------
    XORResult

    Raises
    ------
    NotXORGameError
        The game is not an XOR game (a :class:`~qcoord.games.game.GameError`, i.e. a ValueError).
    SolverError
        The SDP solvers failed.

    Examples
    --------
    CHSH: :math:`\\cos^2(\\pi/8)`, attained by qubit observables on :math:`|\\Phi^+\\rangle`.
    """
    from dataclasses import replace

    from ._scale import normalised

    if not isinstance(game, Game):
        raise GameError(f"game: expected a qcoord Game, got {type(game).__name__}")
    max_dim = check_int(max_dim, "max_dim", 1)
    unit, scale = normalised(game)  # solver tolerances are absolute: solve in units of sum |W|
    r = _xor_normalised(unit, solvers, max_dim)
    sval = float(game.value(r.strategy.behaviour()))
    return replace(r, value=sval, strategy_value=sval, upper_bound=r.upper_bound * scale,
                   sdp_value=r.sdp_value * scale, game_name=game.name)


def _xor_normalised(game: Game, solvers: tuple[str, ...], max_dim: int) -> XORResult:
    """:func:`xor_quantum_value` on a game normalised to ``sum |W| = 1``."""
    import cvxpy as cp

    offset, G = xor_coefficients(game)
    nx, ny = game.num_questions
    t0 = time.perf_counter()
    n = nx + ny
    Z = cp.Variable((n, n), symmetric=True)
    diag_con = cp.diag(Z) == 1
    problem = cp.Problem(cp.Maximize(offset + cp.sum(cp.multiply(G, Z[:nx, nx:]))), [Z >> 0, diag_con])
    solver, status = solve_sdp(problem, solvers, what=f"xor_quantum_value on {game.name!r}")
    t1 = time.perf_counter()
    Zv = np.asarray(Z.value, dtype=float)
    upper = _dual_upper_bound(offset, G, np.asarray(diag_con.dual_value, dtype=float), float(problem.value))
    scale = max(1.0, float(np.abs(G).sum()))
    vecs = _low_rank_vectors(Zv, nx, G, target=float(problem.value) - offset - 1e-8 * scale)
    r = vecs.shape[1]
    if 2 ** (r // 2) > max_dim:
        raise GameError(
            f"max_dim: the optimal vectors need rank {r}, i.e. local dimension {2 ** (r // 2)}, "
            f"above max_dim={max_dim}; raise max_dim"
        )
    strategy = _strategy_from_vectors(vecs, nx)
    sval = game.value(strategy.behaviour())
    t2 = time.perf_counter()
    if not (sval <= upper + 1e-9 * scale and upper - sval <= 1e-6 * scale):
        raise SolverError(
            f"xor_quantum_value: the recovered strategy reaches {sval!r} but the certified upper bound is "
            f"{upper!r} (solver {solver}, status {status}); the SDP solution is not accurate enough"
        )
    corr = vecs[:nx] @ vecs[nx:].T  # the correlators of the returned strategy
    return XORResult(
        value=float(sval),
        strategy=strategy,
        strategy_value=float(sval),
        upper_bound=float(upper),
        sdp_value=float(problem.value),
        correlators=np.array(corr),
        gram=Zv,
        rank=r,
        dim=strategy.dims[0],
        status=status,
        solver=solver,
        timings={"solve": t1 - t0, "strategy": t2 - t1, "total": t2 - t0},
        game_name=game.name,
    )
