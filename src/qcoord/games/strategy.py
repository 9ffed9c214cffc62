"""Strategies for two-player games: deterministic (classical) and quantum.

These are the values other packages consume: ``qcoord.entanglement`` turns a
:class:`QuantumStrategy` into sampled decisions, ``qcoord.policies`` turns a
:class:`DeterministicStrategy` into a routing rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .game import GameError, check_int

__all__ = ["DeterministicStrategy", "QuantumStrategy"]


@dataclass(frozen=True)
class DeterministicStrategy:
    """A deterministic classical strategy: an answer for every question of each player.

    Parameters
    ----------
    alice : tuple of int
        ``alice[x]`` is Alice's answer to question ``x``.
    bob : tuple of int
        ``bob[y]`` is Bob's answer to question ``y``.

    Notes
    -----
    Shared randomness is a convex mixture of deterministic strategies; since the value is linear in
    the behaviour, no mixture beats the best deterministic strategy.
    """

    alice: tuple[int, ...]
    bob: tuple[int, ...]

    def __post_init__(self) -> None:
        for who in ("alice", "bob"):
            answers = getattr(self, who)
            if isinstance(answers, np.ndarray) and answers.ndim == 1:
                answers = answers.tolist()
            if not isinstance(answers, (list, tuple)):
                raise GameError(f"{who}: must be a sequence of answers (integers >= 0), one per question, got {answers!r}")
            object.__setattr__(self, who, tuple(check_int(a, f"{who}[{i}]", 0) for i, a in enumerate(answers)))

    def behaviour(self, num_answers: tuple[int, int]) -> NDArray[np.float64]:
        """The behaviour ``p[a, b, x, y] = [a = alice[x]] [b = bob[y]]``."""
        na, nb = num_answers
        nx, ny = len(self.alice), len(self.bob)
        if any(not 0 <= a < na for a in self.alice) or any(not 0 <= b < nb for b in self.bob):
            raise GameError(f"strategy: answers must lie in range({na}) for Alice and range({nb}) for Bob")
        p = np.zeros((na, nb, nx, ny))
        p[np.asarray(self.alice)[:, None], np.asarray(self.bob)[None, :], np.arange(nx)[:, None], np.arange(ny)[None, :]] = 1.0
        return p


def _as_complex(value: ArrayLike, who: str, what: str = "") -> NDArray[np.complex128]:
    """``value`` as a complex128 array with finite entries; else :class:`GameError` naming ``who``.

    ``what`` (e.g. ``"measurement operator "``) qualifies the entries in the message.
    """
    try:
        arr = np.array(value, dtype=np.complex128)
    except (TypeError, ValueError) as exc:
        raise GameError(f"{who}: must be an array of (complex) numbers ({exc})") from None
    except RecursionError:
        raise GameError(f"{who}: nested too deeply to be an array of numbers") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise GameError(f"{who}: {what}entries must be finite numbers; {who}{list(idx)} = {arr[idx].item()!r}")
    return arr


def _check_povms(ops: NDArray[np.complex128], who: str, atol: float) -> None:
    # ops shape (n_questions, n_answers, d, d), finite entries (see _as_complex)
    if ops.ndim != 4 or ops.shape[2] != ops.shape[3] or 0 in ops.shape:
        raise GameError(
            f"{who}: measurement operators must have shape (questions, answers, d, d) with every axis >= 1, got {ops.shape}"
        )
    herm_err = np.abs(ops - np.conj(np.swapaxes(ops, -1, -2))).max()
    if herm_err > atol:
        raise GameError(f"{who}: measurement operators must be Hermitian (max deviation {herm_err:.2e})")
    try:
        eig_min = float(np.linalg.eigvalsh(ops).min())
    except np.linalg.LinAlgError as exc:
        raise GameError(f"{who}: the measurement operators could not be diagonalised ({exc})") from None
    if eig_min < -atol:
        raise GameError(f"{who}: measurement operators must be positive semidefinite (min eigenvalue {eig_min:.2e})")
    d = ops.shape[-1]
    sums = ops.sum(axis=1)
    err = np.abs(sums - np.eye(d)[None]).max()
    if err > atol:
        raise GameError(f"{who}: the operators of each question must sum to the identity (max deviation {err:.2e})")


@dataclass(frozen=True, eq=False)
class QuantumStrategy:
    """An entangled strategy: a shared state and local measurements.

    Parameters
    ----------
    state : array_like
        Either a pure state vector of length ``dA * dB`` (ordering ``|i>_A |j>_B`` with index
        ``i * dB + j``) or a density matrix of shape ``(dA*dB, dA*dB)``.
    alice : array_like, shape (nx, na, dA, dA)
        POVM elements :math:`A^x_a` (projective measurements are the special case of projectors).
    bob : array_like, shape (ny, nb, dB, dB)
        POVM elements :math:`B^y_b`.

    Attributes
    ----------
    rho : ndarray, shape (dA*dB, dA*dB)
        The density matrix.
    dims : tuple of int
        ``(dA, dB)``.

    Raises
    ------
    GameError
        Non-numeric or non-finite (NaN, inf) entries in the state or the measurements, wrong
        shapes, a state that is not normalised, Hermitian and positive semidefinite, or measurements
        that are not POVMs. The message names ``state``, ``alice`` or ``bob``.

    Notes
    -----
    The behaviour is the Born rule :math:`p(a,b|x,y) = \\mathrm{tr}[(A^x_a \\otimes B^y_b)\\rho]`.
    """

    state: NDArray[np.complex128]
    alice: NDArray[np.complex128]
    bob: NDArray[np.complex128]
    rho: NDArray[np.complex128] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        atol = 1e-7
        A = _as_complex(self.alice, "alice", "measurement operator ")
        B = _as_complex(self.bob, "bob", "measurement operator ")
        _check_povms(A, "alice", atol)
        _check_povms(B, "bob", atol)
        dA, dB = A.shape[-1], B.shape[-1]
        s = _as_complex(self.state, "state")
        if s.ndim == 1:
            if s.shape[0] != dA * dB:
                raise GameError(f"state: a pure state must have length dA*dB = {dA * dB}, got {s.shape[0]}")
            norm = np.linalg.norm(s)
            if abs(norm - 1) > atol:
                raise GameError(f"state: a pure state must have norm 1, got {norm!r}")
            rho = np.outer(s, s.conj())
        elif s.ndim == 2:
            if s.shape != (dA * dB, dA * dB):
                raise GameError(f"state: a density matrix must have shape ({dA * dB}, {dA * dB}), got {s.shape}")
            rho = s
            if np.abs(rho - rho.conj().T).max() > atol:
                raise GameError("state: a density matrix must be Hermitian")
            if abs(np.trace(rho).real - 1) > atol:
                raise GameError(f"state: a density matrix must have trace 1, got {np.trace(rho).real!r}")
            try:
                lam_min = float(np.linalg.eigvalsh(rho).min())
            except np.linalg.LinAlgError as exc:
                raise GameError(f"state: the density matrix could not be diagonalised ({exc})") from None
            if lam_min < -atol:
                raise GameError(f"state: a density matrix must be positive semidefinite (min eigenvalue {lam_min:.3g})")
        else:
            raise GameError(f"state: expected a vector or a matrix, got shape {s.shape}")
        for arr in (A, B, s, rho):
            arr.setflags(write=False)
        object.__setattr__(self, "alice", A)
        object.__setattr__(self, "bob", B)
        object.__setattr__(self, "state", s)
        object.__setattr__(self, "rho", rho)

    @property
    def dims(self) -> tuple[int, int]:
        """Local dimensions ``(dA, dB)``."""
        return self.alice.shape[-1], self.bob.shape[-1]

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(na, nb, nx, ny)`` of the behaviour."""
        return (self.alice.shape[1], self.bob.shape[1], self.alice.shape[0], self.bob.shape[0])

    def behaviour(self) -> NDArray[np.float64]:
        """The Born-rule behaviour ``p[a, b, x, y] = tr[(A^x_a ⊗ B^y_b) rho]``."""
        dA, dB = self.dims
        rho4 = self.rho.reshape(dA, dB, dA, dB)  # rho[(i,j),(k,l)]
        # tr[(A ⊗ B) rho] = sum A[k,i] B[l,j] rho[i,j,k,l]
        p = np.einsum("xaki,yblj,ijkl->abxy", self.alice, self.bob, rho4, optimize=True)
        return np.clip(p.real, 0.0, None)

    def with_visibility(self, visibility: float) -> "QuantumStrategy":
        """The same measurements on the Werner-type state :math:`v\\rho + (1-v) I/(d_A d_B)`.

        Parameters
        ----------
        visibility : float in [0, 1]
        """
        try:
            v = float(visibility)
        except (TypeError, ValueError):
            raise GameError(f"visibility: must be a number in [0, 1], got {visibility!r}") from None
        if not 0.0 <= v <= 1.0 or not np.isfinite(v):
            raise GameError(f"visibility: must lie in [0, 1], got {visibility!r}")
        dA, dB = self.dims
        rho = v * self.rho + (1 - v) * np.eye(dA * dB) / (dA * dB)
        return QuantumStrategy(state=rho, alice=self.alice, bob=self.bob)
