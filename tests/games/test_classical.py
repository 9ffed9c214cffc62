"""classical_value: closed forms, brute force over both players, kernel vs reference, certificates."""

from __future__ import annotations

import dataclasses
import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.games import (
    CertificateError,
    DeterministicStrategy,
    Game,
    GameError,
    GameTooLargeError,
    chsh,
    chsh_d,
    classical_value,
    exact_value,
    magic_square,
    odd_cycle,
    random_game,
)
from qcoord.games._classical_kernels import (
    chunk_maxima,
    chunk_maxima_reference,
    chunk_maxima_serial,
    near_optimal_direct,
)
from qcoord.games.classical import _all_tuples


def brute_force_both(game: Game) -> float:
    """Independent check: every pair of deterministic strategies, value from the behaviour."""
    na, nb, nx, ny = game.shape
    W = game.weights
    A = np.array(list(itertools.product(range(na), repeat=nx)), dtype=np.int64).reshape(-1, nx)
    B = np.array(list(itertools.product(range(nb), repeat=ny)), dtype=np.int64).reshape(-1, ny)
    xs, ys = np.arange(nx), np.arange(ny)
    best = -np.inf
    for f in A:
        # every Bob strategy g: V(f, g) = sum_y C[y, g[y]] with C[y, b] = sum_x W[f[x], b, x, y]
        C = W[f[:, None], :, xs[:, None], ys[None, :]].sum(axis=0)  # (ny, nb)
        vals = C[ys[None, :], B].sum(axis=1)
        best = max(best, float(vals.max()))
    return best


def brute_force_alice(game: Game) -> float:
    """Enumerate Alice only, Bob's best response by a direct max (used where both-sides is too slow)."""
    na, nb, nx, ny = game.shape
    W = game.weights
    best = -np.inf
    for f in itertools.product(range(na), repeat=nx):
        Bm = sum(W[f[x], :, x, :] for x in range(nx))  # (nb, ny)
        best = max(best, float(Bm.max(axis=0).sum()))
    return best


def test_chsh_is_three_quarters_exactly():
    r = classical_value(chsh())
    assert r.value == 0.75 and float(r) == 0.75
    assert r.certificate.value_exact == Fraction(3, 4)
    assert chsh().value(r.strategy.behaviour((2, 2))) == 0.75
    assert r.certificate.verify(chsh()).level == "exact"
    assert r.status == "optimal" and r.time_s >= 0


@pytest.mark.parametrize("n", [3, 5, 7, 9])
def test_odd_cycle(n):
    g = odd_cycle(n)
    r = classical_value(g)
    assert r.value == pytest.approx(1 - 1 / (2 * n), abs=1e-14)
    assert r.certificate.verify(g).level == "exact"


def test_magic_square_eight_ninths():
    g = magic_square()
    r = classical_value(g)
    assert r.value == pytest.approx(8 / 9, abs=1e-15)
    assert g.value(r.strategy.behaviour((4, 4))) == pytest.approx(8 / 9, abs=1e-15)
    assert r.certificate.verify(g).level == "exact"


@pytest.mark.parametrize("d", [2, 3, 4])
def test_chsh_d_against_brute_force_over_both_players(d):
    g = chsh_d(d)
    assert classical_value(g).value == pytest.approx(brute_force_both(g), abs=1e-14)


def test_chsh_d5_against_alice_enumeration():
    g = chsh_d(5)
    r = classical_value(g)
    assert r.value == pytest.approx(brute_force_alice(g), abs=1e-14)
    assert r.certificate.verify(g).level == "exact"


def test_known_chsh_d_values():
    # d = 2: 3/4; d = 3: 2/3 (values also re-derived by brute force above).
    assert classical_value(chsh_d(2)).value == pytest.approx(0.75)
    assert classical_value(chsh_d(3)).value == pytest.approx(2 / 3)


game_shapes = st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3))


@st.composite
def games(draw, max_q=4, max_a=3, signs="any"):
    nx, ny = draw(st.integers(1, max_q)), draw(st.integers(1, max_q))
    na, nb = draw(st.integers(1, max_a)), draw(st.integers(1, max_a))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    prob = rng.random((nx, ny)) + 1e-3
    if draw(st.booleans()):
        prob[rng.random((nx, ny)) < 0.3] = 0.0
        if prob.sum() == 0:
            prob[0, 0] = 1.0
    prob /= prob.sum()
    kind = draw(st.sampled_from(["normal", "binary", "negative", "ties"])) if signs == "any" else signs
    if kind == "normal":
        payoff = rng.normal(size=(na, nb, nx, ny))
    elif kind == "binary":
        payoff = (rng.random((na, nb, nx, ny)) < 0.5).astype(float)
    elif kind == "negative":
        payoff = -rng.random((na, nb, nx, ny)) - 0.1
    else:
        payoff = rng.integers(-2, 3, size=(na, nb, nx, ny)).astype(float)
    return Game(prob, payoff)


@given(games())
@settings(max_examples=40)
def test_random_games_match_brute_force_and_certificate_is_exact(g):
    r = classical_value(g)
    assert r.value == pytest.approx(brute_force_both(g), abs=1e-12)
    assert g.value(r.strategy.behaviour(g.num_answers)) == pytest.approx(r.value, abs=1e-12)
    assert r.certificate.value_exact == exact_value(g, r.strategy)
    assert float(r.certificate.value_exact) == r.value
    v = r.certificate.verify(g)
    assert v.level == "exact" and v.checked_strategies == r.certificate.num_strategies


@given(games(max_q=6, max_a=3), st.sampled_from([1, 2, 3, 5, 9]))
@settings(max_examples=25)
def test_chunking_and_pruning_do_not_change_the_value(g, chunk_size):
    full = classical_value(g, prune=False)
    for prune in (True, False):
        r = classical_value(g, chunk_size=chunk_size, prune=prune)
        assert r.value == pytest.approx(full.value, abs=1e-12)
        assert r.certificate.verify(g).level == "exact"
        assert r.certificate.verify(g, exact_limit=0).level == "exact"  # float path + exact near-ties


def test_smaller_side_is_enumerated():
    g = random_game(3, 6, na=2, nb=2, seed=3)
    c = classical_value(g).certificate
    assert c.enumerated == "alice" and c.num_strategies == 8
    g = random_game(6, 2, na=2, nb=3, seed=3)
    c = classical_value(g).certificate
    assert c.enumerated == "bob" and c.num_strategies == 9


def test_pruning_skips_chunks_and_is_certified():
    # Questions of very different weight: the heavy question decides, light chunks are pruned.
    rng = np.random.default_rng(7)
    nx = ny = 10
    prob = rng.random((nx, ny)) * np.geomspace(1, 1e-3, nx)[None, :] * np.geomspace(1e-3, 1, nx)[:, None]
    prob /= prob.sum()
    g = Game(prob, rng.normal(size=(2, 2, nx, ny)))
    r = classical_value(g, chunk_size=8)
    c = r.certificate
    assert len(c.pruned_prefixes) > 0 and c.num_evaluated < c.num_strategies
    assert (c.pruned_bounds < c.incumbent).all()
    assert r.value == pytest.approx(classical_value(g, prune=False).value, abs=1e-13)
    assert c.verify(g).level == "exact"
    assert c.verify(g, exact_limit=0).level == "exact"
    assert c.verify(g, exact_limit=0, max_candidates=0).level == "rounding"


def chunk_values(Wt, k, pre):
    ne = Wt.shape[1]
    free = _all_tuples(ne, k)
    strategies = np.concatenate([free, np.broadcast_to(pre, (len(free), len(pre)))], axis=1)
    return np.array([Wt[np.arange(len(s)), s].sum(axis=0).max(axis=0).sum() for s in strategies])


def test_kernel_matches_plain_reference():
    g = random_game(7, 5, na=3, nb=2, seed=11)
    Wt = np.ascontiguousarray(g.weights.transpose(2, 0, 1, 3))
    k = 4
    prefixes = _all_tuples(3, 7 - k)
    delta = np.ascontiguousarray(Wt[:k, None] - Wt[:k, :, None])
    v = np.empty(len(prefixes))
    a = np.empty((len(prefixes), 7), dtype=np.int64)
    chunk_maxima(Wt, delta, k, prefixes, v, a)
    v_ref, _ = chunk_maxima_reference(Wt, k, prefixes)
    np.testing.assert_allclose(v, v_ref, atol=1e-13)
    v_serial = np.empty(len(prefixes))
    a_serial = np.empty_like(a)
    chunk_maxima_serial(Wt, delta, k, prefixes, v_serial, a_serial)
    np.testing.assert_array_equal(v_serial, v)
    np.testing.assert_array_equal(a_serial, a)
    free = _all_tuples(3, k)
    out = np.empty((10_000, 7), dtype=np.int64)
    best, count = near_optimal_direct(Wt, free, prefixes, v_ref.max() - 0.01, out)
    assert best == pytest.approx(v_ref.max(), abs=1e-13)
    # the collected near-optimal strategies are exactly those within 0.01 of the best
    allv = np.concatenate([chunk_values(Wt, k, pre) for pre in prefixes])
    assert count == int((allv >= v_ref.max() - 0.01).sum()) > 0
    vals = np.array([Wt[np.arange(7), s].sum(axis=0).max(axis=0).sum() for s in out[:count]])
    assert (vals >= v_ref.max() - 0.01 - 1e-12).all()
    # the kernel's maximisers really attain the chunk maxima
    vals = np.array([Wt[np.arange(7), s].sum(axis=0).max(axis=0).sum() for s in a])
    np.testing.assert_allclose(vals, v, atol=1e-13)


def test_all_negative_payoffs_give_the_negative_optimum():
    g = random_game(4, 3, na=2, nb=3, seed=5, kind="negative")
    r = classical_value(g)
    assert r.value < 0
    assert r.value == pytest.approx(brute_force_both(g), abs=1e-13)


def test_larger_game_certificate_is_exact_via_near_optimal_candidates():
    g = random_game(14, 14, seed=2, kind="binary")
    r = classical_value(g)
    v = r.certificate.verify(g)
    assert v.level == "exact" and v.gap_bound == 0.0 and v.checked_strategies == r.certificate.num_evaluated
    w = r.certificate.verify(g, max_candidates=0)  # no exact check of candidates: rounding level
    assert w.level == "rounding" and 0 < w.gap_bound < 1e-9
    # a game where every strategy ties (constant payoff): all 4096 candidates are checked exactly
    tied = Game(np.full((12, 12), 1 / 144), np.ones((2, 2, 12, 12)))
    c = classical_value(tied).certificate
    assert c.verify(tied, exact_limit=0).level == "exact"
    assert c.verify(tied, exact_limit=0, max_candidates=100).level == "rounding"
    # one-sided checks on a sample of random strategies: none beats the returned one
    rng = np.random.default_rng(0)
    for _ in range(200):
        f = rng.integers(0, 2, 14)
        Bm = sum(g.weights[f[x], :, x, :] for x in range(14))
        assert Bm.max(axis=0).sum() <= r.value + 1e-12


def test_float_path_catches_a_better_strategy():
    # A certificate for a suboptimal strategy (coverage fine, nothing pruned): both the exact
    # enumeration and the float path with its exact near-optimal check reject it.
    g = random_game(9, 9, seed=4)
    c = classical_value(g, chunk_size=8, prune=False).certificate
    alice = list(c.strategy.alice)
    alice[int(np.argmax(g.prob.sum(axis=1)))] ^= 1
    Bm = sum(g.weights[alice[x], :, x, :] for x in range(9))
    worse = DeterministicStrategy(tuple(alice), tuple(int(b) for b in Bm.argmax(axis=0)))
    fake = dataclasses.replace(c, strategy=worse, value_exact=exact_value(g, worse))
    assert fake.value_exact < c.value_exact
    with pytest.raises(CertificateError, match="searched chunks|enumeration"):
        fake.verify(g, exact_limit=0)
    with pytest.raises(CertificateError, match="enumeration"):
        fake.verify(g)


def test_tampered_certificates_are_rejected():
    g = random_game(6, 6, seed=1)
    r = classical_value(g, chunk_size=4)
    c = r.certificate
    with pytest.raises(CertificateError, match="value_exact"):
        dataclasses.replace(c, value_exact=c.value_exact + Fraction(1, 10**9)).verify(g)
    # a non-optimal strategy (flip one of Alice's answers) with its own exact value
    alice = list(c.strategy.alice)
    alice[0] ^= 1
    bad = DeterministicStrategy(tuple(alice), c.strategy.bob)
    with pytest.raises(CertificateError):
        dataclasses.replace(c, strategy=bad, value_exact=exact_value(g, bad)).verify(g)
    # drop a searched chunk: the chunks no longer cover every strategy
    with pytest.raises(CertificateError, match="cover"):
        dataclasses.replace(c, searched_prefixes=c.searched_prefixes[1:], searched_maxima=c.searched_maxima[1:]).verify(g)
    # claim the best chunk was pruned: its exact bound exceeds the value
    best = int(np.argmax(c.searched_maxima))
    keep = np.delete(np.arange(len(c.searched_prefixes)), best)
    moved = dataclasses.replace(
        c,
        searched_prefixes=c.searched_prefixes[keep],
        searched_maxima=c.searched_maxima[keep],
        pruned_prefixes=np.concatenate([c.pruned_prefixes, c.searched_prefixes[best : best + 1]]),
        pruned_bounds=np.concatenate([c.pruned_bounds, [0.0]]),
    )
    with pytest.raises(CertificateError, match="pruned chunk"):
        moved.verify(g)


def test_progress_hook_reports_completion():
    calls = []
    classical_value(random_game(9, 9, seed=0), chunk_size=8, progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1] == (512, 512)
    assert all(d <= t for d, t in calls)


def test_bad_inputs():
    with pytest.raises(GameError, match="game: expected a qcoord.games.Game"):
        classical_value(np.zeros((2, 2, 2, 2)))  # type: ignore[arg-type]
    with pytest.raises(GameError, match="chunk_size: must be an integer >= 1"):
        classical_value(chsh(), chunk_size=0)
    with pytest.raises(GameTooLargeError, match="max_strategies = 100"):
        classical_value(random_game(8, 8, seed=0), max_strategies=100)
    with pytest.raises(GameError, match="strategy: expects"):
        exact_value(chsh(), DeterministicStrategy((0,), (0, 0)))
    assert issubclass(GameTooLargeError, ValueError) and issubclass(CertificateError, ValueError)


def test_exact_check_resolves_differences_below_float_resolution():
    # Alice's answer 1 to question 0 is better by 2**-52 in one payoff entry: far below the rounding
    # bound of the float search, but the exact near-optimal check must still see it.
    payoff = np.ones((2, 2, 12, 12))
    payoff[1, :, 0, :] += 2.0**-52
    g = Game(np.full((12, 12), 1 / 144), payoff)
    c = classical_value(g).certificate
    assert c.verify(g, exact_limit=0).level == "exact"
    assert c.strategy.alice[0] == 1 and c.exact_candidates > 1  # the exact refinement found it
    assert c.value_exact > exact_value(g, DeterministicStrategy((0,) + c.strategy.alice[1:], c.strategy.bob))
    alice = (0,) + c.strategy.alice[1:]
    worse = DeterministicStrategy(alice, c.strategy.bob)
    fake = dataclasses.replace(c, strategy=worse, value_exact=exact_value(g, worse))
    assert fake.value_exact < exact_value(g, DeterministicStrategy((1,) + alice[1:], c.strategy.bob))
    with pytest.raises(CertificateError, match="exactly"):
        fake.verify(g, exact_limit=0)
