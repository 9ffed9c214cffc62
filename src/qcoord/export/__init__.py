"""Export qcoord strategies to quantum stacks: Qiskit circuits, OpenQASM 3, NetQASM applications.

- :func:`qiskit_circuit`, :func:`qiskit_circuits`, :func:`parameterised_circuit` (``qcoord[qiskit]``);
- :func:`qasm3`, :func:`qasm3_parameterised` (OpenQASM 3 text, through Qiskit);
- :func:`netqasm_apps`, :func:`compile_netqasm` (two NetQASM SDK applications on |Phi+> pairs;
  ``qcoord[netqasm]`` to compile or run them);
- :class:`AerSampler` and :func:`aer_entangled`: decisions of an ``Entangled`` policy drawn by the
  Qiskit Aer simulator instead of qcoord's Born-rule sampler.

This package sits on top, beside the CLI (it imports games, entanglement, policies and compile).
"""

from ._decompose import ExportError, Recipe, bell_form, recipe, u_angles, u_matrix
from .aer_sampler import AerSampler, aer_entangled
from .netqasm import NetQASMApps, compile_netqasm, netqasm_apps
from .qasm import ParameterisedQASM, qasm3, qasm3_parameterised
from .qiskit import ParameterisedCircuit, parameterised_circuit, qiskit_circuit, qiskit_circuits

__all__ = [
    "ExportError",
    "Recipe",
    "recipe",
    "bell_form",
    "u_angles",
    "u_matrix",
    "qiskit_circuit",
    "qiskit_circuits",
    "parameterised_circuit",
    "ParameterisedCircuit",
    "qasm3",
    "qasm3_parameterised",
    "ParameterisedQASM",
    "netqasm_apps",
    "compile_netqasm",
    "NetQASMApps",
    "AerSampler",
    "aer_entangled",
]
