"""The report folder: figures, ``summary.json`` and ``report.md``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .plots import plot_frontier, plot_gain_vs_delay, plot_gain_vs_visibility
from .results import StudyResult

__all__ = ["write_report", "REPORT_FILES", "gain_cell", "frontier_note"]

#: Files every report folder contains.
REPORT_FILES = ("report.md", "summary.json", "frontier.png", "gain_vs_visibility.png", "gain_vs_delay.png")


def _fmt(x: Any, nd: int = 4) -> str:
    if x is None:
        return "n/a"
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    if f != f:
        return "n/a"
    return f"{f:.{nd}g}" if abs(f) >= 1e-3 or f == 0 else f"{f:.3e}"


def _pct(x: Any) -> str:
    """A relative figure (fraction) as signed percent: ``0.0036 -> "+0.36%"``; ``n/a`` if missing."""
    try:
        f = 100.0 * float(x)
    except (TypeError, ValueError):
        return "n/a"
    if f != f or f in (float("inf"), float("-inf")):
        return "n/a"
    return f"{f:+.2f}%" if f == 0 or abs(f) >= 0.01 else f"{f:+.1e}%"


def gain_cell(row: dict[str, Any]) -> str:
    """The gain column of a strategy-class row: relative gain at equal waiting, percent, 95% CI.

    Rows of the local reference classes (``row["reference"]``) read ``reference`` when they lie on
    the best-local frontier in every replication, else ``reference, dominated: <relative gain>``
    (dominated by other local policies). A row whose mean waiting exceeds the frontier's largest
    waiting, or lies between its last two points, in some replication (compared with, or
    interpolated towards, the frontier's top point) is marked with ``†``;
    a row that waits less than every local policy is ``not comparable``. The absolute figures stay
    in the row (``gain_equal_waiting``, ``gain_ci_low``, ``gain_ci_high``).
    """
    g = row.get("gain_relative")
    txt = f"{_pct(g)} [{_pct(row.get('gain_relative_ci_low'))}, {_pct(row.get('gain_relative_ci_high'))}]"
    if row.get("reference"):
        ends = (row.get("gain_equal_waiting"), row.get("gain_ci_low"), row.get("gain_ci_high"))
        if all(e is not None and float(e) == 0.0 for e in ends):
            return "reference"
        return f"reference, dominated: {txt}"
    if g is None or g != g:
        return "not comparable (less waiting than every local policy)"
    return txt + (" †" if row.get("against_frontier_top", row.get("beyond_frontier")) else "")


def frontier_note(rows: list[dict[str, Any]]) -> str | None:
    """One sentence explaining the ``†`` rows of a table (``None`` when there are none)."""
    far = [r for r in rows if r.get("against_frontier_top", r.get("beyond_frontier")) and not r.get("reference")]
    if not far:
        return None
    r0 = far[0]
    names = ", ".join(r["class"] for r in far)
    top_t = float(r0.get("frontier_top_throughput") or float("nan"))
    refs = [float(r["throughput"]) for r in rows if r.get("reference") and r.get("throughput") is not None]
    ratio = top_t / min(refs) if refs and min(refs) > 0 else float("nan")
    note = (
        f"† {names}: compared with the top point of the best-local frontier"
        + (
            f" (mean waiting beyond the frontier's largest, W = {_fmt(r0.get('frontier_waiting_high'))})"
            if r0.get("beyond_frontier")
            else " or interpolated towards it"
        )
        + ", "
        f"`{r0.get('frontier_top_policy')}` (W = {_fmt(r0.get('frontier_top_waiting'))}, "
        f"T = {_fmt(top_t)})"
    )
    if ratio == ratio and ratio > 100:
        note += (
            f", whose T is {ratio:.0f} times that of the reference classes: that policy never interrupts one "
            "server, whose single idle run then spans the whole statistics window, and a convex T such as "
            "t^2 grows with the length of that run (T is then not a rate per unit time); the absolute gain "
            "(in summary.json) is dominated by that T, so read the relative figure."
        )
    else:
        note += "."
    return note


def _table_md(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| class | p (split) | mean waiting ± CI | throughput ± CI | gain vs best local at equal W, relative (95% CI) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['class']} | {_fmt(r.get('split_prob'))} | {_fmt(r.get('mean_waiting'))} ± {_fmt(r.get('mean_waiting_hw'), 2)} "
            f"| {_fmt(r.get('throughput'), 6)} ± {_fmt(r.get('throughput_hw'), 2)} | {gain_cell(r)} |"
        )
    note = frontier_note(rows)
    if note:
        out += ["", note]
    return out


def write_report(out_dir: str | Path, study: StudyResult) -> dict[str, Path]:
    """Write the report folder of a study.

    Produces ``frontier.png`` (waiting vs throughput per class, CI bands),
    ``gain_vs_visibility.png``, ``gain_vs_delay.png``, ``summary.json`` (every figure, seeds and
    parameters; strict JSON) and ``report.md`` (each claim, the measured figure, held or not).

    Parameters
    ----------
    out_dir : path
        Created if missing; existing report files are overwritten.
    study : StudyResult

    Returns
    -------
    dict name -> path of each written file.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    paths["frontier.png"] = plot_frontier(study.curves, out / "frontier.png")
    vis = study.visibility
    paths["gain_vs_visibility.png"] = plot_gain_vs_visibility(
        vis.get("v", []), vis.get("gain", []), vis.get("lo", []), vis.get("hi", []), out / "gain_vs_visibility.png",
        critical=vis.get("critical"),
    )
    dl = study.delay
    paths["gain_vs_delay.png"] = plot_gain_vs_delay(
        dl.get("D", []), dl.get("series", {}), out / "gain_vs_delay.png", crossovers=dl.get("crossovers")
    )
    summary = study.to_dict()
    (out / "summary.json").write_text(json.dumps(summary, indent=1, allow_nan=False) + "\n")
    paths["summary.json"] = out / "summary.json"

    sc = study.scenario
    lines = [
        "# qcoord report",
        "",
        f"Scenario: {', '.join(f'{k} = {v}' for k, v in sc.items())}.",
        f"Root seed {study.seed}; {'quick (reduced) run' if study.quick else 'full run'}; {study.seconds:.1f} s.",
        "",
        "Throughput = baseline output of both servers per unit time; waiting in units of the mean demand.",
        "Gains are paired differences over replications that share their inputs (common random numbers),",
        "with 95% t intervals. \"At equal waiting\" means against the best local frontier at the policy's own",
        "mean waiting, replication by replication: the Pareto front of every local policy simulated",
        "(role-symmetric and role-asymmetric rules, and shared-randomness mixtures of them simulated at the",
        "entangled strategy's waiting), interpolated between neighbouring points. Claim 1 also gives the gain",
        "against the concave envelope of the local points, a conservative bound. The tables give the gain",
        "relative to that frontier, (T - T_frontier) / T_frontier per replication, in percent; the absolute",
        "figures are in summary.json (`gain_equal_waiting`, `gain_ci_low`, `gain_ci_high`).",
        "",
    ]
    sol = study.solution
    if sol:
        lines += [
            "## The pair game (one-shot, closed-form low-load costs)",
            "",
            f"classical {_fmt(sol.get('classical_value'), 6)} (threshold rule: {sol.get('is_threshold')}), "
            f"entangled {_fmt(sol.get('quantum_value'), 6)}, NPA level {sol.get('npa_level')} {_fmt(sol.get('npa_value'), 6)}, "
            f"no-signalling {_fmt(sol.get('nonsignaling_value'), 6)}. "
            f"Entangled strategy: state cos t|00> + sin t|11> (up to local unitaries) with t = "
            f"{_fmt((sol.get('entangled_strategy') or {}).get('schmidt_angle_deg'), 4)} degrees; one-shot split probability "
            f"{_fmt(sol.get('quantum_split_prob'), 4)} (classical optimum {_fmt(sol.get('classical_split_prob'), 4)}); "
            f"critical visibility {_fmt(sol.get('critical_visibility'), 4)}.",
            "",
        ]
    lines += ["## Strategy classes", ""] + _table_md(study.table) + [""]
    t2 = study.extra.get("table_t2") if study.extra else None
    if t2:
        lines += [
            "### Beside it: T = t^2 on the same runs",
            "",
            "Same routing and waiting; only the baseline output differs. The gain column is against the best local",
            "frontier overall, role-asymmetric strategies included (see the scope section: they win for t^k).",
            "",
        ] + _table_md(t2) + [""]
    lines += [
        "## Figures",
        "",
        "![waiting / throughput frontier](frontier.png)",
        "",
        "![gain vs visibility](gain_vs_visibility.png) ![gain vs message latency](gain_vs_delay.png)",
        "",
    ]
    lines += ["## Claims", ""]
    for c in study.claims:
        if c.verdict:
            mark = c.verdict
        elif c.key.startswith("scope"):
            mark = {True: "Scope: entanglement wins here", False: "Scope: entanglement LOSES here", None: "not evaluated"}[c.held]
        else:
            mark = {True: "HELD", False: "DID NOT HOLD", None: "not evaluated"}[c.held]
        lines += [f"### {c.title}", "", f"**{mark}.** {c.figure}", ""]
    lines += [
        "## Files",
        "",
        "- `frontier.png`: mean waiting vs throughput per class (95% CI bands)",
        "- `gain_vs_visibility.png`: gain over best local at equal waiting vs pair visibility",
        "- `gain_vs_delay.png`: entangled minus communicating strategies vs message latency D",
        "- `summary.json`: every figure, seed and parameter",
        "",
    ]
    (out / "report.md").write_text("\n".join(lines))
    paths["report.md"] = out / "report.md"
    return paths
