"""Kill a running `qcoord sweep` with SIGKILL, resume it, and get exactly the uninterrupted table."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from qcoord.sweep import SerialExecutor, load_results, load_spec, run_sweep

from .conftest import EVALUATOR, comparable

ROOT = Path(__file__).resolve().parents[2]

SPEC = """
name = "kill-test"
seed = 99
replications = 2
classes = ["local", "entangled"]

[base]
n_pairs = 3000

[evaluate]
pause = 0.05         # seconds per point: slow enough to be killed mid-run

[axes]
arrival_rate = { start = 0.1, stop = 0.5, num = 5 }
handoff_delay = [0.0, 0.1, 0.2, 0.3]
"""


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from qcoord.cli import main; sys.argv[0] = 'qcoord'; main()", *args]


def _finished(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM points").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def test_sigkill_mid_run_then_resume_equals_uninterrupted(tmp_path):
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(SPEC)
    db = tmp_path / "killed.sqlite"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    cmd = _cli("sweep", str(spec_path), "--out", str(db), "--workers", "2", "--batch-size", "2",
               "--evaluator", EVALUATOR, "--quiet")

    # Run in its own process group so the kill reaches the pool workers too.
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while _finished(db) < 4:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the sweep never committed 4 points"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    partial = _finished(db)
    assert 4 <= partial < 20, partial

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Every committed point has all of its class rows (a task is one transaction).
    assert con.execute("SELECT count(*) FROM results").fetchone()[0] == 2 * partial
    con.close()

    # Resume with exactly the same command.
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    ref = tmp_path / "uninterrupted.sqlite"
    run_sweep(load_spec(spec_path), ref, evaluator=EVALUATOR, executor=SerialExecutor(), batch_size=20)
    resumed = comparable(load_results(db))
    assert len(resumed) == 40
    assert not resumed.duplicated(["point_key", "class"]).any()
    expected = comparable(load_results(ref))
    assert list(resumed.columns) == list(expected.columns)
    for col in resumed.columns:
        assert resumed[col].equals(expected[col]), col
