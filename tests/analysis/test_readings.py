"""The readings of a Pareto gain on hand-made points with known envelopes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.analysis.readings import (
    restarts_at_equal_waiting,
    waiting_at_equal_restarts,
    throughput_at_equal_waiting,
    waiting_at_equal_split,
    waiting_at_equal_throughput,
)

# benchmark: (W, T) = (0, 1), (1, 2), (2, 2.5); concave
W = np.array([[0.0, 1.0, 2.0]])
T = np.array([[1.0, 2.0, 2.5]])


def test_throughput_at_equal_waiting_against_the_chord():
    # at W = 0.5 the envelope is 1.5; a target at 1.65 gains 10%
    assert throughput_at_equal_waiting(W, T, [0.5], [1.65])[0] == pytest.approx(0.1)
    # beyond the last point the envelope is flat at its top
    assert throughput_at_equal_waiting(W, T, [3.0], [2.5])[0] == pytest.approx(0.0)
    # waiting less than every benchmark point: not comparable
    assert np.isnan(throughput_at_equal_waiting(W, T, [-0.1], [1.0])[0])


def test_block_time_sharing_beats_per_pair_points_below_the_chord():
    # a dominated middle point does not lower the concave envelope; the Pareto front interpolates through it
    W2, T2 = np.array([[0.0, 1.0, 2.0]]), np.array([[1.0, 1.2, 3.0]])
    conc = throughput_at_equal_waiting(W2, T2, [1.0], [2.0])[0]
    par = throughput_at_equal_waiting(W2, T2, [1.0], [2.0], front="pareto")[0]
    assert conc == pytest.approx(0.0)  # envelope at W = 1 is 2.0
    assert par == pytest.approx(2.0 / 1.2 - 1)


def test_waiting_at_equal_throughput_inverts_the_envelope():
    # throughput 1.5 is reached by the envelope at W = 0.5; a target waiting 0.4 saves 20%
    assert waiting_at_equal_throughput(W, T, [0.4], [1.5])[0] == pytest.approx(0.2)
    # below the first point's throughput the benchmark needs its least waiting (0): nothing to save
    assert waiting_at_equal_throughput(W, T, [0.0], [0.9])[0] == pytest.approx(0.0) or np.isnan(
        waiting_at_equal_throughput(W, T, [0.0], [0.9])[0])
    # throughput no benchmark point reaches: undefined
    assert np.isnan(waiting_at_equal_throughput(W, T, [1.0], [2.6])[0])


def test_restarts_at_equal_waiting_uses_the_lower_envelope():
    Rr = np.array([[0.3, 0.2, 0.15]])
    # at W = 0.5 the envelope is 0.25; 0.2 restarts avoid 20%
    assert restarts_at_equal_waiting(W, Rr, [0.5], [0.2])[0] == pytest.approx(0.2)


def test_waiting_at_equal_restarts_reads_the_same_trade_the_other_way():
    Rr = np.array([[0.3, 0.2, 0.15]])
    # at 0.25 restarts the benchmark needs W = 0.5; a target waiting 0.4 there saves 20%
    assert waiting_at_equal_restarts(Rr, W, [0.25], [0.4])[0] == pytest.approx(0.2)
    # fewer restarts than any benchmark point: undefined; more than the least-waiting point needs: its waiting
    assert np.isnan(waiting_at_equal_restarts(Rr, W, [0.1], [1.0])[0])
    assert waiting_at_equal_restarts(np.array([[0.3, 0.2, 0.15]]), np.array([[0.1, 0.5, 1.0]]), [0.4], [0.05])[0] == pytest.approx(0.5)


def test_waiting_at_equal_split():
    P = np.array([[0.0, 0.5, 1.0]])
    Wp = np.array([[0.6, 0.3, 0.1]])
    assert waiting_at_equal_split(P, Wp, [0.25], [0.405])[0] == pytest.approx(0.1)
    assert np.isnan(waiting_at_equal_split(P, Wp, [1.2], [0.1])[0])


points = st.lists(st.tuples(st.floats(0, 5), st.floats(0.5, 5)), min_size=2, max_size=8)


@settings(max_examples=60, deadline=None)
@given(points)
def test_no_benchmark_point_gains_over_its_own_envelope(pts):
    w = np.array([[p[0] for p in pts]])
    t = np.array([[p[1] for p in pts]])
    for j in range(w.shape[1]):
        g = throughput_at_equal_waiting(w, t, w[:, j], t[:, j])[0]
        s = waiting_at_equal_throughput(w, t, w[:, j], t[:, j])[0]
        assert np.isnan(g) or g <= 1e-9
        assert np.isnan(s) or s <= 1e-9
