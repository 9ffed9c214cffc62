"""Sweep specifications: a base scenario, axes to vary, strategy classes, replications, seed.

A sweep spec is a small TOML file::

    name = "load_x_delay"          # optional, free text
    seed = 2026                    # root of every random stream (SeedSequence entropy), int >= 0
    replications = 4               # replications per point, int >= 1
    classes = ["local", "entangled"]

    [base]                         # the base scenario (keys of qcoord.system.Scenario.from_dict) ...
    n_pairs = 20000
    baseline = { kind = "setup", c = 1.0 }
    # ... or, instead of the table:  base = "scenario.toml"  (path relative to the spec file)

    [axes]                         # varied in this order; the last axis varies fastest
    arrival_rate = [0.1, 0.3, 0.5]                       # a list of values
    handoff_delay = { start = 0.0, stop = 0.3, num = 4 } # a range (end points included)
    message_latency = { start = 0.01, stop = 1.0, num = 5, log = true }   # geometric range
    "baseline.c" = [0.5, 1.0, 2.0]                       # dotted names reach into nested tables
    "evaluate.visibility" = [0.8, 0.9, 1.0]              # an evaluator option (see [evaluate])

    [evaluate]                     # optional keyword options of the point evaluator, e.g. for
    lam = 0.5                      # qcoord.analysis.evaluate_point: lam, visibility, npa

Expansion is the Cartesian product of the axes in declared order (row-major: the last axis varies
fastest). Point ``i`` of the expansion owns the random stream ``SeedSequence(seed).spawn(n)[i]``,
so results depend only on the spec, never on how or where the points are run.

The point key is ``sha256`` of the canonical JSON of everything that determines a point's numbers
(scenario dict, evaluator options, classes, replications, root seed and stream index), cut to
20 hex digits. It is the
resume key of :class:`qcoord.sweep.store.SweepStore`.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

__all__ = [
    "SweepSpecError",
    "Axis",
    "SweepSpec",
    "SweepPoint",
    "load_spec",
    "point_seed",
    "canonical_json",
]

_TOP_KEYS = {"name", "seed", "replications", "classes", "base", "axes", "evaluate", "description"}
#: Prefix of axes that vary an evaluator option instead of a scenario field.
OPTION_PREFIX = "evaluate."
#: Evaluator keywords the sweep itself supplies (cannot be options).
_RESERVED_OPTIONS = {"seed", "replications", "progress", "scenario", "classes"}
_RANGE_KEYS = {"start", "stop", "num", "log", "integer"}
_MAX_POINTS = 1_000_000


class SweepSpecError(ValueError):
    """A malformed sweep specification; the message starts with the offending field."""


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace: the canonical text that point keys hash.

    NumPy scalars are converted to Python numbers; non-finite floats are kept (``NaN``).
    """
    return _ENCODER.encode(obj)


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


#: One encoder for every canonical_json call (``json.dumps`` would build one per call).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_json_default)


def _clean_float(v: float) -> float:
    """Round a computed grid value to 12 significant digits (``0.30000000000000004 -> 0.3``)."""
    return float(f"{v:.12g}")


@dataclass(frozen=True)
class Axis:
    """One varied scenario field.

    Attributes
    ----------
    name : str
        Scenario field, or a dotted path into a nested table (``"baseline.c"``).
    values : tuple
        The values taken, in order. Ranges are expanded at load time: linear
        ``start + k (stop - start) / (num - 1)`` or, with ``log = true``, geometric
        ``start (stop / start)^(k / (num - 1))`` for ``k = 0 .. num - 1`` (end points included).
    """

    name: str
    values: tuple[Any, ...]

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True, eq=False)
class SweepPoint:
    """One point of a sweep: a full scenario dict plus the axis values that produced it.

    Attributes
    ----------
    index : int
        Position in the spec expansion; selects the random stream ``spawn(n)[index]``.
    key : str
        Stable point key (see module notes).
    axes : dict
        ``{axis name: value}`` at this point.
    scenario : dict
        Base scenario with the axis values applied (JSON-able; ``Scenario.from_dict`` input).
    options : dict
        Evaluator keyword options (``[evaluate]`` with ``evaluate.*`` axis values applied).
    seed : int
        63-bit integer drawn from the point's ``SeedSequence`` child: the seed handed to the
        evaluator (and recorded with every row).
    """

    index: int
    key: str
    axes: dict[str, Any]
    scenario: dict[str, Any]
    options: dict[str, Any]
    seed: int


def point_seed(root_seed: int, index: int) -> int:
    """The integer seed of point ``index``: the stream ``SeedSequence(root_seed).spawn(n)[index]``.

    ``SeedSequence(root_seed).spawn(n)[i]`` is exactly ``SeedSequence(root_seed, spawn_key=(i,))``
    (a fresh parent's children get spawn keys ``(0,), (1,), ...``), so no list of ``n`` children
    is built. The child's first 64-bit state word, shifted to 63 bits (an SQLite ``INTEGER``),
    is the seed passed on.

    Parameters
    ----------
    root_seed : int >= 0
        The spec's ``seed``.
    index : int >= 0
        Position of the point in the spec expansion.

    Returns
    -------
    int
        A seed in :math:`[0, 2^{63})`, independent of the number of points and of the executor.
    """
    child = np.random.SeedSequence(int(root_seed), spawn_key=(int(index),))
    return int(child.generate_state(1, dtype=np.uint64)[0]) >> 1  # Python shift: no ufunc call


def _scenario_fields() -> set[str] | None:
    """Field names of ``qcoord.system.Scenario`` if it is available (validation of axis names)."""
    try:
        from qcoord.system import Scenario  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover - the simulator is written in parallel
        return None
    if is_dataclass(Scenario):
        return {f.name for f in fields(Scenario)}
    return None  # pragma: no cover


@dataclass(frozen=True, eq=False)
class SweepSpec:
    """A validated sweep specification.

    Attributes
    ----------
    base : dict
        The base scenario (JSON-able dict; fields of ``qcoord.system.Scenario``).
    axes : tuple of Axis
        Varied fields, in declared order (the last varies fastest).
    classes : tuple of str
        Strategy classes evaluated at every point (names understood by the evaluator, e.g.
        ``qcoord.analysis.evaluate_point``).
    replications : int
        Replications per point (>= 1).
    options : dict
        Keyword options passed to the evaluator at every point (``[evaluate]`` table).
    seed : int
        Root entropy of every random stream (>= 0).
    name : str
        Free text label.
    source : str or None
        Path of the TOML file the spec came from, if any.
    """

    base: dict[str, Any]
    axes: tuple[Axis, ...]
    classes: tuple[str, ...]
    replications: int
    seed: int
    name: str = "sweep"
    options: dict[str, Any] = field(default_factory=dict)
    source: str | None = field(default=None, compare=False)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_toml(cls, path: str | Path) -> "SweepSpec":
        """Read and validate a TOML spec file (see module notes for the format)."""
        return load_spec(path)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: str | Path | None = None,
                  source: str | None = None) -> "SweepSpec":
        """Validate a parsed spec (the TOML document as a dict).

        Parameters
        ----------
        data : mapping
            Keys ``name, seed, replications, classes, base, axes`` (``description`` allowed).
        base_dir : path, optional
            Directory against which a ``base = "file.toml"`` path is resolved (default: cwd).

        Raises
        ------
        SweepSpecError
            Naming the bad field and the allowed values.
        """
        if not isinstance(data, Mapping):
            raise SweepSpecError(f"spec: must be a table, got {type(data).__name__}")
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            raise SweepSpecError(
                f"{unknown[0]}: unknown field; allowed fields are {', '.join(sorted(_TOP_KEYS))}")

        name = data.get("name", "sweep")
        if not isinstance(name, str) or not name.strip():
            raise SweepSpecError(f"name: must be a non-empty string, got {name!r}")

        if "seed" not in data:
            raise SweepSpecError("seed: missing; give an integer >= 0 (root of every random stream)")
        seed = data["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise SweepSpecError(f"seed: must be an integer >= 0, got {seed!r}")

        reps = data.get("replications")
        if reps is None:
            raise SweepSpecError("replications: missing; give an integer >= 1")
        if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
            raise SweepSpecError(f"replications: must be an integer >= 1, got {reps!r}")

        classes = data.get("classes")
        if classes is None:
            raise SweepSpecError("classes: missing; give a non-empty list of strategy class names")
        if isinstance(classes, str) or not isinstance(classes, Sequence) or len(classes) == 0:
            raise SweepSpecError(f"classes: must be a non-empty list of strings, got {classes!r}")
        for i, c in enumerate(classes):
            if not isinstance(c, str) or not c.strip():
                raise SweepSpecError(f"classes[{i}]: must be a non-empty string, got {c!r}")
        if len(set(classes)) != len(classes):
            dup = next(c for c in classes if list(classes).count(c) > 1)
            raise SweepSpecError(f"classes: duplicate class {dup!r}")

        base = _load_base(data.get("base", {}), base_dir)
        if "replications" in base or "seed" in base:
            # The sweep owns replications and seeds; a conflicting base value would be ignored.
            key = "replications" if "replications" in base else "seed"
            raise SweepSpecError(
                f"base.{key}: set at the top level of the sweep spec, not in the base scenario")

        options = data.get("evaluate", {})
        if not isinstance(options, Mapping):
            raise SweepSpecError(f"evaluate: must be a table of evaluator options, got {options!r}")
        options = _plain(options)
        for k in options:
            if k in _RESERVED_OPTIONS:
                raise SweepSpecError(f"evaluate.{k}: reserved; the sweep sets {k} itself")

        raw_axes = data.get("axes", {})
        if not isinstance(raw_axes, Mapping):
            raise SweepSpecError(f"axes: must be a table of axis = values, got {type(raw_axes).__name__}")
        known = _scenario_fields()
        axes = []
        total = 1
        for aname, aval in _flatten_axes(raw_axes).items():
            # The point limit is checked from the declared size (a range's num, a list's length)
            # before a range is expanded, so that num = 10**9 allocates nothing.
            axis = _parse_axis(str(aname), aval, base, known, before=total)
            axes.append(axis)
            total *= len(axis)

        return cls(base=base, axes=tuple(axes), classes=tuple(classes), replications=int(reps),
                   seed=int(seed), name=name, options=options, source=source)

    # -- derived ------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """Number of values of each axis, in order."""
        return tuple(len(a) for a in self.axes)

    @property
    def n_points(self) -> int:
        """Number of points of the expansion."""
        return math.prod(self.shape) if self.axes else 1

    @property
    def axis_names(self) -> tuple[str, ...]:
        """Axis names in expansion order (the last varies fastest)."""
        return tuple(a.name for a in self.axes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (ranges expanded); ``from_dict(to_dict())`` gives an equal spec."""
        return {
            "name": self.name,
            "seed": self.seed,
            "replications": self.replications,
            "classes": list(self.classes),
            "base": copy.deepcopy(self.base),
            "evaluate": copy.deepcopy(self.options),
            "axes": {a.name: list(a.values) for a in self.axes},
        }

    @property
    def spec_hash(self) -> str:
        """sha256 (20 hex digits) of the canonical JSON of :meth:`to_dict`; binds a results store."""
        return hashlib.sha256(canonical_json(self.to_dict()).encode()).hexdigest()[:20]

    def point(self, index: int) -> SweepPoint:
        """Point ``index`` of the expansion (row-major over the axes)."""
        n = self.n_points
        if not 0 <= index < n:
            raise IndexError(f"index: must be in [0, {n}), got {index}")
        combo = np.unravel_index(index, self.shape) if self.axes else ()
        return self._make_point(index, tuple(a.values[int(k)] for a, k in zip(self.axes, combo)))

    def points(self) -> list[SweepPoint]:
        """Every point of the expansion, in order (a list; see :meth:`iter_points` for a stream)."""
        return list(self.iter_points())

    def iter_points(self) -> Iterator[SweepPoint]:
        """Every point of the expansion, in order, built one at a time (memory stays flat)."""
        combos = itertools.product(*(a.values for a in self.axes))
        for i, vals in enumerate(combos):
            yield self._make_point(i, vals)

    def iter_scenarios(self) -> Iterator[tuple[int, dict[str, Any], dict[str, Any]]]:
        """``(index, axes, scenario)`` of every point, in order, without keys and seeds (validation)."""
        combos = itertools.product(*(a.values for a in self.axes))
        for i, vals in enumerate(combos):
            axes, scenario, _ = self._apply(vals)
            yield i, axes, scenario

    def _apply(self, values: tuple[Any, ...]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """``(axes, scenario, options)``: the base and the options with the axis values applied (copies)."""
        scenario = _copy_plain(self.base)
        options = _copy_plain(self.options)
        axes = {}
        for axis, v in zip(self.axes, values):
            if axis.name.startswith(OPTION_PREFIX):
                options[axis.name[len(OPTION_PREFIX):]] = _copy_plain(v)
            else:
                _set_dotted(scenario, axis.name, _copy_plain(v))
            axes[axis.name] = v
        return axes, scenario, options

    def _make_point(self, index: int, values: tuple[Any, ...]) -> SweepPoint:
        axes, scenario, options = self._apply(values)
        payload = {
            "scenario": scenario,
            "options": options,
            "classes": list(self.classes),
            "replications": self.replications,
            "seed": self.seed,
            "stream": index,
        }
        key = hashlib.sha256(canonical_json(payload).encode()).hexdigest()[:20]
        return SweepPoint(index=index, key=key, axes=axes, scenario=scenario, options=options,
                          seed=point_seed(self.seed, index))


def _read_toml(path: Path, field_name: str, what: str, kind: str) -> dict[str, Any]:
    """Parse the TOML file ``path``; a missing file or bad TOML raises :class:`SweepSpecError` naming ``field_name``."""
    from qcoord.system.scenario import read_toml

    if not path.is_file():
        raise SweepSpecError(f"{field_name}: {what} not found: {path}")
    try:  # binary, invalid or too deeply nested TOML: one clear error naming the file
        return read_toml(path, kind)
    except ValueError as exc:
        text = str(exc).removeprefix("path: ")
        raise SweepSpecError(f"{field_name}: {text}") from None


def load_spec(path: str | Path) -> SweepSpec:
    """Read a TOML sweep spec from ``path`` and validate it (:meth:`SweepSpec.from_dict`).

    Parameters
    ----------
    path : str or Path
        TOML file; a ``base = "scenario.toml"`` inside is resolved relative to its folder.

    Returns
    -------
    SweepSpec

    Raises
    ------
    SweepSpecError
        Missing file, invalid TOML, or an invalid field (the message names it).
    """
    p = Path(path)
    data = _read_toml(p, "spec", "file", "sweep spec")
    return SweepSpec.from_dict(data, base_dir=p.parent, source=str(p))


def _load_base(raw: Any, base_dir: str | Path | None) -> dict[str, Any]:
    if isinstance(raw, str):
        bp = Path(raw)
        if not bp.is_absolute():
            bp = Path(base_dir or ".") / bp
        doc = _read_toml(bp, "base", "scenario file", "scenario")
        # A scenario file holds the fields at top level or under a [scenario] table (other tables,
        # such as [study], are ignored, as Scenario.from_toml does). Its seed and replications are
        # dropped: the sweep sets both for every point.
        if isinstance(doc.get("scenario"), Mapping):
            doc = doc["scenario"]
        return {k: v for k, v in _plain(doc).items() if k not in ("seed", "replications")}
    if isinstance(raw, Mapping):
        return _plain(raw)
    raise SweepSpecError(
        f"base: must be a table of scenario fields or a path to a scenario TOML file, got {raw!r}")


def _plain(obj: Any) -> Any:
    """Deep copy into plain dict/list/scalars (tomllib gives dicts already; datetimes become str)."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def _check_size(field_name: str, size: int, before: int) -> None:
    """Refuse an axis of ``size`` values when, with the ``before`` points of the axes declared
    before it, the sweep would exceed :data:`_MAX_POINTS` (checked before anything is allocated)."""
    if size * before <= _MAX_POINTS:
        return
    if before == 1:
        raise SweepSpecError(f"{field_name}: {size} values, more than the limit of {_MAX_POINTS} points of a sweep")
    raise SweepSpecError(
        f"{field_name}: {size} values make {size * before} points with the axes before it, more than the "
        f"limit of {_MAX_POINTS} points of a sweep")


def _parse_axis(name: str, raw: Any, base: dict[str, Any], known: set[str] | None, before: int = 1) -> Axis:
    field_name = f"axes.{name}" if "." not in name else f'axes."{name}"'
    parts = name.split(".")
    if not name or any(not p for p in parts):
        raise SweepSpecError(f"{field_name}: axis name must be a scenario field or a dotted path, got {name!r}")
    if parts[0] in ("seed", "replications"):
        raise SweepSpecError(f"{field_name}: the sweep owns {parts[0]}; it cannot be an axis")
    if name.startswith(OPTION_PREFIX):
        if len(parts) != 2:
            raise SweepSpecError(f"{field_name}: an evaluator option axis is evaluate.<option>, got {name!r}")
        if parts[1] in _RESERVED_OPTIONS:
            raise SweepSpecError(f"{field_name}: reserved; the sweep sets {parts[1]} itself")
    elif known is not None and parts[0] not in known:
        raise SweepSpecError(
            f"{field_name}: not a Scenario field; allowed: {', '.join(sorted(known - {'seed', 'replications'}))}")
    if len(parts) > 1 and not name.startswith(OPTION_PREFIX):
        _expand_shorthand(base, parts[0])
        node: Any = base
        for p in parts[:-1]:
            if not isinstance(node, Mapping) or p not in node or not isinstance(node[p], Mapping):
                raise SweepSpecError(
                    f"{field_name}: base.{'.'.join(parts[:-1])} must be a table in the base scenario "
                    "for a dotted axis to reach into it")
            node = node[p]

    if isinstance(raw, Mapping):
        values = _expand_range(field_name, raw, before)
    elif isinstance(raw, (list, tuple)):
        if len(raw) == 0:
            raise SweepSpecError(f"{field_name}: must list at least one value")
        _check_size(field_name, len(raw), before)
        values = tuple(_plain(v) for v in raw)
    else:
        raise SweepSpecError(
            f"{field_name}: must be a list of values or a range table {{start, stop, num[, log]}}, got {raw!r}")
    seen = set()
    for v in values:
        c = canonical_json(v)
        if c in seen:
            raise SweepSpecError(f"{field_name}: duplicate value {v!r}")
        seen.add(c)
    return Axis(name=name, values=values)


def _flatten_axes(raw: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Unquoted dotted TOML keys (``baseline.c = [...]``) arrive as nested tables; a table that is
    not a range (no ``start``, ``stop`` or ``num``) is such a path and is flattened to ``"baseline.c"``."""
    out: dict[str, Any] = {}
    for k, v in raw.items():
        name = f"{prefix}{k}"
        if isinstance(v, Mapping) and v and not ({"start", "stop", "num"} & set(v)):
            out.update(_flatten_axes(v, name + "."))
        else:
            out[name] = v
    return out


def _expand_shorthand(base: dict[str, Any], key: str) -> None:
    """Replace a shorthand ``baseline = "setup(2)"`` (or a demand string) in the base by its table
    form ``{kind = "setup", c = 2.0}`` so that a dotted axis (``baseline.c``) can reach into it."""
    if not isinstance(base.get(key), str):
        return
    try:
        if key == "baseline":
            from qcoord.system.baseline import baseline_from_spec

            base[key] = _plain(baseline_from_spec(base[key]).to_dict())
        elif key == "demand":
            from qcoord.system.demand import demand_from_dict

            base[key] = _plain(demand_from_dict(base[key]).to_dict())
    except ImportError:  # pragma: no cover - the simulator is written in parallel
        return
    except ValueError as exc:
        raise SweepSpecError(f"base.{key}: {exc}") from None


def _expand_range(field_name: str, raw: Mapping[str, Any], before: int = 1) -> tuple[Any, ...]:
    unknown = sorted(set(raw) - _RANGE_KEYS)
    if unknown:
        raise SweepSpecError(f"{field_name}.{unknown[0]}: unknown range key; allowed: start, stop, num, log, integer")
    for k in ("start", "stop", "num"):
        if k not in raw:
            raise SweepSpecError(f"{field_name}.{k}: missing; a range needs start, stop and num")
    start, stop, num = raw["start"], raw["stop"], raw["num"]
    for k, v in (("start", start), ("stop", stop)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SweepSpecError(f"{field_name}.{k}: must be a finite number, got {v!r}")
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise SweepSpecError(f"{field_name}.num: must be an integer >= 1, got {num!r}")
    _check_size(f"{field_name}.num", num, before)  # before np.linspace allocates num values
    log = raw.get("log", False)
    integer = raw.get("integer", False)
    for k, v in (("log", log), ("integer", integer)):
        if not isinstance(v, bool):
            raise SweepSpecError(f"{field_name}.{k}: must be true or false, got {v!r}")
    if log:
        if start <= 0 or stop <= 0:
            raise SweepSpecError(f"{field_name}.start: a log range needs start > 0 and stop > 0, got {start!r}, {stop!r}")
        grid = np.geomspace(float(start), float(stop), num)
    else:
        grid = np.linspace(float(start), float(stop), num)
    if integer:
        vals = tuple(int(round(v)) for v in grid)
    else:
        vals = tuple(_clean_float(v) for v in grid)
    if num == 1 and start != stop:
        raise SweepSpecError(f"{field_name}.num: num = 1 needs start == stop, got {start!r} and {stop!r}")
    return vals


def _copy_plain(obj: Any) -> Any:
    """Copy of plain JSON-like data (dicts, lists, scalars: what :func:`_plain` gives), several
    times faster than ``copy.deepcopy``; anything else is deep-copied."""
    if isinstance(obj, dict):
        return {k: _copy_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_copy_plain(v) for v in obj]
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return copy.deepcopy(obj)


def _set_dotted(d: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = d
    for p in parts[:-1]:
        node = node[p]
    node[parts[-1]] = value
