"""`qcoord sweep` / `qcoord plot` end to end (in process), and what the plots mark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle
from typer.testing import CliRunner

from qcoord.cli import app
from qcoord.sweep import SerialExecutor, load_results, run_sweep
from qcoord.sweep.plots import PlotError, ci_bounds, facets, gain_metric, plot_heatmap, plot_lines

from .conftest import EVALUATOR, small_spec

runner = CliRunner()

SPEC = """
name = "cli"
seed = 4
replications = 3
classes = ["local", "entangled"]
[base]
n_pairs = 2000
warmup = 200
baseline = { kind = "setup", c = 1.0 }
[axes]
arrival_rate = [0.2, 0.4]
handoff_delay = [0.0, 0.1, 0.3]
"baseline.c" = [1.0, 2.0]
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    spec = d / "spec.toml"
    spec.write_text(SPEC)
    out = d / "r.sqlite"
    r = runner.invoke(app, ["sweep", str(spec), "--out", str(out), "--workers", "1", "--evaluator", EVALUATOR,
                            "--export", str(d / "r.csv")])
    assert r.exit_code == 0, r.output
    assert "12 computed now" in r.output
    assert "12/12 points" in r.output and "eta 0.0s" in r.output  # the progress bar: points done, time left
    return d, spec, out


def test_sweep_command_runs_resumes_and_exports(results):
    d, spec, out = results
    frame = load_results(out)
    assert len(frame) == 24 and set(frame.columns) >= {"arrival_rate", "handoff_delay", "baseline.c", "gain"}
    csv = pd.read_csv(d / "r.csv")
    assert len(csv) == 24 and np.allclose(csv["mean_waiting"], frame["mean_waiting"])
    again = runner.invoke(app, ["sweep", str(spec), "--out", str(out), "--evaluator", EVALUATOR])
    assert again.exit_code == 0 and "12 finished before, 0 computed now" in again.output
    assert len(load_results(out)) == 24


def test_plot_command_writes_heatmaps_per_facet_and_lines(results, tmp_path):
    d, spec, out = results
    r = runner.invoke(app, ["plot", str(out), "--x", "arrival_rate", "--y", "handoff_delay", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["heatmap_gain_arrival_rate_handoff_delay__baseline.c=1.0.png",
                    "heatmap_gain_arrival_rate_handoff_delay__baseline.c=2.0.png"]
    r = runner.invoke(app, ["plot", str(out), "--x", "handoff_delay", "--metric", "mean_waiting",
                            "--where", "baseline.c=2.0", "--where", "arrival_rate=0.4", "--out", str(tmp_path / "l")])
    assert r.exit_code == 0, r.output
    assert [p.name for p in (tmp_path / "l").glob("*.png")] == [
        "lines_mean_waiting_handoff_delay__baseline.c=2.0__arrival_rate=0.4.png"]
    assert all(p.stat().st_size > 5000 for p in tmp_path.rglob("*.png"))


@pytest.mark.parametrize(
    "args, message",
    [
        (["sweep", "{missing}", "--out", "{out}"], "error: spec: file not found"),
        (["sweep", "{bad}", "--out", "{out}"], "error: replications: must be an integer >= 1, got 0"),
        (["sweep", "{spec}", "--out", "{out}", "--workers", "0", "--evaluator", EVALUATOR],
         "error: workers: must be an integer >= 1, got 0"),
        (["sweep", "{spec}", "--out", "{out}", "--dask", "--scheduler", "tcp://x:1"], "error: dask: give either"),
        (["sweep", "{spec}", "--out", "{nodir}"], "error: out: directory does not exist"),
        (["sweep", "{spec}", "--out", "{out}", "--scheduler", "tcp://x:1", "--workers", "2"],
         "error: workers: an existing cluster"),
        (["sweep", "{other}", "--out", "{results}", "--evaluator", EVALUATOR], "holds results of a different sweep"),
        (["sweep", "{fail}", "--out", "{out}", "--evaluator", "tests.sweep.evaluators:failing_evaluator",
          "--batch-size", "1"], "error: point 1 (arrival_rate=0.6, handoff_delay=0.0): ZeroDivisionError"),
        (["plot", "{missing}", "--x", "a", "--out", "{tmp}"], "error: store: file not found"),
        (["plot", "{results}", "--x", "load", "--out", "{tmp}"], "error: x: 'load' is not an axis of this sweep"),
        (["plot", "{results}", "--x", "arrival_rate", "--y", "arrival_rate", "--out", "{tmp}"], "error: y: must differ"),
        (["plot", "{results}", "--x", "arrival_rate", "--metric", "nope", "--where", "baseline.c=1.0",
          "--where", "handoff_delay=0.1", "--out", "{tmp}"], "error: metric: 'nope' is not a column"),
        (["plot", "{results}", "--x", "arrival_rate", "--where", "baseline.c=7", "--out", "{tmp}"],
         "error: where: baseline.c = 7 is not a value of the sweep"),
        (["plot", "{results}", "--x", "arrival_rate", "--where", "nonsense", "--out", "{tmp}"],
         "error: where: expected AXIS=VALUE"),
    ],
)
def test_cli_errors_exit_2_without_traceback(results, tmp_path, args, message):
    d, spec, out = results
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.replace("replications = 3", "replications = 0"))
    small = tmp_path / "small.toml"
    small.write_text(SPEC.replace('"baseline.c" = [1.0, 2.0]\n', "").replace("[0.0, 0.1, 0.3]", "[0.0]"))
    fail = tmp_path / "fail.toml"
    fail.write_text(small.read_text().replace("[0.2, 0.4]", "[0.2, 0.6]"))
    other = tmp_path / "other.toml"
    other.write_text(SPEC.replace("seed = 4", "seed = 5"))
    subs = {"missing": str(tmp_path / "missing.toml"), "bad": str(bad), "spec": str(small), "out": str(tmp_path / "o.sqlite"),
            "nodir": str(tmp_path / "no" / "o.sqlite"), "other": str(other), "fail": str(fail), "results": str(out), "tmp": str(tmp_path / "p")}
    if args[1] == "{missing}" and args[0] == "plot":
        subs["missing"] = str(tmp_path / "missing.sqlite")
    r = runner.invoke(app, [a.format(**subs) for a in args])
    text = " ".join(r.output.split())
    assert r.exit_code == 2, text
    assert message in text, text
    assert "Traceback" not in text


def test_heatmap_hatches_exactly_the_no_advantage_cells(tmp_path):
    spec = small_spec()
    run_sweep(spec, tmp_path / "h.sqlite", evaluator=EVALUATOR, executor=SerialExecutor())
    frame = load_results(tmp_path / "h.sqlite")
    assert gain_metric(frame) == "gain"
    fig = plot_heatmap(frame, "arrival_rate", "handoff_delay")
    ax = fig.axes[0]
    hatched = {(round(p.get_x() + 0.5), round(p.get_y() + 0.5)) for p in ax.patches
               if isinstance(p, Rectangle) and p.get_hatch()}
    ent = frame[frame["class"] == "entangled"]
    xs, ys = sorted(ent["arrival_rate"].unique()), sorted(ent["handoff_delay"].unique())
    expected = {(xs.index(r.arrival_rate), ys.index(r.handoff_delay)) for r in ent.itertuples() if r.gain_ci_low <= 0}
    # The evaluator's entangled class is slower for handoff_delay >= 0.2: those cells have no advantage.
    assert expected == {(i, j) for i in range(3) for j in (2, 3)}
    assert hatched == expected
    # Cell colours are the gains.
    mesh = ax.collections[0]
    grid = np.asarray(mesh.get_array()).reshape(len(ys), len(xs))
    for r in ent.itertuples():
        assert grid[ys.index(r.handoff_delay), xs.index(r.arrival_rate)] == pytest.approx(r.gain)


def test_lines_draw_ci_bands_and_plot_helpers(tmp_path):
    spec = small_spec()
    run_sweep(spec, tmp_path / "l.sqlite", evaluator=EVALUATOR, executor=SerialExecutor())
    frame = load_results(tmp_path / "l.sqlite")
    fig = plot_lines(frame, "handoff_delay", metric="mean_waiting", where={"arrival_rate": 0.4})
    ax = fig.axes[0]
    assert [l.get_label() for l in ax.get_lines() if not l.get_label().startswith("_")] == ["entangled", "local"]
    assert len(ax.collections) == 2  # one CI band per class
    band = ax.collections[1].get_paths()[0].vertices
    loc = frame[(frame["class"] == "local") & np.isclose(frame["arrival_rate"], 0.4)]
    lo = (loc["mean_waiting"] - loc["mean_waiting_ci"]).min()
    assert band[:, 1].min() == pytest.approx(lo)
    # Helpers: CI conventions, facets, errors.
    lo_hi = ci_bounds(frame, "gain")
    assert np.allclose(lo_hi[0], frame["gain_ci_low"], equal_nan=True)
    assert facets(frame, ["handoff_delay"]) == [{"arrival_rate": 0.2}, {"arrival_rate": 0.4}, {"arrival_rate": 0.6}]
    with pytest.raises(PlotError, match="^where: axis 'arrival_rate' varies and is not plotted"):
        plot_lines(frame, "handoff_delay")
    toy = pd.DataFrame({"class": ["a"], "x": [1.0], "gain_vs_symmetric_local": [0.2],
                        "gain_vs_symmetric_ci_low": [0.1], "gain_vs_symmetric_ci_high": [0.3],
                        "gain_ci_low": [-9.0], "gain_ci_high": [9.0], "throughput": [1.0], "throughput_hw": [0.5]})
    assert ci_bounds(toy, "gain_vs_symmetric_local") == (pytest.approx([0.1]), pytest.approx([0.3]))
    assert ci_bounds(toy, "throughput") == (pytest.approx([0.5]), pytest.approx([1.5]))
    assert ci_bounds(toy, "x") is None


def test_lines_by_a_second_axis(results, tmp_path):
    d, spec, out = results
    frame = load_results(out)
    fig = plot_lines(frame, "handoff_delay", by="arrival_rate", where={"baseline.c": 1.0})
    ax = fig.axes[0]
    labels = [l.get_label() for l in ax.get_lines() if not l.get_label().startswith("_")]
    assert labels == ["arrival_rate = 0.2", "arrival_rate = 0.4"]
    ent = frame[(frame["class"] == "entangled") & (frame["baseline.c"] == 1.0) & (frame["arrival_rate"] == 0.4)]
    assert np.allclose(ax.get_lines()[1].get_ydata(), ent.sort_values("handoff_delay")["gain"])
    with pytest.raises(PlotError, match="^classes: with by="):
        plot_lines(frame, "handoff_delay", by="arrival_rate", classes=["local", "entangled"], where={"baseline.c": 1.0})
    r = runner.invoke(app, ["plot", str(out), "--x", "handoff_delay", "--by", "arrival_rate", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "lines_gain_handoff_delay_by_arrival_rate__baseline.c=1.0.png",
        "lines_gain_handoff_delay_by_arrival_rate__baseline.c=2.0.png"]
    r = runner.invoke(app, ["plot", str(out), "--x", "handoff_delay", "--by", "arrival_rate", "--y", "baseline.c",
                            "--out", str(tmp_path)])
    assert r.exit_code == 2 and "by: draws lines" in r.output


def test_table_valued_axis_and_odd_paths(tmp_path):
    odd = tmp_path / "dir with space #1"
    odd.mkdir()
    spec = small_spec(base={"n_pairs": 2000},
                      axes={"arrival_rate": [0.2, 0.4], "demand": [{"kind": "exponential", "mean": 1.0}, {"kind": "two_point"}]})
    run_sweep(spec, odd / "r?.sqlite", evaluator=EVALUATOR, executor=SerialExecutor())
    frame = load_results(odd / "r?.sqlite")  # read-only URI of a path with spaces, '#' and '?'
    assert sorted(frame["demand"].unique()) == ['{"kind":"exponential","mean":1.0}', '{"kind":"two_point"}']
    fig = plot_lines(frame, "arrival_rate", metric="mean_waiting", where={"demand": {"mean": 1.0, "kind": "exponential"}})
    assert len(fig.axes[0].get_lines()) == 2
    fig = plot_heatmap(frame, "arrival_rate", "demand")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ['{"kind":"exponential","mean":1.0}',
                                                                     '{"kind":"two_point"}']


@pytest.mark.parametrize(
    "edit, extra, message",
    [
        (lambda s: s, ["--batch-size", "0"], "error: batch_size: must be an integer >= 1, got 0"),
        (lambda s: s.replace("arrival_rate = [", "arival_rate = ["), [],
         "error: axes.arival_rate: not a Scenario field; allowed: arrival_process, arrival_rate"),
        (lambda s: s.replace("[0.2, 0.4]", "[0.2, 1.2]"), [],
         "error: arrival_rate: the utilisation arrival_rate * mean demand = 1.2 must be < 1"),
    ],
)
def test_cli_sweep_bad_input_creates_no_results_file(tmp_path, edit, extra, message):
    spec = tmp_path / "s.toml"
    spec.write_text(edit(SPEC))
    out = tmp_path / "o.sqlite"
    r = runner.invoke(app, ["sweep", str(spec), "--out", str(out), "-q", *extra])
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and message in text and "Traceback" not in text, text
    assert not out.exists()
