"""``qcoord scenario show`` and ``qcoord scenario fields``: the scenario file format.

``show`` prints the built-in default scenario of ``qcoord demo`` (the TOML file as shipped, with
its comments), or with ``--resolved`` every field of a scenario after defaults, as TOML that loads
back to the same scenario. ``fields`` prints every :class:`qcoord.system.Scenario` field with its
meaning, its default and its allowed values, from :data:`FIELDS` (one table; a test checks that
every dataclass field has an entry).
"""

from __future__ import annotations

import dataclasses
import math
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn, Optional

import typer
from rich.table import Table
from rich.text import Text

from ._app import scenario_app, stdout_console

__all__ = ["FIELDS", "show", "fields", "to_toml"]

#: Every Scenario field: (meaning, allowed values). Defaults come from the dataclass itself.
FIELDS: dict[str, tuple[str, str]] = {
    "arrival_rate": (
        "Pair arrival rate L (pairs per unit time; each pair brings one customer to each server). "
        "Utilisation of each server = L * mean demand, which must be < 1 for a study.",
        "number > 0",
    ),
    "arrival_process": (
        "How pairs arrive: a Poisson process, evenly at times k / L, or at the given arrival_times.",
        '"poisson", "deterministic" or "trace"',
    ),
    "arrival_times": (
        "Arrival times of a trace (the first n_pairs are used).",
        'non-decreasing numbers >= 0, at least n_pairs of them; required iff arrival_process = "trace", '
        "else not allowed",
    ),
    "demand": (
        "Customer demand distribution; time unit = mean demand (the presets have mean 1).",
        'a table { kind = ... }: "exponential" (mean > 0), "deterministic" (value > 0), '
        '"two_point" (low > 0, high > low, p_low in (0, 1)), "lognormal" (mean > 0, sigma > 0), '
        '"empirical" (samples: numbers > 0); a bare kind name uses its defaults',
    ),
    "class_edges": (
        "Demand class edges a server observes: class k holds demands s with edge[k-1] < s <= edge[k]. "
        "Unset: the demand's default split (at the median: two classes; one class for a point mass).",
        "strictly increasing numbers > 0; every class must have positive probability",
    ),
    "backlog_levels": (
        "Thresholds on a server's own unfinished work that it observes (its level = number of "
        "thresholds strictly below the work; [0.0] is the busy flag). [] = backlog not observed.",
        "strictly increasing numbers >= 0",
    ),
    "handoff_delay": (
        "d: a forwarded customer joins the other server d after its arrival (time units).",
        "number >= 0",
    ),
    "message_latency": (
        "D: latency of the control path used by the communicating strategies (time units).",
        "number >= 0",
    ),
    "discipline": (
        "Service discipline at each server: preemptive shortest remaining processing time, "
        "non-preemptive shortest job first, or first come first served.",
        '"srpt", "np" or "fcfs"',
    ),
    "role_coin": (
        'A fresh shared coin per pair picks which server plays "A" in the pair game.',
        "true or false",
    ),
    "baseline": (
        "Baseline task: output T(t) of an idle run of length t. setup(c): T = max(0, t - c), a "
        "warm-up cost c per uninterrupted run; power(k): T = t^k (k = 1 is linear: no gain possible).",
        '"setup(c)" with c >= 0, "power(k)" with k > 0, "linear" (= power(1)), or a table '
        '{ kind = "setup", c = ... } / { kind = "power", k = ... }',
    ),
    "n_pairs": (
        "Pairs per replication. qcoord demo / run use the study's run size unless the file sets it "
        "(--quick: always the quick size).",
        "integer >= 2 (<= the number of arrival_times for a trace)",
    ),
    "warmup": (
        "The first warmup pairs of each replication are excluded from the statistics. qcoord demo / "
        "run use the study's unless the file sets it (--quick: always the quick one).",
        "integer, 0 <= warmup <= n_pairs - 2",
    ),
    "replications": (
        "Independent replications (common random numbers: every strategy sees the same inputs). "
        "qcoord demo / run use the study's unless the file sets it (--quick: always the quick one).",
        "integer >= 1",
    ),
    "seed": (
        "Entropy of the SeedSequence of all random inputs (replication r uses child r).",
        "integer >= 0",
    ),
}


# ------------------------------------------------------------------------------------ TOML writing
def _toml_value(v: Any, *, short: bool = False) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        text = f"{v:.6g}" if short else repr(v)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x, short=short) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x, short=short)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def to_toml(scenario: Any) -> str:
    """Every field of ``scenario`` as a ``[scenario]`` TOML table (unset optional fields as comments)."""
    lines = ["[scenario]"]
    for name, value in scenario.to_dict().items():
        if value is None:
            lines.append(f"# {name}: not set")
        else:
            lines.append(f"{name} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _default_text(f: dataclasses.Field) -> str:  # type: ignore[type-arg]
    from qcoord.system import Scenario

    value = getattr(Scenario(), f.name)
    if value is None:
        return "not set"
    if f.name == "baseline":
        return f'"{value}"'
    if f.name == "demand":
        return _toml_value(value.to_dict(), short=True)
    if isinstance(value, tuple):
        value = list(value)
    return _toml_value(value, short=True)


# ------------------------------------------------------------------------------------ commands
@scenario_app.command("show")
def show(
    scenario: Optional[Path] = typer.Argument(None, help="A scenario TOML (default: the built-in default scenario)."),
    resolved: bool = typer.Option(
        False, "--resolved", help="Print every field after defaults (TOML that loads back to the same scenario)."
    ),
) -> None:
    """Print the built-in default scenario of 'qcoord demo' (or a scenario file) as TOML.

    Without --resolved the file is printed as it is, comments included; with --resolved every field
    is printed with the value the scenario actually uses.
    """
    from .demo import DEFAULT_SCENARIO, CLIError, load_scenario_file

    con = stdout_console(highlight=False)
    if scenario is None:
        text = resources.files("qcoord").joinpath("data", DEFAULT_SCENARIO).read_text()
    elif not scenario.is_file():
        _fail(f"scenario: file not found: {scenario}")
    else:
        try:
            text = scenario.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"scenario: cannot read {scenario} ({exc})")
    if not resolved:
        con.print(text, markup=False, end="" if text.endswith("\n") else "\n", soft_wrap=True)
        return
    try:
        sc, study = load_scenario_file(scenario)
    except (CLIError, ValueError) as exc:
        _fail(str(exc))
    extra = {k: v for k, v in study.items() if k != "scenario_keys"}
    out = to_toml(sc)
    if extra:
        out += "\n[study]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in extra.items())
    con.print(out, markup=False, end="", soft_wrap=True)


@scenario_app.command("fields")
def fields() -> None:
    """Every scenario field with its meaning, default and allowed values."""
    from qcoord.system import Scenario

    title = Text("scenario fields: the [scenario] table of a scenario TOML (qcoord.system.Scenario)")
    table = Table(title=title, show_lines=True)
    table.add_column("field", no_wrap=True)
    table.add_column("meaning", min_width=30)
    table.add_column("default", max_width=28, overflow="fold")
    table.add_column("allowed", max_width=44)
    for f in dataclasses.fields(Scenario):
        meaning, allowed = FIELDS.get(f.name, ("(no description)", "?"))
        table.add_row(Text(f.name, style="bold"), Text(meaning), Text(_default_text(f)), Text(allowed))
    stdout_console().print(table)


def _fail(message: str) -> NoReturn:
    from rich.console import Console

    Console(stderr=True, highlight=False).print(Text.assemble(("error:", "red"), f" {message}"), soft_wrap=True)
    raise typer.Exit(code=2)
