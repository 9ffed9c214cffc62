"""Bad inputs through the Python API: each gives the package's ValueError subclass, naming the field
and its allowed range, never a silent wrong result or a traceback from inside a library."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from qcoord.games import Game, GameError, get_game
from qcoord.games.strategy import DeterministicStrategy, QuantumStrategy

DEEP = 10**5  # far beyond Python's recursion limit


@pytest.fixture
def chsh() -> Game:
    return get_game("chsh")


def _tsirelson_parts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    state = np.array([1, 0, 0, 1]) / np.sqrt(2)
    Z = np.array([[[1, 0], [0, 0]], [[0, 0], [0, 1]]], dtype=float)
    X = np.array([[[0.5, 0.5], [0.5, 0.5]], [[0.5, -0.5], [-0.5, 0.5]]])
    return state, np.array([Z, X]), np.array([Z, X])


# ----------------------------------------------------------------------------- games: complex entries
@pytest.mark.parametrize("field", ["prob", "payoff"])
def test_game_refuses_complex_entries(chsh: Game, field: str) -> None:
    prob, payoff = np.array(chsh.prob), np.array(chsh.payoff)
    args = {"prob": prob, "payoff": payoff}
    args[field] = args[field] + 0.1j
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning: a clear error instead
        with pytest.raises(GameError, match=rf"^{field}: entries must be real numbers, not complex; {field}\[0, 0"):
            Game(**args)


def test_game_refuses_complex_nan_imaginary_part(chsh: Game) -> None:
    with pytest.raises(GameError, match="payoff: entries must be real numbers, not complex"):
        Game(chsh.prob, chsh.payoff + complex(0.0, np.nan))


def test_game_accepts_complex_dtype_with_zero_imaginary_part(chsh: Game) -> None:
    g = Game(chsh.prob + 0j, chsh.payoff + 0j)
    assert g.payoff.dtype == np.float64 and np.array_equal(g.payoff, chsh.payoff)


@pytest.mark.parametrize(
    "prob, message",
    [
        ([["0.25", "0.25"], ["0.25", "0.25"]], r"prob: entries must be real numbers, got strings"),
        ([[0.25, None], [0.25, 0.25]], r"prob: entries must be real numbers; prob\[0, 1\] = None"),
        ([[0.25, 0.25j], [0.25, 0.25]], r"prob: entries must be real numbers, not complex; prob\[0, 1\]"),
    ],
)
def test_game_refuses_non_real_entries(chsh: Game, prob: object, message: str) -> None:
    with pytest.raises(GameError, match=message):
        Game(prob, chsh.payoff)


def test_game_still_accepts_boolean_predicates(chsh: Game) -> None:
    g = Game(chsh.prob, chsh.payoff.astype(bool))
    assert np.array_equal(g.payoff, chsh.payoff)


# ----------------------------------------------------------------------------- games: names
@pytest.mark.parametrize("field", ["question_names", "answer_names"])
@pytest.mark.parametrize("names", [5, "ab", {"alice": ["x0", "x1"]}])
def test_game_refuses_names_of_the_wrong_type(chsh: Game, field: str, names: object) -> None:
    with pytest.raises(GameError, match=rf"^{field}: must be a pair \(alice_names, bob_names\) of lists of strings"):
        Game(chsh.prob, chsh.payoff, **{field: names})


@pytest.mark.parametrize(
    "names, message",
    [
        ([5, 6], r"question_names: Alice's names must be a list of strings, got int 5"),
        ([["a", "b"], "cd"], r"question_names: Bob's names must be a list of strings, got str 'cd'"),
        ([["a", None], ["c", "d"]], r"question_names: Alice's names must be strings \(or integers\), got NoneType None at position 1"),
        ([["a", ["b"]], ["c", "d"]], r"question_names: Alice's names must be strings"),
    ],
)
def test_game_refuses_bad_name_lists(chsh: Game, names: object, message: str) -> None:
    with pytest.raises(GameError, match=message):
        Game(chsh.prob, chsh.payoff, question_names=names)


def test_game_names_accept_strings_and_integers(chsh: Game) -> None:
    g = Game(chsh.prob, chsh.payoff, question_names=[[0, 1], ("a", "b")], answer_names=np.array([["p", "q"], ["r", "s"]])[0:2])
    assert g.question_names == (("0", "1"), ("a", "b")) and g.answer_names == (("p", "q"), ("r", "s"))


def test_game_refuses_a_name_that_is_not_a_string(chsh: Game) -> None:
    with pytest.raises(GameError, match=r"^name: must be a string, got list"):
        Game(chsh.prob, chsh.payoff, name=["chsh"])


# ----------------------------------------------------------------------------- games: JSON files
def test_game_json_nested_too_deeply(tmp_path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"prob": ' + "[" * DEEP + "]" * DEEP + ', "payoff": []}')
    with pytest.raises(GameError, match=rf"^game file {path}: nested too deeply"):
        Game.from_json(path)
    with pytest.raises(GameError, match=r"^game file: nested too deeply"):  # JSON text
        Game.from_json(path.read_text())


def test_game_json_moderately_nested_is_a_shape_error(tmp_path) -> None:
    path = tmp_path / "deep500.json"
    path.write_text('{"prob": ' + "[" * 500 + "]" * 500 + ', "payoff": []}')
    with pytest.raises(GameError, match=r"^prob: must be a 2-dimensional array of real numbers"):
        Game.from_json(path)


def test_game_json_binary_file(tmp_path) -> None:
    path = tmp_path / "game.json"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(GameError, match=rf"^game file {path}: not a text \(UTF-8\) JSON file; byte 128"):
        Game.from_json(path)


def test_game_json_invalid_names_the_file(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"prob": [1')
    with pytest.raises(GameError, match=rf"^game file {path}: not valid JSON"):
        Game.from_json(path)


@pytest.mark.parametrize(
    "entry, message",
    [
        ('"0.25+0.1j"', r"prob: entries must be real numbers, got strings"),
        ("NaN", r"prob: entries must be finite numbers; prob\[0, 0\] = nan"),
        ("[0.25, 0.1]", r"prob: expected a 2-dimensional array, got shape \(2, 2, 2\)"),
    ],
)
def test_game_json_complex_or_nan_entries(tmp_path, chsh: Game, entry: str, message: str) -> None:
    import json

    text = json.dumps(chsh.to_dict()).replace('"prob": [[0.25', f'"prob": [[{entry}', 1)
    if entry.startswith("["):  # every entry a [re, im] pair
        text = json.dumps({**chsh.to_dict(), "prob": [[[0.25, 0.1]] * 2] * 2})
    path = tmp_path / "g.json"
    path.write_text(text)
    with pytest.raises(GameError, match=message):
        Game.from_json(path)


# ----------------------------------------------------------------------------- strategies
def test_quantum_strategy_refuses_nan_state() -> None:
    state, A, B = _tsirelson_parts()
    state = state.copy()
    state[0] = np.nan
    with pytest.raises(GameError, match=r"^state: entries must be finite numbers; state\[0\] = \(nan"):
        QuantumStrategy(state, A, B)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_quantum_strategy_refuses_non_finite_density_matrix(bad: float) -> None:
    _, A, B = _tsirelson_parts()
    with pytest.raises(GameError, match=r"^state: entries must be finite numbers; state\[0, 0\]"):
        QuantumStrategy(np.full((4, 4), bad), A, B)  # was LinAlgError from eigvalsh


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_quantum_strategy_refuses_nan_measurements(who: str) -> None:
    state, A, B = _tsirelson_parts()
    ops = {"alice": A.copy(), "bob": B.copy()}
    ops[who][0, 0, 0, 0] = np.nan
    with pytest.raises(GameError, match=rf"^{who}: measurement operator entries must be finite numbers; {who}\[0, 0, 0, 0\]"):
        QuantumStrategy(state, ops["alice"], ops["bob"])


def test_quantum_strategy_refuses_non_numeric_state() -> None:
    _, A, B = _tsirelson_parts()
    with pytest.raises(GameError, match=r"^state: must be an array of \(complex\) numbers"):
        QuantumStrategy("psi", A, B)


def test_quantum_strategy_visibility_must_be_a_number() -> None:
    strat = QuantumStrategy(*_tsirelson_parts())
    with pytest.raises(GameError, match=r"^visibility: must be a number in \[0, 1\], got 'x'"):
        strat.with_visibility("x")


def test_quantum_strategy_valid_still_works() -> None:
    p = QuantumStrategy(*_tsirelson_parts()).behaviour()
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=(0, 1)), 1.0)


@pytest.mark.parametrize(
    "alice, message",
    [
        (5, r"^alice: must be a sequence of answers \(integers >= 0\), one per question, got 5"),
        ((0.5, 1), r"^alice\[0\]: must be an integer >= 0, got 0.5"),
        ((0, -1), r"^alice\[1\]: must be an integer >= 0, got -1"),
        (("x", 1), r"^alice\[0\]: must be an integer >= 0, got 'x'"),
    ],
)
def test_deterministic_strategy_refuses_bad_answers(alice: object, message: str) -> None:
    with pytest.raises(GameError, match=message):
        DeterministicStrategy(alice, (0, 1))


def test_deterministic_strategy_accepts_integer_arrays() -> None:
    s = DeterministicStrategy(np.array([0, 1]), (np.int64(1), 0))
    assert s.alice == (0, 1) and s.bob == (1, 0)


# ============================================================================= system: scenario & baseline
from qcoord.compile import compile_game  # noqa: E402
from qcoord.entanglement import EntanglementError, EntanglementPool  # noqa: E402
from qcoord.entanglement.states import density_matrix  # noqa: E402
from qcoord.games import quantum_lower_bound  # noqa: E402
from qcoord.games import seesaw as seesaw_module  # noqa: E402
from qcoord.system import BaselineError, Scenario, ScenarioError, simulate  # noqa: E402
from qcoord.system import scenario as scenario_module  # noqa: E402
from qcoord.system.simulate import memory_estimate  # noqa: E402

GiB = 2**30


def _deep_list(depth: int = DEEP) -> list:
    out: list = []
    for _ in range(depth):
        out = [out]
    return out


class _Split:
    """A minimal policy: every customer stays at its own server."""

    name = "split"

    def route(self, inputs, scenario):
        from qcoord.system import routing_from_decisions

        return routing_from_decisions(inputs, scenario, np.zeros((inputs.n, 2), dtype=np.int8))


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"kind": "setup", "C": 5.0}, r"^baseline\.C: unknown key for a 'setup' baseline; allowed keys are 'kind', 'c'"),
        ({"kind": "power", "k": 3, "c": 2}, r"^baseline\.c: unknown key for a 'power' baseline; allowed keys are 'kind', 'k'"),
        ({"kind": "linear", "k": 2}, r"^baseline\.k: unknown key for a 'linear' baseline; allowed keys are 'kind'"),
        ({"kind": "setup", "c": True}, r"^baseline\.c: must be a finite number, got True"),
    ],
)
def test_baseline_table_refuses_unknown_keys(spec: dict, message: str) -> None:
    with pytest.raises(BaselineError, match=message):
        Scenario(baseline=spec)
    with pytest.raises(ScenarioError, match=message):  # the same through a file's table
        Scenario.from_dict({"baseline": spec})


def test_baseline_tables_round_trip() -> None:
    for spec in ({"kind": "setup", "c": 2.0}, {"kind": "power", "k": 3.0}, {"kind": "linear"}, {"kind": "setup"}):
        b = Scenario(baseline=spec).baseline
        assert Scenario(baseline=b.to_dict()).baseline == b


def test_compile_game_refuses_an_unstable_scenario() -> None:
    for rate in (1.2, 1.0):
        with pytest.raises(ScenarioError, match=r"^arrival_rate: the utilisation arrival_rate \* mean demand = .* must be < 1"):
            compile_game(Scenario(arrival_rate=rate), 0.5)
    assert compile_game(Scenario(arrival_rate=0.9), 0.5).game.shape == (2, 2, 2, 2)


def test_compile_game_refuses_a_non_scenario() -> None:
    from qcoord.compile import CompileError

    with pytest.raises(CompileError, match=r"^scenario: must be a qcoord.system.Scenario, got str"):
        compile_game("r1", 0.5)


@pytest.mark.parametrize(
    "body",
    [
        "arrival_rate = " + "[" * DEEP + "]" * DEEP + "\n",
        "demand = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n",
    ],
    ids=["arrays", "inline-tables"],
)
def test_scenario_toml_nested_too_deeply(tmp_path, body: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(body)
    with pytest.raises(ScenarioError, match=rf"^path: {path} is nested too deeply"):
        Scenario.from_toml(path)


def test_scenario_toml_binary_file(tmp_path) -> None:
    path = tmp_path / "scenario.toml"
    path.write_bytes(b"\xff\xfe\x00\x81 = 3\n" + bytes(range(128, 256)))
    with pytest.raises(ScenarioError, match=rf"^path: {path} is not a text \(UTF-8\) TOML file; byte 0"):
        Scenario.from_toml(path)


def test_scenario_toml_folder_and_missing_file(tmp_path) -> None:
    with pytest.raises(ScenarioError, match=rf"^path: {tmp_path} is a folder, not a scenario file"):
        Scenario.from_toml(tmp_path)
    with pytest.raises(ScenarioError, match=r"^path: scenario file not found"):
        Scenario.from_toml(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    "field", ["arrival_rate", "arrival_process", "class_edges", "n_pairs", "seed", "discipline", "role_coin", "handoff_delay"]
)
def test_scenario_fields_nested_too_deeply_in_python(field: str) -> None:
    # the message's repr of the value would itself raise RecursionError
    with pytest.raises(ScenarioError, match=rf"^{field}(\[0\])?: .*nested too deeply"):
        Scenario(**{field: _deep_list()})


def test_scenario_demand_nested_too_deeply_in_python() -> None:
    with pytest.raises(ScenarioError, match=r"^demand: .*nested too deeply"):
        Scenario(demand={"kind": "exponential", "mean": _deep_list()})


def test_baseline_parameter_nested_too_deeply_in_python() -> None:
    with pytest.raises(BaselineError, match=r"^baseline\.c: must be a finite number, got a list nested too deeply"):
        Scenario(baseline={"kind": "setup", "c": _deep_list()})


# ============================================================================= memory: simulate
@pytest.mark.parametrize("n_pairs", [10**12, 5 * 10**8])
def test_simulate_refuses_a_run_larger_than_the_memory(monkeypatch, n_pairs: int) -> None:
    monkeypatch.setattr(scenario_module, "_available_memory", lambda: 16 * GiB)
    sc = Scenario(n_pairs=n_pairs, replications=2)
    with pytest.raises(
        ScenarioError,
        match=rf"^n_pairs: simulating {n_pairs:,} pairs x 2 policies x 2 replications needs about .* of memory "
        r"\(estimate: 512 bytes per pair\), more than the 16 GiB available; use n_pairs <= 33,554,432 here",
    ):
        simulate(sc, [_Split(), type("Other", (_Split,), {"name": "other"})()])


def test_simulate_refuses_on_this_machine_before_allocating() -> None:
    import time

    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match=r"^n_pairs: simulating 1,000,000,000,000 pairs .* available"):
        simulate(Scenario(n_pairs=10**12, replications=1), _Split())
    assert time.perf_counter() - t0 < 5.0


def test_simulate_memory_limit_is_the_one_used(monkeypatch) -> None:
    sc = Scenario(n_pairs=2_000, warmup=100, replications=1)
    need = memory_estimate(sc, 1, 1)
    assert need == 2_000 * 256
    monkeypatch.setattr(scenario_module, "_available_memory", lambda: need - 1)
    with pytest.raises(ScenarioError, match=r"^n_pairs: .* more than the .* available; use n_pairs <= 1,999 here"):
        simulate(sc, _Split())
    monkeypatch.setattr(scenario_module, "_available_memory", lambda: need)
    assert simulate(sc, _Split()).metrics["mean_waiting"].shape == (1, 1)
    monkeypatch.setattr(scenario_module, "_available_memory", lambda: None)  # unknown: no check
    assert simulate(sc, _Split()).metrics["mean_waiting"].shape == (1, 1)


def test_simulate_keep_idle_runs_counts_in_the_estimate(monkeypatch) -> None:
    sc = Scenario(n_pairs=10**9, replications=4)
    assert memory_estimate(sc, 3, 4, keep_idle_runs=True) == memory_estimate(sc, 3, 4) + 10**9 * 16 * 12
    assert memory_estimate(sc.replace(backlog_levels=(0.0, 1.0, 2.0)), 1, 1) == 10**9 * (256 + 2 * 16 + 48)
    monkeypatch.setattr(scenario_module, "_available_memory", lambda: 64 * GiB)
    with pytest.raises(ScenarioError, match=r"with the idle runs kept by keep_idle_runs=True.* or keep_idle_runs=False$"):
        simulate(sc, _Split(), keep_idle_runs=True)


def test_draw_inputs_refuses_more_pairs_than_the_memory(monkeypatch) -> None:
    monkeypatch.setattr(scenario_module, "_available_memory", lambda: 1 * GiB)
    with pytest.raises(ScenarioError, match=r"^n_pairs: the inputs of 100,000,000 pairs need about 8.94 GiB of memory"):
        Scenario(n_pairs=10**8).draw_inputs(0)


def test_available_memory_is_positive_here() -> None:
    avail = scenario_module._available_memory()
    other = seesaw_module._available_memory()  # the same rule, in qcoord.games
    assert avail is None or avail > 0
    assert (avail is None) == (other is None)


# ============================================================================= memory: see-saw
def test_seesaw_refuses_the_advertised_maximum_dimension_at_once(chsh: Game) -> None:
    import time

    t0 = time.perf_counter()
    with pytest.raises(
        GameError,
        match=r"^dim: the see-saw at dim=256 with 17 runs: restarts=16 plus 1 start \(classical / initial\), needs about "
        r".* TiB of memory \(each run's Bell operator alone is a 65536 x 65536 complex matrix, 64 GiB\), more than "
        r"the .* available",
    ):
        quantum_lower_bound(chsh, dim=256)
    assert time.perf_counter() - t0 < 5.0  # before the classical start and before any allocation


def test_seesaw_memory_message_suggests_what_fits(monkeypatch, chsh: Game) -> None:
    monkeypatch.setattr(seesaw_module, "_available_memory", lambda: GiB // 4)
    assert seesaw_module.memory_estimate(chsh.shape, 32, 9) > GiB // 4 >= seesaw_module.memory_estimate(chsh.shape, 32, 1)
    with pytest.raises(GameError, match=r"^dim: the see-saw at dim=32 with 9 runs: restarts=8 plus 1 start .* "
                                        r"more than the 0.25 GiB available; use dim <= \d+ with these restarts or restarts <= \d+ at dim=32$"):
        quantum_lower_bound(chsh, dim=32, restarts=8)
    with pytest.raises(GameError, match=r"^dim: the see-saw at dim=64 with 2 runs: restarts=2, .* use dim <= \d+ with these restarts$"):
        quantum_lower_bound(chsh, dim=64, restarts=2, classical_start=False)


def test_seesaw_memory_estimate_counts_the_bell_operators() -> None:
    shape = (2, 2, 2, 2)
    assert seesaw_module.memory_estimate(shape, 256, 17) > 17 * 16 * 256**4
    assert seesaw_module.memory_estimate(shape, 2, 17) < 2**20
    sizes = [seesaw_module.memory_estimate(shape, d, 5) for d in range(1, 40)]
    assert sizes == sorted(sizes)


def test_seesaw_small_dimensions_still_run(monkeypatch, chsh: Game) -> None:
    monkeypatch.setattr(seesaw_module, "_available_memory", lambda: 64 * 2**20)
    r = quantum_lower_bound(chsh, dim=2, restarts=2, seed=0)
    assert r.value == pytest.approx(np.cos(np.pi / 8) ** 2, abs=1e-6)


# ============================================================================= entanglement
@pytest.mark.parametrize("kwargs", [{}, {"attempt_period": 1.0}, {"rate": 1.0}])
@pytest.mark.parametrize("bad", ["x", None, float("nan"), True, [0.5], 0.0, 1.5])
def test_pool_success_prob_must_be_a_probability(kwargs: dict, bad: object) -> None:
    with pytest.raises(EntanglementError, match=r"^success_prob: must lie in \(0, 1\] \(a number: the success probability"):
        EntanglementPool(success_prob=bad, **kwargs)


def test_pool_valid_success_prob() -> None:
    pool = EntanglementPool(attempt_period=2.0, success_prob=np.float32(0.5))
    assert pool.success_prob == 0.5 and pool.supply_rate == 0.25


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_density_matrix_is_refused(bad: float) -> None:
    with pytest.raises(EntanglementError, match=r"^rho: entries must be finite"):
        density_matrix(np.full((4, 4), bad), field="rho")


@pytest.mark.parametrize("uniforms", ["00", 5, (0.1, 0.2, 0.3), ("a", 0.1)])
def test_pair_uniforms_must_be_two_numbers(uniforms: object) -> None:
    from qcoord.entanglement import sampler
    from qcoord.entanglement.measurements import chsh_measurements
    from qcoord.entanglement.states import bell_state

    s = sampler(chsh_measurements().strategy(bell_state()))
    with pytest.raises(EntanglementError, match=r"^uniforms: need two numbers \(u_a, u_b\) in \[0, 1\)"):
        s.pair(uniforms=uniforms)
