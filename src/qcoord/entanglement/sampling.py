"""Faithful, local sampling of measurement outcomes on (noisy) entangled pairs.

The joint law of one round with questions ``(x, y)`` and visibility ``v`` is the Born rule on the
Werner-type state :math:`\\rho_v = v\\rho + (1-v) I/(d_A d_B)`:

.. math::

    p_v(a, b \\mid x, y) = \\mathrm{tr}[(A^x_a \\otimes B^y_b)\\rho_v]
                        = v\\, p(a, b \\mid x, y) + (1 - v)\\, \\frac{\\mathrm{tr} A^x_a\\, \\mathrm{tr} B^y_b}{d_A d_B}.

It is sampled *sequentially and locally*: Alice's outcome from her marginal
:math:`p_v(a \\mid x) = \\sum_b p_v(a, b \\mid x, y)` (the same for every ``y``: no signalling), then
Bob's from :math:`p_v(b \\mid x, y, a) = p_v(a, b \\mid x, y) / p_v(a \\mid x)` (the Born rule on his
post-measurement state). The product of the two steps is exactly :math:`p_v(a, b \\mid x, y)`.

Tables are computed once per strategy; sampling is an inverse-CDF lookup per round with two
uniforms ``(u_a, u_b)`` (column 0 drives Alice's outcome, column 1 Bob's), in a numba kernel.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qcoord.games import QuantumStrategy

from . import _kernels
from .states import EntanglementError, check_visibility

__all__ = ["Sampler", "sample", "sampler", "EntangledPair", "PairHalf", "as_generator", "seed_record"]

RngLike = np.random.Generator | np.random.SeedSequence | int | None


def as_generator(rng: RngLike, field_name: str = "rng") -> np.random.Generator:
    """A ``numpy.random.Generator`` from a Generator, a ``SeedSequence`` or an integer seed.

    ``None`` is refused: every random result must be reproducible from a recorded seed.

    Parameters
    ----------
    rng : Generator, SeedSequence or int >= 0
        A Generator is returned as it is (its stream continues); an integer ``s`` gives
        ``default_rng(SeedSequence(s))``.
    field_name : str
        Name used in the error message.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    EntanglementError
        For ``None``, negative integers, booleans and anything else.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and int(rng) >= 0:
        return np.random.default_rng(np.random.SeedSequence(int(rng)))
    raise EntanglementError(
        f"{field_name}: must be a numpy Generator, a SeedSequence or a non-negative integer seed, got {rng!r}"
    )


def seed_record(rng: RngLike) -> dict[str, Any]:
    """What can be recorded about the seed behind ``rng``: SeedSequence entropy and spawn key.

    For a Generator this is read from its bit generator's ``seed_seq`` (its *initial* seed; the
    caller's position in the stream is not recorded).

    Parameters
    ----------
    rng : Generator, SeedSequence, int or None

    Returns
    -------
    dict
        ``{"entropy": int | None, "spawn_key": tuple}``: ``SeedSequence(entropy, spawn_key=spawn_key)``
        reproduces the stream's start; ``entropy`` is None when it cannot be known.
    """
    ss = None
    if isinstance(rng, np.random.SeedSequence):
        ss = rng
    elif isinstance(rng, (int, np.integer)):
        return {"entropy": int(rng), "spawn_key": ()}
    elif isinstance(rng, np.random.Generator):
        ss = getattr(rng.bit_generator, "seed_seq", None) or getattr(rng.bit_generator, "_seed_seq", None)
    if isinstance(ss, np.random.SeedSequence):
        return {"entropy": ss.entropy, "spawn_key": tuple(ss.spawn_key)}
    return {"entropy": None, "spawn_key": ()}


def _as_questions(q: ArrayLike, name: str) -> NDArray[np.integer]:
    """A contiguous 1-D integer array; integer input is used as it is (no int64 copy of int8 data)."""
    try:
        arr = np.asarray(q)
    except (TypeError, ValueError) as exc:  # pragma: no cover - numpy accepts almost anything
        raise EntanglementError(f"{name}: questions must be integers ({exc})") from None
    if arr.dtype.kind not in "iu":
        try:
            f = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise EntanglementError(f"{name}: questions must be integers, got dtype {arr.dtype}") from None
        if f.size and not np.all(f == np.floor(f)):
            raise EntanglementError(f"{name}: questions must be integers")
        arr = f.astype(np.int64)
    return np.ascontiguousarray(arr).ravel()


def readonly(a: ArrayLike) -> NDArray:
    """A C-contiguous, read-only view (or copy, if ``a`` is not contiguous) of ``a``.

    Used for the arrays held by frozen value objects here and in :mod:`qcoord.policies`, so that a
    frozen dataclass cannot be mutated through its arrays.
    """
    out = np.ascontiguousarray(a)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Sampler:
    """Precomputed sampling tables for one :class:`qcoord.games.QuantumStrategy`.

    Attributes
    ----------
    strategy : QuantumStrategy
    joint : ndarray, shape (nx, ny, na, nb)
        ``p(a, b | x, y)`` of the strategy's state (visibility 1).
    noise : ndarray, shape (nx, ny, na, nb)
        ``tr A^x_a tr B^y_b / (dA dB)``: the behaviour on the maximally mixed state.
    alice_marginal, alice_noise : ndarray, shape (nx, na)
        ``p(a | x)`` for the state and for white noise.
    """

    strategy: QuantumStrategy
    joint: NDArray[np.float64] = field(init=False, repr=False)
    noise: NDArray[np.float64] = field(init=False, repr=False)
    alice_marginal: NDArray[np.float64] = field(init=False, repr=False)
    alice_noise: NDArray[np.float64] = field(init=False, repr=False)
    bob_marginal: NDArray[np.float64] = field(init=False, repr=False)
    bob_noise: NDArray[np.float64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        s = self.strategy
        if not isinstance(s, QuantumStrategy):
            raise EntanglementError(f"strategy: must be a qcoord.games.QuantumStrategy, got {type(s).__name__}")
        dA, dB = s.dims
        p = s.behaviour()  # [a, b, x, y], clipped at 0
        # renormalise each (x, y) block against rounding so the inverse CDF ends at 1
        p = p / p.sum(axis=(0, 1), keepdims=True)
        joint = np.transpose(p, (2, 3, 0, 1))
        trA = np.einsum("xaii->xa", s.alice).real / dA
        trB = np.einsum("ybii->yb", s.bob).real / dB
        noise = trA[:, None, :, None] * trB[None, :, None, :]
        # Alice's marginal: the same for every y (no signalling); take the y-average to be exact.
        amarg = joint.sum(axis=3).mean(axis=1)
        bmarg = joint.sum(axis=2).mean(axis=0)
        for name, val in (
            ("joint", joint), ("noise", noise), ("alice_marginal", amarg), ("alice_noise", trA),
            ("bob_marginal", bmarg), ("bob_noise", trB),
        ):
            object.__setattr__(self, name, readonly(val.astype(np.float64)))

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(na, nb, nx, ny)``."""
        return self.strategy.shape

    def behaviour(self, visibility: float = 1.0) -> NDArray[np.float64]:
        """Analytic ``p_v[a, b, x, y]`` at visibility ``v`` (what :meth:`sample` draws from)."""
        v = float(check_visibility(visibility))
        return np.transpose(v * self.joint + (1 - v) * self.noise, (2, 3, 0, 1))

    # -- vectorised ---------------------------------------------------------------------------
    def _questions(self, x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        na, nb, nx, ny = self.shape
        xs = _as_questions(x, "x")
        ys = _as_questions(y, "y")
        if xs.shape != ys.shape:
            raise EntanglementError(f"x, y: must have the same length, got {xs.shape[0]} and {ys.shape[0]}")
        for nm, arr, lim in (("x", xs, nx), ("y", ys, ny)):
            if arr.size and (arr.min() < 0 or arr.max() >= lim):
                raise EntanglementError(f"{nm}: questions must lie in range({lim}), got values in [{arr.min()}, {arr.max()}]")
        return xs, ys

    def _uniforms(
        self, n: int, rng: RngLike | ArrayLike, uniforms: ArrayLike | None
    ) -> tuple[NDArray, NDArray] | np.random.Generator:
        """Pre-drawn uniforms as two columns, or the Generator to draw them from inside the kernel."""
        if uniforms is None and rng is not None and not isinstance(
            rng, (np.random.Generator, np.random.SeedSequence, int, np.integer)
        ):
            uniforms, rng = rng, None  # an array passed positionally
        if uniforms is not None:
            try:
                u = np.asarray(uniforms, dtype=np.float64)
            except (TypeError, ValueError):
                raise EntanglementError(
                    f"uniforms: must be an (n, 2) array of numbers in [0, 1) with n = {n} (or pass rng: a "
                    f"Generator, SeedSequence or integer seed >= 0), got {uniforms!r}"
                ) from None
            if u.ndim != 2 or u.shape[0] != n or u.shape[1] < 2:
                raise EntanglementError(f"uniforms: must have shape (n, 2) with n = {n}, got {u.shape}")
            ua, ub = np.ascontiguousarray(u[:, 0]), np.ascontiguousarray(u[:, 1])
            if n and not (ua.min() >= 0 and ua.max() < 1 and ub.min() >= 0 and ub.max() < 1):
                raise EntanglementError("uniforms: must lie in [0, 1)")
            return ua, ub
        return as_generator(rng)

    def sample(
        self,
        x: ArrayLike,
        y: ArrayLike,
        rng: RngLike | ArrayLike = None,
        *,
        uniforms: ArrayLike | None = None,
        visibility: float | ArrayLike = 1.0,
    ) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
        """Draw ``(a, b)`` for rounds with questions ``x[i], y[i]``.

        Parameters
        ----------
        x, y : array_like of int, shape (n,)
            Alice's and Bob's questions per round.
        rng : Generator, SeedSequence, int, or ndarray of shape (n, 2)
            Source of randomness; an array is taken as pre-drawn uniforms (same as ``uniforms=``).
            A Generator is advanced by exactly ``2 n`` doubles, drawn as ``rng.random((n, 2))``
            would draw them, so ``sample(.., rng)`` equals ``sample(.., uniforms=rng.random((n, 2)))``
            for generators in the same state.
        uniforms : ndarray, shape (n, 2), optional
            U[0, 1) numbers: column 0 decides Alice's outcome, column 1 Bob's. Lets a simulator use
            common random numbers; identical uniforms give identical outcomes.
        visibility : float or ndarray of shape (n,)
            Per-round Werner visibility in [0, 1] (e.g. from :class:`EntanglementPool` decay).

        Returns
        -------
        a, b : ndarray of int8, shape (n,)
            Outcomes (for compiled games: 0 = KEEP, 1 = FORWARD).
        """
        xs, ys = self._questions(x, y)
        n = xs.shape[0]
        v = np.ascontiguousarray(check_visibility(visibility), dtype=np.float64).ravel()
        if v.shape[0] not in (1, n):
            raise EntanglementError(f"visibility: must be a scalar or have length n = {n}, got {v.shape[0]}")
        src = self._uniforms(n, rng, uniforms)
        na, nb, _, _ = self.shape
        if na > 127 or nb > 127:
            raise EntanglementError(f"outcomes: at most 127 per party are supported, got ({na}, {nb})")
        a = np.empty(n, dtype=np.int8)
        b = np.empty(n, dtype=np.int8)
        if v.shape[0] == 1:  # fold the scalar visibility into the tables once
            vv = float(v[0])
            PA = vv * self.alice_marginal + (1 - vv) * self.alice_noise
            P = vv * self.joint + (1 - vv) * self.noise
            NA, N, v = PA, P, np.ones(1)
        else:
            PA, NA, P, N = self.alice_marginal, self.alice_noise, self.joint, self.noise
        if isinstance(src, np.random.Generator):
            _kernels.sample_kernel_rng(src, xs, ys, v, PA, NA, P, N, a, b)
        else:
            _kernels.sample_kernel(xs, ys, src[0], src[1], v, PA, NA, P, N, a, b)
        return a, b

    # -- object API ---------------------------------------------------------------------------
    def pair(self, rng: RngLike = None, *, uniforms: tuple[float, float] | None = None, visibility: float = 1.0) -> "EntangledPair":
        """One entangled pair whose halves are measured separately (see :class:`EntangledPair`)."""
        if uniforms is None:
            u = as_generator(rng).random(2)
            ua, ub = float(u[0]), float(u[1])
        else:
            try:
                if isinstance(uniforms, (str, bytes)):
                    raise TypeError
                ua, ub = (float(u) for u in uniforms)
            except (TypeError, ValueError):
                raise EntanglementError(f"uniforms: need two numbers (u_a, u_b) in [0, 1), got {uniforms!r}") from None
            if not (0 <= ua < 1 and 0 <= ub < 1):  # also NaN
                raise EntanglementError(f"uniforms: must lie in [0, 1), got {uniforms!r}")
        return EntangledPair(self, float(check_visibility(visibility)), ua, ub)


def _inverse_cdf(p: NDArray[np.float64], u: float) -> int:
    c = np.cumsum(p[:-1])
    return int(np.searchsorted(c, u, side="right"))


class EntangledPair:
    """One shared pair with two halves; each half is measured once, by its own party.

    ``half_a.measure(x)`` returns Alice's outcome and ``half_b.measure(y)`` Bob's. Whichever half is
    measured first draws from its own marginal (``p_v(a|x)`` or ``p_v(b|y)``, which do not depend on
    the other party's question); the second draws from its conditional law given the first
    measurement (the post-measurement state). The joint law is the Born rule in either order; with
    Alice first and the same uniforms it coincides with :meth:`Sampler.sample`.

    The halves carry no reference to the other party's question or outcome in their public
    interface; the shared record plays the role of the physical post-measurement state.
    """

    def __init__(self, sampler: Sampler, visibility: float, ua: float, ub: float) -> None:
        self._s = sampler
        self._v = visibility
        self._u = (ua, ub)
        self._first: tuple[int, int, int] | None = None  # (party, question, outcome)
        self._measured = [False, False]
        self.halves = (PairHalf(self, 0), PairHalf(self, 1))

    @property
    def visibility(self) -> float:
        """Werner visibility :math:`v` of this pair (fixed when it was made)."""
        return self._v

    def _measure(self, party: int, q: int) -> int:
        s, v = self._s, self._v
        na, nb, nx, ny = s.shape
        lim = nx if party == 0 else ny
        if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not 0 <= int(q) < lim:
            raise EntanglementError(f"question: must be an integer in range({lim}), got {q!r}")
        q = int(q)
        if self._measured[party]:
            raise EntanglementError(f"{'alice' if party == 0 else 'bob'}: this half was already measured (each pair is used once)")
        self._measured[party] = True
        u = self._u[party]
        if self._first is None:
            if party == 0:
                p = v * s.alice_marginal[q] + (1 - v) * s.alice_noise[q]
            else:
                p = v * s.bob_marginal[q] + (1 - v) * s.bob_noise[q]
            o = _inverse_cdf(p, u)
            self._first = (party, q, o)
            return o
        _, q1, o1 = self._first
        if party == 1:  # Alice measured x=q1 with outcome a=o1
            joint = v * s.joint[q1, q, o1, :] + (1 - v) * s.noise[q1, q, o1, :]
        else:  # Bob measured y=q1 with outcome b=o1
            joint = v * s.joint[q, q1, :, o1] + (1 - v) * s.noise[q, q1, :, o1]
        tot = joint.sum()
        return _inverse_cdf(joint / tot if tot > 0 else np.full(joint.shape, 1.0 / joint.size), u)


class PairHalf:
    """One party's half of an :class:`EntangledPair`; ``measure(question)`` returns the outcome."""

    __slots__ = ("_pair", "party")

    def __init__(self, pair: EntangledPair, party: int) -> None:
        self._pair = pair
        self.party = party

    def measure(self, question: int) -> int:
        """Measure this half with the POVM of ``question``; returns the outcome index."""
        return self._pair._measure(self.party, question)


_CACHE: "weakref.WeakKeyDictionary[QuantumStrategy, Sampler]" = weakref.WeakKeyDictionary()


def sampler(strategy: QuantumStrategy) -> Sampler:
    """The (cached) :class:`Sampler` of a strategy.

    Parameters
    ----------
    strategy : QuantumStrategy or Sampler
        A Sampler is returned as it is.

    Returns
    -------
    Sampler
        Built once per strategy object (weakly cached: the tables ``p(a, b | x, y)``, the noise
        behaviour and the marginals are computed on first use).
    """
    if isinstance(strategy, Sampler):
        return strategy
    try:
        return _CACHE[strategy]
    except (KeyError, TypeError):
        pass
    s = Sampler(strategy)
    try:
        _CACHE[strategy] = s
    except TypeError:  # pragma: no cover - unhashable
        pass
    return s


def sample(
    strategy: QuantumStrategy | Sampler,
    x: ArrayLike,
    y: ArrayLike,
    rng: RngLike | ArrayLike = None,
    *,
    uniforms: ArrayLike | None = None,
    visibility: float | ArrayLike = 1.0,
) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
    """Sample outcomes of ``strategy`` for question arrays ``x, y``; see :meth:`Sampler.sample`.

    Round ``i`` draws Alice's outcome from her marginal :math:`p_v(a | x_i)` (independent of
    :math:`y_i`), then Bob's from :math:`p_v(b | x_i, y_i, a)`, where
    :math:`p_v = v\\,p + (1 - v)\\,p_{noise}` is the behaviour of the Werner-noisy state; the joint law
    is the Born rule :math:`p_v(a, b | x, y) = \\mathrm{tr}[\\rho_v (A^x_a \\otimes B^y_b)]`.

    Parameters
    ----------
    strategy : QuantumStrategy or Sampler
    x, y : array_like of int, shape (n,)
        Alice's and Bob's questions, in ``range(nx)`` and ``range(ny)``.
    rng : Generator, SeedSequence, int, or ndarray of shape (n, 2)
        Randomness, or pre-drawn uniforms (see :meth:`Sampler.sample`).
    uniforms : ndarray, shape (n, 2), optional
        U[0, 1) numbers (column 0: Alice, column 1: Bob) for common random numbers.
    visibility : float or ndarray of shape (n,)
        Werner visibility :math:`v` in [0, 1], per round or for all.

    Returns
    -------
    a, b : ndarray of int8, shape (n,)
        Outcomes.

    Raises
    ------
    EntanglementError
        Questions out of range, mismatched lengths, visibility outside [0, 1], bad uniforms or rng.

    Examples
    --------
    >>> import numpy as np
    >>> from qcoord.entanglement import bell_state, chsh_measurements, sample
    >>> strat = chsh_measurements().strategy(bell_state())
    >>> a, b = sample(strat, [0, 1], [1, 1], np.random.default_rng(0))
    """
    return sampler(strategy).sample(x, y, rng, uniforms=uniforms, visibility=visibility)
