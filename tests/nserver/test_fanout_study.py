"""The N-server study end to end: verdicts decided by the readings, controls measured the same way,
certified zeros where the games prove them, and `qcoord run` on the shipped N = 3 example."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from qcoord.analysis.fanout import FanoutConfig, run_fanout_study, write_fanout_report
from qcoord.system.fanout import FanoutScenario

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "scenarios" / "three_servers.toml"

TINY = FanoutConfig(lams=(0.5, 1.0), n_groups=6000, warmup=300, replications=4, restarts=4, scan_points=8, scan_top=1,
                    certificate_lams=(1.0,))


@pytest.fixture(scope="module")
def pairwise():
    sc = FanoutScenario(n_servers=3, fanout=2, subset="uniform", arrival_rate=0.15, discipline="fcfs", baseline="setup(2)", seed=5)
    return run_fanout_study(sc, TINY)


def test_pairwise_groups_keep_the_fork_join_advantage_and_its_controls(pairwise):
    st = pairwise
    assert st.headline["response"] == 1.0  # the price with the largest one-shot advantage (pre-registered)
    sol = st.solutions["response"][1.0]
    assert sol.classical_value < sol.quantum_value <= sol.npa_value + 1e-7 <= sol.nonsignaling_value + 2e-7
    assert sol.critical_visibility < 1
    v = st.verdicts
    assert v["response:at_equal_throughput"].status == "held"
    assert v["response:control_linear"].status == "held" and v["response:control_linear"].outcome != "gain"
    assert v["response:control_low_visibility"].outcome in ("loss", "no significant difference")
    # FCFS per-customer waiting: certified zero, nothing simulated, said so
    assert st.headline["waiting"] is None
    assert all(s.certified_no_advantage() for s in st.solutions["waiting"].values())
    assert v["waiting:throughput"].status == "not held" and "certified" in v["waiting:throughput"].reason
    # the verdict is the reading's direction, not a hard-coded word
    g = st.readings["entangled[response,lam=1]"]["baseline"].readings["waiting_at_equal_throughput"]
    assert g.low > 0 and f"{g.mean:+.2%}" in v["response:at_equal_throughput"].reason
    # entanglement sends no server-to-server message, the hold sends k (k - 1)
    assert st.run.info["entangled[response,lam=1]"][0]["messages_per_group"] == 0
    assert st.run.info["hold[D=0.5]"][0]["messages_per_group"] == 2


def test_report_files(pairwise, tmp_path):
    paths = write_fanout_report(tmp_path, pairwise)
    text = paths["report"].read_text()
    assert "## Verdicts" in text and "certified" in text
    data = json.loads(paths["summary"].read_text())
    assert data["schema"] == "qcoord.fanout-summary/1" and data["seed"] == 5
    assert set(data["claims"]) == set(pairwise.verdicts)
    assert paths["figure"].stat().st_size > 10_000


def test_three_party_groups_are_certified_zero_on_the_grid():
    sc = FanoutScenario(n_servers=3, fanout=3, arrival_rate=0.1, discipline="fcfs", seed=2)
    st = run_fanout_study(sc, FanoutConfig(lams=(0.5, 1.0), n_groups=3000, warmup=100, replications=3, restarts=4,
                                           scan_points=12, scan_top=2, certificate_lams=(1.0,)))
    for obj in ("response", "waiting"):
        for s in st.solutions[obj].values():
            assert s.classical_value <= s.quantum_value + 1e-9 <= s.npa_value + 2e-7 <= s.nonsignaling_value + 3e-7
            assert s.certified_no_advantage(), (obj, s.compiled.lam, s.npa_value - s.classical_value)
    assert all(v.status == "not held" for k, v in st.verdicts.items() if ":" in k)
    assert not [a for a in st.run.arms if a.family == "entangled"]


def test_qcoord_run_on_the_shipped_three_server_example(tmp_path):
    from qcoord.cli import app

    out = tmp_path / "rep"
    res = CliRunner().invoke(app, ["run", str(EXAMPLE), "--quick", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    assert "N = 3" in res.output and (out / "report.md").is_file() and (out / "frontier.png").is_file()
    bad = tmp_path / "bad.toml"
    bad.write_text("n_servers = 3\nfanout = 5\n")
    res = CliRunner().invoke(app, ["run", str(bad), "--quick", "--out", str(tmp_path / "r2")])
    assert res.exit_code == 2 and "fanout" in res.output and "Traceback" not in res.output


def test_game_values_on_an_n_player_library_game():
    from qcoord.cli import app

    res = CliRunner().invoke(app, ["game", "values", "mermin_ghz", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["game"]["players"] == 3 and doc["classical"]["exact"] == "3/4"
    assert doc["quantum"]["value"] == pytest.approx(1.0, abs=1e-7)
    assert doc["npa"]["value"] == pytest.approx(1.0, abs=1e-6) and doc["nonsignaling"]["value"] == pytest.approx(1.0, abs=1e-9)
    res = CliRunner().invoke(app, ["game", "list"])
    assert res.exit_code == 0 and "mabk5" in res.output
