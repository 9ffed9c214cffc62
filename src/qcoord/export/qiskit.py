"""Qiskit circuits of a qubit strategy: one circuit per question pair, and one parameterised circuit.

Convention (tested to 1e-9): qubit 0 is Alice's (the server playing A), qubit 1 Bob's; Alice's answer
``a`` is measured into classical bit 0 and Bob's ``b`` into bit 1. In Qiskit's little-endian order the
outcome ``(a, b)`` is the integer ``a + 2 b``, so

.. code-block:: python

    Statevector(circ.remove_final_measurements(inplace=False)).probabilities([0, 1])[a + 2 * b]
        == strategy.behaviour()[a, b, x, y]

Construction (maths in :mod:`qcoord.export._decompose`): prepare the state (a pure state through its
Schmidt form, :math:`R_Y(2t)`, CNOT, then the local Schmidt bases; a mixed state, e.g. Werner noise,
through a purification on qubits 2 and 3, prepared by Qiskit's ``StatePreparation`` and decomposed into
``u`` and ``cx`` gates), then rotate each qubit into its player's measurement basis with one
:math:`U(\\theta,\\phi,\\lambda)` gate, then measure. *Noise choice*: Werner (or any) noise is carried
by the state itself (exact purification, so ``Statevector`` and ``DensityMatrix`` of the circuit give
the noisy behaviour exactly; no Aer noise model is involved). A trivial measurement (answer ``a``
whatever the state) swaps the player's qubit with an answer ancilla in :math:`|a\\rangle` (qubit 2 or 3
after the purification qubits). Only qubit strategies are exported: other dimensions raise
:class:`ExportError`.

Qiskit is an optional dependency: ``pip install 'qcoord[qiskit]'``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..games import QuantumStrategy
from ._decompose import ExportError, Recipe, check_question, recipe

if TYPE_CHECKING:  # pragma: no cover
    from qiskit import QuantumCircuit

__all__ = ["qiskit_circuit", "qiskit_circuits", "parameterised_circuit", "ParameterisedCircuit", "require_qiskit"]


def require_qiskit() -> Any:
    """Import and return the ``qiskit`` module, or raise :class:`ExportError` naming the extra."""
    try:
        import qiskit
    except ImportError as exc:
        raise ExportError(
            f"qiskit is not installed ({exc}); install the optional extra: pip install 'qcoord[qiskit]'"
        ) from None
    return qiskit


def _layout(r: Recipe) -> tuple[int, int | None, int | None]:
    """Number of qubits and the answer-ancilla indices (Alice's, Bob's) of a recipe's circuits."""
    n = 2 if r.pure else 4
    anc_a = anc_b = None
    if r.trivial_alice:
        anc_a, n = n, n + 1
    if r.trivial_bob:
        anc_b, n = n, n + 1
    return n, anc_a, anc_b


def _prepare(qc: "QuantumCircuit", r: Recipe) -> None:
    if r.pure:
        qc.ry(2.0 * r.schmidt_angle, 0)
        qc.cx(0, 1)
        qc.u(*r.alice_local, 0)
        qc.u(*r.bob_local, 1)
        return
    from qiskit import QuantumCircuit as QC, transpile
    from qiskit.circuit.library import StatePreparation

    prep = QC(4)
    prep.append(StatePreparation(np.asarray(r.purification)), [0, 1, 2, 3])
    prep = transpile(prep, basis_gates=["u", "cx"], optimization_level=1, seed_transpiler=0)
    qc.compose(prep, [0, 1, 2, 3], inplace=True)


def qiskit_circuit(strategy: QuantumStrategy, x: int, y: int, measure: bool = True) -> "QuantumCircuit":
    """The circuit of one round with questions ``(x, y)`` (module notes for the convention).

    Parameters
    ----------
    strategy : QuantumStrategy
        Qubit strategy (``dims == (2, 2)``, two answers per question, projective measurements), pure
        or mixed (e.g. ``strategy.with_visibility(v)``), from ``quantum_lower_bound``,
        ``xor_quantum_value`` or built by hand.
    x, y : int
        Alice's and Bob's questions.
    measure : bool
        Measure qubit 0 into classical bit 0 (answer ``a``) and qubit 1 into bit 1 (answer ``b``).

    Returns
    -------
    qiskit.QuantumCircuit
        Named ``qcoord_x{x}_y{y}``; gates ``ry``, ``cx``, ``u`` (and ``swap``/``x`` for trivial
        measurements); its outcome distribution is ``strategy.behaviour()[:, :, x, y]``.

    Raises
    ------
    ExportError
        Not an exportable qubit strategy, questions out of range, or qiskit missing.
    """
    r = recipe(strategy)
    _, _, nx, ny = strategy.shape
    x = check_question(x, nx, "x")
    y = check_question(y, ny, "y")
    require_qiskit()
    return _circuit(r, x, y, measure)


def _circuit(r: Recipe, x: int, y: int, measure: bool, alice_only: bool = False) -> "QuantumCircuit":
    """The round's circuit; ``alice_only``: without Bob's rotation, measuring qubit 0 into a 1-bit register."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    n, anc_a, anc_b = _layout(r)
    regs: list[Any] = [QuantumRegister(n, "q")]
    if measure:
        regs.append(ClassicalRegister(1 if alice_only else 2, "c"))
    qc = QuantumCircuit(*regs, name=f"qcoord_x{x}" if alice_only else f"qcoord_x{x}_y{y}")
    _prepare(qc, r)
    players = ((0, r.alice[x], anc_a),) if alice_only else ((0, r.alice[x], anc_a), (1, r.bob[y], anc_b))
    for qubit, m, anc in players:
        if m.trivial is None:
            qc.u(*m.angles, qubit)
        else:
            assert anc is not None
            if m.trivial:
                qc.x(anc)
            qc.swap(qubit, anc)
    if measure:
        qc.measure(0, 0)
        if not alice_only:
            qc.measure(1, 1)
    return qc


def qiskit_circuits(strategy: QuantumStrategy, measure: bool = True) -> dict[tuple[int, int], "QuantumCircuit"]:
    """Every question pair's circuit: ``{(x, y): qiskit_circuit(strategy, x, y, measure)}``."""
    r = recipe(strategy)
    require_qiskit()
    _, _, nx, ny = strategy.shape
    return {(x, y): _circuit(r, x, y, measure) for x in range(nx) for y in range(ny)}


@dataclass(frozen=True, eq=False)
class ParameterisedCircuit:
    """One circuit for every question pair, with the local rotations as parameters.

    Attributes
    ----------
    circuit : qiskit.QuantumCircuit
        State preparation (fixed), then ``u(theta_a, phi_a, lam_a)`` on qubit 0 and
        ``u(theta_b, phi_b, lam_b)`` on qubit 1; with trivial measurements also a controlled swap of
        the player's qubit with an answer ancilla (``ry(flag_a)`` on a flag qubit, ``ry(answer_a)`` on
        the ancilla: angle 0 or pi), then the measurements.
    bindings : dict
        ``bindings[(x, y)] = {parameter name: value}``: bind with :meth:`bound` or
        ``circuit.assign_parameters``.
    """

    circuit: Any = field(repr=False)
    bindings: dict[tuple[int, int], dict[str, float]] = field(repr=False)

    def bound(self, x: int, y: int) -> "QuantumCircuit":
        """The circuit of question pair ``(x, y)`` with every parameter bound."""
        if (x, y) not in self.bindings:
            raise ExportError(f"(x, y): no question pair {(x, y)!r}; available: {sorted(self.bindings)}")
        values = self.bindings[(x, y)]
        return self.circuit.assign_parameters({p: values[p.name] for p in self.circuit.parameters})


def parameterised_circuit(strategy: QuantumStrategy, measure: bool = True) -> ParameterisedCircuit:
    """A single parameterised circuit plus the parameter binding of every question pair.

    For users who batch shots over many question pairs (one transpilation, many bindings). Bound at
    ``(x, y)`` it has the same outcome distribution as :func:`qiskit_circuit` ``(strategy, x, y)``.

    Raises
    ------
    ExportError
        As :func:`qiskit_circuit`.
    """
    r = recipe(strategy)
    require_qiskit()
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
    from qiskit.circuit import Parameter

    n = 2 if r.pure else 4
    extra: dict[int, tuple[int, int]] = {}
    for qubit, triv in ((0, r.trivial_alice), (1, r.trivial_bob)):
        if triv:
            extra[qubit] = (n, n + 1)  # (flag, answer ancilla)
            n += 2
    regs: list[Any] = [QuantumRegister(n, "q")]
    if measure:
        regs.append(ClassicalRegister(2, "c"))
    qc = QuantumCircuit(*regs, name="qcoord_parameterised")
    _prepare(qc, r)
    names = {0: "a", 1: "b"}
    for qubit in (0, 1):
        t = names[qubit]
        qc.u(Parameter(f"theta_{t}"), Parameter(f"phi_{t}"), Parameter(f"lam_{t}"), qubit)
        if qubit in extra:
            flag, anc = extra[qubit]
            qc.ry(Parameter(f"flag_{t}"), flag)
            qc.ry(Parameter(f"answer_{t}"), anc)
            qc.cswap(flag, qubit, anc)
    if measure:
        qc.measure(0, 0)
        qc.measure(1, 1)
    bindings: dict[tuple[int, int], dict[str, float]] = {}
    for x, ma in enumerate(r.alice):
        for y, mb in enumerate(r.bob):
            b: dict[str, float] = {}
            for qubit, m in ((0, ma), (1, mb)):
                t = names[qubit]
                th, ph, la = m.angles
                b.update({f"theta_{t}": th, f"phi_{t}": ph, f"lam_{t}": la})
                if qubit in extra:
                    b[f"flag_{t}"] = 0.0 if m.trivial is None else float(np.pi)
                    b[f"answer_{t}"] = float(np.pi) if m.trivial == 1 else 0.0
            bindings[(x, y)] = b
    return ParameterisedCircuit(qc, bindings)
