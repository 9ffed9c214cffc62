"""The default evaluator runs qcoord.analysis.evaluate_point on Scenario.from_dict(point scenario)."""

from __future__ import annotations

import math

import pytest

from qcoord.sweep import SerialExecutor, SweepSpec, SweepSpecError, load_results, run_sweep

analysis = pytest.importorskip("qcoord.analysis")
system = pytest.importorskip("qcoord.system")


def test_default_evaluator_is_evaluate_point(tmp_path):
    spec = SweepSpec.from_dict({
        "seed": 8, "replications": 2, "classes": ["local", "entangled"],
        "base": {"n_pairs": 3000, "warmup": 300, "baseline": {"kind": "setup", "c": 1.0}},
        "evaluate": {"lam": 0.5},
        "axes": {"handoff_delay": [0.05, 0.1]},
    })
    s = run_sweep(spec, tmp_path / "a.sqlite", executor=SerialExecutor())
    assert s.computed == 2
    frame = load_results(tmp_path / "a.sqlite")
    assert {"gain_equal_waiting", "gain_ci_low", "gain_ci_high", "throughput", "throughput_hw"} <= set(frame.columns)
    # Same numbers as calling the analysis directly with the point's scenario and seed.
    p = spec.point(1)
    direct = analysis.evaluate_point(system.Scenario.from_dict(p.scenario), ("local", "entangled"),
                                     replications=2, seed=p.seed, lam=0.5)
    got = frame[frame["point_index"] == 1].set_index("class")
    for row in direct:
        for k in ("mean_waiting", "throughput", "gain_equal_waiting"):
            a, b = row[k], got.loc[row["class"], k]
            assert (math.isnan(a) and math.isnan(b)) or a == b, k
    with pytest.raises(SweepSpecError, match="^evaluate.bogus: not an option of the evaluator evaluate_point"):
        run_sweep(SweepSpec.from_dict({**spec.to_dict(), "evaluate": {"bogus": 1}}), tmp_path / "b.sqlite")


def test_preflight_rejects_bad_classes_and_scenarios_before_any_work(tmp_path):
    base = {"seed": 1, "replications": 2, "classes": ["local", "entangled"], "base": {"n_pairs": 2000, "warmup": 200}}
    with pytest.raises(SweepSpecError, match="^classes: 'psychic' is not a strategy class; allowed: local"):
        run_sweep(SweepSpec.from_dict({**base, "classes": ["local", "psychic"]}), tmp_path / "a.sqlite")
    bad = SweepSpec.from_dict({**base, "axes": {"arrival_rate": [0.1, -0.5]}})
    with pytest.raises(SweepSpecError, match=r"^arrival_rate: .* \(at point 1: arrival_rate=-0.5\)$"):
        run_sweep(bad, tmp_path / "b.sqlite")
    unstable = SweepSpec.from_dict({**base, "axes": {"arrival_rate": [0.1, 1.5]}})  # valid Scenario, not stationary
    with pytest.raises(SweepSpecError, match=r"^arrival_rate: .* = 1\.5 must be < 1 .*\(at point 1: arrival_rate=1\.5\)$"):
        run_sweep(unstable, tmp_path / "c.sqlite")
    assert not any((tmp_path / f).exists() for f in ("a.sqlite", "b.sqlite", "c.sqlite"))


def test_worker_processes_give_the_numbers_of_this_process(tmp_path):
    """Thread limits and process boundaries do not change evaluate_point's numbers."""
    from qcoord.sweep import LocalExecutor

    spec = SweepSpec.from_dict({"seed": 3, "replications": 2, "classes": ["local", "entangled"],
                                "base": {"n_pairs": 2000, "warmup": 200}, "axes": {"arrival_rate": [0.1, 0.3]}})
    run_sweep(spec, tmp_path / "main.sqlite", executor=SerialExecutor())
    with LocalExecutor(1) as ex:
        run_sweep(spec, tmp_path / "worker.sqlite", executor=ex, batch_size=2)  # no in-process calibration
    a = load_results(tmp_path / "main.sqlite").drop(columns=["elapsed_s", "code_version"])
    b = load_results(tmp_path / "worker.sqlite").drop(columns=["elapsed_s", "code_version"])
    assert a.equals(b)
