"""MultiGame and MultiQuantumStrategy: validation, conversion, Born rule against Kronecker products."""

from __future__ import annotations

import numpy as np
import pytest

from qcoord.games import Game, GameError, chsh, random_game
from qcoord.games.multiparty import MultiGame, MultiQuantumStrategy, check_multi_behaviour, mermin_ghz
from qcoord.games.multiparty.strategy import MultiDeterministicStrategy

from .helpers import X_OP, Y_OP, ghz, kron_behaviour, pauli_projectors


def test_shapes_and_value():
    g = mermin_ghz()
    assert g.n_players == 3 and g.n_questions == (2, 2, 2) and g.n_answers == (2, 2, 2)
    assert g.shape == (2,) * 6
    uniform = np.full(g.shape, 1 / 8)
    assert g.value(uniform) == pytest.approx(0.5)  # every predicate holds for half the answers
    # value = sum_x prob(x) sum_a payoff(a, x) p(a|x), by hand
    p = np.random.default_rng(0).random(g.shape)
    p /= p.sum(axis=(0, 1, 2), keepdims=True)
    by_hand = sum(g.prob[x] * g.payoff[a + x] * p[a + x] for a in np.ndindex(2, 2, 2) for x in np.ndindex(2, 2, 2))
    assert g.value(p) == pytest.approx(by_hand, abs=1e-14)


def test_two_player_conversion_is_exact():
    for G in (chsh(), random_game(3, 2, 2, 3, seed=4)):
        m = MultiGame.from_game(G)
        assert np.array_equal(m.prob, G.prob) and np.array_equal(m.payoff, G.payoff)
        back = m.to_game()
        assert isinstance(back, Game) and np.array_equal(back.payoff, G.payoff) and back.name == G.name
        assert back.question_names == G.question_names and back.answer_names == G.answer_names
    with pytest.raises(GameError, match="only a 2-player"):
        mermin_ghz().to_game()


@pytest.mark.parametrize(
    "prob, payoff, match",
    [
        (np.full(2, 0.5), np.zeros((2, 2)), "N >= 2"),
        (0.5, np.zeros(()), "N >= 2"),
        (np.full((2, 2), 0.25), np.zeros((2, 2, 2)), "4-dimensional"),
        (np.full((2, 2), 0.25), np.zeros((2, 2, 3, 2)), "must end with prob.shape"),
        (np.array([[0.5, 0.75], [0.0, -0.25]]), np.zeros((2, 2, 2, 2)), r"prob: entries must be >= 0"),
        (np.array([[np.nan, 0.5], [0.25, 0.25]]), np.zeros((2, 2, 2, 2)), "prob: entries must be finite"),
        (np.full((2, 2), 0.25), np.full((2, 2, 2, 2), np.inf), "payoff: entries must be finite"),
        (np.full((2, 2), 0.3), np.zeros((2, 2, 2, 2)), "sum to 1"),
        (np.full((2, 2), 0.25), "abc", "payoff"),
    ],
)
def test_bad_input_names_the_field(prob, payoff, match):
    with pytest.raises(GameError, match=match):
        MultiGame(prob, payoff)


def test_renormalisation_warns():
    prob = np.full((2, 2, 2), 0.125) * (1 + 5e-7)
    with pytest.warns(UserWarning, match="renormalised"):
        g = MultiGame(prob, np.zeros((2,) * 6))
    assert g.renormalised and g.prob.sum() == pytest.approx(1.0, abs=1e-15)


def test_names_validated():
    g = MultiGame(np.full((2, 1, 1), 0.5), np.zeros((2, 2, 2, 2, 1, 1)), answer_names=(("k", "f"),) * 3)
    assert g.answer_names[2] == ("k", "f") and g.question_names[1] == ("x0",)
    with pytest.raises(GameError, match="player 1 needs 2 names"):
        MultiGame(np.full((2, 1, 1), 0.5), np.zeros((2, 2, 2, 2, 1, 1)), answer_names=(("k", "f"), ("k",), ("k", "f")))


def test_behaviour_validation():
    g = mermin_ghz()
    with pytest.raises(GameError, match="expected shape"):
        g.value(np.full((2, 2, 2, 2), 0.25))
    bad = np.full(g.shape, 1 / 8)
    bad[0, 0, 0, 0, 0, 0] += 0.1
    with pytest.raises(GameError, match="sum to 1"):
        g.value(bad)
    with pytest.raises(GameError, match=">= 0"):
        check_multi_behaviour(np.full(g.shape, 1 / 8) - 0.2)


def test_deterministic_strategy_behaviour():
    s = MultiDeterministicStrategy(((0, 1), (1, 1), (0, 0)))
    p = s.behaviour((2, 2, 2))
    assert p[0, 1, 0, 0, 1, 0] == 1 and p[1, 1, 0, 1, 0, 1] == 1 and p.sum() == 8
    with pytest.raises(GameError, match=r"answers\[0\]\[1\]"):
        MultiDeterministicStrategy(((0, -1), (0, 0)))


def test_ghz_strategy_wins_mermin_and_born_rule_matches_kron():
    ops = [pauli_projectors(X_OP, Y_OP)] * 3
    s = MultiQuantumStrategy(ghz(3), ops)
    assert s.dims == (2, 2, 2) and s.n_players == 3 and s.shape == (2,) * 6
    p = s.behaviour()
    assert np.allclose(p, kron_behaviour(s.rho, ops), atol=1e-13)
    assert mermin_ghz().value(p) == pytest.approx(1.0, abs=1e-12)
    # white noise: full correlators scale by v, so the XOR game value is 1/2 + v/2
    for v in (0.0, 0.3, 0.9):
        noisy = s.with_visibility(v)
        assert np.allclose(noisy.rho, v * s.rho + (1 - v) * np.eye(8) / 8)
        assert mermin_ghz().value(noisy.behaviour()) == pytest.approx(0.5 + v / 2, abs=1e-12)
    with pytest.raises(GameError, match="visibility"):
        s.with_visibility(1.5)


def test_born_rule_random_mixed_state_unequal_dims():
    rng = np.random.default_rng(3)
    dims = (2, 3, 2)
    ops = []
    for d in dims:
        Q, _ = np.linalg.qr(rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d)))
        P0 = np.outer(Q[:, 0], Q[:, 0].conj())
        ops.append(np.array([[P0, np.eye(d) - P0], [np.eye(d) - P0, P0]]))
    G = rng.standard_normal((12, 12)) + 1j * rng.standard_normal((12, 12))
    rho = G @ G.conj().T
    rho /= np.trace(rho).real
    s = MultiQuantumStrategy(rho, ops, dims=dims)
    assert np.allclose(s.behaviour(), kron_behaviour(rho, ops), atol=1e-12)


def test_strategy_bad_input():
    ops = [pauli_projectors(X_OP, Y_OP)] * 3
    with pytest.raises(GameError, match="length prod"):
        MultiQuantumStrategy(np.ones(4) / 2, ops)
    with pytest.raises(GameError, match="norm 1"):
        MultiQuantumStrategy(np.ones(8), ops)
    with pytest.raises(GameError, match=r"measurements\[1\].*sum to the identity"):
        MultiQuantumStrategy(ghz(3), [ops[0], ops[1] * 0.5, ops[2]])
    with pytest.raises(GameError, match="N >= 2"):
        MultiQuantumStrategy(np.ones(2) / np.sqrt(2), [ops[0]])
    with pytest.raises(GameError, match="dims"):
        MultiQuantumStrategy(ghz(3), ops, dims=(2, 2, 3))
    with pytest.raises(GameError, match="finite"):
        MultiQuantumStrategy(np.full(8, np.nan), ops)
