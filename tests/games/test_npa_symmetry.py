"""Symmetry-reduced NPA (qcoord.games.symmetry, qcoord.games._npa_symmetry).

The reduced SDP is checked against the full one (``symmetry=None``) on the library's symmetric games
and on random games built to have a symmetry (hypothesis); its certificate against the full SDP's
optimum, including for a "symmetry" that is not one (the certificate must stay an upper bound).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qcoord.games import Game, GameError, chsh, chsh_d, npa_upper_bound, odd_cycle, quantum_lower_bound, random_game
from qcoord.games._npa_conic import moment_sdp
from qcoord.games._npa_symmetry import SymmetryNotApplicable, build_reduction, solve_reduced
from qcoord.games._scale import normalised
from qcoord.games.symmetry import GameSymmetry, game_symmetries


# --------------------------------------------------------------------------- the group
@pytest.mark.parametrize("game, order", [(chsh(), 8), (chsh_d(3), 108), (chsh_d(4), 256), (chsh_d(5), 2000), (odd_cycle(5), 20)])
def test_group_orders_of_library_games(game: Game, order: int) -> None:
    # CHSH_d (a - b = xy mod d): answer shift (d), question shifts compensated on the other side (d^2),
    # units u acting as x -> ux, a -> ua, b -> ub and as x -> ux, y -> y/u (phi(d)^2)
    sym = game_symmetries(game)
    assert sym.order == order
    W = np.asarray(game.weights)
    for i in range(sym.num_generators):
        assert np.array_equal(sym.act(i, W), W)


def test_a_random_game_has_no_symmetry() -> None:
    sym = game_symmetries(random_game(4, 4, seed=3))
    assert sym.trivial and sym.num_generators == 0


def _relabel(W: np.ndarray, sa: np.ndarray, ta: np.ndarray, sb: np.ndarray, tb: np.ndarray) -> np.ndarray:
    """W relabelled: question x -> sa[x], answer a -> ta[x, a] (Bob likewise)."""
    na, nb, nx, ny = W.shape
    out = np.empty_like(W)
    for a in range(na):
        for b in range(nb):
            for x in range(nx):
                for y in range(ny):
                    out[ta[x, a], tb[y, b], sa[x], sb[y]] = W[a, b, x, y]
    return out


@st.composite
def symmetric_games(draw: st.DrawFn) -> tuple[Game, int]:
    """A random integer game averaged over the cyclic group of one random relabeling (and its order)."""
    na = draw(st.integers(2, 3))
    nx = draw(st.integers(2, 3))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    sa, sb = rng.permutation(nx), rng.permutation(nx)
    ta = np.array([rng.permutation(na) for _ in range(nx)])
    tb = np.array([rng.permutation(na) for _ in range(nx)])
    W0 = rng.integers(0, 4, size=(na, na, nx, nx)).astype(float)
    W, cur, k = W0.copy(), W0, 1
    while True:
        cur = _relabel(cur, sa, ta, sb, tb)
        if np.array_equal(cur, W0) or k > 60:
            break
        W, k = W + cur, k + 1
    if k == 1 or W.max() == 0:  # the identity, or nothing to win
        W[0, 0] += 1.0  # still a valid game (may lose the symmetry: then the full SDP is solved)
    prob = np.full((nx, nx), 1.0 / nx**2)
    return Game(prob, W / W.max(), name=f"sym{seed}"), k


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(symmetric_games(), st.sampled_from([1, "1+ab"]))
def test_reduced_equals_full_on_random_symmetric_games(case: tuple[Game, int], level: object) -> None:
    game, _ = case
    full = npa_upper_bound(game, level, symmetry=None)
    red = npa_upper_bound(game, level)
    assert abs(red.value - full.value) <= 1e-6
    assert red.certified_bound >= full.value - 1e-7  # a rigorous bound on the same SDP
    assert red.certified_bound <= full.value + 1e-5
    if "symmetry" in red.sdp_size:
        info = red.sdp_size["symmetry"]
        assert info["group_order"] == game_symmetries(game).order > 1
        assert info["min_eigenvalue"] >= -1e-7
        assert sum(info["block_sides"]) <= red.matrix_size


# --------------------------------------------------------------------------- the reduced SDP
@pytest.mark.parametrize("game, level", [(chsh(), 2), (odd_cycle(5), "1+ab"), (chsh_d(3), "1+ab"), (chsh_d(3), 2), (chsh_d(4), 1)])
def test_reduced_matches_full_sdp(game: Game, level: object) -> None:
    red = npa_upper_bound(game, level)
    full = npa_upper_bound(game, level, symmetry=None)
    assert red.solver.startswith("CLARABEL(symmetry")
    assert "symmetry" not in full.sdp_size
    assert abs(red.value - full.value) <= 1e-6
    assert red.certified_bound >= max(red.value, full.value) - 1e-7
    assert red.certified_bound - red.value <= 2e-6
    info = red.sdp_size["symmetry"]
    assert info["variables"] < red.num_moments and info["largest_block"] < red.matrix_size


def test_chsh_d_closed_forms_through_the_reduced_path() -> None:
    # CHSH: Tsirelson; CHSH_3 level 1+ab: 0.7182335 (the full SDP gives the same, see above); the
    # see-saw is below every certified bound
    assert abs(npa_upper_bound(chsh(), "1+ab").value - np.cos(np.pi / 8) ** 2) < 1e-7
    g = chsh_d(3)
    r = npa_upper_bound(g, "1+ab")
    q = quantum_lower_bound(g, dim=3, restarts=8, seed=0).value
    assert q <= r.certified_bound + 1e-9
    assert abs(r.value - 0.7182335) < 1e-6


def test_chsh5_at_1ab_is_reduced_to_small_blocks() -> None:
    r = npa_upper_bound(chsh_d(5), "1+ab")
    info = r.sdp_size["symmetry"]
    assert r.matrix_size == 441 and r.num_moments == 58360
    assert info["group_order"] == 2000 and info["largest_block"] <= 8 and info["variables"] <= 40
    # level 1+ab equals level 1 here (0.5577709); both are certified
    one = npa_upper_bound(chsh_d(5), 1)
    assert abs(r.value - one.value) < 1e-6
    assert r.value - 1e-9 <= r.certified_bound <= r.value + 5e-6


def test_scaling_is_exact_on_the_reduced_path() -> None:
    g = chsh_d(3)
    a = npa_upper_bound(g, "1+ab")
    b = npa_upper_bound(Game(g.prob, 3.0 * g.payoff, name="scaled"), "1+ab")
    assert b.sdp_size.get("symmetry") and abs(b.value - 3.0 * a.value) < 1e-9


def test_a_wrong_symmetry_cannot_make_the_certificate_invalid() -> None:
    # a relabeling that is NOT a symmetry of the game: the reduced SDP is then a different (smaller)
    # problem, but the certificate is computed in the full SDP and must still bound its optimum
    game = random_game(3, 3, seed=5)
    unit, _ = normalised(game)
    shape = tuple(int(v) for v in game.shape)
    sdp = moment_sdp(shape, "1+ab")
    fake = GameSymmetry(shape=shape, alice=np.array([[2, 3, 0, 1, 4, 5]]), bob=np.array([[1, 0, 3, 2, 5, 4]]), order=4)
    full = npa_upper_bound(unit, "1+ab", symmetry=None)
    try:
        red = build_reduction(sdp, shape, fake)
        sol, _ = solve_reduced(sdp, red, np.asarray(unit.weights).ravel(), None)
    except SymmetryNotApplicable:
        return
    assert sol.certified_bound >= full.value - 1e-7


def test_symmetry_argument_is_validated() -> None:
    with pytest.raises(GameError, match="symmetry"):
        npa_upper_bound(chsh(), 1, symmetry="yes")


def test_explicit_solvers_solve_the_full_sdp() -> None:
    r = npa_upper_bound(chsh_d(3), 1, solvers=["SCS"])
    assert "symmetry" not in r.sdp_size and r.solver.startswith("SCS")


def test_a_level_not_closed_under_sub_words_solves_the_full_sdp() -> None:
    # "1+aab" has the words A A' B but not A A': a dropped answer's expansion leaves the level's span,
    # so the group does not act on it and the full SDP is solved (same value as symmetry=None)
    r = npa_upper_bound(chsh(), "1+aab")
    assert "symmetry" not in r.sdp_size
    assert r.value == pytest.approx(npa_upper_bound(chsh(), "1+aab", symmetry=None).value, abs=1e-9)
    assert npa_upper_bound(chsh(), 3).sdp_size["symmetry"]["group_order"] == 8  # level 3 is closed


def _brute_force_order(W: np.ndarray) -> int:
    """The number of relabelings (question permutations, answer permutations per question) keeping W."""
    import itertools

    na, nb, nx, ny = W.shape
    count = 0
    for sa in itertools.permutations(range(nx)):
        for sb in itertools.permutations(range(ny)):
            for ta in itertools.product(list(itertools.permutations(range(na))), repeat=nx):
                for tb in itertools.product(list(itertools.permutations(range(nb))), repeat=ny):
                    if np.array_equal(_relabel(W, np.array(sa), np.array(ta), np.array(sb), np.array(tb)), W):
                        count += 1
    return count


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([(2, 2), (2, 3), (3, 2)]), st.booleans())
def test_group_order_equals_a_brute_force_count(seed: int, sizes: tuple[int, int], sparse: bool) -> None:
    # nauty's group order against counting every relabeling (small games, integer weights with ties)
    na, nx = sizes
    rng = np.random.default_rng(seed)
    W = rng.integers(0, 2 if sparse else 3, size=(na, na, nx, nx)).astype(float)
    if W.max() == 0:
        W[0, 0, 0, 0] = 1.0
    game = Game(np.full((nx, nx), 1.0 / nx**2), W, name="brute")
    assert game_symmetries(game).order == _brute_force_order(np.asarray(game.weights))
