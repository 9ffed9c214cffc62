"""``qcoord demo`` and ``qcoord run SCENARIO.toml``: the whole study on one scenario.

Both run :func:`qcoord.analysis.run_study` (every strategy class on common random numbers, the
seven claims with their controls, the scope checks), print a table (strategy class, split
probability, mean waiting ± CI, throughput ± CI, gain over the best local strategy at equal
waiting) and the claims, and write the report folder (figures, ``summary.json``, ``report.md``).
"""

from __future__ import annotations

import json
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ._app import app, stdout_console

__all__ = ["demo", "run", "load_scenario_file", "check_out_folder", "DEFAULT_SCENARIO"]

#: Resource name of the built-in default scenario.
DEFAULT_SCENARIO = "default_scenario.toml"


class CLIError(ValueError):
    """A user-facing error of the demo commands (exit code 2)."""


def load_scenario_file(path: Path | None) -> tuple[Any, dict[str, Any]]:
    """Load a scenario TOML (``[scenario]`` table or flat fields) and its optional ``[study]`` table.

    ``path=None`` loads the built-in default scenario. The returned study table also lists, under
    ``"scenario_keys"``, the scenario fields the file sets (run sizes not set in the file come from
    the study defaults).
    """
    from qcoord.system import Scenario

    if path is None:
        ref = resources.files("qcoord").joinpath("data", DEFAULT_SCENARIO)
        with resources.as_file(ref) as p:
            return load_scenario_file(Path(p))
    p = Path(path)
    if not p.is_file():
        raise CLIError(f"scenario: file not found: {p}")
    from qcoord.system.scenario import read_toml

    try:  # missing, unreadable, binary, invalid or too deeply nested: one clear error naming the file
        data = read_toml(p)
    except ValueError as exc:
        raise CLIError(f"scenario: {exc}") from None
    if _is_sweep_spec(data):
        raise CLIError(f"{p} is a sweep spec, not a scenario: use `qcoord sweep {p}`")
    study = data.get("study", {}) if isinstance(data.get("study", {}), dict) else {}
    body = data.get("scenario", {k: v for k, v in data.items() if k != "study"})
    allowed_study = {"lam"}
    study = dict(study)
    unknown = sorted(set(study) - allowed_study)
    if unknown:
        raise CLIError(f"study.{unknown[0]}: unknown study field; allowed: {sorted(allowed_study)}")
    if not isinstance(body, dict):
        raise CLIError("scenario: must be a table of fields")
    from qcoord.system.fanout import FanoutScenario, is_fanout_spec

    if is_fanout_spec(body):  # the N-server system (n_servers / fanout fields)
        if study:
            raise CLIError("study: an N-server scenario takes no [study] table (its study sweeps its own price grid)")
        return FanoutScenario.from_dict(body), {"scenario_keys": sorted(body)}
    return Scenario.from_dict(body), {**study, "scenario_keys": sorted(body)}


def _is_sweep_spec(data: dict[str, Any]) -> bool:
    """A parsed TOML that is a sweep spec (``qcoord.sweep.spec``: ``[axes]``, ``base``, ``classes``)."""
    if "axes" in data or isinstance(data.get("sweep"), dict):
        return True
    return "scenario" not in data and bool({"base", "classes"} & set(data))


def check_out_folder(out: Path, force: bool) -> None:
    """Refuse a report folder the study could not, or should not, write (before the study runs).

    Raises :class:`CLIError` if ``out`` exists and is not a folder, if it is a non-empty folder and
    ``force`` is false, or if it (or the nearest existing folder above it, where it would be
    created) is not writable.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out: {out} exists and is not a folder; choose another --out")
    if out.is_dir():
        if not force and any(out.iterdir()):
            raise CLIError(f"--out: the folder {out} is not empty; pass --force to overwrite it or choose another --out")
        if not os.access(out, os.W_OK | os.X_OK):
            raise CLIError(f"--out: the folder {out} is not writable; choose another --out")
        return
    parent = out.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise CLIError(f"--out: cannot create {out}: {parent} is not a folder; choose another --out")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CLIError(f"--out: cannot create {out}: the folder {parent} is not writable; choose another --out")


def _fail(err: Console, exc: BaseException) -> NoReturn:
    """Print one ``error: <message>`` line (no markup, no wrapping) and exit with code 2."""
    err.print(Text.assemble(("error:", "red"), f" {exc}"), soft_wrap=True, highlight=False)
    raise typer.Exit(code=2)


def _table(study: Any) -> Table:
    """The strategy-class table of a study (cells rendered by :mod:`qcoord.analysis.report`)."""
    from qcoord.analysis.report import console_rows

    header, rows = console_rows(study)
    t = Table(title=f"Strategy classes (T = {study.scenario.baseline}); gains vs the best local benchmark, paired 95% CI")
    for k, col in enumerate(header):
        t.add_column(col, justify="left" if k == 0 else "right")
    for r in rows:
        t.add_row(*r)
    return t


def _run(
    scenario_path: Path | None, out: Path, quick: bool, as_json: bool, seed: int | None, force: bool = False
) -> None:
    err = Console(stderr=True)
    try:  # bad input fails here: before the study runs, before anything is written
        scenario, study = load_scenario_file(scenario_path)
        check_out_folder(out, force)
    except (ValueError, OSError) as exc:
        _fail(err, exc)
    from qcoord.system.fanout import FanoutScenario

    if isinstance(scenario, FanoutScenario):
        from .fanout import run_fanout_cli

        run_fanout_cli(scenario, study, out, quick, as_json, seed, err)
        return
    from qcoord.analysis import QUICK, FULL, run_study, write_report
    import dataclasses

    try:
        cfg = QUICK if quick else FULL
        if "lam" in study:
            lam = study["lam"]
            if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not lam >= 0:
                raise CLIError(f"study.lam: must be a number >= 0, got {lam!r}")
            cfg = dataclasses.replace(cfg, lam=float(lam), lams=tuple(sorted(set(cfg.lams) | {float(lam)})))
        if not quick:
            sizes = {k: int(getattr(scenario, k)) for k in ("n_pairs", "warmup", "replications") if k in study["scenario_keys"]}
            cfg = dataclasses.replace(cfg, **sizes)
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), console=err, transient=True, disable=as_json and not err.is_terminal,
        ) as prog:
            tasks: dict[str, Any] = {}

            def hook(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = prog.add_task(stage, total=max(total, 1))
                prog.update(tasks[stage], completed=done, total=max(total, 1))

            result = run_study(scenario, cfg, quick=quick, seed=seed, progress=hook)
        paths = write_report(out, result)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(code=2) from None
    from qcoord.analysis.report import headline_sentence, summary, verdict_word

    if as_json:
        sys.stdout.write(json.dumps(summary(result), indent=1, allow_nan=False) + "\n")
        return
    con = stdout_console()
    sc = result.scenario
    sol = result.evidence.solution
    con.print(
        f"qcoord scenario: utilisation {sc.utilisation:g}, d = {sc.handoff_delay:g}, D = {sc.message_latency:g}, "
        f"{sc.discipline}, T = {sc.baseline}; {sc.replications} x {sc.n_pairs} pairs, seed {result.seed}",
        markup=False, highlight=False,
    )
    con.print(
        f"pair game (lam = {sol.compiled.lam:g}): classical {sol.classical_value:.6f}, entangled {sol.quantum_value:.6f}, "
        f"NPA {sol.npa_value:.6f}, no-signalling {sol.nonsignaling_value:.6f}",
        markup=False, highlight=False,
    )
    con.print(_table(result))
    con.print(Text(headline_sentence(result).replace("**", "")))
    for o in result.outcomes:
        con.print(Text(f"{verdict_word(o):>26}  {o.claim.title}"), highlight=False)
    con.print(Text(f"report: {paths['report.md'].parent} ({result.seconds:.1f} s)"))


_OUT_HELP = "Report folder (created; refused if it exists and is not empty, unless --force)."
_FORCE_HELP = "Write into a non-empty --out folder (its report files are overwritten, other files are kept)."


@app.command()
def demo(
    quick: bool = typer.Option(False, "--quick", help="Reduced run (CI): fewer pairs, replications and grid points."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout instead of tables."),
    out: Path = typer.Option(Path("qcoord-report"), "--out", help=_OUT_HELP),
    force: bool = typer.Option(False, "--force", help=_FORCE_HELP),
    scenario: Optional[Path] = typer.Option(None, "--scenario", help="Scenario TOML instead of the built-in default."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Root seed (default: the scenario's)."),
) -> None:
    """Run the whole study on the built-in default scenario.

    The default scenario is reference R1: utilisation 0.1, hand-off delay d = 0.1, message latency
    D = 0.5, SRPT, baseline T = setup(2) ('qcoord scenario show' prints it).
    """
    _run(scenario, out, quick, as_json, seed, force)


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="Scenario TOML ([scenario] table, optional [study] lam)."),
    quick: bool = typer.Option(False, "--quick", help="Reduced run."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
    out: Path = typer.Option(Path("qcoord-report"), "--out", help=_OUT_HELP),
    force: bool = typer.Option(False, "--force", help=_FORCE_HELP),
    seed: Optional[int] = typer.Option(None, "--seed", help="Root seed (default: the scenario's)."),
) -> None:
    """Run the whole study on a scenario file.

    Scenario files: examples/scenarios/*.toml; 'qcoord scenario fields' lists every field. A file with
    n_servers / fanout fields is an N-server scenario (fan-out groups; e.g.
    examples/scenarios/three_servers.toml) and runs the N-server study. A sweep spec is refused (run
    it with 'qcoord sweep').
    """
    _run(scenario, out, quick, as_json, seed, force)
