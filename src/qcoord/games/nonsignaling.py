"""The no-signalling value of a game (a linear program) and no-signalling checks.

A behaviour :math:`p(a, b \\mid x, y)` is *no-signalling* when each player's marginal does not depend
on the other's question:

.. math::

    \\sum_b p(a, b \\mid x, y) = p_A(a \\mid x) \\quad \\forall y, \\qquad
    \\sum_a p(a, b \\mid x, y) = p_B(b \\mid y) \\quad \\forall x.

Every quantum behaviour is no-signalling, so the no-signalling value

.. math::

    \\omega_{ns}(G) = \\max_{p \\in \\mathrm{NS}} \\sum_{a,b,x,y} \\pi(x,y) V(a,b,x,y)\\, p(a,b \\mid x,y)

is an upper bound on the quantum (and classical) value; for CHSH it is 1 (the PR box). It is a
linear program in the :math:`|A||B||X||Y|` variables :math:`p \\ge 0`, with normalisation and the
no-signalling equalities above (imposed against the reference questions ``y = 0`` and ``x = 0``),
solved here with HiGHS through ``scipy.optimize.linprog``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linprog

from .game import Game, GameError, check_behaviour

__all__ = [
    "nonsignaling_value",
    "NonsignalingResult",
    "NonsignalingError",
    "is_nonsignaling",
    "signaling_gap",
    "marginals",
]


class NonsignalingError(GameError):
    """The no-signalling LP did not reach a verified optimum (solver failure or inaccuracy)."""


def marginals(behaviour: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The marginals of a behaviour as a function of both questions.

    Parameters
    ----------
    behaviour : array_like, shape (na, nb, nx, ny)

    Returns
    -------
    alice : ndarray, shape (na, nx, ny)
        :math:`\\sum_b p(a, b \\mid x, y)`; no-signalling iff it does not depend on ``y``.
    bob : ndarray, shape (nb, nx, ny)
        :math:`\\sum_a p(a, b \\mid x, y)`; no-signalling iff it does not depend on ``x``.
    """
    p = np.asarray(behaviour, dtype=np.float64)
    if p.ndim != 4:
        raise GameError(f"behaviour: expected shape (na, nb, nx, ny), got {p.shape}")
    return p.sum(axis=1), p.sum(axis=0)


def signaling_gap(behaviour: ArrayLike) -> float:
    """The largest violation of the no-signalling equalities (0 for a no-signalling behaviour).

    :math:`\\max\\big(\\max_{a,x,y,y'} |p_A(a|x,y) - p_A(a|x,y')|,\\;
    \\max_{b,y,x,x'} |p_B(b|x,y) - p_B(b|x',y)|\\big)`.

    Parameters
    ----------
    behaviour : array_like, shape (na, nb, nx, ny)

    Returns
    -------
    float
        The gap, a probability in [0, 1].
    """
    pa, pb = marginals(behaviour)
    gap_a = float((pa.max(axis=2) - pa.min(axis=2)).max())
    gap_b = float((pb.max(axis=1) - pb.min(axis=1)).max())
    return max(gap_a, gap_b)


def is_nonsignaling(behaviour: ArrayLike, atol: float = 1e-9) -> bool:
    """Whether ``behaviour`` is a valid no-signalling behaviour within ``atol``.

    Checks that it is a behaviour (non-negative, each ``(x, y)`` slice sums to 1, see
    :func:`~qcoord.games.game.check_behaviour`) and that :func:`signaling_gap` is at most ``atol``.

    Parameters
    ----------
    behaviour : array_like, shape (na, nb, nx, ny)
    atol : float >= 0
        Tolerance of the normalisation and no-signalling equalities.

    Returns
    -------
    bool

    Raises
    ------
    GameError
        If ``atol`` is negative or not finite, or the array is not 4-dimensional.
    """
    atol = float(atol)
    if not np.isfinite(atol) or atol < 0:
        raise GameError(f"atol: must be a finite number >= 0, got {atol!r}")
    try:
        arr = np.asarray(behaviour, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise GameError(f"behaviour: must be an array of real numbers ({exc})") from None
    if arr.ndim != 4:
        raise GameError(f"behaviour: expected shape (na, nb, nx, ny), got {arr.shape}")
    try:
        p = check_behaviour(arr, atol=max(atol, 1e-12))
    except GameError:  # negative, non-finite or unnormalised: not a behaviour at all
        return False
    return signaling_gap(p) <= atol


@dataclass(frozen=True, eq=False)
class NonsignalingResult:
    """The no-signalling value of a game and an optimal behaviour.

    Attributes
    ----------
    value : float
        :math:`\\omega_{ns}(G)`, the LP optimum (re-evaluated on :attr:`behaviour`).
    behaviour : ndarray, shape (na, nb, nx, ny)
        An optimal no-signalling behaviour :math:`p(a, b \\mid x, y)` (clipped to >= 0 and
        renormalised; its signalling gap is recorded in :attr:`signaling_gap`).
    status : str
        ``"optimal"``.
    dual_bound : float
        The dual objective reported by HiGHS (an upper bound on the value up to solver tolerance).
    signaling_gap : float
        :func:`signaling_gap` of :attr:`behaviour`.
    time_s : float
        Wall time (seconds).
    parameters : dict
        Solver name and tolerance. The LP is deterministic: there is no seed.
    """

    value: float
    behaviour: NDArray[np.float64] = field(repr=False)
    status: str = "optimal"
    dual_bound: float = float("nan")
    signaling_gap: float = 0.0
    time_s: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)

    def __float__(self) -> float:
        return self.value


def _ns_constraints(shape: tuple[int, int, int, int]) -> tuple[sp.csr_matrix, NDArray[np.float64]]:
    """Equality constraints ``A p = b`` of the NS polytope, ``p`` raveled in C order of [a,b,x,y]."""
    na, nb, nx, ny = shape
    idx = np.arange(na * nb * nx * ny).reshape(shape)
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    vals: list[NDArray[np.float64]] = []
    rhs: list[float] = []
    r = 0

    def add(plus: NDArray[np.int64], minus: NDArray[np.int64] | None, b: float) -> None:
        nonlocal r
        rows.append(np.full(plus.size, r))
        cols.append(plus.ravel())
        vals.append(np.ones(plus.size))
        if minus is not None:
            rows.append(np.full(minus.size, r))
            cols.append(minus.ravel())
            vals.append(-np.ones(minus.size))
        rhs.append(b)
        r += 1

    for x in range(nx):
        for y in range(ny):
            add(idx[:, :, x, y], None, 1.0)
    # Alice's marginal independent of y (against y = 0); the last a is implied by normalisation.
    for a in range(na - 1):
        for x in range(nx):
            for y in range(1, ny):
                add(idx[a, :, x, y], idx[a, :, x, 0], 0.0)
    for b in range(nb - 1):
        for y in range(ny):
            for x in range(1, nx):
                add(idx[:, b, x, y], idx[:, b, 0, y], 0.0)
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, idx.size))
    return A, np.array(rhs)


def nonsignaling_value(game: Game, *, tol: float = 1e-9) -> NonsignalingResult:
    """The no-signalling value :math:`\\omega_{ns}(G)` and an optimal behaviour (LP, HiGHS).

    Parameters
    ----------
    game : Game
    tol : float in (0, 1e-3]
        Primal/dual feasibility tolerance passed to HiGHS; the returned behaviour's signalling gap
        must stay below ``100 * tol`` or the solve is rejected.

    Returns
    -------
    NonsignalingResult

    Raises
    ------
    NonsignalingError
        If HiGHS does not report an optimum, or the returned behaviour fails the checks
        (a solver failure never becomes a silent wrong number).

    Examples
    --------
    >>> from qcoord.games.library import chsh
    >>> round(float(nonsignaling_value(chsh())), 9)
    1.0
    """
    if not isinstance(game, Game):
        raise GameError(f"game: expected a qcoord.games.Game, got {type(game).__name__}")
    tol = float(tol)
    if not (np.isfinite(tol) and 0 < tol <= 1e-3):
        raise GameError(f"tol: must lie in (0, 1e-3], got {tol!r}")
    from ._scale import normalised

    t0 = time.perf_counter()
    unit, scale = normalised(game)  # HiGHS tolerances are absolute: solve in units of sum |W|
    A, b = _ns_constraints(game.shape)
    c = -np.asarray(unit.weights, dtype=np.float64).ravel()
    try:
        res = linprog(
            c,
            A_eq=A,
            b_eq=b,
            bounds=(0, None),
            method="highs",
            options={"primal_feasibility_tolerance": tol, "dual_feasibility_tolerance": tol},
        )
    except Exception as exc:  # scipy/HiGHS internal failure
        raise NonsignalingError(f"nonsignaling_value: the LP solver failed ({type(exc).__name__}: {exc})") from None
    if res.status != 0 or res.x is None:
        raise NonsignalingError(f"nonsignaling_value: the LP solver did not reach an optimum (status {res.status}: {res.message})")
    p = np.clip(res.x.reshape(game.shape), 0.0, None)
    p /= p.sum(axis=(0, 1), keepdims=True)
    gap = signaling_gap(p)
    if gap > 100 * tol:
        raise NonsignalingError(f"nonsignaling_value: the solver's behaviour signals by {gap:.3g} (> {100 * tol:.3g})")
    value_unit = float(np.einsum("abxy,abxy->", unit.weights, p))
    if abs(value_unit - (-res.fun)) > 1e3 * tol:
        raise NonsignalingError(
            f"nonsignaling_value: the behaviour is worth {value_unit * scale!r} but the solver reports {-res.fun * scale!r}"
        )
    value = float(np.einsum("abxy,abxy->", game.weights, p))  # the returned behaviour's value, in the game's units
    dual = float(-(b @ res.eqlin.marginals)) * scale if getattr(res, "eqlin", None) is not None else float("nan")
    p.setflags(write=False)
    return NonsignalingResult(
        value=value,
        behaviour=p,
        status="optimal",
        dual_bound=dual,
        signaling_gap=gap,
        time_s=time.perf_counter() - t0,
        parameters={"solver": "highs", "tol": tol},
    )
