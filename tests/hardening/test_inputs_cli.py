"""Bad inputs through the real commands (typer's CliRunner): exit code 2, one ``error:`` line that
names the field or the file, and no traceback."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from qcoord.cli import app
from qcoord.games import get_game

runner = CliRunner()
DEEP = 10**5


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "400"})


def _error_line(result) -> str:
    """The ``error:`` message, with line breaks (if any) folded to spaces."""
    text = " ".join(result.output.split())
    m = re.search(r"error: (.*)", text)
    assert m, result.output
    return m.group(1)


def assert_bad_input(result, *needles: str) -> str:
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, (result.exit_code, result.output)
    message = _error_line(result)
    for needle in needles:
        assert needle in message, (needle, message)
    return message


# ----------------------------------------------------------------------------- qcoord game values FILE
def test_game_values_deeply_nested_json(tmp_path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"prob": ' + "[" * DEEP + "]" * DEEP + ', "payoff": []}')
    assert_bad_input(invoke("game", "values", str(path)), f"game file {path}", "nested too deeply")


def test_game_values_binary_file(tmp_path) -> None:
    path = tmp_path / "game.json"
    path.write_bytes(bytes(range(256)) * 4)
    assert_bad_input(invoke("game", "values", str(path)), f"game file {path}", "not a text (UTF-8) JSON file")


def _chsh_with_prob(prob) -> dict:
    return {**get_game("chsh").to_dict(), "prob": prob}


@pytest.mark.parametrize(
    "prob, needles",
    [
        ([["0.25+0.1j", 0.25], [0.25, 0.25]], ("prob: entries must be real numbers",)),  # a complex written as text
        ([[[0.25, 0.1]] * 2] * 2, ("prob: expected a 2-dimensional array",)),  # complex as [re, im] pairs
        ([[float("nan"), 0.25], [0.25, 0.25]], ("prob: entries must be finite numbers", "prob[0, 0] = nan")),
    ],
    ids=["complex-string", "complex-pairs", "nan"],
)
def test_game_values_complex_or_nan_entries(tmp_path, prob, needles) -> None:
    path = tmp_path / "g.json"
    path.write_text(json.dumps(_chsh_with_prob(prob)))  # json writes NaN for float('nan')
    assert_bad_input(invoke("game", "values", str(path)), f"game file {path}", *needles)


def test_game_values_nan_payoff(tmp_path) -> None:
    d = get_game("chsh").to_dict()
    d["payoff"][0][0][0][0] = float("nan")
    path = tmp_path / "g.json"
    path.write_text(json.dumps(d))
    assert_bad_input(invoke("game", "values", str(path)), "payoff: entries must be finite numbers")


def test_game_values_names_of_the_wrong_type(tmp_path) -> None:
    path = tmp_path / "g.json"
    path.write_text(json.dumps({**get_game("chsh").to_dict(), "question_names": 5}))
    assert_bad_input(invoke("game", "values", str(path)), "question_names: must be a pair")


def test_game_values_dimension_too_large_for_the_memory() -> None:
    assert_bad_input(invoke("game", "values", "chsh", "--dim", "256", "--skip", "npa,nonsignaling"), "dim:", "available")


# ----------------------------------------------------------------------------- qcoord run FILE.toml
def test_run_binary_toml(tmp_path) -> None:
    path = tmp_path / "scenario.toml"
    path.write_bytes(b"\xff\xfe\x00\x81 = 3\n" + bytes(range(128, 256)))
    assert_bad_input(invoke("run", str(path), "--out", str(tmp_path / "out")), str(path), "not a text (UTF-8) TOML file")


@pytest.mark.parametrize(
    "body",
    ["arrival_rate = " + "[" * DEEP + "]" * DEEP + "\n", "demand = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n"],
    ids=["arrays", "inline-tables"],
)
def test_run_deeply_nested_toml(tmp_path, body: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(body)
    assert_bad_input(invoke("run", str(path), "--out", str(tmp_path / "out")), str(path), "nested too deeply")


@pytest.mark.parametrize("n_pairs", [10**12, 5 * 10**8])
def test_run_more_pairs_than_the_memory(tmp_path, n_pairs: int) -> None:
    path = tmp_path / "huge.toml"
    path.write_text(f"[scenario]\narrival_rate = 0.1\nn_pairs = {n_pairs}\n")
    out = tmp_path / "out"
    assert_bad_input(invoke("run", str(path), "--out", str(out)), "n_pairs:", f"{n_pairs:,} pairs", "available")


@pytest.mark.parametrize(
    "table, needles",
    [
        ('{ kind = "setup", C = 5.0 }', ("baseline.C: unknown key", "'kind', 'c'")),
        ('{ kind = "power", k = 3, c = 2 }', ("baseline.c: unknown key", "'kind', 'k'")),
    ],
)
def test_run_baseline_table_with_an_unknown_key(tmp_path, table: str, needles) -> None:
    path = tmp_path / "s.toml"
    path.write_text(f"[scenario]\nbaseline = {table}\n")
    assert_bad_input(invoke("run", str(path), "--quick", "--out", str(tmp_path / "out")), *needles)


def test_run_unstable_scenario(tmp_path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("[scenario]\narrival_rate = 1.2\n")
    assert_bad_input(invoke("run", str(path), "--quick", "--out", str(tmp_path / "out")), "arrival_rate:", "must be < 1")
