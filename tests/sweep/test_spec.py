"""Sweep specs: parsing, range expansion, point keys and seeds, clear errors for malformed specs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcoord.sweep import SweepSpec, SweepSpecError, load_spec, point_seed

BASE = {"seed": 5, "replications": 2, "classes": ["local", "entangled"], "base": {"n_pairs": 1000}}


def make(**over):
    d = {**BASE, **over}
    return SweepSpec.from_dict(d)


def test_expansion_order_ranges_and_dotted_axes():
    spec = make(base={"n_pairs": 1000, "baseline": {"kind": "setup", "c": 1.0}},
                axes={"arrival_rate": [0.1, 0.3],
                      "handoff_delay": {"start": 0.0, "stop": 0.3, "num": 4},
                      "message_latency": {"start": 0.01, "stop": 1.0, "num": 3, "log": True},
                      "baseline.c": [0.5, 2.0]})
    assert spec.shape == (2, 4, 3, 2) and spec.n_points == 48
    assert spec.axes[1].values == (0.0, 0.1, 0.2, 0.3)  # cleaned linspace, end points included
    assert spec.axes[2].values == pytest.approx((0.01, 0.1, 1.0), rel=1e-12)
    pts = spec.points()
    # Row-major: last axis fastest.
    assert pts[0].axes == {"arrival_rate": 0.1, "handoff_delay": 0.0, "message_latency": 0.01, "baseline.c": 0.5}
    assert pts[1].axes["baseline.c"] == 2.0 and pts[1].axes["message_latency"] == 0.01
    assert pts[-1].axes == {"arrival_rate": 0.3, "handoff_delay": 0.3, "message_latency": 1.0, "baseline.c": 2.0}
    # Axis values land in the scenario; the dotted one inside the nested table; the base is untouched.
    assert pts[1].scenario["baseline"] == {"kind": "setup", "c": 2.0}
    assert pts[-1].scenario["arrival_rate"] == 0.3 and pts[-1].scenario["n_pairs"] == 1000
    assert spec.base["baseline"]["c"] == 1.0
    assert len({p.key for p in pts}) == 48 and len({p.seed for p in pts}) == 48
    assert all(spec.point(i).key == pts[i].key for i in range(48))


def test_integer_range_and_no_axes():
    spec = make(axes={"n_pairs": {"start": 1000, "stop": 3000, "num": 3, "integer": True}})
    assert spec.axes[0].values == (1000, 2000, 3000) and all(isinstance(v, int) for v in spec.axes[0].values)
    single = make()
    assert single.n_points == 1 and single.points()[0].scenario == {"n_pairs": 1000}


def test_point_seed_is_the_spawned_child():
    kids = np.random.SeedSequence(123).spawn(5)
    for i, kid in enumerate(kids):
        assert point_seed(123, i) == int(kid.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    assert point_seed(123, 0) != point_seed(124, 0)
    assert 0 <= point_seed(2**40, 7) < 2**63


def test_point_key_is_stable_and_depends_on_what_determines_the_numbers():
    a = make(axes={"arrival_rate": [0.1, 0.2]})
    b = make(axes={"arrival_rate": [0.1, 0.2]})
    assert [p.key for p in a.points()] == [p.key for p in b.points()]
    assert a.spec_hash == b.spec_hash
    for other in (make(axes={"arrival_rate": [0.1, 0.2]}, seed=6),
                  make(axes={"arrival_rate": [0.1, 0.2]}, replications=3),
                  make(axes={"arrival_rate": [0.1, 0.2]}, classes=["local"])):
        assert other.points()[0].key != a.points()[0].key
        assert other.spec_hash != a.spec_hash


def test_toml_file_with_base_file(tmp_path):
    (tmp_path / "scen.toml").write_text("[scenario]\narrival_rate = 0.2\nhandoff_delay = 0.1\n")
    (tmp_path / "s.toml").write_text(
        'name = "t"\nseed = 1\nreplications = 3\nclasses = ["local"]\nbase = "scen.toml"\n'
        "[axes]\nhandoff_delay = [0.0, 0.05]\n")
    spec = load_spec(tmp_path / "s.toml")
    assert spec.base == {"arrival_rate": 0.2, "handoff_delay": 0.1}
    assert [p.scenario["handoff_delay"] for p in spec.points()] == [0.0, 0.05]
    assert SweepSpec.from_dict(spec.to_dict()).spec_hash == spec.spec_hash


@pytest.mark.parametrize(
    "over, field",
    [
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"replications": 0}, "replications"),
        ({"replications": True}, "replications"),
        ({"classes": []}, "classes"),
        ({"classes": "local"}, "classes"),
        ({"classes": ["local", "local"]}, "classes"),
        ({"classes": ["local", ""]}, "classes[1]"),
        ({"bogus": 1}, "bogus"),
        ({"base": 3}, "base"),
        ({"base": {"seed": 3}}, "base.seed"),
        ({"axes": [1, 2]}, "axes"),
        ({"axes": {"arrival_rate": []}}, "axes.arrival_rate"),
        ({"axes": {"arrival_rate": 0.3}}, "axes.arrival_rate"),
        ({"axes": {"arrival_rate": [0.1, 0.1]}}, "axes.arrival_rate"),
        ({"axes": {"arrival_rate": {"start": 0.1, "stop": 0.5}}}, "axes.arrival_rate.num"),
        ({"axes": {"arrival_rate": {"start": 0.1, "stop": 0.5, "num": 0}}}, "axes.arrival_rate.num"),
        ({"axes": {"arrival_rate": {"start": "a", "stop": 0.5, "num": 3}}}, "axes.arrival_rate.start"),
        ({"axes": {"arrival_rate": {"start": 0.0, "stop": 0.5, "num": 3, "log": True}}}, "axes.arrival_rate.start"),
        ({"axes": {"arrival_rate": {"start": 0.1, "stop": 0.5, "num": 3, "step": 1}}}, "axes.arrival_rate.step"),
        ({"axes": {"seed": [1, 2]}}, "axes.seed"),
        ({"axes": {"replications": [1, 2]}}, "axes.replications"),
        ({"axes": {"baseline.c": [1.0, 2.0]}}, 'axes."baseline.c"'),
        ({"axes": {"n_pairs": {"start": 1, "stop": 2, "num": 5, "integer": True}}}, "axes.n_pairs"),
    ],
)
def test_malformed_specs_name_the_field(over, field):
    with pytest.raises(SweepSpecError) as info:
        make(**over)
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(field + ":"), str(info.value)


def test_missing_required_fields(tmp_path):
    for key in ("seed", "replications", "classes"):
        d = dict(BASE)
        del d[key]
        with pytest.raises(SweepSpecError, match=f"^{key}: missing"):
            SweepSpec.from_dict(d)
    with pytest.raises(SweepSpecError, match="^spec: file not found"):
        load_spec(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = = 1\n")
    with pytest.raises(SweepSpecError, match="^spec: .* is not valid TOML"):
        load_spec(bad)
    with pytest.raises(SweepSpecError, match="^base: scenario file not found"):
        make(base="nope.toml")


def test_unknown_scenario_field_is_rejected_when_the_simulator_is_present():
    try:
        from qcoord.system import Scenario  # noqa: F401
    except ImportError:
        pytest.skip("qcoord.system.Scenario not available yet")
    with pytest.raises(SweepSpecError, match="^axes.arival_rate: not a Scenario field"):
        make(axes={"arival_rate": [0.1]})


axis_values = st.lists(st.floats(-1e3, 1e3, allow_nan=False, width=32), min_size=1, max_size=4, unique=True)


@given(st.lists(axis_values, min_size=0, max_size=3))
def test_expansion_is_the_cartesian_product(value_lists):
    names = ["arrival_rate", "handoff_delay", "message_latency"][: len(value_lists)]
    spec = make(axes=dict(zip(names, value_lists)))
    pts = spec.points()
    assert len(pts) == spec.n_points == math.prod(len(v) for v in value_lists)
    combos = [tuple(p.axes[n] for n in names) for p in pts]
    assert combos == list(itertools.product(*value_lists))
    assert len({p.key for p in pts}) == len(pts)
    for i in {0, len(pts) - 1}:
        assert spec.point(i).key == pts[i].key and spec.point(i).seed == pts[i].seed


@pytest.mark.parametrize("name", ["sweep_small.toml", "sweep_load_delay.toml", "sweep_visibility_convexity.toml"])
def test_example_specs_are_valid(name):
    from pathlib import Path

    spec = load_spec(Path(__file__).resolve().parents[2] / "examples" / "sweeps" / name)
    assert spec.n_points >= 6 and set(spec.classes) >= {"local", "entangled"}
    try:
        from qcoord.system import Scenario
    except ImportError:  # pragma: no cover
        return
    for i in (0, spec.n_points - 1):  # every point is a valid scenario
        Scenario.from_dict(spec.point(i).scenario)


def test_evaluator_options_in_spec():
    spec = make(evaluate={"lam": 0.5}, axes={"evaluate.visibility": [0.8, 1.0], "arrival_rate": [0.1]})
    p = spec.points()
    assert [q.options for q in p] == [{"lam": 0.5, "visibility": 0.8}, {"lam": 0.5, "visibility": 1.0}]
    assert "visibility" not in p[0].scenario and p[0].key != p[1].key
    for bad, field in (({"evaluate": {"seed": 1}}, "evaluate.seed"), ({"evaluate": 3}, "evaluate"),
                       ({"axes": {"evaluate.a.b": [1]}}, 'axes."evaluate.a.b"'),
                       ({"axes": {"evaluate.progress": [1]}}, 'axes."evaluate.progress"')):
        with pytest.raises(SweepSpecError, match=f"^{field}:".replace(".", r"\.")):
            make(**bad)


def test_base_file_like_the_default_scenario(tmp_path):
    """[scenario] plus other tables; its seed and replications give way to the sweep's; the baseline
    shorthand "setup(2)" is expanded so that a dotted axis can vary its parameter."""
    (tmp_path / "scen.toml").write_text(
        '[scenario]\narrival_rate = 0.1\nbaseline = "setup(2)"\nseed = 3\nreplications = 10\n[study]\nlam = 0.5\n')
    spec = SweepSpec.from_dict(
        {**BASE, "base": "scen.toml", "axes": {"baseline.c": [1.0, 3.0]}}, base_dir=tmp_path)
    assert spec.base == {"arrival_rate": 0.1, "baseline": {"kind": "setup", "c": 2.0}}
    assert [p.scenario["baseline"] for p in spec.points()] == [{"kind": "setup", "c": 1.0}, {"kind": "setup", "c": 3.0}]
    with pytest.raises(SweepSpecError, match="^base.baseline: "):
        make(base={"baseline": "cubic(2)"}, axes={"baseline.c": [1.0]})


def test_unquoted_dotted_axis_names(tmp_path):
    (tmp_path / "s.toml").write_text(
        'seed = 1\nreplications = 2\nclasses = ["local"]\n[base]\nbaseline = { kind = "power", k = 2.0 }\n'
        "[axes]\nbaseline.k = [1.0, 2.0]\nevaluate.visibility = { start = 0.8, stop = 1.0, num = 3 }\n")
    spec = load_spec(tmp_path / "s.toml")
    assert spec.axis_names == ("baseline.k", "evaluate.visibility")
    assert spec.axes[1].values == (0.8, 0.9, 1.0)
    assert spec.points()[5].scenario["baseline"] == {"kind": "power", "k": 2.0}
    assert spec.points()[5].options == {"visibility": 1.0}


def test_deeply_nested_or_binary_spec_is_a_clear_error(tmp_path):
    from qcoord.sweep import load_spec

    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(SweepSpecError, match=r"^spec: .*deep\.toml is nested too deeply"):
        load_spec(deep)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\x00\xff\xfe" * 100)
    with pytest.raises(SweepSpecError, match=r"^spec: .*bin\.toml is not a text"):
        load_spec(binary)
