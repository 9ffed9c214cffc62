"""CLI hygiene: --version, help texts, usage lines, report-folder safety, sweep specs given to run."""

from __future__ import annotations

from importlib.metadata import version

from typer.testing import CliRunner

from qcoord.cli import app

runner = CliRunner()


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == f"qcoord {version('qcoord')}"


def test_usage_line_names_arguments_without_braces():
    res = runner.invoke(app, ["run"], env={"COLUMNS": "100"})  # missing argument: usage + error
    assert res.exit_code == 2
    assert "Usage: qcoord run [OPTIONS] SCENARIO" in res.output and "{" not in res.output
