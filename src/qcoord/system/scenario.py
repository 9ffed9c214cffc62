"""The scenario: one immutable, validated description of the dual-work two-server system.

See model.md sections 1-4 and docs/contracts.md. Time unit = mean customer demand (the presets have
mean 1), so the utilisation of each server is :math:`\\rho = L\\,E[s]` with ``L`` the pair rate (each
pair brings one customer to each server).

Random inputs (:meth:`Scenario.draw_inputs`) come from
``numpy.random.SeedSequence(seed).spawn(replications)[replication]``; a child depends only on
``seed`` and its index, so every policy, and every ``replications`` setting, sees the same inputs for
the same replication (common random numbers). Within a replication the draws are, in this order:
inter-arrival times (Poisson only), the ``(n, 2)`` demands, the role coin ``(n,)`` (drawn even when
``role_coin`` is off, then zeroed, so the other streams do not move), and ``(n, 4)`` uniforms.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .._memory import available_memory, format_bytes
from numpy.typing import ArrayLike, NDArray

from .baseline import Baseline, _show, baseline_from_spec, setup
from .demand import Demand, TwoPoint, classify, demand_from_dict
from .interface import PairInputs, ScenarioError

__all__ = [
    "Scenario", "DemandClasses", "ScenarioError", "UnknownFieldError", "read_toml", "ARRIVAL_PROCESSES", "DISCIPLINES", "NUM_UNIFORMS",
]

ARRIVAL_PROCESSES = ("poisson", "deterministic", "trace")
DISCIPLINES = ("srpt", "np", "fcfs")
#: Number of U(0, 1) columns in ``PairInputs.uniforms``.
NUM_UNIFORMS = 4


#: Bytes per pair of :meth:`Scenario.draw_inputs` (arrival 8, demand 16, classes 16, role 1,
#: uniforms 32) with its temporaries, rounded up.
INPUT_BYTES_PER_PAIR = 96


def _available_memory() -> int | None:
    """Bytes this process may still use (:func:`qcoord._memory.available_memory`; a seam for tests)."""
    return available_memory()


_gib = format_bytes


def _real(value: Any, field_name: str, *, lo: float | None = None, lo_open: bool = False) -> float:
    rng_txt = "" if lo is None else (f" > {lo:g}" if lo_open else f" >= {lo:g}")
    if isinstance(value, bool):
        raise ScenarioError(f"{field_name}: must be a finite number{rng_txt}, got {_show(value)}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(f"{field_name}: must be a finite number{rng_txt}, got {_show(value)}") from None
    if not math.isfinite(v) or (lo is not None and (v <= lo if lo_open else v < lo)):
        raise ScenarioError(f"{field_name}: must be a finite number{rng_txt}, got {_show(value)}")
    return v


def _integer(value: Any, field_name: str, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ScenarioError(f"{field_name}: must be an integer >= {lo}, got {_show(value)}")
    v = int(value)
    if v < lo:
        raise ScenarioError(f"{field_name}: must be an integer >= {lo}, got {v}")
    return v


def _increasing(values: Any, field_name: str, *, lo: float, lo_open: bool) -> tuple[float, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ScenarioError(f"{field_name}: must be a sequence of numbers, got {_show(values)}")
    out = tuple(_real(v, f"{field_name}[{i}]", lo=lo, lo_open=lo_open) for i, v in enumerate(values))
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ScenarioError(f"{field_name}: must be strictly increasing, got {out}")
    return out


def _checked_demand_and_classes(obj: Any) -> None:
    """Validate and normalise ``obj.demand`` and ``obj.class_edges`` (every class must be non-empty).

    Shared by :class:`Scenario` and :class:`qcoord.system.fanout.FanoutScenario`.
    """
    put = lambda name, value: object.__setattr__(obj, name, value)  # noqa: E731
    try:
        put("demand", demand_from_dict(obj.demand))
    except ScenarioError:
        raise
    except RecursionError:  # a value nested too deeply to print or convert
        raise ScenarioError("demand: a value of the demand table is nested too deeply; expected numbers") from None
    except Exception as exc:  # pragma: no cover - defensive
        raise ScenarioError(f"demand: invalid ({exc})") from None
    if obj.class_edges is not None:
        put("class_edges", _increasing(obj.class_edges, "class_edges", lo=0.0, lo_open=True))
    probs = obj.demand.class_probs(obj.edges)
    if np.any(probs <= 0):
        k = int(np.argmax(probs <= 0))
        raise ScenarioError(
            f"class_edges: class {k} of {obj.edges} is empty under {obj.demand!r}; "
            "every class needs positive probability"
        )


class DemandClasses:
    """What a server observes of its customer's demand: the classes of a scenario with ``demand`` and
    ``class_edges`` fields (mixed into :class:`Scenario` and the N-server ``FanoutScenario``), the
    seed of its replications, and the dictionary / JSON form of its fields."""

    demand: Demand
    class_edges: tuple[float, ...] | None
    seed: int
    replications: int

    @property
    def edges(self) -> tuple[float, ...]:
        """The class edges in use (``class_edges`` or the demand's default split)."""
        return self.class_edges if self.class_edges is not None else tuple(self.demand.default_edges())

    @property
    def num_classes(self) -> int:
        """Number of demand classes a server can observe."""
        return len(self.edges) + 1

    @property
    def class_probs(self) -> NDArray[np.float64]:
        """Prior of each class, :math:`\\pi_k = P(e_{k-1} < s \\le e_k)`."""
        return self.demand.class_probs(self.edges)

    @property
    def class_means(self) -> NDArray[np.float64]:
        """Conditional mean demand per class, :math:`E[s \\mid \\text{class } k]` (time units)."""
        return self.demand.class_means(self.edges)

    def classify(self, demand: ArrayLike) -> NDArray[np.int64]:
        """Observed class of each demand under this scenario's edges."""
        return classify(demand, self.edges)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dictionary of the dataclass fields (demand and baseline as ``{"kind": ...}`` tables)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if f.name in ("demand", "baseline"):
                v = v.to_dict()
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out

    def to_json(self) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), sort_keys=True)

    def seed_sequence(self, replication: int) -> np.random.SeedSequence:
        """``SeedSequence(seed).spawn(replications)[replication]`` (independent of ``replications``)."""
        if not 0 <= int(replication) < self.replications:
            raise ScenarioError(f"replication: must be in [0, {self.replications - 1}], got {replication}")
        return np.random.SeedSequence(self.seed).spawn(int(replication) + 1)[int(replication)]


@dataclass(frozen=True)
class Scenario(DemandClasses):
    """The dual-work two-server system (model.md section 1), frozen and validated.

    Parameters
    ----------
    arrival_rate : float
        Pair arrival rate ``L`` > 0 (pairs per unit time); utilisation of each server is
        ``L * demand.mean``.
    arrival_process : {"poisson", "deterministic", "trace"}
        Poisson pairs; pairs at ``k / L`` for ``k = 1, 2, ...``; or the given ``arrival_times``.
    arrival_times : tuple of float or None
        Non-decreasing arrival times >= 0 (required iff ``arrival_process == "trace"``; the first
        ``n_pairs`` are used).
    demand : Demand
        Customer demand distribution (``demand.py``); also a spec ``{"kind": ..., ...}``.
    class_edges : tuple of float or None
        Class edges (class ``k``: ``edges[k-1] < s <= edges[k]``); ``None`` = the demand's default
        split at the median (two classes; one class for a point mass). Every class must have
        positive probability.
    backlog_levels : tuple of float
        Thresholds on a server's own unfinished work that it observes (level = number of thresholds
        strictly below the work; ``(0.0,)`` is the busy flag); ``()`` = not observed.
    handoff_delay : float
        ``d`` >= 0: a forwarded customer joins the other server ``d`` after its arrival.
    message_latency : float
        ``D`` >= 0: latency of the control path used by communicating policies.
    discipline : {"srpt", "np", "fcfs"}
        Preemptive SRPT, non-preemptive SJF, or FCFS at each server.
    role_coin : bool
        A fresh shared coin per pair picks which server plays "A".
    baseline : Baseline
        Baseline output ``T`` of an idle run (``setup(c)``, ``power(k)``, a callable); also a spec
        such as ``"setup(1)"`` or ``{"kind": "power", "k": 2}``.
    n_pairs : int
        Pairs per replication (>= 2).
    warmup : int or None
        The first ``warmup`` pairs are excluded from statistics (``0 <= warmup <= n_pairs - 2``).
        ``None`` = ``min(10_000, n_pairs // 20)`` (convenient for short runs).
    replications : int
        Independent replications (>= 1).
    seed : int
        Entropy (>= 0) of the ``SeedSequence`` of all random inputs.
    """

    arrival_rate: float = 0.1
    arrival_process: str = "poisson"
    arrival_times: tuple[float, ...] | None = None
    demand: Demand = field(default_factory=TwoPoint)
    class_edges: tuple[float, ...] | None = None
    backlog_levels: tuple[float, ...] = ()
    handoff_delay: float = 0.1
    message_latency: float = 0.5
    discipline: str = "srpt"
    role_coin: bool = True
    baseline: Baseline = field(default_factory=lambda: setup(1.0))
    n_pairs: int = 200_000
    warmup: int | None = 10_000
    replications: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        put = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        put("arrival_rate", _real(self.arrival_rate, "arrival_rate", lo=0.0, lo_open=True))
        if self.arrival_process not in ARRIVAL_PROCESSES:
            raise ScenarioError(f"arrival_process: must be one of {ARRIVAL_PROCESSES}, got {_show(self.arrival_process)}")
        put("n_pairs", _integer(self.n_pairs, "n_pairs", 2))
        if self.arrival_process == "trace":
            if self.arrival_times is None:
                raise ScenarioError("arrival_times: required when arrival_process = 'trace'")
            times = _real_sequence(self.arrival_times, "arrival_times")
            if len(times) < self.n_pairs:
                raise ScenarioError(
                    f"n_pairs: must be <= len(arrival_times) = {len(times)} for a trace, got {self.n_pairs}"
                )
            put("arrival_times", times)
        elif self.arrival_times is not None:
            raise ScenarioError(
                f"arrival_times: only allowed with arrival_process = 'trace', not {_show(self.arrival_process)}"
            )
        _checked_demand_and_classes(self)
        put("backlog_levels", _increasing(self.backlog_levels, "backlog_levels", lo=0.0, lo_open=False))
        put("handoff_delay", _real(self.handoff_delay, "handoff_delay", lo=0.0))
        put("message_latency", _real(self.message_latency, "message_latency", lo=0.0))
        if self.discipline not in DISCIPLINES:
            raise ScenarioError(f"discipline: must be one of {DISCIPLINES}, got {_show(self.discipline)}")
        if not isinstance(self.role_coin, (bool, np.bool_)):
            raise ScenarioError(f"role_coin: must be true or false, got {_show(self.role_coin)}")
        put("role_coin", bool(self.role_coin))
        put("baseline", baseline_from_spec(self.baseline))
        if self.warmup is None:
            put("warmup", min(10_000, self.n_pairs // 20))
        put("warmup", _integer(self.warmup, "warmup", 0))
        if self.warmup > self.n_pairs - 2:
            raise ScenarioError(
                f"warmup: must be <= n_pairs - 2 = {self.n_pairs - 2}, got {self.warmup} "
                "(pass warmup=None for min(10_000, n_pairs // 20))"
            )
        put("replications", _integer(self.replications, "replications", 1))
        put("seed", _integer(self.seed, "seed", 0))

    # ------------------------------------------------------------------ derived quantities
    # (edges, num_classes, class_probs, class_means, classify, seed_sequence: DemandClasses)
    @property
    def num_backlog_levels(self) -> int:
        """Number of backlog levels a server observes (1 when backlog is not observed)."""
        return len(self.backlog_levels) + 1

    def backlog_level(self, work: ArrayLike) -> NDArray[np.int64]:
        """Observed backlog level of own unfinished ``work``: thresholds strictly below it."""
        return classify(work, self.backlog_levels)

    @property
    def pair_rate(self) -> float:
        """Pairs per unit time: ``arrival_rate``, or the trace's empirical rate ``(n-1)/span``."""
        if self.arrival_process == "trace":
            assert self.arrival_times is not None
            t = self.arrival_times[: self.n_pairs]
            span = t[-1] - t[0]
            return (len(t) - 1) / span if span > 0 else math.inf
        return self.arrival_rate

    @property
    def utilisation(self) -> float:
        """Offered load of each server, :math:`\\rho = L\\,E[s]` (pair rate times mean demand)."""
        return self.pair_rate * self.demand.mean

    def check_stationary(self) -> "Scenario":
        """Return ``self`` if a stationary result exists (utilisation < 1), else raise."""
        rho = self.utilisation
        if not rho < 1.0:
            field_name, rate = (
                ("arrival_times", "the trace's pair rate")
                if self.arrival_process == "trace"
                else ("arrival_rate", "arrival_rate")
            )
            raise ScenarioError(
                f"{field_name}: the utilisation {rate} * mean demand = {rho:.6g} must be < 1 "
                "for a stationary result (each server receives one customer per pair)"
            )
        return self

    # ------------------------------------------------------------------ random inputs
    def draw_inputs(self, replication: int = 0) -> PairInputs:
        """The random inputs of one replication (common random numbers across policies).

        Returns
        -------
        PairInputs
            ``arrival (n,)``, ``demand (n, 2)``, ``cls (n, 2)``, ``role (n,)`` (zeros without the role
            coin), ``uniforms (n, 4)``, ``seed``, ``replication``.
        """
        rng = np.random.default_rng(self.seed_sequence(replication))
        n = self.n_pairs
        need, avail = n * INPUT_BYTES_PER_PAIR, _available_memory()
        if avail is not None and need > avail:  # before allocating: a clear error, not a MemoryError
            raise ScenarioError(
                f"n_pairs: the inputs of {n:,} pairs need about {_gib(need)} of memory ({INPUT_BYTES_PER_PAIR} bytes "
                f"per pair), more than the {_gib(avail)} available; use n_pairs <= {avail // INPUT_BYTES_PER_PAIR:,} here"
            )
        if self.arrival_process == "poisson":
            arrival = rng.exponential(1.0 / self.arrival_rate, size=n)
            np.cumsum(arrival, out=arrival)  # in place: the same partial sums
        elif self.arrival_process == "deterministic":
            arrival = np.arange(1, n + 1, dtype=np.float64) / self.arrival_rate
        else:
            assert self.arrival_times is not None
            arrival = np.asarray(self.arrival_times[:n], dtype=np.float64)
        demand = self.demand.sample(rng, 2 * n).reshape(n, 2)
        cls = self.classify(demand)
        role = rng.integers(0, 2, size=n, dtype=np.int8)
        if not self.role_coin:
            role = np.zeros(n, dtype=np.int8)
        uniforms = rng.random((n, NUM_UNIFORMS))
        for a in (arrival, demand, cls, role, uniforms):
            a.setflags(write=False)
        return PairInputs(arrival, demand, cls, role, uniforms, seed=self.seed, replication=int(replication))

    # ------------------------------------------------------------------ (de)serialisation
    def replace(self, **changes: Any) -> "Scenario":
        """A copy with some fields changed (validated again); an unknown field is an :class:`UnknownFieldError`."""
        return dataclasses.replace(self, **changes)

    # to_dict, to_json: DemandClasses
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Scenario":
        """Build from a mapping such as :meth:`to_dict` writes (unknown keys are an error)."""
        if not isinstance(data, Mapping):
            raise ScenarioError(f"scenario: must be a table of fields, got {type(data).__name__}")
        _check_field_names(data)
        kw = dict(data)
        if isinstance(kw.get("baseline"), Mapping) and kw["baseline"].get("kind") == "callable":
            raise ScenarioError("baseline: a callable baseline cannot be loaded from a file; use setup(c) or power(k)")
        for key in ("arrival_times", "class_edges", "backlog_levels"):
            if isinstance(kw.get(key), list):
                kw[key] = tuple(kw[key])
        return cls(**kw)

    @classmethod
    def from_toml(cls, path: str | Path) -> "Scenario":
        """Load a scenario from a TOML file (flat fields, or a ``[scenario]`` table).

        Example::

            arrival_rate = 0.3
            discipline = "srpt"
            baseline = "setup(1)"            # or { kind = "power", k = 2 }
            demand = { kind = "two_point" }  # or { kind = "exponential", mean = 1.0 }

        A missing, unreadable, binary, invalid or too deeply nested file is a :class:`ScenarioError`
        naming the file (see :func:`read_toml`).
        """
        data = read_toml(path)
        if "scenario" in data and isinstance(data["scenario"], Mapping):
            data = data["scenario"]
        return cls.from_dict(data)


def read_toml(path: str | Path, what: str = "scenario") -> dict[str, Any]:
    """Parse a TOML file into a dict; every failure is a :class:`ScenarioError` naming the file.

    Refused, with a message that starts with ``path:`` and names the file: a missing file or one
    that cannot be read, a binary file (not UTF-8 text), invalid TOML, and TOML nested too deeply
    for the parser (arrays or inline tables nested thousands deep, which ``tomllib`` meets with a
    ``RecursionError``).

    Parameters
    ----------
    path : str or Path
    what : str
        What the file holds, for the messages (``"scenario"``, ``"sweep spec"``, ...).
    """
    from .._files import TextFileError, read_text

    p = Path(path)
    try:
        text = read_text(p)
    except TextFileError as exc:
        message = {
            "missing": f"path: {what} file not found: {p}",
            "folder": f"path: {p} is a folder, not a {what} file",
            "unreadable": f"path: cannot read the {what} file {p} ({exc.detail})",
            "binary": f"path: {p} is not a text (UTF-8) TOML file; {exc.detail} (is it a binary file?)",
        }[exc.reason]
        raise ScenarioError(message) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"path: {p} is not valid TOML ({exc})") from None
    except RecursionError:
        raise ScenarioError(
            f"path: {p} is nested too deeply (arrays or tables nested beyond what the TOML parser "
            f"can read); a {what} file needs only a few levels"
        ) from None


class UnknownFieldError(ScenarioError, TypeError):
    """A keyword that is not a :class:`Scenario` field.

    Both a :class:`ScenarioError` (a ``ValueError``, like every bad scenario input) and the
    ``TypeError`` Python raises for an unexpected keyword argument, so either ``except`` catches it.
    """


def _check_field_names(keys: Any) -> None:
    """Raise :class:`UnknownFieldError` naming the first key that is not a Scenario field (with the
    closest field name as a suggestion, and the allowed names)."""
    import difflib

    names = sorted(f.name for f in dataclasses.fields(Scenario))
    unknown = sorted(set(keys) - set(names))
    if unknown:
        close = difflib.get_close_matches(unknown[0], names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownFieldError(f"{unknown[0]}: unknown scenario field{hint}; allowed fields are {names}")


def _init_checking_names(init: Any) -> Any:
    """Wrap the dataclass ``__init__`` so that a misspelt keyword is an :class:`UnknownFieldError`."""

    @functools.wraps(init)
    def __init__(self: "Scenario", *args: Any, **kwargs: Any) -> None:
        _check_field_names(kwargs)
        init(self, *args, **kwargs)

    return __init__


Scenario.__init__ = _init_checking_names(Scenario.__init__)  # type: ignore[method-assign]


def _real_sequence(values: Any, field_name: str) -> tuple[float, ...]:
    try:
        arr = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ScenarioError(f"{field_name}: must be a sequence of numbers") from None
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ScenarioError(f"{field_name}: every time must be finite and >= 0")
    if np.any(np.diff(arr) < 0):
        raise ScenarioError(f"{field_name}: must be non-decreasing")
    return tuple(float(v) for v in arr)
