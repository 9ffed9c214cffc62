"""Figures of the report (matplotlib, Agg backend; files only, nothing is shown).

Each function takes plain numbers (means and 95% interval ends, gains in percent) and writes one PNG.
:mod:`qcoord.analysis.report` extracts them from a study.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .stats import pareto_front, upper_envelope  # noqa: E402

__all__ = ["plot_frontier", "plot_gain_vs_visibility", "plot_gain_vs_delay"]


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def _arr(x: Sequence[float]) -> np.ndarray:
    return np.asarray(list(x), dtype=float)


def plot_frontier(
    benchmark: Mapping[str, Sequence[float]],
    groups: Mapping[str, Mapping[str, Sequence[float]]],
    headline: Mapping[str, float],
    path: str | Path,
    *,
    title: str,
    note: str = "",
) -> Path:
    """Mean waiting vs baseline throughput: the best-local benchmark and every strategy family.

    Parameters
    ----------
    benchmark : {"w", "t", "w_hw", "t_hw"}
        Mean waiting, mean throughput and their 95% half widths of every stationary local arm. Drawn
        as faint markers; their upper concave envelope (the primary benchmark) as a solid line and
        their Pareto front (what per-pair coins reach) as a dashed line.
    groups : label -> {"w", "t", "w_hw", "t_hw"}
        Other arms (entangled frontier, communicating, oracle), markers with error bars; a group with
        several points also gets its concave envelope as a line.
    headline : {"w", "t", "w_hw", "t_hw"}
        The headline entangled point (a star); an inset zooms on it so its CIs are visible.
    title : str
        Must name T and the scenario.
    note : str
        A caption under the axes (e.g. arms excluded as ill-defined).
    """
    fig, (ax, zx) = plt.subplots(1, 2, figsize=(12, 5.4), gridspec_kw={"width_ratios": [2.1, 1]})
    w, t = _arr(benchmark["w"]), _arr(benchmark["t"])
    w_hw, t_hw = _arr(benchmark["w_hw"]), _arr(benchmark["t_hw"])
    we, te = upper_envelope(w, t)
    wp, tp = pareto_front(w, t)
    hw, ht = float(headline["w"]), float(headline["t"])
    # the zoom panel's window: around the headline point, wide enough to show its CI and the envelope there
    dw = max(4 * float(headline["w_hw"]), 0.06 * max(hw, 1e-9))
    ref = float(np.interp(hw, we, te)) if we[0] <= hw else ht
    dt = max(abs(ht - ref) * 3, 6 * float(headline["t_hw"]), 1e-12)
    for k, axis in enumerate((ax, zx)):
        axis.errorbar(w, t, xerr=w_hw, yerr=t_hw, fmt="o", ms=3, color="0.6", alpha=0.5, elinewidth=0.6,
                      label="local rules and mixtures (each point; faint = dominated)")
        axis.plot(we, te, "-", color="k", lw=1.6, label="best local: concave envelope (primary benchmark)")
        axis.plot(wp, tp, "--", color="0.35", lw=1.0, label="best local: Pareto front of per-pair mixtures (secondary)")
        for i, (label, g) in enumerate(groups.items()):
            gw, gt = _arr(g["w"]), _arr(g["t"])
            ok = np.isfinite(gw) & np.isfinite(gt)
            if not ok.any():
                continue
            color = f"C{i}"
            axis.errorbar(gw[ok], gt[ok], xerr=_arr(g["w_hw"])[ok], yerr=_arr(g["t_hw"])[ok], fmt="s", ms=4, capsize=2,
                          color=color, label=label)
            if ok.sum() > 1:
                xe, ye = upper_envelope(gw[ok], gt[ok])
                axis.plot(xe, ye, "-", color=color, lw=1.0, alpha=0.8)
        axis.errorbar([hw], [ht], xerr=[headline["w_hw"]], yerr=[headline["t_hw"]], fmt="*", ms=14 if k == 0 else 16, color="C3",
                      mec="k", capsize=3, zorder=5, label="headline entangled strategy (95% CI)")
        axis.grid(alpha=0.3)
        axis.set_xlabel("mean waiting per customer (units of mean demand)" if k == 0 else "mean waiting per customer")
    ax.set_ylabel("baseline throughput (output of both servers per unit time)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    zx.set_xlim(hw - dw, hw + dw)
    zx.set_ylim(min(ht, ref) - dt, max(ht, ref) + dt)
    zx.set_title("zoom on the headline point (error bars: 95% CI)", fontsize=9)
    ax.indicate_inset_zoom(zx, edgecolor="C3")
    if note:
        fig.text(0.01, -0.01, note, fontsize=7, ha="left", va="top", wrap=True)
    fig.tight_layout()
    return _save(fig, path)


def plot_gain_vs_visibility(
    visibility: Sequence[float],
    gain_pct: Sequence[float],
    lo_pct: Sequence[float],
    hi_pct: Sequence[float],
    path: str | Path,
    *,
    critical: float | None,
    crossing: float | None,
    title: str,
) -> Path:
    """Throughput gain (percent, 95% CI) at equal waiting over the best local frontier vs visibility v.

    Marks the game's critical visibility ``critical`` (v*: noisy one-shot value = classical value)
    and the measured zero crossing of the mean gain ``crossing``, each labelled (omitted when
    undefined).
    """
    v, g = _arr(visibility), _arr(gain_pct)
    fig, ax = plt.subplots(figsize=(6.8, 4.2))
    ax.errorbar(v, g, yerr=[g - _arr(lo_pct), _arr(hi_pct) - g], fmt="o-", capsize=3, label="measured gain (95% CI)")
    ax.axhline(0.0, color="k", lw=0.8)
    if critical is not None and np.isfinite(critical):
        ax.axvline(critical, color="C3", ls="--", label=f"game's critical visibility v* = {critical:.3f}")
    if crossing is not None and np.isfinite(crossing):
        ax.axvline(crossing, color="C2", ls=":", label=f"measured zero crossing v = {crossing:.3f}")
    ax.set_xlabel("visibility v of the shared pairs (fidelity (1 + 3v)/4)")
    ax.set_ylabel("throughput gain at equal waiting (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return _save(fig, path)


def plot_gain_vs_delay(
    latency: Sequence[float],
    series: Mapping[str, Mapping[str, Sequence[float]]],
    path: str | Path,
    *,
    crossovers: Mapping[str, float | None],
    title: str,
) -> Path:
    """Frontier minus communicating policy (percent, 95% CI) at the latter's mean waiting, vs latency D.

    ``series``: label -> {"gain", "lo", "hi"} in percent; the label states exactly what is
    subtracted. ``crossovers``: label -> D where the mean crosses zero (a vertical line, its value in
    the legend).
    """
    D = _arr(latency)
    fig, ax = plt.subplots(figsize=(7.2, 4.5))
    for i, (label, s) in enumerate(series.items()):
        g = _arr(s["gain"])
        style = "-" if "entangled" in label else "--"
        color = f"C{i // 2}" if len(series) == 4 else f"C{i}"
        c = crossovers.get(label)
        has = c is not None and np.isfinite(c)
        ax.errorbar(D, g, yerr=[g - _arr(s["lo"]), _arr(s["hi"]) - g], fmt="o" + style, capsize=3, color=color,
                    mfc="white" if style == "--" else color,
                    label=f"{label} (crossover D* = {float(c):.3f})" if has else f"{label} (no crossover in range)")
        if has:
            ax.axvline(float(c), color=color, ls=style, lw=0.8)
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xlabel("message latency D (units of mean demand)")
    ax.set_ylabel("frontier minus communicating policy,\nthroughput at equal waiting (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)
