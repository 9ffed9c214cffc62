"""Advantage maps from sweep results: a gain heatmap over two axes, CI-band line plots over one.

Both functions take the frame of :func:`qcoord.sweep.load_results` (one row per point and class).

- :func:`plot_heatmap`: the gain metric (default: ``gain_equal_waiting`` of
  ``qcoord.analysis.evaluate_point``, the throughput gain of entangled over the best local strategy
  at equal mean waiting) over two axes. Cells whose 95% CI does not exclude zero on the positive
  side (``ci_low <= 0``), or without CI whose gain is ``<= 0``, form the *no-advantage region* and
  are hatched. Axis values are placed on an equally spaced categorical grid in sorted order (so
  log-spaced axes read naturally).
- :func:`plot_lines`: a metric against one axis, one line per strategy class, with its 95% CI as a
  shaded band.

CI columns are found by name, in this order: ``<m>_ci_low/<m>_ci_high``, ``<m>_lo/<m>_hi``,
``<m>_low/<m>_high``; else a half width ``<m>_hw``, ``<m>_ci`` or ``<m>_ci95`` (band ``m +- hw``);
else the CI of the longest name prefix (``gain_equal_waiting`` -> ``gain_ci_low/gain_ci_high``,
``gain_vs_symmetric_local`` -> ``gain_vs_symmetric_ci_*``).

Axes not plotted must be fixed with ``where={axis: value}`` when they vary;
:func:`facets` lists the combinations so a caller can draw one figure per combination.
Figures are built with ``matplotlib.figure.Figure`` (no pyplot state, Agg canvas).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

__all__ = ["PlotError", "plot_heatmap", "plot_lines", "facets", "gain_metric", "ci_bounds"]

GAIN_METRICS = ("gain_equal_waiting", "gain", "throughput_gain")
_META_COLS = {"point_index", "point_key", "class", "seed", "root_seed", "replications", "elapsed_s",
              "code_version", "scenario"}


class PlotError(ValueError):
    """A plot request that the results cannot satisfy (unknown axis, metric or class)."""


def _axes_of(frame: pd.DataFrame, axes: Sequence[str] | None) -> list[str]:
    if axes is not None:
        return list(axes)
    return list(frame.attrs.get("axes", []))


def gain_metric(frame: pd.DataFrame) -> str:
    """The default gain column: the first of ``gain_equal_waiting, gain, throughput_gain`` with data."""
    for m in GAIN_METRICS:
        if m in frame.columns and frame[m].notna().any():
            return m
    cands = [c for c in frame.columns if str(c).startswith("gain") and not _is_ci_col(str(c))
             and pd.api.types.is_numeric_dtype(frame[c]) and frame[c].notna().any()]
    if cands:
        return str(cands[0])
    raise PlotError("metric: the results hold no gain column (gain_equal_waiting, gain, ...); name one with --metric")


def _is_ci_col(c: str) -> bool:
    return c.endswith(("_ci_low", "_ci_high", "_lo", "_hi", "_low", "_high", "_hw", "_ci", "_ci95"))


def ci_bounds(frame: pd.DataFrame, metric: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Lower and upper 95% CI of ``metric`` per row, from whichever CI columns exist (or ``None``)."""
    cols = frame.columns
    pairs = [(f"{metric}_ci_low", f"{metric}_ci_high"), (f"{metric}_lo", f"{metric}_hi"),
             (f"{metric}_low", f"{metric}_high")]
    for lo, hi in pairs:
        if lo in cols and hi in cols:
            return frame[lo].to_numpy(float), frame[hi].to_numpy(float)
    for hw in (f"{metric}_hw", f"{metric}_ci", f"{metric}_ci95"):
        if hw in cols:
            m = frame[metric].to_numpy(float)
            h = frame[hw].to_numpy(float)
            return m - h, m + h
    # Shared CI of a family: gain_equal_waiting -> gain_ci_*, gain_vs_symmetric_local ->
    # gain_vs_symmetric_ci_*, waiting_saved_equal_split -> waiting_saved_ci_* (longest prefix first).
    parts = metric.split("_")
    for k in range(len(parts) - 1, 0, -1):
        stem = "_".join(parts[:k])
        lo, hi = f"{stem}_ci_low", f"{stem}_ci_high"
        if lo in cols and hi in cols:
            return frame[lo].to_numpy(float), frame[hi].to_numpy(float)
    return None


def facets(frame: pd.DataFrame, plotted: Sequence[str], axes: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Every combination of the values of the axes that vary and are not plotted (``[{}]`` if none)."""
    rest = [a for a in _axes_of(frame, axes) if a not in plotted and a in frame.columns
            and frame[a].nunique(dropna=False) > 1]
    if not rest:
        return [{}]
    values = [sorted(frame[a].dropna().unique().tolist(), key=_sort_key) for a in rest]
    return [dict(zip(rest, combo)) for combo in itertools.product(*values)]


def _sort_key(v: Any) -> tuple[int, Any]:
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return (0, float(v))
    return (1, str(v))


def _select(frame: pd.DataFrame, *, where: Mapping[str, Any] | None, plotted: Sequence[str],
            axes: Sequence[str] | None) -> pd.DataFrame:
    for a in plotted:
        if a not in frame.columns:
            known = ", ".join(_axes_of(frame, axes)) or "(none)"
            raise PlotError(f"{a}: not an axis of this sweep; axes are {known}")
    sel = frame
    for a, v in (where or {}).items():
        if a not in frame.columns:
            raise PlotError(f"where: {a!r} is not an axis of this sweep")
        col = sel[a]
        if pd.api.types.is_numeric_dtype(col):
            try:
                fv = float(v)
            except (TypeError, ValueError):
                raise PlotError(f"where: {a} must be a number, got {v!r}") from None
            mask = np.isclose(col.to_numpy(float), fv, rtol=1e-9, atol=1e-12)
        else:
            from .spec import canonical_json

            text = canonical_json(v) if isinstance(v, (dict, list)) else str(v)
            mask = col.astype(str) == text
        if not mask.any():
            vals = ", ".join(str(x) for x in sorted(frame[a].unique().tolist(), key=_sort_key))
            raise PlotError(f"where: {a} = {v!r} is not a value of the sweep; values are {vals}")
        sel = sel[mask]
    rest = [a for a in _axes_of(frame, axes) if a not in plotted and a not in (where or {})
            and a in sel.columns and sel[a].nunique(dropna=False) > 1]
    if rest:
        raise PlotError(f"where: axis {rest[0]!r} varies and is not plotted; fix it with where "
                        f"(--where {rest[0]}=VALUE) or plot one figure per value")
    return sel


def _pick_class(sel: pd.DataFrame, metric: str, cls: str | None) -> pd.DataFrame:
    if metric not in sel.columns:
        raise PlotError(f"metric: {metric!r} is not a column of the results")
    if cls is not None:
        rows = sel[sel["class"] == cls]
        if rows.empty:
            raise PlotError(f"class: {cls!r} is not in the results; classes are {sorted(sel['class'].unique())}")
        return rows
    with_metric = sel[sel[metric].notna()]
    classes = sorted(with_metric["class"].unique())
    if not classes:
        raise PlotError(f"metric: {metric!r} has no values in the selected rows")
    if len(classes) == 1:
        return with_metric
    if "entangled" in classes:
        return with_metric[with_metric["class"] == "entangled"]
    raise PlotError(f"class: {metric!r} is given for several classes {classes}; choose one with --class")


def _label(where: Mapping[str, Any] | None) -> str:
    return ", ".join(f"{k} = {v}" for k, v in (where or {}).items())


def _finish(fig: Figure, out: str | Path | None) -> Figure | Path:
    if out is None:
        return fig
    p = Path(out)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=120, bbox_inches="tight")
    return p


def plot_heatmap(frame: pd.DataFrame, x: str, y: str, *, metric: str | None = None, cls: str | None = None,
                 where: Mapping[str, Any] | None = None, axes: Sequence[str] | None = None,
                 out: str | Path | None = None, title: str | None = None) -> Figure | Path:
    """Heatmap of a gain metric over axes ``x`` and ``y`` with the no-advantage region hatched.

    Parameters
    ----------
    frame : DataFrame
        Sweep results (:func:`qcoord.sweep.load_results`).
    x, y : str
        Axis names (columns).
    metric : str, optional
        Column to map (default :func:`gain_metric`).
    cls : str, optional
        Strategy class whose rows carry the metric (default: the only class with values, or
        ``"entangled"``).
    where : mapping, optional
        Values of the other varying axes.
    out : path, optional
        Write a PNG there and return the path; otherwise return the Figure.

    Returns
    -------
    matplotlib.figure.Figure or pathlib.Path
        The figure, or the path of the PNG written when ``out`` is given.

    Notes
    -----
    A cell is *no advantage* when the lower 95% CI bound of the gain is ``<= 0`` (the CI does not
    exclude zero on the positive side) or, without a CI, when the gain is ``<= 0``. Cells of points
    not (yet) computed stay blank.
    """
    if x == y:
        raise PlotError(f"y: must differ from x, both are {x!r}")
    metric = metric or gain_metric(frame)
    sel = _pick_class(_select(frame, where=where, plotted=(x, y), axes=axes), metric, cls)
    xs = sorted(sel[x].unique().tolist(), key=_sort_key)
    ys = sorted(sel[y].unique().tolist(), key=_sort_key)
    xi = {v: i for i, v in enumerate(xs)}
    yi = {v: i for i, v in enumerate(ys)}
    grid = np.full((len(ys), len(xs)), np.nan)
    lo_grid = np.full_like(grid, np.nan)
    bounds = ci_bounds(sel, metric)
    vals = sel[metric].to_numpy(float)
    for k, (xv, yv) in enumerate(zip(sel[x], sel[y])):
        grid[yi[yv], xi[xv]] = vals[k]
        if bounds is not None:
            lo_grid[yi[yv], xi[xv]] = bounds[0][k]
    no_adv = np.where(np.isnan(lo_grid), grid <= 0, lo_grid <= 0) & ~np.isnan(grid)

    fig = Figure(figsize=(1.2 + 0.75 * max(4, len(xs)), 1.4 + 0.55 * max(4, len(ys))))
    ax = fig.add_subplot()
    finite = grid[np.isfinite(grid)]
    if finite.size and finite.min() < 0 < finite.max():
        norm = TwoSlopeNorm(vcenter=0.0, vmin=finite.min(), vmax=finite.max())
        cmap = "RdBu"
    else:
        norm = None
        cmap = "Blues" if finite.size and finite.min() >= 0 else "Reds_r"
    mesh = ax.pcolormesh(np.arange(len(xs) + 1) - 0.5, np.arange(len(ys) + 1) - 0.5,
                         np.ma.masked_invalid(grid), cmap=cmap, norm=norm, shading="flat")
    fig.colorbar(mesh, ax=ax, label=metric)
    for (r, c), flag in np.ndenumerate(no_adv):
        if flag:
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, hatch="///", edgecolor="0.35",
                                   linewidth=0.0))
    if grid.size <= 144:
        for (r, c), v in np.ndenumerate(grid):
            if np.isfinite(v):
                ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(xs)), [_fmt(v) for v in xs], rotation=45 if len(xs) > 6 else 0)
    ax.set_yticks(range(len(ys)), [_fmt(v) for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    cname = str(sel["class"].iloc[0]) if len(sel) else ""
    sub = _label(where)
    ax.set_title(title or f"{metric} ({cname})" + (f"\n{sub}" if sub else ""), fontsize=10)
    ax.legend(handles=[Patch(facecolor="white", edgecolor="0.35", hatch="///",
                             label="no advantage (95% CI low <= 0)")],
              loc="upper center", bbox_to_anchor=(0.5, -0.2 if len(xs) <= 6 else -0.28), fontsize=8, frameon=False)
    return _finish(fig, out)


def plot_lines(frame: pd.DataFrame, x: str, *, metric: str | None = None, classes: Sequence[str] | None = None,
               by: str | None = None, where: Mapping[str, Any] | None = None, axes: Sequence[str] | None = None,
               out: str | Path | None = None, title: str | None = None, logx: bool | None = None) -> Figure | Path:
    """A metric against axis ``x`` with its 95% CI as a shaded band per line.

    Without ``by``: one line per class. With ``by``: one line per value of that second axis, for
    one class (``classes=[name]``, or the class chosen as for :func:`plot_heatmap`).

    Parameters
    ----------
    metric : str, optional
        Column to plot (default :func:`gain_metric`).
    classes : sequence of str, optional
        Classes to draw (default: every class with values of the metric).
    by : str, optional
        Second axis: one line per value.
    logx : bool, optional
        Log x axis; default when all values are positive and span more than a factor 50.
    where, axes, out, title :
        As for :func:`plot_heatmap`.

    Returns
    -------
    matplotlib.figure.Figure or pathlib.Path
        The figure, or the path of the PNG written when ``out`` is given.
    """
    metric = metric or gain_metric(frame)
    if by is not None and by == x:
        raise PlotError(f"by: must differ from x, both are {x!r}")
    sel = _select(frame, where=where, plotted=(x,) if by is None else (x, by), axes=axes)
    if metric not in sel.columns:
        raise PlotError(f"metric: {metric!r} is not a column of the results")
    if not pd.api.types.is_numeric_dtype(sel[x]):
        raise PlotError(f"x: axis {x!r} is not numeric; use it as a heatmap axis or fix it with where")
    sel = sel[sel[metric].notna()]
    if by is None:
        names = list(classes) if classes else sorted(sel["class"].unique())
        if not names:
            raise PlotError(f"metric: {metric!r} has no values in the selected rows")
        series = []
        for name in names:
            rows = sel[sel["class"] == name]
            if rows.empty:
                raise PlotError(f"classes: {name!r} has no values of {metric!r}")
            series.append((str(name), rows))
        what = ""
    else:
        if classes is not None and len(classes) != 1:
            raise PlotError(f"classes: with by={by!r} give exactly one class, got {list(classes)}")
        rows = _pick_class(sel, metric, classes[0] if classes else None)
        series = [(f"{by} = {_fmt(v)}", rows[rows[by] == v])
                  for v in sorted(rows[by].unique().tolist(), key=_sort_key)]
        what = f" ({rows['class'].iloc[0]})"
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot()
    for label, rows in series:
        rows = rows.sort_values(x)
        xv = rows[x].to_numpy(float)
        (line,) = ax.plot(xv, rows[metric].to_numpy(float), "o-", ms=3, label=label)
        b = ci_bounds(rows, metric)
        if b is not None:
            ax.fill_between(xv, b[0], b[1], color=line.get_color(), alpha=0.2, linewidth=0)
    xall = sel[x].to_numpy(float)
    if logx is None:
        logx = bool(xall.size and xall.min() > 0 and xall.max() / xall.min() > 50)
    if logx:
        ax.set_xscale("log")
    if metric.startswith("gain"):
        ax.axhline(0.0, color="0.3", lw=0.8, ls="--")
    ax.set_xlabel(x)
    ax.set_ylabel(metric)
    sub = _label(where)
    ax.set_title(title or f"{metric}{what} vs {x} (95% CI bands)" + (f"\n{sub}" if sub else ""), fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _finish(fig, out)


def _fmt(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)
