"""Analysis: the study layer (arms, runs, readings, claims, verdicts), its report and figures.

Data flows one way::

    arms (what each policy is) -> run_arms -> Run (SimulationResult per arm, baselines as an axis)
    Run -> readings (paired Pareto gains) -> claims: measure(Evidence) -> Measurement
    Measurement -> decide(measurement, Rules) -> Verdict -> report (the only place that writes words)

Public surface: :class:`Arm` and the catalogue functions of :mod:`~qcoord.analysis.arms`;
:class:`Run`, :func:`run_arms`; :func:`pareto_readings` / :class:`ParetoGain`;
:data:`CLAIMS`, :class:`Claim`, :class:`Evidence`; :class:`Rules`, :class:`Verdict`,
:func:`direction`; :func:`run_study`, :class:`Study`, :class:`StudyConfig`, :data:`QUICK`,
:data:`FULL`; :func:`write_report`; :func:`evaluate_point` (one row per strategy class, for sweeps);
statistics :func:`estimate`, :func:`upper_envelope`, :func:`lower_envelope`, :func:`pareto_front`,
:func:`gain_at_equal`.
"""

from .arms import BENCHMARK_FAMILIES, FAMILIES, Arm
from .claims import CLAIMS, Claim, Evidence, crossing
from .experiment import HEADLINE_BASELINE, Run, run_arms
from .points import evaluate_point
from .readings import READINGS, ParetoGain, pareto_readings
from .report import REPORT_FILES, write_report
from .stats import AnalysisError, Estimate, estimate, gain_at_equal, lower_envelope, pareto_front, upper_envelope
from .study import FULL, QUICK, Outcome, Study, StudyConfig, critical_visibility, run_study, strategy_rows
from .verdicts import RULES, Rules, Verdict, direction

__all__ = [
    "Arm",
    "FAMILIES",
    "BENCHMARK_FAMILIES",
    "Run",
    "run_arms",
    "HEADLINE_BASELINE",
    "ParetoGain",
    "READINGS",
    "pareto_readings",
    "CLAIMS",
    "Claim",
    "Evidence",
    "crossing",
    "Rules",
    "RULES",
    "Verdict",
    "direction",
    "StudyConfig",
    "QUICK",
    "FULL",
    "Study",
    "Outcome",
    "run_study",
    "strategy_rows",
    "critical_visibility",
    "evaluate_point",
    "REPORT_FILES",
    "write_report",
    "AnalysisError",
    "Estimate",
    "estimate",
    "gain_at_equal",
    "upper_envelope",
    "lower_envelope",
    "pareto_front",
]
