"""The maths shared by every exporter (no quantum SDK needed): a qubit strategy as gate angles.

A two-qubit strategy (``QuantumStrategy`` with ``dims == (2, 2)`` and two answers per question) is
turned into a *circuit recipe*:

1. **State.** A pure state :math:`|\\psi\\rangle = \\sum_{ij} \\Psi_{ij} |i\\rangle_A |j\\rangle_B` has the
   Schmidt form :math:`\\Psi = U \\,\\mathrm{diag}(\\cos t, \\sin t)\\, V^{\\dagger *}` (the SVD
   :math:`\\Psi = U S V_h`), i.e. :math:`|\\psi\\rangle = (U \\otimes V_h^T)(\\cos t|00\\rangle + \\sin t|11\\rangle)`
   with :math:`t = \\arctan(s_1/s_0) \\in [0, \\pi/4]`. It is prepared by :math:`R_Y(2t)` on Alice's qubit,
   a CNOT from Alice to Bob, then :math:`U` on Alice's and :math:`V_h^T` on Bob's qubit. A mixed state
   :math:`\\rho = \\sum_k \\lambda_k |\\phi_k\\rangle\\langle\\phi_k|` (e.g. Werner noise
   :math:`v\\rho + (1-v)I/4`) is *purified* onto two extra qubits,
   :math:`|\\Phi\\rangle = \\sum_k \\sqrt{\\lambda_k} |\\phi_k\\rangle |k\\rangle`, whose reduced state on the
   two players' qubits is exactly :math:`\\rho` (the exporters prepare it with a generic state
   preparation).
2. **Measurement.** A projective two-outcome measurement :math:`\\{P_0, P_1\\}` with rank-one
   :math:`P_0 = |u_0\\rangle\\langle u_0|` is the computational-basis measurement after the unitary
   :math:`G^\\dagger` with :math:`G = [u_0\\; u_1]`: :math:`p(k) = |\\langle k|G^\\dagger|\\psi\\rangle|^2 =
   \\langle\\psi|P_k|\\psi\\rangle`. A *trivial* measurement (:math:`P_a = I`: answer ``a`` whatever the
   state) is realised by swapping the player's qubit with a fresh ancilla prepared in
   :math:`|a\\rangle`, so the measured qubit reads ``a`` with certainty.
3. **Angles.** Every single-qubit unitary is written as Qiskit's / OpenQASM's
   :math:`U(\\theta, \\phi, \\lambda) = R_Z(\\phi) R_Y(\\theta) R_Z(\\lambda)` up to a global phase (which
   no probability sees): with :math:`G/\\sqrt{\\det G} = \\begin{pmatrix} a & -\\bar b \\\\ b & \\bar a
   \\end{pmatrix}`, :math:`\\theta = 2\\,\\mathrm{atan2}(|b|, |a|)`, :math:`\\phi = \\arg b - \\arg a`,
   :math:`\\lambda = -\\arg a - \\arg b`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..games import QuantumStrategy

__all__ = ["ExportError", "Recipe", "recipe", "u_angles", "u_matrix", "check_question"]

#: Tolerance for "projective", "pure" and "trivial" (operators and states are validated to 1e-7).
ATOL = 1e-7


class ExportError(ValueError):
    """A strategy or an option that cannot be exported; the message names the field."""


def u_matrix(theta: float, phi: float, lam: float) -> NDArray[np.complex128]:
    """OpenQASM's :math:`U(\\theta,\\phi,\\lambda) = \\begin{pmatrix}\\cos\\frac\\theta2 & -e^{i\\lambda}\\sin\\frac\\theta2
    \\\\ e^{i\\phi}\\sin\\frac\\theta2 & e^{i(\\phi+\\lambda)}\\cos\\frac\\theta2\\end{pmatrix}`."""
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    return np.array([[c, -np.exp(1j * lam) * s], [np.exp(1j * phi) * s, np.exp(1j * (phi + lam)) * c]])


def u_angles(G: NDArray[np.complex128]) -> tuple[float, float, float]:
    """Angles ``(theta, phi, lam)`` with ``u_matrix(theta, phi, lam) = e^{i alpha} G`` (module notes, step 3)."""
    G = np.asarray(G, dtype=np.complex128)
    V = G / np.sqrt(np.linalg.det(G))
    a, b = V[0, 0], V[1, 0]
    theta = 2.0 * float(np.arctan2(abs(b), abs(a)))
    arg_a = float(np.angle(a)) if abs(a) > 1e-12 else 0.0
    arg_b = float(np.angle(b)) if abs(b) > 1e-12 else 0.0
    return theta, arg_b - arg_a, -arg_a - arg_b


@dataclass(frozen=True)
class Measurement:
    """One player's measurement for one question, as a gate before a computational-basis measurement.

    Attributes
    ----------
    angles : (theta, phi, lam)
        :math:`U(\\theta,\\phi,\\lambda) = G^\\dagger` (up to phase); identity angles for a trivial one.
    trivial : int or None
        The certain answer of a trivial measurement (:math:`P_a = I`), else ``None``.
    """

    angles: tuple[float, float, float]
    trivial: int | None


@dataclass(frozen=True)
class Recipe:
    """A qubit strategy as circuit ingredients (module notes).

    Attributes
    ----------
    pure : bool
        Whether the state is pure (Schmidt preparation) or mixed (purified on two extra qubits).
    schmidt_angle : float
        :math:`t` in radians (pure states; :math:`\\pi/4` = maximally entangled).
    alice_local, bob_local : (theta, phi, lam)
        The Schmidt bases :math:`U` and :math:`V_h^T` as U-gate angles (pure states).
    purification : ndarray, shape (16,) or None
        Mixed states: :math:`\\sum_k \\sqrt{\\lambda_k}|\\phi_k\\rangle|k\\rangle` in Qiskit's little-endian order
        (index ``qA + 2 qB + 4 k``).
    alice, bob : tuple of Measurement
        Per question.
    """

    pure: bool
    schmidt_angle: float
    alice_local: tuple[float, float, float]
    bob_local: tuple[float, float, float]
    purification: NDArray[np.complex128] | None
    alice: tuple[Measurement, ...]
    bob: tuple[Measurement, ...]

    @property
    def trivial_alice(self) -> bool:
        """Whether some question of Alice's has a trivial measurement (an answer ancilla is needed)."""
        return any(m.trivial is not None for m in self.alice)

    @property
    def trivial_bob(self) -> bool:
        return any(m.trivial is not None for m in self.bob)


def _measurement(P: NDArray[np.complex128], who: str) -> Measurement:
    # P: (2, 2, 2) the two projectors of one question
    if np.abs(P[0] @ P[0] - P[0]).max() > ATOL or np.abs(P[1] @ P[1] - P[1]).max() > ATOL:
        raise ExportError(
            f"{who}: the measurement must be projective (P @ P = P within {ATOL:g}); a general POVM would need "
            "a Naimark dilation, which the exporters do not build (use the see-saw without povm=True)"
        )
    ranks = [int(round(float(np.trace(p).real))) for p in P]
    for a, r in enumerate(ranks):
        if r == 2:
            return Measurement((0.0, 0.0, 0.0), a)
    w, v = np.linalg.eigh(0.5 * (P[0] + P[0].conj().T))
    G = v[:, ::-1]  # column 0: eigenvalue 1 (outcome 0), column 1: eigenvalue 0 (outcome 1)
    theta, phi, lam = u_angles(G)
    # U(theta, phi, lam) = G up to phase; the rotation before the measurement is G^dagger = U(-theta, -lam, -phi)
    return Measurement((-theta, -lam, -phi), None)


def _purification(rho: NDArray[np.complex128]) -> NDArray[np.complex128]:
    lam, vec = np.linalg.eigh(0.5 * (rho + rho.conj().T))
    lam = np.clip(lam, 0.0, None)
    lam = lam / lam.sum()
    out = np.zeros(16, dtype=np.complex128)
    for k in range(4):
        phi = vec[:, k].reshape(2, 2)  # phi[i (Alice), j (Bob)]
        for i in range(2):
            for j in range(2):
                out[i + 2 * j + 4 * k] = np.sqrt(lam[k]) * phi[i, j]
    return out / np.linalg.norm(out)


def check_strategy(strategy: object) -> QuantumStrategy:
    """``strategy`` if it is an exportable qubit strategy, else :class:`ExportError` naming the problem."""
    if not isinstance(strategy, QuantumStrategy):
        raise ExportError(f"strategy: must be a qcoord.games.QuantumStrategy, got {type(strategy).__name__}")
    if strategy.dims != (2, 2):
        raise ExportError(
            f"strategy: local dimensions must be (2, 2) (one qubit per player), got {strategy.dims}; "
            "re-solve with quantum_lower_bound(game, dim=2)"
        )
    na, nb, _, _ = strategy.shape
    if (na, nb) != (2, 2):
        raise ExportError(f"strategy: every question must have 2 answers (one classical bit), got ({na}, {nb})")
    return strategy


def check_question(q: object, n: int, name: str) -> int:
    """``q`` as an int in ``range(n)``, else :class:`ExportError` naming ``name`` and the range."""
    if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not 0 <= int(q) < n:
        raise ExportError(f"{name}: must be an integer in range({n}), got {q!r}")
    return int(q)


def recipe(strategy: QuantumStrategy) -> Recipe:
    """The circuit ingredients of a qubit strategy (module notes).

    Raises
    ------
    ExportError
        Not a ``QuantumStrategy``, local dimensions other than (2, 2), more than two answers, or a
        measurement that is not projective.
    """
    s = check_strategy(strategy)
    rho = np.asarray(s.rho)
    lam, vec = np.linalg.eigh(0.5 * (rho + rho.conj().T))
    pure = bool(lam[-1] > 1 - ATOL)
    t, ua, ub, purif = 0.0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), None
    if pure:
        psi = vec[:, -1].reshape(2, 2)
        U, sv, Vh = np.linalg.svd(psi)
        t = float(np.arctan2(sv[1], sv[0]))
        ua, ub = u_angles(U), u_angles(Vh.T)
    else:
        purif = _purification(rho)
        purif.setflags(write=False)
    alice = tuple(_measurement(np.asarray(s.alice[x]), f"alice[{x}]") for x in range(s.alice.shape[0]))
    bob = tuple(_measurement(np.asarray(s.bob[y]), f"bob[{y}]") for y in range(s.bob.shape[0]))
    return Recipe(pure, t, ua, ub, purif, alice, bob)


def bell_form(strategy: QuantumStrategy, atol: float = 1e-6) -> QuantumStrategy:
    """The same behaviour on exactly :math:`|\\Phi^+\\rangle = (|00\\rangle + |11\\rangle)/\\sqrt2`.

    A maximally entangled pure state is :math:`(I \\otimes N)|\\Phi^+\\rangle` with :math:`N = \\sqrt2\\,\\Psi^T`
    unitary (since :math:`(I \\otimes N)|\\Phi^+\\rangle = \\sum_{ij} N_{ji}|ij\\rangle/\\sqrt2`), so Bob's
    measurement :math:`B \\mapsto N^\\dagger B N` on :math:`|\\Phi^+\\rangle` gives the same behaviour.

    Raises
    ------
    ExportError
        The state is mixed or not maximally entangled (Schmidt coefficients differ by more than
        ``atol``): re-solve with ``quantum_lower_bound(game, state="bell")``.
    """
    s = check_strategy(strategy)
    rho = np.asarray(s.rho)
    lam, vec = np.linalg.eigh(0.5 * (rho + rho.conj().T))
    if lam[-1] < 1 - ATOL:
        raise ExportError(
            "strategy: the state is mixed; NetQASM networks deliver |Phi+> pairs (model noise with the link "
            "fidelity in network.yaml instead), so export the noiseless strategy"
        )
    psi = vec[:, -1].reshape(2, 2)
    sv = np.linalg.svd(psi, compute_uv=False)
    if abs(sv[0] - sv[1]) > atol:
        raise ExportError(
            f"strategy: the state is not maximally entangled (Schmidt angle {np.degrees(np.arctan2(sv[1], sv[0])):.4f} deg, "
            "45 deg needed); NetQASM networks deliver |Phi+> only: re-solve with quantum_lower_bound(game, state='bell')"
        )
    N = np.sqrt(2.0) * psi.T
    # N is unitary up to rounding: polish it (polar factor) so the new operators stay projectors
    u, _, vh = np.linalg.svd(N)
    N = u @ vh
    B = np.einsum("ij,ybjk,kl->ybil", N.conj().T, np.asarray(s.bob), N)
    phi = np.array([1, 0, 0, 1], dtype=np.complex128) / np.sqrt(2)
    return QuantumStrategy(state=phi, alice=np.asarray(s.alice), bob=B)
