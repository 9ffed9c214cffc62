"""``qcoord export GAME_OR_SCENARIO --format qiskit|qasm3|netqasm --out DIR``: a strategy for quantum stacks.

``GAME_OR_SCENARIO`` is a library game (``qcoord game list``), a JSON game file, ``default`` (the
built-in default scenario) or a scenario TOML file, whose pair game (``[study] lam``, default 0.5) is
compiled (closed-form costs; estimated by simulation at load, ``estimate_costs``, when the servers
observe a backlog or busy flag) and solved first. The best qubit strategy (see-saw, ``--seed``, ``--restarts``) is written
as one file per question pair plus an index ``INDEX.md`` and ``strategy.json``:

- ``qiskit``: ``circuit_x{x}_y{y}.qpy`` (Qiskit QPY), ``parameterised.qpy`` + ``bindings.json``;
- ``qasm3``: ``circuit_x{x}_y{y}.qasm`` (OpenQASM 3), ``parameterised.qasm`` + ``bindings.json``;
- ``netqasm``: the two server applications on |Phi+> pairs (``app_server_a.py``, ``app_server_b.py``,
  ``network.yaml``, ``roles.yaml``, inputs ``server_a.yaml``/``server_b.yaml``), for the strategy
  re-optimised with the state fixed to |Phi+> (``quantum_lower_bound(game, state="bell")``); the index
  reports the value lost against the free see-saw.

Exit codes: 0 written; 2 bad input (unknown game, unreadable file, unknown format, a non-empty
``--out`` without ``--force``, a missing optional extra: the message names it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import numpy as np
import typer
from rich.console import Console
from rich.text import Text

from ._app import app, stdout_console

__all__ = ["export", "FORMATS"]

#: Output formats of ``qcoord export``.
FORMATS = ("qiskit", "qasm3", "netqasm")


class ExportCLIError(ValueError):
    """Bad command-line input (exit code 2)."""


def _target(spec: str, lam: Optional[float]) -> tuple[Any, Any, str]:
    """(game, compiled game or None, description) for a game name, JSON file, ``default`` or scenario TOML."""
    from qcoord.compile import compile_game

    from .demo import load_scenario_file

    if spec == "default" or spec.endswith(".toml"):
        scenario, study = load_scenario_file(None if spec == "default" else Path(spec))
        lam_used = float(study.get("lam", 0.5)) if lam is None else float(lam)
        what = "the built-in default scenario" if spec == "default" else f"scenario {spec}"
        if scenario.backlog_levels:  # the closed form prices idle servers only: estimate the costs at load
            from qcoord.compile import estimate_costs

            compiled = compile_game(scenario, lam_used, costs=estimate_costs(scenario, lam_used, seed=1))
            return compiled.game, compiled, f"{what}, pair game at lam = {lam_used:g} (costs estimated at load)"
        compiled = compile_game(scenario, lam_used)
        return compiled.game, compiled, f"{what}, pair game at lam = {lam_used:g}"
    from .game import load_game

    if lam is not None:
        raise ExportCLIError("--lam: only for a scenario (a game's payoffs are given)")
    game = load_game(spec)
    return game, None, f"game {spec}"


def _fmt_p(p: np.ndarray) -> str:
    return ", ".join(f"p({a}{b})={p[a, b]:.6f}" for a in range(2) for b in range(2))


@app.command("export")
def export(
    target: str = typer.Argument(..., metavar="GAME_OR_SCENARIO",
                                 help="Library game name, JSON game file, 'default' (the default scenario) or a scenario TOML."),
    fmt: str = typer.Option(..., "--format", help="qiskit | qasm3 | netqasm."),
    out: Path = typer.Option(..., "--out", help="Folder to write (refused if not empty, unless --force)."),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty --out folder."),
    seed: int = typer.Option(0, "--seed", help="See-saw seed (numpy SeedSequence entropy)."),
    restarts: int = typer.Option(16, "--restarts", help="See-saw random restarts (>= 0)."),
    lam: Optional[float] = typer.Option(None, "--lam", help="Interruption price of a scenario's pair game (default: its [study] lam, else 0.5)."),
    rounds: int = typer.Option(100, "--rounds", help="netqasm: rounds per run written to the input files."),
) -> None:
    """Export the best qubit strategy of a game or scenario to Qiskit, OpenQASM 3 or NetQASM."""
    err = Console(stderr=True)
    try:
        written, lines = _export(target, fmt, out, force, seed, restarts, lam, rounds)
    except (ValueError, OSError) as exc:  # GameError, ExportError, CLIError, ScenarioError, CompileError
        err.print(Text.assemble(("error:", "red"), f" {exc}"), soft_wrap=True, highlight=False)
        raise typer.Exit(code=2)
    con = stdout_console(highlight=False)
    for line in lines:
        con.print(line, soft_wrap=True)
    con.print(f"wrote {len(written)} files to {out} (index: {out / 'INDEX.md'})", soft_wrap=True)


def _export(target: str, fmt: str, out: Path, force: bool, seed: int, restarts: int, lam: Optional[float],
            rounds: int) -> tuple[list[Path], list[str]]:
    from qcoord import games as G
    from qcoord.export import ExportError, netqasm_apps, parameterised_circuit, qasm3, qasm3_parameterised, qiskit_circuits

    from .demo import check_out_folder

    if fmt not in FORMATS:
        raise ExportCLIError(f"--format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if restarts < 0:
        raise ExportCLIError(f"--restarts: must be >= 0, got {restarts}")
    if seed < 0:
        raise ExportCLIError(f"--seed: must be >= 0, got {seed}")
    if lam is not None and not (np.isfinite(lam) and lam >= 0):
        raise ExportCLIError(f"--lam: must be a finite number >= 0, got {lam}")
    if rounds < 1:
        raise ExportCLIError(f"--rounds: must be >= 1, got {rounds}")
    check_out_folder(out, force)
    if fmt in ("qiskit", "qasm3"):
        from qcoord.export.qiskit import require_qiskit

        require_qiskit()
    else:
        from qcoord.export.netqasm import _require_netqasm

        _require_netqasm()
    game, compiled, what = _target(target, lam)
    na, nb, nx, ny = game.shape
    if (na, nb) != (2, 2):
        raise ExportError(f"{target}: every question must have 2 answers to be played with one qubit per player, got ({na}, {nb})")
    classical = float(G.classical_value(game).value)
    free = G.quantum_lower_bound(game, dim=2, restarts=restarts, seed=seed)
    result = free
    if fmt == "netqasm":
        result = G.quantum_lower_bound(game, dim=2, restarts=restarts, seed=seed, state="bell")
    strategy = result.strategy
    p = strategy.behaviour()
    qn = game.question_names or (tuple(str(i) for i in range(nx)), tuple(str(j) for j in range(ny)))
    an = game.answer_names or (("0", "1"), ("0", "1"))
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows: list[str] = []

    if fmt == "qiskit":
        from qiskit import qpy

        for (x, y), circ in qiskit_circuits(strategy).items():
            path = out / f"circuit_x{x}_y{y}.qpy"
            with open(path, "wb") as fh:
                qpy.dump(circ, fh)
            written.append(path)
            rows.append(f"| `{path.name}` | {x} ({qn[0][x]}) | {y} ({qn[1][y]}) | {_fmt_p(p[:, :, x, y])} |")
        pc = parameterised_circuit(strategy)
        path = out / "parameterised.qpy"
        with open(path, "wb") as fh:
            qpy.dump(pc.circuit, fh)
        written.append(path)
        bindings = pc.bindings
    elif fmt == "qasm3":
        for x in range(nx):
            for y in range(ny):
                path = out / f"circuit_x{x}_y{y}.qasm"
                path.write_text(qasm3(strategy, x, y))
                written.append(path)
                rows.append(f"| `{path.name}` | {x} ({qn[0][x]}) | {y} ({qn[1][y]}) | {_fmt_p(p[:, :, x, y])} |")
        pq = qasm3_parameterised(strategy)
        path = out / "parameterised.qasm"
        path.write_text(pq.text)
        written.append(path)
        bindings = pq.bindings
    else:
        apps = netqasm_apps(strategy, out, rounds=rounds, value=float(result.value))
        written.extend(apps.files)
        p = apps.behaviour
        bindings = {}
        for x in range(nx):
            for y in range(ny):
                rows.append(f"| `server_a.yaml: x: {x}`, `server_b.yaml: y: {y}` | {x} ({qn[0][x]}) | {y} ({qn[1][y]}) | "
                            f"{_fmt_p(p[:, :, x, y])} |")
    path = out / "game.json"  # the game itself (qcoord.games.Game.from_json), to score measured answers
    path.write_text(game.to_json() + "\n")
    written.append(path)
    if bindings:
        path = out / "bindings.json"
        path.write_text(json.dumps({f"x{x}_y{y}": b for (x, y), b in bindings.items()}, indent=2) + "\n")
        written.append(path)
    if fmt != "netqasm":
        path = out / "strategy.json"
        path.write_text(json.dumps({
            "value": float(result.value), "classical_value": classical, "seed": result.seed, "restarts": result.restarts,
            "state": [[float(z.real), float(z.imag)] for z in np.asarray(strategy.state).reshape(-1)],
            "behaviour": {f"x{x}_y{y}": p[:, :, x, y].tolist() for x in range(nx) for y in range(ny)},
            "behaviour_layout": "behaviour['x{x}_y{y}'][a][b] = p(a, b | x, y)",
        }, indent=2) + "\n")
        written.append(path)

    values = [f"classical value {classical:.6f}", f"see-saw (qubits, state optimised) {free.value:.6f}"]
    if fmt == "netqasm":
        values.append(f"state fixed to |Phi+> {result.value:.6f} (value lost {result.value_lost:.3g})")
    head = {
        "qiskit": "Qiskit circuits (QPY: `qiskit.qpy.load(open(path, 'rb'))[0]`). Qubit 0 = server A (Alice), answer a -> "
                  "clbit 0; qubit 1 = server B (Bob), answer b -> clbit 1; outcome index a + 2 b.",
        "qasm3": "OpenQASM 3 programs (`qiskit.qasm3.loads(text)`). Qubit q[0] = server A (Alice), c[0] = a; q[1] = server B "
                 "(Bob), c[1] = b.",
        "netqasm": "Two NetQASM SDK applications on |Phi+> pairs; set the questions in server_a.yaml (x) and server_b.yaml (y); "
                   "run with a NetQASM backend, e.g. `netqasm simulate --app-dir DIR` (SimulaQron).",
    }[fmt]
    index = [
        f"# qcoord export: {what}, format {fmt}",
        "",
        head,
        f"Answers: {an[0][0]} = 0, {an[0][1]} = 1.",
        "",
        "Values: " + "; ".join(values) + f" (seed {result.seed}, {result.restarts} restarts).",
        "",
        "| file | x (server A) | y (server B) | predicted p(ab) |",
        "|---|---|---|---|",
        *rows,
        "",
        "Other files: " + ", ".join(f"`{w.name}`" for w in written if not w.name.startswith("circuit_")) + ".",
        "",
    ]
    path = out / "INDEX.md"
    path.write_text("\n".join(index))
    written.append(path)
    return written, [f"{target}: {what}", *values]
