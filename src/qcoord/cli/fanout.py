"""``qcoord run`` on an N-server scenario: the N-server study (:mod:`qcoord.analysis.fanout`)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ._app import stdout_console

__all__ = ["run_fanout_cli"]


def run_fanout_cli(scenario: Any, study: dict[str, Any], out: Path, quick: bool, as_json: bool,
                   seed: int | None, err: Console) -> None:
    """Run the N-server study, print its tables and verdicts, and write the report into ``out``."""
    from qcoord.analysis.fanout import FANOUT_FULL, FANOUT_QUICK, _summary, fanout_rows, run_fanout_study, write_fanout_report

    cfg = FANOUT_QUICK if quick else FANOUT_FULL
    if not quick:
        keys = study.get("scenario_keys", [])
        sizes = {k: int(getattr(scenario, k)) for k in ("n_groups", "warmup", "replications") if k in keys}
        cfg = dataclasses.replace(cfg, **sizes)
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=err, transient=True, disable=as_json and not err.is_terminal) as prog:
            tasks: dict[str, Any] = {}

            def hook(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = prog.add_task(stage, total=max(total, 1))
                prog.update(tasks[stage], completed=done, total=max(total, 1))

            result = run_fanout_study(scenario, cfg, seed=seed, progress=hook)
        paths = write_fanout_report(out, result)
    except (ValueError, RuntimeError) as exc:
        err.print(Text.assemble(("error:", "red"), f" {exc}"), soft_wrap=True, highlight=False)
        raise typer.Exit(code=2) from None
    if as_json:
        sys.stdout.write(json.dumps(_summary(result), indent=1, allow_nan=False) + "\n")
        return
    con = stdout_console()
    sc = result.scenario
    con.print(f"qcoord N-server scenario: N = {sc.n_servers}, groups of k = {sc.fanout} ({sc.subset}, {sc.consolidation}), utilisation "
              f"{sc.utilisation:.3g} per server, d = {sc.handoff_delay:g}, D = {sc.message_latency:g}, {sc.discipline}, "
              f"T = {sc.baseline}; {sc.replications} x {sc.n_groups} groups, seed {result.seed}", markup=False, highlight=False)
    for obj, lam in result.headline.items():
        if lam is None:
            con.print(f"{obj} game: no one-shot quantum advantage on the price grid", markup=False, highlight=False)
            continue
        s = result.solutions[obj][lam]
        con.print(f"{obj} game (lam = {lam:g}): classical {s.classical_value:.6f}, entangled {s.quantum_value:.6f}, "
                  f"NPA {s.npa_value:.6f}, no-signalling {s.nonsignaling_value:.6f}, v* = {s.critical_visibility:.4f}",
                  markup=False, highlight=False)
    header, rows = fanout_rows(result)
    t = Table(title="Arms (mean ± 95% CI half width over replications)")
    for i, h in enumerate(header):
        t.add_column(h, justify="left" if i < 2 else "right")
    for r in rows:
        t.add_row(*r)
    con.print(t)
    for cid, v in result.verdicts.items():
        con.print(Text(f"{v.status:>9}  {cid}: {result.claims[cid]}. {v.reason}."), highlight=False)
    con.print(Text(f"report: {paths['report'].parent}"))
