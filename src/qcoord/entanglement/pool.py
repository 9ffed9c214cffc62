"""A pool of stored entangled pairs between two servers: generation, memory, decoherence, cutoff.

Model
-----
- **Generation.** Either a Poisson process of rate ``rate`` (pairs per time unit), or heralded
  attempts every ``attempt_period`` time units, each succeeding independently with probability
  ``success_prob`` (successes at times ``k * attempt_period``, ``k >= 1``; long-run rate
  ``success_prob / attempt_period``).
- **Memory.** At most ``capacity`` pairs are stored. A pair generated while the memory is full is
  dropped (``when_full="drop_new"``: in a real link the attempt would not be made) or replaces the
  oldest stored pair (``"evict_oldest"``). Either way it is counted in ``dropped_capacity``.
- **Decoherence.** A pair generated at time ``g`` and consumed at ``t`` has age ``t - g`` and Werner
  visibility ``v(age) = v0 * f(age)``; the default is ``f(age) = exp(-age / memory_time)`` (depolarising
  memory with coherence time ``memory_time``); any callable ``decay(age_array) -> factor_array`` with
  values in [0, 1] can replace it.
- **Cutoff.** With ``cutoff = c`` a stored pair whose age exceeds ``c`` is discarded (it is still usable
  at age exactly ``c``).
- **Consumption.** Each request consumes one stored pair: the oldest (``consume="oldest"``, FIFO) or
  the freshest (``"freshest"``, LIFO, highest visibility). With no stored pair the request *falls
  back* to the classical strategy named by ``fallback`` (the caller's object; the pool only counts).

Every pair is used at most once; requests at the same instant consume different pairs. Requests are
processed in time order (unsorted input is sorted internally and results are returned in input order).
The simulation is event-driven in a numba kernel. Two fast-forwards keep the cost independent of the
number of generated pairs: while a ``drop_new`` memory is full, the dropped generations until the next
request or expiry are counted in one Poisson (or binomial) draw; an ``evict_oldest`` memory without
cutoff jumps to the next request, drawing only the newest ``capacity`` generation times (the process
read backwards from the request) and counting the rest. Only ``evict_oldest`` *with* a cutoff is
simulated generation by generation (cost O(rate x horizon)).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _kernels
from .sampling import RngLike, as_generator, seed_record
from .states import EntanglementError, check_visibility

__all__ = ["EntanglementPool", "IdealSource", "PoolDraw", "PoolStats", "exponential_decay", "check_request_times"]


def exponential_decay(memory_time: float) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """The depolarising-memory decay factor :math:`f(\\text{age}) = e^{-\\text{age}/T_{mem}}`.

    Parameters
    ----------
    memory_time : float > 0 or inf
        Coherence time :math:`T_{mem}` of the memory (time units); ``inf`` gives :math:`f = 1`.

    Returns
    -------
    callable
        Vectorised ``f(age_array) -> factor_array`` with values in (0, 1]; a pair stored for
        ``age`` has visibility :math:`v_0 f(\\text{age})`.
    """

    def f(age: NDArray[np.float64]) -> NDArray[np.float64]:
        if math.isinf(memory_time):
            return np.ones_like(age)
        return np.exp(-np.asarray(age) / memory_time)

    return f


def check_request_times(request_times: ArrayLike) -> NDArray[np.float64]:
    """Validate request times: a 1-D array of finite, non-negative numbers."""
    try:
        t = np.ascontiguousarray(np.asarray(request_times, dtype=np.float64)).ravel()
    except (TypeError, ValueError) as exc:
        raise EntanglementError(f"request_times: must be an array of non-negative times ({exc})") from None
    if t.size and not (np.all(np.isfinite(t)) and t.min() >= 0.0):
        raise EntanglementError("request_times: must be finite and >= 0")
    return t


def _positive(name: str, value: float, allow_inf: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise EntanglementError(f"{name}: must be a number > 0, got {value!r}") from None
    if not v > 0 or (math.isinf(v) and not allow_inf) or math.isnan(v):
        rng = "> 0" if allow_inf else "> 0 and finite"
        raise EntanglementError(f"{name}: must be {rng}, got {value!r}")
    return v


@dataclass(frozen=True)
class PoolStats:
    """Accounting of one :meth:`EntanglementPool.schedule` run.

    ``generated = consumed + discarded_cutoff + dropped_capacity + left_in_memory`` (pairs generated
    up to the last request); ``consumed + fallbacks = requests``.
    """

    requests: int
    generated: int
    consumed: int
    discarded_cutoff: int
    dropped_capacity: int
    fallbacks: int
    left_in_memory: int
    horizon: float
    fallback_strategy: str

    @property
    def fallback_rate(self) -> float:
        """Fraction of requests that fell back to the classical strategy."""
        return self.fallbacks / self.requests if self.requests else 0.0


@dataclass(frozen=True, eq=False)
class PoolDraw:
    """Per-request outcome of a pool schedule (arrays in the order of the input request times).

    Attributes
    ----------
    visibility : ndarray, shape (n,)
        Werner visibility of the consumed pair at consumption; ``0.0`` where ``fallback`` (never NaN).
    fallback : ndarray of bool, shape (n,)
        True where no pair was available and the decision uses the classical fallback.
    age : ndarray, shape (n,)
        Storage time of the consumed pair (time units); NaN where ``fallback``.
    pair_id : ndarray of int64, shape (n,)
        Id of the consumed pair (generation order, counting dropped pairs too); -1 where ``fallback``.
    stats : PoolStats
    seed : dict
        ``{"entropy", "spawn_key"}`` of the randomness (see :func:`qcoord.entanglement.seed_record`).
    params : dict
        The pool's parameters.
    """

    visibility: NDArray[np.float64]
    fallback: NDArray[np.bool_]
    age: NDArray[np.float64]
    pair_id: NDArray[np.int64]
    stats: PoolStats
    seed: dict[str, Any]
    params: dict[str, Any]

    @property
    def n(self) -> int:
        """Number of requests served."""
        return int(self.visibility.shape[0])


def _finish(*arrays: NDArray) -> tuple:
    """Mark the per-request arrays read-only and return them."""
    for a in arrays:
        a.setflags(write=False)
    return arrays


def _time_ordered(request_times: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.int64] | None]:
    """Validated request times in time order (ties in input order) and the sorting permutation.

    Returns ``(t_sorted, order)`` with ``t_sorted = t[order]``; ``order`` is None when the input is
    already sorted (no copy, no permutation). Shared by every pair source's ``schedule``.
    """
    t = check_request_times(request_times)
    if t.shape[0] > 1 and np.any(np.diff(t) < 0):
        order = np.argsort(t, kind="stable")
        return np.ascontiguousarray(t[order]), order
    return t, None


def _input_order(order: NDArray[np.int64] | None, *arrays: NDArray) -> tuple:
    """Undo :func:`_time_ordered`: ``out[order[i]] = a[i]`` for each array (identity when None)."""
    if order is None:
        return arrays
    inv = np.empty_like(order)
    inv[order] = np.arange(order.shape[0])
    return tuple(a[inv] for a in arrays)


@dataclass(frozen=True)
class EntanglementPool:
    """Stored entangled pairs with finite generation rate, memory, decoherence and cutoff.

    Parameters
    ----------
    rate : float, optional
        Poisson generation rate (pairs per time unit, > 0). Give either ``rate`` or ``attempt_period``.
    attempt_period : float, optional
        Time between heralded generation attempts (> 0).
    success_prob : float in (0, 1]
        Success probability of one attempt (only with ``attempt_period``).
    capacity : int >= 1
        Memory slots (pairs).
    visibility : float in [0, 1]
        Visibility ``v0`` of a freshly generated pair (fidelity ``(1 + 3 v0)/4``).
    memory_time : float > 0 (may be inf)
        Coherence time ``T_mem`` of the default decay ``exp(-age / T_mem)``.
    decay : callable, optional
        ``decay(age_array) -> factor_array`` in [0, 1]; replaces the exponential decay.
    cutoff : float > 0, optional
        Storage age after which a pair is discarded.
    consume : {"oldest", "freshest"}
    when_full : {"drop_new", "evict_oldest"}
    initial_pairs : int in [0, capacity]
        Pairs stored at time 0 (generated at time 0).
    fallback : object
        Name (or object) of the classical fallback strategy; reported in the stats, never called.
    name : str
        Label for reports.
    """

    rate: float | None = None
    attempt_period: float | None = None
    success_prob: float = 1.0
    capacity: int = 1
    visibility: float = 1.0
    memory_time: float = math.inf
    decay: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = field(default=None, compare=False)
    cutoff: float | None = None
    consume: str = "oldest"
    when_full: str = "drop_new"
    initial_pairs: int = 0
    fallback: Any = "local"
    name: str = "pool"

    def __post_init__(self) -> None:
        q = self.success_prob  # checked first: it is wrong whatever the generation mode
        try:
            q = float(q) if not isinstance(q, (bool, np.bool_, str, bytes)) else math.nan
        except (TypeError, ValueError):
            q = math.nan
        if not 0.0 < q <= 1.0:  # also NaN and non-numbers
            raise EntanglementError(
                f"success_prob: must lie in (0, 1] (a number: the success probability of one heralded attempt), "
                f"got {self.success_prob!r}"
            )
        object.__setattr__(self, "success_prob", q)
        if (self.rate is None) == (self.attempt_period is None):
            raise EntanglementError("rate: give exactly one of rate (Poisson) or attempt_period (heralded attempts)")
        if self.rate is not None:
            object.__setattr__(self, "rate", _positive("rate", self.rate))
        else:
            object.__setattr__(self, "attempt_period", _positive("attempt_period", self.attempt_period))
        if isinstance(self.capacity, bool) or not isinstance(self.capacity, (int, np.integer)) or self.capacity < 1:
            raise EntanglementError(f"capacity: must be an integer >= 1, got {self.capacity!r}")
        object.__setattr__(self, "capacity", int(self.capacity))
        object.__setattr__(self, "visibility", float(check_visibility(self.visibility)))
        object.__setattr__(self, "memory_time", _positive("memory_time", self.memory_time, allow_inf=True))
        if self.cutoff is not None:
            object.__setattr__(self, "cutoff", _positive("cutoff", self.cutoff, allow_inf=True))
        if self.consume not in ("oldest", "freshest"):
            raise EntanglementError(f"consume: must be 'oldest' or 'freshest', got {self.consume!r}")
        if self.when_full not in ("drop_new", "evict_oldest"):
            raise EntanglementError(f"when_full: must be 'drop_new' or 'evict_oldest', got {self.when_full!r}")
        ip = self.initial_pairs
        if isinstance(ip, bool) or not isinstance(ip, (int, np.integer)) or not 0 <= ip <= self.capacity:
            raise EntanglementError(f"initial_pairs: must be an integer in [0, capacity={self.capacity}], got {ip!r}")
        if self.decay is not None and not callable(self.decay):
            raise EntanglementError("decay: must be a callable age -> factor in [0, 1]")

    @property
    def supply_rate(self) -> float:
        """Long-run pair generation rate (pairs per time unit): ``rate`` or ``success_prob / attempt_period``.

        It bounds the long-run rate of entanglement-assisted decisions; requests beyond it fall back.
        """
        return self.rate if self.rate is not None else self.success_prob / self.attempt_period

    def params(self) -> dict[str, Any]:
        """The parameters as a plain dict (the decay callable by name)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}  # no deep copy of the fallback object
        d["decay"] = None if self.decay is None else getattr(self.decay, "__name__", repr(self.decay))
        d["fallback"] = self.fallback if isinstance(self.fallback, str) else getattr(self.fallback, "name", repr(self.fallback))
        return d

    def visibility_at_age(self, age: ArrayLike) -> NDArray[np.float64]:
        """``v(age) = v0 * f(age)``; validated to lie in [0, 1]."""
        a = np.asarray(age, dtype=np.float64)
        f = exponential_decay(self.memory_time)(a) if self.decay is None else np.asarray(self.decay(a), dtype=np.float64)
        if f.shape != a.shape:
            raise EntanglementError(f"decay: must return an array of the same shape as age, got {f.shape}")
        return check_visibility(self.visibility * f, field="decay")

    def schedule(self, request_times: ArrayLike, rng: RngLike) -> PoolDraw:
        """Serve decision requests from the pool.

        Parameters
        ----------
        request_times : array_like, shape (n,)
            Times of the decisions that want a pair (time units), >= 0.
        rng : Generator, SeedSequence or int
            Randomness of pair generation.

        Returns
        -------
        PoolDraw
        """
        t, order = _time_ordered(request_times)
        n = t.shape[0]
        seed = seed_record(rng)
        g = as_generator(rng)
        gen = np.empty(n)
        pid = np.empty(n, dtype=np.int64)
        stats = np.zeros(6, dtype=np.int64)
        mode = 0 if self.rate is not None else 1
        _kernels.pool_kernel(
            g, t, mode, float(self.rate or 0.0), float(self.attempt_period or 0.0), self.success_prob,
            self.capacity, float(self.cutoff) if self.cutoff is not None else math.inf,
            self.consume == "freshest", self.when_full == "evict_oldest", int(self.initial_pairs), gen, pid, stats,
        )
        fb = pid < 0
        age = t - gen  # NaN where fallback
        vis = np.zeros(n)
        if (~fb).any():
            vis[~fb] = self.visibility_at_age(age[~fb])
        vis, fb, age, pid = _input_order(order, vis, fb, age, pid)
        st = PoolStats(
            requests=n, generated=int(stats[0]), consumed=int(stats[1]), discarded_cutoff=int(stats[2]),
            dropped_capacity=int(stats[3]), fallbacks=int(stats[4]), left_in_memory=int(stats[5]),
            horizon=float(t[-1]) if n else 0.0,
            fallback_strategy=self.fallback if isinstance(self.fallback, str) else getattr(self.fallback, "name", repr(self.fallback)),
        )
        vis, fb, age, pid = _finish(vis, fb, age, pid)
        return PoolDraw(vis, fb, age, pid, st, seed, self.params())


@dataclass(frozen=True)
class IdealSource:
    """Unlimited perfect pairs: every request gets a fresh pair of visibility ``visibility``, age 0.

    The reference against which finite pools and streaming sources are compared.
    """

    visibility: float = 1.0
    name: str = "ideal"

    def __post_init__(self) -> None:
        object.__setattr__(self, "visibility", float(check_visibility(self.visibility)))

    @property
    def supply_rate(self) -> float:
        """Pairs per time unit the source can deliver: unlimited (``inf``)."""
        return math.inf

    def params(self) -> dict[str, Any]:
        """The source's parameters (recorded in every :class:`PoolDraw`)."""
        return asdict(self)

    def schedule(self, request_times: ArrayLike, rng: RngLike = None) -> PoolDraw:
        """Every request gets pair ``i`` (ids in time order); ``rng`` is accepted and unused."""
        t = check_request_times(request_times)
        n = t.shape[0]
        rank = np.empty(n, dtype=np.int64)
        rank[np.argsort(t, kind="stable")] = np.arange(n)
        st = PoolStats(n, n, n, 0, 0, 0, 0, float(t.max()) if n else 0.0, "none")
        vis, fb, age, pid = _finish(np.full(n, self.visibility), np.zeros(n, dtype=bool), np.zeros(n), rank)
        return PoolDraw(vis, fb, age, pid, st, seed_record(rng) if rng is not None else {"entropy": None, "spawn_key": ()}, self.params())
