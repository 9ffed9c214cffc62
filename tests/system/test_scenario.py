"""Scenario validation, serialisation, demand laws, baselines and common random numbers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcoord.system import (
    Baseline,
    BaselineError,
    Deterministic,
    Empirical,
    Exponential,
    LogNormal,
    Scenario,
    ScenarioError,
    TwoPoint,
    baseline_from_spec,
    classify,
    power,
    setup,
)

LN2 = math.log(2)


def test_defaults_follow_the_contract():
    sc = Scenario()
    assert sc.arrival_rate == 0.1 and sc.arrival_process == "poisson" and sc.handoff_delay == 0.1
    assert sc.message_latency == 0.5 and sc.discipline == "srpt" and sc.role_coin is True
    assert (sc.n_pairs, sc.warmup, sc.replications, sc.seed) == (200_000, 10_000, 10, 0)
    assert sc.demand == TwoPoint() and sc.baseline == setup(1.0)
    assert sc.num_classes == 2
    np.testing.assert_allclose(sc.class_probs, [0.5, 0.5])
    np.testing.assert_allclose(sc.class_means, [1 - LN2, 1 + LN2])
    assert sc.utilisation == pytest.approx(0.1)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(arrival_rate=-1.0), "arrival_rate"),
        (dict(arrival_rate=float("nan")), "arrival_rate"),
        (dict(arrival_process="bursty"), "arrival_process"),
        (dict(arrival_process="trace"), "arrival_times"),
        (dict(arrival_times=(1.0, 2.0)), "arrival_times"),
        (dict(arrival_process="trace", arrival_times=(2.0, 1.0), n_pairs=2, warmup=0), "arrival_times"),
        (dict(arrival_process="trace", arrival_times=(1.0, 2.0), n_pairs=3, warmup=0), "n_pairs"),
        (dict(demand={"kind": "gamma"}), "demand.kind"),
        (dict(demand=TwoPoint(), class_edges=(5.0,)), "class_edges"),
        (dict(class_edges=(1.0, 0.5)), "class_edges"),
        (dict(class_edges=(-1.0,)), "class_edges[0]"),
        (dict(backlog_levels=(1.0, 1.0)), "backlog_levels"),
        (dict(handoff_delay=-0.1), "handoff_delay"),
        (dict(message_latency=math.inf), "message_latency"),
        (dict(discipline="lifo"), "discipline"),
        (dict(role_coin="yes"), "role_coin"),
        (dict(baseline="cubic(3)"), "baseline"),
        (dict(n_pairs=1), "n_pairs"),
        (dict(n_pairs=100, warmup=99), "warmup"),
        (dict(replications=0), "replications"),
        (dict(seed=-3), "seed"),
        (dict(n_pairs=2.5), "n_pairs"),
    ],
)
def test_bad_fields_raise_naming_the_field(kwargs, field):
    with pytest.raises(ScenarioError) as info:
        Scenario(**kwargs)
    assert str(info.value).startswith(field + ":"), str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: Exponential(0.0), "demand.mean"),
        (lambda: TwoPoint(2.0, 1.0), "demand.high"),
        (lambda: TwoPoint(p_low=1.0), "demand.p_low"),
        (lambda: LogNormal(1.0, -1.0), "demand.sigma"),
        (lambda: Empirical(()), "demand.samples"),
        (lambda: Empirical((1.0, -2.0)), "demand.samples"),
        (lambda: Deterministic(float("inf")), "demand.value"),
        (lambda: setup(-1), "baseline.c"),
        (lambda: power(0), "baseline.k"),
    ],
)
def test_bad_parts_raise_naming_the_field(make, field):
    with pytest.raises(ScenarioError, match="^" + field.replace(".", r"\.")):
        make()


def test_stationarity_check():
    sc = Scenario(arrival_rate=1.2)  # a scenario may be built...
    with pytest.raises(ScenarioError, match="^arrival_rate: .*must be < 1"):
        sc.check_stationary()  # ...but not asked for a stationary result
    assert Scenario(arrival_rate=0.9).check_stationary().utilisation == pytest.approx(0.9)
    assert Scenario(arrival_rate=0.5, demand=Exponential(2.0)).utilisation == pytest.approx(1.0)
    busy_trace = Scenario(arrival_process="trace", arrival_times=tuple(np.arange(100) * 0.5), n_pairs=100, warmup=0)
    with pytest.raises(ScenarioError, match="^arrival_times: .*= 2 must be < 1"):
        busy_trace.check_stationary()


def test_roundtrip_dict_json_toml(tmp_path):
    sc = Scenario(arrival_rate=0.3, demand=LogNormal(1.0, 0.5), class_edges=(0.5, 1.5), backlog_levels=(0.0,),
                  discipline="np", baseline=power(2), n_pairs=5000, warmup=100, replications=3, seed=9,
                  role_coin=False)
    d = sc.to_dict()
    assert Scenario.from_dict(json.loads(json.dumps(d))) == sc
    toml = tmp_path / "s.toml"
    toml.write_text(
        "[scenario]\narrival_rate = 0.3\ndiscipline = \"np\"\nbaseline = \"power(2)\"\nclass_edges = [0.5, 1.5]\n"
        "backlog_levels = [0.0]\nn_pairs = 5000\nwarmup = 100\nreplications = 3\nseed = 9\nrole_coin = false\n"
        "demand = { kind = \"lognormal\", mean = 1.0, sigma = 0.5 }\n"
    )
    assert Scenario.from_toml(toml) == sc
    flat = tmp_path / "flat.toml"
    flat.write_text("arrival_rate = 0.2\nbaseline = { kind = \"setup\", c = 2.0 }\n")
    assert Scenario.from_toml(flat) == Scenario(arrival_rate=0.2, baseline=setup(2.0))
    bad = tmp_path / "bad.toml"
    bad.write_text("arival_rate = 0.2\n")
    with pytest.raises(ScenarioError, match="^arival_rate: unknown"):
        Scenario.from_toml(bad)
    with pytest.raises(ScenarioError, match="^path:"):
        Scenario.from_toml(tmp_path / "missing.toml")
    assert sc.replace(seed=10).seed == 10 and sc.replace(seed=10).discipline == "np"
    with pytest.raises(ScenarioError, match="^seed"):
        sc.replace(seed=-1)


@pytest.mark.parametrize(
    "demand",
    [Exponential(1.0), Exponential(2.5), TwoPoint(), TwoPoint(0.5, 3.0, 0.8), LogNormal(1.0, 0.7),
     Empirical((0.2, 0.5, 0.5, 1.0, 4.0))],
    ids=repr,
)
def test_demand_moments_and_classes_vs_sampling(demand):
    rng = np.random.default_rng(1)
    x = demand.sample(rng, 400_000)
    assert np.mean(x) == pytest.approx(demand.mean, rel=0.01)
    assert np.mean(x**2) == pytest.approx(demand.second_moment, rel=0.03)
    edges = demand.default_edges()
    cls = classify(x, edges)
    probs = demand.class_probs(edges)
    means = demand.class_means(edges)
    assert len(probs) == 2 and probs.sum() == pytest.approx(1.0) and np.all(probs > 0)
    for k in range(2):
        assert np.mean(cls == k) == pytest.approx(probs[k], abs=0.005)
        assert np.mean(x[cls == k]) == pytest.approx(means[k], rel=0.01)
    assert probs @ means == pytest.approx(demand.mean)


def test_demand_closed_forms():
    e = Exponential()
    assert e.median == pytest.approx(LN2)
    np.testing.assert_allclose(e.class_means((LN2,)), [1 - LN2, 1 + LN2])  # the two-point values
    ln = LogNormal(2.0, 0.5)
    assert float(ln.cdf(ln.median)) == pytest.approx(0.5)
    np.testing.assert_allclose(ln.class_probs((0.5, 1.0, 3.0)).sum(), 1.0)
    assert Deterministic(2.0).default_edges() == ()
    assert Scenario(demand=Deterministic(1.0)).num_classes == 1
    emp = Empirical((1.0, 1.0, 1.0, 2.0))
    assert emp.default_edges() == (1.0,)
    np.testing.assert_allclose(emp.class_probs(emp.default_edges()), [0.75, 0.25])
    # class k holds edges[k-1] < s <= edges[k]
    np.testing.assert_array_equal(classify([0.1, 0.5, 0.6, 2.0, 2.1], (0.5, 2.0)), [0, 0, 1, 1, 2])


def test_baselines():
    t = np.array([0.0, 0.5, 1.0, 3.0])
    np.testing.assert_allclose(setup(1.0).output(t), [0, 0, 0, 2.0])
    np.testing.assert_allclose(power(2).output(t), t**2)
    assert power(2).total(t) == pytest.approx(10.25)
    assert setup(1.0).check_convex() is not None and power(1).is_convex()
    with pytest.raises(BaselineError, match="^baseline: T must be convex"):
        power(0.5).check_convex()
    concave = Baseline(np.sqrt, name="sqrt")
    assert not concave.is_convex()
    with pytest.raises(BaselineError):
        concave.check_convex()
    assert Baseline(lambda x: np.exp(0.1 * x), name="exp").is_convex()
    scalar = Baseline(lambda x: max(0.0, x - 1.0), name="scalar")  # not vectorised: evaluated elementwise
    np.testing.assert_allclose(scalar.output(t), setup(1.0).output(t))
    with pytest.raises(BaselineError, match="^baseline.fn"):
        Baseline(lambda x: {}["boom"], name="broken").output(t)
    assert baseline_from_spec("setup(2)") == setup(2.0)
    assert baseline_from_spec("linear") == power(1.0)
    assert baseline_from_spec({"kind": "power", "k": 3}) == power(3)
    with pytest.raises(BaselineError, match="^baseline"):
        baseline_from_spec("log(2)")
    with pytest.raises(BaselineError, match="not finite"):
        Baseline(lambda x: np.full_like(x, np.nan), name="nan").output(np.ones(2))
    with pytest.raises(ScenarioError, match="^baseline: a callable"):
        Scenario.from_dict({"baseline": Baseline(np.sqrt, name="sqrt").to_dict()})


def test_draw_inputs_shapes_and_common_random_numbers():
    sc = Scenario(arrival_rate=0.4, n_pairs=1000, warmup=10, replications=4, seed=42)
    a = sc.draw_inputs(2)
    assert a.arrival.shape == (1000,) and a.demand.shape == (1000, 2) and a.cls.shape == (1000, 2)
    assert a.role.shape == (1000,) and a.uniforms.shape == (1000, 4) and (a.seed, a.replication) == (42, 2)
    assert np.all(np.diff(a.arrival) >= 0) and set(np.unique(a.role)) == {0, 1}
    np.testing.assert_array_equal(a.cls, sc.classify(a.demand))
    b = sc.draw_inputs(2)
    for f in ("arrival", "demand", "cls", "role", "uniforms"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    # the child of replication r does not depend on the number of replications
    c = sc.replace(replications=9).draw_inputs(2)
    np.testing.assert_array_equal(a.demand, c.demand)
    child = np.random.SeedSequence(42).spawn(4)[2]
    assert sc.seed_sequence(2).entropy == child.entropy and sc.seed_sequence(2).spawn_key == child.spawn_key
    assert not np.array_equal(sc.draw_inputs(1).demand, a.demand)
    assert not np.array_equal(sc.replace(seed=43).draw_inputs(2).demand, a.demand)
    # role coin off: roles zero, everything else unchanged
    d = sc.replace(role_coin=False).draw_inputs(2)
    assert not d.role.any()
    np.testing.assert_array_equal(a.uniforms, d.uniforms)
    with pytest.raises(ScenarioError, match="^replication"):
        sc.draw_inputs(4)
    # Poisson rate: mean inter-arrival 1/L
    big = Scenario(arrival_rate=0.4, n_pairs=200_000, warmup=0).draw_inputs(0)
    assert np.mean(np.diff(big.arrival)) == pytest.approx(2.5, rel=0.01)


def test_other_arrival_processes():
    det = Scenario(arrival_rate=0.5, arrival_process="deterministic", n_pairs=4, warmup=0).draw_inputs(0)
    np.testing.assert_allclose(det.arrival, [2.0, 4.0, 6.0, 8.0])
    tr = Scenario(arrival_process="trace", arrival_times=[0.0, 1.0, 1.0, 5.0], n_pairs=3, warmup=0)
    np.testing.assert_allclose(tr.draw_inputs(0).arrival, [0.0, 1.0, 1.0])
    assert tr.pair_rate == pytest.approx(2.0) and tr.utilisation == pytest.approx(2.0)


@given(work=st.lists(st.floats(0, 10), min_size=1, max_size=20))
def test_backlog_levels(work):
    sc = Scenario(backlog_levels=(0.0, 1.0), n_pairs=10, warmup=0)
    lv = sc.backlog_level(work)
    expected = [0 if w <= 0 else (1 if w <= 1.0 else 2) for w in work]
    np.testing.assert_array_equal(lv, expected)
    assert sc.num_backlog_levels == 3


def test_unknown_field_names_the_key_and_suggests_the_field(tmp_path):
    with pytest.raises(ScenarioError, match=r"^arival_rate: unknown scenario field \(did you mean 'arrival_rate'\?\)"):
        Scenario(arival_rate=0.2)  # the constructor too (was Python's bare TypeError)
    with pytest.raises(TypeError):  # ...and it is still a TypeError for callers that catch that
        Scenario(arival_rate=0.2)
    with pytest.raises(ScenarioError, match=r"^arival_rate: unknown scenario field \(did you mean 'arrival_rate'\?\)"):
        Scenario().replace(arival_rate=0.2)
    with pytest.raises(ScenarioError, match=r"^zzz: unknown scenario field; allowed fields are \['arrival_process'"):
        Scenario.from_dict({"zzz": 1})
    f = tmp_path / "typo.toml"
    f.write_text("[scenario]\narrival_rate = 0.2\nhandof_delay = 0.3\n")
    with pytest.raises(ScenarioError, match=r"^handof_delay: unknown scenario field \(did you mean 'handoff_delay'\?\)"):
        Scenario.from_toml(f)
    assert Scenario().replace(handoff_delay=0.3).handoff_delay == 0.3


def test_declared_convexity_is_checked_not_trusted():
    liar = Baseline(np.sqrt, name="sqrt", convex=True)  # concave, declared convex
    with pytest.raises(BaselineError, match=r"^baseline\.convex: declared True, but T = sqrt is not convex on \[0, 20\]"):
        liar.check_convex()
    assert Baseline(np.square, name="square", convex=True).check_convex().is_convex()
    assert not Baseline(np.square, name="square", convex=False).is_convex()  # a False declaration is taken as given
    with pytest.raises(BaselineError, match="^baseline.convex: must be True, False or None"):
        Baseline(np.square, convex="yes")
    # piecewise-linear with a concave kink at t = 2: second difference -h there
    kinked = Baseline(lambda x: np.minimum(x, 2.0), name="capped")
    assert not kinked.is_convex() and kinked.is_convex(t_max=1.5)  # linear below the kink


def test_scenarios_with_preset_baselines_pickle():
    import pickle

    for b in (setup(1.5), power(2), power(1.0)):
        sc = Scenario(arrival_rate=0.3, baseline=b, n_pairs=1000, warmup=10)
        back = pickle.loads(pickle.dumps(sc))  # was: Can't pickle local object 'setup.<locals>.fn'
        assert back == sc and back.baseline.name == b.name
        t = np.array([0.0, 0.5, 2.0, 4.0])
        np.testing.assert_array_equal(back.baseline.output(t), b.output(t))
