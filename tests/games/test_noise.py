"""White noise: noisy value (linear in v) and critical visibility."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.games import (
    GameError,
    NoAdvantageError,
    QuantumStrategy,
    chsh,
    classical_value,
    critical_visibility,
    magic_square,
    noisy_value,
    odd_cycle,
    quantum_lower_bound,
    xor_quantum_value,
)
from qcoord.games.noise import noise_behaviour

from .test_seesaw import r1_game


@pytest.fixture(scope="module")
def chsh_strategy() -> QuantumStrategy:
    return xor_quantum_value(chsh()).strategy


def test_chsh_critical_visibility(chsh_strategy: QuantumStrategy) -> None:
    assert critical_visibility(chsh(), chsh_strategy) == pytest.approx(1 / math.sqrt(2), abs=1e-9)
    seesaw = quantum_lower_bound(chsh(), seed=0).strategy
    assert critical_visibility(chsh(), seesaw, classical=0.75) == pytest.approx(1 / math.sqrt(2), abs=1e-9)


def test_chsh_noisy_value_closed_form(chsh_strategy: QuantumStrategy) -> None:
    # CHSH correlator sum 2 sqrt(2) v: winning probability 1/2 + v sqrt(2)/4.
    v = np.linspace(0, 1, 11)
    np.testing.assert_allclose(noisy_value(chsh(), chsh_strategy, v), 0.5 + v * math.sqrt(2) / 4, atol=1e-9)


@settings(max_examples=20)
@given(v=st.floats(0.0, 1.0), which=st.sampled_from(["chsh", "odd_cycle5", "r1"]))
def test_noisy_value_equals_value_on_werner_state(v: float, which: str) -> None:
    g = {"chsh": chsh, "odd_cycle5": lambda: odd_cycle(5), "r1": r1_game}[which]()
    strat = quantum_lower_bound(g, restarts=2, seed=1).strategy
    direct = g.value(strat.with_visibility(v).behaviour())  # independent: mix rho, then Born rule
    assert noisy_value(g, strat, v) == pytest.approx(direct, abs=1e-12)


def test_r1_critical_visibilities() -> None:
    # model.md section 5: no advantage below about 0.824 (0.769 at d = 0.05, 1/sqrt(2) at d = 0).
    for d, expected, tol in ((0.1, 0.824, 1e-3), (0.05, 0.769, 1e-3), (0.0, 1 / math.sqrt(2), 1e-7)):
        g = r1_game(d=d)
        strat = quantum_lower_bound(g, seed=0).strategy
        v_star = critical_visibility(g, strat)
        assert v_star == pytest.approx(expected, abs=tol)
        c = classical_value(g).value
        assert noisy_value(g, strat, v_star) == pytest.approx(c, abs=1e-12)
        assert noisy_value(g, strat, min(1.0, v_star + 0.01)) > c


def test_noise_behaviour_is_local_and_below_classical() -> None:
    g = magic_square()
    strat = quantum_lower_bound(g, dim=4, restarts=4, seed=0).strategy
    p0 = noise_behaviour(strat)
    # Product of marginals: p0(a,b|x,y) = p0(a|x) p0(b|y).
    pa = p0.sum(axis=1)[:, :, 0]
    pb = p0.sum(axis=0)[:, 0, :]
    np.testing.assert_allclose(p0, np.einsum("ax,by->abxy", pa, pb), atol=1e-12)
    assert g.value(p0) <= classical_value(g).value + 1e-12


def test_no_advantage() -> None:
    g = chsh()
    # Product state |00> with computational-basis measurements: both always answer 0 (value 3/4).
    meas = np.array([[np.diag([1.0, 0.0]), np.diag([0.0, 1.0])]] * 2)
    prod = QuantumStrategy(state=np.array([1, 0, 0, 0], dtype=complex), alice=meas, bob=meas)
    assert g.value(prod.behaviour()) == pytest.approx(0.75)
    with pytest.raises(NoAdvantageError, match="^strategy: its value"):
        critical_visibility(g, prod)
    assert critical_visibility(g, prod, strict=False) == 1.0
    assert issubclass(NoAdvantageError, ValueError)


@pytest.mark.parametrize("v", [-0.1, 1.5, float("nan"), "high"])
def test_bad_visibility(v: object, chsh_strategy: QuantumStrategy) -> None:
    with pytest.raises(GameError, match="^visibility:"):
        noisy_value(chsh(), chsh_strategy, v)  # type: ignore[arg-type]


def test_mismatched_inputs(chsh_strategy: QuantumStrategy) -> None:
    with pytest.raises(GameError, match="^strategy:"):
        noisy_value(odd_cycle(3), chsh_strategy, 0.5)
    with pytest.raises(GameError, match="^classical:"):
        critical_visibility(chsh(), chsh_strategy, classical="x")
