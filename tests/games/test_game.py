"""The Game value type: validation, evaluation, interop."""

import numpy as np
import pytest

from qcoord.games import DeterministicStrategy, Game, GameError, QuantumStrategy, check_behaviour


def chsh_payoff():
    pay = np.zeros((2, 2, 2, 2))
    for a in range(2):
        for b in range(2):
            for x in range(2):
                for y in range(2):
                    pay[a, b, x, y] = float((a ^ b) == (x & y))
    return pay


def test_value_of_deterministic_and_quantum_chsh():
    g = Game(np.full((2, 2), 0.25), chsh_payoff())
    assert g.value(DeterministicStrategy((0, 0), (0, 0)).behaviour((2, 2))) == pytest.approx(0.75)

    def proj(th):
        v = np.array([np.cos(th / 2), np.sin(th / 2)])
        P = np.outer(v, v)
        return np.stack([P, np.eye(2) - P])

    A = np.stack([proj(0), proj(np.pi / 2)])
    B = np.stack([proj(np.pi / 4), proj(-np.pi / 4)])
    s = QuantumStrategy(np.array([1, 0, 0, 1]) / np.sqrt(2), A, B)
    assert g.value(s.behaviour()) == pytest.approx(np.cos(np.pi / 8) ** 2, abs=1e-12)
    assert g.value(s.with_visibility(1 / np.sqrt(2)).behaviour()) == pytest.approx(0.75, abs=1e-12)


@pytest.mark.parametrize(
    "prob, payoff, match",
    [
        (np.full((2, 2), 0.3), np.zeros((2, 2, 2, 2)), "prob: entries must sum to 1"),
        (np.array([[1.5, -0.5], [0, 0]]), np.zeros((2, 2, 2, 2)), r"prob: entries must be >= 0"),
        (np.full((2, 2), 0.25), np.zeros((2, 2, 3, 2)), "payoff: shape"),
        (np.full((2, 2), 0.25), np.full((2, 2, 2, 2), np.nan), "payoff: entries must be finite"),
        (np.full(4, 0.25), np.zeros((2, 2, 2, 2)), "prob: expected a 2-dimensional"),
    ],
)
def test_bad_games_name_the_field(prob, payoff, match):
    with pytest.raises(GameError, match=match):
        Game(prob, payoff)


def test_bad_behaviour():
    with pytest.raises(GameError, match="sums to"):
        check_behaviour(np.full((2, 2, 2, 2), 0.3))


def test_toqito_and_json_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    prob = rng.random((3, 2))
    prob /= prob.sum()
    g = Game(prob, rng.normal(size=(2, 3, 3, 2)), name="r", question_names=(["p", "q", "r"], ["s", "t"]))
    g2 = Game.from_toqito(*g.to_toqito())
    assert np.array_equal(g2.payoff, g.payoff) and np.array_equal(g2.prob, g.prob)
    path = tmp_path / "g.json"
    g.to_json(path)
    g3 = Game.from_json(path)
    assert np.array_equal(g3.payoff, g.payoff) and g3.question_names == g.question_names and g3.name == "r"
    with pytest.raises(GameError, match="does not exist"):
        Game.from_json(tmp_path / "missing.json")
