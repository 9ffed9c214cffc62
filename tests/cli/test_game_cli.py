"""``qcoord game values``: output, JSON, strategies, errors and exit codes (typer's CliRunner)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import qcoord.cli.game as game_cli
from qcoord.cli import app
from qcoord.games import DeterministicStrategy, Game, NonsignalingError, QuantumStrategy, chsh, classical_value, random_game

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["game", "values", *args])


def test_full_json_on_chsh_with_strategies():
    r = run("chsh", "--json", "--strategy", "--restarts", "2", "--seed", "3", "--level", "1+ab")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["game"] == {"name": "chsh", "questions": [2, 2], "answers": [2, 2]}
    assert doc["classical"]["value"] == 0.75 and doc["classical"]["value_exact"] == "3/4"
    assert doc["classical"]["certificate"]["enumerated"] == "alice"
    q = doc["quantum"]
    assert q["value"] == pytest.approx(np.cos(np.pi / 8) ** 2, abs=1e-6)
    assert q["dim"] == 2 and q["seed"] == 3 and q["restarts"] == 2
    assert doc["npa"]["level"] == "1+ab" and doc["npa"]["value"] >= q["value"] - 1e-7
    # the certified bound is an upper bound without any tolerance, and close to the solver's optimum
    assert doc["npa"]["certified_bound"] >= q["value"]
    assert doc["npa"]["certified_bound"] - doc["npa"]["value"] < 1e-6
    assert doc["npa"]["tolerance"] in (1e-8, 1e-7)
    assert doc["npa"]["symmetry"]["group_order"] == 8  # CHSH is solved on invariant moments
    assert doc["nonsignaling"]["value"] == pytest.approx(1.0, abs=1e-9)
    for part in ("classical", "quantum", "npa", "nonsignaling"):
        assert doc[part]["time_s"] >= 0
    # the printed strategies are the real ones: re-evaluate them
    tabs = doc["classical"]["strategy"]
    alice = tuple(int(tabs["alice"][f"x{x}"][1:]) for x in range(2))
    bob = tuple(int(tabs["bob"][f"x{y}"][1:]) for y in range(2))
    assert chsh().value(DeterministicStrategy(alice, bob).behaviour((2, 2))) == 0.75
    cx = lambda a: np.asarray(a)[..., 0] + 1j * np.asarray(a)[..., 1]  # noqa: E731
    s = QuantumStrategy(cx(q["strategy"]["state"]), cx(q["strategy"]["alice"]), cx(q["strategy"]["bob"]))
    assert chsh().value(s.behaviour()) == pytest.approx(q["value"], abs=1e-9)


def test_table_output():
    r = run("odd_cycle5", "--skip", "quantum,npa")
    assert r.exit_code == 0, r.output
    assert "classical" in r.stdout and "0.9000000000" in r.stdout
    assert "no-signalling" in r.stdout and "1.0000000000" in r.stdout
    assert "time (s)" in r.stdout


def test_table_with_strategy_and_quantum():
    r = run("chsh", "--strategy", "--skip", "npa,nonsignaling", "--restarts", "1")
    assert r.exit_code == 0, r.output
    assert "optimal classical strategy" in r.stdout
    assert "quantum strategy (local dimension 2 x 2)" in r.stdout
    assert "Alice question x1, answer a1" in r.stdout and "0.8535533" in r.stdout


def test_game_from_json_file(tmp_path):
    g = random_game(5, 4, na=2, nb=3, seed=8, kind="negative")
    path = tmp_path / "g.json"
    g.to_json(path)
    r = run(str(path), "--json", "--skip", "quantum,npa")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["classical"]["value"] == classical_value(g).value < 0
    assert doc["nonsignaling"]["value"] >= doc["classical"]["value"] - 1e-9


@pytest.mark.parametrize(
    "args, message",
    [
        (("nope",), "unknown name 'nope'; available: chsh, chsh3"),
        (("missing/game.json",), "does not exist"),
        (("chsh", "--level", "x"), "--level: must be an integer >= 1"),
        (("chsh", "--dim", "0"), "--dim: must be an integer >= 1"),
        (("chsh", "--restarts", "-1"), "--restarts: must be an integer >= 0"),
        (("chsh", "--skip", "quantum,bogus"), "--skip: unknown part(s) bogus"),
    ],
)
def test_bad_input_exit_code_2_without_traceback(args, message):
    r = run(*args)
    assert r.exit_code == 2
    assert message in r.stderr
    assert "Traceback" not in r.output


def test_bad_files(tmp_path):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    r = run(str(bad_json))
    assert r.exit_code == 2 and "not valid JSON" in r.stderr and str(bad_json) in r.stderr
    bad_prob = tmp_path / "prob.json"
    bad_prob.write_text(json.dumps({"prob": [[0.5, 0.6]], "payoff": [[[[1, 0]]]]}))
    r = run(str(bad_prob))
    assert r.exit_code == 2 and "prob: entries must sum to 1" in r.stderr
    big = tmp_path / "big.json"
    Game(np.full((40, 40), 1 / 1600), np.zeros((2, 2, 40, 40))).to_json(big)
    r = run(str(big), "--skip", "quantum,npa,nonsignaling")
    assert r.exit_code == 2 and "max_strategies" in r.stderr


def test_solver_failure_exit_code_1(monkeypatch):
    def fail(game):
        raise NonsignalingError("nonsignaling_value: the LP solver did not reach an optimum (status 4)")

    monkeypatch.setattr(game_cli.G, "nonsignaling_value", fail)  # the CLI calls the solvers through the (lazy) package
    r = run("chsh", "--skip", "quantum,npa,classical")
    assert r.exit_code == 1 and "did not reach an optimum" in r.stderr and "Traceback" not in r.output


def test_list_names_every_library_game():
    r = runner.invoke(app, ["game", "list"])
    assert r.exit_code == 0
    for name in ("chsh", "chsh3", "odd_cycle5", "magic_square"):
        assert name in r.stdout
    assert "3 x 3" in r.stdout and "4 x 4" in r.stdout  # magic square: 3x3 questions, 4x4 answers


def test_table_npa_row_is_a_certified_upper_bound():
    r = run("chsh", "--restarts", "2", "--skip", "classical,nonsignaling")
    assert r.exit_code == 0, r.output
    text = " ".join(r.stdout.split())
    assert "NPA (certified upper" in r.stdout and "tolerance 1e-0" in text and "solver optimum" in text
    values = [float(v) for v in __import__("re").findall(r"\b0\.\d{10}\b", r.stdout)]
    quantum, npa_certified = values[0], values[1]  # table order: see-saw, then the NPA row's value
    assert npa_certified >= quantum


def test_too_high_npa_level_is_bad_input():
    r = run("magic_square", "--level", "7", "--skip", "classical,quantum,nonsignaling")
    assert r.exit_code == 2 and r.stderr.startswith("error: level: 7 needs a moment matrix of side")
    assert "Traceback" not in r.output
    r = run("chsh", "--level", "7", "--json", "--skip", "classical,quantum,nonsignaling")  # small games go high
    assert r.exit_code == 0 and json.loads(r.stdout)["npa"]["level"] == "7"
    r = run("chsh", "--level", "2", "--max-matrix-size", "12", "--skip", "classical,quantum,nonsignaling")
    assert r.exit_code == 2 and "side 13" in r.stderr and "--max-matrix-size" in r.stderr
    r = run("chsh", "--max-matrix-size", "0")
    assert r.exit_code == 2 and r.stderr.startswith("error: --max-matrix-size: must be an integer >= 1, got 0")


def test_see_saw_dimension_defaults_to_the_number_of_answers():
    r = run("chsh3", "--skip", "classical,npa,nonsignaling", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["quantum"]["dim"] == 3
    r = run("chsh", "--skip", "classical,npa,nonsignaling", "--json", "--dim", "4")
    assert json.loads(r.stdout)["quantum"]["dim"] == 4


def test_ctrl_c_is_a_clear_exit(monkeypatch):
    def interrupted(game):
        raise KeyboardInterrupt

    monkeypatch.setattr(game_cli.G, "nonsignaling_value", interrupted)
    r = run("chsh", "--skip", "quantum,npa,classical")
    assert r.exit_code == 130 and "interrupted" in r.stderr and "Traceback" not in r.output
