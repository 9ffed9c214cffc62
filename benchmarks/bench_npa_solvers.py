"""Which conic solver to try first for an NPA moment matrix of a given side: Clarabel vs SCS, in one run.

For a range of games and levels (moment matrix sides from 9 to ~170) this solves the same SDP with
each solver alone, each attempt capped at ``--cap`` seconds, and prints the wall time, the status and
the value of both, and the ratio. ``qcoord.games.npa.CLARABEL_MAX_SIDE`` (the side above which SCS is
tried first) is chosen from this table. ``--backend cvxpy`` times the cvxpy model (the figures quoted
in ``npa.py`` were measured with it); the default is the direct conic path, which does not attempt
Clarabel above side ``qcoord.games._npa_conic.CLARABEL_HARD_MAX_SIDE`` (120: its dense KKT block
would need gigabytes), so those rows print a "not tried" failure at once.

    .venv/bin/python benchmarks/bench_npa_solvers.py [--cap 60]
"""

from __future__ import annotations

import argparse
import time

from qcoord.games import chsh_d, magic_square, npa_upper_bound, random_game
from qcoord.games.npa import SolverError, moment_matrix_size


def skewed(n: int, seed: int):
    """A random n x n binary game whose question distribution is very skewed (Dirichlet(0.05))."""
    import numpy as np

    from qcoord.games import Game

    g = random_game(n, n, na=2, nb=2, seed=seed, kind="weighted")
    rng = np.random.default_rng(seed)
    prob = rng.dirichlet(np.full(n * n, 0.05)).reshape(n, n)
    prob = np.maximum(prob, 1e-12)
    return Game(prob / prob.sum(), g.payoff, name=f"skewed_{n}x{n}")


def hard_cases():
    """The cases reported slow with SCS first (a skewed 10x10 game, CHSH_4, games of value 1)."""
    yield "skewed 10x10", skewed(10, 1), "1+ab"
    yield "chsh_4", chsh_d(4), "1+ab"
    yield "magic square (value 1)", magic_square(), "1+ab"
    yield "magic square (value 1)", magic_square(), 2


def cases():
    for n in (2, 3, 4, 6, 8):
        yield f"random {n}x{n} binary", random_game(n, n, na=2, nb=2, seed=n, kind="binary"), 2
    for n in (4, 6, 10):
        yield f"random {n}x{n} weighted", random_game(n, n, na=2, nb=2, seed=n, kind="weighted"), "1+ab"
    yield "chsh_3", chsh_d(3), 2
    yield "chsh_3", chsh_d(3), "1+ab"
    yield "chsh_4", chsh_d(4), "1+ab"
    yield "magic square (value 1)", magic_square(), 1


def timed(game, level, solver, cap, backend="conic"):
    t = time.perf_counter()
    try:
        r = npa_upper_bound(game, level, solvers=(solver,), time_limit=cap, backend=backend)
        return time.perf_counter() - t, r.status, r.value
    except SolverError as exc:
        return time.perf_counter() - t, "failed: " + str(exc)[:60], float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cap", type=float, default=60.0, help="per-attempt time cap, seconds")
    ap.add_argument("--backend", choices=("conic", "cvxpy"), default="conic", help="npa_upper_bound backend")
    ap.add_argument("--default-path", action="store_true",
                    help="time npa_upper_bound with its default solver order and time budget on the hard cases")
    args = ap.parse_args()
    if args.default_path:
        for name, g, lv in hard_cases():
            na, nb, nx, ny = g.shape
            side = moment_matrix_size(lv, (na, nb), (nx, ny))
            t = time.perf_counter()
            try:
                r = npa_upper_bound(g, lv, backend=args.backend)
                out = f"{r.status} via {r.solver}: value {r.value:.7f} (certified {r.certified_bound:.7f})"
            except SolverError as exc:
                out = f"SolverError: {str(exc)[:100]}"
            print(f"{name:26} {str(lv):5} side {side:4d}: {time.perf_counter() - t:7.1f} s  {out}", flush=True)
        return
    print(f"{'game':26} {'level':5} {'side':>4} | {'Clarabel s':>10} {'status':>18} | {'SCS s':>8} {'status':>18} | SCS/Clarabel")
    for name, g, lv in cases():
        na, nb, nx, ny = g.shape
        side = moment_matrix_size(lv, (na, nb), (nx, ny))
        tc, sc, vc = timed(g, lv, "CLARABEL", args.cap, args.backend)
        ts, ss, vs = timed(g, lv, "SCS", args.cap, args.backend)
        print(f"{name:26} {str(lv):5} {side:4d} | {tc:10.2f} {sc[:18]:>18} | {ts:8.2f} {ss[:18]:>18} | {ts / tc:6.2f}   values {vc:.7f} {vs:.7f}",
              flush=True)


if __name__ == "__main__":
    main()
