"""The baseline task's output function T.

Whenever a server has no customer work it runs the preemptible baseline task; an *uninterrupted*
idle run of length ``t`` (time units) yields output ``T(t)`` (model.md section 1). Baseline
throughput is the total output of both servers per unit time, :math:`\\sum_{\\text{runs}} T(t) /
\\text{window}`.

Presets
-------
- :func:`setup`: :math:`T(t) = \\max(0, t - c)`, a resume/warm-up cost ``c`` per run (convex, not
  strictly; ``c = 0`` is linear).
- :func:`power`: :math:`T(t) = t^k` (convex for ``k >= 1``, strictly for ``k > 1``; ``k = 1`` is the
  linear control where routing cannot matter).
- :class:`Baseline` wraps any vectorised callable ``fn(runs) -> outputs``; convexity may be declared
  (``convex=True/False``) or is checked numerically by :meth:`Baseline.check_convex`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._kernels import _setup_output
from .interface import ScenarioError

__all__ = ["Baseline", "BaselineError", "setup", "power", "baseline_from_spec"]


class BaselineError(ScenarioError):
    """A baseline output function is invalid, or not convex where convexity is required."""


@dataclass(frozen=True, eq=False)
class Baseline:
    """Baseline output function :math:`T(t)` of one uninterrupted idle run of length ``t``.

    Parameters
    ----------
    fn : callable
        Vectorised ``fn(ndarray) -> ndarray`` of the same shape (a scalar-only callable also works,
        evaluated elementwise and slowly); ``T`` should be finite and >= 0 for ``t >= 0``.
    name : str
        Label used in results and reports (e.g. ``"setup(1)"``).
    convex : bool or None
        Declared convexity; ``None`` means unknown (checked numerically on demand).
    params : dict
        ``{"kind": ..., ...}`` for presets, so that scenarios serialise; empty for user callables.
    """

    fn: Callable[[NDArray[np.float64]], NDArray[np.float64]]
    name: str = "custom"
    convex: bool | None = None
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not callable(self.fn):
            raise BaselineError(f"baseline.fn: must be a callable T(t), got {type(self.fn).__name__}")
        if self.convex not in (True, False, None):
            raise BaselineError(f"baseline.convex: must be True, False or None (unknown), got {_show(self.convex)}")

    def __reduce__(self) -> Any:
        """Presets pickle as their spec (their ``fn`` is a closure); a user callable pickles as it is."""
        if self.params:
            return (baseline_from_spec, (dict(self.params),))
        return super().__reduce__()

    def _key(self) -> tuple[Any, ...]:
        if self.params:
            return ("preset", tuple(sorted(self.params.items())))
        return ("callable", id(self.fn), self.name, self.convex)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Baseline) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def output(self, runs: ArrayLike) -> NDArray[np.float64]:
        """Output ``T(t)`` of each idle run (elementwise, same shape as ``runs``)."""
        t = np.asarray(runs, dtype=np.float64)
        try:
            out = np.asarray(self.fn(t), dtype=np.float64)
        except Exception:  # a scalar-only callable: evaluate elementwise
            try:
                out = np.array([float(self.fn(float(x))) for x in t.ravel()], dtype=np.float64).reshape(t.shape)
            except Exception as exc:
                raise BaselineError(f"baseline.fn: {self.name} could not be evaluated on run lengths ({exc})") from None
        if out.shape != t.shape:
            out = np.broadcast_to(out, t.shape).astype(np.float64)
        if not np.all(np.isfinite(out)):
            raise BaselineError(f"baseline {self.name}: T(t) is not finite for some run lengths")
        return out

    def total(self, runs: ArrayLike) -> float:
        """:math:`\\sum_i T(t_i)` over the given runs.

        For :func:`setup` presets on a float64 vector the outputs come from one compiled pass
        (the same values as ``fn``); the sum is NumPy's either way.
        """
        if self.params.get("kind") == "setup" and isinstance(runs, np.ndarray) and runs.dtype == np.float64 and runs.ndim == 1:
            out, finite = _setup_output(runs, float(self.params["c"]), np.empty_like(runs))
            if not finite:
                raise BaselineError(f"baseline {self.name}: T(t) is not finite for some run lengths")
            return float(np.sum(out))
        return float(np.sum(self.output(runs)))

    def __call__(self, runs: ArrayLike) -> NDArray[np.float64]:
        return self.output(runs)

    def _convexity_violation(self, t_max: float, points: int, rtol: float) -> tuple[float, float] | None:
        """``(t, second difference)`` at the worst violation of convexity on a grid of ``[0, t_max]``.

        Convexity of T on the grid :math:`t_i = i h` means :math:`T(t_{i+1}) - 2T(t_i) + T(t_{i-1}) \\ge 0`;
        a second difference below :math:`-\\text{rtol} \\cdot \\max(1, \\max_i |T(t_i)|)` is a violation.
        ``None`` when there is none.
        """
        t = np.linspace(0.0, t_max, points)
        y = self.output(t)
        second = y[2:] - 2 * y[1:-1] + y[:-2]
        scale = max(1.0, float(np.max(np.abs(y))))
        i = int(np.argmin(second))
        if second[i] >= -rtol * scale:
            return None
        return float(t[i + 1]), float(second[i])

    def is_convex(self, t_max: float = 20.0, points: int = 2001, rtol: float = 1e-9) -> bool:
        """Whether T is convex: the presets' known answer, else a numerical check on ``[0, t_max]``.

        A user callable declared ``convex=False`` is taken at its word; one declared ``convex=True``
        (or ``None``) is checked on a grid of ``points`` (second differences, see
        :meth:`_convexity_violation`), and a declaration the check contradicts raises
        :class:`BaselineError` naming ``baseline.convex``.
        """
        if self.convex is False:
            return False
        if self.convex is True and self.params:  # setup(c), power(k >= 1): convex by construction
            return True
        bad = self._convexity_violation(t_max, points, rtol)
        if bad is not None and self.convex is True:
            raise BaselineError(
                f"baseline.convex: declared True, but T = {self.name} is not convex on [0, {t_max:g}] "
                f"(second difference {bad[1]:.3g} < 0 at t = {bad[0]:.4g}); declare convex=False or None"
            )
        return bad is None

    def check_convex(self, t_max: float = 20.0) -> "Baseline":
        """Return ``self`` if T is convex; raise :class:`BaselineError` otherwise.

        Callers that need the main claim's premise (convex T) call this.
        """
        if not self.is_convex(t_max=t_max):
            raise BaselineError(
                f"baseline: T must be convex on [0, inf) for this analysis, but {self.name} is not "
                "(use setup(c) with c >= 0, power(k) with k >= 1, or a convex callable)"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": "setup", "c": ...}`` / ``{"kind": "power", "k": ...}``; callables by name only."""
        if self.params:
            return dict(self.params)
        return {"kind": "callable", "name": self.name}

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        if self.params:
            return self.name
        return f"Baseline({getattr(self.fn, '__name__', 'fn')}, name={self.name!r}, convex={self.convex!r})"


def _show(value: Any, limit: int = 80) -> str:
    """``repr(value)`` for an error message: cut to ``limit`` characters, and safe for a value nested
    too deeply to ``repr`` (which raises ``RecursionError``)."""
    try:
        text = repr(value)
    except RecursionError:
        return f"a {type(value).__name__} nested too deeply"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _num(value: Any, field_name: str) -> float:
    if isinstance(value, (bool, np.bool_)):
        raise BaselineError(f"{field_name}: must be a finite number, got {_show(value)}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise BaselineError(f"{field_name}: must be a finite number, got {_show(value)}") from None
    if not math.isfinite(v):
        raise BaselineError(f"{field_name}: must be a finite number, got {_show(value)}")
    return v


def _fmt(v: float) -> str:
    return f"{v:g}"


def setup(c: float = 1.0) -> Baseline:
    """:math:`T(t) = \\max(0, t - c)`: each run pays a resume cost ``c >= 0`` (time units).

    Convex for every :math:`c \\ge 0` (linear for :math:`c = 0`). Splitting one idle run into two
    costs about :math:`c` of output, the one-shot penalty of model.md section 2.

    Parameters
    ----------
    c : float >= 0
        Resume / warm-up cost per idle run, in time units.

    Returns
    -------
    Baseline
        Named ``setup(c)``, declared convex, serialised as ``{"kind": "setup", "c": c}``.
    """
    c = _num(c, "baseline.c")
    if c < 0:
        raise BaselineError(f"baseline.c: must be >= 0, got {c}")

    def fn(t: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.maximum(t - c, 0.0)

    return Baseline(fn, name=f"setup({_fmt(c)})", convex=True, params={"kind": "setup", "c": c})


def power(k: float = 2.0) -> Baseline:
    """:math:`T(t) = t^k` with ``k > 0`` (convex iff ``k >= 1``; ``k = 1`` is the linear control).

    Parameters
    ----------
    k : float > 0
        Exponent; output of an idle run of length :math:`t` is :math:`t^k` (units: time^k).

    Returns
    -------
    Baseline
        Named ``power(k)``, ``convex = (k >= 1)``, serialised as ``{"kind": "power", "k": k}``.
    """
    k = _num(k, "baseline.k")
    if k <= 0:
        raise BaselineError(f"baseline.k: must be > 0, got {k}")

    def fn(t: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.power(np.maximum(t, 0.0), k)

    return Baseline(fn, name=f"power({_fmt(k)})", convex=k >= 1.0, params={"kind": "power", "k": k})


#: The parameter keys a ``{"kind": ...}`` baseline table may hold besides ``kind``.
_TABLE_KEYS: dict[str, tuple[str, ...]] = {"setup": ("c",), "power": ("k",), "linear": ()}

_SPEC = re.compile(r"^\s*(setup|power|linear)\s*(?:\(\s*([^)]*)\s*\))?\s*$", re.IGNORECASE)


def baseline_from_spec(spec: Baseline | Mapping[str, Any] | str) -> Baseline:
    """Build a baseline from ``"setup(1)"``, ``"power(2)"``, ``"linear"`` or ``{"kind": ..., ...}``.

    Parameters
    ----------
    spec : Baseline, str or mapping
        A Baseline (returned as it is); a string ``"setup(c)"``, ``"power(k)"``, ``"linear"``
        (= ``power(1)``); or a table ``{"kind": "setup", "c": ...}`` / ``{"kind": "power", "k": ...}``.

    Returns
    -------
    Baseline

    Raises
    ------
    BaselineError
        Unparseable spec, parameters out of range, or a table with a key other than ``kind`` and
        the kind's parameter (``c`` for setup, ``k`` for power, none for linear); the message starts
        with ``baseline``.
    """
    if isinstance(spec, Baseline):
        return spec
    if isinstance(spec, str):
        m = _SPEC.match(spec)
        if not m:
            raise BaselineError(f"baseline: expected 'setup(c)', 'power(k)' or 'linear', got {_show(spec)}")
        kind, arg = m.group(1).lower(), m.group(2)
        if kind == "linear":
            return power(1.0)
        if kind == "setup":
            return setup(_num(arg, "baseline.c") if arg else 1.0)
        return power(_num(arg, "baseline.k") if arg else 2.0)
    if isinstance(spec, Mapping):
        params = dict(spec)
        kind = str(params.pop("kind", "")).lower()
        if kind not in _TABLE_KEYS:
            raise BaselineError(f"baseline.kind: must be 'setup', 'power' or 'linear', got {_show(spec.get('kind'))}")
        allowed = _TABLE_KEYS[kind]
        unknown = sorted((str(k) for k in params if k not in allowed), key=str)
        if unknown:
            names = ", ".join(repr(k) for k in ("kind", *allowed))
            raise BaselineError(
                f"baseline.{unknown[0]}: unknown key for a {kind!r} baseline; allowed keys are {names} "
                "(keys are case-sensitive)"
            )
        if kind == "setup":
            return setup(params.get("c", 1.0))
        if kind == "power":
            return power(params.get("k", 2.0))
        return power(1.0)
    if callable(spec):
        return Baseline(spec, name=getattr(spec, "__name__", "custom"))
    raise BaselineError(f"baseline: expected a Baseline, a spec string or a table, got {type(spec).__name__}")
