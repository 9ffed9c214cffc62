"""OpenQASM 3 text of a strategy's circuits (through Qiskit's exporter).

:func:`qasm3` gives the program of one question pair (the circuit of
:func:`qcoord.export.qiskit_circuit`): ``OPENQASM 3.0;``, ``include "stdgates.inc";``, a register
``q`` (qubit 0 Alice, qubit 1 Bob, then purification / answer ancillas), a bit register ``c``
(``c[0]`` = Alice's answer, ``c[1]`` = Bob's). :func:`qasm3_parameterised` gives one program with the
rotation angles as ``input float`` parameters and the binding of every question pair. Both load back
with ``qiskit.qasm3.loads`` (needs ``qiskit-qasm3-import``) into an equivalent circuit (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..games import QuantumStrategy
from ._decompose import check_question, recipe
from .qiskit import _circuit, parameterised_circuit, require_qiskit

__all__ = ["qasm3", "qasm3_parameterised", "ParameterisedQASM"]


def qasm3(strategy: QuantumStrategy, x: int, y: int) -> str:
    """OpenQASM 3 program of the round with questions ``(x, y)``; see :func:`qcoord.export.qiskit_circuit`.

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
    from qiskit import qasm3 as q3

    return str(q3.dumps(_circuit(r, x, y, True)))


@dataclass(frozen=True)
class ParameterisedQASM:
    """One OpenQASM 3 program for every question pair.

    Attributes
    ----------
    text : str
        The program; its rotation angles are ``input float[64]`` parameters (``theta_a``, ``phi_a``,
        ``lam_a``, ``theta_b``, ... and ``flag_*``/``answer_*`` when a measurement is trivial).
    bindings : dict
        ``bindings[(x, y)] = {parameter name: value}`` (radians).
    """

    text: str
    bindings: dict[tuple[int, int], dict[str, float]] = field(repr=False)


def qasm3_parameterised(strategy: QuantumStrategy) -> ParameterisedQASM:
    """The parameterised program (:func:`qcoord.export.parameterised_circuit`) as OpenQASM 3 text."""
    pc = parameterised_circuit(strategy)
    from qiskit import qasm3 as q3

    return ParameterisedQASM(str(q3.dumps(pc.circuit)), pc.bindings)
