"""Every claim's measure and decide on synthetic runs: held, not held and undefined, without a simulation."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from qcoord.analysis.claims import (
    CLAIMS,
    Certificate,
    Evidence,
    claim,
    decide_np,
)
from qcoord.analysis.study import evaluate_claims
from qcoord.system import Scenario, power, setup

from .synthetic import R, SPAN, arm, local_line, make_run, power_baselines

rng = np.random.default_rng(1)


def jitter(x: float, sd: float = 1e-4) -> np.ndarray:
    return x + rng.normal(0, sd, R)


def ev(run, **kw):
    base = dict(run=run, solution=None, solutions={}, critical_visibility=0.82, powers={1.0: "t^1", 2.0: "t^2"}, linear="t^1")
    base.update(kw)
    return Evidence(**base)


def judge(key, evidence):
    c = claim(key)
    m = c.measure(evidence)
    return m, c.decide(m)


def headline_run(gain: float, *, t2_gain: float = 0.0, scenario=None, extra=None):
    """Local arms on a concave curve; the entangled arm at W = 0.35 with a relative gain ``gain``."""
    spec = local_line(5)
    # envelope at W = 0.35 (between rule2 at 0.35 exactly)
    w = 0.35
    t_env = 1.4 + 0.3 * math.sqrt((w - 0.1) / 0.5)
    spec[arm("entangled", "entangled", headline=True, lam=0.5, frontier=True, noisy=True, visibility=1.0)] = {
        "mean_waiting": w, "throughput": {"baseline": jitter(t_env * (1 + gain)), "t^1": jitter(t_env, 1e-9),
                                          "t^2": jitter(t_env * (1 + t2_gain))},
        "interruption_rate": 0.14, "split_prob": 0.4}
    spec.update(extra or {})
    return make_run(spec, baselines=power_baselines(), scenario=scenario)


def test_claim1_held_only_when_the_ci_lies_above_zero():
    m, v = judge("claim1_convex", ev(headline_run(0.01)))
    assert v.status == "held" and m.main.throughput.low > 0
    assert m.all_local.readings["waiting_at_equal_throughput"].mean > 0
    m, v = judge("claim1_convex", ev(headline_run(0.0)))
    assert v.status == "not held" and v.outcome == "no significant difference"
    m, v = judge("claim1_convex", ev(headline_run(-0.01)))
    assert v.status == "not held" and v.outcome == "loss"


def test_claim1_premise_linear_t_is_undefined_with_the_measurement():
    sc = Scenario(baseline=power(1.0), replications=R, n_pairs=1000, warmup=100)
    run = headline_run(0.01, scenario=sc)
    m, v = judge("claim1_convex", ev(run))
    assert v.status == "undefined" and "linear" in v.reason and v.outcome == "gain"


def test_claim1_uses_role_symmetric_benchmark_when_some_local_arm_is_ill_defined():
    never = arm("never", "local", sym=False)
    extra = {never: {"mean_waiting": 0.6, "throughput": 1.8, "longest_idle_run": 0.9 * SPAN}}
    m, v = judge("claim1_convex", ev(headline_run(0.01, extra=extra)))
    assert m.primary == "all" and not m.all_local.excluded  # setup(2): the never-interrupting rule is fine
    sc_t2 = Scenario(baseline=power(2.0), replications=R, n_pairs=1000, warmup=100)
    m, v = judge("claim1_convex", ev(headline_run(0.01, extra=extra, scenario=sc_t2)))
    assert m.primary == "symmetric" and "never" in m.all_local.excluded and v.status == "held"
    assert "never" not in {a.name for a in headline_run(0.01, extra=extra, scenario=sc_t2).benchmark()[0]}


def test_control2_linear_holds_when_nothing_moves_and_fails_on_a_biased_comparison():
    m, v = judge("control2_linear", ev(headline_run(0.01)))
    assert v.status == "held", v.reason
    biased = headline_run(0.01, extra={})
    ent = biased.one(family="entangled", headline=True)
    biased.metrics["throughput[t^1]"][biased.names.index(ent.name)] *= 1.01
    m, v = judge("control2_linear", ev(biased))
    assert v.status == "not held" and v.outcome == "gain"


def test_claim3_needs_every_step_significant():
    run = headline_run(0.01, t2_gain=0.03)
    m, v = judge("claim3_convexity", ev(run, powers={1.0: "t^1", 2.0: "t^2"}))
    assert v.status == "held", v.reason
    run = headline_run(0.01, t2_gain=0.0)
    m, v = judge("claim3_convexity", ev(run, powers={1.0: "t^1", 2.0: "t^2"}))
    assert v.status == "not held" and "k = 2" in v.reason


def _middle_run(gains):
    """Entangled frontier arms at p = 0, 0.3, 0.6, 1 with the given relative gains."""
    extra = {}
    sols = {}
    for lam, (p, g, w) in zip((1.0, 0.6, 0.4, 0.0), zip((0.0, 0.3, 0.6, 1.0), gains, (0.6, 0.475, 0.225, 0.1))):
        t_env = 1.4 + 0.3 * math.sqrt((w - 0.1) / 0.5)
        extra[arm(f"e{lam}", "entangled", lam=lam, frontier=True)] = {"mean_waiting": w, "throughput": jitter(t_env * (1 + g)),
                                                                       "split_prob": p}
        sols[lam] = SimpleNamespace(advantage=0.01 if g > 0 else 0.0)
    sols[0.5] = SimpleNamespace(advantage=0.02)
    return headline_run(0.01, extra=extra), sols


def test_claim4_range_from_significant_points_only():
    run, sols = _middle_run([0.0, 0.005, 0.004, 0.0])
    m, v = judge("claim4_middle_p", ev(run, solutions=sols))
    assert v.status == "held", v.reason
    lo, hi = m.significant_range()
    assert 0.29 < lo and hi < 0.61
    run, sols = _middle_run([0.0, 0.0, 0.0, 0.0])
    m, v = judge("claim4_middle_p", ev(run, solutions=sols))
    # the headline arm still gains at p = 0.4, so a range exists; without it there is none
    run2 = make_run({a: {"mean_waiting": run.values(a, "mean_waiting"), "throughput": run.values(a, "throughput"),
                         "split_prob": run.values(a, "split_prob")} for a in run.arms if a.name != "entangled"})
    m, v = judge("claim4_middle_p", ev(run2, solutions=sols))
    assert v.status == "not held" and "no split probability" in v.reason
    run, sols = _middle_run([0.003, 0.005, 0.004, 0.0])
    m, v = judge("claim4_middle_p", ev(run, solutions=sols))
    assert v.status == "not held" and "does not vanish" in v.reason


def _vis_run(gains):
    extra = {}
    w = 0.35
    t_env = 1.4 + 0.3 * math.sqrt((w - 0.1) / 0.5)
    for v, g in gains.items():
        extra[arm(f"v{v}", "entangled", noisy=True, visibility=v, lam=0.5)] = {"mean_waiting": w, "throughput": jitter(t_env * (1 + g))}
    return headline_run(0.003, extra=extra)


def test_claim5_visibility_held_not_held_undefined():
    run = _vis_run({0.7: -0.004, 0.8: -0.002, 0.9: 0.001})
    m, v = judge("claim5_visibility", ev(run))
    assert v.status == "held", v.reason
    assert m.crossing == pytest.approx(0.8 + 0.1 * 2 / 3, abs=0.01)
    run = _vis_run({0.7: -0.004, 0.8: 0.002, 0.9: 0.001})  # a gain below v* = 0.82
    m, v = judge("claim5_visibility", ev(run))
    assert v.status == "not held" and "below v*" in v.reason
    m, v = judge("claim5_visibility", ev(_vis_run({0.7: -0.004}), critical_visibility=float("nan")))
    assert v.status == "undefined" and "no critical visibility" in v.reason
    run = _vis_run({0.7: 0.002, 0.8: 0.002, 0.9: 0.002})
    m, v = judge("claim5_visibility", ev(run, critical_visibility=0.6))
    assert v.status == "held" and m.crossing is None  # no sign change: the crossing is undefined, never nan


def _latency_run(ent_edge: float):
    """Communicating arms that lose their edge with D; the entangled frontier sits ``ent_edge`` above the local one."""
    extra = {}
    for lam, w in ((0.4, 0.25), (0.6, 0.45)):
        t_env = 1.4 + 0.3 * math.sqrt((w - 0.1) / 0.5)
        extra[arm(f"e{lam}", "entangled", lam=lam, frontier=True)] = {"mean_waiting": w, "throughput": jitter(t_env * (1 + ent_edge))}
    for D in (0.0, 0.2, 0.4, 0.6):
        w = 0.35
        t_env = 1.4 + 0.3 * math.sqrt((w - 0.1) / 0.5)
        for proto in ("naive", "hold"):
            extra[arm(f"{proto}{D}", "communicating", protocol=proto, latency=D, sweep=True)] = {
                "mean_waiting": w, "throughput": jitter(t_env * (1.02 - 0.08 * D))}
    return headline_run(ent_edge, extra=extra)


def test_claim6_isolates_entanglement():
    m, v = judge("claim6_latency", ev(_latency_run(0.01)))
    assert v.status == "held", v.reason
    assert m.crossover_entangled["naive"] < m.crossover_local["naive"]
    # no entangled edge: communication is beaten beyond the crossover by local rules alone: not held
    m, v = judge("claim6_latency", ev(_latency_run(0.0)))
    assert v.status == "not held" and "not entanglement" in v.reason
    assert m.crossover_local["naive"] == pytest.approx(0.25, abs=0.01)


def test_claim7_certificate():
    assert decide_np(Certificate(-0.35, -0.35, -0.35 + 1e-9, -0.35, 2)).status == "held"
    assert decide_np(Certificate(-0.35, -0.34, -0.34, -0.30, 2)).status == "not held"
    assert decide_np(Certificate(-0.35, float("nan"), -0.35, -0.35, 2)).status == "undefined"


def test_scope_asymmetric_names_the_ill_defined_rules():
    never = arm("never", "local", sym=False)
    run = headline_run(0.01, t2_gain=-0.05, extra={never: {"mean_waiting": 0.6, "throughput": {"baseline": 1.7, "t^2": 900.0},
                                                            "longest_idle_run": 0.9 * SPAN}})
    m, v = judge("scope_asymmetric", ev(run))
    assert v.outcome == "loss" and "ill-posed" in v.reason and "never" in m.gains[0].excluded


def test_scope_entangled_asymmetric_reads_the_paired_difference():
    asym = arm("entangled_asym", "entangled", sym=False, headline=True, asymmetric=True)
    run = headline_run(0.01)
    ent = run.one(family="entangled", headline=True)
    spec = {a: {"mean_waiting": run.values(a, "mean_waiting"),
                "throughput": {lb: run.values(a, "throughput", lb) for lb in run.baselines}} for a in run.arms}
    spec[asym] = dict(spec[ent])
    m, v = judge("scope_entangled_asymmetric", ev(make_run(spec, baselines=power_baselines())))
    assert v.outcome == "no significant difference" and all(abs(d.mean) < 1e-12 for d in m.differences)
    spec[asym] = {**spec[ent], "throughput": {lb: t * 1.02 for lb, t in spec[ent]["throughput"].items()}}
    m, v = judge("scope_entangled_asymmetric", ev(make_run(spec, baselines=power_baselines())))
    assert v.outcome == "gain" and v.status == "held"


def test_claims_that_need_more_evidence_are_undefined_with_a_reason():
    outs = evaluate_claims(ev(headline_run(0.01)))
    by = {o.claim.key: o for o in outs}
    for key in ("claim7_np", "scope_backlog", "scope_links", "scope_estimated_costs"):
        assert by[key].verdict.status == "undefined" and "not evaluated" in by[key].verdict.reason
    assert len(outs) == len(CLAIMS)
