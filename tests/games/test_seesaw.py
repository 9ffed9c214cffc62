"""See-saw quantum lower bound: closed forms, re-evaluation, seeding, kernels vs reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.games import (
    DeterministicStrategy,
    Game,
    GameError,
    QuantumStrategy,
    chsh,
    classical_value,
    magic_square,
    odd_cycle,
    quantum_lower_bound,
    random_game,
)
from qcoord.games import _seesaw_kernels as K
from qcoord.games.seesaw import _random_projective, _random_states

TSIRELSON = math.cos(math.pi / 8) ** 2


def r1_game(d: float = 0.1, lam: float = 0.5) -> Game:
    """The model's reference game R1 (model.md sections 3 and 5), built from the formulas.

    Two-point demand s = 1 -/+ ln 2 (classes short/long, 1/2 each); answers 0 = KEEP, 1 = FORWARD;
    srpt consolidation at the keeper costs d + min(s_fwd, max(s_keep - d, 0)); split 0; swap 2d;
    payoff = -(pair waiting)/2 - lam * [a == b] (both servers interrupted).
    """
    s = (1 - math.log(2), 1 + math.log(2))
    payoff = np.zeros((2, 2, 2, 2))
    for x in range(2):
        for y in range(2):
            for a in range(2):
                for b in range(2):
                    if a == b:
                        wait = 0.0 if a == 0 else 2 * d
                    else:
                        keep, fwd = (s[x], s[y]) if a == 0 else (s[y], s[x])
                        wait = d + min(fwd, max(keep - d, 0.0))
                    payoff[a, b, x, y] = -wait / 2 - lam * (a == b)
    return Game(np.full((2, 2), 0.25), payoff, name=f"R1(d={d}, lam={lam})")


# ------------------------------------------------------------------ closed forms
def test_chsh_reaches_tsirelson() -> None:
    res = quantum_lower_bound(chsh(), seed=1)
    assert res.value == pytest.approx(TSIRELSON, abs=1e-9)
    assert res.method == "qubit-closed-form"
    assert float(res) == res.value


@pytest.mark.parametrize("n", [3, 5, 7])
def test_odd_cycle_closed_form(n: int) -> None:
    res = quantum_lower_bound(odd_cycle(n), seed=2)
    assert res.value == pytest.approx(math.cos(math.pi / (4 * n)) ** 2, abs=1e-7)


def test_magic_square_dim4_reaches_one() -> None:
    res = quantum_lower_bound(magic_square(), dim=4, restarts=16, seed=3)
    assert res.value == pytest.approx(1.0, abs=1e-7)
    assert res.classical_value == pytest.approx(8 / 9)
    assert res.strategy.dims == (4, 4)
    assert res.method == "projective-eigh"


def test_magic_square_qubits_stay_below_one() -> None:
    # With one qubit each the perfect strategy is impossible; the bound is still >= 8/9.
    res = quantum_lower_bound(magic_square(), dim=2, restarts=8, seed=0)
    assert 8 / 9 - 1e-12 <= res.value < 1 - 1e-3


def test_r1_partially_entangled_optimum() -> None:
    g = r1_game()
    res = quantum_lower_bound(g, seed=0)
    assert res.classical_value == pytest.approx(-0.33921, abs=1e-4)
    assert res.value == pytest.approx(-0.31661, abs=1e-4)
    # State cos t|00> + sin t|11> up to local unitaries: Schmidt angle about 42.7 degrees, not 45.
    sv = np.linalg.svd(res.strategy.state.reshape(2, 2), compute_uv=False)
    angle = math.degrees(math.atan2(sv[1], sv[0]))
    assert angle == pytest.approx(42.7, abs=0.1)


def tilted_chsh(alpha: float) -> Game:
    """Tilted CHSH: value = (alpha <A0> + <A0B0> + <A0B1> + <A1B0> - <A1B1>) / 4.

    Payoff (-1)^(a+b) s_xy + [x = 0] (alpha / 2) (-1)^a with uniform questions. Closed forms
    (Acin, Massar, Pironio, PRL 108, 100402, 2012): quantum sqrt(8 + 2 alpha^2) / 4, classical
    (2 + alpha) / 4, attained by cos t|00> + sin t|11> with sin 2t = sqrt((4 - alpha^2) / (4 + alpha^2)).
    """
    payoff = np.zeros((2, 2, 2, 2))
    for a, b, x, y in np.ndindex(2, 2, 2, 2):
        s = -1.0 if (x and y) else 1.0
        payoff[a, b, x, y] = s * (-1) ** (a ^ b) + (x == 0) * (alpha / 2) * (-1) ** a
    return Game(np.full((2, 2), 0.25), payoff, name=f"tilted_chsh({alpha})")


@pytest.mark.parametrize("alpha", [0.5, 1.0, 1.5])
def test_tilted_chsh_partially_entangled_closed_form(alpha: float) -> None:
    g = tilted_chsh(alpha)
    res = quantum_lower_bound(g, seed=0)
    assert res.value == pytest.approx(math.sqrt(8 + 2 * alpha**2) / 4, abs=1e-8)
    assert res.classical_value == pytest.approx((2 + alpha) / 4, abs=1e-12)
    sv = np.linalg.svd(res.strategy.state.reshape(2, 2), compute_uv=False)
    assert 2 * sv[0] * sv[1] == pytest.approx(math.sqrt((4 - alpha**2) / (4 + alpha**2)), abs=1e-6)


# ------------------------------------------------------------------ result contract
def test_strategy_reevaluates_to_value_and_behaviour() -> None:
    g = random_game(4, 4, seed=5, kind="binary")
    res = quantum_lower_bound(g, seed=11)
    p = res.strategy.behaviour()
    assert g.value(p) == pytest.approx(res.value, abs=1e-12)
    np.testing.assert_allclose(p, res.behaviour, atol=1e-12)
    A = res.strategy.alice
    np.testing.assert_allclose(A @ A, A, atol=1e-9)  # projective
    assert len(res.restart_values) == len(res.iterations) == len(res.converged) == res.restarts + 1
    assert res.restart_values[res.best_run] == pytest.approx(res.value, abs=1e-12)
    assert all(res.converged)
    assert set(res.timings) == {"classical", "seesaw", "total"}
    assert res.parameters["seed"] == 11


def test_seeded_runs_reproduce_exactly() -> None:
    g = random_game(3, 4, seed=1, kind="binary")
    r1 = quantum_lower_bound(g, seed=123, restarts=6)
    r2 = quantum_lower_bound(g, seed=123, restarts=6)
    assert r1.value == r2.value
    assert r1.restart_values == r2.restart_values
    np.testing.assert_array_equal(r1.strategy.alice, r2.strategy.alice)
    np.testing.assert_array_equal(r1.strategy.state, r2.strategy.state)
    fresh = quantum_lower_bound(g, seed=None, restarts=6, classical_start=False)
    again = quantum_lower_bound(g, seed=fresh.seed, restarts=6, classical_start=False)
    assert fresh.restart_values == again.restart_values
    child = np.random.SeedSequence(7).spawn(2)[1]
    a = quantum_lower_bound(g, seed=child, restarts=3)
    b = quantum_lower_bound(g, seed=np.random.SeedSequence(a.seed, spawn_key=a.spawn_key), restarts=3)
    assert a.spawn_key == (1,) and a.restart_values == b.restart_values


def test_never_below_classical_even_without_random_restarts() -> None:
    g = random_game(5, 5, seed=2, kind="negative")
    c = classical_value(g).value
    res = quantum_lower_bound(g, restarts=0, seed=0)
    assert res.value >= c - 1e-12
    assert res.value < 0  # all-negative payoffs give a negative value


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), nx=st.integers(1, 4), ny=st.integers(1, 4), kind=st.sampled_from(["weighted", "binary", "negative"]))
def test_value_at_least_classical_and_reevaluates(seed: int, nx: int, ny: int, kind: str) -> None:
    g = random_game(nx, ny, seed=seed, kind=kind)
    res = quantum_lower_bound(g, restarts=4, seed=seed)
    assert res.value >= classical_value(g).value - 1e-12
    assert g.value(res.strategy.behaviour()) == pytest.approx(res.value, abs=1e-12)


def test_initial_strategy_is_used_and_checked() -> None:
    g = chsh()
    det = DeterministicStrategy(alice=(0, 0), bob=(0, 0))
    res = quantum_lower_bound(g, restarts=0, classical_start=False, initial=det, seed=0)
    assert res.value >= 0.75 - 1e-12
    good = quantum_lower_bound(g, seed=4)
    res2 = quantum_lower_bound(g, restarts=0, classical_start=False, initial=good.strategy, seed=0)
    assert res2.value == pytest.approx(TSIRELSON, abs=1e-9)
    povm = QuantumStrategy(
        state=np.array([1, 0, 0, 1]) / np.sqrt(2),
        alice=np.tile(np.eye(2) / 2, (2, 2, 1, 1)),
        bob=good.strategy.bob,
    )
    with pytest.raises(GameError, match="initial"):
        quantum_lower_bound(g, initial=povm)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"dim": 0}, "dim"),
        ({"restarts": -1}, "restarts"),
        ({"tol": 0.0}, "tol"),
        ({"max_iter": 0}, "max_iter"),
        ({"dim": 2.5}, "dim"),
        ({"povm_rounds": 0}, "povm_rounds"),
        ({"restarts": 0, "classical_start": False}, "restarts"),
    ],
)
def test_bad_parameters(kwargs: dict, field: str) -> None:
    with pytest.raises(GameError, match=f"^{field}:"):
        quantum_lower_bound(chsh(), **kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dim": 10**6}, r"^dim: must be an integer in \[1, 256\] \(MAX_DIM\), got 1000000$"),  # not a MemoryError
        ({"seed": -1}, "^seed: must be an integer >= 0, got -1$"),
        ({"seed": "a"}, "^seed: must be an integer >= 0, got 'a'$"),  # not numpy's TypeError
        ({"seed": (1, -2)}, "^seed: must be an integer >= 0, got -2$"),
    ],
)
def test_bad_dim_and_seed_messages(kwargs: dict, message: str) -> None:
    with pytest.raises(GameError, match=message):
        quantum_lower_bound(chsh(), **kwargs)


def test_not_a_game() -> None:
    with pytest.raises(GameError, match="^game:"):
        quantum_lower_bound("chsh")  # type: ignore[arg-type]


def test_progress_hook_called() -> None:
    calls: list[int] = []
    quantum_lower_bound(chsh(), seed=0, progress=lambda done, total: calls.append(done))
    assert calls and calls == list(range(1, len(calls) + 1))


# ------------------------------------------------------------------ kernels vs reference
def _rand_herm(rng: np.random.Generator, shape: tuple[int, ...], d: int) -> np.ndarray:
    M = rng.standard_normal(shape + (d, d)) + 1j * rng.standard_normal(shape + (d, d))
    return M + np.conj(np.swapaxes(M, -1, -2))


@settings(max_examples=20)
@given(seed=st.integers(0, 2**32 - 1))
def test_posproj_closed_form_matches_eigh(seed: int) -> None:
    rng = np.random.default_rng(seed)
    H = _rand_herm(rng, (16,), 2)
    H[:3] += 5 * np.eye(2)  # positive definite cases
    H[3:6] -= 5 * np.eye(2)  # negative definite cases
    np.testing.assert_allclose(K.posproj_2x2(H), K.posproj(H), atol=1e-10)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(2, 3))
def test_binary_step_is_best_projective(seed: int, d: int) -> None:
    rng = np.random.default_rng(seed)
    M = _rand_herm(rng, (1, 1, 2), d)
    P0 = _random_projective(rng, 1, 1, 2, d)
    P = K.improve_measurements(P0, M)[0, 0]
    ref = K.reference_best_projective_binary(M[0, 0, 0], M[0, 0, 1])
    val = lambda Q0: np.real(np.trace(Q0 @ M[0, 0, 0]) + np.trace((np.eye(d) - Q0) @ M[0, 0, 1]))  # noqa: E731
    assert val(P[0]) == pytest.approx(val(ref), abs=1e-9)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(2, 3), na=st.integers(2, 4))
def test_kernels_match_plain_reference(seed: int, d: int, na: int) -> None:
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((na, 2, 2, 3))
    psi = _random_states(rng, 1, d)
    A = _random_projective(rng, 1, 2, na, d)
    B = _random_projective(rng, 1, 3, 2, d)
    ref = K.reference_value(psi[0], A[0], B[0], W)
    M = K.reduced_alice(psi, B, W)
    L = K.reduced_bob(psi, A, W)
    G = K.bell_operator(A, B, W)
    v = psi[0].reshape(-1)
    assert np.real(np.einsum("rxaij,rxaji->", A, M)) == pytest.approx(ref, abs=1e-10)
    assert np.real(np.einsum("rybij,rybji->", B, L)) == pytest.approx(ref, abs=1e-10)
    assert np.real(np.vdot(v, G[0] @ v)) == pytest.approx(ref, abs=1e-10)
    # One see-saw round never decreases the value and keeps valid projective measurements.
    before = ref
    A2 = K.improve_measurements(A, M)
    np.testing.assert_allclose(A2.sum(axis=2), np.broadcast_to(np.eye(d), A2.sum(axis=2).shape), atol=1e-10)
    np.testing.assert_allclose(A2 @ A2, A2, atol=1e-9)
    assert K.reference_value(psi[0], A2[0], B[0], W) >= before - 1e-10


# ------------------------------------------------------------------ POVM polish
def test_povm_step_is_optimal_over_povms() -> None:
    from qcoord.games.seesaw import _POVMStep

    rng = np.random.default_rng(0)
    # Two outcomes: the best POVM is the projective positive-eigenspace solution.
    M = _rand_herm(rng, (2,), 2)
    E = _POVMStep(2, 2)(M, np.array([np.eye(2), np.zeros((2, 2))], dtype=complex))
    ref = K.reference_best_projective_binary(M[0], M[1])
    val = lambda ops: float(np.real(np.einsum("aij,aji->", ops, M)))  # noqa: E731
    assert val(E) == pytest.approx(val(np.array([ref, np.eye(2) - ref])), abs=1e-6)
    # Three outcomes in dimension 2: never worse than the projective pairwise ascent.
    M3 = _rand_herm(rng, (1, 1, 3), 2)
    P = K.improve_measurements(_random_projective(rng, 1, 1, 3, 2), M3)[0, 0]
    E3 = _POVMStep(3, 2)(M3[0, 0], P)
    np.testing.assert_allclose(E3.sum(axis=0), np.eye(2), atol=1e-9)
    assert np.linalg.eigvalsh(E3).min() >= -1e-12
    assert float(np.real(np.einsum("aij,aji->", E3, M3[0, 0]))) >= float(np.real(np.einsum("aij,aji->", P, M3[0, 0]))) - 1e-9


def test_povm_polish_never_lowers_and_reevaluates() -> None:
    from qcoord.games import chsh_d

    g = chsh_d(3)
    proj = quantum_lower_bound(g, dim=2, restarts=4, seed=0)
    res = quantum_lower_bound(g, dim=2, restarts=4, seed=0, povm=True)
    assert res.value >= proj.value - 1e-9
    assert "povm-sdp" in res.method
    assert g.value(res.strategy.behaviour()) == pytest.approx(res.value, abs=1e-12)
    assert quantum_lower_bound(chsh(), seed=0, povm=True).value == pytest.approx(TSIRELSON, abs=1e-9)


def test_too_large_for_classical_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from qcoord.games import classical as classical_mod

    def refuse(game: Game) -> None:
        raise classical_mod.GameTooLargeError("game: too many strategies")

    monkeypatch.setattr(classical_mod, "classical_value", refuse)
    res = quantum_lower_bound(chsh(), restarts=2, seed=0)
    assert res.classical_value is None
    assert len(res.restart_values) == 2
    assert res.value == pytest.approx(TSIRELSON, abs=1e-9)


@pytest.mark.parametrize("module", ["seesaw", "_seesaw_kernels", "npa", "xor", "noise"])
def test_source_compiles_without_warnings(module: str) -> None:
    # Docstrings carry LaTeX: an unescaped backslash is a SyntaxWarning today, an error tomorrow.
    import importlib
    import warnings

    path = importlib.import_module(f"qcoord.games.{module}").__file__
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(source, path, "exec")
