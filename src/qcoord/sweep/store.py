"""Sweep results in SQLite: transactional, resumable, exportable to pandas and CSV.

Schema (stdlib ``sqlite3``, WAL journal, ``synchronous=FULL``)::

    meta(key TEXT PRIMARY KEY, value TEXT)        -- spec (JSON), spec_hash, axes, created_at
    points(point_key TEXT PRIMARY KEY,            -- one row per finished point
           point_index INTEGER, axes TEXT, scenario TEXT, options TEXT, seed INTEGER, root_seed INTEGER,
           replications INTEGER, classes TEXT, elapsed_s REAL, code_version TEXT, finished_at TEXT)
    results(point_key TEXT, class TEXT,           -- one row per point and strategy class
            point_index INTEGER, metrics TEXT,    -- every metric and CI of the evaluator's row (JSON)
            PRIMARY KEY (point_key, class))

The view ``results_wide`` presents the same rows with one column per axis and per metric (for
plain SQL, e.g. ``sqlite3 results.sqlite 'SELECT * FROM results_wide'``); it is rebuilt, in the
writing transaction, whenever a new metric name appears.

A task's points and all their result rows are written in **one transaction**, so a point is either
complete or absent, even if the process is killed mid-write; a point present in ``points`` is
finished and is skipped on resume. Primary keys make a second write of the same row impossible
(``INSERT OR IGNORE``: results are deterministic given the point, so an ignored duplicate is equal).

A store is bound to one sweep spec (its ``spec_hash``): resuming with a different spec is refused,
since point seeds depend on the position in the expansion.
"""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from .spec import SweepPoint, SweepSpec, canonical_json

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["StoreError", "PointOutcome", "SweepStore", "code_version"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    point_key TEXT PRIMARY KEY,
    point_index INTEGER NOT NULL,
    axes TEXT NOT NULL,
    scenario TEXT NOT NULL,
    options TEXT NOT NULL,
    seed INTEGER NOT NULL,
    root_seed INTEGER NOT NULL,
    replications INTEGER NOT NULL,
    classes TEXT NOT NULL,
    elapsed_s REAL NOT NULL,
    code_version TEXT NOT NULL,
    finished_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    point_key TEXT NOT NULL REFERENCES points(point_key),
    class TEXT NOT NULL,
    point_index INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    PRIMARY KEY (point_key, class)
);
CREATE INDEX IF NOT EXISTS results_index ON results(point_index);
"""


class StoreError(ValueError):
    """A results store that cannot be opened, or that belongs to a different sweep."""


@lru_cache(maxsize=1)
def code_version() -> str:
    """``qcoord.__version__``, plus ``+git.<describe>`` when the source tree is a git checkout."""
    from qcoord import __version__

    desc = ""
    try:
        here = Path(__file__).resolve().parent
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"], cwd=here,
                             capture_output=True, text=True, timeout=5)
        if out.returncode == 0:
            desc = out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        desc = ""
    return f"{__version__}+git.{desc}" if desc else __version__


@dataclass(frozen=True)
class PointOutcome(SweepPoint):
    """What a task returns for one point: its identity, rows (one per class) and cost.

    A :class:`~qcoord.sweep.SweepPoint` (the fields below up to ``seed`` are the point's) extended
    with the evaluator's rows and the time it took.

    Attributes
    ----------
    index, key : int, str
        Position in the spec expansion and point key.
    axes, scenario, options : dict
        Axis values, full scenario dict and evaluator options of the point.
    seed : int
        Seed handed to the evaluator (from the point's ``SeedSequence`` child).
    rows : tuple of (class, metrics dict)
        The evaluator's rows, JSON-able.
    elapsed_s : float
        Wall-clock seconds the evaluator took on the worker.
    """

    rows: tuple[tuple[str, dict[str, Any]], ...]
    elapsed_s: float


class SweepStore:
    """An open SQLite results file (stateful: it holds the connection).

    Parameters
    ----------
    path : str or Path
        Database file; created unless ``readonly``.
    readonly : bool
        Open an existing store for reading (plots, export); missing file is an error.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly and not self.path.is_file():
            raise StoreError(f"store: file not found: {self.path}")
        if not readonly and self.path.parent and not self.path.parent.exists():
            raise StoreError(f"out: directory does not exist: {self.path.parent}")
        try:
            if readonly:
                self._con = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30,
                                            isolation_level=None)
            else:
                self._con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                self._con.execute("PRAGMA journal_mode=WAL")
                self._con.execute("PRAGMA synchronous=FULL")
                self._con.executescript(_SCHEMA)
            self._con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if readonly:
                names = {r[0] for r in self._con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                if not {"meta", "points", "results"} <= names:
                    raise StoreError(f"store: {self.path} is not a qcoord sweep store")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"store: cannot open {self.path} as an SQLite sweep store: {exc}") from None

    # -- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the SQLite connection (idempotent); committed points stay in the file."""
        con, self._con = getattr(self, "_con", None), None
        if con is not None:
            con.close()

    def __enter__(self) -> "SweepStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- binding to a spec --------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        """The ``meta`` table as a dict (``spec`` is JSON text)."""
        return dict(self._con.execute("SELECT key, value FROM meta").fetchall())

    def spec(self) -> SweepSpec | None:
        """The spec this store was written for (``None`` for an empty store)."""
        m = self.meta()
        if "spec" not in m:
            return None
        return SweepSpec.from_dict(json.loads(m["spec"]))

    def bind(self, spec: SweepSpec) -> None:
        """Record ``spec`` in a new store, or check that an existing store holds the same spec.

        Raises
        ------
        StoreError
            If the store was written by a different spec.
        """
        m = self.meta()
        h = spec.spec_hash
        if "spec_hash" in m:
            if m["spec_hash"] != h:
                raise StoreError(
                    f"out: {self.path} holds results of a different sweep (spec hash {m['spec_hash']}, "
                    f"this spec {h}); point seeds depend on the spec, so use a new --out file")
            return
        with self._tx():
            self._con.executemany(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                [("spec", canonical_json(spec.to_dict())), ("spec_hash", h),
                 ("axes", json.dumps(list(spec.axis_names))), ("classes", json.dumps(list(spec.classes))),
                 ("n_points", str(spec.n_points)), ("created_at", _now()),
                 ("code_version", code_version())])

    # -- writing ------------------------------------------------------------------------------
    def finished_keys(self) -> set[str]:
        """Keys of every finished point."""
        return {r[0] for r in self._con.execute("SELECT point_key FROM points")}

    def write_task(self, outcomes: Sequence[PointOutcome], *, root_seed: int, replications: int,
                   version: str | None = None) -> int:
        """Write the points of one task and all their rows in one transaction.

        Returns the number of points newly written (already finished ones are ignored).
        """
        if self.readonly:
            raise StoreError(f"store: {self.path} is open read-only")
        version = version or code_version()
        now = _now()
        written = 0
        with self._tx():
            for o in outcomes:
                cur = self._con.execute(
                    "INSERT OR IGNORE INTO points(point_key, point_index, axes, scenario, options, seed,"
                    " root_seed, replications, classes, elapsed_s, code_version, finished_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (o.key, o.index, canonical_json(o.axes), canonical_json(o.scenario),
                     canonical_json(o.options), int(o.seed),
                     int(root_seed), int(replications), json.dumps([c for c, _ in o.rows]),
                     float(o.elapsed_s), version, now))
                if cur.rowcount == 0:
                    continue  # finished before (a concurrent or earlier run): never written twice
                written += 1
                self._con.executemany(
                    "INSERT OR IGNORE INTO results(point_key, class, point_index, metrics) VALUES (?, ?, ?, ?)",
                    [(o.key, cls, o.index, canonical_json(row)) for cls, row in o.rows])
            self._extend_view([k for o in outcomes for _, row in o.rows for k in row])
        return written

    def _extend_view(self, keys: Sequence[str]) -> None:
        """Keep the ``results_wide`` view's columns in step with the metric keys seen (same transaction)."""
        m = self.meta()
        known: list[str] = json.loads(m.get("metric_keys", "[]"))
        new = [k for k in dict.fromkeys(keys) if k not in known]
        if not new and "metric_keys" in m:
            return
        known += new
        axes: list[str] = json.loads(m.get("axes", "[]"))
        self._con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('metric_keys', ?)", (json.dumps(known),))
        self._con.execute("DROP VIEW IF EXISTS results_wide")
        self._con.execute(_wide_view_sql(axes, known))

    def _tx(self) -> "_Transaction":
        return _Transaction(self._con)

    # -- reading ------------------------------------------------------------------------------
    def count(self) -> tuple[int, int]:
        """``(finished points, result rows)``."""
        p = self._con.execute("SELECT count(*) FROM points").fetchone()[0]
        r = self._con.execute("SELECT count(*) FROM results").fetchone()[0]
        return int(p), int(r)

    def to_frame(self) -> "pd.DataFrame":
        """One row per point and class, sorted by ``(point_index, class)``.

        Columns: ``point_index, point_key, class``, one column per axis (named as in the spec),
        every metric of the evaluator's row (nested dicts flattened with dots, a pair ``[lo, hi]``
        split into ``<name>_lo`` and ``<name>_hi``, other lists kept as JSON text), then ``seed,
        root_seed, replications, elapsed_s, code_version, scenario, options`` (JSON text).
        A metric named like one of these columns is dropped when it holds the same value (e.g. an
        evaluator echoing ``seed``) and renamed ``metric.<name>`` otherwise.
        """
        import pandas as pd

        axis_names: list[str] = json.loads(self.meta().get("axes", "[]"))
        q = ("SELECT r.point_index, r.point_key, r.class, p.axes, r.metrics, p.seed, p.root_seed,"
             " p.replications, p.elapsed_s, p.code_version, p.scenario, p.options"
             " FROM results r JOIN points p ON p.point_key = r.point_key"
             " ORDER BY r.point_index, r.class")
        records = []
        metric_cols: dict[str, None] = {}
        for idx, key, cls, axes, metrics, seed, root, reps, el, ver, scen, opts in self._con.execute(q):
            rec: dict[str, Any] = {"point_index": idx, "point_key": key, "class": cls}
            ax = json.loads(axes)
            for a in axis_names:
                v = ax.get(a)
                rec[a] = canonical_json(v) if isinstance(v, (dict, list)) else v
            tail = dict(seed=seed, root_seed=root, replications=reps, elapsed_s=el, code_version=ver,
                        scenario=scen, options=opts)
            for k, v in _flatten(json.loads(metrics)).items():
                taken = rec.get(k, tail.get(k, _MISSING)) if (k in rec or k in tail) else _MISSING
                if taken is not _MISSING:
                    if _same(taken, v):
                        continue
                    k = f"metric.{k}"
                metric_cols.setdefault(k, None)
                rec[k] = v
            rec.update(tail)
            records.append(rec)
        cols = (["point_index", "point_key", "class", *axis_names, *metric_cols,
                 "seed", "root_seed", "replications", "elapsed_s", "code_version", "scenario", "options"])
        frame = pd.DataFrame.from_records(records, columns=cols)
        frame.attrs["axes"] = list(axis_names)
        return frame

    def to_csv(self, path: str | Path) -> Path:
        """Write :meth:`to_frame` to ``path`` as CSV (no index column); return the path."""
        out = Path(path)
        if out.parent and not out.parent.exists():
            raise StoreError(f"export: directory does not exist: {out.parent}")
        self.to_frame().to_csv(out, index=False)
        return out


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> None:
        self.con.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.con.execute("COMMIT")
        else:
            self.con.execute("ROLLBACK")


_MISSING = object()


_WIDE_FIXED = ("point_index", "point_key", "class", "seed", "root_seed", "replications", "elapsed_s",
               "code_version")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_path(name: str) -> str:
    return "'$.\"" + name.replace("'", "''").replace('"', '\\"') + "\"'"


def _wide_view_sql(axes: Sequence[str], metrics: Sequence[str]) -> str:
    """``results_wide``: one row per point and class with one column per axis and per metric
    (``json_extract`` of the stored JSON; a metric named like another column gets ``metric.``)."""
    cols = ["r.point_index AS point_index", "r.point_key AS point_key", "r.class AS class"]
    taken = set(_WIDE_FIXED)
    for a in axes:
        cols.append(f"json_extract(p.axes, {_json_path(a)}) AS {_ident(a)}")
        taken.add(a)
    for k in metrics:
        name = k if k not in taken else f"metric.{k}"
        taken.add(name)
        cols.append(f"json_extract(r.metrics, {_json_path(k)}) AS {_ident(name)}")
    cols += ["p.seed AS seed", "p.root_seed AS root_seed", "p.replications AS replications",
             "p.elapsed_s AS elapsed_s", "p.code_version AS code_version"]
    return ("CREATE VIEW results_wide AS SELECT " + ", ".join(cols)
            + " FROM results r JOIN points p ON p.point_key = r.point_key")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def _flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        name = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, name + "."))
        elif isinstance(v, (list, tuple)):
            if len(v) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) or x is None for x in v):
                out[f"{name}_lo"], out[f"{name}_hi"] = v
            else:
                out[name] = json.dumps(v)
        else:
            out[name] = v
    return out


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def jsonable(obj: Any) -> Any:
    """Plain JSON-able copy of an evaluator row (NumPy scalars/arrays to Python, NaN/inf kept)."""
    import numpy as np

    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return obj
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if hasattr(obj, "to_dict"):
        return jsonable(obj.to_dict())
    return str(obj)
