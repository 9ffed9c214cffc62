"""A run: arms simulated on common random numbers, their per-replication metrics, and checks.

:func:`run_arms` simulates a list of :class:`~qcoord.analysis.arms.Arm` on one scenario (every arm
sees the same inputs in each replication) and keeps the :class:`qcoord.system.SimulationResult`
itself; :meth:`Run.extend` adds arms on the same inputs later. Extra baseline functions ``T`` are
an axis of the run: the same idle runs evaluated under each ``T`` (``run.values(arm, "throughput",
baseline="t^2")``).

Stationarity
------------
A throughput is a rate only if it does not depend on the horizon. :meth:`Run.ill_defined` flags an
arm under a baseline ``T`` when

1. its longest idle run is a fixed fraction of the statistics window (at least
   :attr:`Rules.max_idle_fraction <qcoord.analysis.verdicts.Rules>` of it in some replication: the
   arm never, or almost never, interrupts one server), **and** ``T`` is horizon-dependent on that
   run: with ``L`` the run, :math:`|2\\,T(L/2) / T(L) - 1| >` :attr:`Rules.horizon_rtol` (for
   ``t^k`` this is :math:`1 - 2^{1-k}`; for ``setup(c)`` it is :math:`c / (L - c)`, negligible); or
2. it overloads a server: the time to drain the queues after the last arrival exceeds
   :attr:`Rules.max_drain_fraction` of the window.

Flagged arms are excluded from every frontier and gain (with the reason kept for the report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from .arms import Arm
from .stats import AnalysisError
from .verdicts import RULES, Rules

__all__ = ["Run", "run_arms", "HEADLINE_BASELINE"]

#: Label of the scenario's own baseline ``T`` in a run.
HEADLINE_BASELINE = "baseline"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, eq=False)
class Run:
    """Arms simulated on common random numbers.

    Attributes
    ----------
    scenario : Scenario
        The scenario simulated (seed, replications, pairs).
    arms : tuple of Arm
    metrics : mapping metric -> ndarray (P, R)
        Per arm (row, in ``arms`` order) and replication; ``throughput[label]`` per extra baseline.
    window : ndarray (R, 2)
        Statistics window per replication.
    baselines : mapping label -> Baseline
        Every ``T`` evaluated, the scenario's own under :data:`HEADLINE_BASELINE`.
    info : mapping arm name -> tuple of dict
        Routing info per replication (fallbacks, visibility, latency of entangled policies).
    results : tuple of SimulationResult
        The simulator's results this run was assembled from.
    """

    scenario: Any
    arms: tuple[Arm, ...]
    metrics: Mapping[str, NDArray[np.float64]]
    window: NDArray[np.float64]
    baselines: Mapping[str, Any]
    info: Mapping[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)
    results: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        names = [a.name for a in self.arms]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise AnalysisError(f"arms: names must be unique, {dup[0]!r} appears more than once")
        object.__setattr__(self, "_index", {n: i for i, n in enumerate(names)})
        for m, arr in self.metrics.items():
            if np.shape(arr)[0] != len(names):
                raise AnalysisError(f"metrics[{m!r}]: first axis must have one row per arm ({len(names)}), got {np.shape(arr)}")

    # ------------------------------------------------------------------ access
    @property
    def replications(self) -> int:
        """Number of replications."""
        return int(self.window.shape[0])

    @property
    def names(self) -> tuple[str, ...]:
        """Arm names in order."""
        return tuple(a.name for a in self.arms)

    def arm(self, name: str) -> Arm:
        """The arm called ``name`` (``AnalysisError`` naming the known arms otherwise)."""
        try:
            return self.arms[self._index[name]]  # type: ignore[attr-defined]
        except KeyError:
            raise AnalysisError(f"arm: no arm {name!r} in this run") from None

    def __contains__(self, name: object) -> bool:
        return name in self._index  # type: ignore[attr-defined]

    def select(self, **criteria: Any) -> list[Arm]:
        """Arms matching every criterion (see :meth:`Arm.matches`), in run order."""
        return [a for a in self.arms if a.matches(**criteria)]

    def one(self, **criteria: Any) -> Arm:
        """The single arm matching the criteria (``AnalysisError`` if none or several)."""
        found = self.select(**criteria)
        if len(found) != 1:
            raise AnalysisError(f"arm: expected exactly one arm with {criteria}, found {len(found)}")
        return found[0]

    def metric_key(self, metric: str, baseline: str = HEADLINE_BASELINE) -> str:
        """The metrics key of ``metric`` under ``baseline`` (only throughput depends on ``T``)."""
        if metric == "throughput" and baseline != HEADLINE_BASELINE:
            if baseline not in self.baselines:
                raise AnalysisError(f"baseline: must be one of {list(self.baselines)}, got {baseline!r}")
            return f"throughput[{baseline}]"
        return metric

    def values(self, arm: str | Arm, metric: str, baseline: str = HEADLINE_BASELINE) -> NDArray[np.float64]:
        """Per-replication values of ``metric`` for ``arm``, shape (R,)."""
        name = arm.name if isinstance(arm, Arm) else arm
        key = self.metric_key(metric, baseline)
        if key not in self.metrics:
            raise AnalysisError(f"metric: must be one of {sorted(self.metrics)}, got {key!r}")
        if name not in self:
            raise AnalysisError(f"arm: no arm {name!r} in this run")
        return np.asarray(self.metrics[key][self._index[name]], dtype=float)  # type: ignore[attr-defined]

    def points(self, arms: Sequence[Arm], metric: str, baseline: str = HEADLINE_BASELINE) -> NDArray[np.float64]:
        """Values of ``metric`` for several arms, shape (R, m)."""
        if not arms:
            return np.zeros((self.replications, 0))
        return np.stack([self.values(a, metric, baseline) for a in arms], axis=1)

    # ------------------------------------------------------------------ stationarity
    def ill_defined(self, arm: str | Arm, baseline: str = HEADLINE_BASELINE, rules: Rules = RULES) -> str | None:
        """Why ``arm``'s throughput under ``baseline`` is not a stationary rate (``None`` if it is).

        See the module notes for the two tests and :class:`~qcoord.analysis.verdicts.Rules` for
        their thresholds.
        """
        name = arm.name if isinstance(arm, Arm) else arm
        span = self.window[:, 1] - self.window[:, 0]
        drain = self.values(name, "drain_time")
        if np.any(drain > rules.max_drain_fraction * span):
            return (
                f"it overloads a server: its queues take {float(np.max(drain / span)):.0%} of the statistics window "
                "to drain after the last arrival (no stationary regime)"
            )
        if "longest_idle_run" not in self.metrics:
            return None
        longest = self.values(name, "longest_idle_run")
        frac = longest / span
        r = int(np.argmax(frac))
        if frac[r] < rules.max_idle_fraction:
            return None
        T = self.baselines[baseline]
        L = float(longest[r])
        full = float(T.total(np.array([L])))
        half = 2.0 * float(T.total(np.array([L / 2.0])))
        dev = abs(half / full - 1.0) if full > 0 else float("inf")
        if dev <= rules.horizon_rtol:
            return None
        return (
            f"it leaves one server's baseline run uninterrupted for {frac[r]:.0%} of the statistics window, and under "
            f"T = {T} the output of such a run grows faster than its length (halving it changes output per unit time "
            f"by {dev:.0%}): its throughput grows with the horizon, so no stationary rate exists"
        )

    def usable(self, arms: Iterable[Arm], baseline: str = HEADLINE_BASELINE, rules: Rules = RULES) -> tuple[list[Arm], dict[str, str]]:
        """Split arms into those with a stationary throughput under ``baseline`` and the flagged ones.

        Returns ``(usable arms, {flagged arm name: reason})``.
        """
        keep: list[Arm] = []
        flagged: dict[str, str] = {}
        for a in arms:
            why = self.ill_defined(a, baseline, rules)
            if why is None:
                keep.append(a)
            else:
                flagged[a.name] = why
        return keep, flagged

    def benchmark(self, baseline: str = HEADLINE_BASELINE, *, role_symmetric: bool | None = None,
                  observation: str | None = None, rules: Rules = RULES) -> tuple[list[Arm], dict[str, str]]:
        """The best-local benchmark arms (families ``local`` and ``shared``) with a stationary throughput.

        ``role_symmetric=True`` keeps the role-symmetric ones only; ``observation`` filters by what
        the rules see (``"class"``, ``"class+busy"``; ``None``: all). Returns ``(arms, flagged)``.
        """
        arms = [a for a in self.arms if a.is_benchmark]
        if role_symmetric is not None:
            arms = [a for a in arms if a.role_symmetric == role_symmetric]
        if observation is not None:
            arms = [a for a in arms if a.params.get("observation", "class") == observation]
        return self.usable(arms, baseline, rules)

    def reference(self, baseline: str = HEADLINE_BASELINE, rules: Rules = RULES) -> tuple[list[Arm], dict[str, str], bool]:
        """The benchmark a gain under ``baseline`` is measured against: ``(arms, flagged, role_symmetric_only)``.

        Every stationary local and shared arm, unless some local arm has no stationary throughput under
        this ``T``: then the supremum over all local strategies is unbounded (a rule that interrupts one
        server ever more rarely earns ever more, e.g. under ``t^k``), comparisons over all classical
        strategies are ill-posed, and the benchmark is the role-symmetric arms only.
        """
        arms, flagged = self.benchmark(baseline, rules=rules)
        if not flagged:
            return arms, flagged, False
        sym, _ = self.benchmark(baseline, role_symmetric=True, rules=rules)
        return sym, flagged, True

    # ------------------------------------------------------------------ growth
    def extend(self, arms: Sequence[Arm], *, progress: Progress | None = None) -> "Run":
        """A new run with ``arms`` simulated on the same inputs and appended."""
        more = run_arms(self.scenario, arms, baselines={k: v for k, v in self.baselines.items() if k != HEADLINE_BASELINE},
                        progress=progress)
        metrics = {k: np.concatenate([self.metrics[k], more.metrics[k]], axis=0) for k in self.metrics}
        return Run(self.scenario, self.arms + more.arms, metrics, self.window, self.baselines,
                   {**self.info, **more.info}, self.results + more.results)


def run_arms(
    scenario: Any,
    arms: Sequence[Arm],
    *,
    baselines: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> Run:
    """Simulate every arm on common random numbers (:func:`qcoord.system.simulate`).

    Parameters
    ----------
    scenario : Scenario or FanoutScenario
        Its ``seed``, ``replications`` and run size are used as given (an N-server scenario is run by
        :func:`qcoord.system.fanout.simulate_fanout`).
    arms : sequence of Arm
    baselines : mapping label -> Baseline, optional
        Extra ``T`` evaluated on the same idle runs (the scenario's own is :data:`HEADLINE_BASELINE`).
    progress : callable(stage, done, total), optional
    """
    from qcoord.system import baseline_from_spec, simulate

    arms = tuple(arms)
    if not arms:
        raise AnalysisError("arms: need at least one arm")
    extra = {str(k): baseline_from_spec(v) for k, v in (baselines or {}).items()}
    if HEADLINE_BASELINE in extra:
        raise AnalysisError(f"baselines: the label {HEADLINE_BASELINE!r} is the scenario's own T")
    hook = None if progress is None else (lambda done, total: progress("simulate", done, total))
    from qcoord.system.fanout import FanoutScenario, simulate_fanout

    if isinstance(scenario, FanoutScenario):  # the N-server system: same metrics, plus fork-join response
        res = simulate_fanout(scenario, [a.policy for a in arms], progress=hook, baselines=extra or None)
    else:
        res = simulate(scenario, [a.policy for a in arms], progress=hook, baselines=extra or None)
    info = {a.name: tuple(dict(x) for x in (res.policy_info[i] if i < len(res.policy_info) else ())) for i, a in enumerate(arms)}
    return Run(
        scenario=scenario,
        arms=arms,
        metrics={k: np.asarray(v, dtype=float) for k, v in res.metrics.items()},
        window=np.asarray(res.window, dtype=float),
        baselines={HEADLINE_BASELINE: scenario.baseline, **extra},
        info=info,
        results=(res,),
    )
