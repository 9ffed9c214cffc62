"""Game constructors: XOR games, parallel repetition, BCS games, perfect-strategy test; prob renormalisation."""

from __future__ import annotations

import dataclasses
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

from qcoord.games import (
    Game,
    GameError,
    PerfectStrategyResult,
    bcs_game,
    chsh,
    classical_value,
    has_perfect_strategy,
    nonsignaling_value,
    npa_upper_bound,
    odd_cycle,
    quantum_lower_bound,
    random_game,
    repeat,
    xor_game,
)
from qcoord.games.library import MAX_REPEAT_ENTRIES

CYCLE4 = [[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1]]


# --------------------------------------------------------------------------- XOR games
def test_xor_game_chsh():
    g = xor_game(np.full((2, 2), 0.25), [[0, 0], [0, 1]])
    np.testing.assert_array_equal(g.payoff, chsh().payoff)
    np.testing.assert_array_equal(g.prob, chsh().prob)


def test_xor_game_general():
    rng = np.random.default_rng(0)
    prob = rng.random((3, 4))
    prob /= prob.sum()
    f = rng.integers(2, size=(3, 4))
    g = xor_game(prob, f.astype(bool), name="x")
    assert g.shape == (2, 2, 3, 4) and g.name == "x"
    for a, b, x, y in np.ndindex(g.shape):
        assert g.payoff[a, b, x, y] == float((a ^ b) == f[x, y])
    # an XOR game with f = x AND y on uniform questions is CHSH: classical 3/4
    assert classical_value(xor_game(np.full((2, 2), 0.25), [[0, 0], [0, 1]])).value == 0.75


@pytest.mark.parametrize(
    "prob, parity, match",
    [
        (np.full((2, 2), 0.25), [[0, 0], [0, 2]], r"^parity: entries must be 0 or 1; parity\[1, 1\] = 2.0"),
        (np.full((2, 2), 0.25), [[0, 0, 1]], r"^parity: expected a 2-dimensional|^parity: expected shape"),
        (np.full((2, 2), 0.25), [0, 1], "^parity: expected a 2-dimensional"),
        (np.full((2, 2), 0.3), [[0, 0], [0, 1]], "^prob: entries must sum to 1"),
        ([1.0, 0.0], [[0, 1]], "^prob: expected a 2-dimensional"),
    ],
)
def test_xor_game_bad_inputs(prob, parity, match):
    with pytest.raises(GameError, match=match):
        xor_game(prob, parity)


# --------------------------------------------------------------------------- parallel repetition
def test_repeat_structure_row_major():
    g = random_game(2, 3, na=2, nb=3, seed=4)
    g2 = repeat(g, 2)
    na, nb, nx, ny = g.shape
    assert g2.shape == (na**2, nb**2, nx**2, ny**2) and g2.name == f"{g.name}^2"
    assert g2.prob.sum() == pytest.approx(1.0, abs=1e-12) and not g2.renormalised
    for x1, x2, y1, y2 in np.ndindex(nx, nx, ny, ny):
        assert g2.prob[x1 * nx + x2, y1 * ny + y2] == pytest.approx(g.prob[x1, y1] * g.prob[x2, y2], rel=1e-14)
    rng = np.random.default_rng(0)
    for _ in range(50):
        a1, a2 = rng.integers(na, size=2)
        b1, b2 = rng.integers(nb, size=2)
        x1, x2 = rng.integers(nx, size=2)
        y1, y2 = rng.integers(ny, size=2)
        got = g2.payoff[a1 * na + a2, b1 * nb + b2, x1 * nx + x2, y1 * ny + y2]
        assert got == pytest.approx(g.payoff[a1, b1, x1, y1] * g.payoff[a2, b2, x2, y2], rel=1e-14)
    assert g2.question_names[0][nx + 1] == "x1,x1" and g2.answer_names[1][nb * 2 + 1] == "a2,a1"
    g3 = repeat(g, 3)
    assert g3.shape == (na**3, nb**3, nx**3, ny**3)
    assert g3.prob[-1, -1] == pytest.approx(g.prob[-1, -1] ** 3, rel=1e-13)


def test_repeat_one_and_pow():
    g = chsh()
    g1 = repeat(g, 1)
    np.testing.assert_array_equal(g1.payoff, g.payoff)
    np.testing.assert_array_equal(g1.prob, g.prob)
    g2 = g**2
    assert isinstance(g2, Game)
    np.testing.assert_array_equal(g2.payoff, repeat(g, 2).payoff)
    np.testing.assert_array_equal(g2.prob, repeat(g, 2).prob)


def test_repeat_of_independent_strategies_multiplies_values():
    """Playing a behaviour independently in each round gives the product of the values (product payoffs)."""
    g = random_game(2, 2, na=2, nb=3, seed=9)
    rng = np.random.default_rng(1)
    p = rng.random(g.shape)
    p /= p.sum(axis=(0, 1), keepdims=True)
    na, nb, nx, ny = g.shape
    p2 = np.einsum("abxy,cdzw->acbdxzyw", p, p).reshape(na * na, nb * nb, nx * nx, ny * ny)
    assert repeat(g, 2).value(p2) == pytest.approx(g.value(p) ** 2, rel=1e-12)


@pytest.mark.parametrize("k, match", [(0, "^k: must be an integer >= 1"), (1.5, "^k: must be an integer"), (True, "^k: must be")])
def test_repeat_bad_k(k, match):
    with pytest.raises(GameError, match=match):
        repeat(chsh(), k)


def test_repeat_refuses_huge_games():
    g = chsh()
    k = 1
    while 16 ** (k + 1) <= MAX_REPEAT_ENTRIES:
        k += 1
    with pytest.raises(GameError, match="^k: .* above MAX_REPEAT_ENTRIES"):
        repeat(g, k + 1)
    with pytest.raises(GameError, match="^game: expected a qcoord Game"):
        repeat("chsh", 2)  # type: ignore[arg-type]


def test_chsh_twice_values():
    g2 = chsh() ** 2
    c = classical_value(g2)
    assert c.certificate.value_exact == Fraction(10, 16)
    target = math.cos(math.pi / 8) ** 4
    q = quantum_lower_bound(g2, dim=4, restarts=16, seed=1)
    assert q.value == pytest.approx(target, abs=1e-4) and q.value <= target + 1e-9
    npa = npa_upper_bound(g2, "1+ab")
    assert target - 1e-4 <= npa.value <= target + 1e-6
    assert nonsignaling_value(g2).value == pytest.approx(1.0, abs=1e-6)


# --------------------------------------------------------------------------- BCS games
def test_bcs_structure():
    g = bcs_game(CYCLE4, [0, 0, 0, 1])
    assert g.shape == (4, 2, 4, 4) and g.name == "bcs_4x4"
    support = np.argwhere(g.prob > 0)
    assert len(support) == 8
    for i, j in support:
        assert CYCLE4[i][j] == 1 and g.prob[i, j] == pytest.approx(1 / 8)
    # constraint 3 is v0 + v3 = 1 (variables in increasing order: bit 0 = v0, bit 1 = v3)
    for a, beta in np.ndindex(4, 2):
        bits = (a & 1, a >> 1)
        ok = (bits[0] + bits[1]) % 2 == 1
        assert g.payoff[a, beta, 3, 0] == float(ok and bits[0] == beta)
        assert g.payoff[a, beta, 3, 3] == float(ok and bits[1] == beta)
    assert g.answer_names[0] == ("00", "10", "01", "11")
    assert g.question_names == (("c0", "c1", "c2", "c3"), ("v0", "v1", "v2", "v3"))


def test_bcs_mixed_arity_ignores_extra_bits():
    # v0 + v1 + v2 = 1 and v1 = 1: Alice has 8 answers; for the unary constraint bits 1, 2 are ignored
    g = bcs_game([[1, 1, 1], [0, 1, 0]], [1, 1])
    assert g.shape == (8, 2, 2, 3)
    np.testing.assert_allclose(g.prob, [[1 / 6, 1 / 6, 1 / 6], [0, 1 / 2, 0]])
    for a, beta in np.ndindex(8, 2):
        assert g.payoff[a, beta, 1, 1] == float((a & 1) == 1 and beta == 1)
    assert classical_value(g).value == pytest.approx(1.0)  # v = (1, 1, 1) solves it


def test_bcs_four_cycle_odd_parity_has_no_perfect_strategy():
    g = bcs_game(CYCLE4, [0, 0, 0, 1])
    target = math.cos(math.pi / 16) ** 2  # 0.96194
    c = classical_value(g)
    assert c.certificate.value_exact == Fraction(7, 8) and c.value < 1
    npa = npa_upper_bound(g, "1+ab")
    assert npa.value < 1 - 1e-3
    assert npa.value == pytest.approx(target, abs=1e-6)
    q = quantum_lower_bound(g, dim=2, restarts=8, seed=0)
    assert q.value == pytest.approx(target, abs=1e-6)
    res = has_perfect_strategy(g)
    assert isinstance(res, PerfectStrategyResult)
    assert not res.perfect and not res and res.certified
    assert res.level == "1+ab" and res.target == pytest.approx(1.0) and res.npa_bound == pytest.approx(target, abs=1e-6)
    assert res.certified_bound >= res.npa_bound - 1e-7 and res.certified_bound < 1 - 1e-6


def test_bcs_consistent_system_is_perfect():
    g = bcs_game(CYCLE4, [0, 0, 0, 0])
    assert classical_value(g).value == pytest.approx(1.0, abs=1e-12)
    res = has_perfect_strategy(g, level=1)
    assert res.perfect and res and not res.certified
    assert res.npa_bound == pytest.approx(1.0, abs=1e-6)


def test_bcs_magic_square_is_not_ruled_out():
    """Mermin-Peres: classically unsatisfiable (rows even, columns odd), but it has an operator solution."""
    M = np.zeros((6, 9), dtype=int)
    for r in range(3):
        M[r, 3 * r : 3 * r + 3] = 1
        M[3 + r, r::3] = 1
    g = bcs_game(M, [0, 0, 0, 1, 1, 1])
    assert classical_value(g).value == pytest.approx(17 / 18, abs=1e-12)
    res = has_perfect_strategy(g, level=1)
    assert res.perfect and not res.certified


def test_bcs_odd_cycle_matches_library_game():
    """The 3-cycle system with odd parity is the odd-cycle game C_3 with relabelled answers."""
    g = bcs_game([[1, 1, 0], [0, 1, 1], [1, 0, 1]], [0, 0, 1])
    assert classical_value(g).value == pytest.approx(classical_value(odd_cycle(3)).value)
    assert npa_upper_bound(g, 1).value == pytest.approx(math.cos(math.pi / 12) ** 2, abs=1e-6)


@pytest.mark.parametrize(
    "M, b, match",
    [
        ([[1, 0], [0, 0]], [0, 0], r"^M: every constraint needs at least one variable; row M\[1\]"),
        ([[1, 2]], [0], r"^M: entries must be 0 or 1; M\[0, 1\] = 2.0"),
        ([1, 1], [0], "^M: expected a 2-dimensional"),
        ([[1, 1]], [0, 1], r"^b: expected shape \(1,\)"),
        ([[1, 1]], [0.5], "^b: entries must be 0 or 1"),
        (np.ones((1, 17), dtype=int), [0], "^M: the largest constraint has 17 variables"),
    ],
)
def test_bcs_bad_inputs(M, b, match):
    with pytest.raises(GameError, match=match):
        bcs_game(M, b)


def test_has_perfect_strategy_bad_inputs():
    with pytest.raises(GameError, match="^tol: must be a finite number > 0"):
        has_perfect_strategy(chsh(), tol=0)
    with pytest.raises(GameError, match="^game: expected a qcoord Game"):
        has_perfect_strategy("chsh")  # type: ignore[arg-type]


def test_has_perfect_strategy_chsh():
    res = has_perfect_strategy(chsh(), level=1)
    assert not res.perfect and res.certified and res.npa_bound == pytest.approx(math.cos(math.pi / 8) ** 2, abs=1e-6)


# --------------------------------------------------------------------------- prob renormalisation
def test_prob_off_by_less_than_1e6_is_renormalised_with_a_warning():
    prob = np.full((2, 2), 0.25)
    prob[0, 0] += 4e-7
    with pytest.warns(UserWarning, match=r"prob: entries sum to 1\.0000004.*renormalised"):
        g = Game(prob, chsh().payoff)
    assert g.renormalised
    assert g.prob.sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(g.prob, prob / prob.sum(), rtol=1e-15)
    np.testing.assert_allclose(g.weights, g.prob[None, None] * g.payoff, rtol=1e-15)
    assert not g.prob.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.renormalised = False  # type: ignore[misc]
    # the round trip carries the normalised prob: no warning, not renormalised again
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = Game.from_json(g.to_json())
    assert not back.renormalised
    np.testing.assert_array_equal(back.prob, g.prob)
    np.testing.assert_array_equal(back.payoff, g.payoff)
    # and solvers see a normalised game: CHSH's value moves by O(4e-7) only
    assert classical_value(g).value == pytest.approx(0.75, abs=1e-6)
    assert g.value(np.full(g.shape, 0.25)) == pytest.approx(0.5, abs=1e-15)


def test_prob_below_the_sum_is_renormalised_too():
    prob = np.array([[0.3333333, 0.3333333], [0.3333333, 0.0]])  # sums to 0.9999999
    with pytest.warns(UserWarning, match="renormalised"):
        g = Game(prob, np.zeros((2, 2, 2, 2)))
    assert g.renormalised and g.prob.sum() == pytest.approx(1.0, abs=1e-15)


def test_prob_within_1e9_is_accepted_silently():
    prob = np.full((2, 2), 0.25)
    prob[0, 0] += 5e-10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = Game(prob, chsh().payoff)
    assert not g.renormalised
    np.testing.assert_array_equal(g.prob, prob)
    assert not chsh().renormalised
    assert "renormalised" not in repr(g)


@pytest.mark.parametrize("delta", [2e-6, -2e-6, 0.05])
def test_prob_beyond_1e6_is_an_error(delta):
    prob = np.full((2, 2), 0.25)
    prob[1, 1] += delta
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(GameError, match=r"^prob: entries must sum to 1 \(within 1e-09; .*they sum to"):
            Game(prob, chsh().payoff)
