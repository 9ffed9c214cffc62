"""The fused measurement path equals the straightforward NumPy evaluation bit for bit.

``measure_reference`` below is the plain NumPy definition of every metric (``np.mean``,
``np.percentile``, ``np.minimum``/``np.maximum`` clipping, ``Baseline.output``); ``simulate.measure``
(one numba pass, bracketed order statistics, the fused ``setup`` baseline) must give identical floats.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qcoord.system import (
    FORWARD,
    Exponential,
    LogNormal,
    Scenario,
    TwoPoint,
    power,
    routing_with_holds,
    run_servers,
    setup,
)
from qcoord.system import _kernels
from qcoord.system._kernels import _order_statistics, order_statistics
from qcoord.system.simulate import _percentiles, measure


def measure_reference(inputs, routing, run, scenario, baselines):  # type: ignore[no-untyped-def]
    """Every metric of ``simulate.measure`` written the plain NumPy way."""
    w0 = scenario.warmup
    t0, t1 = float(inputs.arrival[w0]), float(inputs.arrival[-1])
    span = t1 - t0
    waiting = (run.completion[w0:] - (inputs.arrival[w0:, None] + inputs.demand[w0:])).ravel()
    p50, p95, p99 = np.percentile(waiting, [50.0, 95.0, 99.0])
    runs = []
    for k in (0, 1):
        start = np.append(run.gap_start[k], run.last_completion[k])
        end = np.append(run.gap_end[k], np.inf)
        r = np.minimum(end, t1) - np.maximum(start, t0)
        runs.append(r[r > 0])
    runs = np.concatenate(runs)
    dec = np.asarray(routing.decision)[w0:]
    split = dec[:, 0] == dec[:, 1]
    interrupted = sum(int(np.count_nonzero((g > t0) & (g <= t1))) for g in run.gap_end)
    out = {
        "mean_waiting": float(np.mean(waiting)),
        "waiting_p50": float(p50),
        "waiting_p95": float(p95),
        "waiting_p99": float(p99),
        "throughput": float(np.sum(scenario.baseline.output(runs))) / span,
        "split_prob": float(np.mean(split)),
        "swap_prob": float(np.mean(split & (dec[:, 0] == FORWARD))),
        "consolidation_prob": float(np.mean(~split)),
        "utilisation": 1.0 - float(np.sum(runs)) / (2.0 * span),
        "interruption_rate": interrupted / span,
        "longest_idle_run": float(np.max(runs)) if runs.size else 0.0,
        "drain_time": max(run.last_completion) - t1,
    }
    for name, b in baselines.items():
        out[f"throughput[{name}]"] = float(np.sum(b.output(runs))) / span
    return out, runs


@pytest.mark.parametrize("discipline", ["srpt", "np", "fcfs"])
@pytest.mark.parametrize("demand", [TwoPoint(), Exponential(), LogNormal()], ids=["twopoint", "exp", "lognormal"])
def test_measure_equals_numpy_reference(discipline, demand, monkeypatch):
    # a small sample size so that the bracketing path (not the small-array fallback) is exercised
    monkeypatch.setattr(_kernels, "_SAMPLE", 256)
    sc = Scenario(n_pairs=6_000, warmup=300, arrival_rate=0.45, demand=demand, discipline=discipline,
                  handoff_delay=0.1, baseline=setup(1.0), replications=1, seed=11)
    inputs = sc.draw_inputs(0)
    u = inputs.uniforms
    routing = routing_with_holds(inputs, sc, (u[:, :2] < 0.35).astype(np.int8), np.where(u[:, 2:4] < 0.1, 0.2, 0.0))
    run = run_servers(inputs, routing, discipline)
    extra = {"p2": power(2.0), "s05": setup(0.5), "s0": setup(0.0)}
    got, runs = measure(inputs, routing, run, sc, extra)
    want, runs_ref = measure_reference(inputs, routing, run, sc, extra)
    np.testing.assert_array_equal(runs, runs_ref)
    assert got.keys() == want.keys()
    for k in want:
        assert got[k] == want[k], k


@st.composite
def samples(draw):  # type: ignore[no-untyped-def]
    """Arrays with heavy ties (a zero mass, a grid) or continuous values, sizes around the sample size."""
    n = draw(st.integers(1, 3000))
    seed = draw(st.integers(0, 2**32 - 1))
    kind = draw(st.sampled_from(["zeros", "grid", "continuous", "negative", "constant"]))
    rng = np.random.default_rng(seed)
    x = rng.exponential(size=n)
    if kind == "zeros":
        x[rng.random(n) < draw(st.floats(0, 1))] = 0.0
    elif kind == "grid":
        x = np.round(x * 4) / 4
    elif kind == "negative":
        x -= 1.0
        x[rng.random(n) < 0.3] = -1e-17
    elif kind == "constant":
        x[:] = 0.25
    return x


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(x=samples(), data=st.data())
def test_order_statistics_equal_partition(x, data, monkeypatch_sample):  # type: ignore[no-untyped-def]
    n = x.size
    ranks = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=8)), dtype=np.int64)
    before = x.copy()
    got = order_statistics(x, ranks)
    np.testing.assert_array_equal(got, np.sort(x)[ranks])
    np.testing.assert_array_equal(x, before)  # not modified


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(x=samples())
def test_percentiles_equal_numpy(x, monkeypatch_sample):  # type: ignore[no-untyped-def]
    np.testing.assert_array_equal(_percentiles(x), np.percentile(x, [50.0, 95.0, 99.0]))


def test_order_statistics_large_array_and_bad_ranks():
    x = np.random.default_rng(3).exponential(size=300_000)
    x[::3] = 0.0  # a period the sample must not alias with
    ranks = np.array([0, 150_000, 150_001, 285_000, 297_000, 299_999])
    got, fallbacks = _order_statistics(x, ranks)
    np.testing.assert_array_equal(got, np.partition(x.copy(), ranks)[ranks])
    assert fallbacks == 0  # every rank was bracketed by the sample
    with pytest.raises(ValueError, match="ranks"):
        order_statistics(x, np.array([300_000]))


@pytest.fixture
def monkeypatch_sample():  # type: ignore[no-untyped-def]
    """A sample of 64 values, so arrays above 256 entries take the bracketing path (hypothesis-safe)."""
    old = _kernels._SAMPLE
    _kernels._SAMPLE = 64
    yield
    _kernels._SAMPLE = old


def test_setup_total_equals_generic_output():
    runs = np.random.default_rng(5).exponential(2.0, size=10_001)
    for c in (0.0, 0.5, 1.0, 3.0):
        b = setup(c)
        assert b.total(runs) == float(np.sum(b.output(runs)))
    with pytest.raises(ValueError, match="not finite"):
        setup(1.0).total(np.array([1.0, np.inf]))


@pytest.mark.parametrize("discipline", ["srpt", "np", "fcfs"])
def test_kernel_checked_routing_raises_like_check_routing(discipline):
    """simulate checks int8 routings inside the kernel's first pass: same first error as check_routing."""
    from qcoord.system import Routing, RoutingError, check_routing, routing_from_decisions, simulate

    sc = Scenario(n_pairs=400, warmup=20, arrival_rate=0.4, demand=Exponential(), discipline=discipline,
                  handoff_delay=0.1, replications=1, seed=3)
    inputs = sc.draw_inputs(0)
    good = routing_from_decisions(inputs, sc, (inputs.uniforms[:, :2] < 0.5).astype(np.int8))

    def broken(i, j, field, value):  # type: ignore[no-untyped-def]
        arrays = {k: np.array(getattr(good, k)) for k in ("dest", "release", "decision")}
        arrays[field][i, j] = value
        return Routing(**arrays)

    cases = [
        broken(7, 1, "dest", 2),  # rule 1
        broken(7, 0, "decision", 3),  # rule 2
        broken(7, 0, "dest", 1 - good.dest[7, 0]),  # rule 3
        broken(7, 1, "release", np.nan),  # rule 4
        broken(7, 1, "release", inputs.arrival[7] - 1.0),  # rule 5
    ]
    # two violations: the first in pair order is reported
    first = broken(9, 1, "release", np.inf)
    first.dest[5, 0] = 7
    cases.append(first)
    for routing in cases:
        with pytest.raises(RoutingError) as want:
            check_routing(routing, inputs)

        class Fixed:
            name = "fixed"

            def route(self, inputs, scenario, routing=routing):  # type: ignore[no-untyped-def]
                return routing

        with pytest.raises(RoutingError) as got:
            simulate(sc, Fixed())
        assert str(got.value) == str(want.value)
    with pytest.raises(RoutingError, match="servers must be 0 or 1"):
        run_servers(inputs, cases[0], discipline)  # out-of-range values are refused even unchecked
