"""Entangled states, Werner-type noise and the conversions between visibility, fidelity and CHSH.

Conventions
-----------
A bipartite pure state of local dimensions ``(dA, dB)`` is a complex vector of length ``dA * dB``
in the product basis :math:`|i\\rangle_A |j\\rangle_B` with index ``i * dB + j`` (the ordering of
:class:`qcoord.games.QuantumStrategy`). A density matrix has shape ``(dA*dB, dA*dB)``.

Werner-type noise with visibility :math:`v \\in [0, 1]` mixes a state with the maximally mixed state,

.. math::

    \\rho_v = v\\, \\rho + (1 - v)\\, \\frac{I}{d_A d_B}.

For a two-qubit maximally entangled target the fidelity is :math:`F = \\langle\\Phi|\\rho_v|\\Phi\\rangle
= v + (1 - v)/4 = (1 + 3v)/4` (for local dimension ``d``: :math:`F = v + (1 - v)/d^2`), and the optimal
CHSH correlator sum is :math:`S = 2\\sqrt{2}\\, v` (Tsirelson's bound scaled by ``v``), i.e. a CHSH win
probability :math:`(1 + v/\\sqrt{2})/2`; it beats the classical 3/4 iff :math:`v > 1/\\sqrt{2}`
(Horodecki criterion for Werner states).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "EntanglementError",
    "STATE_ATOL",
    "bell_state",
    "partially_entangled",
    "maximally_entangled",
    "werner",
    "density_matrix",
    "check_visibility",
    "fidelity_from_visibility",
    "visibility_from_fidelity",
    "chsh_value_from_visibility",
    "chsh_win_probability_from_visibility",
    "visibility_from_chsh_value",
]

#: Absolute tolerance for normalisation, Hermiticity and positivity checks.
STATE_ATOL = 1e-7

_SQ2 = math.sqrt(2.0)


class EntanglementError(ValueError):
    """Invalid input to ``qcoord.entanglement``. The message starts with the field name and the range."""


_BELL = {
    "phi+": np.array([1, 0, 0, 1], dtype=np.complex128) / _SQ2,
    "phi-": np.array([1, 0, 0, -1], dtype=np.complex128) / _SQ2,
    "psi+": np.array([0, 1, 1, 0], dtype=np.complex128) / _SQ2,
    "psi-": np.array([0, 1, -1, 0], dtype=np.complex128) / _SQ2,
}


def bell_state(kind: str = "phi+") -> NDArray[np.complex128]:
    """One of the four Bell states as a vector of length 4.

    Parameters
    ----------
    kind : {"phi+", "phi-", "psi+", "psi-"}
        :math:`|\\Phi^\\pm\\rangle = (|00\\rangle \\pm |11\\rangle)/\\sqrt{2}`,
        :math:`|\\Psi^\\pm\\rangle = (|01\\rangle \\pm |10\\rangle)/\\sqrt{2}`.

    Returns
    -------
    ndarray of complex, shape (4,)
    """
    key = str(kind).lower().replace("_plus", "+").replace("_minus", "-")
    if key not in _BELL:
        raise EntanglementError(f"kind: must be one of {sorted(_BELL)}, got {kind!r}")
    return _BELL[key].copy()


def partially_entangled(theta: float) -> NDArray[np.complex128]:
    """The two-qubit pure state :math:`\\cos\\theta|00\\rangle + \\sin\\theta|11\\rangle`.

    Parameters
    ----------
    theta : float
        Angle in radians. ``theta = pi/4`` is :math:`|\\Phi^+\\rangle`; ``0`` is the product state
        :math:`|00\\rangle`. Its concurrence is :math:`|\\sin 2\\theta|`.

    Returns
    -------
    ndarray of complex, shape (4,)
    """
    t = float(theta)
    if not math.isfinite(t):
        raise EntanglementError(f"theta: must be a finite angle in radians, got {theta!r}")
    return np.array([math.cos(t), 0.0, 0.0, math.sin(t)], dtype=np.complex128)


def maximally_entangled(dim: int = 2) -> NDArray[np.complex128]:
    """The maximally entangled state :math:`\\sum_{i<d} |ii\\rangle/\\sqrt{d}` of two qudits.

    Parameters
    ----------
    dim : int >= 2
        Local dimension ``d``.

    Returns
    -------
    ndarray of complex, shape (d*d,)
    """
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 2:
        raise EntanglementError(f"dim: must be an integer >= 2, got {dim!r}")
    d = int(dim)
    psi = np.zeros(d * d, dtype=np.complex128)
    psi[np.arange(d) * (d + 1)] = 1.0 / math.sqrt(d)
    return psi


def density_matrix(state: ArrayLike, *, field: str = "state", atol: float = STATE_ATOL) -> NDArray[np.complex128]:
    """Validate a pure state vector or density matrix and return the density matrix.

    Parameters
    ----------
    state : array_like
        A normalised vector :math:`|\\psi\\rangle` (returns :math:`|\\psi\\rangle\\langle\\psi|`) or a
        Hermitian, positive semidefinite, unit-trace matrix.
    field : str
        Name used in error messages.
    atol : float
        Tolerance of the normalisation, Hermiticity and positivity checks (``STATE_ATOL``).

    Returns
    -------
    ndarray of complex128, shape (D, D)
        :math:`\\rho` with :math:`\\mathrm{tr}\\,\\rho = 1`, :math:`\\rho = \\rho^\\dagger \\succeq 0`.

    Raises
    ------
    EntanglementError
        If the state is not normalised, not Hermitian, not positive or has the wrong shape.
    """
    try:
        s = np.array(state, dtype=np.complex128)
    except (TypeError, ValueError) as exc:
        raise EntanglementError(f"{field}: must be a complex vector or matrix ({exc})") from None
    if not np.all(np.isfinite(s)):
        raise EntanglementError(f"{field}: entries must be finite")
    if s.ndim == 1:
        if s.size < 1:
            raise EntanglementError(f"{field}: a state vector must be non-empty")
        norm = float(np.linalg.norm(s))
        if abs(norm - 1.0) > atol:
            raise EntanglementError(f"{field}: a pure state must have norm 1, got {norm!r}")
        return np.outer(s, s.conj())
    if s.ndim == 2 and s.shape[0] == s.shape[1]:
        if np.abs(s - s.conj().T).max() > atol:
            raise EntanglementError(f"{field}: a density matrix must be Hermitian")
        tr = float(np.trace(s).real)
        if abs(tr - 1.0) > atol:
            raise EntanglementError(f"{field}: a density matrix must have trace 1, got {tr!r}")
        lam = float(np.linalg.eigvalsh(s).min())
        if lam < -atol:
            raise EntanglementError(f"{field}: a density matrix must be positive semidefinite (min eigenvalue {lam:.3g})")
        return s.copy()
    raise EntanglementError(f"{field}: expected a vector or a square matrix, got shape {s.shape}")


def check_visibility(visibility: ArrayLike, field: str = "visibility") -> NDArray[np.float64]:
    """Validate Werner visibilities (scalar or array): every entry must lie in :math:`[0, 1]`.

    The visibility :math:`v` of :math:`\\rho_v = v\\rho + (1 - v) I/D` is the weight of the signal
    state; :math:`v = 1` is the noiseless state, :math:`v = 0` white noise.

    Parameters
    ----------
    visibility : float or array_like
        Visibilities, dimensionless.
    field : str
        Name used in the error message (e.g. ``"decay"`` for a pool's decay function).

    Returns
    -------
    ndarray of float64
        ``visibility`` as a float array of the same shape (0-d for a scalar).

    Raises
    ------
    EntanglementError
        On non-numeric, NaN or out-of-range entries (the message starts with ``field``).
    """
    try:
        v = np.asarray(visibility, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise EntanglementError(f"{field}: must be a real number or array in [0, 1] ({exc})") from None
    if v.size and not (np.all(v >= 0.0) and np.all(v <= 1.0)):  # also rejects NaN
        bad = v[~((v >= 0.0) & (v <= 1.0))].ravel()[0]
        raise EntanglementError(f"{field}: must lie in [0, 1], got {bad!r}")
    return v


def _real_in(values: ArrayLike, field: str, lo: float, hi: float, label: str, lo_tol: float = 1e-12) -> NDArray[np.float64]:
    """``values`` as a float array with entries in ``[lo - lo_tol, hi + 1e-12]`` (``label`` shows the range)."""
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise EntanglementError(f"{field}: must be a real number in {label}, got {values!r}") from None
    ok = (x >= lo - lo_tol) & (x <= hi + 1e-12)  # also rejects NaN
    if not np.all(ok):
        raise EntanglementError(f"{field}: must lie in {label}, got {x[~ok].ravel()[0] if x.ndim else float(x)!r}")
    return x


def _check_dim(dim: object) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or int(dim) < 2:
        raise EntanglementError(f"dim: must be an integer >= 2, got {dim!r}")
    return int(dim)


def werner(visibility: float, state: ArrayLike | None = None, dims: tuple[int, int] | None = None) -> NDArray[np.complex128]:
    """Werner-type mixture :math:`v\\rho + (1-v) I/(d_A d_B)`.

    Parameters
    ----------
    visibility : float in [0, 1]
        Weight ``v`` of the signal state.
    state : array_like, optional
        Pure state vector or density matrix; default :math:`|\\Phi^+\\rangle`.
    dims : (int, int), optional
        Local dimensions; only needed to document non-square splits (the noise term depends on the
        total dimension only).

    Returns
    -------
    ndarray of complex, shape (D, D)
        With ``state = |Psi^->`` this is the textbook Werner state.
    """
    v = float(check_visibility(visibility))
    rho = density_matrix(bell_state() if state is None else state)
    D = rho.shape[0]
    if dims is not None and int(dims[0]) * int(dims[1]) != D:
        raise EntanglementError(f"dims: product must equal the state dimension {D}, got {dims!r}")
    return v * rho + (1.0 - v) * np.eye(D) / D


def fidelity_from_visibility(visibility: ArrayLike, dim: int = 2) -> float | NDArray[np.float64]:
    """Fidelity of a Werner state with its target maximally entangled state.

    :math:`F = \\langle\\Phi|\\rho_v|\\Phi\\rangle = v + (1-v)/d^2` for
    :math:`\\rho_v = v|\\Phi\\rangle\\langle\\Phi| + (1 - v) I/d^2`; for qubits (``dim = 2``)
    :math:`F = (1 + 3v)/4`.

    Parameters
    ----------
    visibility : float or array_like in [0, 1]
        Werner visibility :math:`v`.
    dim : int >= 2
        Local dimension :math:`d` of each party.

    Returns
    -------
    float or ndarray
        :math:`F \\in [1/d^2, 1]` (a float for scalar input).
    """
    _check_dim(dim)
    v = check_visibility(visibility)
    d2 = float(dim) ** 2
    f = v + (1.0 - v) / d2
    return float(f) if f.ndim == 0 else f


def visibility_from_fidelity(fidelity: ArrayLike, dim: int = 2) -> float | NDArray[np.float64]:
    """Werner visibility of the state with fidelity ``fidelity``: inverse of :func:`fidelity_from_visibility`.

    :math:`v = (d^2 F - 1)/(d^2 - 1)`; for qubits :math:`v = (4F - 1)/3`.

    Parameters
    ----------
    fidelity : float or array_like in [1/d^2, 1]
        Fidelity :math:`F` with the target maximally entangled state (values within 1e-12 of the
        ends are accepted and clipped).
    dim : int >= 2
        Local dimension :math:`d`.

    Returns
    -------
    float or ndarray
        :math:`v \\in [0, 1]`.
    """
    _check_dim(dim)
    d2 = float(dim) ** 2
    F = _real_in(fidelity, "fidelity", 1.0 / d2, 1.0, f"[{1 / d2}, 1]")
    v = np.clip((d2 * F - 1.0) / (d2 - 1.0), 0.0, 1.0)
    return float(v) if v.ndim == 0 else v


def chsh_value_from_visibility(visibility: ArrayLike) -> float | NDArray[np.float64]:
    """Optimal CHSH correlator sum on a Werner-noisy Bell pair: :math:`S = 2\\sqrt{2}\\, v`.

    The correlators are linear in the state and vanish on white noise, so Tsirelson's
    :math:`2\\sqrt{2}` scales by :math:`v`; :math:`S > 2` (a Bell violation) iff :math:`v > 1/\\sqrt{2}`.

    Parameters
    ----------
    visibility : float or array_like in [0, 1]

    Returns
    -------
    float or ndarray
        :math:`S \\in [0, 2\\sqrt{2}]`.
    """
    s = 2.0 * _SQ2 * check_visibility(visibility)
    return float(s) if s.ndim == 0 else s


def chsh_win_probability_from_visibility(visibility: ArrayLike) -> float | NDArray[np.float64]:
    """Optimal CHSH win probability at visibility ``v``: :math:`(1 + v/\\sqrt{2})/2 = 1/2 + S/8`.

    Equals the classical value 3/4 at :math:`v = 1/\\sqrt{2}` and Tsirelson's
    :math:`\\cos^2(\\pi/8)` at :math:`v = 1`.

    Parameters
    ----------
    visibility : float or array_like in [0, 1]

    Returns
    -------
    float or ndarray
        Win probability in :math:`[1/2, \\cos^2(\\pi/8)]`.
    """
    w = 0.5 * (1.0 + check_visibility(visibility) / _SQ2)
    return float(w) if w.ndim == 0 else w


def visibility_from_chsh_value(chsh: ArrayLike) -> float | NDArray[np.float64]:
    """Werner visibility that gives CHSH value ``S``: inverse of :func:`chsh_value_from_visibility`.

    Parameters
    ----------
    chsh : float or array_like in [0, 2*sqrt(2)]
        Correlator sum :math:`S`.

    Returns
    -------
    float or ndarray
        :math:`v = S/(2\\sqrt{2}) \\in [0, 1]`.
    """
    S = _real_in(chsh, "chsh", 0.0, 2.0 * _SQ2, "[0, 2*sqrt(2)]", lo_tol=0.0)
    v = np.clip(S / (2.0 * _SQ2), 0.0, 1.0)
    return float(v) if v.ndim == 0 else v
