"""The recorded code version is read from package metadata and the checkout's .git files, read-only:
no git process runs (``git describe`` takes ``.git/index.lock`` in the source repository)."""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

from qcoord.sweep import SerialExecutor, load_results, run_sweep
from qcoord.sweep import store as store_mod
from qcoord.sweep.store import code_version, git_head

from .conftest import small_spec

ROOT = Path(__file__).resolve().parents[2]
SHA1 = "0123456789abcdef0123456789abcdef01234567"
SHA2 = "89abcdef0123456789abcdef0123456789abcdef"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def no_processes(monkeypatch):
    """Any attempt to start a process (git or anything else) fails the test."""
    def refuse(*a, **k):
        raise AssertionError(f"a process was started: {a[:1]}")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(os, "posix_spawn", refuse, raising=False)
    code_version.cache_clear()
    yield
    code_version.cache_clear()


def test_git_head_reads_refs_without_writing(tmp_path, no_processes):
    repo = tmp_path / "repo"
    (repo / ".git" / "refs" / "heads").mkdir(parents=True)
    (repo / "src" / "pkg").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / ".git" / "refs" / "heads" / "main").write_text(SHA1 + "\n")
    assert git_head(repo / "src" / "pkg") == SHA1
    # packed refs only (after git gc)
    (repo / ".git" / "refs" / "heads" / "main").unlink()
    (repo / ".git" / "packed-refs").write_text(f"# pack-refs with: peeled fully-peeled sorted\n{SHA2} refs/heads/main\n")
    assert git_head(repo / "src") == SHA2
    # detached HEAD
    (repo / ".git" / "HEAD").write_text(SHA1 + "\n")
    assert git_head(repo) == SHA1
    # a linked work tree: .git is a file pointing into the main repository's worktrees/
    wt = tmp_path / "wt"
    (wt / "src").mkdir(parents=True)
    gd = repo / ".git" / "worktrees" / "wt"
    gd.mkdir(parents=True)
    (wt / ".git").write_text(f"gitdir: {gd}\n")
    (gd / "HEAD").write_text("ref: refs/heads/feature\n")
    (gd / "commondir").write_text("../..\n")
    (repo / ".git" / "refs" / "heads" / "feature").write_text(SHA2 + "\n")
    assert git_head(wt / "src") == SHA2
    # nothing to read: None, not an error
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/gone\n")
    (repo / ".git" / "packed-refs").unlink()
    assert git_head(repo) is None
    assert git_head(tmp_path / "elsewhere") is None
    # Read-only: the only files are the ones the test wrote (no index.lock or anything else).
    assert sorted(_tree(repo)) == [".git/HEAD", ".git/refs/heads/feature", ".git/worktrees/wt/HEAD",
                                   ".git/worktrees/wt/commondir"]
    assert sorted(_tree(wt)) == [".git"]


def test_code_version_runs_no_git(tmp_path, no_processes):
    v = code_version()
    assert v.startswith(version("qcoord"))
    head = git_head(Path(store_mod.__file__).parent)
    assert v == (f"{version('qcoord')}+git.{head[:12]}" if head else version("qcoord"))
    # A whole sweep records it without starting any process (SerialExecutor: in process).
    run_sweep(small_spec(), tmp_path / "r.sqlite", evaluator="tests.sweep.evaluators:trivial_evaluator",
              executor=SerialExecutor())
    assert set(load_results(tmp_path / "r.sqlite")["code_version"]) == {v}


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_code_version_matches_the_checkout():
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    run = lambda: subprocess.run(["git", "--no-optional-locks", "rev-parse", "HEAD"], cwd=ROOT, env=env,  # noqa: E731
                                 capture_output=True, text=True, timeout=10).stdout.strip()
    before = run()
    head = git_head(ROOT / "src" / "qcoord" / "sweep")
    after = run()  # the checkout is shared: a commit may land in between
    assert head in (before, after)
