"""Bell expressions in the field's notations, converted to and from games, and their maxima.

A two-party Bell expression is an affine function of a behaviour :math:`p(a, b \\mid x, y)`
(Alice's question :math:`x < n_x`, answer :math:`a < n_a`; Bob's :math:`y < n_y`, :math:`b < n_b`).
Three notations are in use (Brunner, Cavalcanti, Pironio, Scarani, Wehner, "Bell nonlocality",
Rev. Mod. Phys. 86, 419 (2014), Sec. II):

``"correlator"`` (binary outcomes, :math:`n_a = n_b = 2`; outcome 0 is :math:`+1`, outcome 1 is
:math:`-1`)
    .. math::

        \\beta(p) = \\sum_{x,y} M_{xy} \\langle A_x B_y \\rangle + \\sum_x \\alpha_x \\langle A_x \\rangle
                  + \\sum_y \\beta_y \\langle B_y \\rangle + \\kappa,

    with :math:`\\langle A_x B_y \\rangle = \\sum_{a,b} (-1)^{a+b} p(a,b|x,y)`,
    :math:`\\langle A_x \\rangle = \\sum_a (-1)^a p_A(a|x)`, :math:`\\langle B_y \\rangle = \\sum_b (-1)^b p_B(b|y)`.

``"collins_gisin"`` (any numbers of outcomes; Collins & Gisin, "A relevant two qubit Bell inequality
inequivalent to the CHSH inequality", J. Phys. A 37, 1775 (2004))
    .. math::

        \\beta(p) = \\sum_{a < n_a - 1,\\, x} c_{ax}\\, p_A(a|x) + \\sum_{b < n_b - 1,\\, y} d_{by}\\, p_B(b|y)
                  + \\sum_{a < n_a - 1,\\, b < n_b - 1,\\, x,\\, y} e_{abxy}\\, p(a,b|x,y) + \\kappa;

    the last outcome of each party is omitted (its probabilities are implied by normalisation and
    no-signalling), so the coefficients of an expression on the no-signalling set are unique.

``"probability"`` (the full table)
    .. math::

        \\beta(p) = \\sum_{a,b,x,y} w_{abxy}\\, p(a,b|x,y) + \\kappa.

Marginals. In the first two forms the marginals :math:`p_A(a|x)`, :math:`p_B(b|y)` are defined only
for no-signalling behaviours. We read them as *averages over the other party's question*,

.. math::

    p_A(a|x) := \\frac{1}{n_y} \\sum_{y} \\sum_b p(a,b|x,y), \\qquad
    p_B(b|y) := \\frac{1}{n_x} \\sum_{x} \\sum_a p(a,b|x,y),

which equals the marginal on every no-signalling behaviour (local, quantum, NPA pseudo-behaviours
and the no-signalling polytope alike) and treats every question of the other party alike (reading
the marginal off a fixed :math:`y = 0` would be equally valid there). Hence the probability form
(:meth:`BellExpression.to_probability_form`)

.. math::

    w_{abxy} = e_{abxy} + c_{ax} / n_y + d_{by} / n_x \\quad\\text{(Collins-Gisin, zero-padded)},\\qquad
    w_{abxy} = M_{xy} (-1)^{a+b} + \\alpha_x (-1)^a / n_y + \\beta_y (-1)^b / n_x \\quad\\text{(correlator)},

equals the expression on every no-signalling behaviour, and on any behaviour it is the value with
the averaged marginals above.

Games. A game's value is :math:`\\sum_{x,y} \\pi(x,y) \\sum_{a,b} V(a,b,x,y)\\, p(a,b|x,y)`.
:meth:`BellExpression.to_game` chooses :math:`\\pi` uniform, :math:`\\pi(x,y) = 1/(n_x n_y)`, and
:math:`V = w / (s\\,\\pi)` for a scale :math:`s > 0` (default 1), so that

.. math::

    \\beta(p) = s\\, \\omega_G(p) + \\kappa

on every behaviour: the expression's maximum over any set of behaviours (local, quantum,
no-signalling, an NPA level) is :math:`s` times the game's value over that set plus
:math:`\\kappa`. The bound methods (:meth:`BellExpression.local_bound`,
:meth:`~BellExpression.quantum_bound`, :meth:`~BellExpression.npa_bound`,
:meth:`~BellExpression.nonsignaling_bound`) apply this map to the game solvers' results.

Library: :func:`chsh_expression` (Clauser, Horne, Shimony, Holt, "Proposed experiment to test local
hidden-variable theories", Phys. Rev. Lett. 23, 880 (1969)) and :func:`i3322` (Collins & Gisin
2004). Values measured here with the solvers (the tests check them):

=======================  =======  ==================  ==============================  ==============
expression               local    see-saw (qubits)    NPA 1 / 1+ab / 2                no-signalling
=======================  =======  ==================  ==============================  ==============
``chsh_expression()``    2        2 sqrt 2            2 sqrt 2 (all levels)           4
``i3322()``              0        0.25                0.3660 / 0.2515 / 0.2509        1
=======================  =======  ==================  ==============================  ==============

(the I3322 quantum value, 0.250875..., needs infinite-dimensional systems: Pál & Vértesi, "Maximal
violation of a bipartite three-setting, two-outcome Bell inequality using infinite-dimensional
quantum systems", Phys. Rev. A 82, 022116 (2010)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .classical import classical_value
from .game import Game, GameError, _as_real_array, check_behaviour
from .nonsignaling import nonsignaling_value
from .npa import npa_upper_bound
from .seesaw import DEFAULT_RESTARTS, quantum_lower_bound

__all__ = ["BellExpression", "BellGame", "BellBound", "KINDS", "chsh_expression", "i3322"]

Kind = Literal["correlator", "collins_gisin", "probability"]
#: The notations a :class:`BellExpression` can be written in.
KINDS: tuple[str, ...] = ("correlator", "collins_gisin", "probability")
#: Outcome ``0`` is the value ``+1``, outcome ``1`` the value ``-1`` in the correlator form.
_SIGN = np.array([1.0, -1.0])


def _check_scalar(value: Any, field_name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise GameError(f"{field_name}: must be a finite real number, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise GameError(f"{field_name}: must be a finite real number, got {value!r}")
    return v


class BellGame(NamedTuple):
    """A game whose value maps affinely onto a Bell expression: ``expression = scale * game + offset``.

    Unpacks as ``game, scale, offset = expression.to_game()``.
    """

    game: Game
    scale: float
    offset: float

    def expression_value(self, game_value: float) -> float:
        """The expression's value :math:`s\\,\\omega + \\kappa` for the game value :math:`\\omega`."""
        return self.scale * float(game_value) + self.offset

    def game_value(self, expression_value: float) -> float:
        """The game value :math:`(\\beta - \\kappa) / s` for the expression's value :math:`\\beta`."""
        return (float(expression_value) - self.offset) / self.scale


@dataclass(frozen=True, eq=False)
class BellBound:
    """A maximum (or a bound on it) of a Bell expression, computed through its game.

    Attributes
    ----------
    value : float
        ``scale * game_value + offset``: the expression's value, in the expression's units.
    method : str
        ``"local"`` (exact maximum over local behaviours), ``"seesaw"`` (a lower bound on the
        quantum maximum at local dimension ``parameters["dim"]``, attained by ``behaviour``),
        ``"npa"`` (an upper bound on the quantum maximum) or ``"nonsignaling"`` (exact).
    bound : str
        ``"exact"``, ``"lower"`` or ``"upper"``: how ``value`` relates to the maximum over the set.
    game_value, scale, offset : float
        The game solver's value and the affine map of :meth:`BellExpression.to_game`.
    behaviour : ndarray, shape (na, nb, nx, ny)
        The optimal (pseudo-)behaviour the solver returned.
    certified : float or None
        For ``"npa"``: the rigorous dual bound mapped to the expression
        (``scale * certified_bound + offset``); else None.
    parameters : dict
        The solver options used (level, dim, restarts, seed, ...).
    result : object
        The game solver's full result (``ClassicalResult``, ``QuantumResult``, ``NPAResult`` or
        ``NonsignalingResult``).
    """

    value: float
    method: str
    bound: str
    game_value: float
    scale: float
    offset: float
    behaviour: NDArray[np.float64] = field(repr=False)
    certified: float | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    result: Any = field(default=None, repr=False)

    def __float__(self) -> float:
        return float(self.value)


@dataclass(frozen=True, eq=False)
class BellExpression:
    """A two-party Bell expression in correlator, Collins-Gisin or full-probability form.

    Use the constructors :meth:`correlator`, :meth:`collins_gisin`, :meth:`probability` or
    :meth:`from_game`; the fields are the coefficient arrays of the chosen notation (see the module
    docstring for the formulas).

    Parameters
    ----------
    kind : {"correlator", "collins_gisin", "probability"}
    joint : array_like
        ``"correlator"``: :math:`M_{xy}`, shape ``(nx, ny)``.
        ``"collins_gisin"``: :math:`e_{abxy}`, shape ``(na-1, nb-1, nx, ny)``; a 2-d ``(nx, ny)``
        array is shorthand for binary outcomes (``na = nb = 2``).
        ``"probability"``: :math:`w_{abxy}`, shape ``(na, nb, nx, ny)``.
    alice, bob : array_like, optional
        Marginal coefficients. ``"correlator"``: :math:`\\alpha_x` shape ``(nx,)``,
        :math:`\\beta_y` shape ``(ny,)``. ``"collins_gisin"``: :math:`c_{ax}` shape
        ``(na-1, nx)``, :math:`d_{by}` shape ``(nb-1, ny)`` (1-d ``(nx,)``/``(ny,)`` for binary
        outcomes). Default zeros. ``"probability"``: must be None.
    constant : float
        :math:`\\kappa`.
    name : str

    Attributes
    ----------
    weights : ndarray, shape (na, nb, nx, ny)
        The probability form :math:`w` (marginals averaged over the other party's question).

    Raises
    ------
    GameError
        Unknown kind, inconsistent shapes or non-finite coefficients (the message names the field).

    Examples
    --------
    >>> chsh = BellExpression.correlator([[1, 1], [1, -1]], name="CHSH")
    >>> round(chsh.local_bound().value, 9)
    2.0
    """

    kind: str
    joint: NDArray[np.float64]
    alice: NDArray[np.float64] | None = None
    bob: NDArray[np.float64] | None = None
    constant: float = 0.0
    name: str = "bell"
    weights: NDArray[np.float64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise GameError(f"kind: must be one of {', '.join(map(repr, KINDS))}, got {self.kind!r}")
        object.__setattr__(self, "constant", _check_scalar(self.constant, "constant"))
        object.__setattr__(self, "name", str(self.name))
        if self.kind == "probability":
            if self.alice is not None or self.bob is not None:
                raise GameError("alice, bob: the probability form has no marginal terms (fold them into joint)")
            w = _as_real_array(self.joint, "joint", 4)
            object.__setattr__(self, "joint", w)
        elif self.kind == "correlator":
            M = _as_real_array(self.joint, "joint", 2)
            nx, ny = M.shape
            al = self._marginal(self.alice, "alice", (nx,), None)
            bo = self._marginal(self.bob, "bob", (ny,), None)
            w = (
                M[None, None] * _SIGN[:, None, None, None] * _SIGN[None, :, None, None]
                + (al[None, None, :, None] / ny) * _SIGN[:, None, None, None]
                + (bo[None, None, None, :] / nx) * _SIGN[None, :, None, None]
            )
            object.__setattr__(self, "joint", M)
            object.__setattr__(self, "alice", al)
            object.__setattr__(self, "bob", bo)
        else:
            try:
                ndim = np.ndim(self.joint)
            except ValueError:  # ragged nested lists: let the array check report it
                ndim = 4
            e = _as_real_array(self.joint, "joint", 2 if ndim == 2 else 4)
            if e.ndim == 2:
                e = e[None, None]
                e.setflags(write=False)
            ka, kb, nx, ny = e.shape
            c = self._marginal(self.alice, "alice", (ka, nx), (nx,))
            d = self._marginal(self.bob, "bob", (kb, ny), (ny,))
            w = np.zeros((ka + 1, kb + 1, nx, ny))
            w[:ka, :kb] += e
            w[:ka, :, :, :] += c[:, None, :, None] / ny
            w[:, :kb, :, :] += d[None, :, None, :] / nx
            object.__setattr__(self, "joint", e)
            object.__setattr__(self, "alice", c)
            object.__setattr__(self, "bob", d)
        w = np.array(w, dtype=np.float64)
        w.setflags(write=False)
        object.__setattr__(self, "weights", w)

    @staticmethod
    def _marginal(
        value: ArrayLike | None, field_name: str, shape: tuple[int, ...], short: tuple[int, ...] | None
    ) -> NDArray[np.float64]:
        if value is None:
            arr = np.zeros(shape)
            arr.setflags(write=False)
            return arr
        ndim = np.ndim(value)
        if short is not None and ndim == len(short) and shape[0] == 1:
            arr = _as_real_array(value, field_name, len(short)).reshape(shape)
            arr.setflags(write=False)
        else:
            arr = _as_real_array(value, field_name, len(shape))
        if arr.shape != shape:
            raise GameError(f"{field_name}: expected shape {shape}, got {arr.shape}")
        return arr

    # ------------------------------------------------------------------ constructors
    @classmethod
    def correlator(
        cls,
        M: ArrayLike,
        a: ArrayLike | None = None,
        b: ArrayLike | None = None,
        constant: float = 0.0,
        name: str = "bell",
    ) -> "BellExpression":
        """:math:`\\sum_{xy} M_{xy} \\langle A_x B_y\\rangle + \\sum_x a_x \\langle A_x\\rangle
        + \\sum_y b_y \\langle B_y\\rangle + \\kappa` (binary outcomes; outcome 0 is +1)."""
        return cls("correlator", M, a, b, constant, name)

    @classmethod
    def collins_gisin(
        cls,
        e: ArrayLike,
        c: ArrayLike | None = None,
        d: ArrayLike | None = None,
        constant: float = 0.0,
        name: str = "bell",
    ) -> "BellExpression":
        """:math:`\\sum c_{ax} p_A(a|x) + \\sum d_{by} p_B(b|y) + \\sum e_{abxy} p(ab|xy) + \\kappa`
        over :math:`a < n_a - 1`, :math:`b < n_b - 1` (the last outcomes omitted)."""
        return cls("collins_gisin", e, c, d, constant, name)

    @classmethod
    def probability(cls, w: ArrayLike, constant: float = 0.0, name: str = "bell") -> "BellExpression":
        """:math:`\\sum_{abxy} w_{abxy}\\, p(a,b|x,y) + \\kappa`."""
        return cls("probability", w, None, None, constant, name)

    @classmethod
    def from_game(cls, game: Game) -> "BellExpression":
        """The game's value as an expression in probability form: :math:`w = \\pi V`, :math:`\\kappa = 0`."""
        if not isinstance(game, Game):
            raise GameError(f"game: expected a qcoord Game, got {type(game).__name__}")
        return cls.probability(game.weights, 0.0, name=game.name)

    # ------------------------------------------------------------------ shape
    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(na, nb, nx, ny)``: the shape of behaviours."""
        return self.weights.shape  # type: ignore[return-value]

    @property
    def num_questions(self) -> tuple[int, int]:
        return self.shape[2], self.shape[3]

    @property
    def num_answers(self) -> tuple[int, int]:
        return self.shape[0], self.shape[1]

    # ------------------------------------------------------------------ conversions
    def to_probability_form(self) -> "BellExpression":
        """The same expression as a full table :math:`w_{abxy}` plus :math:`\\kappa` (see the module docstring).

        Equal to ``self`` on every behaviour, with marginals read as averages over the other
        party's question (the marginals themselves on no-signalling behaviours).
        """
        return BellExpression.probability(self.weights, self.constant, name=self.name)

    def to_collins_gisin(self) -> "BellExpression":
        """The unique Collins-Gisin form equal to ``self`` on no-signalling behaviours.

        With :math:`A = n_a - 1`, :math:`B = n_b - 1` (the omitted outcomes), substituting
        :math:`p(a,B|xy) = p_A(a|x) - \\sum_{b<B} p(ab|xy)`,
        :math:`p(A,b|xy) = p_B(b|y) - \\sum_{a<A} p(ab|xy)` and
        :math:`p(A,B|xy) = 1 - \\sum_{a<A} p_A(a|x) - \\sum_{b<B} p_B(b|y) + \\sum_{a<A,b<B} p(ab|xy)`:

        .. math::

            e_{abxy} = w_{abxy} - w_{aBxy} - w_{Abxy} + w_{ABxy},\\quad
            c_{ax} = \\sum_y (w_{aBxy} - w_{ABxy}),\\quad
            d_{by} = \\sum_x (w_{Abxy} - w_{ABxy}),\\quad
            \\kappa' = \\kappa + \\sum_{xy} w_{ABxy}.

        Requires at least two outcomes per party.
        """
        if self.kind == "collins_gisin":
            return self
        w = self.weights
        na, nb = self.num_answers
        if na < 2 or nb < 2:
            raise GameError(f"expression: the Collins-Gisin form needs >= 2 outcomes per party, got (na, nb) = {(na, nb)}")
        wAB = w[-1:, -1:]
        e = w[:-1, :-1] - w[:-1, -1:] - w[-1:, :-1] + wAB
        c = (w[:-1, -1] - w[-1, -1][None]).sum(axis=2)
        d = (w[-1, :-1] - w[-1, -1][None]).sum(axis=1)
        return BellExpression.collins_gisin(e, c, d, self.constant + float(wAB.sum()), name=self.name)

    def to_correlator(self) -> "BellExpression":
        """The unique correlator form equal to ``self`` on no-signalling behaviours (binary outcomes).

        On no-signalling behaviours :math:`p(ab|xy) = \\tfrac14 [1 + (-1)^a\\langle A_x\\rangle +
        (-1)^b \\langle B_y\\rangle + (-1)^{a+b} \\langle A_x B_y\\rangle]`, so

        .. math::

            M_{xy} = \\tfrac14 \\sum_{ab} (-1)^{a+b} w_{abxy},\\quad
            \\alpha_x = \\tfrac14 \\sum_{aby} (-1)^a w_{abxy},\\quad
            \\beta_y = \\tfrac14 \\sum_{abx} (-1)^b w_{abxy},\\quad
            \\kappa' = \\kappa + \\tfrac14 \\sum_{abxy} w_{abxy}.
        """
        if self.kind == "correlator":
            return self
        if self.num_answers != (2, 2):
            raise GameError(f"expression: the correlator form needs binary outcomes, got (na, nb) = {self.num_answers}")
        w = self.weights
        M = 0.25 * np.einsum("a,b,abxy->xy", _SIGN, _SIGN, w)
        al = 0.25 * np.einsum("a,abxy->x", _SIGN, w)
        be = 0.25 * np.einsum("b,abxy->y", _SIGN, w)
        return BellExpression.correlator(M, al, be, self.constant + 0.25 * float(w.sum()), name=self.name)

    def equivalent(self, other: "BellExpression", atol: float = 1e-9) -> bool:
        """Whether ``self`` and ``other`` agree on every no-signalling behaviour (equal Collins-Gisin forms)."""
        if not isinstance(other, BellExpression) or other.shape != self.shape:
            return False
        p, q = self.to_collins_gisin(), other.to_collins_gisin()
        return bool(
            abs(p.constant - q.constant) <= atol
            and np.allclose(p.joint, q.joint, rtol=0, atol=atol)
            and np.allclose(p.alice, q.alice, rtol=0, atol=atol)  # type: ignore[arg-type]
            and np.allclose(p.bob, q.bob, rtol=0, atol=atol)  # type: ignore[arg-type]
        )

    # ------------------------------------------------------------------ values
    def evaluate(self, behaviour: ArrayLike) -> float:
        """The expression's value :math:`\\sum_{abxy} w_{abxy}\\, p(a,b|x,y) + \\kappa` on a behaviour.

        Parameters
        ----------
        behaviour : array_like, shape (na, nb, nx, ny)
            ``p[a, b, x, y] = p(a, b | x, y)``, validated by :func:`qcoord.games.game.check_behaviour`.
            Marginal terms are read as averages over the other party's question (exact on
            no-signalling behaviours).
        """
        p = check_behaviour(behaviour, self.shape)
        return float(np.einsum("abxy,abxy->", self.weights, p)) + self.constant

    def to_game(self, scale: float = 1.0, name: str | None = None) -> BellGame:
        """A game with ``expression value = scale * game value + offset`` on every behaviour.

        The question distribution is uniform, :math:`\\pi(x,y) = 1/(n_x n_y)`; the payoff is
        :math:`V = w / (s\\, \\pi) = n_x n_y\\, w / s`; ``offset`` is :math:`\\kappa`.

        Parameters
        ----------
        scale : float > 0
            :math:`s`: divides the payoffs (e.g. to bring them to order 1).
        name : str, optional
            The game's name; default the expression's.

        Returns
        -------
        BellGame
            ``(game, scale, offset)`` with :meth:`BellGame.expression_value` and
            :meth:`BellGame.game_value`.
        """
        s = _check_scalar(scale, "scale")
        if s <= 0:
            raise GameError(f"scale: must be a finite number > 0, got {scale!r}")
        na, nb, nx, ny = self.shape
        prob = np.full((nx, ny), 1.0 / (nx * ny))
        payoff = self.weights * (nx * ny) / s
        game = Game(prob, payoff, name=self.name if name is None else str(name))
        return BellGame(game, s, self.constant)

    # ------------------------------------------------------------------ maxima
    def local_bound(self, **options: Any) -> BellBound:
        """The local (classical) maximum, exact: :func:`qcoord.games.classical.classical_value` mapped back.

        ``options`` go to ``classical_value``.
        """
        bg = self.to_game()
        res = classical_value(bg.game, **options)
        behaviour = res.strategy.behaviour(bg.game.num_answers)
        return _bound(bg, "local", "exact", res, behaviour, dict(options))

    def quantum_bound(
        self, dim: int = 2, restarts: int = DEFAULT_RESTARTS, seed: int | np.random.SeedSequence | None = None, **options: Any
    ) -> BellBound:
        """A lower bound on the quantum maximum at local dimension ``dim`` (see-saw), attained by ``behaviour``.

        :func:`qcoord.games.seesaw.quantum_lower_bound` on :meth:`to_game`, mapped back; ``options``
        (``tol``, ``max_iter``, ``povm``, ...) are passed on.
        """
        bg = self.to_game()
        res = quantum_lower_bound(bg.game, dim=dim, restarts=restarts, seed=seed, **options)
        params = {"dim": dim, "restarts": restarts, "seed": res.seed, **options}
        return _bound(bg, "seesaw", "lower", res, res.behaviour, params)

    def npa_bound(self, level: int | str = 2, **options: Any) -> BellBound:
        """An upper bound on the quantum maximum from NPA level ``level`` (``1``, ``"1+ab"``, ``2``, ...).

        :func:`qcoord.games.npa.npa_upper_bound` on :meth:`to_game`, mapped back; ``certified`` is
        the rigorous dual bound mapped back. ``options`` are passed on.
        """
        bg = self.to_game()
        res = npa_upper_bound(bg.game, level, **options)
        params = {"level": res.level, **options}
        return _bound(bg, "npa", "upper", res, res.behaviour, params, certified=bg.expression_value(res.certified_bound))

    def nonsignaling_bound(self, **options: Any) -> BellBound:
        """The no-signalling maximum (LP): :func:`qcoord.games.nonsignaling.nonsignaling_value` mapped back."""
        bg = self.to_game()
        res = nonsignaling_value(bg.game, **options)
        return _bound(bg, "nonsignaling", "exact", res, res.behaviour, dict(options))

    def __repr__(self) -> str:
        na, nb, nx, ny = self.shape
        return f"BellExpression(name={self.name!r}, kind={self.kind!r}, questions=({nx}, {ny}), answers=({na}, {nb}))"


def _bound(
    bg: BellGame,
    method: str,
    bound: str,
    res: Any,
    behaviour: NDArray[np.float64],
    parameters: dict[str, Any],
    certified: float | None = None,
) -> BellBound:
    """A solver's result on ``bg.game`` as a :class:`BellBound` of the expression."""
    return BellBound(
        value=bg.expression_value(res.value),
        method=method,
        bound=bound,
        game_value=float(res.value),
        scale=bg.scale,
        offset=bg.offset,
        behaviour=behaviour,
        certified=certified,
        parameters=parameters,
        result=res,
    )


# --------------------------------------------------------------------------- library
def chsh_expression() -> BellExpression:
    """The CHSH expression :math:`\\langle A_0B_0\\rangle + \\langle A_0B_1\\rangle + \\langle A_1B_0\\rangle - \\langle A_1B_1\\rangle`.

    Correlator form with :math:`M = \\begin{pmatrix} 1 & 1 \\\\ 1 & -1 \\end{pmatrix}` (Clauser,
    Horne, Shimony, Holt, Phys. Rev. Lett. 23, 880 (1969)). Local maximum 2, quantum maximum
    :math:`2\\sqrt2` (Tsirelson, "Quantum generalizations of Bell's inequality", Lett. Math. Phys.
    4, 93 (1980)), no-signalling maximum 4 (Popescu & Rohrlich, "Quantum nonlocality as an axiom",
    Found. Phys. 24, 379 (1994)). It is :math:`8\\omega - 4` for the CHSH game's value :math:`\\omega`.
    """
    return BellExpression.correlator([[1.0, 1.0], [1.0, -1.0]], name="chsh")


def i3322() -> BellExpression:
    """The I3322 expression (Collins & Gisin, J. Phys. A 37, 1775 (2004)), Collins-Gisin form.

    With questions numbered 1..3 (indices 0..2 here) and only outcome 0 written
    (:math:`p_A(x) = p_A(0|x)`, :math:`p(xy) = p(0,0|x,y)`):

    .. math::

        I_{3322} = -p_A(1) - 2 p_B(1) - p_B(2) + p(11) + p(12) + p(13) + p(21) + p(22) - p(23)
                   + p(31) - p(32) \\le 0.

    Local maximum 0; qubit maximum 1/4; NPA bounds (measured) 0.3660 (level 1), 0.2515 ("1+ab"),
    0.2509 (level 2); the quantum value 0.250875... is reached only in infinite dimension
    (Pál & Vértesi, Phys. Rev. A 82, 022116 (2010)).
    """
    e = [[1.0, 1.0, 1.0], [1.0, 1.0, -1.0], [1.0, -1.0, 0.0]]
    return BellExpression.collins_gisin(e, c=[-1.0, 0.0, 0.0], d=[-2.0, -1.0, 0.0], name="i3322")
