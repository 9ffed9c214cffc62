"""End to end on reduced runs: the default study, its report, and the controls that must show nothing."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcoord.analysis import QUICK, run_study, write_report
from qcoord.analysis.report import GLOSSARY, SUMMARY_FORMAT, est, pct, render_markdown, summary
from qcoord.cli.demo import load_scenario_file
from qcoord.system import Estimate, power

NUMBER_WORDS = re.compile(r"\b(nan|inf|NaN|Infinity)\b")


@pytest.fixture(scope="module")
def default_study():
    sc, _ = load_scenario_file(None)
    return run_study(sc, QUICK, quick=True)


def test_default_study_headline_and_verdicts(default_study):
    s = default_study
    o = s.outcome("claim1_convex")
    g = o.measurement.all_local
    assert o.verdict.status == "held"
    # the first study's range: +0.2% .. +0.5% throughput at equal waiting against the concave envelope
    assert 0.001 < g.throughput.mean < 0.006 and g.throughput.low > 0
    # the other readings of the same Pareto gain are larger
    assert g.readings["waiting_at_equal_throughput"].mean > 10 * g.throughput.mean
    assert g.readings["restarts_at_equal_waiting"].low > 0
    assert s.outcome("control2_linear").verdict.status == "held"
    assert s.outcome("claim7_np").verdict.status == "held"
    c6 = s.outcome("claim6_latency").measurement
    assert set(c6.crossover_entangled) == {"naive", "hold"} and set(c6.crossover_local) == {"naive", "hold"}
    # every outcome has a verdict with a reason; scope outcomes say gain / loss / no significant difference
    for out in s.outcomes:
        assert out.verdict.reason
        if out.claim.kind == "scope" and out.measurement is not None:
            assert out.verdict.outcome in ("gain", "loss", "no significant difference")


def test_report_files_summary_schema_and_no_nan(default_study, tmp_path):
    paths = write_report(tmp_path, default_study)
    for name in ("report.md", "summary.json", "frontier.png", "gain_vs_visibility.png", "gain_vs_delay.png"):
        assert paths[name].is_file() and paths[name].stat().st_size > 0
    data = json.loads((tmp_path / "summary.json").read_text())  # strict JSON
    assert data["format"] == SUMMARY_FORMAT
    assert data["rules"]["practical_zero"] == 1e-4 and isinstance(data["seed"], int)
    for c in data["claims"]:
        assert set(c) >= {"key", "kind", "title", "control", "verdict", "measurement", "seconds"}
        assert c["verdict"]["status"] in ("held", "not held", "undefined") and c["verdict"]["reason"]
        assert c["seconds"] >= 0
    assert any(c["seconds"] > 0 for c in data["claims"])
    rows = {r["class"]: r for r in data["strategy_classes"]}
    assert {"local", "local_asym", "shared", "entangled", "naive", "hold", "oracle"} <= set(rows)
    assert rows["entangled"]["waiting_p95"]["mean"] > rows["local"]["waiting_p95"]["mean"]  # a user must see this
    md = (tmp_path / "report.md").read_text()
    assert not NUMBER_WORDS.search(md)
    assert md.index("## Summary") < md.index("## Glossary") < md.index("## Parameters")
    for term, _ in GLOSSARY:
        assert f"**{term}**" in md
    assert "p50 / p95 / p99" in md and "model.md" in md
    assert "{'" not in md  # no dict dumps
    # the headline names both readings with their CIs
    head = md.split("## Summary")[1].split("##")[0]
    assert "at equal throughput" in head and "at equal mean waiting" in head and "[" in head


def _summary_numbers(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _summary_numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _summary_numbers(v)
    elif isinstance(obj, float):
        yield obj


def test_summary_has_no_non_finite_number(default_study):
    data = summary(default_study)
    json.dumps(data, allow_nan=False)
    assert all(np.isfinite(x) for x in _summary_numbers(data))


finite_or_not = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(float("nan")), st.just(float("inf")))


@given(finite_or_not, finite_or_not, st.integers(0, 20))
def test_formatting_never_prints_nan_or_inf(mean, hw, n):
    e = Estimate(mean, hw, n, 1.0)
    for text in (pct(e), est(e), pct(e.to_dict()), est(e.to_dict())):
        assert not NUMBER_WORDS.search(text), text


@pytest.mark.slow
@pytest.mark.parametrize("case", ["np", "linear"])
def test_controls_show_no_significant_gain_for_every_advantage_claim_and_scope_item(case):
    sc, _ = load_scenario_file(None)
    sc = sc.replace(discipline="np") if case == "np" else sc.replace(baseline=power(1.0))
    s = run_study(sc, QUICK, quick=True)
    for o in s.outcomes:
        if o.claim.kind == "advantage":
            assert o.verdict.status != "held", (o.claim.key, o.verdict.reason)
        if o.claim.kind == "scope":
            assert o.verdict.outcome != "gain", (o.claim.key, o.verdict.reason)
    md = render_markdown(s)
    assert not NUMBER_WORDS.search(md)
    if case == "linear":
        assert "premise fails" in s.outcome("claim1_convex").verdict.reason


def test_visibility_below_critical_gives_no_gain(default_study):
    m = default_study.outcome("claim5_visibility").measurement
    from qcoord.analysis import direction

    below = [g for v, g in zip(m.visibilities, m.gains) if v < m.critical]
    assert below and all(direction(g) != "gain" for g in below)
