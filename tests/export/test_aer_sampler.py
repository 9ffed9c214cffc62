"""The Aer-backed sampler: its shots reproduce the Born rule and agree in law with the native sampler."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from qcoord.entanglement import sampler as native_sampler
from qcoord.export import AerSampler, ExportError, aer_entangled
from qcoord.policies import Entangled

from .conftest import random_qubit_strategy

N = 40_000


def frequencies(a, b, x, y, nx, ny) -> np.ndarray:
    counts = np.zeros((2, 2, nx, ny))
    np.add.at(counts, (a, b, x, y), 1)
    return counts


def chi2_against(counts: np.ndarray, p: np.ndarray) -> tuple[float, int]:
    """Pearson chi-square of observed counts against p[a, b, x, y], summed over the question pairs."""
    stat, dof = 0.0, 0
    for x in range(p.shape[2]):
        for y in range(p.shape[3]):
            n = counts[:, :, x, y].sum()
            e = n * p[:, :, x, y].ravel()
            o = counts[:, :, x, y].ravel()
            keep = e > 0
            assert o[~keep].sum() == 0  # an impossible outcome never appears
            stat += float(((o[keep] - e[keep]) ** 2 / e[keep]).sum())
            dof += int(keep.sum()) - 1
    return stat, dof


def draw(smp, n: int, seed: int, **kw):
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    _, _, nx, ny = smp.shape
    x = rng.integers(0, nx, n)
    y = rng.integers(0, ny, n)
    a, b = smp.sample(x, y, uniforms=rng.random((n, 2)), **kw)
    return x, y, np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)


def test_aer_shots_reproduce_the_behaviour(default_solution):
    s = default_solution[0].strategy
    x, y, a, b = draw(AerSampler(s, seed=1), N, 11)
    stat, dof = chi2_against(frequencies(a, b, x, y, 2, 2), s.behaviour())
    assert stats.chi2.sf(stat, dof) > 1e-3


def test_chsh_win_rate_within_ci(chsh_strategy):
    x, y, a, b = draw(AerSampler(chsh_strategy, seed=2), N, 12)
    win = ((a ^ b) == (x & y)).astype(float)
    half = 1.96 * win.std(ddof=1) / np.sqrt(N)
    assert abs(win.mean() - 0.853553) < half + 1e-12
    assert half < 0.004


def test_werner_visibility_scales_correlators(chsh_strategy):
    v = 0.5
    x, y, a, b = draw(AerSampler(chsh_strategy, seed=3), N, 13, visibility=v)
    stat, dof = chi2_against(frequencies(a, b, x, y, 2, 2), chsh_strategy.with_visibility(v).behaviour())
    assert stats.chi2.sf(stat, dof) > 1e-3
    sign = np.where(a == b, 1.0, -1.0)
    for xq in range(2):
        for yq in range(2):
            m = (x == xq) & (y == yq)
            e = sign[m].mean()
            exact = (1 if xq & yq == 0 else -1) * v / np.sqrt(2)
            assert abs(e - exact) < 4 * np.sqrt((1 - e**2) / m.sum())


def test_aer_and_native_agree_in_law():
    """Two-sample chi-square (contingency tables per question pair) between Aer and the native sampler."""
    s = random_qubit_strategy(np.random.default_rng(903), 3, 3, trivial=False)
    xa, ya, aa, ba = draw(AerSampler(s, seed=4), N, 14)
    xn, yn, an, bn = draw(native_sampler(s), N, 14)
    ca, cn = frequencies(aa, ba, xa, ya, 3, 3), frequencies(an, bn, xn, yn, 3, 3)
    stat, dof = 0.0, 0
    for xq in range(3):
        for yq in range(3):
            table = np.stack([ca[:, :, xq, yq].ravel(), cn[:, :, xq, yq].ravel()])
            table = table[:, table.sum(axis=0) > 0]
            if table.shape[1] < 2:
                continue
            chi, _, d, _ = stats.chi2_contingency(table, correction=False)
            stat, dof = stat + chi, dof + d
    assert dof > 0 and stats.chi2.sf(stat, dof) > 1e-3


def test_sequential_and_reproducible(chsh_strategy):
    smp = AerSampler(chsh_strategy, seed=5)
    rng = np.random.default_rng(6)
    x = rng.integers(0, 2, 500)
    U = rng.random((500, 2))
    a0, _ = smp.sample(x, np.zeros_like(x), uniforms=U)
    a1, b1 = smp.sample(x, 1 - x, uniforms=U)
    assert np.array_equal(a0, a1)  # Alice's outcome does not depend on Bob's question
    a2, b2 = smp.sample(x, 1 - x, uniforms=U)
    assert np.array_equal(b1, b2)  # same uniforms, same decisions


def test_entangled_policy_with_aer_sampler(chsh_strategy):
    """A simulation whose decisions come from Aer: the same split probability as the native one, within CIs."""
    from qcoord.system import Scenario, setup, simulate

    sc = Scenario(arrival_rate=0.1, handoff_delay=0.1, baseline=setup(2.0), n_pairs=6000, warmup=100, replications=2, seed=3)
    pol_aer = aer_entangled(chsh_strategy, seed=7)
    pol_nat = Entangled(chsh_strategy, name="entangled-native")
    res = simulate(sc, [pol_aer, pol_nat]).summary_frame()
    col = next(c for c in res.columns if "split" in c.lower())
    p_aer, p_nat = (float(res.loc[res.index[i], col]) if res.index.name else float(res[col].iloc[i]) for i in range(2))
    # CHSH strategy on the reference classes: split iff a == b; both estimate the same p (n = 12000 pairs each)
    assert abs(p_aer - p_nat) < 4 * np.sqrt(2 * 0.25 / 12000)
    assert pol_aer.describe()["sampler"] == "AerSampler"


def test_errors(chsh_strategy):
    smp = AerSampler(chsh_strategy, seed=0)
    with pytest.raises(ExportError, match=r"x: questions must be integers in range\(2\)"):
        smp.sample([0, 2], [0, 0])
    with pytest.raises(ExportError, match="same length"):
        smp.sample([0], [0, 1])
    with pytest.raises(ExportError, match="at most 64"):
        smp.sample(np.zeros(100, int), np.zeros(100, int), visibility=np.linspace(0, 1, 100))
    with pytest.raises(Exception, match="sampler: must have sample"):
        Entangled(chsh_strategy, sampler=object())
