"""Figures of the report (matplotlib, Agg backend; files only, nothing is shown).

Each function takes plain arrays (means and 95% interval ends) and writes one figure to ``path``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["plot_frontier", "plot_gain_vs_visibility", "plot_gain_vs_delay", "plot_gain_vs_lam"]


def _save(fig: "plt.Figure", path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _finish(fig: "plt.Figure", ax: Any, path: str | Path, xlabel: str, ylabel: str, title: str, loc: str = "best") -> Path:
    """Label the axes, title, grid and legend every figure shares, then save it (:func:`_save`)."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc=loc)
    return _save(fig, path)


def plot_frontier(curves: Mapping[str, Mapping[str, Sequence[float]]], path: str | Path, *, title: str = "") -> Path:
    """Mean waiting vs baseline throughput, one curve per strategy class with 95% CI bands.

    Parameters
    ----------
    curves : mapping label -> {"w", "w_lo", "w_hi", "t", "t_lo", "t_hi"}
        Points of each class (sorted by waiting here); ``*_lo``/``*_hi`` are the 95% interval
        ends. A class with one point is drawn as a point with error bars.
    path : path of the PNG file.
    """
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, c in curves.items():
        w = np.asarray(c["w"], dtype=float)
        t = np.asarray(c["t"], dtype=float)
        order = np.argsort(w)
        w, t = w[order], t[order]
        tlo = np.asarray(c.get("t_lo", t), dtype=float)[order]
        thi = np.asarray(c.get("t_hi", t), dtype=float)[order]
        wlo = np.asarray(c.get("w_lo", w), dtype=float)[order]
        whi = np.asarray(c.get("w_hi", w), dtype=float)[order]
        if w.size > 1:
            (line,) = ax.plot(w, t, marker="o", ms=3, label=label)
            ax.fill_between(w, tlo, thi, color=line.get_color(), alpha=0.25, lw=0)
        else:
            ax.errorbar(w, t, xerr=[w - wlo, whi - w], yerr=[t - tlo, thi - t], fmt="s", ms=5, capsize=3, label=label)
    return _finish(
        fig, ax, path,
        "mean waiting per customer (units of mean demand)",
        "baseline throughput (output per unit time)",
        title or "Waiting / throughput frontier (95% CI bands)",
    )


def plot_gain_vs_visibility(
    visibility: Sequence[float],
    gain: Sequence[float],
    lo: Sequence[float],
    hi: Sequence[float],
    path: str | Path,
    *,
    critical: float | None = None,
    one_shot: Sequence[float] | None = None,
) -> Path:
    """Throughput gain over the best local strategy at equal waiting vs pair visibility v.

    ``critical`` marks the game's critical visibility (noisy value = classical value);
    ``one_shot`` optionally overlays the one-shot advantage (quantum - classical payoff) on a
    second axis.
    """
    v = np.asarray(visibility, dtype=float)
    g = np.asarray(gain, dtype=float)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.errorbar(v, g, yerr=[g - np.asarray(lo), np.asarray(hi) - g], fmt="o-", capsize=3, label="simulated gain")
    ax.axhline(0.0, color="k", lw=0.8)
    if critical is not None and np.isfinite(critical):
        ax.axvline(critical, color="C3", ls="--", label=f"critical visibility {critical:.3f}")
    if one_shot is not None:
        ax2 = ax.twinx()
        ax2.plot(v, one_shot, "C2:", label="one-shot advantage")
        ax2.set_ylabel("one-shot advantage (payoff)", color="C2")
    return _finish(
        fig, ax, path,
        "visibility v of the shared pairs (fidelity (1+3v)/4)",
        "throughput gain vs best local",
        "Gain at equal mean waiting vs pair visibility (95% CI)",
        loc="upper left",
    )


def plot_gain_vs_delay(
    latency: Sequence[float],
    series: Mapping[str, Mapping[str, Sequence[float]]],
    path: str | Path,
    *,
    crossovers: Mapping[str, float | None] | None = None,
) -> Path:
    """Entangled throughput minus a communicating class's, at equal waiting, vs message latency D.

    Parameters
    ----------
    latency : message latencies D (time units).
    series : label -> {"gain", "lo", "hi"}: per-D paired difference (entangled minus that class;
        positive = entanglement wins) and its 95% interval.
    crossovers : label -> D where the sign changes (drawn as vertical lines).
    """
    D = np.asarray(latency, dtype=float)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for i, (label, s) in enumerate(series.items()):
        g = np.asarray(s["gain"], dtype=float)
        ax.errorbar(D, g, yerr=[g - np.asarray(s["lo"]), np.asarray(s["hi"]) - g], fmt="o-", capsize=3, color=f"C{i}", label=label)
        if crossovers and crossovers.get(label) is not None and np.isfinite(crossovers[label]):  # type: ignore[arg-type]
            ax.axvline(float(crossovers[label]), color=f"C{i}", ls="--", lw=0.8)  # type: ignore[arg-type]
    ax.axhline(0.0, color="k", lw=0.8)
    return _finish(
        fig, ax, path,
        "message latency D (units of mean demand)",
        "entangled minus communicating (throughput)",
        "Entanglement vs communication at equal waiting (95% CI)",
    )


def plot_gain_vs_lam(
    split: Sequence[float], advantage: Sequence[float], path: str | Path, *, label: str = "one-shot advantage"
) -> Path:
    """One-shot entangled advantage (quantum - classical payoff) against the split probability."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(np.asarray(split), np.asarray(advantage), "o-", label=label)
    ax.axhline(0.0, color="k", lw=0.8)
    return _finish(
        fig, ax, path,
        "split probability p of the entangled strategy",
        "quantum - classical value",
        "Where the advantage lives: a middle range of p",
    )
