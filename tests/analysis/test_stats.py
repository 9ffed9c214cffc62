"""Statistics of the analysis: CIs, envelopes, equal-waiting gains, crossovers, critical visibility."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sst

from qcoord.analysis import AnalysisError, critical_visibility, estimate, gain_at_equal, lower_envelope, upper_envelope
from qcoord.analysis import crossing as crossover
from qcoord.compile import compile_game, solve
from qcoord.system import Scenario


def test_estimate_matches_t_interval():
    x = np.array([3.0, 4.0, 5.0, 7.0])
    e = estimate(x)
    lo, hi = sst.t.interval(0.95, 3, loc=x.mean(), scale=sst.sem(x))
    assert e.mean == pytest.approx(4.75)
    assert e.low == pytest.approx(lo) and e.high == pytest.approx(hi)
    assert e.excludes_zero() and not e.contains_zero()
    assert estimate([-1.0, 1.0]).contains_zero()
    assert estimate([np.nan, 2.0], drop_nonfinite=True).n == 1
    assert math.isnan(estimate([np.nan, 2.0]).mean)  # the default keeps every value


def test_one_replication_is_never_significant():
    # one replication has no spread estimate: the CI must not pretend to be exact
    e = estimate([0.3])
    assert e.n == 1 and e.half_width == math.inf and math.isnan(e.std)
    assert not e.excludes_zero() and e.contains_zero()
    g, per = gain_at_equal([[0.0, 2.0]], [[1.0, 3.0]], [1.0], [2.5])
    assert per.tolist() == [0.5] and g.mean == pytest.approx(0.5)
    assert not g.excludes_zero()
    empty = estimate([np.nan, np.inf], drop_nonfinite=True)
    assert empty.n == 0 and math.isnan(empty.mean) and not empty.excludes_zero() and not empty.contains_zero()
    assert set(estimate([1.0, 2.0]).to_dict()) == {"mean", "ci_low", "ci_high", "half_width", "n", "std"}


def test_upper_envelope_and_gain_on_a_known_frontier():
    # points on T = 1 + W up to W = 2, one dominated point, and one beyond the top
    w = np.array([0.0, 1.0, 2.0, 0.5, 3.0])
    t = np.array([1.0, 2.0, 3.0, 1.2, 2.5])
    we, te = upper_envelope(w, t)
    assert we.tolist() == [0.0, 2.0] and te.tolist() == [1.0, 3.0]
    g, per = gain_at_equal(w[None], t[None], [1.5], [2.75])
    assert g.mean == pytest.approx(0.25)
    # beyond the top: more waiting buys nothing
    g2, _ = gain_at_equal(w[None], t[None], [5.0], [3.0])
    assert g2.mean == pytest.approx(0.0)
    # left of every local point: not comparable
    g3, _ = gain_at_equal(w[None], t[None], [-1.0], [3.0])
    assert math.isnan(g3.mean)


def test_lower_envelope_and_waiting_saved():
    p = np.array([0.0, 0.5, 1.0, 0.5])
    w = np.array([0.34, 0.09, 0.0, 0.2])
    pe, we = lower_envelope(p, w)
    assert pe.tolist() == [0.0, 0.5, 1.0] and we.tolist() == [0.34, 0.09, 0.0]
    g, _ = gain_at_equal(p[None], w[None], [0.25], [0.2], envelope="lower")
    assert g.mean == pytest.approx((0.34 + 0.09) / 2 - 0.2)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 10), st.floats(0, 10)), min_size=1, max_size=12))
def test_envelope_dominates_every_point(pts):
    w = np.array([p[0] for p in pts])
    t = np.array([p[1] for p in pts])
    we, te = upper_envelope(w, t)
    assert np.all(np.diff(we) > 0) or we.size == 1
    assert np.all(np.diff(te) >= -1e-12)
    for wi, ti in zip(w, t):
        if wi >= we[0]:
            val = te[-1] if wi >= we[-1] else np.interp(wi, we, te)
            assert val >= ti - 1e-9


def test_gain_shapes_checked():
    with pytest.raises(AnalysisError, match="points"):
        gain_at_equal(np.zeros((2, 3)), np.zeros((2, 2)), [0, 0], [0, 0])


def test_crossover():
    assert crossover([0, 1, 2], [-1.0, -0.5, 0.5]) == pytest.approx(1.5)
    assert crossover([0, 1], [1.0, 2.0]) is None


def test_critical_visibility_closed_forms():
    # d = 0, lam = 0.5 is exactly CHSH: v* = 1/sqrt(2)
    sol0 = solve(compile_game(Scenario(handoff_delay=0.0), 0.5), restarts=4, seed=0, npa_level=None, nonsignaling=False)
    assert critical_visibility(sol0) == pytest.approx(1 / math.sqrt(2), abs=1e-5)
    sol = solve(compile_game(Scenario(handoff_delay=0.1), 0.5), restarts=4, seed=0, npa_level=None, nonsignaling=False)
    v = critical_visibility(sol)
    assert 0.8 < v < 0.85  # model.md: about 0.824
    # the noisy value at v* equals the classical value (linear in v)
    noisy = sol.compiled.game.value(sol.quantum.strategy.with_visibility(v).behaviour())
    assert noisy == pytest.approx(sol.classical_value, abs=1e-9)


def test_pareto_front_respects_points_below_chords():
    from qcoord.analysis.stats import pareto_front

    w = np.array([0.0, 1.0, 2.0, 1.5, 0.5])
    t = np.array([0.0, 0.2, 1.0, 0.1, -1.0])
    pw, pt = pareto_front(w, t)
    assert pw.tolist() == [0.0, 1.0, 2.0] and pt.tolist() == [0.0, 0.2, 1.0]
    g_p, _ = gain_at_equal(w[None], t[None], [1.0], [0.3])
    g_u, _ = gain_at_equal(w[None], t[None], [1.0], [0.3], envelope="upper")
    assert g_p.mean == pytest.approx(0.1)  # against the simulated point at W = 1
    assert g_u.mean == pytest.approx(-0.2)  # against the chord (0, 0) - (2, 1): conservative


def test_analysis_uses_the_system_estimate():
    import qcoord.analysis as qa
    import qcoord.system as qs

    assert qa.Estimate is qs.Estimate and qa.estimate is qs.estimate


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=2, max_size=12))
def test_excludes_zero_iff_t_test_rejects(xs):
    # independent method: the 95% t interval excludes 0 iff the two-sided one-sample t test rejects at 5%
    x = np.asarray(xs)
    sd = x.std(ddof=1)
    if sd < 1e-6 * max(1.0, abs(x.mean())):
        return  # no spread: the t statistic is undefined
    e = estimate(x)
    p = sst.ttest_1samp(x, 0.0).pvalue
    if abs(p - 0.05) > 1e-9:
        assert e.excludes_zero() == (p < 0.05)
        assert e.contains_zero() == (p > 0.05)
