"""N-player classical value: closed forms, brute force, kernels vs references, certificates, size guard."""

from __future__ import annotations

import dataclasses
import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoord.games import CertificateError, GameError, GameTooLargeError
from qcoord.games.multiparty import (
    MultiGame,
    classical_value,
    exact_value,
    mabk,
    mermin_ghz,
    random_multigame,
)
from qcoord.games.multiparty import _kernels as K
from qcoord.games.multiparty.classical import _layout, _prefix_tuples, exact_weights, num_strategies

from .helpers import brute_force_classical


def test_mermin_ghz_three_quarters_with_exact_certificate():
    g = mermin_ghz()
    r = classical_value(g)
    assert r.value == 0.75 and float(r) == 0.75
    assert r.certificate.value_exact == Fraction(3, 4) == exact_value(g, r.strategy)
    assert r.certificate.verify(g).level == "exact"
    assert g.value(r.strategy.behaviour(g.n_answers)) == 0.75


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(2, 3),
    nq=st.lists(st.integers(1, 3), min_size=3, max_size=3),
    na=st.lists(st.integers(1, 3), min_size=3, max_size=3),
    seed=st.integers(0, 2**31),
    kind=st.sampled_from(["weighted", "binary", "negative"]),
    chunk=st.integers(1, 20),
)
def test_equals_brute_force_over_all_deterministic_strategies(n, nq, na, seed, kind, chunk):
    g = random_multigame(n, nq[:n], na[:n], seed=seed, kind=kind)
    r = classical_value(g, chunk_size=chunk)
    assert r.value == pytest.approx(brute_force_classical(g), abs=1e-12)
    assert r.certificate.value_exact == exact_value(g, r.strategy)
    assert r.certificate.verify(g).level == "exact"
    assert r.certificate.verify(g, exact_limit=0).level == "exact"  # the direct-float + exact-candidates path
    assert classical_value(g, prune=False).value == r.value


def test_ties_broken_exactly():
    # two strategies whose float values differ only by rounding: the exact best must be returned
    g = MultiGame(np.full((2, 2, 1), 0.25), np.zeros((2, 2, 2, 2, 2, 1)))
    payoff = np.zeros((2, 2, 2, 2, 2, 1))
    payoff[0, 0, 0] = 0.1 + 0.2
    payoff[1, 1, 1] = 0.3
    g = MultiGame(np.full((2, 2, 1), 0.25), payoff)
    r = classical_value(g)
    assert r.certificate.value_exact == max(exact_value(g, s) for s in _all_strats(g))


def _all_strats(g):
    import itertools

    from qcoord.games.multiparty.strategy import MultiDeterministicStrategy

    tables = [list(itertools.product(range(a), repeat=x)) for a, x in zip(g.n_answers, g.n_questions)]
    return [MultiDeterministicStrategy(f) for f in itertools.product(*tables)]


def test_kernels_match_references():
    g = random_multigame(3, (3, 2, 2), (2, 3, 2), seed=11)
    r, _ = num_strategies(g)
    lay = _layout(g, r)
    Wf = lay.flatten(np.asarray(g.weights))
    Kd = len(lay.radix)
    perm = np.arange(Kd, dtype=np.int64)[::-1].copy()
    k = 2
    prefixes = _prefix_tuples(lay.radix[perm[k:]])
    out_v = np.empty(len(prefixes))
    out_d = np.empty((len(prefixes), Kd), dtype=np.int64)
    cand = np.empty((10_000, Kd), dtype=np.int64)
    count = K.chunk_search(Wf, lay.digit_of, lay.stride, lay.radix, lay.party_of, lay.aff_ptr, lay.aff_q, perm, k,
                           prefixes, -np.inf, out_v, out_d, cand)
    assert count == int(np.prod(lay.radix))  # threshold -inf: every strategy collected once
    assert len({tuple(c) for c in cand[:count]}) == count
    for c in range(len(prefixes)):
        assert out_v[c] == pytest.approx(K.value_reference(Wf, lay.digit_of, lay.stride, out_d[c]), abs=1e-12)
    vals = [K.value_reference(Wf, lay.digit_of, lay.stride, s) for s in cand[:count]]
    best, n_direct = K.direct_search(Wf, lay.digit_of, lay.stride, lay.radix, perm, k, prefixes, -np.inf, cand)
    assert best == pytest.approx(max(vals), abs=1e-12) and n_direct == count
    bounds = np.empty(len(prefixes))
    K.chunk_bounds(Wf, lay.digit_of, lay.stride, lay.nans, perm, k, prefixes, Kd, bounds)
    for c in range(len(prefixes)):
        fixed = -np.ones(Kd, dtype=np.int64)
        fixed[perm[k:]] = prefixes[c]
        assert bounds[c] == pytest.approx(K.bound_reference(Wf, lay.digit_of, lay.stride, lay.nans, fixed), abs=1e-12)
        assert bounds[c] >= out_v[c] - 1e-12  # the bound bounds its chunk


def test_pruning_pays_and_stays_exact():
    g = random_multigame(3, 4, 3, seed=0)  # 3^8 = 6561 joint strategies of the enumerated parties
    r = classical_value(g, chunk_size=8)
    c = r.certificate
    assert c.num_evaluated < c.num_strategies / 10 and len(c.pruned_prefixes) > 0
    assert c.verify(g).level == "exact"
    assert c.verify(g, exact_limit=0).level == "exact"
    assert r.value == classical_value(g, prune=False).value
    # a symmetric XOR game where every deterministic strategy ties (|M_5| = 1): nothing to prune, value exact
    assert classical_value(mabk(5), chunk_size=4).value == 0.625


def test_certificate_tampering_detected():
    g = random_multigame(3, 2, 2, seed=5)
    r = classical_value(g, chunk_size=2)
    c = r.certificate
    with pytest.raises(CertificateError, match="value"):
        dataclasses.replace(c, value_exact=c.value_exact + Fraction(1, 10**9)).verify(g)
    with pytest.raises(CertificateError, match="chunks"):
        dataclasses.replace(c, searched_prefixes=c.searched_prefixes[1:]).verify(g)
    other = random_multigame(3, 2, 2, seed=6)
    with pytest.raises(CertificateError):
        c.verify(other)


def test_exact_weights_are_exact():
    g = random_multigame(3, 2, 2, seed=1)
    Wint, D = exact_weights(g)
    for idx in [(0, 1, 0, 1, 0, 1), (1, 1, 1, 0, 0, 0)]:
        assert Fraction(Wint[idx], D) == Fraction(g.prob[idx[3:]]) * Fraction(g.payoff[idx])


def test_too_large_refused_before_enumeration():
    g = random_multigame(3, 20, 2, seed=0)  # 2^40 joint strategies of the two enumerated parties
    t0 = time.perf_counter()
    with pytest.raises(GameTooLargeError, match="1099511627776 joint strategies"):
        classical_value(g)
    assert time.perf_counter() - t0 < 1.0
    with pytest.raises(GameError, match="chunk_size"):
        classical_value(mermin_ghz(), chunk_size=0)
    with pytest.raises(GameError, match="MultiGame"):
        classical_value(np.zeros((2, 2)))


def test_verify_float_screen_equals_kernel_bounds():
    from qcoord.games.multiparty.classical import _bounds_numpy

    g = random_multigame(3, (3, 2, 3), (3, 2, 2), seed=8)
    r, _ = num_strategies(g)
    lay = _layout(g, r)
    Wf = lay.flatten(np.asarray(g.weights))
    Kd = len(lay.radix)
    perm = np.arange(Kd, dtype=np.int64)
    prefixes = _prefix_tuples(lay.radix[perm[3:]])
    kern = np.empty(len(prefixes))
    K.chunk_bounds(Wf, lay.digit_of, lay.stride, lay.nans, perm, 3, prefixes, Kd, kern)
    fixed = -np.ones((len(prefixes), Kd), dtype=np.int64)
    fixed[:, perm[3:]] = prefixes
    assert np.allclose(_bounds_numpy(Wf, lay, fixed, batch=5), kern, atol=1e-13)
