"""StreamingSource: latency law, one pair per request, the explicit time-tag protocol."""

import math

import numpy as np
import pytest
from scipy import stats

from qcoord.entanglement import EntanglementError, StreamingSource
from qcoord.entanglement import _kernels


def test_isolated_latency_is_exponential_with_rate_r_eta_eta():
    src = StreamingSource(rate=50.0, eta_a=0.3, eta_b=0.5)
    rc = 50.0 * 0.3 * 0.5
    t = 10.0 * np.arange(1, 20_001)  # spacing >> 1/rc: every request is isolated
    d = src.schedule(t, np.random.SeedSequence(1))
    assert stats.kstest(d.latency, "expon", args=(0, 1 / rc)).pvalue > 1e-3
    assert math.isclose(src.coincidence_rate, rc) and math.isclose(src.mean_latency, 1 / rc)
    # a wrong rate (e.g. r * eta_A only) is rejected by the same test
    assert stats.kstest(d.latency, "expon", args=(0, 1 / (50.0 * 0.3))).pvalue < 1e-6


def test_poisson_requests_latency_is_mm1_sojourn():
    """Requests Poisson(lam), each takes the next unused coincidence: an M/M/1 queue served by
    coincidences; the FCFS sojourn time (the added latency) is Exp(rc - lam)."""
    rc, lam, n = 2.0, 1.2, 200_000
    rng = np.random.default_rng(np.random.SeedSequence(2))
    t = np.cumsum(rng.exponential(1 / lam, n))
    d = StreamingSource(rate=rc).schedule(t, rng)
    lat = d.latency[n // 10 :]  # drop the start-up transient
    assert abs(lat.mean() - 1 / (rc - lam)) < 0.05 / (rc - lam)
    assert stats.kstest(lat[::20], "expon", args=(0, 1 / (rc - lam))).pvalue > 1e-3  # thinned: less correlated


def test_each_pair_used_once_even_for_simultaneous_requests():
    src = StreamingSource(rate=5.0, eta_a=0.9, eta_b=0.8, visibility=0.93)
    t = np.array([1.0, 1.0, 1.0, 1.0001, 3.0, 3.0])
    d = src.schedule(t, 3)
    assert len(np.unique(d.pair_id)) == t.size
    assert np.all(np.diff(d.pair_time) > 0) and np.all(np.diff(d.pair_id) > 0)
    assert np.all(d.latency >= 0) and np.allclose(d.pair_time - t, d.latency)
    assert np.all(d.visibility == 0.93) and not d.fallback.any()


def test_stats_identities_and_input_order():
    src = StreamingSource(rate=20.0, eta_a=0.5, eta_b=0.5)
    rng = np.random.default_rng(4)
    t = rng.uniform(0, 1000, 5_000)  # unsorted
    d = src.schedule(t, rng)
    s = d.stats
    assert s.used == s.requests == t.size
    assert s.emitted == s.used + s.unused_coincidences + s.lost
    assert s.coincidences == s.used + s.unused_coincidences
    assert d.pair_id.max() == s.emitted - 1
    order = np.argsort(t, kind="stable")
    assert np.all(np.diff(d.pair_time[order]) > 0)  # processed in time order, returned in input order
    # emitted ~ Poisson(rate * horizon); coincidence fraction ~ eta_a * eta_b
    assert abs(s.emitted / s.horizon / 20.0 - 1) < 0.05
    assert abs(s.coincidences / s.emitted - 0.25) < 0.02


def test_explicit_time_tag_protocol_both_sides_pick_the_same_pair():
    """Explicit emissions and independent detections per side: each side selects from its own time
    tags, using the other side's tags; both select the same pair, and the law of the latency matches
    the memoryless kernel."""
    rng = np.random.default_rng(np.random.SeedSequence(5))
    r, ea, eb, horizon = 40.0, 0.4, 0.6, 4000.0
    emit = np.cumsum(rng.exponential(1 / r, int(r * horizon * 1.05)))
    det_a = rng.random(emit.size) < ea
    det_b = rng.random(emit.size) < eb
    t = np.sort(rng.uniform(0, horizon * 0.95, 3_000))
    ida, idb, tp = _kernels.stream_reference(emit, det_a, det_b, t)
    assert np.array_equal(ida, idb) and np.all(ida >= 0)
    assert np.all(det_a[ida] & det_b[ida])  # used pairs were detected on both sides
    assert len(np.unique(ida)) == t.size
    lat_ref = tp - t
    d = StreamingSource(rate=r, eta_a=ea, eta_b=eb).schedule(t, rng)
    assert stats.ks_2samp(lat_ref, d.latency).pvalue > 1e-3
    # the reference's pair ids count all emissions, as the kernel's do
    assert abs(np.median(ida) / np.median(d.pair_id) - 1) < 0.05


def test_tag_latency_is_added():
    t = np.arange(1.0, 200.0)
    d0 = StreamingSource(rate=3.0, eta_a=0.5, eta_b=0.5).schedule(t, 9)
    d1 = StreamingSource(rate=3.0, eta_a=0.5, eta_b=0.5, tag_latency=0.25).schedule(t, 9)
    assert np.allclose(d1.latency, d0.latency + 0.25) and np.array_equal(d1.pair_id, d0.pair_id)
    assert math.isclose(StreamingSource(rate=2.0, tag_latency=0.25).mean_latency, 0.75)


def test_local_match_probability_without_tag_exchange():
    """Explicit emissions: each side takes its own first detection after an isolated request; the
    fraction of requests where both took the same pair matches eta_A eta_B / (eta_A + eta_B - eta_A eta_B)."""
    ea, eb, r = 0.3, 0.5, 100.0
    rng = np.random.default_rng(np.random.SeedSequence(6))
    n_req = 5_000
    t = 5.0 * np.arange(1, n_req + 1)
    emit = np.cumsum(rng.exponential(1 / r, int(r * t[-1] * 1.05)))
    det_a = rng.random(emit.size) < ea
    det_b = rng.random(emit.size) < eb
    ia, ib = np.flatnonzero(det_a), np.flatnonzero(det_b)
    first_a = ia[np.searchsorted(emit[ia], t)]
    first_b = ib[np.searchsorted(emit[ib], t)]
    frac = np.mean(first_a == first_b)
    p = StreamingSource(rate=r, eta_a=ea, eta_b=eb).local_match_probability
    assert math.isclose(p, 0.15 / 0.65)
    assert abs(frac - p) < 5 * math.sqrt(p * (1 - p) / n_req)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(rate=-1.0), "^rate: must be > 0"),
        (dict(rate=float("inf")), "^rate: must be > 0 and finite"),
        (dict(rate=1.0, eta_a=0.0), "^eta_a: must lie in \\(0, 1\\]"),
        (dict(rate=1.0, eta_b=1.5), "^eta_b: must lie in \\(0, 1\\]"),
        (dict(rate=1.0, visibility=-0.2), "^visibility: must lie in \\[0, 1\\]"),
        (dict(rate=1.0, tag_latency=-0.1), "^tag_latency: must be a finite number >= 0"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(EntanglementError, match=match):
        StreamingSource(**kwargs)


def test_bad_requests():
    with pytest.raises(EntanglementError, match="^request_times"):
        StreamingSource(rate=1.0).schedule([-1.0], 1)
