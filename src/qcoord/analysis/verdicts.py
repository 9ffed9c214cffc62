"""Verdicts: every word the report says about a measured difference is decided here.

A difference between two arms is estimated per replication (common random numbers) and summarised
by its paired 95% t interval (:class:`qcoord.system.Estimate`). :func:`direction` reads it:

- ``"gain"`` when the whole interval lies above zero **and** the mean exceeds the practical-zero
  threshold :attr:`Rules.practical_zero` (relative differences below it are window-edge effects of
  size O(1/n): for linear ``T`` every policy has the same throughput up to them);
- ``"loss"`` when the whole interval lies below zero and the mean is below minus that threshold;
- ``"no significant difference"`` otherwise (the interval contains zero, or the effect is
  practically zero);
- ``"undefined"`` when the estimate itself is undefined (no comparable replication, a NaN).

:class:`Verdict` is the outcome of a claim: ``held``, ``not held`` or ``undefined`` (with its
reason: a missing premise, a quantity that does not exist, an excluded arm). All thresholds live in
:class:`Rules`; the report prints them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from ..system.result import Estimate

__all__ = ["Rules", "RULES", "Verdict", "direction", "DIRECTIONS", "HELD", "NOT_HELD", "UNDEFINED"]

HELD = "held"
NOT_HELD = "not held"
UNDEFINED = "undefined"
#: Possible readings of a paired difference.
DIRECTIONS = ("gain", "loss", "no significant difference", "undefined")

Direction = Literal["gain", "loss", "no significant difference", "undefined"]


@dataclass(frozen=True)
class Rules:
    """Thresholds of every verdict (one place; printed in the report).

    Attributes
    ----------
    confidence : float
        Level of the paired t intervals (0.95). Informational: :func:`qcoord.system.estimate` uses 95%.
    practical_zero : float
        A relative difference with ``|mean|`` at most this is "no significant difference" whatever its
        interval (1e-4 = 0.01%: window-edge effects are O(1/n_pairs)).
    numerical_equal : float
        Game values within this of each other are equal (certificates; 1e-6).
    max_idle_fraction : float
        An arm whose longest idle run covers at least this fraction of the statistics window in some
        replication is checked for a horizon-dependent throughput (0.05).
    horizon_rtol : float
        ... and flagged when ``|2 T(L/2) / T(L) - 1|`` exceeds this on that run ``L`` (0.01).
    max_drain_fraction : float
        An arm whose queues take more than this fraction of the window to drain overloads a server (0.01).
    """

    confidence: float = 0.95
    practical_zero: float = 1e-4
    numerical_equal: float = 1e-6
    max_idle_fraction: float = 0.05
    horizon_rtol: float = 0.01
    max_drain_fraction: float = 0.01

    def to_dict(self) -> dict[str, float]:
        """JSON-ready thresholds."""
        return dict(self.__dict__)


#: The rules every study uses unless told otherwise.
RULES = Rules()


def _finite(x: float) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(float(x))


def direction(e: Estimate | None, rules: Rules = RULES) -> Direction:
    """Read a paired difference ``e`` (positive = in favour of the arm under test); module notes."""
    if e is None or e.n == 0 or not _finite(e.mean):
        return "undefined"
    if abs(e.mean) <= rules.practical_zero:
        return "no significant difference"
    if _finite(e.low) and e.low > 0:
        return "gain"
    if _finite(e.high) and e.high < 0:
        return "loss"
    return "no significant difference"


@dataclass(frozen=True)
class Verdict:
    """Outcome of a claim.

    Attributes
    ----------
    status : {"held", "not held", "undefined"}
    reason : str
        Why, in one sentence (always given; for ``undefined``, what is missing).
    outcome : str, optional
        For scope checks, the reading of the key difference (:data:`DIRECTIONS`), so the report can
        say "entanglement gains / loses / no significant difference" instead of held.
    """

    status: str
    reason: str
    outcome: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in (HELD, NOT_HELD, UNDEFINED):
            raise ValueError(f"status: must be 'held', 'not held' or 'undefined', got {self.status!r}")
        if not self.reason:
            raise ValueError("reason: a verdict always says why")

    @property
    def held(self) -> bool | None:
        """``True``/``False``/``None`` (undefined)."""
        return {HELD: True, NOT_HELD: False, UNDEFINED: None}[self.status]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        return {"status": self.status, "held": self.held, "reason": self.reason, "outcome": self.outcome}
