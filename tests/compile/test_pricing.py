"""Interruption pricing: per split, or per idle server that receives work (busy-flag games)."""

import numpy as np
import pytest

from qcoord.compile import CompileError, compile_game, interruption_penalty, solve
from qcoord.system import Scenario, TwoPoint


def _busy(**kw):
    return Scenario(arrival_rate=0.1, demand=TwoPoint(), backlog_levels=(0.0,), **kw)


def test_split_pricing_is_the_class_only_default():
    sc = Scenario(arrival_rate=0.1, demand=TwoPoint())
    cg = compile_game(sc, 0.5)
    assert cg.pricing == "split"
    np.testing.assert_array_equal(cg.interruptions, cg.split)
    # payoff = -C/2 - lam [a = b]
    np.testing.assert_allclose(cg.game.payoff, -0.5 * cg.cost - 0.5 * cg.split)


def test_idle_pricing_charges_only_idle_servers_that_receive_work():
    sc = _busy()
    pen, used = interruption_penalty(sc, "auto")
    assert used == "idle_servers"
    # questions: q = class * 2 + level, level 0 = idle, 1 = busy; two classes -> 4 questions
    idle, busy = 0, 1
    K, F = 0, 1
    # both idle: exactly the split indicator
    for a in (K, F):
        for b in (K, F):
            assert pen[a, b, idle, idle] == float(a == b)
    # A busy, B idle: a split (KEEP/KEEP) interrupts only B -> 1 - 1 = 0; consolidation at A (KEEP/FORWARD)
    # interrupts nobody idle -> -1; consolidation at B (FORWARD/KEEP) interrupts B -> 0
    assert pen[K, K, busy, idle] == 0.0
    assert pen[K, F, busy, idle] == -1.0
    assert pen[F, K, busy, idle] == 0.0
    # both busy: no idle server is ever interrupted
    assert np.all(pen[:, :, busy, busy] == -1.0)
    # the class index does not matter, only the level
    np.testing.assert_array_equal(pen[:, :, 2 + busy, idle], pen[:, :, busy, idle])


def test_idle_pricing_needs_a_busy_flag():
    with pytest.raises(CompileError, match="pricing"):
        interruption_penalty(Scenario(arrival_rate=0.1, demand=TwoPoint()), "idle_servers")
    with pytest.raises(CompileError, match="pricing"):
        interruption_penalty(_busy(), "per_customer")
    with pytest.raises(CompileError, match="backlog_levels"):
        interruption_penalty(Scenario(arrival_rate=0.1, demand=TwoPoint(), backlog_levels=(1.0,)), "idle_servers")


@pytest.mark.slow
def test_busy_game_priced_per_idle_server_has_a_certified_advantage():
    """At utilisation 0.3 the (class, busy) game priced per split has none; priced per idle server it has."""
    from qcoord.compile import estimate_costs

    sc = Scenario(arrival_rate=0.3, demand=TwoPoint(), handoff_delay=0.1, backlog_levels=(0.0,), n_pairs=60_000,
                  warmup=3_000, replications=4, seed=5)
    est = estimate_costs(sc, 0.5, seed=6, restarts=4)
    per_split = solve(compile_game(sc, 0.5, costs=est, pricing="split"), restarts=2, seed=1, npa_level=2, nonsignaling=False)
    per_idle = solve(compile_game(sc, 0.5, costs=est), restarts=2, seed=1, npa_level=2, nonsignaling=False)
    assert per_split.npa_value - per_split.classical_value < 1e-6
    assert per_idle.classical_value < per_idle.quantum_value - 1e-3
    assert per_idle.quantum_value <= per_idle.npa_value + 1e-6
