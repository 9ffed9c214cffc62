"""``qcoord emulate``: the policies live on loopback (real processes, sockets, clocks), beside the simulator.

Builds the policies of the scenario's pair game the way the study does
(:func:`qcoord.analysis.arms.class_arms`; the pool-backed entangled policy with the ``memory_lab``
link preset at the emulation's time unit), runs them with :func:`qcoord.live.emulate` and prints, per
policy, measured against predicted figures with their CIs, decision latency, messages per pair,
and the latency each path actually achieved against the one asked for.
"""

from __future__ import annotations

import json
import math
import signal
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ._app import app, stdout_console
from .demo import _fail, check_out_folder, load_scenario_file

__all__ = ["emulate", "LIVE_KINDS", "build_policies"]

#: Policies ``--policies`` accepts.
LIVE_KINDS = ("local", "local_asym", "shared", "entangled", "entangled_asym", "entangled_pool", "naive", "hold")
DEFAULT_KINDS = "local,shared,entangled,entangled_pool,naive,hold"
#: ``--quick``: about a minute at the default 50 ms per time unit (120 pairs x 10 time units apart).
QUICK = {"n_pairs": 120, "warmup": 10, "batches": 10}
#: Default run: about 5 minutes at 50 ms per time unit.
FULL = {"n_pairs": 600, "warmup": 20, "batches": 20}
#: Default milliseconds per time unit: the live system's own delays (median loopback hop, timer and
#: link round trip ~0.1-0.7 ms on a loaded 2-core machine) are then ~1% of a time unit and the
#: timing error of a one-minute run is about a third of its CI (docs/live.md).
DEFAULT_UNIT_MS = 50.0


def build_policies(solution: Any, kinds: list[str], time_unit_s: float) -> list[Any]:
    """The policy objects for ``kinds``, as the study builds them (``class_arms``), in that order."""
    from qcoord.analysis.arms import class_arms
    from qcoord.compile import to_policy
    from qcoord.entanglement import memory_preset

    arms = {a.name: a.policy for a in class_arms(solution)}
    out = []
    for k in kinds:
        if k == "entangled_pool":
            out.append(to_policy(solution, "entangled", source=memory_preset(time_unit_s, variant="memory_lab"), name="entangled_pool"))
        else:
            out.append(arms[k])
    return out


def _parse_kinds(text: str) -> list[str]:
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    bad = [k for k in kinds if k not in LIVE_KINDS]
    if not kinds or bad:
        raise ValueError(f"--policies: must be a comma-separated list of {', '.join(LIVE_KINDS)}; got {text!r}")
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"--policies: each policy at most once; got {text!r}")
    return kinds


def _pm(e: Any, digits: int = 3) -> str:
    hw = e.half_width
    return f"{e.mean:.{digits}f}±{hw:.{digits}f}" if math.isfinite(hw) else f"{e.mean:.{digits}f}"


def _table(result: Any) -> Table:
    t = Table(title=(f"Live vs simulator on the same inputs ({result.config.n_pairs} pairs per policy, "
                     f"{result.config.time_unit_ms:g} ms per time unit, seed {result.seed}), 95% batch-means CIs"),
              caption=("W = mean waiting, p95/p99 its percentiles (time units); split = split probability; thr. = baseline "
                       "throughput; * = live - sim outside the combined CI"))
    cols = ["policy", "W live", "W sim", "live-sim", "p95 live/sim", "p99 live/sim", "split live", "split sim",
            "thr. live", "thr. sim"]
    for k, c in enumerate(cols):
        t.add_column(c, justify="left" if k == 0 else "right", no_wrap=True)
    for p in result.policies:
        w, s, th = p.comparisons["mean_waiting"], p.comparisons["split_prob"], p.comparisons["throughput"]
        t.add_row(
            p.name, _pm(w.measured), _pm(w.predicted), f"{w.difference.mean:+.3f}" + ("" if w.within else "*"),
            f"{p.measured['waiting_p95']:.2f}/{p.predicted['waiting_p95']:.2f}",
            f"{p.measured['waiting_p99']:.2f}/{p.predicted['waiting_p99']:.2f}",
            _pm(s.measured), _pm(s.predicted) + ("" if s.within else "*"),
            _pm(th.measured), _pm(th.predicted) + ("" if th.within else "*"),
        )
    return t


def _decision_table(result: Any) -> Table:
    t = Table(title="Decisions and messages (live)",
              caption=("decision latency: request received -> decision taken, per customer (a held customer's includes its wait "
                       "for the message); msgs = server-to-server messages; link = requests to the entanglement link service"))
    cols = ["policy", "decides by", "decision µs p50", "p99", "msgs/pair", "hand-offs/pair", "link/pair",
            "as simulated", "Born-rule chi2 p"]
    for k, c in enumerate(cols):
        t.add_column(c, justify="left" if k < 2 else "right", no_wrap=True)
    how = {"local": "own view + share", "entangled": "measuring its half", "message": "message through proxy"}
    for p in result.policies:
        chi = "" if p.chi_square is None else f"{p.chi_square['p_value']:.3f}"
        t.add_row(p.name, how[p.kind], f"{p.decision_us['p50']:.0f}", f"{p.decision_us['p99']:.0f}",
                  f"{p.messages_per_pair:.2f}", f"{p.handoffs_per_pair:.2f}", f"{p.link_requests_per_pair:.2f}",
                  f"{100 * p.decisions_as_simulated:.1f}%", chi)
    return t


def _latency_table(result: Any) -> Table:
    lat = result.latency
    t = Table(title="Achieved latency (loopback, through the delay proxy) vs asked")
    for k, c in enumerate(["path", "asked", "p50", "p95", "p99", "max", "messages"]):
        t.add_column(c, justify="left" if k == 0 else "right", no_wrap=True)
    for key, label in (("control", "control path (message latency D)"), ("data", "data path (hand-off delay d)"),
                       ("request", "load generator -> server (not in the model)")):
        b = lat[key]
        t.add_row(label, f"{b['asked_ms']:.2f} ms", f"{b['p50_ms']:.2f} ms", f"{b['p95_ms']:.2f} ms",
                  f"{b['p99_ms']:.2f} ms", f"{b['max_ms']:.2f} ms", str(b["n"]))
    for key, label in (("timer_late_us", "service timers: lateness"), ("proxy_late_us", "proxy deliveries: lateness"),
                       ("send_late_us", "load generator sends: lateness")):
        b = lat[key]
        t.add_row(label, "0", f"{b['p50'] / 1e3:.3f} ms", "", f"{b['p99'] / 1e3:.3f} ms", f"{b['max'] / 1e3:.2f} ms", str(b["n"]))
    return t


def _notes(result: Any) -> list[str]:
    out = []
    for p in result.policies:
        w = p.comparisons["mean_waiting"]
        rep = p.extra.get("replayed_mean_waiting")
        line = (f"{p.name}: waiting live - sim {w.difference.mean:+.3f} (paired CI ± {w.difference.half_width:.3f}); "
                f"decisions as simulated {100 * p.decisions_as_simulated:.1f}%")
        if rep is not None:
            line += (f"; the simulator replayed on the live release times gives {rep:.3f}: "
                     f"{rep - w.predicted.mean:+.3f} from real decision/hand-off/message latencies, "
                     f"{w.measured.mean - rep:+.3f} from service timing")
        if p.chi_square is not None:
            c = p.chi_square
            line += f"; Born-rule chi-square {c['statistic']:.1f} on {c['dof']} dof, p = {c['p_value']:.3f}"
            if "fallbacks" in p.extra:
                line += f"; pool fallbacks {p.extra['fallbacks']}, mean visibility {p.extra['mean_visibility']:.3f}"
        out.append(line)
    return out


def _plot(result: Any, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = (("mean_waiting", "mean waiting"), ("split_prob", "split probability"), ("throughput", "baseline throughput"))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    names = [p.name for p in result.policies]
    x = range(len(names))
    for ax, (m, label) in zip(axes, metrics):
        meas = [p.comparisons[m].measured for p in result.policies]
        pred = [p.comparisons[m].predicted for p in result.policies]
        ax.errorbar([i - 0.1 for i in x], [e.mean for e in pred], yerr=[e.half_width for e in pred], fmt="o", label="simulator")
        ax.errorbar([i + 0.1 for i in x], [e.mean for e in meas], yerr=[e.half_width for e in meas], fmt="s", label="live")
        ax.set_xticks(list(x))
        ax.set_xticklabels(names, rotation=30, ha="right")
        ax.set_title(label)
    axes[0].legend()
    fig.suptitle(f"Live emulation vs simulator (same inputs; {result.config.n_pairs} pairs, {result.config.time_unit_ms:g} ms per time unit)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


class _Terminated(Exception):
    pass


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated()


@app.command()
def emulate(
    quick: bool = typer.Option(False, "--quick", help="About a minute: 120 pairs per policy (default: 600, about 5 minutes)."),
    time_unit_ms: float = typer.Option(DEFAULT_UNIT_MS, "--time-unit-ms", help="Wall-clock milliseconds per time unit (mean demand), in [1, 1000]."),
    pairs: Optional[int] = typer.Option(None, "--pairs", help="Pairs per policy (default 120 with --quick, else 600)."),
    policies: str = typer.Option(DEFAULT_KINDS, "--policies", help=f"Comma-separated, from: {', '.join(LIVE_KINDS)}."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout instead of tables."),
    out: Path = typer.Option(Path("qcoord-live"), "--out", help="Output folder (created; refused if not empty, unless --force)."),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty --out folder."),
    scenario: Optional[Path] = typer.Option(None, "--scenario", help="Scenario TOML instead of the built-in default."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the inputs (default: the scenario's)."),
    realtime: bool = typer.Option(False, "--realtime", help="Run the live processes at SCHED_FIFO priority (needs CAP_SYS_NICE)."),
) -> None:
    """Run the policies live on loopback and print measured against predicted figures.

    Two server processes per policy (asyncio), a load generator replaying the simulator's inputs,
    a delay proxy (D, d) and an entanglement link service; every process binds 127.0.0.1 only.
    Writes summary.json and live_vs_sim.png to --out.
    """
    err = Console(stderr=True)
    try:  # bad input fails here, before any process starts or anything is written
        scen, study = load_scenario_file(scenario)
        kinds = _parse_kinds(policies)
        check_out_folder(out, force)
        from qcoord.live import LiveConfig

        sizes = dict(QUICK if quick else FULL)
        if pairs is not None:
            sizes["n_pairs"] = int(pairs)
            sizes["batches"] = max(5, min(sizes["batches"], (int(pairs) - sizes["warmup"]) // 10))
        cfg = LiveConfig(time_unit_ms=float(time_unit_ms), seed=seed, realtime=realtime, **sizes)
    except (ValueError, OSError) as exc:
        _fail(err, exc)
    from qcoord.compile import compile_game, solve
    from qcoord.live import LiveError, emulate as run_live

    old = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        sol = solve(compile_game(scen, lam=float(study.get("lam", 0.5))))
        pols = build_policies(sol, kinds, cfg.unit)
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} customers"),
            TimeElapsedColumn(), console=err, transient=True, disable=as_json and not err.is_terminal,
            auto_refresh=False,  # no refresh thread: the live processes are forked from this process
        ) as prog:
            task = prog.add_task("live emulation", total=2 * cfg.n_pairs * len(pols))

            def tick(done: int, total: int) -> None:
                prog.update(task, completed=done, total=total)
                prog.refresh()

            result = run_live(scen, pols, cfg, progress=tick)
    except KeyboardInterrupt:
        err.print(Text("interrupted: the live run was stopped and every live process ended"), highlight=False)
        raise typer.Exit(code=130)
    except _Terminated:
        err.print(Text("terminated: the live run was stopped and every live process ended"), highlight=False)
        raise typer.Exit(code=143)
    except LiveError as exc:
        first = str(exc).splitlines()[0]
        err.print(Text.assemble(("error:", "red"), f" {first}"), soft_wrap=True, highlight=False)
        raise typer.Exit(code=1)
    except ValueError as exc:
        _fail(err, exc)
    finally:
        signal.signal(signal.SIGTERM, old)
    data = _clean(result.to_dict())
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    _plot(result, out / "live_vs_sim.png")
    if as_json:
        sys.stdout.write(json.dumps(data, indent=1, allow_nan=False) + "\n")
        return
    con = stdout_console()
    sc = result.scenario
    con.print(
        f"qcoord live emulation: utilisation {sc.utilisation:g}, d = {sc.handoff_delay:g}, D = {sc.message_latency:g}, "
        f"{sc.discipline}, T = {sc.baseline}; {result.processes} processes on 127.0.0.1"
        + (", SCHED_FIFO" if cfg.realtime else ""),
        markup=False, highlight=False,
    )
    con.print(_table(result))
    con.print(_decision_table(result))
    con.print(_latency_table(result))
    for line in _notes(result):
        con.print(Text(line), highlight=False)
    tm = result.timing
    con.print(Text(f"output: {out} (start-up {tm['startup_s']:.1f} s, run {tm['run_s']:.1f} s, analysis {tm['analysis_s']:.1f} s)"))


def _clean(o: Any) -> Any:
    """Plain JSON values: NumPy scalars and arrays converted, non-finite floats as ``null``."""
    import numpy as np

    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, np.ndarray):
        return _clean(o.tolist())
    if isinstance(o, np.generic):
        o = o.item()
    if isinstance(o, float) and not math.isfinite(o):
        return None
    return o
