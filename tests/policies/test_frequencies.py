"""Decision frequencies: correlated and entangled policies reproduce their behaviour p(a, b | x, y).

Pearson chi-square over all (x, y, a, b) cells with fixed seeds; each test also checks power (the
same counts reject a wrong behaviour), so the tests can fail.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from qcoord.entanglement import EntanglementPool, LocalMeasurements, partially_entangled
from qcoord.games import DeterministicStrategy
from qcoord.policies import Correlated, Entangled, LocalRule, SharedRandomness

from .conftest import TinyScenario, make_inputs

N = 40_000


def _inputs(seed: int, n: int = N):
    rng = np.random.default_rng(seed)
    return make_inputs(np.arange(n, dtype=float), rng.integers(0, 2, (n, 2)), rng.integers(0, 2, n), seed=seed)


def _strategy():
    # the R1-like state cos t|00> + sin t|11>, t = 42.7 deg, x-z plane measurements
    return LocalMeasurements.from_bloch_angles([0.4, 1.9], [1.0, -0.6]).strategy(partially_entangled(np.deg2rad(42.7)))


def counts(inputs, routing):
    """counts[a, b, x, y] with x, y the questions (classes) of the servers playing A and B."""
    rows = np.arange(inputs.n)
    sa = inputs.role.astype(int)
    sb = 1 - sa
    c = np.zeros((2, 2, 2, 2))
    np.add.at(c, (routing.decision[rows, sa], routing.decision[rows, sb], inputs.cls[rows, sa], inputs.cls[rows, sb]), 1)
    return c


def chi2_pvalue(c, p):
    n_xy = c.sum(axis=(0, 1), keepdims=True)
    exp = n_xy * p
    m = exp > 0
    assert c[~m].sum() == 0, "an impossible outcome occurred"
    chi2 = ((c[m] - exp[m]) ** 2 / exp[m]).sum()
    dof = m.sum() - c.shape[2] * c.shape[3]
    return stats.chi2.sf(chi2, dof)


def test_correlated_reproduces_behaviour():
    p = _strategy().behaviour()
    inp = _inputs(1)
    c = counts(inp, Correlated(p).route(inp, TinyScenario()))
    assert chi2_pvalue(c, p) > 1e-3
    classical = DeterministicStrategy((0, 1), (1, 0)).behaviour((2, 2)) * 0.9 + 0.025
    assert chi2_pvalue(c, classical) < 1e-12


def test_entangled_reproduces_born_rule():
    s = _strategy()
    inp = _inputs(2)
    c = counts(inp, Entangled(s).route(inp, TinyScenario()))
    p = s.behaviour()
    assert chi2_pvalue(c, p) > 1e-3
    assert chi2_pvalue(c, s.with_visibility(0.8).behaviour()) < 1e-6  # detects 20 % noise


def test_entangled_role_asymmetric_reproduces_born_rule():
    s = _strategy()
    inp = _inputs(3)
    r = Entangled(s, role_symmetric=False).route(inp, TinyScenario())
    asym = make_inputs(inp.arrival, inp.cls, np.zeros(inp.n, int), uniforms=inp.uniforms)  # A = server 0
    assert chi2_pvalue(counts(asym, r), s.behaviour()) > 1e-3


@pytest.mark.parametrize("v", [0.0, 0.6])
def test_entangled_werner_noise(v):
    s = _strategy()
    inp = _inputs(4)
    c = counts(inp, Entangled(s, visibility=v).route(inp, TinyScenario()))
    # independent reference: the games package's own Werner state and Born rule
    assert chi2_pvalue(c, s.with_visibility(v).behaviour()) > 1e-3
    assert chi2_pvalue(c, s.behaviour()) < 1e-12


def test_entangled_pool_mixture_of_visibilities_and_fallback():
    s = _strategy()
    inp = _inputs(5)
    pool = EntanglementPool(rate=1.5, capacity=2, visibility=0.95, memory_time=4.0)
    pol = Entangled(s, pool, fallback=LocalRule((1, 1), (0, 0)))
    r = pol.route(inp, TinyScenario())
    assert 0 < r.info["fallbacks"] < inp.n
    assert r.info["fallbacks"] == r.info["pool_stats"].fallbacks
    # recover the per-pair draw to split entangled and fallback pairs
    from qcoord.policies.entangled import POOL_STREAM_KEY

    draw = pool.schedule(inp.arrival, np.random.default_rng(np.random.SeedSequence(entropy=inp.seed, spawn_key=(0, POOL_STREAM_KEY))))
    fb = draw.fallback
    rows = np.flatnonzero(fb)
    sa = inp.role[rows].astype(int)
    assert (r.decision[rows, sa] == 1).all() and (r.decision[rows, 1 - sa] == 0).all()  # fallback rule
    ent = ~fb
    sub = make_inputs(inp.arrival[ent], inp.cls[ent], inp.role[ent], uniforms=inp.uniforms[ent])
    from qcoord.policies.base import PolicyRouting

    sub_r = PolicyRouting(r.dest[ent], r.release[ent], r.decision[ent], r.level[ent])
    vbar = draw.visibility[ent].mean()
    assert r.info["mean_visibility"] == pytest.approx(vbar)
    # behaviour is linear in rho: the mixture over visibilities is the Werner behaviour at the mean
    assert chi2_pvalue(counts(sub, sub_r), s.with_visibility(vbar).behaviour()) > 1e-3


def test_entangled_and_correlated_agree_pointwise_on_common_numbers():
    """Two independent samplers (qcoord.entanglement's kernel, policies' inversion) on the same uniforms."""
    s = _strategy()
    inp = _inputs(6, 20_000)
    d1 = Entangled(s).route(inp, TinyScenario()).decision
    d2 = Correlated(s.behaviour()).route(inp, TinyScenario()).decision
    assert (d1 == d2).mean() > 0.9999


def test_shared_randomness_mixture_frequencies():
    comps = [LocalRule((0, 1), (1, 0)), LocalRule((1, 1), (0, 1)), LocalRule((0, 0))]
    w = np.array([0.5, 0.3, 0.2])
    inp = _inputs(7)
    c = counts(inp, SharedRandomness(comps, w).route(inp, TinyScenario()))
    p = sum(wk * DeterministicStrategy(k.alice, k.bob).behaviour((2, 2)) for wk, k in zip(w, comps))
    assert chi2_pvalue(c, p) > 1e-3
    p_wrong = sum(wk * DeterministicStrategy(k.alice, k.bob).behaviour((2, 2)) for wk, k in zip([0.45, 0.35, 0.2], comps))
    assert chi2_pvalue(c, p_wrong) < 1e-6
