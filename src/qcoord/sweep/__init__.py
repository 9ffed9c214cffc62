"""Parameter sweeps beyond one machine: TOML specs, process-pool or Dask execution, SQLite results.

Public surface::

    spec = load_spec("examples/sweeps/sweep_small.toml")          # SweepSpec (validated; SweepSpecError)
    summary = run_sweep(spec, "results.sqlite", executor=make_executor(workers=2))
    frame = load_results("results.sqlite")                 # pandas, one row per point and class
    plot_heatmap(frame, x="arrival_rate", y="handoff_delay", out="gain.png")

Numbers depend on the spec only: point ``i`` of the expansion uses the stream
``SeedSequence(seed).spawn(n)[i]``, whatever executor, worker count or completion order.
Re-running the same spec on the same store resumes (finished points are skipped); one sweep writes
a store at a time, and a store is verified (SQLite's quick_check, rows and checksums per task)
before it is resumed, plotted or exported.
"""

from pathlib import Path

from .executors import DaskExecutor, Executor, ExecutorError, LocalExecutor, SerialExecutor, make_executor
from .runner import (
    SweepPointError,
    SweepProgress,
    SweepSummary,
    analysis_evaluator,
    evaluate_points,
    resolve_evaluator,
    run_sweep,
)
from .spec import Axis, SweepPoint, SweepSpec, SweepSpecError, load_spec, point_seed
from .store import Integrity, PointOutcome, StoreError, SweepStore, code_version

__all__ = [
    "Axis",
    "SweepSpec",
    "SweepPoint",
    "SweepSpecError",
    "load_spec",
    "point_seed",
    "Executor",
    "ExecutorError",
    "LocalExecutor",
    "DaskExecutor",
    "SerialExecutor",
    "make_executor",
    "SweepStore",
    "StoreError",
    "Integrity",
    "PointOutcome",
    "code_version",
    "load_results",
    "SweepPointError",
    "SweepProgress",
    "SweepSummary",
    "analysis_evaluator",
    "resolve_evaluator",
    "evaluate_points",
    "run_sweep",
    "plot_heatmap",
    "plot_lines",
]


def load_results(path: str | Path):  # -> pandas.DataFrame
    """Read a results store into a pandas DataFrame (see :meth:`SweepStore.to_frame`).

    Parameters
    ----------
    path : str or Path
        SQLite file written by :func:`run_sweep` / ``qcoord sweep``; opened read-only.

    Returns
    -------
    pandas.DataFrame
        One row per (point, class): axis values, metrics, seed and bookkeeping columns.
    """
    with SweepStore(path, readonly=True) as st:
        return st.to_frame()


def __getattr__(name: str):  # plots import matplotlib: load them on first use only
    if name in ("plot_heatmap", "plot_lines"):
        from . import plots

        return getattr(plots, name)
    raise AttributeError(f"module 'qcoord.sweep' has no attribute {name!r}")
