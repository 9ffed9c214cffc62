"""Benchmark: entangled decisions per second, Qiskit Aer circuits vs qcoord's Born-rule sampler.

Both sample the default scenario's entangled strategy (the R1 pair game's see-saw optimum, Schmidt
angle 42.66 deg) at Werner visibility 0.9 on the same questions and the same common random numbers:
``qcoord.entanglement.sampler(strategy).sample`` (tables + a numba inverse-CDF kernel) and
``qcoord.export.AerSampler(strategy).sample`` (one Aer statevector run per question of Alice and per
question pair for Bob, one shot per decision pair; circuits built and transpiled once, outside the
timing, after a warm-up call). One core: run with NUMBA_NUM_THREADS=1 (Aer is limited to one thread).

It also prints the two-sample chi-square between the two samplers' outcome counts (per question
pair, 3 degrees of freedom each, summed) and each sampler's chi-square against the exact behaviour.

Usage::

    python benchmarks/bench_aer_sampler.py [--decisions 200000] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402


def counts(a, b, x, y) -> np.ndarray:
    c = np.zeros((2, 2, 2, 2))
    np.add.at(c, (a.astype(int), b.astype(int), x, y), 1)
    return c


def chi2_exact(c: np.ndarray, p: np.ndarray) -> tuple[float, int]:
    stat, dof = 0.0, 0
    for x in range(2):
        for y in range(2):
            n = c[:, :, x, y].sum()
            e = n * p[:, :, x, y].ravel()
            stat += float(((c[:, :, x, y].ravel() - e) ** 2 / e).sum())
            dof += 3
    return stat, dof


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--decisions", type=int, default=200_000, help="decision pairs per sampler")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from qcoord.cli.demo import load_scenario_file
    from qcoord.compile import compile_game
    from qcoord.entanglement import sampler
    from qcoord.export import AerSampler
    from qcoord.games import quantum_lower_bound

    scenario, study = load_scenario_file(None)
    strategy = quantum_lower_bound(compile_game(scenario, float(study["lam"])).game, seed=0, restarts=8).strategy
    v = 0.9
    n = args.decisions
    rng = np.random.default_rng(np.random.SeedSequence(args.seed))
    x = rng.integers(0, 2, n)
    y = rng.integers(0, 2, n)
    U = rng.random((n, 2))

    native = sampler(strategy)
    native.sample(x[:1000], y[:1000], uniforms=U[:1000], visibility=v)  # numba compile
    t0 = time.perf_counter()
    an, bn = native.sample(x, y, uniforms=U, visibility=v)
    t_native = time.perf_counter() - t0

    aer = AerSampler(strategy, seed=args.seed)
    aer.sample(x[:1000], y[:1000], uniforms=U[:1000], visibility=v)  # build and transpile the circuits
    t0 = time.perf_counter()
    aa, ba = aer.sample(x, y, uniforms=U, visibility=v)
    t_aer = time.perf_counter() - t0

    p = strategy.with_visibility(v).behaviour()
    cn, ca = counts(an, bn, x, y), counts(aa, ba, x, y)
    s_n, d_n = chi2_exact(cn, p)
    s_a, d_a = chi2_exact(ca, p)
    s2, d2 = 0.0, 0
    for xq in range(2):
        for yq in range(2):
            chi, _, d, _ = stats.chi2_contingency(np.stack([ca[:, :, xq, yq].ravel(), cn[:, :, xq, yq].ravel()]), correction=False)
            s2, d2 = s2 + chi, d2 + d
    print(f"default-scenario strategy at visibility {v}, {n:,} decision pairs each (one core)")
    print(f"  native sampler: {n / t_native:12,.0f} decisions/s ({t_native:.3f} s); chi2 vs exact {s_n:.1f} / {d_n} dof, "
          f"p = {stats.chi2.sf(s_n, d_n):.3f}")
    print(f"  Aer sampler:    {n / t_aer:12,.0f} decisions/s ({t_aer:.3f} s, {aer.shots_run:,} shots incl. warm-up); chi2 vs exact "
          f"{s_a:.1f} / {d_a} dof, p = {stats.chi2.sf(s_a, d_a):.3f}")
    print(f"  native / Aer: {t_aer / t_native:.0f}x; two-sample chi2 Aer vs native {s2:.1f} / {d2} dof, p = {stats.chi2.sf(s2, d2):.3f}")


if __name__ == "__main__":
    main()
