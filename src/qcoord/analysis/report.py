"""The report folder: ``report.md``, ``summary.json`` and the figures. The only module that writes words.

Every sentence about a difference comes with the paired 95% CI that decides it; a figure that is
undefined (no comparable replication, no crossing) is written as *undefined* with its reason, never as
a number. The schema of ``summary.json`` is documented in ``docs/summary-schema.md``
(:data:`SUMMARY_FORMAT`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ..system.result import Estimate, estimate
from .claims import (
    Certificate,
    ConvexGain,
    Convexity,
    Latency,
    LinearControl,
    MiddleP,
    ScopeAsymmetric,
    ScopeBusy,
    ScopeCosts,
    ScopeEntangledAsymmetric,
    ScopeLinks,
    Visibility,
    headline_arm,
    to_jsonable,
)
from .experiment import HEADLINE_BASELINE
from .plots import plot_frontier, plot_gain_vs_delay, plot_gain_vs_visibility
from .readings import READINGS, ParetoGain
from .study import Outcome, Study, strategy_rows
from .verdicts import HELD, NOT_HELD, direction

__all__ = ["write_report", "render_markdown", "summary", "REPORT_FILES", "SUMMARY_FORMAT", "GLOSSARY", "verdict_word",
           "pct", "console_rows", "headline_sentence"]

#: Files every report folder contains.
REPORT_FILES = ("report.md", "summary.json", "frontier.png", "gain_vs_visibility.png", "gain_vs_delay.png")
#: ``format`` field of ``summary.json`` (schema: docs/summary-schema.md).
SUMMARY_FORMAT = "qcoord.summary/2"

#: Strategy classes and terms, in the words the report uses.
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("local", "each server decides KEEP or FORWARD from its own customer's demand class only (a deterministic rule); "
              "role-symmetric: a fresh shared coin per pair decides which server plays 'A'"),
    ("local_asym", "the same rule, role-asymmetric: server 0 always plays 'A' (e.g. one server takes every consolidation)"),
    ("shared", "shared randomness: a coin both servers see picks, per pair, which local rule to play; free for every class"),
    ("best local (benchmark)", "the concave envelope of every local rule and shared-randomness mixture simulated, "
                               "role-symmetric and role-asymmetric: alternating local rules in long blocks on a shared "
                               "clock reaches every chord of their points without communication"),
    ("entangled", "each server measures its half of a shared entangled pair in a basis chosen by its own class; the "
                  "outcome is its decision. No message is exchanged"),
    ("entangled_asym", "the same entangled strategy, role-asymmetric: server 0 always measures as 'A'"),
    ("naive", "naive communicate: both servers exchange their classes (message latency D), every customer waits D, then "
              "the pair game's joint optimum is played"),
    ("hold", "hold-for-message: one server keeps and sends its class; the other forwards a short customer at once and "
             "holds a long one until the message arrives"),
    ("oracle", "the pair game's joint optimum with zero message latency: optimal for the one-shot game (waiting plus "
               "lam per split), not for throughput, so it can lose to local rules on throughput; an unattainable "
               "reference, never a benchmark"),
    ("lam", "the price of one interruption in the one-shot pair game, in waiting-time units; sweeping it traces a frontier"),
    ("p", "split probability: the fraction of pairs whose two customers are served on different servers"),
    ("restart", "an arrival that interrupts an idle server's baseline run (the baseline task must restart)"),
    ("T", "the baseline task's output for an uninterrupted run of length t; throughput = output of both servers per unit time"),
    ("v, v*", "visibility of Werner-noisy pairs (fidelity (1 + 3v)/4); v* is the game's critical visibility, where the "
              "noisy strategy's one-shot value equals the classical value"),
    ("D, d", "D = message latency of the control path; d = hand-off delay of a forwarded customer (data path)"),
    ("ill-defined", "a throughput that is not a stationary rate (it grows with the run length), e.g. t^k for a rule that "
                    "never interrupts one server; such arms are excluded from every benchmark and gain"),
)

_READING_WORDS = {
    "throughput_at_equal_waiting": "throughput at equal mean waiting",
    "waiting_at_equal_throughput": "mean waiting saved at equal throughput",
    "restarts_at_equal_waiting": "restarts avoided at equal mean waiting",
    "waiting_at_equal_restarts": "mean waiting saved at equal restart rate",
    "waiting_at_equal_split": "mean waiting saved at equal split probability",
}


# ====================================================================== formatting
def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def num(x: Any, nd: int = 4) -> str:
    """A number, or ``undefined`` (never ``nan``)."""
    if not _finite(x):
        return "undefined"
    f = float(x)
    return f"{f:.{nd}g}" if f == 0 or 1e-3 <= abs(f) < 1e6 else f"{f:.3e}"


def pct(e: Estimate | Mapping[str, Any] | None, nd: int = 2) -> str:
    """A relative estimate as ``+0.28% [+0.27%, +0.30%]``; ``undefined (no comparable replication)`` if it is."""
    if e is None:
        return "undefined"
    mean, lo, hi = (e.mean, e.low, e.high) if isinstance(e, Estimate) else (e.get("mean"), e.get("ci_low"), e.get("ci_high"))
    m = 100 * float(mean) if _finite(mean) else math.nan
    if not _finite(m):
        return "undefined (no comparable replication)"
    l, h = (100 * float(lo), 100 * float(hi)) if _finite(lo) and _finite(hi) else (math.nan, math.nan)
    if not (_finite(l) and _finite(h)):
        return f"{m:+.{nd}f}% (no CI: a single comparable replication)"
    return f"{m:+.{nd}f}% [{l:+.{nd}f}%, {h:+.{nd}f}%]"


def est(e: Estimate | Mapping[str, Any], nd: int = 4) -> str:
    """An absolute estimate as ``0.3521 ± 0.0012``."""
    mean, hw = (e.mean, e.half_width) if isinstance(e, Estimate) else (e.get("mean"), e.get("half_width"))
    if not _finite(mean):
        return "undefined"
    return f"{num(mean, nd)} ± {float(hw):.2g}" if _finite(hw) else f"{num(mean, nd)} (no CI)"


def _d(e: Estimate) -> str:
    return direction(e)


def verdict_word(o: Outcome) -> str:
    """The short verdict of an outcome, as the report and the terminal print it."""
    v = o.verdict
    if o.claim.kind == "scope":
        subj = o.claim.subject
        return {"gain": f"{subj} gains", "loss": f"{subj} loses", "no significant difference": "no significant difference",
                "undefined": "undefined"}.get(v.outcome or "undefined", "undefined")
    return {HELD: "HELD", NOT_HELD: "NOT HELD"}.get(v.status, "UNDEFINED")


# ====================================================================== headline
def headline_sentence(study: Study) -> str:
    """The headline in plain words: the larger honest reading of claim 1, the other beside it."""
    o = study.outcome("claim1_convex")
    m: ConvexGain = o.measurement
    g = m.main
    thr, wt, rs = (g.readings[k] for k in ("throughput_at_equal_waiting", "waiting_at_equal_throughput", "restarts_at_equal_waiting"))
    bench = "role-symmetric local strategies" if m.primary == "symmetric" else "the best local strategy (every local rule and mixture)"
    if direction(thr) != "gain":
        return (f"Against {bench}, entangled routing shows **no significant throughput gain at equal waiting** "
                f"({pct(thr)}); mean waiting at equal throughput: {pct(wt)}.")
    pair = [("less mean waiting at equal throughput", wt), ("more throughput at equal mean waiting", thr)]
    pair.sort(key=lambda x: -abs(x[1].mean) if direction(x[1]) == "gain" else 0.0)
    first, second = pair
    other = (f"{100 * second[1].mean:.2f}% {second[0]} ({pct(second[1])})" if direction(second[1]) == "gain"
             else f"{second[0]}: {pct(second[1])} ({direction(second[1])})")
    return (f"Against {bench}, entangled routing gives **{100 * first[1].mean:.2f}% {first[0]}** ({pct(first[1])}); "
            f"read along the other axis, {other}. "
            + (f"It avoids {100 * rs.mean:.2f}% of the restarts of an idle baseline run at equal waiting ({pct(rs)})."
               if direction(rs) == "gain" else f"Restarts of an idle baseline run at equal waiting: {pct(rs)} ({direction(rs)})."))


# ====================================================================== renderers per claim
def _readings_lines(g: ParetoGain) -> list[str]:
    out = [f"  - {_READING_WORDS[k]}: {pct(g.readings[k])} ({_d(g.readings[k])})" for k in READINGS]
    out.append(f"  - throughput at equal waiting against the Pareto front of per-pair mixtures (secondary benchmark): {pct(g.pareto_front)}")
    if g.excluded:
        out.append(f"  - excluded from the benchmark as ill-defined: {', '.join(f'`{n}`' for n in sorted(g.excluded))}")
    return out


def _r_convex(m: ConvexGain) -> list[str]:
    lines = [f"Headline arm `{m.main.target}` (mean waiting {est(m.main.target_waiting)}, throughput {est(m.main.target_throughput, 6)}), "
             f"T = {m.baseline}."]
    if m.premise:
        lines.append(f"Premise: {m.premise}.")
    lines.append(f"- against the {m.all_local.benchmark} ({m.all_local.n_benchmark} arms):")
    lines += _readings_lines(m.all_local)
    lines.append(f"- against the {m.symmetric.benchmark} only ({m.symmetric.n_benchmark} arms):")
    lines += _readings_lines(m.symmetric)
    if m.primary == "symmetric":
        lines.append("Some local arm has no stationary throughput under this T, so the verdict uses the role-symmetric comparison.")
    return lines


def _r_linear(m: LinearControl) -> list[str]:
    g = m.gain
    return [f"Throughput at equal waiting with T = t: {pct(g.throughput, 4)}; absolute {est(g.throughput_abs, 3)} on a throughput of "
            f"{est(g.target_throughput, 6)}. With linear T the throughput is 2 (1 - utilisation) for every policy."]


def _r_convexity(m: Convexity) -> list[str]:
    lines = ["Relative throughput gain at equal waiting over the role-symmetric local envelope, per exponent k "
             "(all T evaluated on the same idle runs):"]
    lines += [f"- k = {k:g}: {pct(g)} ({_d(g)})" for k, g in zip(m.powers, m.gains)]
    lines += [f"- step k = {a:g} -> {b:g}: {pct(s)} ({_d(s)})" for (a, b), s in zip(zip(m.powers, m.powers[1:]), m.steps)]
    if m.pareto:
        lines.append("Against the Pareto front of the role-symmetric per-pair mixtures instead (secondary benchmark: what "
                     "per-pair coins reach, without block time-sharing): "
                     + ", ".join(f"k = {k:g}: {pct(g)}" for k, g in zip(m.powers, m.pareto)) + ".")
    return lines


def _r_middle(m: MiddleP) -> list[str]:
    lines = ["| lam | p (split) | one-shot advantage | throughput gain at equal waiting | reading |", "|---|---|---|---|---|"]
    for lam, p, a, g in zip(m.lams, m.split, m.advantage, m.gains):
        lines.append(f"| {lam:g} | {num(p.mean, 3)} | {a:.1e} | {pct(g)} | {_d(g)} |")
    rng = m.significant_range()
    lines += ["", "Range of p with a significant gain: " + ("none" if rng is None else f"[{rng[0]:.2f}, {rng[1]:.2f}]") + "."]
    return lines


def _r_visibility(m: Visibility) -> list[str]:
    lines = [f"Critical visibility of the game v* = {num(m.critical)} (fidelity {num((1 + 3 * m.critical) / 4) if _finite(m.critical) else 'undefined'})."]
    lines += [f"- v = {v:g}: {pct(g)} ({_d(g)})" for v, g in zip(m.visibilities, m.gains)]
    if m.crossing is None:
        lines.append("Measured zero crossing of the mean gain: undefined (the mean gain does not change sign in the range).")
    else:
        lo, hi = m.bracket
        lines.append(f"Measured zero crossing of the mean gain: v = {m.crossing:.3f}"
                     + (f" (the last significant loss is at v = {lo:g}, the first significant gain at v = {hi:g})" if hi is not None else "")
                     + ". It lies above v* because v* balances waiting and splits at the one price lam, while the simulation "
                       "compares throughput at equal waiting against the whole local frontier.")
    return lines


def _r_latency(m: Latency) -> list[str]:
    from .claims import PROTOCOLS

    lines = ["Each communicating policy at latency D against two frontiers at its own mean waiting (relative throughput; "
             "positive = the communication-free frontier wins): the entangled frontier (the entangled strategies of every "
             "lam, nothing else) and the best local frontier; and their difference (what entanglement adds there). A policy "
             "that waits longer than every point of a frontier is compared with that frontier's top point (more waiting buys "
             "nothing), which is why the naive rows reach a plateau.", "",
             "| protocol | D | entangled minus communicating | best local minus communicating | entangled minus local |",
             "|---|---|---|---|---|"]
    for p, label in PROTOCOLS.items():
        for D, a, b, c in zip(m.latencies, m.entangled_minus[p], m.local_minus[p], m.entangled_minus_local[p]):
            lines.append(f"| {label} | {D:g} | {pct(a)} | {pct(b)} | {pct(c)} |")
    lines.append("")
    for p, label in PROTOCOLS.items():
        for what, c, br in (("entangled", m.crossover_entangled[p], m.bracket_entangled[p]),
                            ("best local", m.crossover_local[p], m.bracket_local[p])):
            if c is None:
                lines.append(f"- {label}, {what} frontier: crossover D* undefined (the mean difference does not change sign in the range).")
            else:
                lo, hi = br
                lines.append(f"- {label}, {what} frontier: crossover D* = {c:.3f}"
                             + (f" (bracketed by significant points D = {lo:g} and D = {hi:g})" if lo is not None and hi is not None else "") + ".")
    return lines


def _r_np(ms: Sequence[Certificate]) -> list[str]:
    return [f"- {m.discipline}: classical {m.classical:.6f}, entangled (see-saw) {m.quantum:.6f}, NPA level {m.npa_level} "
            f"{m.npa:.6f}, no-signalling {m.nonsignaling:.6f}; largest gap {m.gap:.1e}." for m in ms]


def _r_asym(m: ScopeAsymmetric) -> list[str]:
    lines = []
    for k, g in zip(m.powers, m.gains):
        lines.append(f"- T = t^{k:g}: throughput at equal waiting against every stationary local rule and mixture "
                     f"(role-asymmetric included): {pct(g.throughput)} ({_d(g.throughput)})"
                     + (f"; excluded as ill-defined: {', '.join(f'`{n}`' for n in sorted(g.excluded))}" if g.excluded else ""))
    return lines


def _r_entangled_asym(m: ScopeEntangledAsymmetric) -> list[str]:
    return [f"- T = {b}: role-asymmetric minus role-symmetric, throughput at equal waiting: {pct(d)} ({_d(d)})"
            for b, d in zip(m.baselines, m.differences)]


def _r_busy(m: ScopeBusy) -> list[str]:
    lines = [f"Utilisation {m.load:g}; questions = (class, busy flag); costs estimated by simulation at that load; an "
             "interruption is charged only when an idle server receives work.", "",
             "| lam | classical | entangled | NPA-2 | no-signalling | one-shot advantage |", "|---|---|---|---|---|---|"]
    for s in m.scans:
        lines.append(f"| {s['lam']:g} | {s['classical']:.5f} | {s['quantum']:.5f} | {s['npa2']:.5f} | {s['nonsignaling']:.5f} | {s['advantage']:.1e} |")
    lines += ["", f"Simulated at lam = {m.lam:g}, against every local rule (busy-aware and class-only, both role symmetries, and mixtures):",
              "- busy-aware entangled strategy:"]
    lines += _readings_lines(m.busy_aware)
    lines.append("- class-only entangled strategy:")
    lines += _readings_lines(m.class_only)
    if m.busy_aware_symmetric is not None:
        lines.append(f"- for context, the busy-aware entangled strategy against the role-symmetric local rules only: "
                     f"{pct(m.busy_aware_symmetric.throughput)} ({_d(m.busy_aware_symmetric.throughput)}) at equal waiting; "
                     "the verdict uses every local rule, role-asymmetric ones included.")
    return lines


def _r_costs(m: ScopeCosts) -> list[str]:
    r = m.estimate_record
    return [f"Cost estimate {'converged' if r.get('converged') else 'did not converge'} after {r.get('iterations')} rounds; one-shot "
            f"advantage of the estimated game {num(r.get('one_shot_advantage'))}. Throughput at equal waiting: closed-form game "
            f"{pct(m.closed_form.throughput)}, estimated game {pct(m.estimated.throughput)}; paired difference {pct(m.difference)}."]


def _r_links(m: ScopeLinks) -> list[str]:
    return [f"- {k}: throughput at equal waiting {pct(g.throughput)} ({_d(g.throughput)}); decisions that fell back to the local "
            f"rule {num(m.fallback_rate[k], 3)}; mean visibility of the pairs used {num(m.mean_visibility[k], 3)}; mean decision "
            f"latency {num(m.mean_latency[k], 3)}" for k, g in m.links.items()]


RENDERERS: dict[str, Callable[[Any], list[str]]] = {
    "claim1_convex": _r_convex,
    "control2_linear": _r_linear,
    "claim3_convexity": _r_convexity,
    "claim4_middle_p": _r_middle,
    "claim5_visibility": _r_visibility,
    "claim6_latency": _r_latency,
    "claim7_np": _r_np,
    "scope_asymmetric": _r_asym,
    "scope_entangled_asymmetric": _r_entangled_asym,
    "scope_backlog": _r_busy,
    "scope_estimated_costs": _r_costs,
    "scope_links": _r_links,
}


# ====================================================================== tables
def _gain_cells(r: Mapping[str, Any]) -> tuple[str, str]:
    """The two gain cells of a strategy-class row (benchmark members say so)."""
    if r["ill_defined"]:
        return "ill-defined (excluded)", "ill-defined"
    if r["gain"] is None:
        return "undefined", "undefined"
    g, w = r["gain"]["throughput_at_equal_waiting"], r["gain"]["waiting_at_equal_throughput"]
    if r.get("benchmark_member"):
        on = all(_finite(g.get(k)) and abs(float(g[k])) < 1e-12 for k in ("mean", "ci_low", "ci_high"))
        return ("on the envelope (benchmark)" if on else f"{pct(g)} (benchmark)"), (
            "on the envelope (benchmark)" if on else f"{pct(w)} (benchmark)")
    return pct(g), pct(w)


def _class_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    out = ["| class | p (split) | mean waiting | p50 / p95 / p99 waiting | throughput | restarts per unit time | "
           "throughput at equal waiting vs best local | waiting saved at equal throughput |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        gain, wt = _gain_cells(r)
        out.append(
            f"| {r['class']} | {num(r['split_prob']['mean'], 3)} | {est(r['mean_waiting'])} | "
            f"{num(r['waiting_p50']['mean'], 3)} / {num(r['waiting_p95']['mean'], 3)} / {num(r['waiting_p99']['mean'], 3)} | "
            f"{est(r['throughput'], 6)} | {num(r['interruption_rate']['mean'], 4)} | {gain} | {wt} |"
        )
    return out


def console_rows(study: Study, baseline: str = HEADLINE_BASELINE) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the strategy-class table for a terminal (plain strings)."""
    header = ["class", "p", "mean waiting", "p95 waiting", "throughput", "restarts", "thr. at equal W", "W saved at equal thr."]
    rows = []
    for r in strategy_rows(study.evidence.run, baseline, study.rules):
        gain, wt = _gain_cells(r)
        rows.append([r["class"], num(r["split_prob"]["mean"], 3), est(r["mean_waiting"]), num(r["waiting_p95"]["mean"], 3),
                     est(r["throughput"], 6), num(r["interruption_rate"]["mean"], 4), gain, wt])
    return header, rows


# ====================================================================== figures
def _cloud(run: Any, arms: Sequence[Any], baseline: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"w": [], "t": [], "w_hw": [], "t_hw": []}
    for a in arms:
        ew, et = estimate(run.values(a, "mean_waiting")), estimate(run.values(a, "throughput", baseline))
        out["w"].append(ew.mean)
        out["t"].append(et.mean)
        out["w_hw"].append(ew.half_width)
        out["t_hw"].append(et.half_width)
    return out


def _scenario_words(study: Study) -> str:
    sc = study.scenario
    return (f"utilisation {sc.utilisation:g}, d = {sc.handoff_delay:g}, D = {sc.message_latency:g}, {sc.discipline}, "
            f"{sc.replications} x {sc.n_pairs} pairs")


def _figures(study: Study, out: Path) -> dict[str, Path]:
    run = study.evidence.run
    T = str(study.scenario.baseline)
    paths: dict[str, Path] = {}
    bench, flagged, sym_only = run.reference(HEADLINE_BASELINE, study.rules)
    ent = run.select(family="entangled", frontier=True)
    groups = {
        "entangled frontier (one strategy per lam)": _cloud(run, ent, HEADLINE_BASELINE),
        f"naive communicate (D = {study.scenario.message_latency:g})": _cloud(run, run.select(name="naive"), HEADLINE_BASELINE),
        f"hold-for-message (D = {study.scenario.message_latency:g})": _cloud(run, run.select(name="hold"), HEADLINE_BASELINE),
        "oracle (pair-game optimum, D = 0)": _cloud(run, run.select(name="oracle"), HEADLINE_BASELINE),
    }
    head = _cloud(run, [headline_arm(run)], HEADLINE_BASELINE)
    note = ("Lines join the means; the gains in the report are computed per replication. "
            + (f"Excluded as ill-defined: {', '.join(sorted(flagged))}." if flagged else "")
            + (" Benchmark: role-symmetric local rules only (all classical strategies is ill-posed under this T)." if sym_only else ""))
    paths["frontier.png"] = plot_frontier(_cloud(run, bench, HEADLINE_BASELINE), groups, {k: v[0] for k, v in head.items()},
                                          out / "frontier.png", title=f"Mean waiting vs throughput, T = {T}\n({_scenario_words(study)})",
                                          note=note)
    vis = study.outcome("claim5_visibility").measurement
    if isinstance(vis, Visibility):
        paths["gain_vs_visibility.png"] = plot_gain_vs_visibility(
            vis.visibilities, [100 * g.mean for g in vis.gains], [100 * g.low for g in vis.gains], [100 * g.high for g in vis.gains],
            out / "gain_vs_visibility.png", critical=vis.critical, crossing=vis.crossing,
            title=f"Entangled throughput gain at equal waiting vs the best local frontier, T = {T}")
    lat = study.outcome("claim6_latency").measurement
    if isinstance(lat, Latency):
        from .claims import PROTOCOLS

        series, cross = {}, {}
        for p, label in PROTOCOLS.items():
            for what, vals, c in (("entangled frontier", lat.entangled_minus[p], lat.crossover_entangled[p]),
                                  ("best local frontier", lat.local_minus[p], lat.crossover_local[p])):
                key = f"{what} minus {label}"
                series[key] = {"gain": [100 * e.mean for e in vals], "lo": [100 * e.low for e in vals], "hi": [100 * e.high for e in vals]}
                cross[key] = c
        paths["gain_vs_delay.png"] = plot_gain_vs_delay(lat.latencies, series, out / "gain_vs_delay.png", crossovers=cross,
                                                        title=f"Communication-free frontiers minus communicating policies, T = {T}")
    return paths


# ====================================================================== summary.json
def summary(study: Study) -> dict[str, Any]:
    """The content of ``summary.json`` (schema: docs/summary-schema.md)."""
    sol = study.evidence.solution
    return to_jsonable({
        "format": SUMMARY_FORMAT,
        "scenario": {k: v for k, v in study.scenario.to_dict().items() if k != "arrival_times"},
        "seed": study.seed,
        "quick": study.quick,
        "seconds": study.seconds,
        "timings": study.timings,
        "config": study.config.to_dict(),
        "rules": study.rules.to_dict(),
        "game": sol.to_dict() | {"critical_visibility": study.evidence.critical_visibility},
        "headline": headline_sentence(study),
        "strategy_classes": strategy_rows(study.evidence.run, HEADLINE_BASELINE, study.rules),
        "claims": [o.to_dict() for o in study.outcomes],
        "arms": [{"name": a.name, "family": a.family, "role_symmetric": a.role_symmetric, "params": a.params,
                  "ill_defined": study.evidence.run.ill_defined(a, HEADLINE_BASELINE, study.rules)} for a in study.evidence.run.arms],
    })


# ====================================================================== report.md
def _params_table(study: Study) -> list[str]:
    sc = study.scenario
    rows = [
        ("utilisation (= pair arrival rate L; mean demand 1 is the time unit)", f"{sc.utilisation:g}"),
        ("demand", str(sc.demand)),
        ("hand-off delay d (data path)", f"{sc.handoff_delay:g}"),
        ("message latency D (control path)", f"{sc.message_latency:g}"),
        ("service discipline", str(sc.discipline)),
        ("baseline task T(t)", str(sc.baseline)),
        ("servers observe", "class and busy flag" if tuple(sc.backlog_levels or ()) else "own customer's demand class"),
        ("role coin", str(bool(sc.role_coin))),
        ("pairs per replication (warm-up)", f"{sc.n_pairs} ({sc.warmup})"),
        ("replications (common random numbers)", f"{sc.replications}"),
        ("root seed (numpy SeedSequence entropy)", f"{study.seed}"),
        ("interruption price of the headline game lam", f"{study.config.lam:g}"),
        ("run", f"{'reduced (--quick)' if study.quick else 'full'}, {study.seconds:.1f} s"),
    ]
    return ["| parameter | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]


def render_markdown(study: Study) -> str:
    """``report.md`` of a study."""
    sc = study.scenario
    run = study.evidence.run
    sol = study.evidence.solution
    rules = study.rules
    lines = [f"# qcoord report: T = {sc.baseline}, {_scenario_words(study)}", ""]
    # ---------------------------------------------------------------- summary
    losses = [o for o in study.outcomes if o.claim.kind == "scope" and o.verdict.outcome == "loss"]
    nulls = [o for o in study.outcomes if o.claim.kind == "scope" and o.verdict.outcome == "no significant difference"]
    failed = [o for o in study.outcomes if o.claim.kind == "advantage" and o.verdict.status == NOT_HELD]
    controls = [o for o in study.outcomes if o.claim.kind in ("control", "certificate")]
    lines += [
        "## Summary", "",
        f"Two servers serve customers that arrive in pairs and run a preemptible baseline task whose output is T(t) = {sc.baseline} "
        "for an uninterrupted run of length t. For each pair, each server decides KEEP or FORWARD. We compared, on the same "
        f"simulated inputs ({sc.replications} replications of {sc.n_pairs} pairs), entangled routing (no messages) with every local "
        "rule and shared-randomness mixture (the best-local benchmark), with strategies that communicate (message latency D) "
        "and with the pair game's oracle.", "",
        headline_sentence(study), "",
        "What it buys: total baseline time does not depend on routing, so throughput moves little by construction (a "
        "restart of an idle run costs about c units of output for T = setup(c)); the same Pareto improvement read as waiting "
        "at equal throughput, or as restarts avoided, is larger. Every figure is a paired difference with its 95% CI; "
        f"differences below {100 * rules.practical_zero:g}% are treated as zero.", "",
    ]
    rows = {r["class"]: r for r in strategy_rows(run, HEADLINE_BASELINE, rules)}
    tail = [(lab, rows[c]) for c, lab in (("entangled", "entangled"), ("local", "the best local rule"),
                                          ("shared", "shared randomness at the entangled strategy's split probability"))
            if c in rows]
    if tail:
        lines += ["Waiting in the tail (p95 / p99, units of mean demand): " + "; ".join(
            f"{lab} {num(r['waiting_p95']['mean'], 3)} / {num(r['waiting_p99']['mean'], 3)} (mean {num(r['mean_waiting']['mean'], 3)})"
            for lab, r in tail) + ". Entangled routing consolidates more pairs than the best local rule, so its tail is "
            "longer than that rule's; compare it with strategies of the same split probability.", ""]
    if losses or nulls or failed:
        lines.append("Where entanglement does not help here:")
        for o in failed:
            lines.append(f"- {o.claim.title}: NOT HELD ({o.verdict.reason}).")
        for o in losses:
            lines.append(f"- {o.claim.title}: {verdict_word(o)} ({o.verdict.reason}).")
        for o in nulls:
            lines.append(f"- {o.claim.title}: no significant difference ({o.verdict.reason}).")
        lines.append("")
    lines.append("Controls: " + "; ".join(f"{o.claim.title.split(':')[0]}: {verdict_word(o)} ({o.verdict.reason})" for o in controls) + ".")
    lines.append("")
    # ---------------------------------------------------------------- reading rules and glossary
    lines += [
        "## How to read this report", "",
        f"- A difference between two strategies is computed replication by replication on common random numbers and "
        f"summarised by its paired {100 * rules.confidence:g}% t interval [low, high].",
        "- **gain** / **loss**: the whole interval lies above / below zero and the mean exceeds "
        f"{100 * rules.practical_zero:g}% in size; otherwise **no significant difference**. A claim is HELD only when its "
        "test says so; UNDEFINED says what is missing.",
        f"- An arm whose longest idle run covers at least {100 * rules.max_idle_fraction:g}% of the statistics window and whose "
        f"output per unit time would change by more than {100 * rules.horizon_rtol:g}% if that run were halved has no "
        f"stationary throughput (ill-defined): it is excluded from every frontier and gain. So is an arm whose queues take "
        f"more than {100 * rules.max_drain_fraction:g}% of the window to drain.",
        "- The best-local benchmark is the concave envelope of every local rule and mixture (block time-sharing reaches it "
        "without communication); the Pareto front of per-pair mixtures is given beside it as a secondary benchmark.",
        "- The model and the game are described in `docs/model.md` of the qcoord repository; the schema of "
        "`summary.json` in `docs/summary-schema.md`.", "",
        "## Glossary", "",
    ]
    lines += [f"- **{k}**: {v}." for k, v in GLOSSARY] + [""]
    lines += ["## Parameters", ""] + _params_table(study) + [""]
    # ---------------------------------------------------------------- game
    lines += [
        "## The pair game (one shot)", "",
        f"Payoff -(pair waiting)/2 - lam x (interruptions), lam = {study.config.lam:g}, pricing `{sol.compiled.pricing}`: "
        f"classical {sol.classical_value:.6f} (certified; threshold rule: {sol.is_threshold}), entangled {sol.quantum_value:.6f}, "
        f"NPA upper bound {num(sol.npa_value, 7)}, no-signalling {num(sol.nonsignaling_value, 7)}; critical visibility "
        f"v* = {num(study.evidence.critical_visibility)}.", "",
    ]
    # ---------------------------------------------------------------- tables
    lines += ["## Strategy classes", "",
              f"T = {sc.baseline}. Gains are relative, against the best-local benchmark, paired 95% CI. Restarts = interruptions of an idle "
              "baseline run per unit time.", ""]
    lines += _class_table(strategy_rows(run, HEADLINE_BASELINE, rules)) + [""]
    t2 = study.evidence.powers.get(2.0)
    if t2 is not None:
        _, flagged, sym_only = run.reference(t2, rules)
        lines += ["### Beside it: T = t^2 on the same runs", "",
                  "Same routing and waiting, only the output function differs. "
                  + (f"{len(flagged)} local arm(s) have no stationary t^2 throughput ({', '.join(f'`{n}`' for n in sorted(flagged))}): "
                     "a rule that interrupts one server ever more rarely earns ever more under t^k, so a comparison with all "
                     "classical strategies is ill-posed; the gains below are against the role-symmetric local strategies only." if sym_only else ""), ""]
        lines += _class_table(strategy_rows(run, t2, rules)) + [""]
    lines += ["## Figures", "",
              "![mean waiting vs throughput](frontier.png)", "",
              "![gain vs visibility](gain_vs_visibility.png)", "",
              "![frontiers minus communicating policies vs message latency](gain_vs_delay.png)", ""]
    # ---------------------------------------------------------------- claims
    lines += ["## Claims and controls", ""]
    for o in study.outcomes:
        lines += [f"### {o.claim.title}", "", f"**{verdict_word(o)}**: {o.verdict.reason}. Control: {o.claim.control}.", ""]
        if o.measurement is not None:
            lines += RENDERERS[o.claim.key](o.measurement) + [""]
    lines += ["## Files", "",
              "- `frontier.png`: mean waiting vs throughput, best-local envelope and Pareto front, every family, headline point with CIs",
              "- `gain_vs_visibility.png`: gain at equal waiting vs pair visibility, with v* and the measured zero crossing",
              "- `gain_vs_delay.png`: entangled and best-local frontiers minus each communicating policy vs message latency D",
              "- `summary.json`: every measurement, verdict, reason and timing, with seeds and parameters", ""]
    return "\n".join(lines)


def write_report(out_dir: str | Path, study: Study) -> dict[str, Path]:
    """Write the report folder of a study: figures, ``summary.json`` and ``report.md``.

    Parameters
    ----------
    out_dir : path
        Created if missing (the CLI checks beforehand that it may be written).
    study : Study

    Returns
    -------
    dict file name -> path.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = _figures(study, out)
    (out / "summary.json").write_text(json.dumps(summary(study), indent=1, allow_nan=False) + "\n")
    paths["summary.json"] = out / "summary.json"
    (out / "report.md").write_text(render_markdown(study))
    paths["report.md"] = out / "report.md"
    return paths

