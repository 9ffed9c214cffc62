"""CLI start-up: process wall time of ``qcoord --help`` and ``qcoord game list``, best of 5.

Beside each, the same process with every solver module imported eagerly (what the CLI did before the
package imports became lazy), and the ratio. Target: under 0.5 s for both commands.

    .venv/bin/python benchmarks/bench_cli_startup.py
"""

from __future__ import annotations

import subprocess
import sys
import time

EAGER = ("import qcoord.games.classical, qcoord.games.nonsignaling, qcoord.games.seesaw, qcoord.games.npa, "
         "qcoord.games.xor, qcoord.games.bell; ")


def best_of(cmd: list[str], n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    py = sys.executable
    for args in (["--help"], ["game", "list"]):
        lazy = best_of([py, "-c", f"import sys; sys.argv = ['qcoord', *{args!r}]; from qcoord.cli import main; main()"])
        eager = best_of([py, "-c", EAGER + f"import sys; sys.argv = ['qcoord', *{args!r}]; from qcoord.cli import main; main()"])
        print(f"qcoord {' '.join(args):10}: {lazy:.3f} s (with every solver imported up front: {eager:.3f} s, {eager / lazy:.1f}x)")


if __name__ == "__main__":
    main()
