"""evaluate_point: one flat row per class, deterministic given the seed, gains against the concave envelope."""

from __future__ import annotations

import math

import pytest

from qcoord.analysis import AnalysisError, evaluate_point
from qcoord.system import Scenario, setup


def test_rows_are_flat_deterministic_and_name_every_reading():
    sc = Scenario(arrival_rate=0.1, baseline=setup(2.0), n_pairs=6_000, warmup=500, replications=3)
    classes = ("local", "entangled", "hold", "oracle")
    rows = evaluate_point(sc, classes, seed=11)
    again = evaluate_point(sc, classes, seed=11)
    assert [r["class"] for r in rows] == list(classes)
    for r, s in zip(rows, again):
        for k, v in r.items():
            assert (isinstance(v, float) and math.isnan(v) and math.isnan(s[k])) or v == s[k], k
            assert not isinstance(v, (dict, list)), k  # flat: a sweep store column each
    ent = {r["class"]: r for r in rows}["entangled"]
    for k in ("gain_equal_waiting", "gain_ci_low", "gain_ci_high", "gain_relative", "waiting_saved_equal_throughput",
              "restarts_avoided_equal_waiting", "waiting_saved_equal_split", "waiting_p95", "throughput_hw"):
        assert k in ent
    assert ent["gain_relative"] > 0 and ent["ill_defined"] == ""
    assert ent["classical_value"] == pytest.approx(-0.33921, abs=1e-5)


def test_unknown_class_is_a_clear_error():
    with pytest.raises(AnalysisError, match="classes"):
        evaluate_point(Scenario(n_pairs=2000, warmup=200, replications=2), ("psychic",))
