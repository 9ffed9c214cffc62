"""``qcoord scenario show`` / ``qcoord scenario fields``: the scenario file format on the command line."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qcoord.cli import app
from qcoord.cli.demo import load_scenario_file
from qcoord.cli.scenario import FIELDS
from qcoord.system import Scenario

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def test_every_scenario_field_has_a_description():
    names = [f.name for f in dataclasses.fields(Scenario)]
    missing = [n for n in names if n not in FIELDS]
    assert not missing, f"describe these Scenario fields in qcoord.cli.scenario.FIELDS: {missing}"
    assert not set(FIELDS) - set(names), "FIELDS describes fields Scenario does not have"
    for name, (meaning, allowed) in FIELDS.items():
        assert meaning.strip() and allowed.strip(), name


def test_fields_lists_every_field_with_default_and_range():
    res = runner.invoke(app, ["scenario", "fields"])
    assert res.exit_code == 0, res.output
    for name in FIELDS:
        assert name in res.stdout
    assert '"srpt", "np" or "fcfs"' in res.stdout and "setup(1)" in res.stdout  # a range, a default


def test_show_prints_the_default_scenario_file():
    res = runner.invoke(app, ["scenario", "show"])
    assert res.exit_code == 0, res.output
    text = (ROOT / "src" / "qcoord" / "data" / "default_scenario.toml").read_text()
    assert res.stdout == text
    assert Scenario.from_dict(tomllib.loads(res.stdout)["scenario"]) == load_scenario_file(None)[0]


@pytest.mark.parametrize("path", [None, "examples/scenarios/bimodal_small_delay.toml", "examples/scenarios/r1_power2.toml"])
def test_show_resolved_round_trips(path, tmp_path):
    args = ["scenario", "show", "--resolved"] + ([str(ROOT / path)] if path else [])
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    doc = tomllib.loads(res.stdout)
    assert set(doc["scenario"]) | {"arrival_times", "class_edges"} == set(FIELDS)  # every field, unset ones as comments
    f = tmp_path / "resolved.toml"
    f.write_text(res.stdout)
    want = load_scenario_file(ROOT / path if path else None)
    got = load_scenario_file(f)
    assert got[0] == want[0] and got[1]["lam"] == want[1]["lam"]


def test_show_of_a_bad_file_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["scenario", "show", "--resolved", str(tmp_path / "nope.toml")])
    assert res.exit_code == 2 and "not found" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["scenario", "show", str(tmp_path / "nope.toml")])
    assert res.exit_code == 2 and "not found" in res.output
    spec = ROOT / "examples" / "sweeps" / "sweep_small.toml"
    res = runner.invoke(app, ["scenario", "show", "--resolved", str(spec)])
    assert res.exit_code == 2 and "is a sweep spec" in res.output
