"""The runner: numbers independent of executor, workers, batching and order; resume; progress; errors."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.sweep import (
    LocalExecutor,
    SerialExecutor,
    SweepPointError,
    SweepSpecError,
    SweepStore,
    load_results,
    run_sweep,
)
from qcoord.sweep.runner import MAX_BATCH, evaluate_points, next_batch_size

from .conftest import EVALUATOR, comparable, small_spec
from .evaluators import FakeClock


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted serial run of the small spec, one point per task."""
    spec = small_spec()
    path = tmp_path_factory.mktemp("ref") / "ref.sqlite"
    summary = run_sweep(spec, path, evaluator=EVALUATOR, executor=SerialExecutor(), batch_size=1)
    assert summary.computed == 12 and summary.n_tasks == 12
    return comparable(load_results(path))


def test_local_pool_and_dask_give_identical_numbers(tmp_path, reference):
    spec = small_spec()
    with LocalExecutor(2) as ex:
        s2 = run_sweep(spec, tmp_path / "pool2.sqlite", evaluator=EVALUATOR, executor=ex, batch_size=2)
    assert s2.computed == 12 and s2.n_tasks == 6
    with LocalExecutor(1) as ex:
        run_sweep(spec, tmp_path / "pool1.sqlite", evaluator=EVALUATOR, executor=ex)  # calibrated batches
    from qcoord.sweep import DaskExecutor

    with DaskExecutor(workers=2, processes=True) as ex:
        sd = run_sweep(spec, tmp_path / "dask.sqlite", evaluator=EVALUATOR, executor=ex, batch_size=3)
        # A failing point keeps its message through the cluster.
        with pytest.raises(SweepPointError, match=r"^point (8|9|10|11) \(arrival_rate=0.6"):
            run_sweep(spec, tmp_path / "dask-fail.sqlite", evaluator="tests.sweep.evaluators:failing_evaluator",
                      executor=ex, batch_size=2)
    assert sd.executor.startswith("dask") and sd.computed == 12
    for name in ("pool2", "pool1", "dask"):
        got = comparable(load_results(tmp_path / f"{name}.sqlite"))
        assert len(got) == 24
        assert got.equals(reference), name
    # The numbers are real: gains differ across points and CIs have width.
    ent = reference[(reference["class"] == "entangled") & (reference["handoff_delay"] != 0.2)]
    assert ent["gain"].nunique() == 9 and (ent["gain_ci_high"] > ent["gain_ci_low"]).all()


def test_a_point_does_not_depend_on_the_rest_of_the_sweep(reference):
    spec = small_spec()
    [alone] = evaluate_points(spec, [7], evaluator=EVALUATOR)
    rows = reference[reference["point_index"] == 7].set_index("class")
    for cls, metrics in alone.rows:
        assert metrics["mean_waiting"] == rows.loc[cls, "mean_waiting"]


def test_resume_skips_finished_points(tmp_path, reference):
    spec = small_spec()
    path = tmp_path / "r.sqlite"
    with SweepStore(path) as st:
        st.bind(spec)
        st.write_task(evaluate_points(spec, [0, 3, 4, 9], evaluator=EVALUATOR), root_seed=spec.seed,
                      replications=spec.replications)
    events = []
    s = run_sweep(spec, path, evaluator=EVALUATOR, executor=SerialExecutor(), progress=events.append)
    assert (s.skipped, s.computed) == (4, 8)
    assert events[0].done == 4 and events[0].skipped == 4 and events[-1].done == 12 and events[-1].eta_s == 0
    assert all(b.done > a.done for a, b in zip(events, events[1:]))
    assert comparable(load_results(path)).equals(reference)
    again = run_sweep(spec, path, evaluator=EVALUATOR, executor=SerialExecutor())
    assert (again.skipped, again.computed, again.n_tasks) == (12, 0, 0)


def test_batches_carry_the_target_work(tmp_path):
    """Batching from injected timings (a fake clock advanced by the evaluator), not real time."""
    clock = FakeClock()

    def costly(scenario, classes, *, replications, seed, cost):
        clock.advance(cost)
        return [{"class": c, "value": cost} for c in classes]

    # 1/32 s per point (an evaluator option), target 1/8 s of work per task: 10 points.
    spec = small_spec(axes={"arrival_rate": [0.1 * k for k in range(1, 11)], "evaluate.cost": [0.03125]})
    fast = run_sweep(spec, tmp_path / "b.sqlite", evaluator=costly, executor=SerialExecutor(),
                     target_task_s=0.125, clock=clock)
    # A calibration task of one point, then tasks of ceil(0.125 / (1/32)) = 4 points; the last one
    # takes what is left (1 point). Every full task carries exactly the target work.
    assert fast.computed == 10 and fast.n_tasks == 4
    assert fast.task_seconds == (0.03125, 0.125, 0.125, 0.03125)
    assert fast.seconds_per_point == 0.03125
    stored = load_results(tmp_path / "b.sqlite")
    assert set(stored["elapsed_s"]) == {0.03125}  # the injected timings are what the store records

    # The estimate follows the measured cost: points that get dearer give smaller tasks.
    costs = iter([1 / 32] + [1 / 16] * 20)

    def dearer(scenario, classes, *, replications, seed):
        clock.advance(next(costs))
        return [{"class": c, "value": 1.0} for c in classes]

    spec2 = small_spec(axes={"arrival_rate": [0.1 * k for k in range(1, 10)]})
    s = run_sweep(spec2, tmp_path / "c.sqlite", evaluator=dearer, executor=SerialExecutor(),
                  target_task_s=0.125, clock=clock)
    # calibration 1/32 s -> 4 points (4/16 s); then 9/32 s over 5 points -> ceil(0.125 * 5 * 32 / 9) = 3;
    # then 15/32 s over 8 points -> ceil(0.125 * 8 * 32 / 15) = 3, of which 1 point is left.
    assert [round(t * 32) for t in s.task_seconds] == [1, 8, 6, 2]
    assert s.computed == 9 and s.n_tasks == 4


def test_next_batch_size():
    assert next_batch_size(0.1, eval_s=0.2, computed=10) == 5          # 0.02 s per point
    assert next_batch_size(0.1, eval_s=0.3, computed=10) == 4          # ceil(3.33)
    assert next_batch_size(0.1, eval_s=5.0, computed=1) == 1           # slower than the target
    assert next_batch_size(0.1, eval_s=0.0, computed=0) == MAX_BATCH   # nothing measured yet
    assert next_batch_size(0.1, eval_s=1e-9, computed=1) == MAX_BATCH  # capped
    assert next_batch_size(0.1, eval_s=1e-9, computed=1, max_batch=7) == 7


def test_evaluator_options_and_option_axes(tmp_path):
    spec = small_spec(evaluate={"scale": 0.5}, axes={"evaluate.scale": [0.5, 1.0], "arrival_rate": [0.3]})
    run_sweep(spec, tmp_path / "o.sqlite", evaluator=EVALUATOR, executor=SerialExecutor())
    f = load_results(tmp_path / "o.sqlite")
    loc = f[f["class"] == "local"].set_index("evaluate.scale")
    assert loc.loc[0.5, "utilisation"] == pytest.approx(0.15) and loc.loc[1.0, "utilisation"] == pytest.approx(0.3)
    with pytest.raises(SweepSpecError, match=r"^evaluate.bogus: not an option of the evaluator queue_evaluator; "
                                             r"allowed: pause, scale"):
        run_sweep(small_spec(evaluate={"bogus": 1}), tmp_path / "x.sqlite", evaluator=EVALUATOR)


def test_failing_point_is_named_and_earlier_tasks_stay_committed(tmp_path):
    spec = small_spec()
    path = tmp_path / "f.sqlite"
    with pytest.raises(SweepPointError, match=r"^point 8 \(arrival_rate=0.6, handoff_delay=0.0\): "
                                              r"ZeroDivisionError: synthetic failure"):
        run_sweep(spec, path, evaluator="tests.sweep.evaluators:failing_evaluator", executor=SerialExecutor(),
                  batch_size=1)
    with SweepStore(path, readonly=True) as st:
        assert st.count() == (8, 16)
    # The same failure through worker processes keeps its message.
    with LocalExecutor(2) as ex, pytest.raises(SweepPointError, match=r"^point (8|9|10|11) \(arrival_rate=0.6"):
        run_sweep(spec, tmp_path / "g.sqlite", evaluator="tests.sweep.evaluators:failing_evaluator", executor=ex,
                  batch_size=4)


def test_bad_arguments(tmp_path, spec):
    with pytest.raises(SweepPointError, match="^batch_size: must be an integer >= 1"):
        run_sweep(spec, tmp_path / "a.sqlite", evaluator=EVALUATOR, batch_size=0)
    with pytest.raises(SweepPointError, match="^target_task_s: must be a number > 0"):
        run_sweep(spec, tmp_path / "a.sqlite", evaluator=EVALUATOR, target_task_s=0)
    with pytest.raises(SweepPointError, match="^evaluator: must be 'module:function'"):
        run_sweep(spec, tmp_path / "a.sqlite", evaluator="nocolon")
    with pytest.raises(SweepPointError, match="^evaluator: cannot import module 'no_such_mod'"):
        run_sweep(spec, tmp_path / "a.sqlite", evaluator="no_such_mod:f")
    with pytest.raises(SweepPointError, match="^evaluator: 'tests.sweep.evaluators' has no callable 'nope'"):
        run_sweep(spec, tmp_path / "a.sqlite", evaluator="tests.sweep.evaluators:nope")
    from qcoord.sweep import DaskExecutor, ExecutorError, make_executor

    with pytest.raises(ExecutorError, match="^workers: must be an integer >= 1, got 0"):
        make_executor(workers=0)
    with pytest.raises(ExecutorError, match="^scheduler: cannot connect to tcp://127.0.0.1:9"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=1.0)
    with pytest.raises(ExecutorError, match="^dask: give either|^serial: cannot be combined"):
        make_executor(serial=True, dask=True)


def test_existing_cluster_via_scheduler_address(tmp_path, reference):
    from distributed import LocalCluster

    from qcoord.sweep import DaskExecutor

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        with DaskExecutor(cluster.scheduler_address) as ex:
            assert ex.workers == 2 and ex.describe().startswith(f"dask @ {cluster.scheduler_address}")
            run_sweep(small_spec(), tmp_path / "remote.sqlite", evaluator=EVALUATOR, executor=ex, batch_size=4)
    assert comparable(load_results(tmp_path / "remote.sqlite")).equals(reference)


@settings(max_examples=10)
@given(batch=st.integers(1, 13), done=st.sets(st.integers(0, 11), max_size=11), target=st.sampled_from([1e-4, 0.1]))
def test_numbers_do_not_depend_on_batching_or_what_was_finished_before(reference, batch, done, target):
    spec = small_spec()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "p.sqlite"
        with SweepStore(path) as store:
            store.bind(spec)
            if done:
                store.write_task(evaluate_points(spec, sorted(done), evaluator=EVALUATOR), root_seed=spec.seed,
                                 replications=spec.replications)
        s = run_sweep(spec, path, evaluator=EVALUATOR, executor=SerialExecutor(),
                      batch_size=batch if batch <= 12 else None, target_task_s=target)
        assert (s.skipped, s.computed) == (len(done), 12 - len(done))
        assert comparable(load_results(path)).equals(reference)
