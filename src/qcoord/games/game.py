"""The weighted two-player non-local game: one immutable value type.

A game is played in rounds. A referee draws a question pair ``(x, y)`` with probability
``prob[x, y]``, sends ``x`` to Alice and ``y`` to Bob, who answer ``a`` and ``b`` without
communicating; the round pays ``payoff[a, b, x, y]`` (any real number; weighted games, not only 0/1
predicates). The value of a behaviour ``p(a, b | x, y)`` is

.. math::

    \\omega(p) = \\sum_{x,y} \\pi(x, y) \\sum_{a,b} V(a, b, x, y)\\, p(a, b \\mid x, y)
              = \\sum_{a,b,x,y} W[a, b, x, y]\\, p[a, b, x, y],

with the weight tensor ``W = prob[None, None] * payoff``. The array layout ``[a, b, x, y]`` is the
one toqito's ``NonlocalGame(prob_mat, pred_mat)`` uses, so games move both ways without transposes.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Game", "GameError", "check_behaviour"]

#: Absolute tolerance on the normalisation of ``prob`` and of behaviours.
PROB_ATOL = 1e-9
#: A question distribution whose sum is off by more than ``PROB_ATOL`` but at most this (e.g. a
#: table of rounded decimals) is renormalised with a ``UserWarning``; beyond it, a ``GameError``.
PROB_RENORMALISE_ATOL = 1e-6
#: Version tag written into game JSON files.
JSON_FORMAT = "qcoord.game/1"


class GameError(ValueError):
    """A game, behaviour or strategy failed validation. The message names the field and the range."""


def check_int(value: Any, field_name: str, minimum: int) -> int:
    """``int(value)`` if it is an integer (not a bool) >= ``minimum``; else :class:`GameError` naming the field."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or int(value) < minimum:
        raise GameError(f"{field_name}: must be an integer >= {minimum}, got {value!r}")
    return int(value)


def seed_sequence(seed: Any, field_name: str = "seed") -> np.random.SeedSequence:
    """``numpy.random.SeedSequence(seed)`` for an integer >= 0, a tuple of them (a recorded entropy)
    or ``None`` (fresh entropy); a SeedSequence is returned as it is. Anything else is a
    :class:`GameError` naming the field."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (tuple, list)) and seed:
        return np.random.SeedSequence(tuple(check_int(s, field_name, 0) for s in seed))
    if seed is not None:
        seed = check_int(seed, field_name, 0)
    return np.random.SeedSequence(seed)


def _first_bad(mask: NDArray[np.bool_]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _as_real_array(value: ArrayLike, field_name: str, ndim: int) -> NDArray[np.float64]:
    """``value`` as a read-only float64 array of ``ndim`` dimensions with finite real entries.

    Complex entries with a non-zero imaginary part, strings and non-numeric objects are refused
    (``np.array(.., dtype=float)`` would drop an imaginary part with only a ``ComplexWarning``, and
    parse numeric strings), as is nesting too deep to convert.
    """
    try:
        raw = np.asarray(value)
    except RecursionError:
        raise GameError(f"{field_name}: nested too deeply; expected a {ndim}-dimensional array of real numbers") from None
    except (TypeError, ValueError) as exc:
        raise GameError(f"{field_name}: must be a {ndim}-dimensional array of real numbers ({exc})") from None
    if raw.dtype.kind in "USV" or raw.dtype.kind == "M" or raw.dtype.kind == "m":
        kind = "strings" if raw.dtype.kind in "US" else f"dtype {raw.dtype}"
        raise GameError(f"{field_name}: entries must be real numbers, got {kind} (e.g. {raw.ravel()[:1].tolist()!r})")
    if raw.dtype.kind == "O":  # e.g. None, Fraction, Decimal or complex objects among the numbers
        ok = np.frompyfunc(_is_real_number, 1, 1)(raw).astype(bool) if raw.size else np.ones(0, dtype=bool)
        if not ok.all():
            idx = _first_bad(~ok)
            raise GameError(f"{field_name}: entries must be real numbers; {field_name}{list(idx)} = {_short(raw[idx])}")
    if raw.dtype.kind == "c":
        imag = raw.imag != 0  # NaN imaginary parts count as non-zero
        if imag.any():
            idx = _first_bad(imag)
            raise GameError(
                f"{field_name}: entries must be real numbers, not complex; {field_name}{list(idx)} = {raw[idx].item()!r}"
            )
        raw = raw.real
    try:
        arr = np.array(raw, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise GameError(f"{field_name}: must be an array of real numbers ({exc})") from None
    if arr.ndim != ndim:
        raise GameError(f"{field_name}: expected a {ndim}-dimensional array, got shape {arr.shape}")
    if arr.size == 0 or 0 in arr.shape:
        raise GameError(f"{field_name}: every axis must have length >= 1, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise GameError(f"{field_name}: entries must be finite numbers; {field_name}{list(idx)} = {arr[idx]}")
    arr.setflags(write=False)
    return arr


def _names(
    given: Sequence[Sequence[str]] | None, sizes: tuple[int, int], field_name: str, prefix: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if given is None:
        return tuple(f"{prefix}{i}" for i in range(sizes[0])), tuple(f"{prefix}{i}" for i in range(sizes[1]))
    form = "a pair (alice_names, bob_names) of lists of strings"
    if not _is_sequence(given, ndim=2):
        raise GameError(f"{field_name}: must be {form}, got {type(given).__name__} {_short(given)}")
    if len(given) != 2:
        raise GameError(f"{field_name}: give one list of names for Alice and one for Bob, got {len(given)}")
    out = []
    for who, names, n in zip(("Alice", "Bob"), given, sizes):
        if not _is_sequence(names):
            raise GameError(f"{field_name}: {who}'s names must be a list of strings, got {type(names).__name__} {_short(names)}")
        for i, s in enumerate(names):
            if not _is_name(s):
                raise GameError(
                    f"{field_name}: {who}'s names must be strings (or integers), got {type(s).__name__} "
                    f"{_short(s)} at position {i}"
                )
        names = tuple(str(s) for s in names)
        if len(names) != n:
            raise GameError(f"{field_name}: {who} needs {n} names, got {len(names)}")
        out.append(names)
    return out[0], out[1]


def _is_real_number(value: Any) -> bool:
    """A real number: int, float, bool, a numpy real scalar, a ``numbers.Real`` (Fraction) or a Decimal."""
    import decimal
    import numbers

    if isinstance(value, (complex, np.complexfloating)):
        return False
    return isinstance(value, (numbers.Real, decimal.Decimal, np.integer, np.floating, np.bool_))


def _is_sequence(value: Any, ndim: int = 1) -> bool:
    """A list, tuple or ``ndim``-dimensional array (not a string, bytes or mapping)."""
    if isinstance(value, np.ndarray):
        return value.ndim == ndim
    return isinstance(value, (list, tuple))


def _is_name(value: Any) -> bool:
    """A string, or an integer / numpy string or integer scalar (written with ``str``)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, (str, np.str_, int, np.integer))


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters (safe for deeply nested values)."""
    try:
        text = repr(value)
    except RecursionError:
        text = f"<{type(value).__name__} nested too deeply>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True, eq=False)
class Game:
    """A weighted two-player non-local game.

    Parameters
    ----------
    prob : array_like, shape (nx, ny)
        Question distribution :math:`\\pi(x, y)`: non-negative, sums to 1 (within 1e-9). A sum
        within ``PROB_RENORMALISE_ATOL`` (1e-6) of 1 but not within 1e-9 is accepted and divided by
        the sum, with a ``UserWarning``; :attr:`renormalised` records it.
    payoff : array_like, shape (na, nb, nx, ny)
        Payoff :math:`V(a, b, x, y)` of answers ``(a, b)`` to questions ``(x, y)``; any finite reals.
    name : str, optional
        A label used in tables and reports.
    question_names, answer_names : pair of sequences of str, optional
        ``(alice_names, bob_names)``; default ``("x0", "x1", ...)`` and ``("a0", "a1", ...)``.

    Attributes
    ----------
    weights : ndarray, shape (na, nb, nx, ny)
        ``prob[None, None] * payoff``.
    renormalised : bool
        True when ``prob`` was given with a sum off by more than 1e-9 (at most 1e-6) and was
        divided by its sum. Not an argument: a game rebuilt from this one's (normalised) ``prob``,
        e.g. through :meth:`to_dict` / :meth:`from_dict`, has ``renormalised == False``.

    Raises
    ------
    GameError
        On shape mismatch, negative ``prob``, ``prob`` summing to a number more than 1e-6 away from
        1, non-finite, complex (non-zero imaginary part) or non-numeric entries, or names that are
        not strings. The message names the field and the allowed range.

    Warns
    -----
    UserWarning
        When ``prob`` is renormalised (its sum is within 1e-6 of 1 but not within 1e-9).

    Examples
    --------
    >>> import numpy as np
    >>> prob = np.full((2, 2), 0.25)
    >>> payoff = np.zeros((2, 2, 2, 2))
    >>> for a in range(2):
    ...     for b in range(2):
    ...         for x in range(2):
    ...             for y in range(2):
    ...                 payoff[a, b, x, y] = float((a ^ b) == (x & y))
    >>> Game(prob, payoff, name="CHSH").value(np.full((2, 2, 2, 2), 0.25))
    0.5
    """

    prob: NDArray[np.float64]
    payoff: NDArray[np.float64]
    name: str = "game"
    question_names: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    answer_names: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    weights: NDArray[np.float64] = field(init=False, repr=False)
    renormalised: bool = field(init=False, repr=False, default=False)

    def __post_init__(self) -> None:
        prob = _as_real_array(self.prob, "prob", 2)
        payoff = _as_real_array(self.payoff, "payoff", 4)
        if payoff.shape[2:] != prob.shape:
            raise GameError(
                f"payoff: shape {payoff.shape} must be (na, nb, nx, ny) with (nx, ny) = prob.shape = {prob.shape}"
            )
        if (prob < 0).any():
            idx = tuple(int(i) for i in np.argwhere(prob < 0)[0])
            raise GameError(f"prob: entries must be >= 0; prob{list(idx)} = {prob[idx]}")
        total = float(prob.sum())
        if abs(total - 1.0) > PROB_RENORMALISE_ATOL:
            raise GameError(
                f"prob: entries must sum to 1 (within {PROB_ATOL:g}; sums within {PROB_RENORMALISE_ATOL:g} "
                f"are renormalised); they sum to {total!r}"
            )
        if abs(total - 1.0) > PROB_ATOL:
            warnings.warn(
                f"prob: entries sum to {total!r}, not 1 within {PROB_ATOL:g} (but within "
                f"{PROB_RENORMALISE_ATOL:g}); renormalised by dividing by the sum",
                UserWarning,
                stacklevel=3,
            )
            prob = prob / total
            prob.setflags(write=False)
            object.__setattr__(self, "renormalised", True)
        object.__setattr__(self, "prob", prob)
        object.__setattr__(self, "payoff", payoff)
        if not _is_name(self.name):
            raise GameError(f"name: must be a string, got {type(self.name).__name__} {_short(self.name)}")
        object.__setattr__(self, "name", str(self.name))
        nx, ny = prob.shape
        na, nb = payoff.shape[:2]
        object.__setattr__(self, "question_names", _names(self.question_names, (nx, ny), "question_names", "x"))
        object.__setattr__(self, "answer_names", _names(self.answer_names, (na, nb), "answer_names", "a"))
        weights = prob[None, None, :, :] * payoff
        weights.setflags(write=False)
        object.__setattr__(self, "weights", weights)

    # ------------------------------------------------------------------ shape
    @property
    def num_questions(self) -> tuple[int, int]:
        """``(nx, ny)``: the number of questions of Alice and of Bob."""
        return self.prob.shape  # type: ignore[return-value]

    @property
    def num_answers(self) -> tuple[int, int]:
        """``(na, nb)``: the number of answers of Alice and of Bob."""
        return self.payoff.shape[:2]  # type: ignore[return-value]

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(na, nb, nx, ny)``, the shape of payoffs and behaviours."""
        return self.payoff.shape  # type: ignore[return-value]

    # ------------------------------------------------------------------ values
    def value(self, behaviour: ArrayLike) -> float:
        """Expected payoff :math:`\\sum W[a,b,x,y]\\,p(a,b|x,y)` of a behaviour.

        Parameters
        ----------
        behaviour : array_like, shape (na, nb, nx, ny)
            Conditional distribution ``p[a, b, x, y] = p(a, b | x, y)``; validated by
            :func:`check_behaviour` (non-negative, each ``(x, y)`` slice sums to 1).
        """
        p = check_behaviour(behaviour, self.shape)
        return float(np.einsum("abxy,abxy->", self.weights, p))

    def __pow__(self, k: int) -> "Game":
        """``game ** k`` is :func:`qcoord.games.library.repeat` ``(game, k)``, the k-fold parallel repetition."""
        from .library import repeat  # lazy: library imports this module

        return repeat(self, k)

    # ------------------------------------------------------------------ interop
    @classmethod
    def from_toqito(cls, prob_mat: ArrayLike, pred_mat: ArrayLike, name: str = "game") -> "Game":
        """Build a game from toqito's ``NonlocalGame(prob_mat, pred_mat)`` arrays.

        toqito stores ``prob_mat[x, y]`` and ``pred_mat[a, b, x, y]``, the layout used here.
        """
        return cls(prob=np.asarray(prob_mat), payoff=np.asarray(pred_mat), name=name)

    def to_toqito(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return ``(prob_mat, pred_mat)`` for ``toqito.nonlocal_games.nonlocal_game.NonlocalGame``."""
        return np.array(self.prob), np.array(self.payoff)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (see :meth:`from_dict` for the format)."""
        return {
            "format": JSON_FORMAT,
            "name": self.name,
            "prob": self.prob.tolist(),
            "payoff": self.payoff.tolist(),
            "question_names": [list(n) for n in self.question_names],  # type: ignore[union-attr]
            "answer_names": [list(n) for n in self.answer_names],  # type: ignore[union-attr]
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Game":
        """Build a game from the JSON game format.

        The format is an object with keys

        ``format``
            ``"qcoord.game/1"`` (optional; checked when present).
        ``name``
            optional label.
        ``prob``
            nested list ``[nx][ny]``: the question distribution.
        ``payoff``
            nested list ``[na][nb][nx][ny]``: the payoff of answers ``(a, b)`` to ``(x, y)``.
        ``question_names``, ``answer_names``
            optional ``[[alice...], [bob...]]``.
        """
        if not isinstance(data, dict):
            raise GameError(f"game file: expected a JSON object, got {type(data).__name__}")
        fmt = data.get("format", JSON_FORMAT)
        if fmt != JSON_FORMAT:
            raise GameError(f"format: expected {JSON_FORMAT!r}, got {fmt!r}")
        for key in ("prob", "payoff"):
            if key not in data:
                raise GameError(f"{key}: missing from the game file (required keys: prob, payoff)")
        return cls(
            prob=data["prob"],
            payoff=data["payoff"],
            name=data.get("name", "game"),
            question_names=data.get("question_names"),
            answer_names=data.get("answer_names"),
        )

    def to_json(self, path: str | Path | None = None) -> str:
        """Serialise to the JSON game format; write to ``path`` when given. Returns the text."""
        text = json.dumps(self.to_dict(), indent=1)
        if path is not None:
            Path(path).write_text(text + "\n")
        return text

    @classmethod
    def from_json(cls, source: str | Path) -> "Game":
        """Read a game from a JSON file path (or from JSON text starting with ``{``).

        Raises
        ------
        GameError
            Missing or unreadable file, a file that is not UTF-8 text (a binary file), invalid JSON,
            JSON nested too deeply to parse, or an invalid game (see :meth:`from_dict`); the message
            names the file (or the field).
        """
        text = str(source)
        where = "game file"
        if not text.lstrip().startswith("{"):
            path = Path(source)
            where = f"game file {path}"
            if not path.is_file():
                raise GameError(f"game file: {path} does not exist")
            from .._files import TextFileError, read_text

            try:
                text = read_text(path)
            except TextFileError as exc:
                if exc.reason == "binary":
                    raise GameError(f"{where}: not a text (UTF-8) JSON file; {exc.detail} (is it a binary file?)") from None
                raise GameError(f"{where}: cannot be read ({exc.detail or exc.reason})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GameError(f"{where}: not valid JSON ({exc})") from None
        except RecursionError:
            raise GameError(
                f"{where}: nested too deeply (a game file holds prob [nx][ny] and payoff [na][nb][nx][ny]: "
                "at most 4 levels of lists)"
            ) from None
        return cls.from_dict(data)

    def __repr__(self) -> str:
        na, nb, nx, ny = self.shape
        return f"Game(name={self.name!r}, questions=({nx}, {ny}), answers=({na}, {nb}))"


def check_behaviour(
    behaviour: ArrayLike, shape: tuple[int, int, int, int] | None = None, atol: float = 1e-7
) -> NDArray[np.float64]:
    """Validate a behaviour ``p[a, b, x, y] = p(a, b | x, y)`` and return it as a float array.

    Parameters
    ----------
    behaviour : array_like, shape (na, nb, nx, ny)
    shape : tuple, optional
        The expected shape (a game's :attr:`Game.shape`).
    atol : float
        Tolerance for negativity and for the normalisation :math:`\\sum_{a,b} p(a,b|x,y) = 1`.

    Returns
    -------
    ndarray of float64, shape (na, nb, nx, ny)
        The behaviour (a read-only copy).

    Raises
    ------
    GameError
        Wrong shape, non-finite or negative entries, or a slice ``(x, y)`` that does not sum to 1.
    """
    p = _as_real_array(behaviour, "behaviour", 4)
    if shape is not None and p.shape != tuple(shape):
        raise GameError(f"behaviour: expected shape {tuple(shape)} = (na, nb, nx, ny), got {p.shape}")
    if (p < -atol).any():
        idx = tuple(int(i) for i in np.argwhere(p < -atol)[0])
        raise GameError(f"behaviour: probabilities must be >= 0; behaviour{list(idx)} = {p[idx]}")
    sums = p.sum(axis=(0, 1))
    bad = np.abs(sums - 1.0) > atol
    if bad.any():
        x, y = (int(i) for i in np.argwhere(bad)[0])
        raise GameError(
            f"behaviour: each p(., . | x, y) must sum to 1 (within {atol:g}); at x={x}, y={y} it sums to {sums[x, y]!r}"
        )
    return p
