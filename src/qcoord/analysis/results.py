"""Result objects of the analysis: one claim, and a whole study (what the report is written from)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ClaimResult", "StudyResult", "jsonable"]


def jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, dataclasses with ``to_dict`` and non-finite floats for JSON.

    Non-finite floats become ``None`` (JSON has no NaN), so ``summary.json`` is strict JSON.
    """
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return jsonable(obj.to_dict())
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if obj is None or isinstance(obj, (int, str)):
        return obj
    return str(obj)


@dataclass(frozen=True)
class ClaimResult:
    """One published claim (or a scope check), its measured figure, and whether it held.

    Attributes
    ----------
    key : str
        Short identifier (``"claim1_convex"``, ``"control2_linear"``, ...).
    title : str
        One-line statement of the claim as tested.
    held : bool or None
        Whether the claim held on this run (``None``: not evaluated).
    figure : str
        The measured figure in words, with its 95% CI.
    details : dict
        Every number behind the figure (JSON-ready).
    params : dict
        Parameters of the run (scenario fields, replications, pairs, lam, ...).
    seed : int
        Root seed (``numpy.random.SeedSequence`` entropy) of the run.
    seconds : float
        Wall time.
    verdict : str, optional
        Short wording of the outcome for the report (default: held / did not hold).
    """

    key: str
    title: str
    held: bool | None
    figure: str
    details: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    seconds: float = 0.0
    verdict: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "key": self.key,
            "title": self.title,
            "held": self.held,
            "verdict": self.verdict,
            "figure": self.figure,
            "details": jsonable(self.details),
            "params": jsonable(self.params),
            "seed": self.seed,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class StudyResult:
    """Everything ``qcoord demo`` / ``qcoord run`` measured on one scenario.

    Attributes
    ----------
    scenario : dict
        Scenario parameters.
    table : list of dict
        One row per strategy class (see :func:`qcoord.analysis.evaluate_point`).
    claims : list of ClaimResult
    curves : dict
        Frontier curves per class: label -> {"w", "w_lo", "w_hi", "t", "t_lo", "t_hi", "p", "lam"}.
    visibility : dict
        ``{"v", "gain", "lo", "hi", "critical"}`` for the gain-vs-visibility figure.
    delay : dict
        ``{"D", "series": {label: {"gain", "lo", "hi"}}, "crossovers": {...}}``.
    solution : dict
        One-shot values of the headline game (classical, quantum, NPA, NS, threshold).
    seed : int
    quick : bool
    seconds : float
    extra : dict
        Anything else worth keeping (the study configuration, the t^2 table, ...).
    """

    scenario: dict[str, Any]
    table: list[dict[str, Any]]
    claims: list[ClaimResult]
    curves: dict[str, Any] = field(default_factory=dict)
    visibility: dict[str, Any] = field(default_factory=dict)
    delay: dict[str, Any] = field(default_factory=dict)
    solution: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    quick: bool = False
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the content of ``summary.json``)."""
        return jsonable(
            {
                "format": "qcoord.summary/1",
                "scenario": self.scenario,
                "seed": self.seed,
                "quick": self.quick,
                "seconds": self.seconds,
                "solution": self.solution,
                "table": self.table,
                "claims": [c.to_dict() for c in self.claims],
                "curves": self.curves,
                "visibility": self.visibility,
                "delay": self.delay,
                "extra": self.extra,
            }
        )
