"""The test evaluator is a real computation: its M/M/1 waiting matches the closed form."""

import numpy as np
import pytest

from .evaluators import queue_evaluator


@pytest.mark.parametrize("lam", [0.3, 0.5])
def test_queue_evaluator_matches_mm1_closed_form(lam):
    rows = queue_evaluator({"arrival_rate": lam, "n_pairs": 100_000, "handoff_delay": 0.1}, ("local", "entangled"),
                           replications=4, seed=3)
    local = rows[0]
    wq = lam / (1 - lam)  # M/M/1 mean waiting in queue, unit mean service
    assert abs(local["mean_waiting"] - wq) < 4 * local["mean_waiting_ci"] + 0.02 * wq
    # The faster class waits less and its paired gain CI excludes zero.
    assert rows[1]["gain"] > 0 and rows[1]["gain_ci_low"] > 0
    # Deterministic given the seed, different for another seed.
    again = queue_evaluator({"arrival_rate": lam, "n_pairs": 100_000, "handoff_delay": 0.1}, ("local", "entangled"),
                            replications=4, seed=3)
    assert again == rows
    other = queue_evaluator({"arrival_rate": lam, "n_pairs": 100_000, "handoff_delay": 0.1}, ("local",),
                            replications=4, seed=4)
    assert not np.isclose(other[0]["mean_waiting"], local["mean_waiting"], rtol=1e-9)
