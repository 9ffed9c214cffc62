"""A killed `qcoord sweep` leaves no processes behind: pool workers watch the sweep process and exit
when it dies; the forkserver and the resource tracker follow once no worker holds their pipes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qcoord.sweep.executors import _proc_stat, process_alive, process_start_time

ROOT = Path(__file__).resolve().parents[2]

SPEC = """
name = "orphans"
seed = 5
replications = 1
classes = ["local"]
[evaluate]
pause = 0.5          # seconds per point: the workers are busy when the sweep is killed
[axes]
arrival_rate = { start = 0.1, stop = 0.5, num = 40 }
"""


def _children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (psutil if installed, else /proc)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - /proc fallback
        kids: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                st = _proc_stat(int(d))
                if st is not None:
                    kids.setdefault(int(st[1]), []).append(int(d))
        out, todo = set(), [pid]
        while todo:
            for k in kids.get(todo.pop(), []):
                if k not in out:
                    out.add(k)
                    todo.append(k)
        return out
    try:
        return {p.pid for p in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def _running(pids: set[int]) -> set[int]:
    return {p for p in pids if process_alive(p)}  # a zombie (dead, not reaped by init) counts as gone


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_the_sweep_ends_its_workers(tmp_path, sig):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-c", "import sys; from qcoord.cli import main; sys.argv[0] = 'qcoord'; main()",
           "sweep", str(spec), "--out", str(tmp_path / "r.sqlite"), "--workers", "2", "--batch-size", "1",
           "--oversubscribe", "--evaluator", "tests.sweep.evaluators:queue_evaluator", "--quiet"]
    # Its own session: the clean-up below can reach every process it started, whatever happens.
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 40
        family: set[int] = set()
        while True:  # resource tracker, forkserver and 2 workers (the workers' parent is the forkserver)
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, f"the pool never started: {family}"
            family |= _children(proc.pid)
            workers = {p for p in family if (_proc_stat(p) or ["", "0"])[1] != str(proc.pid)}
            if len(workers) >= 2 and len(family) >= 4:
                break
            time.sleep(0.05)
        time.sleep(0.3)  # the workers are inside a task
        family |= _children(proc.pid)
        assert _running(family) == family
        os.kill(proc.pid, sig)  # the sweep process only, not its process group
        proc.wait(timeout=30)
        left = _running(family)
        deadline = time.monotonic() + 10
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = _running(family)
        assert not left, f"orphans after {sig.name}: {sorted(left)}"
        if sig == signal.SIGTERM:  # a clean stop: exit code 128 + 15 and a message saying how to resume
            err = " ".join(proc.stderr.read().decode().split())
            assert proc.returncode == 143, err
            assert "terminated:" in err and "re-run the same command to resume" in err and "Traceback" not in err
        else:
            assert proc.returncode == -signal.SIGKILL
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.communicate(timeout=30)


def test_process_alive_knows_dead_reaped_and_reused_pids():
    me = os.getpid()
    assert process_alive(me) and process_alive(me, process_start_time(me))
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    start = process_start_time(child.pid)
    child.wait()
    assert not process_alive(child.pid, start)
    assert not process_alive(0) and not process_alive(-5)
    if start is not None:  # /proc: a pid whose start time differs is another process
        assert not process_alive(me, str(int(process_start_time(me)) + 1))
