"""Benchmark: sweep speed-up from 1 to 2 workers, and the per-task overhead of Dask vs the local pool.

Part 1 runs the same sweep (>= 50 points of the real point evaluator,
``qcoord.analysis.evaluate_point``, on small scenarios) with a local process pool of 1 worker and
of 2 workers, each into a fresh SQLite store, and prints the wall times and their ratio. Both runs
use the runner's default batching (~100 ms of work per task) and include worker start-up (each
fresh worker pays its imports and numba cache loads once: "cold"), then once more on the same,
already warm pool ("warm"). Each is repeated ``--repeats`` times, alternating 1 and 2 workers,
and the best times are compared (the machine is shared). It also checks that every store holds
identical numbers.

Part 2 measures scheduling overhead alone: ``--tasks`` trivial tasks (``abs(-k)``) through
``LocalExecutor(2)`` and through ``DaskExecutor`` on a ``LocalCluster`` with 2 worker processes,
both already started; overhead per task = wall time / tasks. Start-up times are printed apart.

Part 3 measures how soon a large grid starts: ``--grid`` points (default 10^5) of a trivial
evaluator (constant rows, no simulation) through ``LocalExecutor(2)`` into a fresh store; it prints
the seconds until the first point is committed, until the first worker task is committed, and until
the sweep is done (the machinery alone: building points, pickling, committing).

The machine is shared: part 0 measures the parallel ceiling right now (equal pure-Python CPU tasks
through the same pool, 1 vs 2 workers), and the load average is printed with the figures; the
sweep speed-up should be read against that ceiling.

Usage::

    python benchmarks/bench_sweep.py [--points 50] [--n-pairs 4000] [--replications 2] [--repeats 3]
                                     [--tasks 2000]
    python benchmarks/bench_sweep.py --quick          # one repeat, 500 tasks
    python benchmarks/bench_sweep.py --skip-workers --skip-overhead --grid 100000   # part 3 only
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def _spec(points: int, n_pairs: int, replications: int):
    from qcoord.sweep import SweepSpec

    n_rate = 5
    n_delay = -(-points // n_rate)
    return SweepSpec.from_dict({
        "name": "bench",
        "seed": 1,
        "replications": replications,
        "classes": ["local", "entangled"],
        "base": {"n_pairs": n_pairs, "warmup": n_pairs // 10, "baseline": {"kind": "setup", "c": 1.0}},
        "axes": {"arrival_rate": {"start": 0.1, "stop": 0.5, "num": n_rate},
                 "handoff_delay": {"start": 0.0, "stop": 0.3, "num": n_delay}},
    })


def bench_workers(points: int, n_pairs: int, replications: int, repeats: int) -> None:
    from qcoord.sweep import LocalExecutor, load_results, run_sweep

    spec = _spec(points, n_pairs, replications)
    cold: dict[int, list[float]] = {1: [], 2: []}
    warm: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as d:
        for r in range(repeats):  # alternate 1 and 2 workers so load changes hit both alike
            for w in (1, 2):
                with LocalExecutor(w) as ex:
                    for phase, store in (("cold", cold), ("warm", warm)):
                        path = Path(d) / f"w{w}-{r}-{phase}.sqlite"
                        t0 = time.perf_counter()
                        s = run_sweep(spec, path, executor=ex)
                        store[w].append(time.perf_counter() - t0)
                        print(f"  run {r + 1}, workers={w}, {phase}: {s.n_points} points in {store[w][-1]:.2f} s "
                              f"({s.n_tasks} tasks, {s.mean_batch:.1f} points/task, "
                              f"{s.seconds_per_point * 1e3:.0f} ms evaluator time per point, "
                              f"load {os.getloadavg()[0]:.1f})")
        ref = load_results(Path(d) / "w1-0-cold.sqlite").drop(columns=["elapsed_s"])
        same = True
        for p in sorted(Path(d).glob("w*.sqlite")):
            got = load_results(p).drop(columns=["elapsed_s"])
            bad = [c for c in ref.columns if not got[c].equals(ref[c])]
            if bad:
                same = False
                rows = got.index[(got[bad[0]] != ref[bad[0]]) & ~(got[bad[0]].isna() & ref[bad[0]].isna())]
                print(f"  DIFFERENT: {p.name} columns {bad[:5]} at rows {list(rows[:5])}")
    for name, t in (("cold (fresh pool: start-up and imports included)", cold),
                    ("warm (same pool, second sweep)", warm)):
        t1, t2 = min(t[1]), min(t[2])
        print(f"  {name}: best of {repeats}: 1 worker {t1:.2f} s, 2 workers {t2:.2f} s; "
              f"speed-up 1 -> 2 workers {t1 / t2:.2f}x")
    print(f"  identical numbers in all {4 * repeats} stores: {same}")


def _burn(n: int) -> float:
    """Pure-Python CPU work (no imports, no memory traffic): the machine's parallel ceiling."""
    t = time.perf_counter()
    acc = 0
    for i in range(n):
        acc += i * i
    return time.perf_counter() - t


def bench_ceiling(repeats: int) -> None:
    from qcoord.sweep import LocalExecutor

    best = {}
    for w in (1, 2):
        with LocalExecutor(w) as ex:
            list(ex.imap_unordered(_burn, [10] * w))  # start the workers
            runs = []
            for _ in range(max(2, repeats)):
                t0 = time.perf_counter()
                list(ex.imap_unordered(_burn, [2_000_000] * 8))
                runs.append(time.perf_counter() - t0)
            best[w] = min(runs)
    print(f"  8 equal CPU-bound tasks: 1 worker {best[1]:.2f} s, 2 workers {best[2]:.2f} s; "
          f"ceiling speed-up {best[1] / best[2]:.2f}x (2.0 on two free cores)")


def bench_overhead(tasks: int) -> None:
    from qcoord.sweep import DaskExecutor, LocalExecutor

    work = [-k for k in range(tasks)]
    per_task = {}
    for name, make in (("local pool", lambda: LocalExecutor(2)),
                       ("dask LocalCluster", lambda: DaskExecutor(workers=2, processes=True))):
        t0 = time.perf_counter()
        ex = make()
        try:
            list(ex.imap_unordered(abs, range(4)))  # start and warm the workers
            start = time.perf_counter() - t0
            t1 = time.perf_counter()
            out = sorted(ex.imap_unordered(abs, work))
            wall = time.perf_counter() - t1
        finally:
            ex.close()
        assert out == list(range(tasks))
        per_task[name] = wall / tasks
        print(f"  {name:18s}: start-up {start:5.2f} s, {tasks} tasks in {wall:.3f} s "
              f"= {per_task[name] * 1e3:.3f} ms per task")
    r = per_task["dask LocalCluster"] / per_task["local pool"]
    print(f"  Dask / local pool per-task overhead: {r:.1f}x "
          f"({per_task['dask LocalCluster'] / 0.1 * 100:.1f}% of a 100 ms task on Dask, "
          f"{per_task['local pool'] / 0.1 * 100:.2f}% on the pool)")


def _trivial(scenario, classes, *, replications, seed):
    """Constant rows: the sweep machinery's own cost per point."""
    return [{"class": c, "value": float(scenario.get("arrival_rate", 0.0))} for c in classes]


def bench_startup(points: int) -> None:
    from qcoord.sweep import LocalExecutor, SweepSpec, run_sweep

    n_rate = 1000 if points >= 1000 else points
    spec = SweepSpec.from_dict({
        "name": "startup", "seed": 1, "replications": 1, "classes": ["local", "entangled"],
        "base": {"n_pairs": 1000},
        "axes": {"arrival_rate": {"start": 0.01, "stop": 0.5, "num": n_rate},
                 "handoff_delay": {"start": 0.0, "stop": 0.3, "num": max(1, points // n_rate)}},
    })
    with tempfile.TemporaryDirectory() as d, LocalExecutor(2) as ex:
        list(ex.imap_unordered(abs, [1, 2]))  # pool started: measure the sweep, not the pool start
        marks: dict[str, float] = {}
        t0 = time.perf_counter()

        def progress(ev) -> None:
            now = time.perf_counter() - t0
            if ev.done >= 1:
                marks.setdefault("first point", now)
            if ev.done >= 2:
                marks.setdefault("first worker task", now)

        s = run_sweep(spec, Path(d) / "startup.sqlite", evaluator=_trivial, executor=ex, progress=progress)
        total = time.perf_counter() - t0
    print(f"  {spec.n_points} points: first point committed after {marks.get('first point', float('nan')):.2f} s, "
          f"first worker task after {marks.get('first worker task', float('nan')):.2f} s, done after {total:.2f} s "
          f"({s.n_tasks} tasks, load {os.getloadavg()[0]:.1f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=50)
    ap.add_argument("--n-pairs", type=int, default=4000)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-workers", action="store_true")
    ap.add_argument("--skip-overhead", action="store_true")
    ap.add_argument("--grid", type=int, default=100_000, help="points of the start-up measurement (0: skip)")
    args = ap.parse_args()
    if args.quick:
        args.tasks = 500
        args.repeats = 1
    if args.points < 50:
        ap.error("--points: the issue asks for a sweep of at least 50 points")
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")
    print("0. parallel ceiling of this machine now (pure-Python CPU tasks, same LocalExecutor)")
    bench_ceiling(args.repeats)
    if not args.skip_workers:
        print(f"1. sweep of {args.points} points (evaluate_point, n_pairs={args.n_pairs}, "
              f"replications={args.replications}, classes local+entangled)")
        bench_workers(args.points, args.n_pairs, args.replications, args.repeats)
    if not args.skip_overhead:
        print(f"2. per-task overhead ({args.tasks} trivial tasks, 2 workers)")
        bench_overhead(args.tasks)
    if args.grid:
        print(f"3. start-up of a large grid ({args.grid} points, trivial evaluator, 2 workers)")
        bench_startup(args.grid)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
