"""Faults of a live run: a server killed mid-run, Ctrl-C, the parent killed; never an orphan.

The kill tests run ``qcoord emulate`` as a subprocess in its own session (``start_new_session``)
and look for every process of that session in ``/proc``: the CLI, its live processes, anything
they might have started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qcoord.cli.demo import load_scenario_file
from qcoord.compile import compile_game, solve, to_policy
from qcoord.live import LiveConfig, LiveError, emulate

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

QCOORD = [sys.executable, "-c", "from qcoord.cli import main; main()"]


def _session(sid: int) -> set[int]:
    """Pids of the live (non-zombie) processes whose session id is ``sid``."""
    out = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            out.add(int(d))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _wait_until(pred, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def test_killed_server_stops_the_run_with_its_name():
    sc, _ = load_scenario_file(None)
    sol = solve(compile_game(sc, lam=0.5))
    pols = [to_policy(sol, "local", name="local"), to_policy(sol, "entangled", name="entangled")]
    pids: dict[str, int] = {}

    def started(p: dict[str, int]) -> None:
        pids.update(p)
        victim = p["server 1 of policy 'entangled'"]
        threading.Timer(1.0, os.kill, (victim, signal.SIGKILL)).start()

    t0 = time.monotonic()
    with pytest.raises(LiveError) as info:
        emulate(sc, pols, LiveConfig(time_unit_ms=5.0, n_pairs=200, warmup=10, batches=10), on_started=started)
    msg = str(info.value)
    victim = pids["server 1 of policy 'entangled'"]
    assert msg.startswith(f"server 1 of policy 'entangled' (pid {victim}) died (killed by SIGKILL) "), msg
    assert "killed by SIGKILL" in msg and "s into the run" in msg
    assert time.monotonic() - t0 < 10.0  # detected at once, not at the end of the 10 s run
    assert len(pids) == 2 * 2 + 3
    for label, pid in pids.items():
        assert not _alive(pid), f"{label} (pid {pid}) outlived the run"


def _start_cli(tmp_path: Path) -> subprocess.Popen:
    args = QCOORD + ["emulate", "--pairs", "200", "--time-unit-ms", "10", "--policies", "local,hold",
                     "--out", str(tmp_path / "out")]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "COLUMNS": "160"})


def test_ctrl_c_stops_everything(tmp_path):
    proc = _start_cli(tmp_path)
    try:
        # the CLI plus its 2 * 2 + 2 live processes (no link service without an entangled policy)
        assert _wait_until(lambda: len(_session(proc.pid)) >= 7, 60.0), "the live processes did not start"
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the whole foreground group
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 130, err
        assert "interrupted: the live run was stopped and every live process ended" in err
        assert "Traceback" not in err
        assert _wait_until(lambda: not _session(proc.pid), 5.0), f"left behind: {_session(proc.pid)}"
        assert not (tmp_path / "out" / "summary.json").exists()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_parent_killed_leaves_no_orphan(tmp_path):
    proc = _start_cli(tmp_path)
    try:
        assert _wait_until(lambda: len(_session(proc.pid)) >= 7, 60.0), "the live processes did not start"
        children = _session(proc.pid) - {proc.pid}
        proc.send_signal(signal.SIGKILL)  # only the parent: its children must follow (PR_SET_PDEATHSIG)
        proc.wait(timeout=10)
        assert _wait_until(lambda: not any(_alive(p) for p in children), 5.0), [p for p in children if _alive(p)]
        assert _wait_until(lambda: not _session(proc.pid), 5.0), f"left behind: {_session(proc.pid)}"
    finally:
        if _session(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)


def test_run_time_is_bounded():
    sc, _ = load_scenario_file(None)
    sol = solve(compile_game(sc, lam=0.5))
    pids: dict[str, int] = {}
    t0 = time.monotonic()
    with pytest.raises(LiveError, match=r"^run: not finished within its bound of 1 s; stopped"):
        emulate(sc, [to_policy(sol, "local", name="local")],
                LiveConfig(time_unit_ms=5.0, n_pairs=200, warmup=10, batches=10, time_bound_s=1.0), on_started=pids.update)
    assert time.monotonic() - t0 < 6.0
    for label, pid in pids.items():
        assert not _alive(pid), f"{label} (pid {pid}) outlived the run"


def test_sigterm_stops_everything(tmp_path):
    proc = _start_cli(tmp_path)
    try:
        assert _wait_until(lambda: len(_session(proc.pid)) >= 7, 60.0), "the live processes did not start"
        proc.send_signal(signal.SIGTERM)  # what a supervisor sends to the command alone
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 143, err
        assert "terminated: the live run was stopped and every live process ended" in err
        assert _wait_until(lambda: not _session(proc.pid), 5.0), f"left behind: {_session(proc.pid)}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
