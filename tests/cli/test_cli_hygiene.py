"""CLI hygiene: --version, help texts, usage lines, report-folder safety, sweep specs given to run."""

from __future__ import annotations

import io
import re
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qcoord.cli import app
from qcoord.cli.demo import CLIError, check_out_folder, load_scenario_file

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "src" / "qcoord" / "data" / "default_scenario.toml"


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == f"qcoord {version('qcoord')}"


def _command_paths(cmd=None, path=()):
    """Every command and group of the app, as argument paths (root first)."""
    import typer.main

    cmd = typer.main.get_command(app) if cmd is None else cmd
    yield path
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        yield from _command_paths(sub, (*path, name))


HELP_PATHS = list(_command_paths())


def test_help_covers_every_command():
    for want in ((), ("run",), ("demo",), ("sweep",), ("plot",), ("game",), ("game", "values"), ("scenario", "fields")):
        assert want in HELP_PATHS


@pytest.mark.parametrize("path", HELP_PATHS, ids=lambda p: " ".join(p) or "qcoord")
def test_help_text_is_clean(path):
    res = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    text = res.stdout
    assert text.startswith("Usage: qcoord")
    assert "``" not in text  # reST literals from docstrings
    assert "<bool>" not in text  # a type on flags that take no value
    assert not re.search(r"\{[A-Za-z_]+\}", text), text  # {name} placeholders
    assert "{" not in text.splitlines()[0]
    assert max(len(line) for line in text.splitlines()) <= 100


def test_run_help_keeps_square_brackets():
    res = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "100"})
    assert "[scenario]" in res.stdout and "[study]" in res.stdout  # not eaten as Rich markup
    assert "--force" in res.stdout


def test_usage_line_names_arguments_without_braces():
    res = runner.invoke(app, ["run"], env={"COLUMNS": "100"})  # missing argument: usage + error
    assert res.exit_code == 2
    assert "Usage: qcoord run [OPTIONS] SCENARIO" in res.output and "{" not in res.output


# --------------------------------------------------------------------------- report folder safety
# These commands must fail before the study runs: the analysis package is made unimportable, so a
# command that got as far as the study would fail with an ImportError (exit code 1), not exit 2.


@pytest.fixture
def no_study(monkeypatch):
    monkeypatch.setitem(sys.modules, "qcoord.analysis", None)


def _one_line_error(res) -> str:
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    assert "Traceback" not in res.output
    return lines[0]


@pytest.mark.parametrize("cmd", [["demo"], ["run", "SCENARIO"]])
def test_non_empty_out_folder_is_refused_without_force(tmp_path, no_study, cmd):
    out = tmp_path / "report"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    cmd = [str(DEFAULT) if c == "SCENARIO" else c for c in cmd]
    res = runner.invoke(app, [*cmd, "--quick", "--out", str(out)])
    assert res.exit_code == 2
    msg = _one_line_error(res)
    assert str(out) in msg and "--force" in msg and "--out" in msg
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # nothing written
    assert (out / "notes.txt").read_text() == "mine"


def test_force_lets_a_non_empty_folder_through_the_checks(tmp_path, no_study):
    out = tmp_path / "report"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    res = runner.invoke(app, ["demo", "--quick", "--force", "--out", str(out)])
    assert isinstance(res.exception, ImportError)  # got past the folder check, to the study


def test_empty_or_missing_out_folder_passes_the_checks(tmp_path):
    check_out_folder(tmp_path, force=False)  # exists, empty
    check_out_folder(tmp_path / "a" / "b", force=False)  # created with its parents


@pytest.mark.parametrize("cmd", [["demo"], ["run", "SCENARIO"]])
def test_out_pointing_at_a_file_is_refused(tmp_path, no_study, cmd):
    f = tmp_path / "report.txt"
    f.write_text("x")
    cmd = [str(DEFAULT) if c == "SCENARIO" else c for c in cmd]
    for out, force in ((f, False), (f, True), (f / "sub", True)):
        res = runner.invoke(app, [*cmd, "--quick", "--out", str(out), *(["--force"] if force else [])])
        assert res.exit_code == 2
        msg = _one_line_error(res)
        assert str(out) in msg and "not a folder" in msg
    assert f.read_text() == "x"


def test_unwritable_out_parent_is_refused(tmp_path, no_study, monkeypatch):
    import os

    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == tmp_path else real(p, mode, **kw))
    res = runner.invoke(app, ["demo", "--quick", "--out", str(tmp_path / "new" / "report")])
    assert res.exit_code == 2
    msg = _one_line_error(res)
    assert "not writable" in msg and str(tmp_path) in msg
    assert not (tmp_path / "new").exists()


# --------------------------------------------------------------------------- sweep spec given to run


def test_run_refuses_a_sweep_spec(no_study):
    spec = ROOT / "examples" / "sweeps" / "sweep_small.toml"
    for cmd in (["run", str(spec)], ["demo", "--scenario", str(spec)]):
        res = runner.invoke(app, [*cmd, "--quick", "--out", "never-written"])
        assert res.exit_code == 2
        msg = _one_line_error(res)
        assert msg == f"error: {spec} is a sweep spec, not a scenario: use `qcoord sweep {spec}`"
    assert not Path("never-written").exists()


def test_every_example_sweep_spec_is_recognised(tmp_path):
    specs = sorted((ROOT / "examples" / "sweeps").glob("*.toml"))
    assert len(specs) >= 3
    for spec in specs:
        with pytest.raises(CLIError, match="is a sweep spec, not a scenario"):
            load_scenario_file(spec)
    flat = tmp_path / "flat.toml"  # a flat scenario is still a scenario
    flat.write_text("arrival_rate = 0.2\nseed = 3\n")
    assert load_scenario_file(flat)[0].arrival_rate == 0.2


# --------------------------------------------------------------------------- tables off a terminal


def test_tables_are_not_squeezed_when_stdout_is_not_a_terminal():
    res = runner.invoke(app, ["game", "values", "chsh", "--restarts", "1"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    header = [line for line in lines if "quantity" in line]
    assert len(header) == 1 and re.search(r"quantity\W+value\W+detail\W+time \(s\)", header[0]), res.stdout
    npa = [line for line in lines if "NPA (certified upper bound)" in line]  # no cell wrapped
    assert len(npa) == 1 and "level 1+ab" in npa[0] and "solver optimum" in npa[0], res.stdout


def test_stdout_console_width_off_a_terminal(monkeypatch):
    from qcoord.cli._app import NON_TTY_WIDTH, stdout_console

    monkeypatch.setenv("COLUMNS", "80")
    con = stdout_console(file=io.StringIO())  # not a terminal
    assert not con.is_terminal and con.width >= NON_TTY_WIDTH >= 120
    assert stdout_console(file=io.StringIO(), width=90).width == 90  # an explicit width wins
