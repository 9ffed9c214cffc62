"""Sweep results in SQLite: transactional, resumable, verified, exportable to pandas and CSV.

Schema (stdlib ``sqlite3``, WAL journal, ``synchronous=FULL``, ``PRAGMA application_id`` =
:data:`APPLICATION_ID`)::

    meta(key TEXT PRIMARY KEY, value TEXT)        -- spec (JSON), spec_hash, axes, created_at
    points(point_key TEXT PRIMARY KEY,            -- one row per finished point
           point_index INTEGER, axes TEXT, scenario TEXT, options TEXT, seed INTEGER, root_seed INTEGER,
           replications INTEGER, classes TEXT, elapsed_s REAL, code_version TEXT, finished_at TEXT,
           task_id INTEGER)                       -- the task that wrote it
    results(point_key TEXT, class TEXT,           -- one row per point and strategy class
            point_index INTEGER, metrics TEXT,    -- every metric and CI of the evaluator's row (JSON)
            PRIMARY KEY (point_key, class))
    tasks(task_id INTEGER PRIMARY KEY,            -- one row per committed task
          n_points INTEGER, n_rows INTEGER, checksum TEXT, writer_pid INTEGER, committed_at TEXT)
    writer(id = 1, pid, host, proc_start, token, started_at, heartbeat)   -- the running sweep

The view ``results_wide`` presents the same rows with one column per axis and per metric (for
plain SQL, e.g. ``sqlite3 results.sqlite 'SELECT * FROM results_wide'``); it is rebuilt, in the
writing transaction, whenever a new metric name appears.

A task's points, all their result rows and the task's row (with the sha256 ``checksum`` of those
points and rows) are written in **one transaction**, so a point is either complete or absent, even
if the process is killed mid-write; a point present in ``points`` is finished and is skipped on
resume. Primary keys make a second write of the same row impossible (``INSERT OR IGNORE``: results
are deterministic given the point, so an ignored duplicate is equal).

Integrity
---------
Opening a store runs ``PRAGMA quick_check``: a file SQLite reports damaged is refused with a clear
message (never a traceback). :meth:`SweepStore.verify` then checks, per point, that it has as many
result rows as its task recorded (its ``classes``) and, per task, the points, rows and checksum;
it also finds result rows without a point. A sweep resuming on the store recomputes the affected
tasks (:meth:`SweepStore.repair` deletes them first); reading (``qcoord plot``, export,
:func:`qcoord.sweep.load_results`) refuses a store that fails the check.

Ownership
---------
Only qcoord stores are written: an existing ``--out`` file that is not SQLite, or an SQLite database
of another program (other tables, or another ``application_id``), is refused and left untouched
(it is inspected read-only before anything is written). A store is bound to one sweep spec (its
``spec_hash``): resuming with a different spec is refused, since point seeds depend on the position
in the expansion. One sweep writes a store at a time: :meth:`SweepStore.acquire` records the
writer (pid, host, process start time) and refuses a second writer while the first is alive.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import socket
import sqlite3
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence, TypeVar

from .executors import process_alive, process_start_time
from .spec import SweepPoint, SweepSpec, canonical_json

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["StoreError", "PointOutcome", "SweepStore", "Integrity", "code_version", "check_output_path",
           "APPLICATION_ID"]

#: ``PRAGMA application_id`` of a qcoord sweep store ("qcsw").
APPLICATION_ID = 0x71637377
#: Seconds after its last commit that a writer on another host is presumed gone.
WRITER_LEASE_S = 600.0

_POINT_COLS = ("point_key", "point_index", "axes", "scenario", "options", "seed", "root_seed", "replications",
               "classes", "elapsed_s", "code_version", "finished_at")
_RESULT_COLS = ("point_key", "class", "point_index", "metrics")
_TABLES = {
    "meta": {"key", "value"},
    "points": set(_POINT_COLS),
    "results": set(_RESULT_COLS),
}
_OPTIONAL_TABLES = {"tasks", "writer"}
_VIEWS = {"results_wide"}

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
    finished_at TEXT NOT NULL,
    task_id INTEGER
);
CREATE TABLE IF NOT EXISTS results (
    point_key TEXT NOT NULL REFERENCES points(point_key),
    class TEXT NOT NULL,
    point_index INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    PRIMARY KEY (point_key, class)
);
CREATE INDEX IF NOT EXISTS results_index ON results(point_index);
CREATE TABLE IF NOT EXISTS tasks (
    task_id INTEGER PRIMARY KEY,
    n_points INTEGER NOT NULL,
    n_rows INTEGER NOT NULL,
    checksum TEXT NOT NULL,
    writer_pid INTEGER,
    committed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS writer (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    proc_start TEXT,
    token TEXT NOT NULL,
    started_at TEXT NOT NULL,
    heartbeat REAL NOT NULL
);
"""

_SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(ValueError):
    """A results store that cannot be opened, is damaged, is in use, or belongs to a different sweep."""


_F = TypeVar("_F", bound=Callable[..., Any])


def _guarded(fn: _F) -> _F:
    """Turn an SQLite error inside a store method into a :class:`StoreError` naming the file."""

    @functools.wraps(fn)
    def wrapper(self: "SweepStore", *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise StoreError(self._damaged(exc)) from None

    return wrapper  # type: ignore[return-value]


# -- code version ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def code_version() -> str:
    """``version("qcoord")``, plus ``+git.<commit>`` when the package runs from a git checkout.

    The commit is read from the checkout's ``.git/HEAD`` and ref files (or ``packed-refs``),
    read-only: no ``git`` process runs, so nothing is written into the repository (``git
    describe`` or ``git status`` refresh the index under ``.git/index.lock``). A dirty tree is not
    detected.
    """
    try:
        from importlib.metadata import version

        ver = version("qcoord")
    except Exception:  # not installed (source tree on sys.path)
        from qcoord import __version__ as ver
    sha = git_head(Path(__file__).resolve().parent)
    return f"{ver}+git.{sha[:12]}" if sha else ver


def git_head(start: str | Path) -> str | None:
    """The commit checked out in the git work tree containing ``start``, read from the files under
    ``.git`` (work trees and ``gitdir:`` files followed, ``packed-refs`` read); ``None`` if there
    is none or it cannot be read. Never writes and never runs ``git``.
    """
    try:
        here = Path(start).resolve()
        for d in (here, *here.parents):
            if d.name in ("site-packages", "dist-packages"):
                return None  # an installed copy: its enclosing repository, if any, is not ours
            dotgit = d / ".git"
            if dotgit.is_dir():
                gitdir = dotgit
            elif dotgit.is_file():
                text = dotgit.read_text(encoding="utf-8").strip()
                if not text.startswith("gitdir:"):
                    return None
                gitdir = Path(text[len("gitdir:"):].strip())
                if not gitdir.is_absolute():
                    gitdir = d / gitdir
            else:
                continue
            common = gitdir
            if (gitdir / "commondir").is_file():
                c = Path((gitdir / "commondir").read_text(encoding="utf-8").strip())
                common = c if c.is_absolute() else gitdir / c
            head = (gitdir / "HEAD").read_text(encoding="utf-8").strip()
            for _ in range(5):  # symbolic refs may chain
                if not head.startswith("ref:"):
                    return head if _is_sha(head) else None
                ref = head[4:].strip()
                for base in (gitdir, common):
                    f = base / ref
                    if f.is_file():
                        head = f.read_text(encoding="utf-8").strip()
                        break
                else:
                    packed = common / "packed-refs"
                    if not packed.is_file():
                        return None
                    for line in packed.read_text(encoding="utf-8").splitlines():
                        parts = line.split()
                        if len(parts) == 2 and parts[1] == ref:
                            return parts[0] if _is_sha(parts[0]) else None
                    return None
            return None
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _is_sha(s: str) -> bool:
    return len(s) in (40, 64) and all(c in "0123456789abcdef" for c in s)


# -- output paths ------------------------------------------------------------------------------
def check_output_path(path: str | Path, field: str = "export") -> Path:
    """Check, before any work, that a file can be written at ``path`` (the CSV export).

    It must not be a directory, its folder must exist and be writable; a file that does not exist
    yet is created and removed again to prove it (read-only file systems, permissions).

    Raises
    ------
    StoreError
        Naming ``field`` and the path.
    """
    p = Path(path)
    if str(path).endswith(("/", os.sep)) or p.is_dir():
        raise StoreError(f"{field}: {p} is a directory; give a file name such as {p / 'results.csv'}")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise StoreError(f"{field}: directory does not exist: {parent}")
    if not parent.is_dir():
        raise StoreError(f"{field}: {parent} is not a directory")
    if p.exists():
        if not p.is_file():
            raise StoreError(f"{field}: {p} exists and is not a regular file")
        if not os.access(p, os.W_OK):
            raise StoreError(f"{field}: {p} is not writable")
        return p
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:
        raise StoreError(f"{field}: cannot write {p}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        os.unlink(p)
    except OSError:  # pragma: no cover
        pass
    return p


def _inspect(path: Path, field: str) -> str:
    """What ``path`` holds, read-only: ``"new"`` (absent, empty, or an SQLite file without any
    table) or ``"store"`` (a qcoord sweep store). Anything else raises :class:`StoreError`: the
    file is not touched."""
    if not path.exists():
        return "new"
    if path.is_dir():
        raise StoreError(f"{field}: {path} is a directory, not a results file")
    if not path.is_file():
        raise StoreError(f"{field}: {path} is not a regular file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise StoreError(f"{field}: cannot read {path}: {exc.strerror or exc}") from None
    if not head:
        return "new"  # an empty file is an empty SQLite database
    if not head.startswith(_SQLITE_MAGIC) or len(head) < 100:
        raise StoreError(f"{field}: {path} is not an SQLite file, so not a qcoord sweep store; it was left "
                         "untouched (choose another file)")
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30, isolation_level=None)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{field}: cannot open {path}: {exc}") from None
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        objects = con.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
        tables = {n for t, n in objects if t == "table"}
        views = {n for t, n in objects if t == "view"}
        columns = {t: {r[1] for r in con.execute(f"PRAGMA table_info({_ident(t)})")} for t in tables & set(_TABLES)}
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{field}: {path} is damaged: SQLite cannot read its schema ({exc}); move it aside "
                         "and start a new file, or salvage it with: sqlite3 FILE .recover | sqlite3 NEW") from None
    finally:
        con.close()
    if not objects and app_id in (0, APPLICATION_ID):
        return "new"
    foreign = (app_id not in (0, APPLICATION_ID)
               or not set(_TABLES) <= tables
               or tables - set(_TABLES) - _OPTIONAL_TABLES
               or views - _VIEWS
               or any(not cols <= columns.get(t, set()) for t, cols in _TABLES.items()))
    if foreign:
        what = (f"application_id {app_id:#x}" if app_id not in (0, APPLICATION_ID)
                else f"tables: {', '.join(sorted(tables)) or '(none)'}")
        raise StoreError(f"{field}: {path} is an SQLite database of another program ({what}), not a qcoord sweep "
                         "store; it was left untouched (choose another file)")
    return "store"


# -- rows ----------------------------------------------------------------------------------------
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


def _digest(rows: Iterable[tuple[Any, ...]]) -> "hashlib._Hash":
    h = hashlib.sha256()
    for r in rows:
        h.update(repr(tuple(r)).encode("utf-8", "surrogatepass"))
        h.update(b"\n")
    return h


def _checksum(points_digest: bytes, results_digest: bytes) -> str:
    """A task's checksum: sha256 over the digests of its point rows (sorted by key) and of its result
    rows (sorted by key and class), each row as the ``repr`` of the tuple of its stored values."""
    return hashlib.sha256(points_digest + results_digest).hexdigest()


@dataclass
class Integrity:
    """What :meth:`SweepStore.verify` found.

    Attributes
    ----------
    problems : list of str
        One line per kind of damage (empty: the store is sound).
    bad_tasks : set of int
        Tasks whose points or rows do not match what the task recorded (recomputed on resume).
    bad_points : set of str
        Keys of points without a task record (older stores) whose rows are incomplete.
    orphan_rows : int
        Result rows whose point is missing.
    points_affected : int
        Finished points that a repair deletes (and a resume recomputes).
    meta_fixable : bool
        The ``meta`` table disagrees with the spec hash (rewritten from the spec by a resume).
    """

    problems: list[str] = field(default_factory=list)
    bad_tasks: set[int] = field(default_factory=set)
    bad_points: set[str] = field(default_factory=set)
    orphan_rows: int = 0
    points_affected: int = 0
    meta_fixable: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self, limit: int = 3) -> str:
        more = f"; and {len(self.problems) - limit} more" if len(self.problems) > limit else ""
        return "; ".join(self.problems[:limit]) + more


class SweepStore:
    """An open SQLite results file (stateful: it holds the connection).

    Parameters
    ----------
    path : str or Path
        Database file; created unless ``readonly``. An existing file must be a qcoord store (see
        module notes); anything else is refused before it is written.
    readonly : bool
        Open an existing store for reading (plots, export); missing file is an error.
    verify : bool
        With ``readonly``: refuse a store that fails :meth:`verify` (default). Every open runs
        SQLite's ``quick_check``.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False, verify: bool = True) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._token: str | None = None
        self._con: sqlite3.Connection | None = None
        fld = "store" if readonly else "out"
        self._field = fld
        if readonly and not self.path.is_file():
            if self.path.is_dir():
                raise StoreError(f"store: {self.path} is a directory, not a results file")
            raise StoreError(f"store: file not found: {self.path}")
        if not readonly:
            parent = self.path.parent if str(self.path.parent) else Path(".")
            if not parent.exists():
                raise StoreError(f"out: directory does not exist: {parent}")
            if not parent.is_dir():
                raise StoreError(f"out: {parent} is not a directory")
        kind = _inspect(self.path, fld)
        if readonly and kind != "store":
            raise StoreError(f"store: {self.path} is not a qcoord sweep store (no sweep tables)")
        try:
            if readonly:
                self._con = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30,
                                            isolation_level=None)
                self._quick_check()
            else:
                self._con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                if kind == "store":
                    self._quick_check()  # before anything is written
                self._con.execute("PRAGMA journal_mode=WAL")
                self._con.execute("PRAGMA synchronous=FULL")
                self._con.executescript(_SCHEMA)
                cols = {r[1] for r in self._con.execute("PRAGMA table_info(points)")}
                if "task_id" not in cols:  # a store of an earlier version: no task records yet
                    self._con.execute("ALTER TABLE points ADD COLUMN task_id INTEGER")
                if self._con.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                    self._con.execute(f"PRAGMA application_id={APPLICATION_ID}")
        except StoreError:
            self.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"{fld}: cannot open {self.path} as an SQLite sweep store: {exc}") from None
        if readonly and verify:
            report = self.verify()
            if not report.ok:
                self.close()
                raise StoreError(
                    f"store: {self.path} failed its integrity check: {report.summary()}; re-run the sweep "
                    "with this file as --out to recompute the affected points")

    def _damaged(self, exc: BaseException) -> str:
        text = " ".join(str(exc).split())  # SQLite's reports span lines; the message is one line
        if "locked" in text or "busy" in text:
            return f"{self._field}: {self.path} is locked by another process ({text}); try again later"
        return (f"{self._field}: {self.path} is damaged ({text}); its rows cannot be trusted. Move it aside and "
                "re-run to start afresh, or salvage it with: sqlite3 FILE .recover | sqlite3 NEW")

    def _quick_check(self) -> None:
        try:
            rows = [r[0] for r in self._con.execute("PRAGMA quick_check(5)")]
        except sqlite3.DatabaseError as exc:
            raise StoreError(self._damaged(exc)) from None
        if rows != ["ok"]:
            raise StoreError(self._damaged(Exception("SQLite quick_check: " + "; ".join(map(str, rows[:3])))))

    # -- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the SQLite connection (idempotent); committed points stay in the file. A writer
        registration (:meth:`acquire`) is released."""
        if getattr(self, "_token", None) is not None:
            try:
                self.release()
            except (StoreError, sqlite3.Error):
                pass
        con, self._con = getattr(self, "_con", None), None
        if con is not None:
            con.close()

    def __enter__(self) -> "SweepStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one writer at a time -----------------------------------------------------------------
    @_guarded
    def writer(self) -> dict[str, Any] | None:
        """The registered writer (``pid, host, proc_start, token, started_at, heartbeat``) or ``None``."""
        row = self._con.execute(
            "SELECT pid, host, proc_start, token, started_at, heartbeat FROM writer WHERE id = 1").fetchone()
        if row is None:
            return None
        return dict(zip(("pid", "host", "proc_start", "token", "started_at", "heartbeat"), row))

    @_guarded
    def acquire(self) -> None:
        """Register this process as the store's writer; refuse if another live sweep is writing it.

        A registration is live while its process runs (same host: pid and process start time), or,
        for a writer on another host, while it committed within :data:`WRITER_LEASE_S`. A stale
        registration (a killed sweep) is taken over. Idempotent for this store object.

        Raises
        ------
        StoreError
            ``out: FILE is being written by another qcoord sweep (pid ..., host ...)``.
        """
        if self.readonly:
            raise StoreError(f"store: {self.path} is open read-only")
        token = self._token or uuid.uuid4().hex
        me = os.getpid()
        with self._tx():
            w = self.writer()
            if w is not None and w["token"] != token and _writer_alive(w):
                raise StoreError(
                    f"out: {self.path} is being written by another qcoord sweep (pid {w['pid']} on {w['host']}, "
                    f"since {w['started_at']}); two sweeps on one file would compute the same points. Wait for "
                    "it to finish, stop it, or use another --out file")
            self._con.execute(
                "INSERT OR REPLACE INTO writer(id, pid, host, proc_start, token, started_at, heartbeat)"
                " VALUES (1, ?, ?, ?, ?, ?, ?)",
                (me, socket.gethostname(), process_start_time(me), token, _now(), time.time()))
        self._token = token

    @_guarded
    def release(self) -> None:
        """Remove this store object's writer registration (idempotent)."""
        token, self._token = self._token, None
        if token is not None and self._con is not None:
            self._con.execute("DELETE FROM writer WHERE token = ?", (token,))

    # -- binding to a spec --------------------------------------------------------------------
    @_guarded
    def meta(self) -> dict[str, str]:
        """The ``meta`` table as a dict (``spec`` is JSON text)."""
        return dict(self._con.execute("SELECT key, value FROM meta").fetchall())

    @_guarded
    def spec(self) -> SweepSpec | None:
        """The spec this store was written for (``None`` for an empty store)."""
        m = self.meta()
        if "spec" not in m:
            return None
        try:
            d = json.loads(m["spec"])
            order = json.loads(m.get("axes", "[]"))  # the spec JSON sorts keys; restore the declared order
            if isinstance(d.get("axes"), dict) and sorted(order) == sorted(d["axes"]):
                d["axes"] = {a: d["axes"][a] for a in order}
            return SweepSpec.from_dict(d)
        except ValueError as exc:
            raise StoreError(f"{self._field}: {self.path}: the recorded spec cannot be read ({exc})") from None

    def _meta_rows(self, spec: SweepSpec) -> list[tuple[str, str]]:
        return [("spec", canonical_json(spec.to_dict())), ("spec_hash", spec.spec_hash),
                ("axes", json.dumps(list(spec.axis_names))), ("classes", json.dumps(list(spec.classes))),
                ("n_points", str(spec.n_points))]

    @_guarded
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
            try:
                order = json.loads(m.get("axes", "null"))
            except ValueError:
                order = None
            if isinstance(order, list) and sorted(order) == sorted(spec.axis_names) and order != list(spec.axis_names):
                # The hash ignores the order of the axes, the expansion does not.
                raise StoreError(
                    f"out: {self.path} holds results of the same axes in another order ({', '.join(order)}); "
                    "point seeds depend on the order, so declare the axes in that order or use a new --out file")
            return
        with self._tx():
            self._con.executemany(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                [*self._meta_rows(spec), ("created_at", _now()), ("code_version", code_version())])

    # -- integrity ----------------------------------------------------------------------------
    @_guarded
    def verify(self) -> Integrity:
        """Check the rows against what their tasks recorded (one consistent snapshot).

        - every point has one result row per class it recorded (``points.classes``);
        - every result row belongs to a finished point;
        - every task holds the points and rows it recorded, with the same checksum;
        - the ``meta`` table matches its spec hash.

        Returns
        -------
        Integrity
            ``ok`` if nothing is wrong; otherwise what and where.
        """
        rep = Integrity()
        con = self._con
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        has_tasks = "tasks" in tables and "task_id" in {r[1] for r in con.execute("PRAGMA table_info(points)")}
        con.execute("BEGIN")
        try:
            self._verify_meta(rep)
            short: list[int] = []
            task_of: dict[str, int | None] = {}
            q = ("SELECT p.point_key, p.point_index, p.classes, {tid},"
                 " (SELECT count(*) FROM results r WHERE r.point_key = p.point_key) FROM points p"
                 ).format(tid="p.task_id" if has_tasks else "NULL")
            for key, idx, classes, tid, n in con.execute(q):
                try:
                    expected = len(json.loads(classes))
                except (TypeError, ValueError):
                    expected = -1
                if n != expected:
                    short.append(idx)
                    if tid is None:
                        rep.bad_points.add(key)
                    else:
                        rep.bad_tasks.add(tid)
                task_of[key] = tid
            if short:
                rep.problems.append(
                    f"{len(short)} point{'s lack' if len(short) != 1 else ' lacks'} result rows their task recorded "
                    f"(point {_list(short)})")
            rep.orphan_rows = con.execute(
                "SELECT count(*) FROM results WHERE point_key NOT IN (SELECT point_key FROM points)").fetchone()[0]
            if rep.orphan_rows:
                rep.problems.append(f"{rep.orphan_rows} result row{'s' if rep.orphan_rows != 1 else ''} without "
                                    "their point")
            if has_tasks:
                self._verify_tasks(rep)
        finally:
            try:
                con.execute("ROLLBACK")  # a read transaction: nothing to undo
            except sqlite3.Error:
                pass
        if rep.bad_tasks:
            marks = ",".join("?" * len(rep.bad_tasks))
            # counted outside the snapshot is fine: only used for the message
            rep.points_affected = sum(
                con.execute(f"SELECT count(*) FROM points WHERE task_id IN ({marks})", chunk).fetchone()[0]
                for chunk in _chunks(sorted(rep.bad_tasks)))
        rep.points_affected += len(rep.bad_points)
        return rep

    def _verify_meta(self, rep: Integrity) -> None:
        m = self.meta()
        if "spec" not in m and "spec_hash" not in m:
            return
        ok = "spec" in m and "spec_hash" in m and \
            hashlib.sha256(m["spec"].encode()).hexdigest()[:20] == m["spec_hash"]
        if ok:
            try:
                d = json.loads(m["spec"])
                # The spec JSON has sorted keys; "axes" keeps the declared order.
                ok = (sorted(json.loads(m.get("axes", "null"))) == sorted(d.get("axes", {}))
                      and json.loads(m.get("classes", "null")) == list(d.get("classes", [])))
            except (TypeError, ValueError, AttributeError):
                ok = False
        if not ok:
            rep.meta_fixable = True
            rep.problems.append("the meta table does not match the spec hash it records")

    def _verify_tasks(self, rep: Integrity) -> None:
        con = self._con
        tasks = {tid: (n_p, n_r, cs) for tid, n_p, n_r, cs in
                 con.execute("SELECT task_id, n_points, n_rows, checksum FROM tasks")}
        hp: dict[int, Any] = {}
        counts: dict[int, list[int]] = {}
        span: dict[int, list[int]] = {}
        cols = ", ".join(f"p.{c}" for c in _POINT_COLS)
        for row in con.execute(f"SELECT p.task_id, {cols} FROM points p WHERE p.task_id IS NOT NULL"
                               " ORDER BY p.task_id, p.point_key"):
            tid = row[0]
            h = hp.get(tid)
            if h is None:
                h = hp[tid] = hashlib.sha256()
                counts[tid] = [0, 0]
                span[tid] = [row[2], row[2]]
            h.update(repr(tuple(row[1:])).encode("utf-8", "surrogatepass"))
            h.update(b"\n")
            counts[tid][0] += 1
            span[tid][0] = min(span[tid][0], row[2])
            span[tid][1] = max(span[tid][1], row[2])
        hr: dict[int, Any] = {}
        rcols = ", ".join(f"r.{c}" for c in _RESULT_COLS)
        for row in con.execute(f"SELECT p.task_id, {rcols} FROM results r JOIN points p ON p.point_key = r.point_key"
                               " WHERE p.task_id IS NOT NULL ORDER BY p.task_id, r.point_key, r.class"):
            tid = row[0]
            h = hr.get(tid)
            if h is None:
                h = hr[tid] = hashlib.sha256()
            h.update(repr(tuple(row[1:])).encode("utf-8", "surrogatepass"))
            h.update(b"\n")
            counts.setdefault(tid, [0, 0])[1] += 1
        bad: list[str] = []
        for tid in sorted(set(tasks) | set(hp)):
            where = f"task {tid}" + (f" (points {span[tid][0]}-{span[tid][1]})" if tid in span else "")
            if tid not in tasks:
                bad.append(f"{where}: no task record")
            else:
                n_p, n_r, cs = tasks[tid]
                got_p, got_r = counts.get(tid, [0, 0])
                if got_p != n_p:
                    bad.append(f"{where}: {got_p} of {n_p} points")
                elif got_r != n_r:
                    bad.append(f"{where}: {got_r} of {n_r} result rows")
                else:
                    empty = hashlib.sha256().digest()
                    got = _checksum(hp[tid].digest() if tid in hp else empty, hr[tid].digest() if tid in hr else empty)
                    if got == cs:
                        continue  # sound
                    bad.append(f"{where}: checksum mismatch (rows changed)")
            rep.bad_tasks.add(tid)
        if bad:
            rep.problems.append(f"{len(bad)} task{'s' if len(bad) != 1 else ''} damaged: " + ", ".join(bad[:4])
                                + (", ..." if len(bad) > 4 else ""))

    @_guarded
    def repair(self, report: Integrity, spec: SweepSpec | None = None) -> int:
        """Delete what ``report`` (:meth:`verify`) found damaged, in one transaction, so that a resume
        recomputes it: the damaged tasks' points and rows, incomplete points without a task record,
        result rows without a point; the ``meta`` rows are rewritten from ``spec`` (when it has the
        recorded hash). Returns the number of finished points deleted."""
        if self.readonly:
            raise StoreError(f"store: {self.path} is open read-only")
        with self._tx():
            before = self._con.execute("SELECT count(*) FROM points").fetchone()[0]
            for tid in sorted(report.bad_tasks):
                self._con.execute("DELETE FROM results WHERE point_key IN (SELECT point_key FROM points WHERE task_id = ?)",
                                  (tid,))
                self._con.execute("DELETE FROM points WHERE task_id = ?", (tid,))
                self._con.execute("DELETE FROM tasks WHERE task_id = ?", (tid,))
            for key in sorted(report.bad_points):
                self._con.execute("DELETE FROM results WHERE point_key = ?", (key,))
                self._con.execute("DELETE FROM points WHERE point_key = ?", (key,))
            self._con.execute("DELETE FROM results WHERE point_key NOT IN (SELECT point_key FROM points)")
            if report.meta_fixable and spec is not None:
                self._con.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", self._meta_rows(spec))
            after = self._con.execute("SELECT count(*) FROM points").fetchone()[0]
        return int(before - after)

    # -- writing ------------------------------------------------------------------------------
    @_guarded
    def finished_keys(self) -> set[str]:
        """Keys of every finished point."""
        return {r[0] for r in self._con.execute("SELECT point_key FROM points")}

    @_guarded
    def write_task(self, outcomes: Sequence[PointOutcome], *, root_seed: int, replications: int,
                   version: str | None = None) -> int:
        """Write the points of one task, all their rows and the task's record in one transaction.

        Returns the number of points newly written (already finished ones are ignored).
        """
        if self.readonly:
            raise StoreError(f"store: {self.path} is open read-only")
        version = version or code_version()
        now = _now()
        written: list[tuple[Any, ...]] = []
        rows: list[tuple[Any, ...]] = []
        con = self._con
        with self._tx():
            # Points finished before (an earlier run) are never written twice; one query per 500 keys.
            seen: set[str] = set()
            keys = [o.key for o in outcomes]
            for chunk in _chunks(keys):
                seen.update(r[0] for r in con.execute(
                    f"SELECT point_key FROM points WHERE point_key IN ({','.join('?' * len(chunk))})", chunk))
            tid = con.execute("INSERT INTO tasks(n_points, n_rows, checksum, writer_pid, committed_at)"
                              " VALUES (0, 0, '', ?, ?)", (os.getpid(), now)).lastrowid
            for o in outcomes:
                if o.key in seen:
                    continue
                seen.add(o.key)
                written.append((o.key, o.index, canonical_json(o.axes), canonical_json(o.scenario),
                                canonical_json(o.options), int(o.seed), int(root_seed), int(replications),
                                json.dumps([c for c, _ in o.rows]), float(o.elapsed_s), version, now))
                rows.extend((o.key, cls, o.index, canonical_json(row)) for cls, row in o.rows)
            if written:
                con.executemany(
                    "INSERT INTO points(point_key, point_index, axes, scenario, options, seed,"
                    " root_seed, replications, classes, elapsed_s, code_version, finished_at, task_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [(*r, tid) for r in written])
                # REPLACE: a result row left by a point deleted outside qcoord gives way to the new one
                con.executemany("INSERT OR REPLACE INTO results(point_key, class, point_index, metrics)"
                                " VALUES (?, ?, ?, ?)", rows)
                cs = _checksum(_digest(sorted(written)).digest(), _digest(sorted(rows, key=lambda r: (r[0], r[1]))).digest())
                con.execute("UPDATE tasks SET n_points = ?, n_rows = ?, checksum = ? WHERE task_id = ?",
                            (len(written), len(rows), cs, tid))
                self._extend_view([k for o in outcomes for _, row in o.rows for k in row])
            else:
                con.execute("DELETE FROM tasks WHERE task_id = ?", (tid,))
            if self._token is not None:
                con.execute("UPDATE writer SET heartbeat = ? WHERE token = ?", (time.time(), self._token))
        return len(written)

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
    @_guarded
    def count(self) -> tuple[int, int]:
        """``(finished points, result rows)``."""
        p = self._con.execute("SELECT count(*) FROM points").fetchone()[0]
        r = self._con.execute("SELECT count(*) FROM results").fetchone()[0]
        return int(p), int(r)

    @_guarded
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
            try:
                ax, met = json.loads(axes), json.loads(metrics)
            except (TypeError, ValueError) as exc:
                raise StoreError(f"{self._field}: {self.path} is damaged: point {idx} holds unreadable JSON "
                                 f"({exc}); re-run the sweep on it to recompute the point") from None
            for a in axis_names:
                v = ax.get(a)
                rec[a] = canonical_json(v) if isinstance(v, (dict, list)) else v
            tail = dict(seed=seed, root_seed=root, replications=reps, elapsed_s=el, code_version=ver,
                        scenario=scen, options=opts)
            for k, v in _flatten(met).items():
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
        """Write :meth:`to_frame` to ``path`` as CSV (no index column); return the path.

        The file is written next to ``path`` under a temporary name and renamed over it when
        complete, so a failure never leaves a half-written CSV.
        """
        out = check_output_path(path, "export")
        frame = self.to_frame()
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent if str(out.parent) else ".")
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
                frame.to_csv(fh, index=False)
            os.chmod(tmp, 0o644)
            os.replace(tmp, out)
        except OSError as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise StoreError(f"export: cannot write {out}: {exc.strerror or exc}") from None
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

def _writer_alive(w: Mapping[str, Any]) -> bool:
    """Whether the registered writer ``w`` (:meth:`SweepStore.writer`) is still at work."""
    if w["host"] == socket.gethostname():
        if w["pid"] == os.getpid():
            return False  # this process: a store object of ours that was not closed
        return process_alive(int(w["pid"]), w["proc_start"])
    return time.time() - float(w["heartbeat"]) < WRITER_LEASE_S


def _list(idx: Sequence[int], limit: int = 8) -> str:
    idx = sorted(idx)
    return ", ".join(map(str, idx[:limit])) + (f", ... ({len(idx)} in all)" if len(idx) > limit else "")


def _chunks(items: Sequence[Any], n: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]
