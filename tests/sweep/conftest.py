"""Fixtures for sweep tests: small specs evaluated by tests.sweep.evaluators (a real computation)."""

from __future__ import annotations

import pytest

from qcoord.sweep import SweepSpec

EVALUATOR = "tests.sweep.evaluators:queue_evaluator"


def small_spec(**over) -> SweepSpec:
    d = {
        "name": "test",
        "seed": 11,
        "replications": 3,
        "classes": ["local", "entangled"],
        "base": {"n_pairs": 4000},
        "axes": {"arrival_rate": [0.2, 0.4, 0.6], "handoff_delay": {"start": 0.0, "stop": 0.3, "num": 4}},
    }
    d.update(over)
    return SweepSpec.from_dict(d)


@pytest.fixture
def spec() -> SweepSpec:
    return small_spec()


def comparable(frame):
    """The results table without the columns that legitimately differ between runs: timings, and the
    code version (another process may see a newer commit or a dirty tree of the shared checkout)."""
    return frame.drop(columns=["elapsed_s", "code_version"]).reset_index(drop=True)
