"""The entangled policy: a quantum strategy measured on shared pairs, one pair per customer pair.

Each server holds one half of a two-qubit (or ``dA x dB``) entangled pair per customer pair. The
server playing A measures its half with Alice's measurement for its question ``x`` (its class, or
``class * n_levels + level``) and the one playing B with Bob's measurement for ``y``; the outcome is the
decision (0 KEEP, 1 FORWARD). Outcomes are sampled with :func:`qcoord.entanglement.sample` from the
inputs' uniforms (columns 1 and 2), so results are reproducible and share common random numbers with
every other policy run on the same inputs. A half's outcome depends only on its own question.

Sources
-------
- ``source=None``: ideal pairs, always available, visibility ``visibility`` (default 1).
- an ``EntanglementPool``: ``pool.schedule(arrival_times, rng) -> PoolDraw`` gives per request a
  visibility (memory decoherence) and a ``fallback`` flag (no pair stored); both servers know whether
  a pair is available (heralded), and without one they both use the classical ``fallback`` rule.
- a ``StreamingSource``: ``source.schedule(arrival_times, rng) -> StreamDraw`` gives a per-request
  decision latency (waiting for the next streamed pair) and visibility; the decision, and hence the
  release of *both* customers of the pair, is delayed by that latency (kept at ``t + latency``,
  forwarded at ``t + latency + d``).

With backlog observation, levels are those at the pair's arrival ``t`` (the decision is made with
what the server saw then, also when a streaming source delays it). The classical ``fallback`` rule
uses the same role assignment as the entangled strategy.

Werner noise composes multiplicatively: the visibility used for pair ``n`` is
``visibility * draw.visibility[n]`` (a depolarising channel followed by another is one with the
product visibility). The pool's random draws use a generator seeded from the inputs'
``SeedSequence`` (``entropy = inputs.seed``, ``spawn_key = (inputs.replication, 0x454E54)``), so the
same inputs give the same pool history.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..entanglement import sampler
from ..games import QuantumStrategy
from ..system.interface import PairInputs
from .base import SAMPLING_COLUMNS, Context, LocalPolicy
from .correlated import SequentialPairs
from .errors import PolicyError
from .local import DeterministicRule, ThresholdRule
from .views import LocalView, NoShare, ResourceHalf, Share, check_question_map

__all__ = ["Entangled", "POOL_STREAM_KEY"]

#: Second element of the ``spawn_key`` of the generator given to ``source.schedule``.
POOL_STREAM_KEY: int = 0x454E54


def _params(source: Any) -> Any:
    get = getattr(source, "params", None)
    if callable(get):
        try:
            return {k: (v if isinstance(v, (int, float, str, bool, type(None))) else repr(v)) for k, v in get().items()}
        except Exception:  # pragma: no cover - describe() must not fail
            pass
    return repr(source)


class Entangled(LocalPolicy):
    """Decisions from measuring shared entangled pairs with a :class:`~qcoord.games.QuantumStrategy`.

    Parameters
    ----------
    strategy : QuantumStrategy
        State and measurements; 2 outcomes per question (0 KEEP, 1 FORWARD); ``nx``, ``ny`` =
        number of classes (or classes x backlog levels).
    source : EntanglementPool or StreamingSource, optional
        Where pairs come from (see module notes); ``None`` = ideal pairs.
    fallback : LocalRule or ThresholdRule, optional
        Classical rule used when no pair is available; default: always KEEP (``ThresholdRule(0)``).
    visibility : float in [0, 1], default 1
        Werner visibility applied to every pair (multiplied with the source's).
    question_map : array_like of int, optional
        Observation -> question map ``question_map[class]`` or ``question_map[class, level]``
        (see :func:`~qcoord.policies.views.check_question_map`); default: class or
        ``class * n_levels + level`` by the strategy's number of questions.
    role_symmetric : bool, default True
        True: server ``inputs.role[n]`` holds the A half; False: server 0 always does.
    name : str, optional
    sampler : object, optional
        What draws the outcomes: anything with ``shape`` and
        ``sample(x, y, uniforms=..., visibility=...) -> (a, b)`` whose ``a`` depends only on ``x``
        and the first uniform column (e.g. ``qcoord.export.AerSampler``, a circuit simulator);
        default: :func:`qcoord.entanglement.sampler` of the strategy (the Born rule).

    Notes
    -----
    ``route`` returns a :class:`~qcoord.policies.base.PolicyRouting` whose ``info`` has
    ``fallbacks`` (pairs decided classically), ``mean_visibility`` (over entangled decisions),
    ``mean_latency`` and the source's ``pool_stats``.
    """

    uniform_columns = max(SAMPLING_COLUMNS) + 1

    def __init__(
        self,
        strategy: QuantumStrategy,
        source: Any = None,
        fallback: DeterministicRule | None = None,
        *,
        visibility: float = 1.0,
        question_map: ArrayLike | None = None,
        role_symmetric: bool = True,
        name: str | None = None,
        sampler: Any = None,
    ) -> None:
        if not isinstance(strategy, QuantumStrategy):
            raise PolicyError(f"strategy: must be a qcoord.games.QuantumStrategy, got {type(strategy).__name__}")
        na, nb, _, _ = strategy.shape
        if (na, nb) != (2, 2):
            raise PolicyError(f"strategy: measurements must have 2 outcomes (KEEP/FORWARD), got ({na}, {nb})")
        v = float(visibility)
        if not np.isfinite(v) or not 0.0 <= v <= 1.0:
            raise PolicyError(f"visibility: must lie in [0, 1], got {visibility!r}")
        if source is not None and not callable(getattr(source, "schedule", None)):
            raise PolicyError(f"source: must be None, an EntanglementPool or a StreamingSource, got {type(source).__name__}")
        if fallback is not None and not isinstance(fallback, DeterministicRule):
            raise PolicyError(f"fallback: must be a LocalRule or ThresholdRule, got {type(fallback).__name__}")
        if sampler is not None and (not callable(getattr(sampler, "sample", None)) or tuple(getattr(sampler, "shape", ())) != strategy.shape):
            raise PolicyError(f"sampler: must have sample(x, y, uniforms=, visibility=) and shape {strategy.shape}, got {type(sampler).__name__}")
        self.custom_sampler = sampler
        self.strategy = strategy
        self.source = source
        self.fallback = fallback if fallback is not None else ThresholdRule(0, role_symmetric=role_symmetric, name="always-keep")
        self.visibility = v
        self.question_map = check_question_map(question_map)
        self.role_symmetric = bool(role_symmetric)
        self.name = name or ("entangled-" + ("sym" if self.role_symmetric else "asym"))

    def _question_sizes(self) -> tuple[int, ...]:
        _, _, nx, ny = self.strategy.shape
        own = () if self.question_map is not None else (nx, ny)
        return (*own, *self.fallback._question_sizes())

    def _prepare(self, inputs: PairInputs, ctx: Context) -> dict[str, Any]:
        n = ctx.n
        available = np.ones(n, dtype=bool)
        vis = np.full(n, self.visibility)
        latency = np.zeros(n)
        stats = None
        if self.source is not None:
            rng = np.random.default_rng(np.random.SeedSequence(entropy=inputs.seed, spawn_key=(inputs.replication, POOL_STREAM_KEY)))
            try:
                draw = self.source.schedule(np.asarray(inputs.arrival, dtype=np.float64), rng)
            except ValueError:
                raise
            except Exception as exc:  # pragma: no cover - wrap foreign failures
                raise PolicyError(f"source: schedule failed ({type(exc).__name__}: {exc})") from exc
            sv = np.asarray(getattr(draw, "visibility"), dtype=np.float64).reshape(-1)
            if sv.shape != (n,):
                raise PolicyError(f"source: schedule returned {sv.shape[0]} visibilities for {n} requests")
            fb = getattr(draw, "fallback", None)
            if fb is not None:
                available = ~np.asarray(fb, dtype=bool).reshape(n)
            lat = getattr(draw, "latency", None)
            if lat is not None:
                latency = np.asarray(lat, dtype=np.float64).reshape(n)
                if not np.all(np.isfinite(latency)) or np.any(latency < 0):
                    raise PolicyError("source: latencies must be finite and >= 0")
            vis = vis * np.where(available, np.nan_to_num(sv, nan=0.0), 0.0)
            stats = getattr(draw, "stats", None)
        vis = np.clip(vis, 0.0, 1.0)
        return {"available": available, "visibility": vis, "latency": latency, "stats": stats}

    def _extra_latency(self, ctx: Context, state: dict[str, Any]) -> NDArray[np.float64]:
        return state["latency"]

    def _resource(self, inputs: PairInputs, ctx: Context, state: dict[str, Any]) -> SequentialPairs:
        U = np.ascontiguousarray(inputs.uniforms[:, list(SAMPLING_COLUMNS)], dtype=np.float64)
        vis = state["visibility"]
        constant = ctx.n > 0 and bool(np.all(vis == vis[0]))
        v0 = float(vis[0]) if constant else 1.0
        # precomputed sampling tables (cached per strategy), unless another sampler was given
        strat = sampler(self.strategy) if self.custom_sampler is None else self.custom_sampler

        def v(idx: NDArray[np.int64]) -> float | NDArray[np.float64]:
            return v0 if constant else vis[idx]

        def first(idx: NDArray[np.int64], x: NDArray[np.int64]) -> NDArray[np.int8]:
            # A's outcome depends on x and its own uniform only (sequential sampling); y is a placeholder
            a, _ = strat.sample(x, np.zeros_like(x), uniforms=U[idx], visibility=v(idx))
            return np.asarray(a, dtype=np.int8)

        def second(idx, x, a, y):
            a2, b = strat.sample(x, y, uniforms=U[idx], visibility=v(idx))
            if not np.array_equal(a2, a):
                raise PolicyError(
                    "strategy: qcoord.entanglement.sample is not sequential (A's outcome changed with B's question)"
                )
            return np.asarray(b, dtype=np.int8)

        _, _, nx, ny = strat.shape
        return SequentialPairs(ctx.n, first, second, (nx, ny), available=state["available"])

    def decide(self, view: LocalView, share: Share) -> NDArray[np.int8]:
        """Measure this server's half of each pair with the POVM of its own question; pairs the
        source could not supply use the classical ``fallback`` rule instead."""
        if not isinstance(share, ResourceHalf):
            raise PolicyError("share: Entangled needs its half of the entangled pairs")
        out = share.measure(view.question_for(share.n_questions, "strategy", self.question_map))
        if not share.available.all():
            classical = self.fallback.decide(view, NoShare())
            out = np.where(share.available, out, classical).astype(np.int8)
        return out

    def _info(self, ctx: Context, state: dict[str, Any]) -> dict[str, Any]:
        avail = state["available"]
        return {
            "fallbacks": int((~avail).sum()),
            "fallback_rate": float((~avail).mean()) if ctx.n else 0.0,
            "mean_visibility": float(state["visibility"][avail].mean()) if avail.any() else float("nan"),
            "mean_latency": float(state["latency"].mean()) if ctx.n else 0.0,
            "pool_stats": state["stats"],
        }

    def describe(self) -> dict[str, Any]:
        s = self.strategy
        return {
            **super().describe(),
            "dims": list(s.dims),
            "state": [[float(z.real), float(z.imag)] for z in np.asarray(s.state).reshape(-1)] if s.state.ndim == 1 else "mixed",
            "visibility": self.visibility,
            "question_map": None if self.question_map is None else self.question_map.tolist(),
            "source": None if self.source is None else type(self.source).__name__,
            "source_params": None if self.source is None else _params(self.source),
            "fallback": self.fallback.describe(),
            "uniform_columns": list(SAMPLING_COLUMNS),
            **({} if self.custom_sampler is None else {"sampler": type(self.custom_sampler).__name__}),
        }
