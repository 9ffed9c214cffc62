"""The coordination compiler: scenario -> pair game -> solution -> policy.

Public surface:

- :func:`compile_game` -> :class:`CompiledGame` (closed-form low-load costs or
  :class:`EstimatedCosts` from simulation at the actual load, :func:`estimate_costs`);
- :func:`solve` -> :class:`Solution` (certified classical optimum and whether it is a threshold
  rule, best entangled strategy, NPA bound, no-signalling value, classical frontier);
- :func:`to_policy`: a solution as a simulator policy, for every strategy class.
"""

from .compiler import (
    PRICINGS,
    CompiledGame,
    CompileError,
    EstimatedCosts,
    closed_form_costs,
    compile_game,
    idle_questions,
    interruption_penalty,
    question_labels,
)
from .estimate import estimate_costs, pair_cells
from .policy import POLICY_KINDS, joint_table, to_policy
from .solver import (
    ClassicalFrontier,
    Solution,
    classical_frontier,
    enumerate_deterministic,
    is_threshold_rule,
    solve,
)

__all__ = [
    "CompileError",
    "CompiledGame",
    "EstimatedCosts",
    "compile_game",
    "closed_form_costs",
    "question_labels",
    "PRICINGS",
    "interruption_penalty",
    "idle_questions",
    "Solution",
    "solve",
    "ClassicalFrontier",
    "classical_frontier",
    "enumerate_deterministic",
    "is_threshold_rule",
    "POLICY_KINDS",
    "to_policy",
    "joint_table",
    "estimate_costs",
    "pair_cells",
]
