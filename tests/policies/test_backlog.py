"""The own-backlog decision pass: numba kernel == plain-Python reference; hand-built cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.policies import Correlated, LocalRule, PolicyError, SharedRandomness, backlog_pass, backlog_pass_reference
from qcoord.policies.correlated import sample_first, sample_second

from .conftest import TinyScenario, make_inputs

# Dyadic grids: every sum/difference is exact in binary floating point, so ties at thresholds are
# reproduced identically by both implementations (and they do occur).
grid = st.integers(0, 16).map(lambda k: k / 8.0)


@st.composite
def passes(draw):
    n = draw(st.integers(1, 30))
    L = draw(st.integers(1, 3))
    gaps = draw(st.lists(grid, min_size=n, max_size=n))
    arrival = np.cumsum(gaps)
    demand = np.array(draw(st.lists(st.tuples(grid, grid), min_size=n, max_size=n)), dtype=float).reshape(n, 2)
    table = np.array(draw(st.lists(st.integers(0, 1), min_size=n * 2 * L * L, max_size=n * 2 * L * L)), dtype=np.int8)
    d = draw(grid)
    Dm = draw(grid)
    choices = [0.0, d, Dm, Dm + d]
    off = np.array(draw(st.lists(st.sampled_from(choices), min_size=n * 4, max_size=n * 4))).reshape(n, 2, 2)
    thr = sorted(draw(st.sets(grid, min_size=L - 1, max_size=L - 1)))
    return arrival, demand, table.reshape(n, 2, L, L), off, np.array(thr)


@settings(max_examples=60, deadline=None)
@given(passes())
def test_kernel_equals_reference(case):
    dec, lev = backlog_pass(*case)
    dec_r, lev_r = backlog_pass_reference(*case)
    np.testing.assert_array_equal(lev, lev_r)
    np.testing.assert_array_equal(dec, dec_r)


def test_kernel_equals_reference_continuous():
    rng = np.random.default_rng(11)
    n, L = 400, 3
    arrival = np.cumsum(rng.exponential(1 / 0.8, n))
    demand = rng.exponential(1.0, (n, 2))
    table = rng.integers(0, 2, (n, 2, L, L)).astype(np.int8)
    off = np.where(rng.random((n, 2, 2)) < 0.5, 0.1, 0.6)
    args = (arrival, demand, table, off, np.array([0.0, 1.0]))
    d1, l1 = backlog_pass(*args)
    d2, l2 = backlog_pass_reference(*args)
    np.testing.assert_array_equal(l1, l2)
    np.testing.assert_array_equal(d1, d2)
    assert set(np.unique(l1)) == {0, 1, 2}  # every level visited


def test_busy_flag_forward_iff_busy():
    # question = class * 2 + level; "forward iff busy" for both classes
    rule = LocalRule((0, 1, 0, 1))
    inp = make_inputs([0.0, 0.05, 3.0], [[0, 1], [1, 0], [0, 0]], [0, 0, 0])
    r = rule.route(inp, TinyScenario(backlog_levels=(0.0,)))
    assert r.level.tolist() == [[0, 0], [1, 1], [0, 0]]
    assert r.decision.tolist() == [[0, 0], [1, 1], [0, 0]]
    np.testing.assert_allclose(r.release, [[0, 0], [0.15, 0.15], [3, 3]])


def test_customers_in_transit_join_at_release():
    # short (class 0): forward iff idle; long (class 1): always keep
    rule = LocalRule((1, 0, 0, 0))
    inp = make_inputs(
        [0.0, 0.05, 0.12, 0.2], [[1, 0], [0, 0], [0, 0], [0, 0]], [0, 0, 0, 0],
        demand=[[1.0, 0.3], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]],
    )
    r = rule.route(inp, TinyScenario(backlog_levels=(0.0,)))
    # p0 both idle: s0 keeps its long one, s1 forwards its short one (joins s0 at 0.1)
    # p1 at 0.05: s0 busy -> keeps; s1 idle (its customer is in transit to s0) -> forwards (joins s0 at 0.15)
    # p2 at 0.12: s0 busy -> keeps; s1 still idle -> forwards (joins s0 at 0.22)
    # p3 at 0.2: s1 idle again, s0 busy
    assert r.level.tolist() == [[0, 0], [1, 0], [1, 0], [1, 0]]
    assert r.decision.tolist() == [[0, 1], [0, 1], [0, 1], [0, 1]]


def test_thresholds_count_strictly_exceeded_levels():
    # workload of server 0 at t=1 is exactly 1.0 (demand 2 kept at t=0): not > 1.0 -> level 1 of (0, 1)
    rule = LocalRule((0,) * 6)
    inp = make_inputs([0.0, 1.0, 1.5], [[0, 0]] * 3, [0, 0, 0], demand=[[2.0, 0.5], [1.0, 1.0], [1.0, 1.0]])
    r = rule.route(inp, TinyScenario(backlog_levels=(0.0, 1.0)))
    assert r.level.tolist() == [[0, 0], [1, 0], [2, 1]]


def test_class_only_rule_skips_pass():
    rule = LocalRule((0, 1))  # class questions only
    inp = make_inputs([0.0, 0.05], [[0, 1], [1, 0]], [0, 0])
    r = rule.route(inp, TinyScenario(backlog_levels=(0.0,)))
    assert r.level.tolist() == [[0, 0], [0, 0]]  # not observed
    assert not rule.uses_levels(2, 2) and LocalRule((0, 1, 0, 1)).uses_levels(2, 2)


def test_correlated_with_backlog_questions_matches_direct_sampling():
    rng = np.random.default_rng(3)
    n = 3000
    inp = make_inputs(np.cumsum(rng.exponential(1 / 0.6, n)), rng.integers(0, 2, (n, 2)), rng.integers(0, 2, n), rng.exponential(1.0, (n, 2)), seed=3)
    # a correlated no-signalling box: a random mixture of 5 deterministic strategies on 4 questions
    g = np.random.default_rng(4)
    w = g.dirichlet(np.ones(5))
    f, h = g.integers(0, 2, (5, 4)), g.integers(0, 2, (5, 4))
    beh = np.zeros((2, 2, 4, 4))
    for k in range(5):
        beh[f[k][:, None], h[k][None, :], np.arange(4)[:, None], np.arange(4)[None, :]] += w[k]
    pol = Correlated(beh)
    r = pol.route(inp, TinyScenario(backlog_levels=(0.0,)))
    assert r.level.max() == 1 and r.level.min() == 0
    # recompute decisions from the realised levels with the samplers directly
    sa = inp.role.astype(int)
    rows = np.arange(n)
    x = inp.cls[rows, sa] * 2 + r.level[rows, sa]
    y = inp.cls[rows, 1 - sa] * 2 + r.level[rows, 1 - sa]
    a = sample_first(beh, x, inp.uniforms[:, 1])
    b = sample_second(beh, x, a.astype(int), y, inp.uniforms[:, 2])
    np.testing.assert_array_equal(r.decision[rows, sa], a)
    np.testing.assert_array_equal(r.decision[rows, 1 - sa], b)


def test_bad_backlog_inputs():
    z = np.zeros((1, 2))
    with pytest.raises(PolicyError, match="table"):
        backlog_pass([0.0], z, np.zeros((1, 2, 1, 1), np.int8), np.zeros((1, 2, 2)), [0.0])
    with pytest.raises(PolicyError, match="arrival"):
        backlog_pass([1.0, 0.0], np.zeros((2, 2)), np.zeros((2, 2, 1, 1), np.int8), np.zeros((2, 2, 2)), [])
    with pytest.raises(PolicyError, match="backlog_levels"):
        backlog_pass([0.0], z, np.zeros((1, 2, 3, 3), np.int8), np.zeros((1, 2, 2)), [1.0, 0.5])


def test_entangled_with_busy_flag_questions_matches_direct_sampling():
    from qcoord.entanglement import LocalMeasurements, partially_entangled, sampler
    from qcoord.policies import Entangled

    # 4 questions (class, busy) per party: Bloch angles per question
    strat = LocalMeasurements.from_bloch_angles([0.1, 0.9, 1.7, 2.5], [0.4, -0.3, 1.2, -1.1]).strategy(partially_entangled(0.7))
    rng = np.random.default_rng(8)
    n = 3000
    inp = make_inputs(np.cumsum(rng.exponential(1 / 0.6, n)), rng.integers(0, 2, (n, 2)), rng.integers(0, 2, n), rng.exponential(1.0, (n, 2)), seed=8)
    r = Entangled(strat).route(inp, TinyScenario(backlog_levels=(0.0,)))
    assert 0 < r.level.mean() < 1
    rows = np.arange(n)
    sa = inp.role.astype(int)
    x = inp.cls[rows, sa] * 2 + r.level[rows, sa]
    y = inp.cls[rows, 1 - sa] * 2 + r.level[rows, 1 - sa]
    a, b = sampler(strat).sample(x, y, uniforms=inp.uniforms[:, 1:3])
    np.testing.assert_array_equal(r.decision[rows, sa], a)
    np.testing.assert_array_equal(r.decision[rows, 1 - sa], b)


@pytest.mark.parametrize("discipline", ["fcfs", "srpt"])
def test_levels_match_the_simulated_queues(discipline):
    """Independent check with qcoord.system's event-driven queues.

    Work-conserving server: its unfinished work at t is max(0, (time it would empty with no later
    arrivals) - t). Under FCFS that emptying time is the largest completion among customers released
    by t (later arrivals queue behind them); under any work-conserving discipline the server is busy
    at t iff some customer released by t completes after t.
    """
    from qcoord.system import Scenario
    from qcoord.system.simulate import run_servers

    thresholds = (0.0, 1.0) if discipline == "fcfs" else (0.0,)
    sc = Scenario(arrival_rate=0.6, n_pairs=3000, warmup=0, replications=1, seed=5, backlog_levels=thresholds, discipline=discipline)
    inp = sc.draw_inputs(0)
    nl = len(thresholds) + 1
    table = np.random.default_rng(1).integers(0, 2, 2 * nl)  # random (class, level) rule
    r = LocalRule(table).route(inp, sc)
    assert len(np.unique(r.level)) == nl
    comp = run_servers(inp, r, discipline).completion
    for s in (0, 1):
        mask_s = r.dest == s
        rel, cmp = r.release[mask_s], comp[mask_s]
        pair_of = np.nonzero(mask_s)[0]
        for i in range(inp.n):
            t = inp.arrival[i]
            seen = (rel <= t) & (pair_of < i)
            last = cmp[seen].max() if seen.any() else -np.inf
            if discipline == "fcfs":
                w = max(0.0, last - t)
                expected = sum(w > th for th in thresholds)
            else:
                expected = int(bool(((cmp > t) & seen).any()))
            assert r.level[i, s] == expected, (s, i, t)


def test_separable_shortcut_equals_full_hypothetical_table():
    rng = np.random.default_rng(12)
    n = 2000
    inp = make_inputs(np.cumsum(rng.exponential(1 / 0.7, n)), rng.integers(0, 3, (n, 2)), rng.integers(0, 2, n), rng.exponential(1.0, (n, 2)), seed=12)
    sc = TinyScenario(num_classes=3, backlog_levels=(0.0, 0.8))
    mix = SharedRandomness([LocalRule(rng.integers(0, 2, 9), rng.integers(0, 2, 9)), LocalRule(rng.integers(0, 2, 9))], [0.4, 0.6])
    fast = mix.route(inp, sc)
    mix.separable_levels = False  # instance override: all L^2 combinations
    slow = mix.route(inp, sc)
    assert len(np.unique(fast.level)) == 3
    np.testing.assert_array_equal(fast.decision, slow.decision)
    np.testing.assert_array_equal(fast.level, slow.level)


def test_pending_buffer_grows_beyond_initial_capacity():
    # 150 pairs within 0.15 time units, every customer held for 1.0: ~300 releases pending at once
    n = 150
    rng = np.random.default_rng(13)
    arrival = np.arange(n) * 0.001
    demand = rng.exponential(1.0, (n, 2))
    table = rng.integers(0, 2, (n, 2, 2, 2)).astype(np.int8)
    off = np.full((n, 2, 2), 1.0)
    off[-5:] = 0.0
    args = (np.concatenate([arrival, [2.0, 2.5]]), np.vstack([demand, [[1, 1], [1, 1]]]),
            np.concatenate([table, np.ones((2, 2, 2, 2), np.int8)]), np.concatenate([off, np.zeros((2, 2, 2))]), np.array([0.0]))
    d1, l1 = backlog_pass(*args)
    d2, l2 = backlog_pass_reference(*args)
    np.testing.assert_array_equal(l1, l2)
    np.testing.assert_array_equal(d1, d2)
    assert l1[-2:].tolist() == [[1, 1], [1, 1]]  # the held work arrived by t = 2
