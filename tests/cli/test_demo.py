"""``qcoord demo --quick`` writes a valid report; ``qcoord run`` and clear CLI errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qcoord.analysis import REPORT_FILES
from qcoord.cli import app
from qcoord.cli.demo import load_scenario_file

runner = CliRunner()


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    res = runner.invoke(app, ["demo", "--quick", "--json", "--out", str(out)])
    return res, out


def test_demo_quick_writes_a_valid_report(quick_report):
    res, out = quick_report
    assert res.exit_code == 0, res.output
    for name in REPORT_FILES:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())  # strict JSON (no NaN)
    assert summary["format"] == "qcoord.summary/2"
    assert summary["quick"] is True and isinstance(summary["seed"], int)
    by = {c["key"]: c for c in summary["claims"]}
    for k in ("claim1_convex", "control2_linear", "claim3_convexity", "claim4_middle_p", "claim5_visibility", "claim6_latency", "claim7_np"):
        assert k in by
    assert by["claim1_convex"]["verdict"]["status"] == "held"
    assert by["control2_linear"]["verdict"]["status"] == "held"
    assert by["claim7_np"]["verdict"]["status"] == "held"
    classes = [r["class"] for r in summary["strategy_classes"]]
    assert {"local", "local_asym", "shared", "entangled", "naive", "hold", "oracle"} <= set(classes)
    assert summary["game"]["classical_value"] == pytest.approx(-0.33921, abs=1e-5)
    assert summary["game"]["is_threshold"] is True
    report = (out / "report.md").read_text()
    assert report.startswith("# qcoord report") and "## Summary" in report
    assert "entanglement loses" in report  # scope is stated
    # the entangled row's gain cell is the relative throughput reading with its CI, as in summary.json
    ent = next(r for r in summary["strategy_classes"] if r["class"] == "entangled")
    g = ent["gain"]["throughput_at_equal_waiting"]
    row = next(line for line in report.splitlines() if line.startswith("| entangled |"))
    assert f"{100 * g['mean']:+.2f}% [{100 * g['ci_low']:+.2f}%, {100 * g['ci_high']:+.2f}%]" in row
    # --json prints the same summary on stdout
    assert json.loads(res.stdout)["seed"] == summary["seed"]
    # PNG files
    assert (out / "frontier.png").read_bytes()[:4] == b"\x89PNG"


def test_default_scenario_is_r1():
    sc, study = load_scenario_file(None)
    assert sc.arrival_rate == pytest.approx(0.1) and sc.handoff_delay == pytest.approx(0.1)
    assert sc.message_latency == pytest.approx(0.5) and sc.discipline == "srpt"
    assert str(sc.baseline).startswith("setup")
    assert study["lam"] == pytest.approx(0.5)


def test_examples_load():
    paths = sorted(Path(__file__).parents[2].joinpath("examples", "scenarios").glob("*.toml"))
    names = {p.stem for p in paths}
    assert {"linear_control", "bimodal_small_delay", "np_control", "r1_power2"} <= names
    for path in paths:
        load_scenario_file(path)
    linear, _ = load_scenario_file(paths[[p.stem for p in paths].index("linear_control")])
    default, _ = load_scenario_file(None)
    assert str(linear.baseline) == "power(1)"
    assert linear.replace(baseline=default.baseline) == default  # the default but for T
    bimodal, study = load_scenario_file(paths[[p.stem for p in paths].index("bimodal_small_delay")])
    assert (bimodal.demand.low, bimodal.demand.high, bimodal.demand.p_low) == (0.1, 1.9, 0.5)
    assert bimodal.baseline.params == {"kind": "setup", "c": 4.0} and bimodal.handoff_delay == 0.05


def test_run_missing_file_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["run", str(tmp_path / "nope.toml"), "--quick", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "scenario" in res.output and "not found" in res.output
    assert "Traceback" not in res.output


def test_run_bad_field_is_a_clear_error(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[scenario]\narrival_rate = -1.0\n")
    res = runner.invoke(app, ["run", str(f), "--quick", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "arrival_rate" in res.output and "Traceback" not in res.output
    f.write_text("[scenario]\narrival_rate = 0.1\n[study]\nlam = -2\n")
    res = runner.invoke(app, ["run", str(f), "--quick", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "study.lam" in res.output
    f.write_text("[scenario]\narrival_rate = 1.5\n")
    res = runner.invoke(app, ["run", str(f), "--quick", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "Traceback" not in res.output
    f.write_text("[scenario\n")
    res = runner.invoke(app, ["run", str(f), "--quick", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "TOML" in res.output
