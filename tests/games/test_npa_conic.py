"""The direct conic NPA path (qcoord.games._npa_conic) against the cvxpy model and against explicit quantum moments.

Cold time on one core: ~10 s (the hypothesis test dominates).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.games import GameError, SolverError, chsh, chsh_d, nonsignaling_value, npa_upper_bound, quantum_lower_bound, random_game
from qcoord.games._npa_conic import _clarabel_rows, _unsvec, certified_bound, moment_sdp
from qcoord.games._scale import normalised
from qcoord.games.bell import i3322
from qcoord.games.npa import _build, _certified_bound, npa_words

from .test_seesaw import r1_game

TSIRELSON = math.cos(math.pi / 8) ** 2


@pytest.mark.parametrize("level", [1, "1+ab", 2])
def test_chsh_tsirelson(level: object) -> None:
    r = npa_upper_bound(chsh(), level)
    assert r.sdp_size["backend"] == "conic"
    assert r.value == pytest.approx(TSIRELSON, abs=1e-7)
    assert TSIRELSON <= r.certified_bound <= TSIRELSON + 1e-6


@pytest.mark.parametrize(
    "game, level",
    [(i3322().to_game().game, 2), (r1_game(), "1+ab"), (r1_game(), 2), (chsh_d(3), "1+ab"), (chsh(), "2+aab")],
    ids=["i3322-2", "r1-1+ab", "r1-2", "chsh3-1+ab", "chsh-2+aab"],
)
def test_conic_equals_cvxpy(game, level) -> None:
    new = npa_upper_bound(game, level)
    old = npa_upper_bound(game, level, backend="cvxpy")
    assert (new.matrix_size, new.num_moments) == (old.matrix_size, old.num_moments)
    assert new.value == pytest.approx(old.value, abs=1e-6)
    assert new.certified_bound >= new.value - 1e-9  # the dual bound is above the primal optimum, up to rounding
    assert new.certified_bound - new.value < 1e-5
    np.testing.assert_allclose(new.behaviour.sum(axis=(0, 1)), 1.0, atol=1e-6)


def test_i3322_reference_numbers() -> None:
    # README: NPA 0.3660 / 0.2515 / 0.2509 at levels 1, 1+ab, 2 (Bell-expression units)
    bg = i3322().to_game()
    got = [bg.expression_value(npa_upper_bound(bg.game, lv).value) for lv in (1, "1+ab", 2)]
    assert got == pytest.approx([0.3660, 0.2515, 0.2509], abs=1e-4)


@settings(max_examples=6, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    nx=st.integers(2, 3),
    ny=st.integers(2, 3),
    na=st.integers(2, 3),
    level=st.sampled_from([1, "1+ab"]),
    kind=st.sampled_from(["weighted", "binary", "negative"]),
    adjoints=st.booleans(),
)
def test_random_games_agree_and_sit_in_the_chain(seed, nx, ny, na, level, kind, adjoints) -> None:
    g = random_game(nx, ny, na=na, nb=2, seed=seed, kind=kind)
    new = npa_upper_bound(g, level, identify_adjoints=adjoints)
    old = npa_upper_bound(g, level, identify_adjoints=adjoints, backend="cvxpy")
    assert new.value == pytest.approx(old.value, abs=1e-6)
    q = quantum_lower_bound(g, restarts=2, seed=seed).value
    assert q <= new.certified_bound  # rigorous
    assert new.value <= nonsignaling_value(g).value + 1e-6


# --------------------------------------------------------------------------- structure vs explicit quantum moments
def _random_projective(rng: np.random.Generator, n_q: int, n_out: int, dim: int) -> list[list[np.ndarray]]:
    """n_q random projective measurements with n_out outcomes on C^dim (ranks split as evenly as possible)."""
    out = []
    for _ in range(n_q):
        z = rng.standard_normal((dim, dim)) + 1j * rng.standard_normal((dim, dim))
        u, _ = np.linalg.qr(z)
        groups = np.array_split(np.arange(dim), n_out)
        out.append([u[:, g] @ u[:, g].conj().T for g in groups])
    return out


@pytest.mark.parametrize(
    "shape, level, adjoints",
    [((2, 2, 2, 2), "2", True), ((3, 2, 2, 3), "1+ab", True), ((3, 3, 2, 2), "2", True), ((2, 2, 3, 2), "2+aab", True),
     ((2, 3, 2, 2), "2", False), ((2, 2, 2, 2), "1+aab", True)],
)
def test_constraint_rows_reproduce_the_moments_of_a_quantum_strategy(shape, level, adjoints) -> None:
    """b - A y is the solver's svec of T Gamma T' for the moments y of an explicit strategy (both solvers' forms)."""
    na, nb, nx, ny = shape
    sdp = moment_sdp(shape, level, adjoints)
    rng = np.random.default_rng(np.random.SeedSequence(11))
    d = 3
    A_ops = _random_projective(rng, nx, na, d)
    B_ops = _random_projective(rng, ny, nb, d)
    psi = rng.standard_normal(d * d) + 1j * rng.standard_normal(d * d)
    psi /= np.linalg.norm(psi)
    eye = np.eye(d)

    def op(word):
        m = np.eye(d * d, dtype=complex)
        for k in word[0]:
            m = m @ np.kron(A_ops[k // (na - 1)][k % (na - 1)], eye)
        for k in word[1]:
            m = m @ np.kron(eye, B_ops[k // (nb - 1)][k % (nb - 1)])
        return m

    words = npa_words(level, (na, nb), (nx, ny))
    vecs = np.array([op(w) @ psi for w in words])
    gamma = (vecs.conj() @ vecs.T).real  # Re <psi| S_i^+ S_j |psi>: a feasible real moment matrix
    n = sdp.side
    assert n == len(words)
    # every entry listed is its moment; entries not listed are products equal to 0
    y = np.zeros(sdp.num_moments)
    y[sdp.moment[sdp.moment >= 0]] = gamma[sdp.rows, sdp.cols][sdp.moment >= 0]
    vals = gamma[sdp.rows, sdp.cols]
    np.testing.assert_allclose(vals, np.where(sdp.moment < 0, 1.0, y[np.maximum(sdp.moment, 0)]), atol=1e-12)
    listed = np.zeros((n, n), bool)
    listed[sdp.rows, sdp.cols] = True
    np.testing.assert_allclose(np.triu(gamma)[~listed], 0.0, atol=1e-12)
    # behaviour: Born probabilities of the full measurements (the last outcome is I - sum of the others)
    born = np.empty(shape)
    for a in range(na):
        for b in range(nb):
            for x in range(nx):
                for yy in range(ny):
                    born[a, b, x, yy] = (psi.conj() @ np.kron(A_ops[x][a], B_ops[yy][b]) @ psi).real
    np.testing.assert_allclose((sdp.C @ y + sdp.c0).reshape(shape), born, atol=1e-12)
    # SCS rows (in the solver's basis T) and Clarabel rows (plain basis)
    P = sdp.c0.size
    s = sdp.b - sdp.A @ y
    np.testing.assert_allclose(s[:P], born.ravel(), atol=1e-12)
    T = sdp.T.toarray()
    np.testing.assert_allclose(_unsvec(s[P:], n, "scs"), T @ gamma @ T.T, atol=1e-10)
    assert np.linalg.eigvalsh(T @ gamma @ T.T).min() > -1e-10
    A_c, b_c = _clarabel_rows(sdp)
    np.testing.assert_allclose(_unsvec((b_c - A_c @ y)[P:], n, "clarabel"), gamma, atol=1e-12)


def test_basis_is_invertible_and_centres_binary_projectors() -> None:
    sdp = moment_sdp((3, 3, 2, 2), "2")
    assert sdp.basis == "centred"
    T = sdp.T.toarray()
    assert abs(np.linalg.det(T)) > 0  # unit triangular up to the row scaling
    # for two answers the centred projector is the +-1 observable 2P - 1 (basis forced for the check)
    binary = moment_sdp((2, 2, 2, 2), "1", True, "centred")
    np.testing.assert_allclose(binary.T.toarray()[1], [-1.0, 2.0, 0.0, 0.0, 0.0])
    assert moment_sdp((2, 2, 2, 2), "1+aab").basis == "plain"  # words not closed under sub-words


def test_the_conic_certificate_is_the_cvxpy_certificate() -> None:
    """Same dual point -> same bound as npa._certified_bound (an independent implementation on the dense F)."""
    from types import SimpleNamespace

    g, _ = normalised(r1_game())
    w = np.asarray(g.weights).ravel()
    problem, _, data, n, _, _ = _build(g, 2)
    sdp = moment_sdp(g.shape, "2")
    rng = np.random.default_rng(3)
    q = quantum_lower_bound(g, seed=0).value
    for scale in (0.0, 1e-3, 1.0):
        X = rng.standard_normal((n, n))
        Y = scale * X @ X.T
        lam = scale * rng.random(data["c0"].size)
        fake = SimpleNamespace(constraints=[SimpleNamespace(dual_value=Y), SimpleNamespace(dual_value=lam)])
        ours = certified_bound(sdp, w, lam, Y)
        assert ours == pytest.approx(_certified_bound(fake, data, n), rel=1e-12, abs=1e-12)
        assert ours >= q


def test_structure_is_cached_per_shape_and_level() -> None:
    a = random_game(3, 3, seed=1, kind="binary")
    b = random_game(3, 3, seed=2, kind="binary")
    r1 = npa_upper_bound(a, 2)
    before = moment_sdp.cache_info().hits
    r2 = npa_upper_bound(b, 2)
    assert moment_sdp.cache_info().hits == before + 1
    assert moment_sdp((2, 2, 3, 3), "2") is moment_sdp((2, 2, 3, 3), "2")
    assert r1.sdp_size == r2.sdp_size and r1.value != r2.value
    assert set(r2.sdp_size) == {"side", "moments", "psd_rows", "linear_rows", "nnz", "basis", "backend"}
    assert r2.sdp_size["psd_rows"] == r2.matrix_size * (r2.matrix_size + 1) // 2


def test_errors_are_clear() -> None:
    with pytest.raises(GameError, match="^backend: must be 'conic' or 'cvxpy', got 'mosek'"):
        npa_upper_bound(chsh(), 1, backend="mosek")
    with pytest.raises(SolverError, match="NOPE: not installed"):
        npa_upper_bound(chsh(), 1, solvers=("NOPE",))
    try:
        r = npa_upper_bound(chsh_d(3), "1+ab", time_limit=1e-4)
    except SolverError as exc:
        assert "time_limit" in str(exc) or "trivial bound" in str(exc)
    else:
        assert r.certified_bound >= 0.7  # the see-saw value of chsh3 is ~0.7124: a bound is rigorous


def test_clarabel_is_not_attempted_on_huge_sides() -> None:
    # its dense KKT block would need ~3 GB at side 169; the message says so instead of exhausting memory
    with pytest.raises(SolverError, match="CLARABEL: not tried \\(moment matrix side 169 > 120"):
        npa_upper_bound(chsh_d(4), "1+ab", solvers=("CLARABEL",))


def test_seesaw_warm_start_is_a_feasible_point_and_changes_nothing_but_the_start() -> None:
    from qcoord.games._npa_conic import strategy_moments

    g = random_game(4, 4, seed=3, kind="binary")  # level 2: side 49, SCS first
    warm = npa_upper_bound(g, 2)
    cold = npa_upper_bound(g, 2, warm_start=None)
    assert warm.warm_start["method"] == "seesaw" and warm.warm_start["seed"] == 0 and cold.warm_start == {}
    assert warm.value == pytest.approx(cold.value, abs=1e-6)
    assert warm.warm_start["value"] <= warm.certified_bound
    # the starting point: moments of the see-saw strategy, feasible, with the see-saw's (Born-rule) value
    u, _ = normalised(g)
    q = quantum_lower_bound(u, dim=2, restarts=16, seed=0)
    sdp = moment_sdp(g.shape, "2")
    st_ = q.strategy
    x0 = strategy_moments(sdp, g.shape, np.asarray(st_.state), np.asarray(st_.alice), np.asarray(st_.bob))
    s0 = sdp.b - sdp.A @ x0
    P = sdp.c0.size
    assert s0[:P].min() > -1e-12
    assert np.linalg.eigvalsh(_unsvec(s0[P:], sdp.side, "scs")).min() > -1e-10
    w = np.asarray(u.weights).ravel()
    assert w @ (sdp.C @ x0 + sdp.c0) == pytest.approx(q.value, abs=1e-12)
    with pytest.raises(GameError, match="^warm_start: must be 'auto', 'seesaw' or None"):
        npa_upper_bound(g, 1, warm_start="yes")
    # the dual warm start came from levels 1 and 1+ab, solved in turn
    assert warm.warm_start["dual"]["levels"] == ["1", "1+ab"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_embedded_dual_is_feasible_for_the_larger_level_with_the_same_bound(seed: int) -> None:
    # (lambda, Y) of level 1 padded with zeros satisfies level 2's dual constraints exactly: the
    # certified bound computed in level 2 equals the one computed in level 1
    import scs

    from qcoord.games._npa_conic import embed_dual

    g = random_game(4, 4, seed=seed, kind="binary")
    u, _ = normalised(g)
    w = np.asarray(u.weights).ravel()
    small, big = moment_sdp(g.shape, "1"), moment_sdp(g.shape, "2")
    sol = scs.SCS({"A": small.A, "b": np.asarray(small.b), "c": -(small.C.T @ w)}, {"l": int(small.c0.size), "s": [small.side]},
                  eps_abs=1e-7, eps_rel=1e-7, verbose=False).solve()
    P = small.c0.size
    y_small = np.asarray(sol["y"])
    y_big = embed_dual(y_small, small, big)
    b_small = certified_bound(small, w, y_small[:P], _unsvec(y_small[P:], small.side, "scs"))
    b_big = certified_bound(big, w, y_big[:P], _unsvec(y_big[P:], big.side, "scs"))
    assert b_big == pytest.approx(b_small, abs=1e-12)
    assert b_big >= npa_upper_bound(u, 2).value - 1e-7  # a valid (looser) level-2 bound (normalised units)
    with pytest.raises(ValueError, match="plain word basis"):
        embed_dual(y_small, moment_sdp((3, 3, 2, 2), "1"), moment_sdp((3, 3, 2, 2), "2"))
