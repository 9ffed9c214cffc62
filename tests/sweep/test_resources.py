"""Bounded resources: worker counts capped at the CPU count, huge axes refused before allocation,
large grids start computing at once and build every point once."""

from __future__ import annotations

import os
import sqlite3
import tracemalloc

import pytest
from typer.testing import CliRunner

from qcoord.cli import app
from qcoord.sweep import SerialExecutor, SweepSpec, SweepSpecError, load_results, make_executor, run_sweep
from qcoord.sweep.executors import DaskExecutor, LocalExecutor

from .conftest import small_spec

runner = CliRunner()
TRIVIAL = "tests.sweep.evaluators:trivial_evaluator"
BASE = {"seed": 5, "replications": 1, "classes": ["local"], "base": {"n_pairs": 10}}


def test_a_huge_range_is_refused_from_num_alone():
    SweepSpec.from_dict({**BASE, "axes": {"arrival_rate": [0.1]}})  # imports done before measuring
    tracemalloc.start()
    try:
        with pytest.raises(SweepSpecError) as info:
            SweepSpec.from_dict({**BASE, "axes": {"arrival_rate": {"start": 0.1, "stop": 0.2, "num": 1_000_000_000}}})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value) == ("axes.arrival_rate.num: 1000000000 values, more than the limit of 1000000 points "
                               "of a sweep")
    assert peak < 200_000  # np.linspace of 10**9 values would need 8 GB
    # The product with the axes before counts too, still before the range is expanded.
    with pytest.raises(SweepSpecError, match=r"^axes.handoff_delay.num: 5000 values make 5000000 points with the "
                                             r"axes before it, more than the limit of 1000000"):
        SweepSpec.from_dict({**BASE, "axes": {"arrival_rate": {"start": 0.1, "stop": 0.2, "num": 1000},
                                              "handoff_delay": {"start": 0.0, "stop": 0.2, "num": 5000}}})
    with pytest.raises(SweepSpecError, match=r"^axes.message_latency: 3 values make 1500000 points"):
        SweepSpec.from_dict({**BASE, "axes": {"arrival_rate": {"start": 0.1, "stop": 0.2, "num": 500_000},
                                              "message_latency": [0.1, 0.2, 0.3]}})
    # At the limit is fine.
    assert SweepSpec.from_dict({**BASE, "axes": {"arrival_rate": {"start": 0.1, "stop": 0.2, "num": 1000},
                                                 "handoff_delay": {"start": 0.0, "stop": 0.2, "num": 1000}}}
                               ).n_points == 1_000_000


def test_cli_refuses_a_huge_axis(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('seed = 1\nreplications = 1\nclasses = ["local"]\n[axes]\n'
                    "arrival_rate = { start = 0.1, stop = 0.2, num = 1000000000 }\n")
    r = runner.invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "o.sqlite"), "--evaluator", TRIVIAL])
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and "Traceback" not in text, text
    assert text == "error: axes.arrival_rate.num: 1000000000 values, more than the limit of 1000000 points of a sweep"
    assert not (tmp_path / "o.sqlite").exists()


def test_worker_counts_are_capped_at_the_cpu_count():
    cpus = os.cpu_count() or 1
    ex = make_executor(workers=cpus + 3)
    assert isinstance(ex, LocalExecutor) and ex.workers == cpus
    assert ex.note.startswith(f"workers: {cpus + 3} requested, capped at the {cpus} CPU")
    assert ex.describe() == f"local ({cpus} worker{'s' if cpus != 1 else ''})"
    over = make_executor(workers=cpus + 3, oversubscribe=True)
    assert over.workers == cpus + 3 and over.note is None
    assert make_executor(workers=cpus).note is None and make_executor().workers == cpus
    # Nothing was started: pools start with the first task.
    assert ex.worker_pids() == [] and over.worker_pids() == []


def test_dask_local_cluster_is_capped_too():
    cpus = os.cpu_count() or 1
    with DaskExecutor(workers=cpus + 2, processes=False) as ex:
        assert ex.workers == cpus and "capped" in ex.note
        assert len(ex._client.scheduler_info()["workers"]) == cpus


def test_cli_prints_the_cap(tmp_path):
    cpus = os.cpu_count() or 1
    spec = tmp_path / "s.toml"
    spec.write_text('seed = 1\nreplications = 1\nclasses = ["local"]\n[axes]\narrival_rate = [0.1, 0.2, 0.3]\n')
    r = runner.invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "o.sqlite"), "--evaluator", TRIVIAL,
                            "--workers", str(cpus + 30)])
    text = " ".join(r.output.split())
    assert r.exit_code == 0, text
    assert f"note: workers: {cpus + 30} requested, capped at the {cpus} CPU" in text
    assert f"local ({cpus} worker" in text  # the summary names what ran
    assert len(load_results(tmp_path / "o.sqlite")) == 3


class _Stop(Exception):
    pass


def test_a_large_grid_starts_computing_before_building_its_points(tmp_path, monkeypatch):
    """10^5 points: the first task is committed after building 2 points, not 2 x 10^5."""
    built = []
    make = SweepSpec._make_point
    monkeypatch.setattr(SweepSpec, "_make_point", lambda self, i, v: built.append(i) or make(self, i, v))
    spec = SweepSpec.from_dict({**BASE, "axes": {"arrival_rate": {"start": 0.01, "stop": 0.5, "num": 1000},
                                                 "handoff_delay": {"start": 0.0, "stop": 0.3, "num": 100}}})
    seen = []

    def progress(ev):
        seen.append((ev.done, len(built)))
        if ev.done:
            raise _Stop

    with pytest.raises(_Stop):
        run_sweep(spec, tmp_path / "big.sqlite", evaluator=TRIVIAL, executor=SerialExecutor(), progress=progress)
    assert seen == [(0, 0), (1, 1)]  # start, then the calibration point: one point built


def test_every_point_is_built_once(tmp_path, monkeypatch):
    built = []
    make = SweepSpec._make_point
    monkeypatch.setattr(SweepSpec, "_make_point", lambda self, i, v: built.append(i) or make(self, i, v))
    spec_file = tmp_path / "s.toml"
    spec_file.write_text('seed = 1\nreplications = 1\nclasses = ["local"]\n[axes]\n'
                         "arrival_rate = { start = 0.01, stop = 0.5, num = 50 }\nhandoff_delay = [0.0, 0.1]\n")
    r = runner.invoke(app, ["sweep", str(spec_file), "--out", str(tmp_path / "o.sqlite"), "--evaluator", TRIVIAL,
                            "--workers", "1", "-q"])
    assert r.exit_code == 0, r.output
    assert sorted(built) == list(range(100))  # the CLI's checks and the run together: once per point
    # A resume builds every point once too (one pass finds the pending ones).
    path = tmp_path / "r.sqlite"
    run_sweep(small_spec(), path, evaluator=TRIVIAL, executor=SerialExecutor(), batch_size=6)
    con = sqlite3.connect(path)
    con.execute("DELETE FROM tasks WHERE task_id = (SELECT max(task_id) FROM tasks)")  # as if never committed
    con.execute("DELETE FROM results WHERE point_index >= 6")
    con.execute("DELETE FROM points WHERE point_index >= 6")
    con.commit()
    con.close()
    built.clear()
    s = run_sweep(small_spec(), path, evaluator=TRIVIAL, executor=SerialExecutor())
    assert (s.skipped, s.computed, s.repaired) == (6, 6, 0) and sorted(built) == list(range(12))
