r"""The no-signalling value of an N-player game (a linear program) and N-party no-signalling checks.

A behaviour :math:`p(a \mid x)` of N parties is *no-signalling* when the marginal of every subset of
parties does not depend on the questions of the others. It suffices that for every party :math:`i`

.. math::

    \sum_{a_i} p(a \mid x) \text{ does not depend on } x_i \qquad \forall a_{\neg i}, x_{\neg i}

(marginalising further then removes the dependence on any set of questions, one at a time). The
no-signalling value

.. math::  \omega_{ns}(G) = \max_{p \in \mathrm{NS}} \sum_{a, x} \pi(x) V(a, x)\, p(a \mid x)

is an upper bound on the quantum value; it is the LP in the :math:`\prod A_i \prod X_i` variables
:math:`p \ge 0` with normalisation and the equalities above (against :math:`x_i = 0`), solved with
HiGHS (``scipy.optimize.linprog``) on the game normalised to :math:`\sum |W| = 1`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ..game import GameError
from ..nonsignaling import NonsignalingError
from .game import MultiGame, as_multigame

__all__ = ["nonsignaling_value", "MultiNonsignalingResult", "signaling_gap", "is_nonsignaling"]


def signaling_gap(behaviour: ArrayLike) -> float:
    r"""Largest violation of the N-party no-signalling equalities:
    :math:`\max_i \max |\sum_{a_i} p(a|x) - \sum_{a_i} p(a|x')|` over :math:`x, x'` differing in :math:`x_i`."""
    p = np.asarray(behaviour, dtype=np.float64)
    if p.ndim < 4 or p.ndim % 2:
        raise GameError(f"behaviour: expected shape (A1..AN, X1..XN) with N >= 2, got {p.shape}")
    n = p.ndim // 2
    gap = 0.0
    for i in range(n):
        m = p.sum(axis=i)  # axes: a_{-i} (n-1), x (n); x_i at position n - 1 + i
        ax = n - 1 + i
        gap = max(gap, float((m.max(axis=ax) - m.min(axis=ax)).max()))
    return gap


def is_nonsignaling(behaviour: ArrayLike, atol: float = 1e-9) -> bool:
    """Whether ``behaviour`` is a normalised, non-negative, no-signalling N-party behaviour within ``atol``."""
    from .game import check_multi_behaviour

    try:
        p = check_multi_behaviour(behaviour, atol=max(float(atol), 1e-12))
    except GameError:
        return False
    return signaling_gap(p) <= atol


@dataclass(frozen=True, eq=False)
class MultiNonsignalingResult:
    """The no-signalling value of an N-player game and an optimal behaviour.

    Attributes
    ----------
    value : float
        The value of :attr:`behaviour` (the LP optimum, re-evaluated).
    behaviour : ndarray (A1..AN, X1..XN)
        An optimal no-signalling behaviour (clipped to >= 0 and renormalised).
    status : str
        ``"optimal"``.
    dual_bound : float
        HiGHS's dual objective (an upper bound up to solver tolerance).
    signaling_gap : float
    time_s : float
    parameters : dict
        Solver and tolerance; the LP is deterministic (no seed).
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


def _ns_constraints(shape: tuple[int, ...]) -> tuple[sp.csr_matrix, NDArray[np.float64]]:
    n = len(shape) // 2
    A, X = shape[:n], shape[n:]
    idx = np.arange(int(np.prod(shape))).reshape(shape)
    rows, cols, vals, rhs = [], [], [], []
    r = 0
    # normalisation
    norm = idx.reshape(-1, int(np.prod(X)))  # (prod A, prod X)
    for q in range(norm.shape[1]):
        rows.append(np.full(norm.shape[0], r))
        cols.append(norm[:, q])
        vals.append(np.ones(norm.shape[0]))
        rhs.append(1.0)
        r += 1
    for i in range(n):
        if X[i] < 2:
            continue
        # marginal over a_i at (a_{-i}, x) equals the one at x with x_i = 0
        m = np.moveaxis(idx, i, -1)  # (a_{-i}, x, a_i)
        for a_rest in np.ndindex(*m.shape[: n - 1]):
            for x in np.ndindex(*X):
                if x[i] == 0:
                    continue
                x0 = list(x)
                x0[i] = 0
                plus = m[a_rest + tuple(x)]
                minus = m[a_rest + tuple(x0)]
                rows.append(np.full(plus.size * 2, r))
                cols.append(np.concatenate([plus, minus]))
                vals.append(np.concatenate([np.ones(plus.size), -np.ones(minus.size)]))
                rhs.append(0.0)
                r += 1
    M = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, idx.size))
    return M, np.array(rhs)


#: Refuse LPs with more variables than this (prod A_i * prod X_i).
MAX_LP_VARIABLES = 2_000_000


def nonsignaling_value(game: MultiGame, *, tol: float = 1e-9) -> MultiNonsignalingResult:
    """The N-party no-signalling value and an optimal behaviour (LP, HiGHS).

    Parameters
    ----------
    game : MultiGame (or a two-player Game)
    tol : float in (0, 1e-3]
        HiGHS primal/dual feasibility tolerance; the behaviour's signalling gap must stay below
        ``100 * tol``.

    Raises
    ------
    NonsignalingError
        HiGHS did not report an optimum, or its behaviour fails the checks.
    GameError
        More than ``MAX_LP_VARIABLES`` variables, or a bad ``tol``.
    """
    game = as_multigame(game)
    tol = float(tol)
    if not (np.isfinite(tol) and 0 < tol <= 1e-3):
        raise GameError(f"tol: must lie in (0, 1e-3], got {tol!r}")
    nvar = int(np.prod(game.shape))
    if nvar > MAX_LP_VARIABLES:
        raise GameError(f"game: the no-signalling LP has {nvar} variables, above MAX_LP_VARIABLES = {MAX_LP_VARIABLES}")
    from scipy.optimize import linprog

    t0 = time.perf_counter()
    scale = float(np.abs(game.weights).sum()) or 1.0
    A_eq, b_eq = _ns_constraints(game.shape)
    c = -(np.asarray(game.weights) / scale).ravel()
    try:
        res = linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs",
                      options={"primal_feasibility_tolerance": tol, "dual_feasibility_tolerance": tol})
    except Exception as exc:  # scipy/HiGHS internal failure
        raise NonsignalingError(f"nonsignaling_value: the LP solver failed ({type(exc).__name__}: {exc})") from None
    if res.status != 0 or res.x is None:
        raise NonsignalingError(f"nonsignaling_value: the LP solver did not reach an optimum (status {res.status}: {res.message})")
    n = game.n_players
    p = np.clip(res.x.reshape(game.shape), 0.0, None)
    p /= p.sum(axis=tuple(range(n)), keepdims=True)
    gap = signaling_gap(p)
    if gap > 100 * tol:
        raise NonsignalingError(f"nonsignaling_value: the solver's behaviour signals by {gap:.3g} (> {100 * tol:.3g})")
    value = float(np.sum(game.weights * p))
    if abs(value / scale - (-res.fun)) > 1e3 * tol:
        raise NonsignalingError(f"nonsignaling_value: the behaviour is worth {value!r} but the solver reports {-res.fun * scale!r}")
    dual = float(-(b_eq @ res.eqlin.marginals)) * scale if getattr(res, "eqlin", None) is not None else float("nan")
    p.setflags(write=False)
    return MultiNonsignalingResult(value=value, behaviour=p, status="optimal", dual_bound=dual, signaling_gap=gap,
                                   time_s=time.perf_counter() - t0, parameters={"solver": "highs", "tol": tol})
