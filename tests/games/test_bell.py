"""Bell expressions: notations, conversions, the game map and the maxima through the solvers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qcoord.games import Game, GameError, chsh, random_game
from qcoord.games.bell import BellBound, BellExpression, BellGame, chsh_expression, i3322

SIGN = np.array([1.0, -1.0])


# --------------------------------------------------------------------------- behaviours
def deterministic(shape, rng):
    na, nb, nx, ny = shape
    fa, fb = rng.integers(na, size=nx), rng.integers(nb, size=ny)
    p = np.zeros(shape)
    for x in range(nx):
        for y in range(ny):
            p[fa[x], fb[y], x, y] = 1.0
    return p


def quantum(shape, rng, d=3):
    """Born-rule behaviour of a random pure state and random projective measurements (no-signalling)."""
    na, nb, nx, ny = shape

    def measurements(n_q, n_out):
        ops = []
        for _ in range(n_q):
            U, _ = np.linalg.qr(rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d)))
            labels = rng.integers(n_out, size=d)
            ops.append([U[:, labels == o] @ U[:, labels == o].conj().T for o in range(n_out)])
        return ops

    A, B = measurements(nx, na), measurements(ny, nb)
    psi = rng.normal(size=d * d) + 1j * rng.normal(size=d * d)
    psi /= np.linalg.norm(psi)
    p = np.zeros(shape)
    for a, b, x, y in np.ndindex(*shape):
        p[a, b, x, y] = np.real(psi.conj() @ np.kron(A[x][a], B[y][b]) @ psi)
    return np.clip(p, 0, None) / np.clip(p, 0, None).sum(axis=(0, 1), keepdims=True)


def pr_box(nx, ny, rng):
    """A relabelled PR box on random pairs of questions: p(a,b|x,y) = 1/2 [a ^ b = f(x, y)] (no-signalling)."""
    f = rng.integers(2, size=(nx, ny))
    a, b = np.ogrid[:2, :2]
    return np.stack([np.stack([((a ^ b) == f[x, y]) / 2.0 for y in range(ny)], -1) for x in range(nx)], -2)


def random_ns(shape, rng):
    """A random no-signalling behaviour: a mixture of deterministic, quantum and (binary) PR-box ones."""
    parts = [deterministic(shape, rng) for _ in range(3)] + [quantum(shape, rng)]
    if shape[:2] == (2, 2):
        parts.append(pr_box(shape[2], shape[3], rng))
    weights = rng.dirichlet(np.ones(len(parts)))
    return sum(w * p for w, p in zip(weights, parts))


def random_any(shape, rng):
    """A random (generally signalling) behaviour."""
    p = rng.random(shape)
    return p / p.sum(axis=(0, 1), keepdims=True)


def is_ns(p, atol=1e-9):
    pa, pb = p.sum(axis=1), p.sum(axis=0)  # pa[a, x, y], pb[b, x, y]
    return np.allclose(pa, pa[:, :, :1], atol=atol) and np.allclose(pb, pb[:, :1, :], atol=atol)


# --------------------------------------------------------------------------- definitions (independent)
def correlator_by_definition(M, al, be, const, p):
    """sum M <A_x B_y> + sum al <A_x> + sum be <B_y> + const, marginals read at the *first* other question."""
    E = np.einsum("a,b,abxy->xy", SIGN, SIGN, p)
    A = np.einsum("a,ax->x", SIGN, p[:, :, :, 0].sum(axis=1))
    B = np.einsum("b,by->y", SIGN, p[:, :, 0, :].sum(axis=0))
    return float((M * E).sum() + al @ A + be @ B + const)


def cg_by_definition(e, c, d, const, p):
    ka, kb = e.shape[:2]
    pA = p[:, :, :, 0].sum(axis=1)  # pA[a, x] at y = 0
    pB = p[:, :, 0, :].sum(axis=0)  # pB[b, y] at x = 0
    return float((c * pA[:ka]).sum() + (d * pB[:kb]).sum() + (e * p[:ka, :kb]).sum() + const)


def mapped(expr, p, scale=1.0):
    bg = expr.to_game(scale=scale)
    return bg.expression_value(bg.game.value(p))


# --------------------------------------------------------------------------- CHSH
def test_chsh_expression_maxima():
    e = chsh_expression()
    assert e.kind == "correlator" and e.shape == (2, 2, 2, 2)
    np.testing.assert_array_equal(e.joint, [[1, 1], [1, -1]])
    local = e.local_bound()
    assert isinstance(local, BellBound) and local.bound == "exact"
    assert local.value == pytest.approx(2.0, abs=1e-9)
    assert e.evaluate(local.behaviour) == pytest.approx(local.value, abs=1e-9)
    q = e.quantum_bound(dim=2, restarts=8, seed=1)
    assert q.bound == "lower" and q.value == pytest.approx(2 * math.sqrt(2), abs=1e-6)
    assert e.evaluate(q.behaviour) == pytest.approx(q.value, abs=1e-9)
    npa = e.npa_bound(1)
    assert npa.bound == "upper" and npa.parameters["level"] == "1"
    assert npa.value == pytest.approx(2 * math.sqrt(2), abs=1e-6)
    assert npa.certified >= 2 * math.sqrt(2) - 1e-7
    ns = e.nonsignaling_bound()
    assert ns.value == pytest.approx(4.0, abs=1e-6)
    for bound in (local, q, npa, ns):
        assert bound.value == pytest.approx(bound.scale * bound.game_value + bound.offset, abs=1e-12)
        assert float(bound) == bound.value


def test_chsh_expression_is_eight_omega_minus_four():
    rng = np.random.default_rng(0)
    e = chsh_expression()
    for _ in range(20):
        p = random_any((2, 2, 2, 2), rng)  # no marginal terms: holds on every behaviour
        assert e.evaluate(p) == pytest.approx(8 * chsh().value(p) - 4, abs=1e-12)
    # CHSH's game is the expression up to the affine map: equal Collins-Gisin forms after rescaling
    g = BellExpression.from_game(chsh()).to_correlator()
    np.testing.assert_allclose(8 * g.joint, e.joint, atol=1e-12)
    assert 8 * g.constant - 4 == pytest.approx(0.0, abs=1e-12)


def test_chsh_collins_gisin_form():
    cg = chsh_expression().to_collins_gisin()
    # 4 [p(00|00) + p(00|01) + p(00|10) - p(00|11) - pA(0|0) - pB(0|0)] + 2
    np.testing.assert_allclose(cg.joint[0, 0], [[4, 4], [4, -4]], atol=1e-12)
    np.testing.assert_allclose(cg.alice, [[-4, 0]], atol=1e-12)
    np.testing.assert_allclose(cg.bob, [[-4, 0]], atol=1e-12)
    assert cg.constant == pytest.approx(2.0)
    assert cg.equivalent(chsh_expression()) and chsh_expression().equivalent(cg)


# --------------------------------------------------------------------------- I3322
def test_i3322_table():
    e = i3322()
    assert e.kind == "collins_gisin" and e.shape == (2, 2, 3, 3)
    np.testing.assert_array_equal(e.joint[0, 0], [[1, 1, 1], [1, 1, -1], [1, -1, 0]])
    np.testing.assert_array_equal(e.alice, [[-1, 0, 0]])
    np.testing.assert_array_equal(e.bob, [[-2, -1, 0]])


def test_i3322_local_and_qubit_maxima():
    e = i3322()
    assert e.local_bound().value == pytest.approx(0.0, abs=1e-6)
    q = e.quantum_bound(dim=2, restarts=16, seed=0)
    assert q.value == pytest.approx(0.25, abs=1e-6)
    assert e.evaluate(q.behaviour) == pytest.approx(q.value, abs=1e-9)
    assert e.nonsignaling_bound().value == pytest.approx(1.0, abs=1e-6)


def test_i3322_npa_bounds():
    e = i3322()
    b1, bab, b2 = (e.npa_bound(level) for level in (1, "1+ab", 2))
    assert b1.value == pytest.approx(0.3660, abs=1e-3)
    assert bab.value == pytest.approx(0.2515, abs=1e-3)
    assert b2.value == pytest.approx(0.2509, abs=1e-3)
    # hierarchy: NS >= NPA 1 >= NPA 1+ab >= NPA 2 >= qubit value 1/4
    assert 1.0 >= b1.value >= bab.value - 1e-7 >= b2.value - 2e-7 >= 0.25 - 3e-7
    for b in (b1, bab, b2):
        assert b.certified >= b.value - 1e-6


# --------------------------------------------------------------------------- game map
@pytest.mark.parametrize("kind", ["weighted", "binary", "negative"])
@pytest.mark.parametrize("shape", [(2, 2, 2, 2), (3, 2, 2, 3), (2, 4, 3, 1)])
def test_round_trip_game_expression_game(kind, shape):
    na, nb, nx, ny = shape
    g = random_game(nx, ny, na, nb, seed=7, kind=kind)
    expr = BellExpression.from_game(g)
    assert expr.kind == "probability" and expr.shape == g.shape and expr.name == g.name
    np.testing.assert_array_equal(expr.weights, g.weights)
    rng = np.random.default_rng(1)
    for scale in (1.0, 0.25, 3.0):
        bg = expr.to_game(scale=scale)
        assert isinstance(bg, BellGame) and isinstance(bg.game, Game)
        game, s, offset = bg
        assert s == scale and offset == 0.0
        np.testing.assert_allclose(game.prob, 1.0 / (nx * ny))
        for _ in range(10):
            p = random_any(shape, rng)  # any behaviour: the probability form has no marginal terms
            assert bg.expression_value(game.value(p)) == pytest.approx(g.value(p), abs=1e-12)
            assert expr.evaluate(p) == pytest.approx(g.value(p), abs=1e-12)
            assert bg.game_value(bg.expression_value(0.3)) == pytest.approx(0.3)
        # and back: the re-derived expression is the same function
        again = BellExpression.from_game(game)
        assert again.equivalent(BellExpression.probability(expr.weights / scale))


def _expressions():
    rng = np.random.default_rng(3)
    yield chsh_expression()
    yield i3322()
    yield BellExpression.correlator(rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=2), 0.7, name="corr")
    yield BellExpression.collins_gisin(
        rng.normal(size=(2, 1, 2, 3)), rng.normal(size=(2, 2)), rng.normal(size=(1, 3)), -1.5, name="cg32"
    )
    yield BellExpression.probability(rng.normal(size=(3, 3, 2, 2)), 2.0, name="prob")


@pytest.mark.parametrize("expr", list(_expressions()), ids=lambda e: e.name)
def test_evaluate_is_the_definition_and_the_game_value_mapped_back(expr):
    rng = np.random.default_rng(11)
    for _ in range(15):
        p = random_ns(expr.shape, rng)
        assert is_ns(p)
        v = expr.evaluate(p)
        if expr.kind == "correlator":
            ref = correlator_by_definition(expr.joint, expr.alice, expr.bob, expr.constant, p)
        elif expr.kind == "collins_gisin":
            ref = cg_by_definition(expr.joint, expr.alice, expr.bob, expr.constant, p)
        else:
            ref = float((expr.joint * p).sum() + expr.constant)
        assert v == pytest.approx(ref, abs=1e-10)
        assert mapped(expr, p) == pytest.approx(v, abs=1e-10)
        assert mapped(expr, p, scale=7.0) == pytest.approx(v, abs=1e-10)
        assert expr.to_probability_form().evaluate(p) == pytest.approx(v, abs=1e-10)


@pytest.mark.parametrize("expr", list(_expressions()), ids=lambda e: e.name)
def test_conversions_agree_on_no_signalling_behaviours(expr):
    rng = np.random.default_rng(5)
    forms = [expr.to_probability_form(), expr.to_collins_gisin()]
    if expr.num_answers == (2, 2):
        forms += [expr.to_correlator(), expr.to_collins_gisin().to_correlator(), expr.to_correlator().to_collins_gisin()]
    for f in forms:
        assert f.shape == expr.shape and f.equivalent(expr) and expr.equivalent(f)
    for _ in range(10):
        p = random_ns(expr.shape, rng)
        v = expr.evaluate(p)
        for f in forms:
            assert f.evaluate(p) == pytest.approx(v, abs=1e-10)
    # the Collins-Gisin form is canonical: the round trip recovers it exactly
    cg = expr.to_collins_gisin()
    back = cg.to_probability_form().to_collins_gisin()
    np.testing.assert_allclose(back.joint, cg.joint, atol=1e-12)
    np.testing.assert_allclose(back.alice, cg.alice, atol=1e-12)
    np.testing.assert_allclose(back.bob, cg.bob, atol=1e-12)
    assert back.constant == pytest.approx(cg.constant, abs=1e-12)


def test_marginals_are_averaged_over_the_other_question_on_signalling_behaviours():
    e = BellExpression.correlator(np.zeros((2, 3)), a=[1.0, 0.0], b=[0.0, 0.0, 2.0])
    rng = np.random.default_rng(2)
    p = random_any(e.shape, rng)
    assert not is_ns(p)
    A0 = np.mean([SIGN @ p[:, :, 0, y].sum(axis=1) for y in range(3)])
    B2 = np.mean([SIGN @ p[:, :, x, 2].sum(axis=0) for x in range(2)])
    assert e.evaluate(p) == pytest.approx(A0 + 2 * B2, abs=1e-12)
    assert mapped(e, p) == pytest.approx(A0 + 2 * B2, abs=1e-12)


def test_inequivalent_expressions():
    assert not chsh_expression().equivalent(i3322())
    assert not chsh_expression().equivalent(BellExpression.correlator([[1, 1], [1, -1]], constant=1e-6))
    assert not chsh_expression().equivalent("chsh")  # type: ignore[arg-type]


def test_bounds_of_an_expression_with_a_constant_and_marginals():
    # CHSH in Collins-Gisin form (4 [...] + 2) has the same maxima as the correlator form
    cg = chsh_expression().to_collins_gisin()
    assert cg.local_bound().value == pytest.approx(2.0, abs=1e-9)
    assert cg.nonsignaling_bound().value == pytest.approx(4.0, abs=1e-6)
    assert cg.npa_bound(1).value == pytest.approx(2 * math.sqrt(2), abs=1e-6)
    shifted = BellExpression.correlator([[1, 1], [1, -1]], constant=-2.0)
    assert shifted.local_bound().value == pytest.approx(0.0, abs=1e-9)


# --------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: BellExpression("bogus", [[1.0]]), "^kind: must be one of"),
        (lambda: BellExpression.correlator([1.0, 2.0]), "^joint: expected a 2-dimensional array"),
        (lambda: BellExpression.correlator([[1.0, 2.0]], a=[1.0, 2.0]), r"^alice: expected shape \(1,\)"),
        (lambda: BellExpression.correlator([[1.0, np.nan]]), "^joint: entries must be finite"),
        (lambda: BellExpression.correlator([[1.0]], constant=float("inf")), "^constant: must be a finite real number"),
        (lambda: BellExpression.collins_gisin(np.zeros((2, 1, 2, 2)), c=[1.0, 2.0]), "^alice: expected a 2-dimensional"),
        (lambda: BellExpression.collins_gisin(np.zeros((1, 1, 2, 2)), d=np.zeros((1, 3))), r"^bob: expected shape \(1, 2\)"),
        (lambda: BellExpression("probability", np.zeros((2, 2, 1, 1)), alice=[1.0]), "^alice, bob: the probability form"),
        (lambda: BellExpression.probability(np.zeros((2, 2))), "^joint: expected a 4-dimensional array"),
        (lambda: chsh_expression().to_game(scale=0.0), "^scale: must be a finite number > 0"),
        (lambda: BellExpression.from_game("chsh"), "^game: expected a qcoord Game"),  # type: ignore[arg-type]
        (lambda: BellExpression.probability(np.zeros((3, 2, 1, 1))).to_correlator(), "^expression: the correlator form needs binary"),
        (lambda: BellExpression.probability(np.zeros((1, 2, 1, 1))).to_collins_gisin(), "^expression: the Collins-Gisin form needs"),
        (lambda: chsh_expression().evaluate(np.full((2, 2, 2, 2), 0.3)), "^behaviour: each p"),
    ],
)
def test_bad_inputs_name_the_field(build, match):
    with pytest.raises(GameError, match=match):
        build()


def test_expression_is_frozen_and_read_only():
    e = i3322()
    with pytest.raises(AttributeError):
        e.constant = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        e.weights[0, 0, 0, 0] = 5.0
    assert "i3322" in repr(e) and "collins_gisin" in repr(e)
