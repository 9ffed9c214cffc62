"""The simulator against closed forms: Pollaczek-Khinchine, idle-run laws, low-load pair costs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcoord.system import (
    FORWARD,
    KEEP,
    Exponential,
    LogNormal,
    Scenario,
    TwoPoint,
    pair_waiting_low_load,
    power,
    routing_from_decisions,
    run_servers,
    setup,
    simulate,
)
from qcoord.system._kernels import run_queue

from .helpers import always_split, always_swap, consolidate_at, random_decisions, threshold_rule


def _within(est, value, k=1.0):
    """``value`` inside ``k`` times the 95% interval of an Estimate."""
    assert abs(est.mean - value) <= k * est.half_width, (est, value)


@pytest.mark.parametrize(
    "demand, rate",
    [(Exponential(), 0.5), (TwoPoint(), 0.6), (LogNormal(1.0, 0.8), 0.4)],
    ids=["MM1", "two-point", "lognormal"],
)
def test_always_split_fcfs_is_two_mg1_queues(demand, rate):
    """Pollaczek-Khinchine: W_q = L E[s^2] / (2 (1 - rho)), rho = L E[s]."""
    sc = Scenario(arrival_rate=rate, demand=demand, discipline="fcfs", n_pairs=60_000, warmup=2_000,
                  replications=8, seed=11)
    res = simulate(sc, always_split())
    rho = rate * demand.mean
    wq = rate * demand.second_moment / (2 * (1 - rho))
    _within(res.summary("mean_waiting"), wq)
    _within(res.summary("utilisation"), rho)


def _mm1_size_based_waiting(rate: float, discipline: str) -> float:
    r"""Mean waiting of M/M/1 (Exp(1) sizes) under SRPT (Schrage-Miller) or non-preemptive SJF.

    With :math:`\rho(x) = L \int_0^x t f(t) dt = L (1 - (1 + x) e^{-x})` and
    :math:`m_2(x) = \int_0^x t^2 f(t) dt = 2 - (x^2 + 2x + 2) e^{-x}`:
    SRPT response time :math:`E[T(x)] = \frac{L}{2} \frac{m_2(x) + x^2 \bar F(x)}{(1 - \rho(x))^2}
    + \int_0^x \frac{dt}{1 - \rho(t)}`; SJF queueing time :math:`E[W(x)] = \frac{L E[S^2] / 2}{(1 - \rho(x))^2}`.
    """
    from scipy.integrate import quad

    rho = lambda x: rate * (1 - (1 + x) * np.exp(-x))  # noqa: E731
    m2 = lambda x: 2 - (x * x + 2 * x + 2) * np.exp(-x)  # noqa: E731
    if discipline == "srpt":

        def response(x):
            return rate / 2 * (m2(x) + x * x * np.exp(-x)) / (1 - rho(x)) ** 2 + quad(lambda t: 1 / (1 - rho(t)), 0, x)[0]

        return quad(lambda x: response(x) * np.exp(-x), 0, np.inf, limit=200)[0] - 1.0
    return quad(lambda x: rate / (1 - rho(x)) ** 2 * np.exp(-x), 0, np.inf)[0]


@pytest.mark.parametrize("discipline", ["srpt", "np"])
def test_always_split_size_based_disciplines_mm1(discipline):
    """Always split, Exp(1) demand: each server is M/M/1-SRPT / M/M/1-SJF with known mean waiting."""
    rate = 0.6
    sc = Scenario(arrival_rate=rate, demand=Exponential(), discipline=discipline, n_pairs=60_000, warmup=2_000,
                  replications=8, seed=11)
    res = simulate(sc, always_split())
    expected = _mm1_size_based_waiting(rate, discipline)
    _within(res.summary("mean_waiting"), expected)
    assert expected < rate / (1 - rate)  # both beat FCFS (M/M/1: L / (1 - L))


@pytest.mark.parametrize("discipline", ["srpt", "np", "fcfs"])
def test_linear_baseline_is_two_times_idle_fraction(discipline):
    """T(t) = t: throughput = 2 (1 - utilisation) exactly for every policy, and ~ 2 (1 - rho)."""
    sc = Scenario(arrival_rate=0.4, discipline=discipline, baseline=power(1), n_pairs=30_000, warmup=1_000,
                  replications=5, seed=3)
    pols = [always_split(), consolidate_at(0), threshold_rule(), always_swap(), random_decisions(0.3)]
    res = simulate(sc, pols)
    thr, util = res.metrics["throughput"], res.metrics["utilisation"]
    np.testing.assert_allclose(thr, 2 * (1 - util), rtol=0, atol=1e-12)
    for p in res.policies:
        _within(res.summary("throughput", p), 2 * (1 - 0.4))
    # same utilisation (same work) -> same throughput up to window-edge effects, for every replication
    assert np.ptp(thr, axis=0).max() < 2e-3
    # ... while the convex baseline separates them: consolidation interrupts less than splitting
    res2 = simulate(sc.replace(baseline=setup(1.0)), pols[:2])
    assert res2.paired_difference("throughput", "consolidate0", "split").low > 0


@pytest.mark.parametrize("discipline", ["srpt", "np", "fcfs"])
@pytest.mark.parametrize("demand", [TwoPoint(), Exponential()], ids=["two-point", "exp"])
def test_square_baseline_always_split(discipline, demand):
    """Always split, Poisson pairs: idle runs ~ Exp(L), throughput = 2 (1-rho) L E[I^2] = 4 (1-rho) / L."""
    rate = 0.3
    sc = Scenario(arrival_rate=rate, demand=demand, discipline=discipline, baseline=power(2),
                  n_pairs=40_000, warmup=1_000, replications=8, seed=5)
    res = simulate(sc, always_split(), baselines={"setup1": setup(1.0)})
    _within(res.summary("throughput"), 4 * (1 - rate) / rate)
    # setup(c): each idle run ~ Exp(L) yields E[(I - c)+] = exp(-L c) / L; runs per unit time 2 L (1 - rho)
    _within(res.summary("throughput[setup1]"), 2 * (1 - rate) * np.exp(-rate * 1.0))
    _within(res.summary("interruption_rate"), 2 * rate * (1 - rate))


def _isolated_pairs(discipline, d, demand, seed=0):
    """Deterministic pairs 1000 time units apart: every pair finds both servers idle."""
    return Scenario(arrival_rate=1e-3, arrival_process="deterministic", demand=demand, handoff_delay=d,
                    discipline=discipline, n_pairs=4_000, warmup=0, replications=1, seed=seed)


@pytest.mark.parametrize("discipline", ["srpt", "np", "fcfs"])
@pytest.mark.parametrize("d", [0.0, 0.1, 0.5])
def test_low_load_costs_match_simulator(discipline, d):
    """costs.pair_waiting_low_load is exactly what the simulator produces for isolated pairs."""
    sc = _isolated_pairs(discipline, d, Exponential())
    inputs = sc.draw_inputs(0)
    dec = (inputs.uniforms[:, :2] < 0.5).astype(np.int8)
    run = run_servers(inputs, routing_from_decisions(inputs, sc, dec), discipline)
    waiting = (run.completion - inputs.arrival[:, None] - inputs.demand).sum(axis=1)
    expected = pair_waiting_low_load(inputs.demand[:, 0], inputs.demand[:, 1], dec[:, 0], dec[:, 1], d, discipline)
    np.testing.assert_allclose(waiting, expected, rtol=0, atol=1e-9)
    # all four decision pairs occur
    assert len({tuple(r) for r in dec}) == 4


@pytest.mark.parametrize("discipline", ["srpt", "np", "fcfs"])
@given(
    s=st.tuples(st.floats(0.01, 5), st.floats(0.01, 5)),
    decs=st.tuples(st.integers(0, 1), st.integers(0, 1)),
    d=st.floats(0.0, 2.0),
)
def test_low_load_cost_formula_property(discipline, s, decs, d):
    """One pair at time 0 on idle servers, run through the kernels, equals the closed form."""
    comp = np.zeros(2)
    for k in (0, 1):
        jobs = [(d * decs[j], decs[j], j) for j in (0, 1) if (j if decs[j] == KEEP else 1 - j) == k]
        jobs.sort()
        if jobs:
            c, *_ = run_queue(np.array([r for r, _, _ in jobs]), np.array([s[j] for _, _, j in jobs]), discipline)
            for (_, _, j), cj in zip(jobs, c):
                comp[j] = cj
    total = float(comp.sum() - s[0] - s[1])
    assert total == pytest.approx(float(pair_waiting_low_load(s[0], s[1], decs[0], decs[1], d, discipline)), abs=1e-12)


def test_low_load_cost_values():
    s_short, s_long = 1 - np.log(2), 1 + np.log(2)
    d = 0.1
    # srpt consolidation: d + min(s_fwd, max(s_keep - d, 0))
    assert pair_waiting_low_load(s_long, s_short, KEEP, FORWARD, d, "srpt") == pytest.approx(d + s_short)
    assert pair_waiting_low_load(s_short, s_long, KEEP, FORWARD, d, "srpt") == pytest.approx(s_short)
    assert pair_waiting_low_load(0.05, 3.0, KEEP, FORWARD, d, "srpt") == pytest.approx(d)
    # np/fcfs: d + max(s_keep - d, 0), only the keeper matters
    assert pair_waiting_low_load(s_short, s_long, FORWARD, KEEP, d, "np") == pytest.approx(s_long)
    assert pair_waiting_low_load(s_long, s_short, FORWARD, KEEP, d, "fcfs") == pytest.approx(s_short)
    assert pair_waiting_low_load(1.0, 1.0, KEEP, KEEP, d, "srpt") == 0.0
    assert pair_waiting_low_load(1.0, 1.0, FORWARD, FORWARD, d, "np") == pytest.approx(2 * d)
    out = pair_waiting_low_load(np.ones(3), np.ones(3), [0, 1, 1], [0, 1, 0], d, "srpt")
    np.testing.assert_allclose(out, [0.0, 2 * d, 1.0])
    with pytest.raises(ValueError, match="discipline"):
        pair_waiting_low_load(1.0, 1.0, 0, 1, d, "lifo")
    with pytest.raises(ValueError, match="dec_a"):
        pair_waiting_low_load(1.0, 1.0, 2, 1, d, "srpt")
