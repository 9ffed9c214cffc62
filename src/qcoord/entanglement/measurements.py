"""Local measurements: one POVM per question for each party.

A party's measurement is a family of operators :math:`M^q_o` (question ``q``, outcome ``o``) on its
``d``-dimensional half of the pair, with :math:`M^q_o = (M^q_o)^\\dagger \\succeq 0` and
:math:`\\sum_o M^q_o = I` for every ``q``. A qubit projective measurement along the Bloch vector
:math:`\\vec n(\\theta, \\phi) = (\\sin\\theta\\cos\\phi, \\sin\\theta\\sin\\phi, \\cos\\theta)` has outcome 0
projector :math:`(I + \\vec n\\cdot\\vec\\sigma)/2` and outcome 1 projector :math:`(I - \\vec n\\cdot\\vec\\sigma)/2`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qcoord.games import QuantumStrategy

from .states import STATE_ATOL, EntanglementError, density_matrix

__all__ = ["Measurement", "LocalMeasurements", "bloch_projectors", "PAULI"]

#: Pauli matrices X, Y, Z.
PAULI = np.array(
    [[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=np.complex128
)
PAULI.setflags(write=False)


def bloch_projectors(theta: float, phi: float = 0.0) -> NDArray[np.complex128]:
    """Projectors ``[(I + n.sigma)/2, (I - n.sigma)/2]`` along the Bloch direction ``(theta, phi)``.

    Parameters
    ----------
    theta : float
        Polar angle from +z, radians (``0`` = Z basis, ``pi/2`` with ``phi = 0`` = X basis).
    phi : float
        Azimuth in the x-y plane, radians.

    Returns
    -------
    ndarray of complex, shape (2, 2, 2)
    """
    th, ph = float(theta), float(phi)
    if not (np.isfinite(th) and np.isfinite(ph)):
        raise EntanglementError(f"bloch angles: must be finite, got ({theta!r}, {phi!r})")
    n = np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])
    ns = np.einsum("k,kij->ij", n, PAULI)
    eye = np.eye(2)
    return np.stack([(eye + ns) / 2, (eye - ns) / 2])


@dataclass(frozen=True, eq=False)
class Measurement:
    """One party's measurements, one POVM per question.

    Parameters
    ----------
    operators : array_like, shape (questions, outcomes, d, d)
        ``operators[q, o]`` is :math:`M^q_o`.

    Raises
    ------
    EntanglementError
        If the operators are not Hermitian, not positive semidefinite, or do not sum to the identity.
    """

    operators: NDArray[np.complex128]

    def __post_init__(self) -> None:
        try:
            M = np.array(self.operators, dtype=np.complex128)
        except (TypeError, ValueError) as exc:
            raise EntanglementError(f"operators: must be a complex array (questions, outcomes, d, d) ({exc})") from None
        if M.ndim != 4 or M.shape[2] != M.shape[3] or min(M.shape) < 1:
            raise EntanglementError(f"operators: must have shape (questions, outcomes, d, d), got {M.shape}")
        if not np.all(np.isfinite(M)):
            raise EntanglementError("operators: entries must be finite")
        herm = float(np.abs(M - np.conj(np.swapaxes(M, -1, -2))).max())
        if herm > STATE_ATOL:
            raise EntanglementError(f"operators: must be Hermitian (max deviation {herm:.3g})")
        lam = float(np.linalg.eigvalsh(M).min())
        if lam < -STATE_ATOL:
            raise EntanglementError(f"operators: must be positive semidefinite (min eigenvalue {lam:.3g})")
        err = float(np.abs(M.sum(axis=1) - np.eye(M.shape[-1])[None]).max())
        if err > STATE_ATOL:
            raise EntanglementError(f"operators: the outcomes of each question must sum to the identity (max deviation {err:.3g})")
        M.setflags(write=False)
        object.__setattr__(self, "operators", M)

    @property
    def num_questions(self) -> int:
        """Number of questions (POVMs), ``operators.shape[0]``."""
        return int(self.operators.shape[0])

    @property
    def num_outcomes(self) -> int:
        """Number of outcomes per POVM, ``operators.shape[1]``."""
        return int(self.operators.shape[1])

    @property
    def dim(self) -> int:
        """Local Hilbert-space dimension :math:`d` (operators are :math:`d \\times d`)."""
        return int(self.operators.shape[-1])

    @property
    def is_projective(self) -> bool:
        """True if every operator is idempotent, :math:`M^2 = M`."""
        M = self.operators
        return bool(np.abs(M @ M - M).max() < 1e-6)

    @classmethod
    def from_bloch_angles(cls, angles: Sequence[tuple[float, float]] | Sequence[float]) -> "Measurement":
        """Qubit projective measurements along Bloch directions, one per question.

        Parameters
        ----------
        angles : sequence of (theta, phi) or of theta
            Per question, the Bloch direction of outcome 0 (a bare number means ``phi = 0``: a
            measurement in the x-z plane at polar angle ``theta``).
        """
        if len(angles) < 1:
            raise EntanglementError("angles: need at least one question")
        ops = []
        for q, ang in enumerate(angles):
            if np.ndim(ang) == 0:
                th, ph = float(ang), 0.0
            elif np.shape(ang) == (2,):
                th, ph = float(ang[0]), float(ang[1])
            else:
                raise EntanglementError(f"angles[{q}]: must be theta or (theta, phi), got {ang!r}")
            ops.append(bloch_projectors(th, ph))
        return cls(np.stack(ops))

    def probabilities(self, rho: ArrayLike) -> NDArray[np.float64]:
        """Outcome probabilities ``p[q, o] = tr[M^q_o rho]`` on a local state ``rho`` (d x d)."""
        r = density_matrix(rho, field="rho")
        if r.shape != (self.dim, self.dim):
            raise EntanglementError(f"rho: must have shape ({self.dim}, {self.dim}), got {r.shape}")
        return np.clip(np.einsum("qoij,ji->qo", self.operators, r).real, 0.0, None)


@dataclass(frozen=True, eq=False)
class LocalMeasurements:
    """Alice's and Bob's measurements (what each does with its half of a pair).

    Parameters
    ----------
    alice, bob : Measurement
    """

    alice: Measurement
    bob: Measurement

    def __post_init__(self) -> None:
        for name in ("alice", "bob"):
            m = getattr(self, name)
            if not isinstance(m, Measurement):
                object.__setattr__(self, name, Measurement(m))

    @classmethod
    def from_strategy(cls, strategy: QuantumStrategy) -> "LocalMeasurements":
        """The operators per question of a :class:`qcoord.games.QuantumStrategy`."""
        if not isinstance(strategy, QuantumStrategy):
            raise EntanglementError(f"strategy: must be a qcoord.games.QuantumStrategy, got {type(strategy).__name__}")
        return cls(Measurement(strategy.alice), Measurement(strategy.bob))

    @classmethod
    def from_bloch_angles(
        cls,
        alice: Sequence[tuple[float, float]] | Sequence[float],
        bob: Sequence[tuple[float, float]] | Sequence[float],
    ) -> "LocalMeasurements":
        """Qubit projective measurements from Bloch angles (see :meth:`Measurement.from_bloch_angles`)."""
        return cls(Measurement.from_bloch_angles(alice), Measurement.from_bloch_angles(bob))

    @property
    def dims(self) -> tuple[int, int]:
        """Local dimensions :math:`(d_A, d_B)`."""
        return self.alice.dim, self.bob.dim

    def strategy(self, state: ArrayLike) -> QuantumStrategy:
        """The :class:`QuantumStrategy` that measures these operators on ``state``."""
        rho = density_matrix(state)
        dA, dB = self.dims
        if rho.shape[0] != dA * dB:
            raise EntanglementError(f"state: dimension must be dA*dB = {dA * dB}, got {rho.shape[0]}")
        s = np.asarray(state)
        return QuantumStrategy(state=s if s.ndim == 1 else rho, alice=self.alice.operators, bob=self.bob.operators)


def chsh_measurements() -> LocalMeasurements:
    """The optimal CHSH settings for :math:`|\\Phi^+\\rangle` in the x-z plane.

    Alice measures Z (theta = 0) and X (theta = pi/2); Bob measures at theta = pi/4 and -pi/4.
    Correlators :math:`E(x, y) = \\cos(\\theta^A_x - \\theta^B_y)` equal :math:`+1/\\sqrt{2}` except
    :math:`E(1, 1) = -1/\\sqrt{2}`, so the CHSH predicate ``a xor b = x and y`` is won with
    probability :math:`(1 + 1/\\sqrt{2})/2 \\approx 0.8536`.

    Returns
    -------
    LocalMeasurements
        Two projective qubit measurements per party; ``.strategy(bell_state())`` is the Tsirelson
        strategy.
    """
    return LocalMeasurements.from_bloch_angles([0.0, np.pi / 2], [np.pi / 4, -np.pi / 4])


__all__.append("chsh_measurements")
