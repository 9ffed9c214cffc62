"""Outputs are checked before any work: --export must be a writable file, --out a new file or a qcoord
store; another program's database, or a file that is not SQLite, is refused and left byte-for-byte
untouched."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from typer.testing import CliRunner

from qcoord.cli import app
from qcoord.sweep import SerialExecutor, StoreError, SweepStore, run_sweep
from qcoord.sweep.store import check_output_path

from .conftest import small_spec

runner = CliRunner()
TRIVIAL = "tests.sweep.evaluators:trivial_evaluator"
SLOW = "tests.sweep.evaluators:slow_trivial_evaluator"

SPEC = """
name = "outputs"
seed = 3
replications = 1
classes = ["local", "entangled"]
[base]
n_pairs = 100
[evaluate]
pause = 5.0          # a sweep that ran would take 10 s: the checks must come first
[axes]
arrival_rate = [0.1, 0.2]
"""


def _run(*args: str):
    r = runner.invoke(app, list(args))
    return r.exit_code, r.output


def _assert_clean_error(code: int, text: str, *needles: str) -> None:
    """Exit code 2 and one line ``error: ...`` holding every needle; no traceback."""
    assert code == 2, text
    assert "Traceback" not in text, text
    lines = [ln for ln in text.splitlines() if "error:" in ln]
    assert len(lines) == 1 and lines[0].startswith("error: "), text
    for n in needles:
        assert n in lines[0], text


@pytest.fixture
def spec_file(tmp_path):
    p = tmp_path / "spec.toml"
    p.write_text(SPEC)
    return p


@pytest.mark.parametrize("kind", ["directory", "trailing-slash", "under-a-file", "missing-dir", "same-as-out"])
def test_bad_export_fails_before_the_sweep(tmp_path, spec_file, kind):
    out = tmp_path / "r.sqlite"
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("x")
    export, needle = {
        "directory": (str(tmp_path / "adir"), "export: "),
        "trailing-slash": (str(tmp_path / "new") + "/", "export: "),
        "under-a-file": (str(tmp_path / "afile" / "r.csv"), "is not a directory"),
        "missing-dir": (str(tmp_path / "nodir" / "r.csv"), "export: directory does not exist"),
        "same-as-out": (str(out), "export: "),
    }[kind]
    code, text = _run("sweep", str(spec_file), "--out", str(out), "--evaluator", SLOW, "--export", export, "-q")
    _assert_clean_error(code, text, needle)
    assert not out.exists()  # nothing ran, not even the results file was created
    assert (tmp_path / "afile").read_text() == "x"


def test_check_output_path_leaves_no_file(tmp_path):
    p = tmp_path / "r.csv"
    assert check_output_path(p) == p and not p.exists()
    p.write_text("old")
    assert check_output_path(p) == p and p.read_text() == "old"
    with pytest.raises(StoreError, match=r"^export: .* is a directory"):
        check_output_path(tmp_path)


def test_export_is_written_whole(tmp_path, spec_file):
    spec_file.write_text(SPEC.replace("pause = 5.0", "pause = 0.0"))
    out, csv = tmp_path / "r.sqlite", tmp_path / "r.csv"
    code, text = _run("sweep", str(spec_file), "--out", str(out), "--evaluator", SLOW, "--export", str(csv), "-q",
                      "--workers", "1")
    assert code == 0, text
    lines = csv.read_text().splitlines()
    assert len(lines) == 1 + 4 and lines[0].startswith("point_index,point_key,class,arrival_rate,seed_mod,value,")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".r.csv")] == []  # no temporary left


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _foreign_meta(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE meta (name TEXT, version INTEGER)")  # a meta table without qcoord's columns
    con.execute("INSERT INTO meta VALUES ('other-app', 3)")
    con.commit()
    con.close()


def _foreign_tables(path):
    con = sqlite3.connect(path)
    con.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); CREATE TABLE points (x);"
                      "CREATE TABLE results (y); CREATE TABLE accounts (id INTEGER, balance REAL);"
                      "INSERT INTO accounts VALUES (1, 10.5);")
    con.close()


def _other_app_id(path):
    con = sqlite3.connect(path)
    con.executescript("PRAGMA application_id = 1234; CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('keep');")
    con.close()


@pytest.mark.parametrize("make, needle", [
    (_foreign_meta, "is an SQLite database of another program (tables: meta)"),
    (_foreign_tables, "is an SQLite database of another program (tables: accounts, meta, points, results)"),
    (_other_app_id, "is an SQLite database of another program (application_id 0x4d2)"),
    (lambda p: p.write_text("name,value\nsome,text\n" * 50), "is not an SQLite file"),
    (lambda p: p.write_bytes(bytes(range(256)) * 40), "is not an SQLite file"),
    (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000), "out: "),  # a header, then garbage
])
def test_out_that_is_not_a_qcoord_store_is_refused_untouched(tmp_path, spec_file, make, needle):
    out = tmp_path / "theirs.db"
    make(out)
    before = _sha(out)
    code, text = _run("sweep", str(spec_file), "--out", str(out), "--evaluator", SLOW, "-q")
    _assert_clean_error(code, text, needle, str(out))
    assert _sha(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.toml", "theirs.db"]  # no -wal / -shm either
    # Reading it as results is refused the same way.
    code, text = _run("plot", str(out), "--x", "arrival_rate", "--out", str(tmp_path / "plots"))
    _assert_clean_error(code, text, str(out))
    assert _sha(out) == before


def test_foreign_database_keeps_its_journal_mode(tmp_path):
    out = tmp_path / "theirs.db"
    _foreign_meta(out)
    with pytest.raises(StoreError, match=r"^out: .*theirs.db is an SQLite database of another program"):
        SweepStore(out)
    with pytest.raises(StoreError, match="another program"):
        run_sweep(small_spec(), out, evaluator=TRIVIAL, executor=SerialExecutor())
    con = sqlite3.connect(out)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert con.execute("SELECT name FROM sqlite_master").fetchall() == [("meta",)]
    con.close()


def test_blank_files_become_stores(tmp_path):
    """An empty file, or an SQLite file without tables, is a new store (nothing to lose)."""
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.sqlite"
    sqlite3.connect(blank).execute("VACUUM").connection.close()
    for p in (empty, blank):
        s = run_sweep(small_spec(), p, evaluator=TRIVIAL, executor=SerialExecutor())
        assert s.computed == 12
        con = sqlite3.connect(p)
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x71637377
        con.close()


def test_out_is_a_directory(tmp_path, spec_file):
    code, text = _run("sweep", str(spec_file), "--out", str(tmp_path), "--evaluator", SLOW, "-q")
    _assert_clean_error(code, text, f"out: {tmp_path} is a directory")
