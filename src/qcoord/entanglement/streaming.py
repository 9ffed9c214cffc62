"""A streaming entangled-photon source without quantum memory: decisions wait for the next pair.

Model
-----
A source between the two servers emits entangled photon pairs as a Poisson process of rate ``rate``
(pairs per time unit). Server A detects its photon with probability ``eta_a``, server B with
``eta_b``, independently; every photon carries a time tag. A pair is *usable* iff it is detected on
both sides (a coincidence, identified by comparing time tags, as entanglement-based QKD does).
Coincidences form a Poisson process of rate :math:`r_c = r\\,\\eta_A\\eta_B` (thinning).

A decision requested at time ``t`` is made with the first coincidence at or after ``t`` that no
earlier request has used. **Each pair is used at most once**: when requests come closer together than
the pair spacing, the next request takes the next coincidence (it does not share its predecessor's
pair), so the ``i``-th pair time is :math:`\\tau_i = \\max(t_i, \\tau_{i-1}) + E_i`, with
:math:`E_i \\sim \\mathrm{Exp}(r_c)` by memorylessness. The added decision latency is
:math:`\\tau_i - t_i`; for an isolated request (:math:`t_i \\ge \\tau_{i-1}`) it is exponential with
rate :math:`r_c`, mean :math:`1/(r\\eta_A\\eta_B)`. There is no storage, hence no decoherence; the
pair visibility is the source's ``visibility``.

Caveat: identifying coincidences needs the other side's time tags, i.e. classical communication.
``tag_latency`` (default 0, an idealisation) is added to every decision's latency to charge for that
exchange (e.g. the one-way message latency). Without any exchange each server could only use its *own*
first detection after the request; both would then hold halves of the same pair only with probability
:math:`\\eta_A\\eta_B / (\\eta_A + \\eta_B - \\eta_A\\eta_B)` (:attr:`StreamingSource.local_match_probability`),
about ``5.6e-5`` for the deployed-fibre preset: a memoryless streaming link is not communication-free.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _kernels
from .pool import _finish, _input_order, _positive, _time_ordered
from .sampling import RngLike, as_generator, seed_record
from .states import EntanglementError, check_visibility

__all__ = ["StreamingSource", "StreamDraw", "StreamStats"]


@dataclass(frozen=True)
class StreamStats:
    """Accounting of one :meth:`StreamingSource.schedule` run (up to the last used pair).

    ``emitted = used + unused_coincidences + lost``; ``coincidences = used + unused_coincidences``.
    """

    requests: int
    emitted: int
    coincidences: int
    used: int
    unused_coincidences: int
    lost: int
    horizon: float
    mean_latency: float


@dataclass(frozen=True, eq=False)
class StreamDraw:
    """Per-request outcome of a streaming schedule (arrays in the order of the input request times).

    Attributes
    ----------
    latency : ndarray, shape (n,)
        Added decision latency ``pair_time - request_time + tag_latency`` (time units, >= 0).
    visibility : ndarray, shape (n,)
        Visibility of the pair used.
    pair_id : ndarray of int64, shape (n,)
        Index of the used pair among all emitted pairs (distinct for distinct requests).
    pair_time : ndarray, shape (n,)
        Time tag of the used pair.
    stats : StreamStats
    seed, params : dict
    """

    latency: NDArray[np.float64]
    visibility: NDArray[np.float64]
    pair_id: NDArray[np.int64]
    pair_time: NDArray[np.float64]
    stats: StreamStats
    seed: dict[str, Any]
    params: dict[str, Any]

    @property
    def fallback(self) -> NDArray[np.bool_]:
        """All False: a streaming source never falls back, it makes the decision wait."""
        return np.zeros(self.latency.shape[0], dtype=bool)


@dataclass(frozen=True)
class StreamingSource:
    """Entangled-photon source with lossy detection on both sides; no memory.

    Parameters
    ----------
    rate : float > 0
        Pair emission rate (pairs per time unit).
    eta_a, eta_b : float in (0, 1]
        End-to-end detection efficiency on each side (fibre transmission times detector efficiency).
    visibility : float in [0, 1]
        Werner visibility of every detected pair.
    tag_latency : float >= 0
        Time to exchange time tags (time units), added to every decision's latency.
    name : str
    """

    rate: float
    eta_a: float = 1.0
    eta_b: float = 1.0
    visibility: float = 1.0
    tag_latency: float = 0.0
    name: str = "streaming"

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", _positive("rate", self.rate))
        for nm in ("eta_a", "eta_b"):
            try:
                e = float(getattr(self, nm))
            except (TypeError, ValueError):
                raise EntanglementError(f"{nm}: must lie in (0, 1], got {getattr(self, nm)!r}") from None
            if not 0.0 < e <= 1.0:
                raise EntanglementError(f"{nm}: must lie in (0, 1], got {getattr(self, nm)!r}")
            object.__setattr__(self, nm, e)
        object.__setattr__(self, "visibility", float(check_visibility(self.visibility)))
        try:
            tl = float(self.tag_latency)
        except (TypeError, ValueError):
            raise EntanglementError(f"tag_latency: must be a finite number >= 0, got {self.tag_latency!r}") from None
        if not (tl >= 0 and math.isfinite(tl)):
            raise EntanglementError(f"tag_latency: must be a finite number >= 0, got {self.tag_latency!r}")
        object.__setattr__(self, "tag_latency", tl)

    @property
    def local_match_probability(self) -> float:
        """P(both sides' own first detections after a request belong to the same pair), without tag
        exchange: :math:`\\eta_A\\eta_B/(\\eta_A + \\eta_B - \\eta_A\\eta_B)` (first event of the superposed
        "both", "A only", "B only" detection processes is a "both" event)."""
        ea, eb = self.eta_a, self.eta_b
        return ea * eb / (ea + eb - ea * eb)

    @property
    def coincidence_rate(self) -> float:
        """Rate of usable pairs :math:`r\\eta_A\\eta_B` (per time unit): the maximal decision rate."""
        return self.rate * self.eta_a * self.eta_b

    supply_rate = coincidence_rate

    @property
    def mean_latency(self) -> float:
        """Mean added latency of an isolated request, :math:`1/(r\\eta_A\\eta_B)` + ``tag_latency``."""
        return 1.0 / self.coincidence_rate + self.tag_latency

    def params(self) -> dict[str, Any]:
        """The source's parameters (recorded in every :class:`StreamDraw`)."""
        return asdict(self)

    def schedule(self, request_times: ArrayLike, rng: RngLike) -> StreamDraw:
        """Assign each request the first unused coincidence at or after it.

        Parameters
        ----------
        request_times : array_like, shape (n,)
            Decision request times (>= 0); unsorted input is processed in time order (ties in input
            order) and returned in input order.
        rng : Generator, SeedSequence or int
        """
        t, order = _time_ordered(request_times)
        n = t.shape[0]
        seed = seed_record(rng)
        g = as_generator(rng)
        tp = np.empty(n)
        pid = np.empty(n, dtype=np.int64)
        stats = np.zeros(5, dtype=np.int64)
        _kernels.stream_kernel(g, t, self.rate, self.eta_a, self.eta_b, tp, pid, stats)
        lat = tp - t + self.tag_latency
        lat, tp, pid, vis = _finish(*_input_order(order, lat, tp, pid), np.full(n, self.visibility))
        st = StreamStats(
            requests=n, emitted=int(stats[0]), coincidences=int(stats[1]), used=int(stats[2]),
            unused_coincidences=int(stats[3]), lost=int(stats[4]),
            horizon=float(tp.max()) if n else 0.0, mean_latency=float(lat.mean()) if n else 0.0,
        )
        return StreamDraw(lat, vis, pid, tp, st, seed, self.params())
