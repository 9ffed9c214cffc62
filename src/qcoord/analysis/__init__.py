"""Analysis: frontiers, matching at equal waiting, the published claims, figures and reports.

Public surface:

- :func:`evaluate_point` (one row per strategy class, used by sweeps), :func:`run_point`,
  :func:`frontier` / :class:`Frontier`, :func:`compare`;
- the claims: :func:`run_study` (everything ``qcoord demo`` runs; :class:`StudyConfig`,
  :data:`QUICK`, :data:`FULL`) and the claim functions of :mod:`qcoord.analysis.claims`
  (``claim_convex_gain``, ``control_linear``, ``claim_convexity``, ``claim_middle_p``,
  ``claim_visibility``, ``claim_latency``, ``claim_np_control``, ``scope_*``);
- statistics: :func:`estimate` / :class:`Estimate`, :func:`gain_at_equal` (Pareto front or
  concave envelope), :func:`pareto_front`, :func:`upper_envelope`, :func:`lower_envelope`;
- figures: :func:`plot_frontier`, :func:`plot_gain_vs_visibility`, :func:`plot_gain_vs_delay`;
- results and report: :class:`ClaimResult`, :class:`StudyResult`, :func:`write_report`.
"""

from .core import DEFAULT_CLASSES, Frontier, PointRun, compare, evaluate_point, frontier, matched_mixture, rows_from_run, run_point
from .claims import FULL, QUICK, StudyConfig, critical_visibility, crossover
from .study import run_study
from .plots import plot_frontier, plot_gain_vs_delay, plot_gain_vs_lam, plot_gain_vs_visibility
from .report import REPORT_FILES, write_report
from .results import ClaimResult, StudyResult
from .stats import AnalysisError, Estimate, estimate, gain_at_equal, lower_envelope, pareto_front, upper_envelope

__all__ = [
    "DEFAULT_CLASSES",
    "evaluate_point",
    "run_point",
    "rows_from_run",
    "PointRun",
    "frontier",
    "Frontier",
    "compare",
    "AnalysisError",
    "Estimate",
    "estimate",
    "gain_at_equal",
    "upper_envelope",
    "lower_envelope",
    "pareto_front",
    "matched_mixture",
    "plot_frontier",
    "plot_gain_vs_visibility",
    "plot_gain_vs_delay",
    "plot_gain_vs_lam",
    "ClaimResult",
    "StudyResult",
    "REPORT_FILES",
    "write_report",
    "run_study",
    "StudyConfig",
    "QUICK",
    "FULL",
    "critical_visibility",
    "crossover",
]
