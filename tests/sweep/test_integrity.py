"""The store: one writer at a time, and damage (SQLite-level garbage, a deleted row, a changed digit)
detected on open, on resume and before plot/export; recomputed on resume when possible, else a
clear refusal naming the file."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qcoord.cli import app
from qcoord.sweep import SerialExecutor, StoreError, SweepStore, load_results, run_sweep

from .conftest import EVALUATOR, comparable, small_spec

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

SPEC = """
name = "test"              # the TOML form of conftest.small_spec()
seed = 11
replications = 3
classes = ["local", "entangled"]
[base]
n_pairs = 4000
[axes]
arrival_rate = [0.2, 0.4, 0.6]
handoff_delay = { start = 0.0, stop = 0.3, num = 4 }
"""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "ref.sqlite"
    run_sweep(small_spec(), path, evaluator=EVALUATOR, executor=SerialExecutor(), batch_size=3)
    return comparable(load_results(path))


@pytest.fixture
def store(tmp_path):
    """A finished store of small_spec (== SPEC) in tasks of 3 points; closed (WAL checkpointed)."""
    path = tmp_path / "r.sqlite"
    run_sweep(small_spec(), path, evaluator=EVALUATOR, executor=SerialExecutor(), batch_size=3)
    (tmp_path / "spec.toml").write_text(SPEC)
    assert not Path(f"{path}-wal").exists()
    return path


def _sql(path, *statements):
    con = sqlite3.connect(path)
    for s in statements:
        con.execute(s)
    con.commit()
    con.close()


def _cli(*args):
    r = runner.invoke(app, [str(a) for a in args])
    return r.exit_code, r.output


def _clean_error(code, text, *needles):
    """Exit code 2 and one line ``error: ...`` holding every needle; no traceback."""
    assert code == 2 and "Traceback" not in text, text
    lines = [ln for ln in text.splitlines() if "error:" in ln]
    assert len(lines) == 1 and lines[0].startswith("error: "), text
    for n in needles:
        assert n in lines[0], text


def _resume(path):
    notes = []
    s = run_sweep(small_spec(), path, evaluator=EVALUATOR, executor=SerialExecutor(), notify=notes.append)
    return s, notes


def test_a_sound_store_verifies(store):
    with SweepStore(store) as st:
        rep = st.verify()
        assert rep.ok and rep.problems == [] and st.count() == (12, 24)
        n_tasks, = st._con.execute("SELECT count(*) FROM tasks").fetchone()
        assert n_tasks == 4  # one record (with its checksum) per committed task
    s, notes = _resume(store)
    assert (s.skipped, s.computed, s.repaired, notes) == (12, 0, 0, [])


def test_a_deleted_result_row_is_detected_and_recomputed(store, reference, tmp_path):
    _sql(store, "DELETE FROM results WHERE point_index = 4 AND class = 'local'")
    with pytest.raises(StoreError, match=r"^store: .*r.sqlite failed its integrity check: 1 point lacks result rows "
                                         r"their task recorded \(point 4\)"):
        load_results(store)
    code, text = _cli("plot", store, "--x", "arrival_rate", "--y", "handoff_delay", "--out", tmp_path / "p")
    _clean_error(code, text, f"store: {store} failed its integrity check")
    s, notes = _resume(store)
    # The task of point 4 (points 3-5) is deleted and computed again; nothing else.
    assert (s.skipped, s.computed, s.repaired) == (9, 3, 3)
    assert len(notes) == 1 and "task 2 (points 3-5): 5 of 6 result rows" in notes[0]
    assert comparable(load_results(store)).equals(reference)


def test_a_changed_digit_is_detected_and_recomputed(store, reference, tmp_path):
    raw = bytearray(store.read_bytes())
    at = raw.find(b'"mean_waiting":') + len(b'"mean_waiting":')
    while not chr(raw[at]).isdigit() or raw[at] == ord("0"):
        at += 1
    raw[at] = ord("1") if raw[at] != ord("1") else ord("2")  # bit rot: same length, valid b-tree
    store.write_bytes(bytes(raw))
    con = sqlite3.connect(store)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"  # SQLite itself sees nothing wrong
    con.close()
    with pytest.raises(StoreError, match=r"failed its integrity check: 1 task damaged: task \d+ \(points \d+-\d+\): "
                                         r"checksum mismatch"):
        load_results(store)
    code, text = _cli("sweep", tmp_path / "spec.toml", "--out", store, "--evaluator", EVALUATOR,
                      "--export", tmp_path / "r.csv", "--workers", "1")
    assert code == 0, text
    assert "note: " in text and "checksum mismatch" in text and "3 points will be computed again" in text
    assert "9 finished before, 3 computed now" in text
    assert comparable(load_results(store)).equals(reference)
    assert (tmp_path / "r.csv").read_text().count("\n") == 25


def test_a_deleted_point_with_rows_left_behind(store, reference):
    _sql(store, "DELETE FROM points WHERE point_index = 7")
    with SweepStore(store) as st:
        rep = st.verify()
    assert rep.orphan_rows == 2 and "2 result rows without their point" in rep.summary()
    assert "task 3 (points 6-8): 2 of 3 points" in rep.summary()
    s, notes = _resume(store)
    assert (s.skipped, s.computed, s.repaired) == (9, 3, 2)
    assert comparable(load_results(store)).equals(reference)


def test_a_store_of_an_earlier_version_still_resumes(store, reference):
    """No task records (older stores): the per-point row count is still checked."""
    _sql(store, "DROP TABLE tasks", "DROP TABLE writer", "ALTER TABLE points DROP COLUMN task_id",
         "PRAGMA application_id = 0")
    assert comparable(load_results(store)).equals(reference)
    _sql(store, "DELETE FROM results WHERE point_index = 10 AND class = 'entangled'")
    with pytest.raises(StoreError, match=r"1 point lacks result rows their task recorded \(point 10\)"):
        load_results(store)
    s, notes = _resume(store)
    assert (s.skipped, s.computed, s.repaired) == (11, 1, 1)
    assert comparable(load_results(store)).equals(reference)
    con = sqlite3.connect(store)
    assert con.execute("SELECT count(*) FROM points WHERE task_id IS NULL").fetchone()[0] == 11
    con.close()


def _page_size(path):
    return int.from_bytes(path.read_bytes()[16:18], "big")


@pytest.mark.parametrize("where", ["middle", "schema"])
def test_garbage_inside_the_file_is_refused_with_a_clear_message(store, tmp_path, where):
    raw = bytearray(store.read_bytes())
    ps = _page_size(store)
    rng = random.Random(7)
    if where == "middle":  # a whole b-tree page in the middle of the file
        page = len(raw) // ps // 2
        raw[page * ps:(page + 1) * ps] = bytes(rng.randrange(256) for _ in range(ps))
    else:  # the schema page after the file header: "database disk image is malformed"
        raw[100:ps] = bytes(rng.randrange(256) for _ in range(ps - 100))
    store.write_bytes(bytes(raw))
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    code, text = _cli("sweep", tmp_path / "spec.toml", "--out", store, "--evaluator", EVALUATOR, "-q")
    _clean_error(code, text, f"out: {store} is damaged", "sqlite3 FILE .recover")
    code, text = _cli("plot", store, "--x", "arrival_rate", "--y", "handoff_delay", "--out", tmp_path / "p")
    _clean_error(code, text, f"store: {store} is damaged")
    with pytest.raises(StoreError, match="is damaged"):
        load_results(store)
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before  # refused before anything was written


def _cli_cmd(spec, out, *extra):
    return [sys.executable, "-c", "import sys; from qcoord.cli import main; sys.argv[0] = 'qcoord'; main()",
            "sweep", str(spec), "--out", str(out), "--quiet", *extra]


def _committed(db):
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM points").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_a_second_sweep_on_the_same_file_is_refused(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('name = "lock"\nseed = 2\nreplications = 1\nclasses = ["local"]\n[evaluate]\npause = 0.1\n'
                    "[axes]\narrival_rate = { start = 0.1, stop = 0.5, num = 20 }\n")
    db = tmp_path / "r.sqlite"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    first = subprocess.Popen(_cli_cmd(spec, db, "--workers", "1", "--batch-size", "1", "--evaluator",
                                      "tests.sweep.evaluators:slow_trivial_evaluator"),
                             cwd=tmp_path, env=env, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 40
        while _committed(db) < 2:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first sweep never committed"
            time.sleep(0.02)
        code, text = _cli("sweep", spec, "--out", db, "--evaluator", "tests.sweep.evaluators:slow_trivial_evaluator",
                          "--workers", "1", "-q")
        _clean_error(code, text, f"out: {db} is being written by another qcoord sweep (pid {first.pid} on ",
                     "use another --out file")
        assert first.poll() is None  # the first one goes on
        os.killpg(first.pid, signal.SIGKILL)  # killed: its registration stays behind, stale
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        first.communicate(timeout=30)
    with SweepStore(db) as st:
        assert st.writer()["pid"] == first.pid
    # A dead writer is taken over: the resume finishes the sweep, each point once.
    code, text = _cli("sweep", spec, "--out", db, "--evaluator", "tests.sweep.evaluators:slow_trivial_evaluator",
                      "--workers", "2", "--oversubscribe")
    assert code == 0, text
    frame = load_results(db)
    assert len(frame) == 20 and not frame["point_index"].duplicated().any()
    with SweepStore(db) as st:
        assert st.writer() is None  # released at the end


def test_writer_registration_in_process(tmp_path):
    path = tmp_path / "w.sqlite"
    with SweepStore(path) as a:
        a.bind(small_spec())
        a.acquire()
        w = a.writer()
        assert w["pid"] == os.getpid() and w["token"] == a._token
        # A registration by a live process elsewhere on this host blocks; a dead one does not.
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            from qcoord.sweep.executors import process_start_time

            a._con.execute("UPDATE writer SET pid = ?, proc_start = ?, token = 'other'",
                           (sleeper.pid, process_start_time(sleeper.pid)))
            with SweepStore(path) as b, pytest.raises(StoreError, match=f"being written by another qcoord sweep "
                                                                        f"\\(pid {sleeper.pid} "):
                b.acquire()
            with pytest.raises(StoreError, match="being written by another"):
                run_sweep(small_spec(), path, evaluator=EVALUATOR, executor=SerialExecutor())
        finally:
            sleeper.kill()
            sleeper.wait()
        s = run_sweep(small_spec(), path, evaluator=EVALUATOR, executor=SerialExecutor())
        assert s.computed == 12 and a.writer() is None
