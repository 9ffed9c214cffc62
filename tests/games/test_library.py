"""The game library: definitions, registry, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from qcoord.games import GAMES, Game, GameError, chsh, chsh_d, get_game, magic_square, odd_cycle, random_game
from qcoord.games.library import _COLS, _ROWS


def test_chsh_is_chsh_d2_and_the_textbook_predicate():
    g = chsh()
    assert g.shape == (2, 2, 2, 2) and g.name == "chsh"
    np.testing.assert_array_equal(g.prob, np.full((2, 2), 0.25))
    for a, b, x, y in np.ndindex(2, 2, 2, 2):
        assert g.payoff[a, b, x, y] == float((a ^ b) == (x & y))
    np.testing.assert_array_equal(chsh_d(2).payoff, g.payoff)


@pytest.mark.parametrize("d", [3, 4, 5])
def test_chsh_d_predicate(d):
    g = chsh_d(d)
    assert g.shape == (d, d, d, d)
    assert g.prob.sum() == pytest.approx(1.0) and np.ptp(g.prob) == 0
    for a, b, x, y in np.ndindex(d, d, d, d):
        assert g.payoff[a, b, x, y] == float((a - b) % d == (x * y) % d)
    # exactly one winning b for every (a, x, y)
    np.testing.assert_array_equal(g.payoff.sum(axis=1), 1.0)


@pytest.mark.parametrize("n", [3, 5, 7])
def test_odd_cycle_structure(n):
    g = odd_cycle(n)
    assert g.shape == (2, 2, n, n)
    support = np.argwhere(g.prob > 0)
    assert len(support) == 2 * n
    for x, y in support:
        assert y in (x, (x + 1) % n)
        assert g.prob[x, y] == pytest.approx(1 / (2 * n))
        same = y == x
        for a, b in np.ndindex(2, 2):
            assert g.payoff[a, b, x, y] == float((a == b) == same)


def test_magic_square_answers_and_rule():
    g = magic_square()
    assert g.shape == (4, 4, 3, 3)
    assert all(sum(r) % 2 == 0 for r in _ROWS) and all(sum(c) % 2 == 1 for c in _COLS)
    assert len(set(_ROWS)) == 4 and len(set(_COLS)) == 4
    assert g.answer_names[0][1] == "011" and g.answer_names[1][3] == "111"
    for i, j, r, c in np.ndindex(4, 4, 3, 3):
        assert g.payoff[i, j, r, c] == float(_ROWS[i][c] == _COLS[j][r])


def test_random_game_kinds_and_reproducibility():
    g1 = random_game(3, 4, na=2, nb=3, seed=42)
    g2 = random_game(3, 4, na=2, nb=3, seed=42)
    np.testing.assert_array_equal(g1.payoff, g2.payoff)
    np.testing.assert_array_equal(g1.prob, g2.prob)
    assert not np.array_equal(random_game(3, 4, na=2, nb=3, seed=43).payoff, g1.payoff)
    assert g1.shape == (2, 3, 3, 4) and (g1.prob > 0).all()
    b = random_game(5, 5, seed=0, kind="binary")
    assert set(np.unique(b.payoff)) <= {0.0, 1.0}
    n = random_game(5, 5, seed=0, kind="negative")
    assert (n.payoff < 0).all()
    w = random_game(5, 5, seed=0, kind="weighted")
    assert ((w.payoff >= 0) & (w.payoff < 1)).all()
    ss = np.random.SeedSequence(9)
    assert random_game(2, 2, seed=ss).name.endswith("seed9")


def test_registry():
    assert {"chsh", "chsh3", "odd_cycle5", "magic_square"} <= set(GAMES)
    for name in GAMES:
        g = get_game(name)
        assert isinstance(g, Game)
    with pytest.raises(GameError, match="unknown name 'nope'; available: .*chsh"):
        get_game("nope")


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: chsh_d(1), "d: must be an integer >= 2"),
        (lambda: chsh_d(2.5), "d: must be an integer >= 2"),
        (lambda: odd_cycle(4), "n: must be an odd integer >= 3"),
        (lambda: odd_cycle(1), "n: must be an integer >= 3"),
        (lambda: random_game(0, 2), "nx: must be an integer >= 1"),
        (lambda: random_game(2, 2, nb=0), "nb: must be an integer >= 1"),
        (lambda: random_game(2, 2, kind="bogus"), "kind: must be one of"),
        (lambda: random_game(2, 2, seed=-1), "^seed: must be an integer >= 0, got -1"),
        (lambda: random_game(2, 2, seed=1.5), "^seed: must be an integer >= 0, got 1.5"),
    ],
)
def test_bad_inputs(call, match):
    with pytest.raises(GameError, match=match):
        call()


def test_random_game_without_seed_records_the_entropy_it_drew():
    g = random_game(2, 3, seed=None)
    entropy = int(g.name.rsplit("seed", 1)[1])  # was "seedNone": not reproducible
    again = random_game(2, 3, seed=entropy)
    assert np.array_equal(again.prob, g.prob) and np.array_equal(again.payoff, g.payoff)
