"""Benchmark: qcoord's classical_value and nonsignaling_value against toqito 1.1.8, same games, one run.

Usage::

    /work/venv/bin/python benchmarks/bench_classical.py            # 14 and 16 questions + small games
    /work/venv/bin/python benchmarks/bench_classical.py --quick    # skip the 16-question game

For every game it prints both values (they must agree to 1e-12; the script exits 1 otherwise) and the
time ratio toqito / qcoord. qcoord is timed warm (the numba kernel is compiled and cached on the first
call, which is timed separately as "first call") as the best of ``--repeat`` runs; toqito once (its
loop is pure Python and takes seconds). Target: >= 20x on 14 and 16 questions.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

from toqito.nonlocal_games.nonlocal_game import NonlocalGame

from qcoord.games import chsh, classical_value, magic_square, nonsignaling_value, odd_cycle, random_game


def _best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 16-question game")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--chunks", action="store_true", help="only sweep qcoord's chunk_size on 16/20/22-question games")
    args = ap.parse_args(argv)
    if args.chunks:
        return chunk_sweep(args.repeat)

    t0 = time.perf_counter()
    classical_value(random_game(3, 3, seed=0))
    first_call = time.perf_counter() - t0
    print(f"qcoord first call (numba cache load / compile): {first_call:.3f} s")

    games = [chsh(), odd_cycle(5), magic_square(), random_game(4, 4, seed=1, kind="binary"),
             random_game(8, 8, seed=1, kind="binary"), random_game(14, 14, seed=1, kind="binary")]
    if not args.quick:
        games.append(random_game(16, 16, seed=1, kind="binary"))
    ok = True
    print("\nclassical_value")
    print(f"{'game':36s} {'qcoord':>20s} {'toqito':>20s} {'t_qcoord (s)':>13s} {'t_toqito (s)':>13s} {'ratio':>9s}")
    for g in games:
        tq_game = NonlocalGame(*g.to_toqito())
        t_ours, res = _best_of(lambda: classical_value(g), args.repeat)
        t1 = time.perf_counter()
        v_tq = tq_game.classical_value()
        t_tq = time.perf_counter() - t1
        v = res.value  # type: ignore[attr-defined]
        same = abs(v - v_tq) <= 1e-12
        ok &= same
        print(f"{g.name:36s} {v:20.16f} {v_tq:20.16f} {t_ours:13.6f} {t_tq:13.6f} {t_tq / t_ours:8.1f}x" + ("" if same else "  MISMATCH"))

    print("\nnonsignaling_value (toqito: cvxpy SDP with 1x1 blocks; qcoord: HiGHS LP)")
    print(f"{'game':36s} {'qcoord':>20s} {'toqito':>20s} {'t_qcoord (s)':>13s} {'t_toqito (s)':>13s} {'ratio':>9s}")
    for g in [chsh(), odd_cycle(5), random_game(4, 4, seed=1, kind="binary"), random_game(8, 8, seed=1, kind="binary")]:
        tq_game = NonlocalGame(*g.to_toqito())
        t_ours, res = _best_of(lambda: nonsignaling_value(g), args.repeat)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t1 = time.perf_counter()
            v_tq = tq_game.nonsignaling_value()
            t_tq = time.perf_counter() - t1
        v = res.value  # type: ignore[attr-defined]
        same = abs(v - v_tq) <= 2e-5  # toqito's conic solve runs at default (1e-6-ish) accuracy
        ok &= same
        print(f"{g.name:36s} {v:20.12f} {v_tq:20.12f} {t_ours:13.6f} {t_tq:13.6f} {t_tq / t_ours:8.1f}x" + ("" if same else "  MISMATCH"))
    print("\nall values agree" if ok else "\nVALUES DISAGREE")
    return 0 if ok else 1


def chunk_sweep(repeat: int) -> int:
    """qcoord alone: time and pruned fraction against chunk_size (how DEFAULT_CHUNK_SIZE was chosen)."""
    classical_value(random_game(3, 3, seed=0))
    print(f"{'questions':>9s} {'chunk_size':>10s} {'time (s)':>10s} {'evaluated':>10s}")
    for n in (16, 20, 22):
        g = random_game(n, n, seed=1, kind="binary")
        for cs in (16, 64, 256, 1024, 4096):
            t, res = _best_of(lambda: classical_value(g, chunk_size=cs), repeat)
            c = res.certificate  # type: ignore[attr-defined]
            print(f"{n:9d} {cs:10d} {t:10.4f} {c.num_evaluated / c.num_strategies:10.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
