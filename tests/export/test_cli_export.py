"""``qcoord export``: the files written for CHSH and the default scenario, and the errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from qiskit import qasm3 as q3
from qiskit import qpy
from typer.testing import CliRunner

from qcoord.cli import app
from qcoord.export import compile_netqasm

from .test_qiskit import circuit_probs

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["export", *args])


def strategy_behaviour(out) -> dict:
    return json.loads((out / "strategy.json").read_text())["behaviour"]


@pytest.mark.parametrize("target", ["chsh", "default"])
def test_qiskit_circuits_match_the_strategy(tmp_path, target):
    out = tmp_path / target
    r = run(target, "--format", "qiskit", "--out", str(out), "--restarts", "4")
    assert r.exit_code == 0, r.output
    beh = strategy_behaviour(out)
    assert sorted(p.name for p in out.glob("circuit_*.qpy")) == [f"circuit_x{x}_y{y}.qpy" for x in range(2) for y in range(2)]
    for x in range(2):
        for y in range(2):
            with open(out / f"circuit_x{x}_y{y}.qpy", "rb") as fh:
                circ = qpy.load(fh)[0]
            assert np.abs(circuit_probs(circ) - np.array(beh[f"x{x}_y{y}"])).max() < 1e-9
    index = (out / "INDEX.md").read_text()
    assert "circuit_x1_y1.qpy" in index and "predicted p(ab)" in index
    bindings = json.loads((out / "bindings.json").read_text())
    assert sorted(bindings) == ["x0_y0", "x0_y1", "x1_y0", "x1_y1"]
    if target == "chsh":
        s = json.loads((out / "strategy.json").read_text())
        assert s["value"] == pytest.approx(np.cos(np.pi / 8) ** 2, abs=1e-9)


def test_qasm3_files_load(tmp_path):
    out = tmp_path / "q"
    r = run("chsh", "--format", "qasm3", "--out", str(out), "--restarts", "2")
    assert r.exit_code == 0, r.output
    beh = strategy_behaviour(out)
    for x in range(2):
        for y in range(2):
            circ = q3.loads((out / f"circuit_x{x}_y{y}.qasm").read_text())
            assert np.abs(circuit_probs(circ) - np.array(beh[f"x{x}_y{y}"])).max() < 1e-9
    assert "input float[64]" in (out / "parameterised.qasm").read_text()


def test_netqasm_default_scenario(tmp_path, default_game):
    out = tmp_path / "apps"
    r = run("default", "--format", "netqasm", "--out", str(out), "--restarts", "8")
    assert r.exit_code == 0, r.output
    assert "state fixed to |Phi+>" in r.stdout and "value lost" in r.stdout
    meta = json.loads((out / "strategy.json").read_text())
    c = -0.339213
    assert c < meta["value"] < -0.316609 + 1e-9
    subs = compile_netqasm(out, 1, 1, rounds=1)
    assert all(len(v) == 1 for v in subs.values())
    assert (out / "game.json").is_file() and "server_a.yaml" in (out / "INDEX.md").read_text()


def test_errors_exit_2(tmp_path):
    r = run("chsh", "--format", "cirq", "--out", str(tmp_path / "a"))
    assert r.exit_code == 2 and "--format: must be one of qiskit, qasm3, netqasm" in r.output
    r = run("nosuchgame", "--format", "qiskit", "--out", str(tmp_path / "b"))
    assert r.exit_code == 2 and "unknown name 'nosuchgame'" in r.output
    r = run("magic_square", "--format", "qiskit", "--out", str(tmp_path / "c"))
    assert r.exit_code == 2 and "2 answers" in r.output
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("keep")
    r = run("chsh", "--format", "qiskit", "--out", str(full))
    assert r.exit_code == 2 and "not empty" in r.output and (full / "x").read_text() == "keep"
    r = run("chsh", "--format", "qiskit", "--out", str(tmp_path / "d"), "--lam", "0.5")
    assert r.exit_code == 2 and "--lam: only for a scenario" in r.output
    assert "Traceback" not in r.output


def test_scenario_with_busy_flag_estimates_costs(tmp_path):
    from pathlib import Path

    spec = Path(__file__).resolve().parents[2] / "examples" / "scenarios" / "bimodal_small_delay.toml"
    out = tmp_path / "busy"
    r = run(str(spec), "--format", "qiskit", "--out", str(out), "--restarts", "2")
    assert r.exit_code == 0, r.output
    assert "costs estimated at load" in r.stdout
    beh = strategy_behaviour(out)
    assert len(list(out.glob("circuit_*.qpy"))) == len(beh) == 16  # (class, busy) x (class, busy)
    with open(out / "circuit_x3_y2.qpy", "rb") as fh:
        circ = qpy.load(fh)[0]
    assert np.abs(circuit_probs(circ) - np.array(beh["x3_y2"])).max() < 1e-9
