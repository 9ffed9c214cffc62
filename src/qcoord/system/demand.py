"""Customer demand distributions and the class a server observes.

Every distribution is a frozen value with

- ``sample(rng, n)``: ``n`` i.i.d. demands (time units; the model's unit is the mean demand, so the
  presets default to mean 1);
- ``mean``, ``median``, ``second_moment`` (:math:`E[s]`, a median, :math:`E[s^2]`);
- ``cdf(x)`` :math:`= P(s \\le x)` and ``partial_mean(x)`` :math:`= E[s\\,;\\, s \\le x]`, from which
  ``class_probs(edges)`` and ``class_means(edges)`` follow exactly (no sampling);
- ``default_edges()``: the default observation map, two classes split at the median;
- ``to_dict()`` / :func:`demand_from_dict` for TOML and JSON.

Classes
-------
A strictly increasing tuple of edges :math:`e_0 < e_1 < \\dots < e_{K-2}` maps a demand to one of
``K`` classes: class ``k`` holds the demands with :math:`e_{k-1} < s \\le e_k` (with
:math:`e_{-1} = -\\infty`, :math:`e_{K-1} = +\\infty`); :func:`classify` implements it. Class 0 is the
shortest. The class probability is :math:`\\pi_k = F(e_k) - F(e_{k-1})` and the conditional class mean
:math:`\\mu_k = (M(e_k) - M(e_{k-1})) / \\pi_k` with :math:`M(x) = E[s; s \\le x]`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from ._kernels import _two_point_inplace
from .interface import ScenarioError

__all__ = [
    "Demand",
    "Exponential",
    "Deterministic",
    "TwoPoint",
    "LogNormal",
    "Empirical",
    "classify",
    "demand_from_dict",
]

LN2 = math.log(2.0)


def _positive(value: float, field: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(f"{field}: must be a number > 0, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise ScenarioError(f"{field}: must be a finite number > 0, got {value!r}")
    return v


def classify(demand: ArrayLike, edges: Sequence[float]) -> NDArray[np.int64]:
    """Class of each demand: ``k`` such that ``edges[k-1] < s <= edges[k]``.

    Parameters
    ----------
    demand : array_like
        Demands (any shape).
    edges : sequence of float
        Strictly increasing class edges (``K - 1`` of them for ``K`` classes; empty = one class).

    Returns
    -------
    ndarray of int64, same shape as ``demand``
        The number of edges strictly below each demand.
    """
    e = np.asarray(edges, dtype=np.float64)
    s = np.asarray(demand, dtype=np.float64)
    if e.size == 0:
        return np.zeros(s.shape, dtype=np.int64)
    if e.size <= 4:  # a few comparisons beat a binary search per element
        out = (s > e[0]).astype(np.int64)
        for edge in e[1:]:
            out += s > edge
        return out
    return np.searchsorted(e, s, side="left").astype(np.int64)


class Demand:
    """Base class of the demand distributions (see the module notes for the interface)."""

    kind: str = "demand"

    # --- to be provided by subclasses -------------------------------------------------------
    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:  # pragma: no cover
        """``n`` i.i.d. demands :math:`s > 0` (time units) drawn from ``rng``; shape ``(n,)``."""
        raise NotImplementedError

    @property
    def mean(self) -> float:  # pragma: no cover
        """:math:`E[s]` (time units; the presets have mean 1, which fixes the time unit)."""
        raise NotImplementedError

    @property
    def median(self) -> float:  # pragma: no cover
        """The median :math:`\\inf\\{x : F(x) \\ge 1/2\\}`: the default class edge."""
        raise NotImplementedError

    @property
    def second_moment(self) -> float:  # pragma: no cover
        """:math:`E[s^2]` (time units squared; enters the Pollaczek-Khinchine waiting time)."""
        raise NotImplementedError

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:  # pragma: no cover
        """:math:`F(x) = P(s \\le x)`, elementwise (``-inf`` gives 0, ``+inf`` gives 1)."""
        raise NotImplementedError

    def partial_mean(self, x: ArrayLike) -> NDArray[np.float64]:  # pragma: no cover
        """:math:`E[s\\,\\mathbf{1}\\{s \\le x\\}]`, elementwise: with :meth:`cdf` it gives class means."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover
        """``{"kind": ..., **parameters}``: the spec :func:`demand_from_dict` rebuilds it from."""
        raise NotImplementedError

    # --- shared ------------------------------------------------------------------------------
    def default_edges(self) -> tuple[float, ...]:
        """Two classes split at the median: ``(median,)`` (short = ``s <= median``)."""
        return (self.median,)

    def _bounds(self, edges: Sequence[float]) -> NDArray[np.float64]:
        return np.concatenate(([-np.inf], np.asarray(edges, dtype=np.float64), [np.inf]))

    def class_probs(self, edges: Sequence[float]) -> NDArray[np.float64]:
        """:math:`\\pi_k = P(e_{k-1} < s \\le e_k)` for each class ``k`` (sums to 1)."""
        b = self._bounds(edges)
        c = self.cdf(b)
        c[0], c[-1] = 0.0, 1.0
        return np.diff(c)

    def class_means(self, edges: Sequence[float]) -> NDArray[np.float64]:
        """Conditional mean demand per class, :math:`E[s \\mid e_{k-1} < s \\le e_k]`.

        Raises :class:`ScenarioError` if a class is empty (probability 0).
        """
        b = self._bounds(edges)
        c = self.cdf(b)
        c[0], c[-1] = 0.0, 1.0
        m = self.partial_mean(b)
        m[0], m[-1] = 0.0, self.mean
        p = np.diff(c)
        if np.any(p <= 0):
            k = int(np.argmax(p <= 0))
            raise ScenarioError(f"class_edges: class {k} is empty under {self!r}; choose edges inside the support")
        return np.diff(m) / p

    def __float__(self) -> float:
        return self.mean


@dataclass(frozen=True)
class Exponential(Demand):
    """Exponential demand with the given mean: :math:`F(x) = 1 - e^{-x/m}`.

    Median :math:`m \\ln 2`; :math:`E[s; s \\le x] = m - (x + m) e^{-x/m}`; :math:`E[s^2] = 2 m^2`.
    """

    mean_: float = 1.0
    kind = "exponential"

    def __init__(self, mean: float = 1.0) -> None:
        object.__setattr__(self, "mean_", _positive(mean, "demand.mean"))

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        return rng.exponential(self.mean_, size=n)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def median(self) -> float:
        return self.mean_ * LN2

    @property
    def second_moment(self) -> float:
        return 2.0 * self.mean_**2

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
        return -np.expm1(-x / self.mean_)

    def partial_mean(self, x: ArrayLike) -> NDArray[np.float64]:
        x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
        with np.errstate(invalid="ignore"):
            out = self.mean_ - (x + self.mean_) * np.exp(-x / self.mean_)
        return np.where(np.isinf(x), self.mean_, out)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "mean": self.mean_}

    def __repr__(self) -> str:
        return f"Exponential(mean={self.mean_!r})"


@dataclass(frozen=True)
class Deterministic(Demand):
    """Every demand equals ``value``. Its default observation map has a single class."""

    value: float = 1.0
    kind = "deterministic"

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _positive(self.value, "demand.value"))

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        return np.full(n, self.value)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def median(self) -> float:
        return self.value

    @property
    def second_moment(self) -> float:
        return self.value**2

    def default_edges(self) -> tuple[float, ...]:
        """A point mass cannot be split: one class."""
        return ()

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        return (np.asarray(x, dtype=np.float64) >= self.value).astype(np.float64)

    def partial_mean(self, x: ArrayLike) -> NDArray[np.float64]:
        return self.value * self.cdf(x)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value}


@dataclass(frozen=True)
class TwoPoint(Demand):
    """Two-point demand: ``low`` with probability ``p_low``, else ``high``.

    The default, :math:`s = 1 \\mp \\ln 2` with probability 1/2 each, has mean 1 and its two values are
    the conditional means of Exp(1) below and above its median (model.md section 1). The default
    observation map separates the two values (edge at ``low``: class 0 = short, class 1 = long).
    """

    low: float = 1.0 - LN2
    high: float = 1.0 + LN2
    p_low: float = 0.5
    kind = "two_point"

    def __post_init__(self) -> None:
        low = _positive(self.low, "demand.low")
        high = _positive(self.high, "demand.high")
        if not high > low:
            raise ScenarioError(f"demand.high: must be > demand.low = {low}, got {high}")
        try:
            p = float(self.p_low)
        except (TypeError, ValueError):
            raise ScenarioError(f"demand.p_low: must be a number in (0, 1), got {self.p_low!r}") from None
        if not 0.0 < p < 1.0:
            raise ScenarioError(f"demand.p_low: must be in (0, 1), got {self.p_low!r}")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "p_low", p)

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        # one uniform per demand, mapped in place (the values of np.where(u < p_low, low, high))
        return _two_point_inplace(rng.random(n), float(self.p_low), float(self.low), float(self.high))

    @property
    def mean(self) -> float:
        return self.p_low * self.low + (1.0 - self.p_low) * self.high

    @property
    def median(self) -> float:
        """The lower median: ``low`` if ``p_low >= 1/2`` else ``high``."""
        return self.low if self.p_low >= 0.5 else self.high

    @property
    def second_moment(self) -> float:
        return self.p_low * self.low**2 + (1.0 - self.p_low) * self.high**2

    def default_edges(self) -> tuple[float, ...]:
        return (self.low,)

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        x = np.asarray(x, dtype=np.float64)
        return self.p_low * (x >= self.low) + (1.0 - self.p_low) * (x >= self.high)

    def partial_mean(self, x: ArrayLike) -> NDArray[np.float64]:
        x = np.asarray(x, dtype=np.float64)
        return self.p_low * self.low * (x >= self.low) + (1.0 - self.p_low) * self.high * (x >= self.high)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "low": self.low, "high": self.high, "p_low": self.p_low}


@dataclass(frozen=True)
class LogNormal(Demand):
    """Log-normal demand with the given ``mean`` and log-standard deviation ``sigma``.

    :math:`\\ln s \\sim N(\\mu, \\sigma^2)` with :math:`\\mu = \\ln(\\text{mean}) - \\sigma^2/2`; median
    :math:`e^\\mu`; :math:`E[s; s \\le x] = \\text{mean}\\,\\Phi((\\ln x - \\mu - \\sigma^2)/\\sigma)`;
    :math:`E[s^2] = \\text{mean}^2 e^{\\sigma^2}`.
    """

    mean_: float = 1.0
    sigma: float = 1.0
    kind = "lognormal"

    def __init__(self, mean: float = 1.0, sigma: float = 1.0) -> None:
        object.__setattr__(self, "mean_", _positive(mean, "demand.mean"))
        object.__setattr__(self, "sigma", _positive(sigma, "demand.sigma"))

    @property
    def mu(self) -> float:
        """Location of :math:`\\ln s`."""
        return math.log(self.mean_) - 0.5 * self.sigma**2

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        return rng.lognormal(self.mu, self.sigma, size=n)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def median(self) -> float:
        return math.exp(self.mu)

    @property
    def second_moment(self) -> float:
        return self.mean_**2 * math.exp(self.sigma**2)

    def _z(self, x: ArrayLike) -> NDArray[np.float64]:
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            lx = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), -np.inf)
        return (lx - self.mu) / self.sigma

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        return ndtr(self._z(x))

    def partial_mean(self, x: ArrayLike) -> NDArray[np.float64]:
        return self.mean_ * ndtr(self._z(x) - self.sigma)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "mean": self.mean_, "sigma": self.sigma}

    def __repr__(self) -> str:
        return f"LogNormal(mean={self.mean_!r}, sigma={self.sigma!r})"


@dataclass(frozen=True)
class Empirical(Demand):
    """Resampling (with replacement) of observed demands ``samples`` (all finite and > 0).

    Its median is the lower sample median; the default observation map splits there, or just below
    the largest value when the lower median is the maximum (ties), or gives one class if all samples
    are equal.
    """

    samples: tuple[float, ...] = (1.0,)
    kind = "empirical"

    def __post_init__(self) -> None:
        try:
            arr = np.asarray(self.samples, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise ScenarioError("demand.samples: must be a sequence of numbers > 0") from None
        if arr.size == 0:
            raise ScenarioError("demand.samples: need at least one sample, got none")
        if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise ScenarioError("demand.samples: every sample must be finite and > 0")
        object.__setattr__(self, "samples", tuple(float(v) for v in arr))

    @property
    def _sorted(self) -> NDArray[np.float64]:
        return np.sort(np.asarray(self.samples))

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        arr = np.asarray(self.samples)
        return arr[rng.integers(0, arr.size, size=n)]

    @property
    def mean(self) -> float:
        return float(np.mean(self.samples))

    @property
    def median(self) -> float:
        s = self._sorted
        return float(s[(s.size - 1) // 2])

    @property
    def second_moment(self) -> float:
        return float(np.mean(np.square(self.samples)))

    def default_edges(self) -> tuple[float, ...]:
        s = self._sorted
        med = self.median
        if med < s[-1]:
            return (med,)
        below = s[s < s[-1]]
        return (float(below[-1]),) if below.size else ()

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        s = self._sorted
        return np.searchsorted(s, np.asarray(x, dtype=np.float64), side="right") / s.size

    def partial_mean(self, x: ArrayLike) -> NDArray[np.float64]:
        s = self._sorted
        cum = np.concatenate(([0.0], np.cumsum(s)))
        return cum[np.searchsorted(s, np.asarray(x, dtype=np.float64), side="right")] / s.size

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "samples": list(self.samples)}

    def __repr__(self) -> str:
        return f"Empirical(<{len(self.samples)} samples, mean {self.mean:.4g}>)"


_KINDS: dict[str, type[Demand]] = {
    "exponential": Exponential,
    "deterministic": Deterministic,
    "two_point": TwoPoint,
    "lognormal": LogNormal,
    "empirical": Empirical,
}


def demand_from_dict(spec: Mapping[str, Any] | str | Demand) -> Demand:
    """Build a demand from ``{"kind": ..., **params}`` (as written by ``to_dict``) or a kind name.

    Kinds: ``exponential`` (mean), ``deterministic`` (value), ``two_point`` (low, high, p_low),
    ``lognormal`` (mean, sigma), ``empirical`` (samples).

    Parameters
    ----------
    spec : mapping, str or Demand
        A table ``{"kind": ..., **params}``, a bare kind name (default parameters), or a Demand
        (returned as it is).

    Returns
    -------
    Demand

    Raises
    ------
    ScenarioError
        Unknown kind (``demand.kind``, listing the kinds) or bad parameters (``demand.<param>``).
    """
    if isinstance(spec, Demand):
        return spec
    if isinstance(spec, str):
        spec = {"kind": spec}
    if not isinstance(spec, Mapping):
        raise ScenarioError(f"demand: must be a table with a 'kind' key, got {type(spec).__name__}")
    params = dict(spec)
    kind = str(params.pop("kind", "")).lower().replace("-", "_")
    if kind == "twopoint":
        kind = "two_point"
    if kind not in _KINDS:
        raise ScenarioError(f"demand.kind: must be one of {sorted(_KINDS)}, got {spec.get('kind')!r}")
    try:
        return _KINDS[kind](**params)
    except TypeError as exc:
        raise ScenarioError(f"demand: bad parameters for kind {kind!r}: {exc}") from None
