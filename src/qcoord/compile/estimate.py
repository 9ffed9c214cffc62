"""Pair costs estimated by simulation at the scenario's actual load.

At load a server may be busy when a pair arrives, so the closed-form low-load costs no longer hold,
and a server may also observe its own backlog level (the bigger game with questions
``(class, level)``). :func:`estimate_costs` measures

.. math::

    \\hat C(a, b, x, y) = \\text{mean over simulated pairs with questions } (x, y)
    \\text{ and answers } (a, b) \\text{ of } (w_A + w_B),

the total waiting of the pair's two customers (the pair's own waiting; the delay it causes to later
pairs is not charged: a myopic, per-pair game). The simulated policy is the current classical
optimum of the estimated game, mixed with uniformly random answers with probability
``explore`` so that every cell is visited; it is a product (hence no-signalling) behaviour run
through :class:`qcoord.policies.Correlated`. The loop compile -> solve -> simulate repeats until
the optimal classical strategy stops changing (``converged``) or ``iterations`` is reached.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .compiler import CompileError, EstimatedCosts, compile_game, question_labels

__all__ = ["estimate_costs", "pair_cells"]


def pair_cells(scenario: Any, policy: Any, replication: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulate one replication; return ``cell`` index ``((a*2 + b)*nq + x)*nq + y``, pair waiting, and x*nq+y.

    Only pairs after the warm-up are returned.
    """
    from qcoord.system import run_servers

    inputs = scenario.draw_inputs(replication)
    routing = policy.route(inputs, scenario)
    run = run_servers(inputs, routing, scenario.discipline)
    wait = (run.completion - inputs.arrival[:, None] - inputs.demand).sum(axis=1)
    n = inputs.n
    rows = np.arange(n)
    role = np.asarray(inputs.role, dtype=np.int64) if scenario.role_coin else np.zeros(n, dtype=np.int64)
    nl = len(tuple(scenario.backlog_levels or ())) + 1
    level = np.asarray(getattr(routing, "level", np.zeros((n, 2), dtype=np.int64)), dtype=np.int64)
    q = np.asarray(inputs.cls, dtype=np.int64) * nl + level
    nq = int(scenario.num_classes) * nl
    x, y = q[rows, role], q[rows, 1 - role]
    dec = np.asarray(routing.decision, dtype=np.int64)
    a, b = dec[rows, role], dec[rows, 1 - role]
    w0 = int(scenario.warmup)
    cell = ((a * 2 + b) * nq + x) * nq + y
    return cell[w0:], wait[w0:], (x * nq + y)[w0:]


def estimate_costs(
    scenario: Any,
    lam: float,
    *,
    iterations: int = 4,
    explore: float = 0.25,
    replications: int | None = None,
    seed: int = 0,
    restarts: int = 4,
    progress: Callable[[str, int, int], None] | None = None,
) -> EstimatedCosts:
    """Estimate the pair game's costs by simulation at the scenario's load (see module notes).

    Parameters
    ----------
    scenario : Scenario
        Load, discipline, backlog levels; its ``n_pairs`` and ``warmup`` set the run length.
    lam : float
        Interruption price of the game whose optimum drives the simulated policy.
    iterations : int >= 1
        Maximum compile -> solve -> simulate rounds.
    explore : float in (0, 1]
        Probability of a uniformly random answer (per server and pair).
    replications : int, optional
        Replications per round (default ``min(scenario.replications, 4)``).
    seed : int
        Seed of the simulated inputs (``SeedSequence`` entropy).

    Returns
    -------
    EstimatedCosts
        ``converged`` is True when the strategy simulated in a round (after the first) is still
        optimal in the game estimated from that round, within twice the standard error of a game
        value (ties between equally good strategies, e.g. the two role assignments, do not count
        as a change).
    """
    from qcoord.games import classical_value
    from qcoord.policies import Correlated

    if not isinstance(iterations, int) or iterations < 1:
        raise CompileError(f"iterations: must be an integer >= 1, got {iterations!r}")
    if not 0 < float(explore) <= 1:
        raise CompileError(f"explore: must lie in (0, 1], got {explore!r}")
    names = question_labels(scenario)
    nq = len(names)
    reps = int(min(scenario.replications, 4) if replications is None else replications)
    sc = scenario.replace(seed=int(seed), replications=reps)
    # start: the low-load optimum ignoring the backlog level (every level answers like its class)
    nl = nq // int(scenario.num_classes)
    base = compile_game(sc.replace(backlog_levels=()), lam)
    cv = classical_value(base.game)
    strat = (np.repeat(np.asarray(cv.strategy.alice), nl), np.repeat(np.asarray(cv.strategy.bob), nl))
    history: list[dict[str, Any]] = []
    converged = False
    est: EstimatedCosts | None = None
    prev_cost = None
    for it in range(iterations):
        p = np.zeros((2, 2, nq, nq))
        pa = np.full((2, nq), explore / 2)
        pb = np.full((2, nq), explore / 2)
        pa[strat[0], np.arange(nq)] += 1 - explore
        pb[strat[1], np.arange(nq)] += 1 - explore
        p = pa[:, None, :, None] * pb[None, :, None, :]
        pol = Correlated(p, role_symmetric=bool(scenario.role_coin), name=f"explore-{it}")
        sums = np.zeros(4 * nq * nq)
        sq = np.zeros(4 * nq * nq)
        cnt = np.zeros(4 * nq * nq)
        qcnt = np.zeros(nq * nq)
        for r in range(reps):
            cell, w, xy = pair_cells(sc, pol, r)
            sums += np.bincount(cell, weights=w, minlength=sums.size)
            sq += np.bincount(cell, weights=w * w, minlength=sq.size)
            cnt += np.bincount(cell, minlength=cnt.size)
            qcnt += np.bincount(xy, minlength=qcnt.size)
            if progress is not None:
                progress("estimate costs", it * reps + r + 1, iterations * reps)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = sums / cnt
            var = np.maximum(sq / cnt - mean**2, 0.0)
            se = np.sqrt(var / np.maximum(cnt - 1, 1))
        cost = mean.reshape(2, 2, nq, nq)
        prob = (qcnt / qcnt.sum()).reshape(nq, nq)
        if np.any(prob <= 0):
            # a question never occurred: keep it with a tiny weight so the game stays well formed
            prob = np.maximum(prob, 1e-9)
            prob /= prob.sum()
        if not np.all(np.isfinite(cost)):
            raise CompileError("n_pairs: some (question, answer) cells were never simulated; increase n_pairs or explore")
        est = EstimatedCosts(
            cost=cost, stderr=se.reshape(2, 2, nq, nq), counts=cnt.reshape(2, 2, nq, nq).astype(np.int64), prob=prob,
            iterations=it + 1, converged=False, history=tuple(history), seed=int(seed),
        )
        cg = compile_game(sc, lam, costs=est)
        new = classical_value(cg.game).strategy
        new_t = (np.asarray(new.alice), np.asarray(new.bob))
        # value of the previous strategy in the newly estimated game, and the noise of a game value
        W = cg.game.weights
        nx = np.arange(nq)
        v_new = float(W[new_t[0][:, None], new_t[1][None, :], nx[:, None], nx[None, :]].sum())
        v_prev = float(W[strat[0][:, None], strat[1][None, :], nx[:, None], nx[None, :]].sum())
        se_cells = np.nan_to_num(est.stderr) * prob[None, None] / 2.0
        tol = 2.0 * float(np.sqrt((se_cells**2).sum(axis=(0, 1)).sum()))
        change = float(np.nanmax(np.abs(cost - prev_cost))) if prev_cost is not None else float("nan")
        history.append(
            {"iteration": it + 1, "alice": new_t[0].tolist(), "bob": new_t[1].tolist(), "max_cost_change": change,
             "value": v_new, "previous_strategy_value": v_prev, "tolerance": tol}
        )
        prev_cost = cost
        same = np.array_equal(new_t[0], strat[0]) and np.array_equal(new_t[1], strat[1])
        if (same or v_new - v_prev <= tol) and it > 0:
            # the strategy simulated this round is still optimal (within the estimate's noise)
            converged = True
            break
        strat = new_t
    assert est is not None
    return EstimatedCosts(
        cost=est.cost, stderr=est.stderr, counts=est.counts, prob=est.prob,
        iterations=len(history), converged=converged, history=tuple(history), seed=int(seed),
    )
