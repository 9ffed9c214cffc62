"""A short live emulation on loopback (real processes, sockets and clocks) against the simulator.

One module-scoped run: the default scenario (R1: utilisation 0.1, d = 0.1, srpt, setup(2)) with
the message latency raised to D = 2 (4 ms, well above a loaded machine's loopback round trip, so
that "the entangled decision does not wait for D" is a robust check), 200 pairs per policy at 2 ms per time unit (about 4 s of arrivals), four policies at
once: local, entangled (ideal pairs), entangled with an entanglement pool (the ``memory_lab`` preset
at this time unit, so some requests fall back) and hold-for-message.

Tolerances come from what the run itself measured, not from a fixed slack: on a loaded machine
(CI runs this beside other tests under ``pytest -n 2``) loopback hops and timers are late by
tens of microseconds to milliseconds, which at 2 ms per time unit is a visible share of a time
unit. The live system can only add delay to a customer: its decision latency and any excess of
the achieved hand-off/message latency over the model's (``excess_release_mean``, measured per
customer), and the lateness of the service timers (``timer_late_mean``). At utilisation 0.1 a
delayed customer delays few others, so the mean waiting may exceed the simulator's by at most
twice that budget, plus the combined CI; it may not lie below the simulator's by more than the CI.
"""

from __future__ import annotations

import numpy as np
import pytest

from qcoord.cli.demo import load_scenario_file
from qcoord.compile import compile_game, solve, to_policy
from qcoord.entanglement import memory_preset, sampler
from qcoord.live import LiveConfig, chi_square, emulate

UNIT_MS = 2.0


@pytest.fixture(scope="module")
def run():
    sc, _ = load_scenario_file(None)
    sc = sc.replace(message_latency=2.0)
    sol = solve(compile_game(sc, lam=0.5))
    pols = [
        to_policy(sol, "local", name="local"),
        to_policy(sol, "entangled", name="entangled"),
        to_policy(sol, "entangled", source=memory_preset(UNIT_MS / 1000, variant="memory_lab"), name="pool"),
        to_policy(sol, "hold", name="hold"),
    ]
    cfg = LiveConfig(time_unit_ms=UNIT_MS, n_pairs=200, warmup=10, batches=10, seed=7)
    seen = []
    res = emulate(sc, pols, cfg, progress=lambda done, total: seen.append((done, total)))
    return res, pols, seen


def test_counts_and_bookkeeping(run):
    res, pols, seen = run
    assert [p.name for p in res.policies] == ["local", "entangled", "pool", "hold"]
    assert res.processes == 2 * 4 + 3 and res.seed == 7
    assert seen and seen[-1] == (2 * 200 * 4, 2 * 200 * 4)
    for p in res.policies:
        assert p.extra["held_left"] == 0
        assert np.all(p.decisions >= 0)  # every customer was decided


def test_messages_per_pair(run):
    res, _, _ = run
    assert res.policy("local").messages_per_pair == 0.0
    assert res.policy("entangled").messages_per_pair == 0.0  # the servers never talk for an entangled decision
    assert res.policy("pool").messages_per_pair == 0.0
    assert res.policy("hold").messages_per_pair == 1.0  # the sender's class, once per pair
    assert res.policy("entangled").link_requests_per_pair == 2.0  # one measurement per half
    assert res.policy("pool").link_requests_per_pair == 4.0  # herald + measurement per half
    assert res.policy("local").link_requests_per_pair == 0.0
    assert res.latency["proxy_counts"]["control"] == 200


def test_deterministic_policies_decide_as_simulated(run):
    res, _, _ = run
    for name in ("local", "hold"):
        p = res.policy(name)
        assert p.decisions_as_simulated == 1.0
        assert p.comparisons["split_prob"].difference.mean == 0.0


def test_split_within_combined_ci(run):
    res, _, _ = run
    for p in res.policies:
        c = p.comparisons["split_prob"]
        assert c.within, (p.name, c)


def test_throughput_within_the_latency_budget(run):
    # The live system can only lose baseline output: a customer released d late shifts one idle run
    # boundary by d, and a timer firing d late lengthens a service (or a setup warm-up) by d; with
    # T' <= 1 (setup(c): unit rate after the warm-up) each costs at most d units of output. Per time
    # unit: (customers per unit) x (mean excess release) + (timers per unit, at most two per customer)
    # x (mean timer lateness). On an idle machine both are small and the check is the combined CI.
    res, _, _ = run
    customers_per_unit = 2.0 * res.scenario.arrival_rate
    for p in res.policies:
        c = p.comparisons["throughput"]
        budget = customers_per_unit * (p.extra["excess_release_mean"] + 2.0 * p.extra["timer_late_mean"])
        assert -c.combined_half_width - budget <= c.difference.mean <= c.combined_half_width, (p.name, c, budget)


def test_mean_waiting_within_the_latency_budget(run):
    res, _, _ = run
    for p in res.policies:
        c = p.comparisons["mean_waiting"]
        budget = p.extra["excess_release_mean"] + p.extra["timer_late_mean"]
        assert p.extra["excess_release_mean"] >= 0.0  # live decisions and paths never beat the model
        assert -c.combined_half_width <= c.difference.mean <= c.combined_half_width + 2.0 * budget, (p.name, c, budget)
        # replaying the live release times in the simulator's exact queues leaves only the service timing
        rep = p.extra["replayed_mean_waiting"]
        assert abs(c.measured.mean - rep) <= 3.0 * p.extra["timer_late_mean"] + c.difference.half_width, (p.name, rep)


def test_decision_latency_entangled_fast_hold_waits_for_D(run):
    res, _, _ = run
    D_us = res.scenario.message_latency * UNIT_MS * 1000
    ent, hold = res.policy("entangled"), res.policy("hold")
    # an entangled decision is a link round trip and no message: faster than a message, which waits D
    # (on a loaded machine both are late, so the comparison is with the measured message delivery)
    assert ent.decision_us["p50"] < res.latency["control"]["p50_ms"] * 1000
    assert ent.decision_us["p50"] < hold.decision_us["p99"]
    # the held customers (receiver with a long customer, about a quarter of the decisions) wait for D
    assert hold.decision_us["p99"] >= 0.95 * D_us
    assert res.latency["control"]["p50_ms"] >= 0.95 * res.latency["control"]["asked_ms"]
    assert res.latency["data"]["p50_ms"] >= 0.95 * res.latency["data"]["asked_ms"]


def test_entangled_decisions_follow_the_born_rule(run):
    res, pols, _ = run
    for name, pol in (("entangled", pols[1]), ("pool", pols[2])):
        c = res.policy(name).chi_square
        assert c["dof"] == 12 and c["p_value"] > 1e-4, (name, c)
    # the same counts are far from the product of marginals (the test can fail)
    p = res.policy("entangled")
    smp = sampler(pols[1].strategy)
    O = _counts(res, p, pols[1])
    E0 = np.zeros_like(O)
    for x in range(2):
        for y in range(2):
            E0[:, :, x, y] = O[:, :, x, y].sum() * smp.behaviour(0.0)[:, :, x, y]
    assert chi_square(O, E0)["p_value"] < 1e-6


def _counts(res, p, pol):
    """(a, b | x, y) counts from the live decisions, questions = classes, roles = the role coin."""
    inputs = res.scenario.draw_inputs(0)
    O = np.zeros((2, 2, 2, 2))
    for n in range(inputs.n):
        a_srv = int(inputs.role[n])
        x, y = inputs.cls[n, a_srv], inputs.cls[n, 1 - a_srv]
        O[p.decisions[n, a_srv], p.decisions[n, 1 - a_srv], x, y] += 1
    return O


def test_pool_fallbacks_use_the_classical_rule(run):
    res, pols, _ = run
    p = res.policy("pool")
    unavailable = ~p.available
    assert 0 < p.extra["fallbacks"] == int(unavailable.sum()) < 200
    classical = pols[2].fallback.route(res.scenario.draw_inputs(0), res.scenario).decision
    assert np.array_equal(p.decisions[unavailable], classical[unavailable])


def test_baseline_task_accounting(run):
    """Each run's live output (accrued after its real warm-up timer fired) equals T(run length) less
    the warm-up timer's own lateness, to float precision."""
    res, _, _ = run
    for p in res.policies:
        assert p.extra["baseline_runs"] > 100
        assert p.extra["baseline_accounting_max_abs"] < 1e-6, p.name


@pytest.mark.parametrize("discipline", ["np"])  # fcfs: tests/live/test_cli.py
def test_other_disciplines_and_a_power_baseline(discipline):
    """Non-preemptive SJF and FCFS servers with T = t^2 (no warm-up phase): a local rule decides as
    simulated, its split matches exactly and its waiting stays within the measured latency budget."""
    from qcoord.system import power

    sc, _ = load_scenario_file(None)
    sc = sc.replace(discipline=discipline, baseline=power(2.0))
    sol = solve(compile_game(sc, lam=0.5))
    res = emulate(sc, [to_policy(sol, "local", name="local")], LiveConfig(time_unit_ms=2.0, n_pairs=100, warmup=10, batches=9))
    p = res.policy("local")
    assert p.decisions_as_simulated == 1.0 and p.comparisons["split_prob"].difference.mean == 0.0
    c = p.comparisons["mean_waiting"]
    budget = p.extra["excess_release_mean"] + p.extra["timer_late_mean"]
    assert -c.combined_half_width <= c.difference.mean <= c.combined_half_width + 2.0 * budget, (c, budget)
    assert p.extra["baseline_accounting_max_abs"] < 1e-9
    # T = t^2 has no bounded marginal rate, so late timers have no simple output budget here (see
    # test_throughput_within_the_latency_budget for setup(2)): the live system may not beat the model
    thr = p.comparisons["throughput"]
    assert thr.difference.mean <= thr.combined_half_width, thr
