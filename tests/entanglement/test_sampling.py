"""Sampling: faithful to the Born rule, local in structure, reproducible."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from qcoord.entanglement import (
    EntanglementError,
    LocalMeasurements,
    Sampler,
    bell_state,
    chsh_measurements,
    maximally_entangled,
    sample,
    sampler,
)
from qcoord.entanglement import _kernels
from qcoord.games import QuantumStrategy

S2 = 1 / math.sqrt(2)


def _random_unitary(rng, d):
    z = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))


def random_strategy(seed: int, dA: int = 2, dB: int = 2, nx: int = 2, ny: int = 2, na: int = 2, nb: int = 2):
    """Random projective measurements (rank-split of a random basis) on a random pure state."""
    rng = np.random.default_rng(seed)

    def povms(nq, no, d):
        ops = np.zeros((nq, no, d, d), dtype=complex)
        for q in range(nq):
            U = _random_unitary(rng, d)
            labels = rng.integers(0, no, size=d)
            k0 = min(d, no)  # every outcome that can be non-trivial is
            labels[:k0] = rng.permutation(no)[:k0]
            for k in range(d):
                ops[q, labels[k]] += np.outer(U[:, k], U[:, k].conj())
        return ops

    psi = rng.normal(size=dA * dB) + 1j * rng.normal(size=dA * dB)
    return QuantumStrategy(psi / np.linalg.norm(psi), povms(nx, na, dA), povms(ny, nb, dB))


def _chsh_strategy():
    return chsh_measurements().strategy(bell_state())


@pytest.mark.parametrize("v", [1.0, 0.8, 0.5])
def test_chsh_correlators_within_ci(v):
    n = 200_000
    rng = np.random.default_rng(np.random.SeedSequence(11))
    strat = _chsh_strategy()
    for x in range(2):
        for y in range(2):
            a, b = sample(strat, np.full(n, x), np.full(n, y), rng, visibility=v)
            prod = 1 - 2 * (a ^ b).astype(float)  # (-1)^(a+b)
            E, se = prod.mean(), prod.std(ddof=1) / math.sqrt(n)
            target = v * (-S2 if (x, y) == (1, 1) else S2)
            assert abs(E - target) < 5 * se, (x, y, E, target)


def test_chsh_win_rate_and_classical_crossing():
    n = 1_000_000
    rng = np.random.default_rng(np.random.SeedSequence(12))
    strat = _chsh_strategy()
    x = rng.integers(0, 2, n)
    y = rng.integers(0, 2, n)

    def win(v):
        a, b = sample(strat, x, y, rng, visibility=v)
        w = ((a ^ b) == (x & y)).astype(float)
        return w.mean(), w.std(ddof=1) / math.sqrt(n)

    w1, se1 = win(1.0)
    assert abs(w1 - 0.8535533905932737) < 5 * se1
    wc, sec = win(S2)
    assert abs(wc - 0.75) < 5 * sec
    lo, selo = win(0.65)
    hi, sehi = win(0.77)
    assert lo + 5 * selo < 0.75 < hi - 5 * sehi  # 3/4 is crossed between the two


def test_per_round_visibility_array():
    """Rounds with v = 1 and v = 0 interleaved: each subset has its own law."""
    n = 400_000
    rng = np.random.default_rng(np.random.SeedSequence(13))
    v = (np.arange(n) % 2).astype(float)
    a, b = sample(_chsh_strategy(), np.zeros(n, int), np.zeros(n, int), rng, visibility=v)
    agree = (a == b).astype(float)
    assert abs(agree[v == 1].mean() - (1 + S2) / 2) < 5 * math.sqrt(0.25 / (n / 2))
    assert abs(agree[v == 0].mean() - 0.5) < 5 * math.sqrt(0.25 / (n / 2))


def _chi2_against_behaviour(strat, vis_kind, n, seed):
    """Chi-square of sampled counts per (x, y) against the analytic behaviour.

    ``vis_kind`` is a float (one visibility for all rounds) or "random" (v_i ~ U[0, 1] per round;
    since p_v is linear in v the expected counts of a cell are n_xy * p_{mean v over its rounds}).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    na, nb, nx, ny = strat.shape
    x = rng.integers(0, nx, n)
    y = rng.integers(0, ny, n)
    vis = rng.uniform(0, 1, n) if vis_kind == "random" else float(vis_kind)
    a, b = sample(strat, x, y, rng, visibility=vis)
    s = Sampler(strat)
    pvals = []
    for xi in range(nx):
        for yi in range(ny):
            m = (x == xi) & (y == yi)
            obs = np.bincount(a[m].astype(int) * nb + b[m], minlength=na * nb)
            vbar = float(np.mean(vis[m])) if vis_kind == "random" else vis
            exp = m.sum() * s.behaviour(vbar)[:, :, xi, yi].ravel()
            keep = exp > 1e-12
            assert obs[~keep].sum() == 0  # impossible outcomes never occur
            pvals.append(stats.chisquare(obs[keep], exp[keep] * obs.sum() / exp[keep].sum()).pvalue)
    return pvals


@pytest.mark.parametrize(
    "dims,seed",
    [((2, 2, 2, 2, 2, 2), 1), ((3, 3, 2, 3, 3, 2), 2), ((2, 3, 3, 2, 2, 3), 3)],
)
def test_frequencies_match_born_rule_chi_square(dims, seed):
    strat = random_strategy(seed, *dims)
    pvals = _chi2_against_behaviour(strat, 0.9, 120_000, seed + 100)
    pvals += _chi2_against_behaviour(strat, "random", 120_000, seed + 200)
    # Bonferroni over all cells at level 1e-3
    assert min(pvals) > 1e-3 / len(pvals), pvals


def test_alice_outcome_never_reads_y():
    """Structural locality: with the same uniforms, Alice's outcomes do not change when y changes."""
    strat = random_strategy(5, 3, 3, 3, 3, 3, 3)
    rng = np.random.default_rng(0)
    n = 50_000
    x = rng.integers(0, 3, n)
    u = rng.random((n, 2))
    v = rng.uniform(0, 1, n)
    a0, _ = sample(strat, x, rng.integers(0, 3, n), u, visibility=v)
    a1, _ = sample(strat, x, rng.integers(0, 3, n), u, visibility=v)
    assert np.array_equal(a0, a1)


def test_no_signalling_marginals_statistically():
    strat = random_strategy(7, 2, 2, 2, 2, 2, 2)
    rng = np.random.default_rng(np.random.SeedSequence(17))
    n = 300_000
    for x in range(2):
        counts = []
        for y in range(2):
            a, _ = sample(strat, np.full(n, x), np.full(n, y), rng, visibility=0.8)
            counts.append(np.bincount(a, minlength=2))
        assert stats.chi2_contingency(np.array(counts)).pvalue > 1e-4
    for y in range(2):  # Bob's marginal does not depend on x either
        counts = []
        for x in range(2):
            _, b = sample(strat, np.full(n, x), np.full(n, y), rng, visibility=0.8)
            counts.append(np.bincount(b, minlength=2))
        assert stats.chi2_contingency(np.array(counts)).pvalue > 1e-4


@settings(max_examples=15)
@given(st.integers(0, 10_000), st.booleans())
def test_kernel_matches_plain_python_reference(seed, scalar_v):
    rng = np.random.default_rng(seed)
    dims = tuple(int(k) for k in rng.integers(2, 4, size=6))
    strat = random_strategy(seed, *dims)
    s = sampler(strat)
    na, nb, nx, ny = s.shape
    n = 300
    x = rng.integers(0, nx, n)
    y = rng.integers(0, ny, n)
    u = rng.random((n, 2))
    v = np.array([rng.uniform()]) if scalar_v else rng.uniform(0, 1, n)
    a, b = s.sample(x, y, uniforms=u, visibility=v if not scalar_v else float(v[0]))
    ra, rb = _kernels.sample_reference(x, y, u[:, 0], u[:, 1], v, s.alice_marginal, s.alice_noise, s.joint, s.noise)
    assert np.array_equal(a, ra) and np.array_equal(b, rb)


def test_reproducible_and_common_random_numbers():
    strat = _chsh_strategy()
    x = np.array([0, 1, 1, 0, 1] * 100)
    y = np.array([1, 1, 0, 0, 1] * 100)
    r1 = sample(strat, x, y, np.random.default_rng(np.random.SeedSequence(3)))
    r2 = sample(strat, x, y, np.random.default_rng(np.random.SeedSequence(3)))
    r3 = sample(strat, x, y, 3)  # an int seed means SeedSequence(3)
    assert all(np.array_equal(p, q) for p, q in zip(r1, r2)) and all(np.array_equal(p, q) for p, q in zip(r1, r3))
    u = np.random.default_rng(1).random((len(x), 2))
    k1 = sample(strat, x, y, uniforms=u)
    k2 = sample(strat, x, y, u)
    assert all(np.array_equal(p, q) for p, q in zip(k1, k2))
    assert k1[0].dtype == np.int8


def test_object_api_alice_first_matches_vectorised():
    strat = random_strategy(9, 2, 2, 3, 2, 2, 2)
    s = sampler(strat)
    rng = np.random.default_rng(4)
    for _ in range(200):
        ua, ub = rng.random(2)
        v = rng.uniform()
        x, y = int(rng.integers(0, 3)), int(rng.integers(0, 2))
        half_a, half_b = s.pair(uniforms=(ua, ub), visibility=v).halves
        a = half_a.measure(x)
        b = half_b.measure(y)
        va, vb = s.sample([x], [y], uniforms=[[ua, ub]], visibility=v)
        assert (a, b) == (int(va[0]), int(vb[0]))


def test_object_api_bob_first_has_the_born_law():
    strat = _chsh_strategy()
    s = sampler(strat)
    rng = np.random.default_rng(np.random.SeedSequence(21))
    n = 20_000
    counts = np.zeros((2, 2))
    for _ in range(n):
        ha, hb = s.pair(rng, visibility=0.9).halves
        b = hb.measure(1)
        a = ha.measure(1)
        counts[a, b] += 1
    exp = s.behaviour(0.9)[:, :, 1, 1].ravel() * n
    assert stats.chisquare(counts.ravel(), exp).pvalue > 1e-4
    with pytest.raises(EntanglementError, match="already measured"):
        ha.measure(0)


def test_qudit_maximally_entangled_perfect_correlation():
    d = 3
    Z = np.stack([np.outer(e, e) for e in np.eye(d)])[None].astype(complex)
    strat = QuantumStrategy(maximally_entangled(d), Z, Z)
    a, b = sample(strat, np.zeros(30_000, int), np.zeros(30_000, int), 5)
    assert np.array_equal(a, b)
    assert stats.chisquare(np.bincount(a, minlength=d)).pvalue > 1e-4


def test_bad_inputs():
    strat = _chsh_strategy()
    with pytest.raises(EntanglementError, match="^x: questions must lie in range\\(2\\)"):
        sample(strat, [0, 2], [0, 0], 1)
    with pytest.raises(EntanglementError, match="^x: questions must be integers"):
        sample(strat, [0.5, 1.0], [0, 0], 1)
    with pytest.raises(EntanglementError, match="^y: questions must lie in range"):
        sample(strat, [0], np.array([-1], dtype=np.int8), 1)
    with pytest.raises(EntanglementError, match="^x, y: must have the same length"):
        sample(strat, [0, 1], [0], 1)
    with pytest.raises(EntanglementError, match="^visibility: must lie in \\[0, 1\\]"):
        sample(strat, [0], [0], 1, visibility=1.5)
    with pytest.raises(EntanglementError, match="^visibility: must be a scalar or have length"):
        sample(strat, [0, 1], [0, 1], 1, visibility=[0.5, 0.5, 0.5])
    with pytest.raises(EntanglementError, match="^uniforms: must have shape"):
        sample(strat, [0, 1], [0, 1], uniforms=np.zeros((3, 2)))
    with pytest.raises(EntanglementError, match="^uniforms: must lie in \\[0, 1\\)"):
        sample(strat, [0], [0], uniforms=[[1.0, 0.5]])
    with pytest.raises(EntanglementError, match="^rng"):
        sample(strat, [0], [0], None)
    with pytest.raises(EntanglementError, match=r"^uniforms: must be an \(n, 2\) array of numbers in \[0, 1\)"):
        sample(strat, [0], [0], "abc")  # neither a seed nor numbers
    with pytest.raises(EntanglementError, match=r"^uniforms: must be an \(n, 2\) array"):
        sample(strat, [0], [0], uniforms=[["a", "b"]])
    with pytest.raises(EntanglementError, match="^strategy"):
        Sampler("nope")
    ha, hb = sampler(strat).pair(1).halves
    with pytest.raises(EntanglementError, match="^question"):
        ha.measure(5)


def test_sampler_cache_and_shapes():
    strat = _chsh_strategy()
    assert sampler(strat) is sampler(strat)
    s = sampler(strat)
    assert np.allclose(s.behaviour(1.0), strat.behaviour())
    assert np.allclose(s.behaviour(0.3), strat.with_visibility(0.3).behaviour())
    a, b = sample(strat, np.zeros(0, int), np.zeros(0, int), 1)
    # small integer dtypes give the same outcomes as int64
    x = np.array([0, 1, 1, 0], dtype=np.int8)
    r8 = sample(strat, x, x.astype(np.uint8), 4)
    r64 = sample(strat, x.astype(np.int64), x.astype(np.int64), 4)
    assert np.array_equal(r8[0], r64[0]) and np.array_equal(r8[1], r64[1])
    assert a.shape == (0,) and b.shape == (0,)
    lm = LocalMeasurements.from_strategy(strat)
    assert lm.dims == (2, 2)


def test_generator_path_equals_predrawn_uniforms():
    """With a Generator the kernel draws (u_a, u_b) per round exactly as rng.random((n, 2)) would."""
    strat = random_strategy(13, 2, 3, 2, 2, 3, 2)
    rng = np.random.default_rng(0)
    n = 10_000
    x, y = rng.integers(0, 2, n), rng.integers(0, 2, n)
    v = rng.uniform(0, 1, n)
    g1 = np.random.default_rng(np.random.SeedSequence(99))
    g2 = np.random.default_rng(np.random.SeedSequence(99))
    for vis in (0.7, v):
        a1, b1 = sample(strat, x, y, g1, visibility=vis)
        a2, b2 = sample(strat, x, y, uniforms=g2.random((n, 2)), visibility=vis)
        assert np.array_equal(a1, a2) and np.array_equal(b1, b2)
    assert g1.random() == g2.random()  # both generators advanced by the same amount


def _born_by_kron(strat, v):
    """Independent Born rule: tr[(A ⊗ B) rho_v] with explicit Kronecker products."""
    dA, dB = strat.dims
    rho = v * strat.rho + (1 - v) * np.eye(dA * dB) / (dA * dB)
    na, nb, nx, ny = strat.shape
    p = np.zeros((na, nb, nx, ny))
    for a in range(na):
        for b in range(nb):
            for x in range(nx):
                for y in range(ny):
                    p[a, b, x, y] = np.trace(np.kron(strat.alice[x, a], strat.bob[y, b]) @ rho).real
    return p


@pytest.mark.parametrize("seed", [21, 22])
def test_tables_match_independent_kronecker_born_rule(seed):
    strat = random_strategy(seed, 2, 3, 2, 3, 2, 3)
    s = Sampler(strat)
    for v in (1.0, 0.55, 0.0):
        assert np.allclose(s.behaviour(v), _born_by_kron(strat, v), atol=1e-12)


def test_chsh_win_rate_matches_toqito_quantum_value(monkeypatch):
    """Peer check: the sampled CHSH win rate of our settings equals toqito's quantum value of CHSH."""
    import functools

    import toqito.nonlocal_games.nonlocal_game as toqito_game
    from toqito.rand import random_povm

    pred = np.zeros((2, 2, 2, 2))
    for a, b, x, y in np.ndindex(2, 2, 2, 2):
        pred[a, b, x, y] = float((a ^ b) == (x & y))
    # toqito 1.1.8's see-saw starts from random_povm(..., seed=None), an unseeded default_rng, and from
    # some starts it stops at the classical 3/4 (seeds 0 and 1 do: 0.749996); so it is seeded here and
    # started again until it leaves the classical value (seed 2 does at once; a lower bound from any
    # start is still a lower bound)
    values = []
    for seed in (2, 0, 1, 3, 4):
        monkeypatch.setattr(toqito_game, "random_povm", functools.partial(random_povm, seed=seed))
        values.append(toqito_game.NonlocalGame(np.full((2, 2), 0.25), pred).quantum_value_lower_bound(iters=5, tol=1e-6))
        if values[-1] > 0.75 + 1e-3:
            break
    q = max(values)
    n = 1_000_000
    rng = np.random.default_rng(np.random.SeedSequence(23))
    x, y = rng.integers(0, 2, n), rng.integers(0, 2, n)
    a, b = sample(_chsh_strategy(), x, y, rng)
    w = ((a ^ b) == (x & y)).astype(float)
    assert abs(w.mean() - q) < 5 * w.std() / math.sqrt(n) + 1e-4
