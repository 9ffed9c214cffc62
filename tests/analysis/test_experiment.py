"""Runs: arm selection by family and parameters, the stationarity check, the benchmark."""

from __future__ import annotations

import pytest

from qcoord.analysis import AnalysisError
from qcoord.system import power

from .synthetic import SPAN, arm, local_line, make_run, power_baselines


def test_arms_are_selected_by_family_and_params():
    spec = {**local_line(3), arm("entangled", "entangled", headline=True, lam=0.5): {},
            arm("e2", "entangled", lam=0.3, frontier=True): {}, arm("naive", "communicating", protocol="naive"): {}}
    run = make_run(spec)
    assert [a.name for a in run.select(family="entangled")] == ["entangled", "e2"]
    assert run.one(family="entangled", headline=True).name == "entangled"
    assert [a.name for a in run.select(lam=(0.3, 0.4))] == ["e2"]
    assert {a.name for a in run.benchmark()[0]} == {"rule0s", "rule1s", "rule2s"}
    with pytest.raises(AnalysisError, match="exactly one"):
        run.one(family="entangled")
    with pytest.raises(AnalysisError, match="no arm"):
        run.values("ghost", "mean_waiting")
    with pytest.raises(AnalysisError, match="baseline"):
        run.values("e2", "throughput", "t^9")


def test_arm_names_are_unique_and_match_their_policy():
    a = arm("x")
    with pytest.raises(AnalysisError, match="unique"):
        make_run({a: {}, arm("x"): {}})
    from types import SimpleNamespace

    from qcoord.analysis import Arm

    with pytest.raises(ValueError, match="name"):
        Arm("x", SimpleNamespace(name="y"), "local")
    with pytest.raises(ValueError, match="family"):
        Arm("x", SimpleNamespace(name="x"), "psychic")


def test_a_never_interrupted_server_makes_t_k_ill_defined_but_not_setup_or_linear():
    never = arm("never", "local", sym=False)
    spec = {**local_line(3), never: {"longest_idle_run": 0.95 * SPAN}}
    run = make_run(spec, baselines=power_baselines())
    assert run.ill_defined(never, "baseline") is None  # setup(2): output per unit time does not depend on the horizon
    assert run.ill_defined(never, "t^1") is None
    why = run.ill_defined(never, "t^2")
    assert why is not None and "95%" in why and "grows with the horizon" in why
    assert run.ill_defined("rule0s", "t^2") is None  # short idle runs
    # the benchmark drops it under t^2 and, since all-classical is then ill-posed, keeps the symmetric arms
    arms, flagged, sym_only = run.reference("t^2")
    assert "never" in flagged and sym_only and all(a.role_symmetric for a in arms)
    arms, flagged, sym_only = run.reference("baseline")
    assert not flagged and not sym_only and "never" in {a.name for a in arms}


def test_overloaded_server_is_flagged():
    hot = arm("hot", "local")
    run = make_run({**local_line(2), hot: {"drain_time": 0.2 * SPAN}})
    assert "overloads" in run.ill_defined(hot)


def test_extend_keeps_common_inputs():
    from qcoord.analysis import run_arms
    from qcoord.compile import compile_game, solve
    from qcoord.analysis.arms import class_arms
    from qcoord.system import Scenario

    sc = Scenario(n_pairs=2000, warmup=200, replications=2, seed=3)
    sol = solve(compile_game(sc, 0.5), npa_level=None, nonsignaling=False, restarts=2, seed=3)
    arms = class_arms(sol)
    run = run_arms(sc, arms[:2], baselines={"t^2": power(2.0)})
    more = run.extend(arms[2:4])
    assert more.names == tuple(a.name for a in arms[:4])
    alone = run_arms(sc, arms[2:4], baselines={"t^2": power(2.0)})
    for a in arms[2:4]:
        assert (more.values(a, "throughput", "t^2") == alone.values(a, "throughput", "t^2")).all()
