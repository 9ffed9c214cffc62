"""Verdict rules: a gain only when the paired CI lies above zero and the effect is not practically zero."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcoord.analysis import RULES, Rules, Verdict, direction
from qcoord.system import Estimate


def E(mean, hw, n=10):
    return Estimate(mean, hw, n, 1.0)


def test_direction_reads_the_ci():
    assert direction(E(0.01, 0.005)) == "gain"
    assert direction(E(-0.01, 0.005)) == "loss"
    assert direction(E(0.01, 0.02)) == "no significant difference"
    assert direction(E(-0.01, 0.02)) == "no significant difference"


def test_practically_zero_effects_are_no_difference_even_with_a_tight_ci():
    # window-edge effects: tiny, deterministic, a CI that excludes zero
    assert direction(E(2e-8, 1e-9)) == "no significant difference"
    assert direction(E(-RULES.practical_zero / 2, 0.0)) == "no significant difference"
    assert direction(E(2e-8, 1e-9), Rules(practical_zero=0.0)) == "gain"


def test_undefined_estimates():
    assert direction(None) == "undefined"
    assert direction(Estimate(float("nan"), float("nan"), 0, float("nan"))) == "undefined"
    # one replication: infinite half width, never significant
    assert direction(Estimate(0.5, math.inf, 1, float("nan"))) == "no significant difference"


@given(st.floats(-1, 1), st.floats(0, 1))
def test_gain_iff_interval_above_zero(mean, hw):
    d = direction(E(mean, hw))
    if d == "gain":
        assert mean - hw > 0 and mean > RULES.practical_zero
    if d == "loss":
        assert mean + hw < 0 and mean < -RULES.practical_zero
    if mean - hw > 0 and mean > RULES.practical_zero:
        assert d == "gain"


def test_verdict_needs_a_status_and_a_reason():
    assert Verdict("held", "because").held is True
    assert Verdict("not held", "because").held is False
    assert Verdict("undefined", "because").held is None
    with pytest.raises(ValueError, match="status"):
        Verdict("won", "because")
    with pytest.raises(ValueError, match="reason"):
        Verdict("held", "")


def test_rules_are_printed_from_one_place():
    d = RULES.to_dict()
    assert d["confidence"] == 0.95 and d["practical_zero"] == 1e-4 and set(d) >= {"max_idle_fraction", "horizon_rtol"}
