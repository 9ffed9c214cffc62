"""SQLite store: round trips, one transaction per task, no duplicates, spec binding, CSV export."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest

from qcoord import __version__
from qcoord.sweep import StoreError, SweepStore, code_version, load_results
from qcoord.sweep.runner import evaluate_points

from .conftest import EVALUATOR, comparable, small_spec


def _write_all(store, spec, outcomes, per_task=3):
    for i in range(0, len(outcomes), per_task):
        store.write_task(outcomes[i:i + per_task], root_seed=spec.seed, replications=spec.replications)


def test_round_trip_frame_and_csv(tmp_path, spec):
    outcomes = evaluate_points(spec, evaluator=EVALUATOR)
    path = tmp_path / "r.sqlite"
    with SweepStore(path) as st:
        st.bind(spec)
        _write_all(st, spec, outcomes)
        assert st.count() == (12, 24)
        assert st.finished_keys() == {o.key for o in outcomes}
        frame = st.to_frame()
        st.to_csv(tmp_path / "r.csv")
    # One row per point and class, axis columns, every metric, provenance.
    assert len(frame) == 24 and frame["point_index"].tolist() == sorted(frame["point_index"].tolist())
    row = frame[(frame["point_index"] == 5) & (frame["class"] == "entangled")].iloc[0]
    src = dict(outcomes[5].rows)["entangled"]
    assert row["arrival_rate"] == 0.4 and row["handoff_delay"] == 0.1
    for k in ("mean_waiting", "mean_waiting_ci", "gain", "gain_ci_low", "gain_ci_high"):
        assert row[k] == src[k]
    assert row["seed"] == outcomes[5].seed and row["root_seed"] == spec.seed and row["replications"] == 3
    assert json.loads(row["scenario"]) == outcomes[5].scenario
    assert row["code_version"].startswith(__version__) and row["code_version"] == code_version()
    # The reference class "local" has no gain: NaN in the frame.
    assert frame[frame["class"] == "local"]["gain"].isna().all()
    # WAL journal mode is on.
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    # CSV and read-only reopen give the same table.
    csv = pd.read_csv(tmp_path / "r.csv")
    pd.testing.assert_frame_equal(csv[["point_index", "class", "mean_waiting", "gain"]],
                                  frame[["point_index", "class", "mean_waiting", "gain"]])
    pd.testing.assert_frame_equal(comparable(load_results(path)), comparable(frame))


def test_nothing_is_written_twice(tmp_path, spec):
    outcomes = evaluate_points(spec, [0, 1, 2], evaluator=EVALUATOR)
    with SweepStore(tmp_path / "r.sqlite") as st:
        st.bind(spec)
        assert st.write_task(outcomes, root_seed=spec.seed, replications=spec.replications) == 3
        assert st.write_task(outcomes[1:], root_seed=spec.seed, replications=spec.replications) == 0
        assert st.count() == (3, 6)
        dup = st._con.execute("SELECT point_key, class, count(*) FROM results GROUP BY 1, 2 HAVING count(*) > 1")
        assert dup.fetchall() == []


def test_task_is_one_transaction(tmp_path, spec):
    """A task whose last row cannot be stored leaves no trace of its earlier points."""
    good = evaluate_points(spec, [0, 1], evaluator=EVALUATOR)
    broken = good[1].__class__(**{**good[1].__dict__, "key": "k-broken", "seed": 2**70})  # not an SQLite INTEGER
    with SweepStore(tmp_path / "r.sqlite") as st:
        st.bind(spec)
        with pytest.raises(OverflowError):
            st.write_task([good[0], broken], root_seed=spec.seed, replications=spec.replications)
        assert st.count() == (0, 0)
        st.write_task(good, root_seed=spec.seed, replications=spec.replications)
        assert st.count() == (2, 4)


def test_store_is_bound_to_its_spec(tmp_path, spec):
    path = tmp_path / "r.sqlite"
    with SweepStore(path) as st:
        st.bind(spec)
        st.bind(small_spec())  # the same spec again is fine
        assert st.spec().spec_hash == spec.spec_hash
        with pytest.raises(StoreError, match="^out: .* holds results of a different sweep"):
            st.bind(small_spec(seed=12))


def test_bad_store_paths(tmp_path):
    with pytest.raises(StoreError, match="^store: file not found"):
        SweepStore(tmp_path / "missing.sqlite", readonly=True)
    with pytest.raises(StoreError, match="^out: directory does not exist"):
        SweepStore(tmp_path / "no" / "dir.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="^out: .*junk.sqlite is not an SQLite file"):
        SweepStore(junk)
    with pytest.raises(StoreError, match="^store: .*junk.sqlite is not an SQLite file"):
        SweepStore(junk, readonly=True)
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(StoreError, match="^store: .*empty.sqlite is an SQLite database of another program .*"
                                         "not a qcoord sweep store"):
        SweepStore(empty, readonly=True)


def test_results_wide_view_for_plain_sql(tmp_path, spec):
    outcomes = evaluate_points(spec, evaluator=EVALUATOR)
    path = tmp_path / "w.sqlite"
    with SweepStore(path) as st:
        st.bind(spec)
        _write_all(st, spec, outcomes, per_task=5)
        frame = st.to_frame()
    con = sqlite3.connect(path)
    wide = pd.read_sql_query("SELECT * FROM results_wide ORDER BY point_index, class", con)
    con.close()
    assert list(wide.columns[:5]) == ["point_index", "point_key", "class", "arrival_rate", "handoff_delay"]
    for col in ("point_index", "class", "arrival_rate", "handoff_delay", "mean_waiting", "gain_ci_low", "seed"):
        pd.testing.assert_series_equal(wide[col], frame[col], check_dtype=False)
