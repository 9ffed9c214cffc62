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
