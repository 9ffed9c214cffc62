"""Simulation results: per policy and replication metrics, 95% CIs, paired differences.

Confidence intervals are over replications (independent, identically distributed runs): for values
:math:`x_1..x_R`, :math:`\\bar x \\pm t_{0.975, R-1}\\, s / \\sqrt{R}` with ``s`` the sample standard
deviation (``ddof = 1``). With one replication there is no spread estimate and the half width is
``inf`` (the interval contains every value, so a single replication never "excludes zero").
Non-finite values propagate into the mean by default; ``estimate(..., drop_nonfinite=True)`` drops
them first (e.g. gains not comparable in some replications) and, when none is left, returns
``mean = half_width = std = nan`` with ``n = 0``. Policies are simulated on the same inputs (common random numbers), so
:meth:`SimulationResult.paired_difference` (CI of the per-replication differences) is much tighter
than comparing two separate intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
from numpy.typing import NDArray
from scipy.special import stdtrit  # Student-t quantile (scipy.stats is slow to import)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .baseline import Baseline
    from .scenario import Scenario

__all__ = ["Estimate", "SimulationResult", "METRICS", "estimate"]

#: Metrics recorded for every policy and replication (see :func:`qcoord.system.simulate`).
METRICS: tuple[str, ...] = (
    "mean_waiting",
    "waiting_p50",
    "waiting_p95",
    "waiting_p99",
    "throughput",
    "split_prob",
    "swap_prob",
    "consolidation_prob",
    "utilisation",
    "interruption_rate",
    "longest_idle_run",
    "drain_time",
)


@dataclass(frozen=True)
class Estimate:
    """A mean over replications with its 95% confidence interval.

    Attributes
    ----------
    mean : float
    half_width : float
        Half width of the 95% t-interval (``inf`` for a single replication).
    n : int
        Number of replications.
    std : float
        Sample standard deviation across replications (``nan`` for ``n = 1``: undefined).
    """

    mean: float
    half_width: float
    n: int
    std: float

    @property
    def low(self) -> float:
        """Lower end of the 95% CI."""
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        """Upper end of the 95% CI."""
        return self.mean + self.half_width

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the 95% CI."""
        return self.low <= value <= self.high

    def contains_zero(self) -> bool:
        """Whether zero lies in the closed 95% CI (always true for one replication: ``inf`` width)."""
        return self.contains(0.0)

    def excludes_zero(self) -> bool:
        """Whether the 95% CI lies strictly on one side of zero.

        False for one replication (``half_width = inf``) and for an undefined estimate (``nan``):
        a difference is significant only when the spread over replications was estimated.
        """
        return self.low > 0.0 or self.high < 0.0

    def to_dict(self) -> dict[str, float | int]:
        """``{"mean", "ci_low", "ci_high", "half_width", "n", "std"}`` (floats may be ``inf``/``nan``)."""
        return {
            "mean": self.mean,
            "ci_low": self.low,
            "ci_high": self.high,
            "half_width": self.half_width,
            "n": self.n,
            "std": self.std,
        }

    def __float__(self) -> float:
        return self.mean

    def __str__(self) -> str:
        return f"{self.mean:.6g} ± {self.half_width:.2g}"


def estimate(
    values: NDArray[np.float64] | list[float], level: float = 0.95, *, drop_nonfinite: bool = False
) -> Estimate:
    r"""Mean and ``level`` t-interval of i.i.d. replication values.

    .. math:: \bar x \pm t_{(1+\text{level})/2,\, n-1}\, s / \sqrt n

    Parameters
    ----------
    values : array_like
        One value per replication (flattened).
    level : float
        Confidence level in (0, 1).
    drop_nonfinite : bool
        ``False`` (default): every value counts and a ``nan``/``inf`` propagates into the mean.
        ``True``: non-finite values are dropped first (``n`` counts the finite ones); if none is
        left the estimate is undefined: ``Estimate(nan, nan, 0, nan)``.

    Returns
    -------
    Estimate
        ``half_width = inf`` and ``std = nan`` when ``n = 1``.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: must be in (0, 1), got {level}")
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("values: need at least one replication, got none")
    if drop_nonfinite:
        x = x[np.isfinite(x)]
        if x.size == 0:
            return Estimate(math.nan, math.nan, 0, math.nan)
    n = int(x.size)
    mean = float(np.mean(x))
    if n == 1:
        return Estimate(mean, math.inf, 1, math.nan)
    sd = float(np.std(x, ddof=1))
    hw = float(stdtrit(n - 1, 0.5 + level / 2) * sd / math.sqrt(n))
    return Estimate(mean, hw, n, sd)


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Outcome of :func:`qcoord.system.simulate`.

    Attributes
    ----------
    scenario : Scenario
        The scenario simulated (with its ``seed``).
    policies : tuple of str
        Policy names, in the order given.
    replications : tuple of int
        Replication indices (seed children ``SeedSequence(seed).spawn(..)[r]``).
    metrics : dict of str -> ndarray (P, R)
        ``metrics[m][p, r]``: metric ``m`` of policy ``p`` in replication ``r`` (see :data:`METRICS`;
        extra baselines add ``throughput[name]``).
    window : ndarray (R, 2)
        Statistics window ``[t0, t1]`` per replication: from the arrival of pair ``warmup`` to the
        last arrival. Throughput and utilisation are measured over it.
    idle_runs : tuple or None
        ``idle_runs[p][r]``: lengths of all idle runs of both servers inside the window (clipped to
        it), kept only when ``simulate(..., keep_idle_runs=True)``; used by :meth:`throughput_for`.
    timings : dict of str -> float
        Wall-clock seconds spent simulating each policy (all replications, routing included).
    policy_info : tuple
        ``policy_info[p][r]``: the ``info`` mapping the policy attached to its routing (e.g.
        fallback counts of entangled policies), ``{}`` when there is none.
    """

    scenario: "Scenario"
    policies: tuple[str, ...]
    replications: tuple[int, ...]
    metrics: Mapping[str, NDArray[np.float64]]
    window: NDArray[np.float64]
    idle_runs: tuple[tuple[NDArray[np.float64], ...], ...] | None = None
    timings: Mapping[str, float] = field(default_factory=dict)
    policy_info: tuple[tuple[Mapping[str, Any], ...], ...] = ()

    @property
    def seed(self) -> int:
        """Entropy of the scenario's ``SeedSequence``."""
        return self.scenario.seed

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Names of the recorded metrics (``METRICS`` plus ``throughput[name]`` per extra baseline)."""
        return tuple(self.metrics)

    def _p(self, policy: str | int) -> int:
        if isinstance(policy, (int, np.integer)):
            if not 0 <= int(policy) < len(self.policies):
                raise ValueError(f"policy: index must be in [0, {len(self.policies) - 1}], got {policy}")
            return int(policy)
        try:
            return self.policies.index(policy)
        except ValueError:
            raise ValueError(f"policy: must be one of {list(self.policies)}, got {policy!r}") from None

    def _m(self, metric: str) -> NDArray[np.float64]:
        try:
            return self.metrics[metric]
        except KeyError:
            raise ValueError(f"metric: must be one of {list(self.metrics)}, got {metric!r}") from None

    def values(self, metric: str, policy: str | int = 0) -> NDArray[np.float64]:
        """Per-replication values of ``metric`` for ``policy``, shape (R,)."""
        return self._m(metric)[self._p(policy)]

    def summary(self, metric: str, policy: str | int = 0) -> Estimate:
        """Mean over replications and 95% CI."""
        return estimate(self.values(metric, policy))

    def mean(self, metric: str, policy: str | int = 0) -> float:
        """Mean over replications."""
        return self.summary(metric, policy).mean

    def ci(self, metric: str, policy: str | int = 0) -> tuple[float, float]:
        """95% confidence interval ``(low, high)``."""
        e = self.summary(metric, policy)
        return (e.low, e.high)

    def paired_difference(self, metric: str, policy_p: str | int, policy_q: str | int) -> Estimate:
        """Mean and 95% CI of ``metric(p) - metric(q)`` over replications (common random numbers)."""
        return estimate(self.values(metric, policy_p) - self.values(metric, policy_q))

    def throughput_for(self, baseline: "Baseline") -> NDArray[np.float64]:
        """Baseline throughput of every policy and replication for another ``T``, shape (P, R).

        Needs the idle runs (``simulate(..., keep_idle_runs=True)``).
        """
        if self.idle_runs is None:
            raise ValueError(
                "idle_runs: not kept; run simulate(..., keep_idle_runs=True) or pass baselines=[...]"
            )
        from .baseline import baseline_from_spec

        b = baseline_from_spec(baseline)
        span = self.window[:, 1] - self.window[:, 0]
        return np.array(
            [[b.total(runs) / span[r] for r, runs in enumerate(per_rep)] for per_rep in self.idle_runs]
        )

    def to_frame(self) -> "pd.DataFrame":
        """One row per policy and replication: ``policy``, ``replication``, ``seed``, every metric."""
        import pandas as pd

        rows = []
        for p, name in enumerate(self.policies):
            for r, rep in enumerate(self.replications):
                row: dict[str, Any] = {"policy": name, "replication": rep, "seed": self.seed}
                for m, arr in self.metrics.items():
                    row[m] = float(arr[p, r])
                rows.append(row)
        return pd.DataFrame(rows)

    def summary_frame(self) -> "pd.DataFrame":
        """One row per policy: ``<metric>`` (mean) and ``<metric>_ci`` (95% half width)."""
        import pandas as pd

        rows = []
        for p, name in enumerate(self.policies):
            row: dict[str, Any] = {"policy": name}
            for m, arr in self.metrics.items():
                e = estimate(arr[p])
                row[m] = e.mean
                row[f"{m}_ci"] = e.half_width
            rows.append(row)
        return pd.DataFrame(rows).set_index("policy")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able record: scenario, seed, replications, per-replication metrics, timings."""
        return {
            "scenario": self.scenario.to_dict(),
            "seed": self.seed,
            "replications": list(self.replications),
            "policies": list(self.policies),
            "metrics": {m: arr.tolist() for m, arr in self.metrics.items()},
            "window": self.window.tolist(),
            "timings": dict(self.timings),
        }
