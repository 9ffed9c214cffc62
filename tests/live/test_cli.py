"""``qcoord emulate``: inputs checked before any process starts; a tiny run's JSON and files."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from qcoord.cli import app

runner = CliRunner()


def test_out_refused_before_work(tmp_path):
    out = tmp_path / "full"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    r = runner.invoke(app, ["emulate", "--pairs", "100", "--out", str(out)])
    assert r.exit_code == 2
    assert "--out: the folder" in r.output and "is not empty" in r.output
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_bad_options_name_the_option(tmp_path):
    r = runner.invoke(app, ["emulate", "--policies", "local,oracle", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "--policies: must be a comma-separated list" in r.output
    r = runner.invoke(app, ["emulate", "--time-unit-ms", "0.01", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "time_unit_ms: must be a number in [1, 1000]" in r.output
    r = runner.invoke(app, ["emulate", "--pairs", "20", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "n_pairs: must be an integer >= 100" in r.output
    assert not (tmp_path / "o").exists()


def test_tiny_run_json_and_files(tmp_path):
    """A scenario file with FCFS servers and T = t^2; local and hold-for-message decide as simulated."""
    out = tmp_path / "live"
    scen = tmp_path / "fcfs.toml"
    scen.write_text('[scenario]\narrival_rate = 0.1\ndemand = { kind = "two_point" }\ndiscipline = "fcfs"\n'
                    'baseline = "power(2)"\nmessage_latency = 0.5\nseed = 3\n')
    r = runner.invoke(app, ["emulate", "--pairs", "100", "--time-unit-ms", "1", "--policies", "local,hold",
                            "--scenario", str(scen), "--json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [p["name"] for p in data["policies"]] == ["local", "hold"]
    hold = data["policies"][1]
    assert hold["messages_per_pair"] == 1.0 and data["policies"][0]["messages_per_pair"] == 0.0
    for m in ("mean_waiting", "split_prob", "throughput"):
        c = hold["comparisons"][m]
        assert set(c) == {"measured", "predicted", "difference", "combined_half_width", "within_combined_ci"}
    assert data["latency"]["control"]["asked"] == 0.5 and data["config"]["n_pairs"] == 100 and data["seed"] == 3
    assert data["scenario"]["discipline"] == "fcfs"
    for p in data["policies"]:
        assert p["decisions_as_simulated"] == 1.0 and p["comparisons"]["split_prob"]["difference"]["mean"] == 0.0
        assert p["extra"]["baseline_accounting_max_abs"] < 1e-9
    assert json.loads((out / "summary.json").read_text()) == data
    assert (out / "live_vs_sim.png").stat().st_size > 10_000
