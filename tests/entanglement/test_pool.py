"""EntanglementPool: event logic against a plain-Python reference, closed forms, accounting."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from qcoord.entanglement import EntanglementError, EntanglementPool, IdealSource
from qcoord.entanglement import _kernels


def _poisson_times(rng, rate, n):
    return np.cumsum(rng.exponential(1 / rate, n))


# -- exact agreement with the reference on deterministic generation (attempts with q = 1) --------


@settings(max_examples=25)
@given(
    seed=st.integers(0, 10_000),
    capacity=st.integers(1, 4),
    cutoff=st.sampled_from([None, 0.5, 1.0, 2.5, 7.0]),
    consume=st.sampled_from(["oldest", "freshest"]),
    when_full=st.sampled_from(["drop_new", "evict_oldest"]),
    initial=st.integers(0, 4),
    period=st.sampled_from([0.25, 0.5, 0.7]),
)
def test_deterministic_generation_matches_reference(seed, capacity, cutoff, consume, when_full, initial, period):
    rng = np.random.default_rng(seed)
    initial = min(initial, capacity)
    # request times: a mix of Poisson times, exact grid points and ties
    t = np.sort(np.concatenate([rng.uniform(0, 30, 60), period * rng.integers(1, 60, 10), np.repeat(rng.uniform(0, 30, 3), 3)]))
    pool = EntanglementPool(attempt_period=period, success_prob=1.0, capacity=capacity, cutoff=cutoff,
                            consume=consume, when_full=when_full, initial_pairs=initial)
    d = pool.schedule(t, rng)
    gens = period * np.arange(1, int(t[-1] / period) + 3)
    ref_gen, ref_id, ref_stats = _kernels.pool_reference(gens, t, capacity, cutoff, consume == "freshest",
                                                         when_full == "evict_oldest", initial)
    assert np.array_equal(d.pair_id, ref_id)
    assert np.array_equal(d.fallback, ref_id < 0)
    ok = ref_id >= 0
    assert np.allclose(d.age[ok], t[ok] - ref_gen[ok])
    s = d.stats
    assert [s.generated, s.consumed, s.discarded_cutoff, s.dropped_capacity, s.fallbacks, s.left_in_memory] == list(ref_stats)


@settings(max_examples=20)
@given(seed=st.integers(0, 10_000), capacity=st.integers(1, 4), consume=st.sampled_from(["oldest", "freshest"]),
       period=st.sampled_from([0.25, 0.1, 0.3]))
def test_evict_fast_forward_matches_reference_on_sparse_requests(seed, capacity, consume, period):
    """Sparse requests (many generations between them) exercise the eviction fast-forward."""
    rng = np.random.default_rng(seed)
    t = np.sort(np.concatenate([rng.uniform(0, 400, 25), period * rng.integers(1, 1600, 5), [t0 := rng.uniform(0, 400)] * 2]))
    pool = EntanglementPool(attempt_period=period, capacity=capacity, consume=consume, when_full="evict_oldest")
    d = pool.schedule(t, rng)
    gens = period * np.arange(1, int(t[-1] / period) + 3)
    ref_gen, ref_id, ref_stats = _kernels.pool_reference(gens, t, capacity, None, consume == "freshest", True)
    assert np.array_equal(d.pair_id, ref_id)
    ok = ref_id >= 0
    assert np.allclose(d.age[ok], t[ok] - ref_gen[ok])
    s = d.stats
    assert [s.generated, s.consumed, s.discarded_cutoff, s.dropped_capacity, s.fallbacks, s.left_in_memory] == list(ref_stats)


@pytest.mark.parametrize("consume,shape", [("freshest", 1), ("oldest", 2)])
def test_evict_fast_forward_poisson_ages(consume, shape):
    """Rate 50, requests every 1, capacity 2 with eviction: a request finds the two newest pairs;
    the freshest has age Exp(50), the older of the two Gamma(2, 1/50)."""
    r, n = 50.0, 20_000
    t = np.arange(1, n + 1, dtype=float)
    d = EntanglementPool(rate=r, capacity=2, consume=consume, when_full="evict_oldest").schedule(t, 8)
    assert not d.fallback.any()
    assert stats.kstest(d.age, "gamma", args=(shape, 0, 1 / r)).pvalue > 1e-3
    assert abs(d.stats.generated / t[-1] / r - 1) < 0.01
    s = d.stats
    assert s.generated == s.consumed + s.dropped_capacity + s.left_in_memory


# -- closed forms for Poisson generation -------------------------------------------------------


def test_fallback_probability_birth_death_closed_form():
    """Poisson pairs (r), Poisson requests (lam), capacity C, drop_new, no cutoff: the stored count is
    a birth-death chain with P(n) ~ rho^n, rho = r/lam; by PASTA P(fallback) = (1-rho)/(1-rho^(C+1))."""
    r, lam, C, n = 0.8, 1.0, 3, 300_000
    rng = np.random.default_rng(np.random.SeedSequence(1))
    t = _poisson_times(rng, lam, n)
    d = EntanglementPool(rate=r, capacity=C).schedule(t, rng)
    rho = r / lam
    p0 = (1 - rho) / (1 - rho ** (C + 1))
    assert abs(d.fallback.mean() - p0) < 0.01
    # in steady state, consumed / time = lam * (1 - p0) = r * (1 - P(full)) (flow balance)
    pfull = p0 * rho**C
    assert abs(d.stats.consumed / t[-1] - r * (1 - pfull)) < 0.01


def test_evict_oldest_capacity_one_age_is_truncated_exponential():
    """Requests every D; capacity 1 with eviction keeps the newest pair: P(fallback) = exp(-r D) and
    the age of a used pair is Exp(r) truncated to [0, D]."""
    r, D, n = 1.5, 1.0, 100_000
    t = D * np.arange(1, n + 1)
    d = EntanglementPool(rate=r, capacity=1, when_full="evict_oldest").schedule(t, np.random.SeedSequence(2))
    p = math.exp(-r * D)
    assert abs(d.fallback.mean() - p) < 5 * math.sqrt(p * (1 - p) / n)
    ages = d.age[~d.fallback]
    cdf = lambda a: (1 - np.exp(-r * a)) / (1 - math.exp(-r * D))  # noqa: E731
    assert stats.kstest(ages, cdf).pvalue > 1e-3
    # evicted pairs: every generation except the used ones and the one left
    s = d.stats
    assert s.dropped_capacity == s.generated - s.consumed - s.left_in_memory


@pytest.mark.parametrize("mode", ["poisson", "attempts"])
@pytest.mark.parametrize("consume,when_full,cutoff", [("oldest", "drop_new", 1.5), ("freshest", "drop_new", 1.5),
                                                       ("oldest", "evict_oldest", None), ("freshest", "evict_oldest", None)])
def test_fast_forward_kernel_agrees_with_explicit_reference(mode, consume, when_full, cutoff):
    """Kernel (fast-forwards + memoryless restarts) vs the reference fed explicit generation times
    (Poisson, or Bernoulli attempts on the grid): same law of fallback and ages (two-sample tests)."""
    lam, C, n = 1.0, 2, 40_000
    rng = np.random.default_rng(np.random.SeedSequence(3))
    t = _poisson_times(rng, lam, n)
    if mode == "poisson":
        r = 3.0
        pool = EntanglementPool(rate=r, capacity=C, cutoff=cutoff, consume=consume, when_full=when_full)
        gens = _poisson_times(rng, r, int(r * t[-1] * 1.1) + 100)
    else:
        period, q = 0.05, 0.15  # 3 pairs per unit time on average
        pool = EntanglementPool(attempt_period=period, success_prob=q, capacity=C, cutoff=cutoff, consume=consume,
                                when_full=when_full)
        grid = period * np.arange(1, int(t[-1] / period) + 3)
        gens = grid[rng.random(grid.size) < q]
    d = pool.schedule(t, rng)
    gen, pid, st_ref = _kernels.pool_reference(gens, t, C, cutoff, consume == "freshest", when_full == "evict_oldest")
    fb_ref = pid < 0
    se = math.sqrt(2 * 0.25 / n)
    assert abs(d.fallback.mean() - fb_ref.mean()) < 5 * se * 2  # x2: requests are correlated
    age_ref = (t - gen)[~fb_ref]
    assert stats.ks_2samp(d.age[~d.fallback], age_ref).pvalue > 1e-3
    assert abs(d.stats.discarded_cutoff / n - st_ref[2] / n) < 0.03
    assert abs(d.stats.dropped_capacity / n - st_ref[3] / n) < 0.05
    assert abs(d.stats.generated / st_ref[0] - 1) < 0.02


# -- accounting ------------------------------------------------------------------------------


@settings(max_examples=30)
@given(
    seed=st.integers(0, 10_000),
    rate=st.floats(0.05, 20.0),
    capacity=st.integers(1, 5),
    cutoff=st.one_of(st.none(), st.floats(0.05, 5.0)),
    consume=st.sampled_from(["oldest", "freshest"]),
    when_full=st.sampled_from(["drop_new", "evict_oldest"]),
)
def test_accounting_invariants(seed, rate, capacity, cutoff, consume, when_full):
    rng = np.random.default_rng(seed)
    t = _poisson_times(rng, 1.0, 2_000)
    pool = EntanglementPool(rate=rate, capacity=capacity, cutoff=cutoff, consume=consume, when_full=when_full,
                            visibility=0.9, memory_time=3.0)
    d = pool.schedule(t, rng)
    used = ~d.fallback
    ids = d.pair_id[used]
    assert len(np.unique(ids)) == ids.size  # every pair used at most once
    assert np.all(d.pair_id[d.fallback] == -1) and np.all(ids >= 0)
    assert np.all(d.age[used] >= 0) and np.all(np.isnan(d.age[d.fallback]))
    if cutoff is not None:
        assert np.all(d.age[used] <= cutoff + 1e-12)
    assert np.allclose(d.visibility[used], 0.9 * np.exp(-d.age[used] / 3.0))  # decay applied
    assert np.all(d.visibility[d.fallback] == 0.0) and not np.isnan(d.visibility).any()
    s = d.stats
    assert s.consumed + s.fallbacks == s.requests == t.size
    assert s.generated == s.consumed + s.discarded_cutoff + s.dropped_capacity + s.left_in_memory
    assert s.fallbacks == int(d.fallback.sum()) and math.isclose(s.fallback_rate, d.fallback.mean())
    assert 0 <= s.left_in_memory <= capacity
    if consume == "oldest":  # FIFO: pairs are used in generation order
        assert np.all(np.diff(ids) > 0)
    gen_time = (t - d.age)[used]
    order = np.argsort(ids)
    assert np.all(np.diff(gen_time[order]) >= 0)  # ids are in generation order


def test_consumption_order_littles_law():
    """Occupancy does not depend on the order of consumption, so (Little's law) the mean storage age
    of used pairs is the same for FIFO and LIFO; LIFO skews it: more very young pairs."""
    rng = np.random.SeedSequence(5)
    t = _poisson_times(np.random.default_rng(0), 1.0, 50_000)
    old = EntanglementPool(rate=2.0, capacity=5, consume="oldest").schedule(t, rng)
    new = EntanglementPool(rate=2.0, capacity=5, consume="freshest").schedule(t, rng)
    assert old.stats.consumed == new.stats.consumed  # same generation randomness, same requests
    assert np.array_equal(old.fallback, new.fallback)
    assert abs(np.nanmean(new.age) / np.nanmean(old.age) - 1) < 0.02
    assert np.nanmedian(new.age) < 0.5 * np.nanmedian(old.age)


def test_pluggable_decay_and_initial_pairs():
    lin = lambda age: np.clip(1 - age / 10.0, 0, 1)  # noqa: E731
    pool = EntanglementPool(rate=1e-9, capacity=3, initial_pairs=3, visibility=0.8, decay=lin)
    d = pool.schedule([1.0, 2.0, 4.0, 5.0], 1)
    assert list(d.pair_id) == [0, 1, 2, -1]
    assert np.allclose(d.age[:3], [1.0, 2.0, 4.0])
    assert np.allclose(d.visibility, [0.72, 0.64, 0.48, 0.0])
    bad = EntanglementPool(rate=1.0, initial_pairs=1, decay=lambda a: 2 + 0 * a)
    with pytest.raises(EntanglementError, match="^decay: must lie in \\[0, 1\\]"):
        bad.schedule([0.5], 1)


def test_unsorted_requests_keep_input_order_and_seed_recorded():
    pool = EntanglementPool(attempt_period=1.0, capacity=10)
    d = pool.schedule([5.5, 1.5, 3.5], np.random.SeedSequence(42))
    # pairs at 1, 2, 3, ...; oldest first, in time order: t=1.5 takes pair 0 (age .5), t=3.5 pair 1 (gen 2), t=5.5 pair 2 (gen 3)
    assert list(d.pair_id) == [2, 0, 1]
    assert np.allclose(d.age, [2.5, 0.5, 1.5])
    assert d.seed["entropy"] == 42 and d.params["attempt_period"] == 1.0 and d.params["capacity"] == 10
    assert math.isclose(pool.supply_rate, 1.0)
    assert math.isclose(EntanglementPool(attempt_period=0.5, success_prob=0.2).supply_rate, 0.4)


def test_attempt_mode_rate():
    t = np.arange(1, 20_001, dtype=float)
    d = EntanglementPool(attempt_period=0.1, success_prob=0.05, capacity=1).schedule(t, 7)
    # each unit interval has 10 attempts; P(no success since the last request) = 0.95^10 when memory was emptied
    p = 0.95**10
    assert abs(d.fallback.mean() - p) < 5 * math.sqrt(p * (1 - p) / t.size)
    assert abs(d.stats.generated / t[-1] - 0.5) < 0.03


def test_ideal_source():
    d = IdealSource().schedule([3.0, 1.0, 2.0])
    assert np.all(d.visibility == 1.0) and not d.fallback.any() and np.all(d.age == 0)
    assert list(d.pair_id) == [2, 0, 1]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(rate=-1.0), "^rate: must be > 0"),
        (dict(rate=0.0), "^rate: must be > 0"),
        (dict(), "^rate: give exactly one"),
        (dict(rate=1.0, attempt_period=1.0), "^rate: give exactly one"),
        (dict(attempt_period=-2.0), "^attempt_period: must be > 0"),
        (dict(attempt_period=1.0, success_prob=0.0), "^success_prob: must lie in \\(0, 1\\]"),
        (dict(rate=1.0, capacity=0), "^capacity: must be an integer >= 1"),
        (dict(rate=1.0, capacity=1.5), "^capacity"),
        (dict(rate=1.0, visibility=1.2), "^visibility: must lie in \\[0, 1\\]"),
        (dict(rate=1.0, memory_time=0.0), "^memory_time: must be > 0"),
        (dict(rate=1.0, cutoff=-1.0), "^cutoff: must be > 0"),
        (dict(rate=1.0, consume="random"), "^consume"),
        (dict(rate=1.0, when_full="explode"), "^when_full"),
        (dict(rate=1.0, capacity=2, initial_pairs=3), "^initial_pairs"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(EntanglementError, match=match):
        EntanglementPool(**kwargs)


def test_bad_requests_and_rng():
    pool = EntanglementPool(rate=1.0)
    with pytest.raises(EntanglementError, match="^request_times: must be finite and >= 0"):
        pool.schedule([1.0, -1.0], 1)
    with pytest.raises(EntanglementError, match="^request_times"):
        pool.schedule([1.0, float("nan")], 1)
    with pytest.raises(EntanglementError, match="^rng"):
        pool.schedule([1.0], None)
