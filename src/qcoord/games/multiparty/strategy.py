r"""Strategies for N-player games: deterministic answer tables and quantum (state + measurements)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from numpy.typing import NDArray

from ..game import GameError, check_int
from ..strategy import _as_complex, _check_povms

__all__ = ["MultiDeterministicStrategy", "MultiQuantumStrategy", "born_behaviour"]


@dataclass(frozen=True)
class MultiDeterministicStrategy:
    """A deterministic classical strategy: ``answers[i][x]`` is player i's answer to its question x."""

    answers: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        if not isinstance(self.answers, (list, tuple)) or len(self.answers) < 2:
            raise GameError(f"answers: must be a list of N >= 2 answer tables (one per player), got {self.answers!r}")
        out = []
        for i, table in enumerate(self.answers):
            if isinstance(table, np.ndarray):
                table = table.tolist()
            if not isinstance(table, (list, tuple)):
                raise GameError(f"answers[{i}]: must be a sequence of answers (integers >= 0), got {table!r}")
            out.append(tuple(check_int(a, f"answers[{i}][{x}]", 0) for x, a in enumerate(table)))
        object.__setattr__(self, "answers", tuple(out))

    @property
    def n_players(self) -> int:
        return len(self.answers)

    def behaviour(self, n_answers: Sequence[int]) -> NDArray[np.float64]:
        """``p[a, x] = prod_i [a_i = answers[i][x_i]]``, shape (A1..AN, X1..XN)."""
        n_answers = tuple(int(a) for a in n_answers)
        if len(n_answers) != self.n_players:
            raise GameError(f"n_answers: expected {self.n_players} answer counts, got {len(n_answers)}")
        for i, (table, na) in enumerate(zip(self.answers, n_answers)):
            if any(not 0 <= a < na for a in table):
                raise GameError(f"answers[{i}]: answers must lie in range({na})")
        nq = tuple(len(t) for t in self.answers)
        p = np.zeros(n_answers + nq)
        for x in np.ndindex(*nq):
            a = tuple(self.answers[i][x[i]] for i in range(self.n_players))
            p[a + x] = 1.0
        return p


def born_behaviour(rho: NDArray[np.complex128], ops: Sequence[NDArray[np.complex128]]) -> NDArray[np.float64]:
    r"""Born rule :math:`p(a|x) = \mathrm{tr}[(\bigotimes_i M^{(i)}_{x_i, a_i}) \rho]` for a density matrix.

    ``ops[i]`` has shape (X_i, A_i, d_i, d_i); returns shape (A1..AN, X1..XN) (real part, clipped >= 0).
    """
    n = len(ops)
    dims = [o.shape[-1] for o in ops]
    T = rho.reshape(dims + dims)  # ket axes 0..n-1, bra axes n..2n-1
    # contract party by party: tr[M rho] = sum_{u,v} M[v, u] rho[u, v] (u ket, v bra)
    for i, o in enumerate(ops):
        K = o.shape[0] * o.shape[1]
        flat = o.reshape(K, dims[i], dims[i])
        # T currently has axes: (k_0..k_{i-1}, ket_i..ket_{n-1}, bra_i..bra_{n-1})
        rest = n - i
        ket_ax, bra_ax = i, i + rest
        T = np.tensordot(flat, T, axes=([2, 1], [ket_ax, bra_ax]))  # new k axis first
        T = np.moveaxis(T, 0, i)
    shape = []
    for o in ops:
        shape += [o.shape[0], o.shape[1]]
    p = T.real.reshape(shape)
    order = [2 * i + 1 for i in range(n)] + [2 * i for i in range(n)]
    return np.clip(np.transpose(p, order), 0.0, None)


@dataclass(frozen=True, eq=False)
class MultiQuantumStrategy:
    r"""An N-party entangled strategy: a shared state and each party's local measurements.

    Parameters
    ----------
    state : array_like
        A pure state vector of length :math:`D = \prod_i d_i` (ordering
        :math:`|i_1\rangle \cdots |i_N\rangle`, index :math:`((i_1 d_2 + i_2) d_3 + \dots)`) or a
        :math:`D \times D` density matrix.
    measurements : sequence of N array_likes
        ``measurements[i]`` has shape (X_i, A_i, d_i, d_i): ``measurements[i][x]`` is the list of
        POVM elements (projectors for a projective strategy) of party i for question x.
    dims : tuple of int, optional
        :math:`(d_1, \dots, d_N)`; checked against the measurements when given.

    Attributes
    ----------
    rho : ndarray (D, D)
        The density matrix.

    Notes
    -----
    The behaviour is the Born rule :math:`p(a|x) = \mathrm{tr}[(M^{(1)}_{x_1 a_1} \otimes \cdots
    \otimes M^{(N)}_{x_N a_N}) \rho]`.
    """

    state: NDArray[np.complex128]
    measurements: tuple[NDArray[np.complex128], ...]
    dims: tuple[int, ...] | None = None
    rho: NDArray[np.complex128] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        atol = 1e-7
        if not isinstance(self.measurements, (list, tuple)) or len(self.measurements) < 2:
            raise GameError("measurements: must be a list of N >= 2 arrays (X_i, A_i, d_i, d_i), one per party")
        ops = []
        for i, m in enumerate(self.measurements):
            arr = _as_complex(m, f"measurements[{i}]", "measurement operator ")
            _check_povms(arr, f"measurements[{i}]", atol)
            arr.setflags(write=False)
            ops.append(arr)
        dims = tuple(int(o.shape[-1]) for o in ops)
        if self.dims is not None and tuple(int(d) for d in self.dims) != dims:
            raise GameError(f"dims: {tuple(self.dims)} does not match the measurements' dimensions {dims}")
        D = int(np.prod(dims))
        s = _as_complex(self.state, "state")
        if s.ndim == 1:
            if s.shape[0] != D:
                raise GameError(f"state: a pure state must have length prod(dims) = {D}, got {s.shape[0]}")
            norm = np.linalg.norm(s)
            if abs(norm - 1) > atol:
                raise GameError(f"state: a pure state must have norm 1, got {norm!r}")
            rho = np.outer(s, s.conj())
        elif s.ndim == 2:
            if s.shape != (D, D):
                raise GameError(f"state: a density matrix must have shape ({D}, {D}), got {s.shape}")
            rho = s
            if np.abs(rho - rho.conj().T).max() > atol:
                raise GameError("state: a density matrix must be Hermitian")
            if abs(np.trace(rho).real - 1) > atol:
                raise GameError(f"state: a density matrix must have trace 1, got {np.trace(rho).real!r}")
            lam_min = float(np.linalg.eigvalsh(rho).min())
            if lam_min < -atol:
                raise GameError(f"state: a density matrix must be positive semidefinite (min eigenvalue {lam_min:.3g})")
        else:
            raise GameError(f"state: expected a vector or a matrix, got shape {s.shape}")
        s.setflags(write=False)
        rho.setflags(write=False)
        object.__setattr__(self, "measurements", tuple(ops))
        object.__setattr__(self, "dims", dims)
        object.__setattr__(self, "state", s)
        object.__setattr__(self, "rho", rho)

    @property
    def n_players(self) -> int:
        return len(self.measurements)

    @property
    def shape(self) -> tuple[int, ...]:
        """``(A1..AN, X1..XN)`` of the behaviour."""
        return tuple(int(o.shape[1]) for o in self.measurements) + tuple(int(o.shape[0]) for o in self.measurements)

    def behaviour(self) -> NDArray[np.float64]:
        """The Born-rule behaviour, shape (A1..AN, X1..XN)."""
        return born_behaviour(self.rho, self.measurements)

    def with_visibility(self, visibility: float) -> "MultiQuantumStrategy":
        r"""The same measurements on :math:`v \rho + (1 - v) I / D` (white noise, :math:`D = \prod d_i`).

        For a GHZ state this is the N-party Werner-type state; its correlators are those of
        :math:`\rho` multiplied by ``v`` (full-body ones), so a correlator Bell value scales by ``v``.

        Parameters
        ----------
        visibility : float in [0, 1]
        """
        try:
            v = float(visibility)
        except (TypeError, ValueError):
            raise GameError(f"visibility: must be a number in [0, 1], got {visibility!r}") from None
        if not np.isfinite(v) or not 0.0 <= v <= 1.0:
            raise GameError(f"visibility: must lie in [0, 1], got {visibility!r}")
        D = self.rho.shape[0]
        rho = v * self.rho + (1 - v) * np.eye(D) / D
        return MultiQuantumStrategy(state=rho, measurements=self.measurements)

    @classmethod
    def from_two_player(cls, strategy: Any) -> "MultiQuantumStrategy":
        """The N = 2 strategy of a two-player :class:`qcoord.games.QuantumStrategy` (same state and measurements)."""
        from ..strategy import QuantumStrategy

        if not isinstance(strategy, QuantumStrategy):
            raise GameError(f"strategy: expected a qcoord.games.QuantumStrategy, got {type(strategy).__name__}")
        return cls(state=strategy.state, measurements=(strategy.alice, strategy.bob))

    def to_two_player(self) -> Any:
        """The two-player :class:`qcoord.games.QuantumStrategy` (N = 2 only)."""
        from ..strategy import QuantumStrategy

        if self.n_players != 2:
            raise GameError(f"to_two_player: only a 2-party strategy converts, this one has {self.n_players} parties")
        return QuantumStrategy(state=self.rho if self.state.ndim == 2 else self.state,
                               alice=self.measurements[0], bob=self.measurements[1])

