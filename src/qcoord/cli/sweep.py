"""qcoord CLI: ``qcoord sweep`` (run a parameter study) and ``qcoord plot`` (draw its maps).

``qcoord sweep SPEC.toml --out results.sqlite [--workers N] [--scheduler ADDR | --dask] [--export CSV]``
runs every point of the spec (see :mod:`qcoord.sweep.spec`) and commits each task's rows to SQLite;
re-running the same command resumes. ``qcoord plot SWEEP.sqlite --x AXIS [--y AXIS] --out DIR``
draws the gain heatmap over two axes (no-advantage region hatched) or line plots with CI bands.

Bad input prints one ``error: <field>: <reason>`` line to stderr and exits with code 2. The outputs
are checked before any work: ``--out`` must be a new file or a qcoord store (another program's
database, or a file that is not SQLite, is refused untouched), not written by another running sweep;
``--export`` must be a writable file path. ``--workers`` above the CPU count is capped at it (a
``note:`` says so) unless ``--oversubscribe``. SIGTERM stops a sweep like Ctrl-C (committed points
stay; exit code 143).
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from ._app import app, stdout_console

_err = Console(stderr=True)


def _fail(msg: str, code: int = 2) -> "typer.Exit":
    _err.print(f"[bold red]error:[/] {msg}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code=code)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that the sweep stops like on Ctrl-C."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _parse_where(items: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"where: expected AXIS=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        k = k.strip()
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


@app.command("sweep")
def sweep_cmd(
    spec: Annotated[Path, typer.Argument(help="Sweep spec (TOML; examples/sweeps/*.toml): base scenario, axes, classes, replications, seed.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="SQLite results file (created, or resumed).")],
    workers: Annotated[Optional[int], typer.Option("--workers", "-w", help="Worker processes (local pool or LocalCluster); default: CPU count.")] = None,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Dask scheduler address of an existing cluster (tcp://host:8786).")] = None,
    dask: Annotated[bool, typer.Option("--dask", help="Run on a Dask LocalCluster started for this sweep.")] = False,
    export_arg: Annotated[Optional[str], typer.Option("--export", help="Also write the results table to this CSV file (checked before the sweep starts).")] = None,
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", help="Points per task (default: sized to ~100 ms of work).")] = None,
    evaluator: Annotated[Optional[str], typer.Option("--evaluator", help="Point evaluator module:function (default: qcoord.analysis.evaluate_point on the point's Scenario).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    oversubscribe: Annotated[bool, typer.Option("--oversubscribe", help="Start --workers processes even if the machine has fewer CPUs (default: capped at the CPU count).")] = False,
) -> None:
    """Run a parameter sweep; results go to SQLite, finished points are skipped on re-run."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from qcoord.sweep import load_spec, make_executor, resolve_evaluator, run_sweep
    from qcoord.sweep.runner import preflight
    from qcoord.sweep.store import SweepStore, check_output_path

    if scheduler is not None and dask:
        raise _fail("dask: give either --scheduler ADDR (existing cluster) or --dask (LocalCluster), not both")
    if scheduler is not None and workers is not None:
        raise _fail("workers: an existing cluster (--scheduler) has its own workers; drop --workers")
    if batch_size is not None and batch_size < 1:  # before the results file is created
        raise _fail(f"batch_size: must be an integer >= 1, got {batch_size}")
    export = Path(export_arg) if export_arg is not None else None  # the raw text keeps a trailing "/"
    try:
        if export is not None:  # the outputs are checked before any work
            if _same_file(export, out):
                raise ValueError(f"export: {export} is the --out results file; give the CSV another name")
            check_output_path(export_arg, "export")
        sp = load_spec(spec)
        ev = resolve_evaluator(evaluator)
        preflight(ev, sp)  # a bad spec fails before the results file is created (points built once, later)
        store = SweepStore(out)  # refuses a foreign or damaged file without writing to it
    except ValueError as exc:
        raise _fail(str(exc)) from None
    try:
        store.bind(sp)  # refuse a store of another sweep before starting any workers
        store.acquire()  # ... and one that another running sweep writes
        executor = make_executor(workers=workers, scheduler=scheduler, dask=dask, oversubscribe=oversubscribe)
    except ValueError as exc:
        store.close()
        raise _fail(str(exc)) from None
    if executor.note:
        _err.print(f"note: {executor.note}", highlight=False, markup=False, soft_wrap=True)

    def note(msg: str) -> None:
        _err.print(f"note: {msg}", highlight=False, markup=False, soft_wrap=True)

    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("points"),
        TimeElapsedColumn(), TextColumn("eta {task.fields[eta]}"), console=_err, disable=quiet,
        transient=False)
    tid = progress.add_task(f"sweep {sp.name}", total=sp.n_points, eta="?")

    def on_progress(ev: Any) -> None:
        eta = "?" if ev.eta_s is None else _fmt_s(ev.eta_s)
        progress.update(tid, completed=ev.done, eta=eta)

    def committed() -> str:
        try:
            return str(store.count()[0])
        except ValueError:
            return "?"

    in_main = threading.current_thread() is threading.main_thread()
    old_term = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
    try:
        with progress, executor:
            summary = run_sweep(sp, store, evaluator=ev, executor=executor, progress=on_progress,
                                batch_size=batch_size, validate=False, notify=note)
    except KeyboardInterrupt as exc:
        done = committed()
        store.close()
        what = "terminated" if isinstance(exc, _Terminated) else "interrupted"
        _err.print(f"{what}: {done} of {sp.n_points} points are committed in {out}; "
                   "re-run the same command to resume", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(code=143 if isinstance(exc, _Terminated) else 130) from None
    except ValueError as exc:
        done = committed()
        store.close()
        raise _fail(f"{exc}\n({done} of {sp.n_points} points are committed in {out}; fix and re-run to resume)") from None
    except Exception as exc:  # no tracebacks on the command line; the store stays consistent
        done = committed()
        store.close()
        raise _fail(f"internal: {type(exc).__name__}: {exc}\n({done} of {sp.n_points} points are committed "
                    f"in {out}; re-run to resume)", code=1) from None
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, old_term if old_term is not None else signal.SIG_DFL)
    try:
        if export is not None:
            try:
                report = store.verify()  # the export is of verified rows only
                if not report.ok:
                    raise ValueError(f"store: {out} failed its integrity check before the export: "
                                     f"{report.summary()}; re-run the sweep to recompute the affected points")
                store.to_csv(export)
            except ValueError as exc:
                raise _fail(str(exc)) from None
    finally:
        store.close()
    if not quiet:
        t = Table(title=f"sweep {sp.name}", show_header=False)
        t.add_row("points", f"{summary.n_points} ({summary.skipped} finished before, {summary.computed} computed now)")
        work = (f", {1e3 * sum(summary.task_seconds) / len(summary.task_seconds):.0f} ms of work per task"
                if summary.task_seconds else "")
        t.add_row("tasks", f"{summary.n_tasks} (mean {summary.mean_batch:.1f} points{work})")
        spp = summary.seconds_per_point
        t.add_row("evaluator time", "-" if spp is None else f"{spp * 1e3:.1f} ms per point")
        t.add_row("wall time", _fmt_s(summary.elapsed_s))
        t.add_row("executor", summary.executor)
        t.add_row("results", str(out) + (f" (CSV: {export})" if export is not None else ""))
        stdout_console().print(t)


@app.command("plot", short_help="Draw gain heatmaps or line plots (CI bands) of a sweep's results.")
def plot_cmd(
    sweep: Annotated[Path, typer.Argument(help="SQLite results of 'qcoord sweep'.")],
    x: Annotated[str, typer.Option("--x", help="Axis on the horizontal.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the PNG files.")],
    y: Annotated[Optional[str], typer.Option("--y", help="Second axis: draw a heatmap over x and y.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Line plot: one line per value of this axis (one class).")] = None,
    metric: Annotated[Optional[str], typer.Option("--metric", help="Column to plot (default: the gain at equal waiting).")] = None,
    cls: Annotated[Optional[str], typer.Option("--class", help="Strategy class whose rows carry the heatmap metric.")] = None,
    where: Annotated[Optional[list[str]], typer.Option("--where", metavar="AXIS=VALUE", help="Fix another axis (repeatable).")] = None,
    max_figures: Annotated[int, typer.Option("--max-figures", help="Refuse to draw more figures than this.")] = 50,
) -> None:
    """Draw the gain heatmap over --x and --y (no-advantage region hatched), or lines with CI bands over --x.

    Axes that vary and are not plotted give one figure per combination of their values, unless fixed
    with --where AXIS=VALUE.
    """
    from qcoord.sweep import load_results
    from qcoord.sweep.plots import facets, gain_metric, plot_heatmap, plot_lines

    try:
        fixed = _parse_where(where)
        frame = load_results(sweep)
        if frame.empty:
            raise ValueError(f"sweep: {sweep} holds no finished points yet")
        axes = list(frame.attrs.get("axes", []))
        if y is not None and by is not None:
            raise ValueError("by: draws lines; give either --y (heatmap) or --by (lines), not both")
        for name, a in (("x", x), ("y", y), ("by", by)):
            if a is not None and a not in axes:
                raise ValueError(f"{name}: {a!r} is not an axis of this sweep; axes are {', '.join(axes) or '(none)'}")
        m = metric or gain_metric(frame)
        plotted = [a for a in (x, y, by) if a is not None]
        combos = facets(frame, plotted + list(fixed), axes)
        if len(combos) > max_figures:
            raise ValueError(f"where: {len(combos)} figures would be drawn (other axes vary); fix axes with --where "
                             f"or raise --max-figures")
        if out.exists() and not out.is_dir():
            raise ValueError(f"out: {out} exists and is not a directory")
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for combo in combos:
            w = {**fixed, **combo}
            suffix = "".join(f"__{_slug(k)}={_slug(v)}" for k, v in w.items())
            if y is not None:
                path = out / f"heatmap_{_slug(m)}_{_slug(x)}_{_slug(y)}{suffix}.png"
                written.append(plot_heatmap(frame, x, y, metric=m, cls=cls, where=w, axes=axes, out=path))
            else:
                by_part = f"_by_{_slug(by)}" if by else ""
                path = out / f"lines_{_slug(m)}_{_slug(x)}{by_part}{suffix}.png"
                written.append(plot_lines(frame, x, metric=m, classes=[cls] if cls else None, by=by, where=w,
                                          axes=axes, out=path))
    except ValueError as exc:
        raise _fail(str(exc)) from None
    out_con = stdout_console(highlight=False)
    for p in written:
        out_con.print(str(p), soft_wrap=True)


def _slug(v: Any) -> str:
    s = v if isinstance(v, str) else json.dumps(v)
    return re.sub(r"[^A-Za-z0-9_.+-]+", "-", s).strip("-") or "x"


def _fmt_s(s: float) -> str:
    s = max(0.0, float(s))
    if s < 60:
        return f"{s:.1f}s"
    m, sec = divmod(int(round(s)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
