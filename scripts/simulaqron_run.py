"""Run the NetQASM apps written by ``qcoord export ... --format netqasm`` on SimulaQron, once.

SimulaQron 4.1.2 needs numpy<2 and qutip<5, so it lives in a venv of its own (qcoord is not imported
here: the script only needs the SDK, SimulaQron and the files the export wrote):

    python3 -m venv /tmp/simulaqron-venv
    /tmp/simulaqron-venv/bin/pip install "simulaqron==4.1.2" "numpy<2" "qutip<5"
    qcoord export chsh --format netqasm --out /tmp/chsh-apps
    /tmp/simulaqron-venv/bin/python scripts/simulaqron_run.py /tmp/chsh-apps --rounds 250

For every question pair (x, y) the two apps run ``--rounds`` rounds on one SimulaQron network (each
round: one EPR pair |Phi+>, both halves measured). The script prints, per (x, y), the measured
frequencies of (a, b) beside the predicted p(a, b | x, y) (``strategy.json``) with a Pearson
chi-square test (3 degrees of freedom), and the measured game value (``game.json``: the mean payoff
sum_xy prob(x, y) V(a, b, x, y)) with a 95% CI (normal approximation, the questions' strata
independent) beside the predicted value. ``--json FILE`` saves everything.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("NETQASM_SIMULATOR", "simulaqron")


def chi2_sf_3(stat: float) -> float:
    """Survival function of the chi-square law with 3 degrees of freedom (closed form)."""
    z = math.sqrt(stat)
    return math.erfc(z / math.sqrt(2)) + math.sqrt(2 / math.pi) * z * math.exp(-stat / 2)


def simulaqron_network(path: Path, base_port: int) -> Path:
    """A SimulaQron network file with the two server nodes on localhost (its default one names Alice..Eve)."""
    nodes = []
    for k, name in enumerate(("server_a", "server_b")):
        p = base_port + 10 * k
        nodes.append({name: {"app_socket": ["localhost", p], "qnodeos_socket": ["localhost", p + 1],
                             "vnode_socket": ["localhost", p + 2]}})
    path.write_text(json.dumps([{"name": "default", "nodes": nodes, "topology": None}], indent=2))
    return path


def run_pair(app_dir: Path, x: int, y: int, rounds: int, network: Path) -> tuple[list[int], list[int]]:
    from netqasm.runtime.application import app_instance_from_path
    from netqasm.runtime.settings import Formalism
    from simulaqron.run.run import run_applications

    inst = app_instance_from_path(str(app_dir))
    inst.program_inputs["server_a"] = {"x": x, "rounds": rounds}
    inst.program_inputs["server_b"] = {"y": y, "rounds": rounds}
    res = run_applications(inst, num_rounds=1, network_cfg=str(network), formalism=Formalism.DM, enable_logging=False)  # DM = the qutip backend
    r = res[0]
    return list(r["app_server_a"]["answers"]), list(r["app_server_b"]["answers"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("app_dir", type=Path)
    ap.add_argument("--rounds", type=int, default=200, help="rounds (EPR pairs) per question pair")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--only", default=None, help="run one question pair only, e.g. 1,0")
    ap.add_argument("--sync", type=int, default=None, help="override the apps' SYNC (rounds between acks; 0 = none)")
    ap.add_argument("--port", type=int, default=8101, help="first localhost port of the SimulaQron nodes")
    args = ap.parse_args()
    import re
    import shutil
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="qcoord-simulaqron-"))
    network = simulaqron_network(work / "network.json", args.port)
    # SimulaQron reads ./simulaqron_settings.json: room for the pairs in flight, a patient receiver
    (work / "simulaqron_settings.json").write_text(json.dumps({
        "max_qubits": args.rounds + 50, "max_registers": 4 * args.rounds + 100, "conn_retry_time": 0.5,
        "conn_max_retries": 10, "recv_timeout": 600, "recv_retry_time": 0.1, "recv_max_retries": 10, "log_level": 30,
        "sim_backend": "qutip", "noisy_qubits": False, "max_app_waiting_time": 120.0 + 3.0 * args.rounds, "t1": 1.0}))
    apps = work / "apps"
    shutil.copytree(args.app_dir, apps, ignore=shutil.ignore_patterns("log", "__pycache__"))
    if args.sync is not None:
        for f in apps.glob("app_*.py"):
            f.write_text(re.sub(r"^SYNC = \d+$", f"SYNC = {args.sync}" if args.sync else "SYNC = 10**9", f.read_text(), flags=re.M))
    os.chdir(work)
    args.app_dir = apps
    meta = json.loads((args.app_dir / "strategy.json").read_text())
    game = json.loads((args.app_dir / "game.json").read_text())
    prob, payoff = game["prob"], game["payoff"]
    nx, ny = len(prob), len(prob[0])
    rows, value, var = [], 0.0, 0.0
    predicted_value = 0.0
    t0 = time.perf_counter()
    pairs = [(x, y) for x in range(nx) for y in range(ny)]
    if args.only:
        pairs = [tuple(int(v) for v in args.only.split(","))]
    for x, y in pairs:
        if True:
            t1 = time.perf_counter()
            a, b = run_pair(args.app_dir, x, y, args.rounds, network)
            n = len(a)
            counts = [[0, 0], [0, 0]]
            for ai, bi in zip(a, b):
                counts[ai][bi] += 1
            pred = meta["behaviour"][f"x{x}_y{y}"]
            stat = sum((counts[i][j] - n * pred[i][j]) ** 2 / (n * pred[i][j]) for i in range(2) for j in range(2) if pred[i][j] > 0)
            pays = [payoff[ai][bi][x][y] for ai, bi in zip(a, b)]
            mean = sum(pays) / n
            s2 = sum((v - mean) ** 2 for v in pays) / (n - 1)
            value += prob[x][y] * mean
            var += prob[x][y] ** 2 * s2 / n
            predicted_value += prob[x][y] * sum(pred[i][j] * payoff[i][j][x][y] for i in range(2) for j in range(2))
            rows.append({"x": x, "y": y, "rounds": n, "counts": counts, "predicted": pred, "chi2": stat, "p_value": chi2_sf_3(stat),
                         "seconds": time.perf_counter() - t1})
            freq = ", ".join(f"{i}{j}: {counts[i][j] / n:.3f} (pred {pred[i][j]:.3f})" for i in range(2) for j in range(2))
            print(f"x={x} y={y}: {n} rounds, {freq}; chi2 = {stat:.2f}, p = {chi2_sf_3(stat):.3f} ({rows[-1]['seconds']:.1f} s)", flush=True)
    total = sum(r["chi2"] for r in rows)
    dof = 3 * len(rows)
    print(f"all pairs: chi2 = {total:.2f} on {dof} degrees of freedom")
    half = 1.96 * math.sqrt(var)
    print(f"game value: measured {value:.4f} [{value - half:.4f}, {value + half:.4f}] (95% CI), predicted {predicted_value:.4f}; "
          f"total {time.perf_counter() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"pairs": rows, "value": value, "ci95": [value - half, value + half],
                                         "predicted_value": predicted_value, "rounds": args.rounds}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
