"""Decisions drawn by the Qiskit Aer circuit simulator (a drop-in for qcoord's Born-rule sampler).

:class:`AerSampler` has the interface of :class:`qcoord.entanglement.Sampler` (``shape``,
``behaviour(v)``, ``sample(x, y, rng | uniforms=..., visibility=...)``), so an
:class:`~qcoord.policies.Entangled` policy can take its decisions from circuits
(``Entangled(strategy, sampler=AerSampler(strategy, seed=...))``, or :func:`aer_entangled`).

How a batch of rounds is sampled, *sequentially* like the native sampler (Alice's outcome must not
depend on Bob's question):

1. **Alice.** For each question ``x``, the circuit "prepare the state, rotate qubit 0 for ``x``,
   measure qubit 0" is run with one shot per round asking ``x`` (Aer's ``memory``: one outcome per
   shot, in order). Her outcome has law :math:`p_v(a|x)`.
2. **Bob.** For each pair ``(x, y)``, the full circuit of :func:`~qcoord.export.qiskit_circuit` is run
   and its shots are split by Alice's bit: a round that needs Bob's answer given ``a`` takes the next
   shot whose bit 0 is ``a`` (rejection; about one shot per round on average, rerun if short). Bob's
   outcome then has law :math:`p_v(b|x,y,a)`, and the pair has the Born-rule law
   :math:`p_v(a,b|x,y)`.

Werner noise at visibility ``v`` is in the circuit (the state :math:`v\\rho + (1-v)I/4`, purified,
:mod:`qcoord.export.qiskit`); per-round visibilities are grouped by value (at most
:data:`MAX_VISIBILITIES` distinct values per call).

Randomness: with ``rng`` (Generator, SeedSequence or int) each Aer run's ``seed_simulator`` is drawn
from it. With ``uniforms`` (the simulator's common random numbers) each run's seed is derived from
the uniforms of the rounds it serves (SHA-256 of their bytes, with the sampler's seed, the question
and the visibility), so
the same inputs give the same decisions, and Alice's outcomes depend only on her question and her
own column of uniforms; the uniforms do *not* set outcomes by inversion as in the native sampler, so
Aer and native decisions agree in law, not round by round.

Qiskit Aer is an optional dependency: ``pip install 'qcoord[qiskit]'``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..entanglement import as_generator
from ..entanglement.states import check_visibility
from ..games import QuantumStrategy
from ..policies import Entangled
from ._decompose import ExportError, check_strategy, recipe
from .qiskit import _circuit, require_qiskit

__all__ = ["AerSampler", "aer_entangled", "MAX_VISIBILITIES"]

#: Distinct visibility values accepted in one ``sample`` call (one set of circuits per value).
MAX_VISIBILITIES = 64


def _require_aer() -> Any:
    require_qiskit()
    try:
        from qiskit_aer import AerSimulator
    except ImportError as exc:
        raise ExportError(f"qiskit-aer is not installed ({exc}); install the optional extra: pip install 'qcoord[qiskit]'") from None
    return AerSimulator


def _seed_from(*parts: Any) -> int:
    h = hashlib.sha256()
    for p in parts:
        h.update(np.ascontiguousarray(p).tobytes() if isinstance(p, np.ndarray) else repr(p).encode())
    return int.from_bytes(h.digest()[:8], "little") & ((1 << 62) - 1)


class AerSampler:
    """Sample a qubit strategy's decisions with Qiskit Aer (module notes).

    Parameters
    ----------
    strategy : QuantumStrategy
        A qubit strategy exportable by :func:`~qcoord.export.qiskit_circuit` (pure, noiseless: noise
        comes from ``visibility`` in :meth:`sample`).
    seed : int or SeedSequence, optional
        Default randomness of :meth:`sample` calls that pass neither ``rng`` nor ``uniforms``
        (a ``numpy.random.SeedSequence``; recorded in :attr:`seed`).
    method : str
        Aer simulation method (``"statevector"`` default; ``"density_matrix"`` also works).

    Attributes
    ----------
    seed : int or None
        Entropy of the default SeedSequence.
    shots_run : int
        Total shots simulated so far (Alice's and Bob's circuits).
    """

    def __init__(self, strategy: QuantumStrategy, seed: int | np.random.SeedSequence | None = None, *, method: str = "statevector") -> None:
        self.strategy = check_strategy(strategy)
        recipe(strategy)  # refuse non-exportable strategies now
        AerSimulator = _require_aer()
        self._backend = AerSimulator(method=method, max_parallel_threads=1)
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self.seed = ss.entropy
        self._rng = np.random.default_rng(ss)
        self._circuits: dict[tuple[Any, ...], Any] = {}
        self.shots_run = 0
        p = strategy.behaviour()
        self._marg = p.sum(axis=1).mean(axis=2)  # (na, nx): only to size the shot counts

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(na, nb, nx, ny)``."""
        return self.strategy.shape

    def behaviour(self, visibility: float = 1.0) -> NDArray[np.float64]:
        """The exact behaviour at visibility ``v`` (what :meth:`sample` draws from)."""
        v = float(check_visibility(visibility))
        return self.strategy.with_visibility(v).behaviour() if v < 1 else self.strategy.behaviour()

    def _circ(self, v: float, x: int, y: int | None) -> Any:
        key = (v, x, y)
        c = self._circuits.get(key)
        if c is None:
            from qiskit import transpile

            s = self.strategy if v == 1.0 else self.strategy.with_visibility(v)
            full = _circuit(recipe(s), x, 0 if y is None else y, measure=True, alice_only=y is None)
            c = transpile(full, self._backend, optimization_level=0, seed_transpiler=0)
            self._circuits[key] = c
        return c

    def _run(self, circ: Any, shots: int, seed: int) -> NDArray[np.int64]:
        res = self._backend.run(circ, shots=int(shots), memory=True, seed_simulator=int(seed)).result()
        mem = res.get_memory(0)
        self.shots_run += int(shots)
        # memory strings are bit strings "c1c0" (clbit 0 last): read the characters as one array
        width = len(mem[0]) if mem else 1
        bits = np.frombuffer("".join(mem).encode("ascii"), dtype=np.uint8).reshape(-1, width) - ord("0")
        return (bits[:, ::-1] * (1 << np.arange(width))).sum(axis=1).astype(np.int64)

    def sample(
        self,
        x: ArrayLike,
        y: ArrayLike,
        rng: Any = None,
        *,
        uniforms: ArrayLike | None = None,
        visibility: float | ArrayLike = 1.0,
    ) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
        """Draw ``(a, b)`` for rounds with questions ``x[i], y[i]`` from Aer shots (module notes).

        Parameters
        ----------
        x, y : array_like of int, shape (n,)
        rng : Generator, SeedSequence or int, optional
            Seeds the Aer runs; default: the sampler's own stream.
        uniforms : ndarray, shape (n, 2), optional
            Common random numbers: the runs' seeds are derived from them (module notes).
        visibility : float or ndarray of shape (n,)
            Werner visibility per round or for all, in [0, 1].

        Returns
        -------
        a, b : ndarray of int8, shape (n,)

        Raises
        ------
        ExportError
            Questions out of range or of different lengths, bad uniforms, more than
            ``MAX_VISIBILITIES`` distinct visibilities.
        """
        na, nb, nx, ny = self.shape
        xs = np.asarray(x).ravel()
        ys = np.asarray(y).ravel()
        if xs.shape != ys.shape:
            raise ExportError(f"x, y: must have the same length, got {xs.shape[0]} and {ys.shape[0]}")
        n = xs.shape[0]
        for nm, arr, lim in (("x", xs, nx), ("y", ys, ny)):
            if arr.dtype.kind not in "iu" or (n and (arr.min() < 0 or arr.max() >= lim)):
                raise ExportError(f"{nm}: questions must be integers in range({lim})")
        xs, ys = xs.astype(np.int64), ys.astype(np.int64)
        v = np.asarray(check_visibility(visibility), dtype=np.float64).ravel()
        if v.shape[0] == 1:
            v = np.full(n, float(v[0]))
        if v.shape[0] != n:
            raise ExportError(f"visibility: must be a scalar or have length n = {n}, got {v.shape[0]}")
        U = None
        if uniforms is not None:
            U = np.asarray(uniforms, dtype=np.float64)
            if U.ndim != 2 or U.shape[0] != n or U.shape[1] < 2:
                raise ExportError(f"uniforms: must have shape (n, 2) with n = {n}, got {U.shape}")
            U = np.ascontiguousarray(U[:, :2])
            gen = None
        else:
            gen = self._rng if rng is None else as_generator(rng)
        levels = np.unique(v)
        if levels.size > MAX_VISIBILITIES:
            raise ExportError(
                f"visibility: {levels.size} distinct values in one call, at most {MAX_VISIBILITIES} (one set of circuits per value); "
                "use the native sampler for continuously varying visibilities"
            )
        a = np.empty(n, dtype=np.int8)
        b = np.empty(n, dtype=np.int8)

        def seed(*parts: Any) -> int:
            return _seed_from(self.seed, *parts) if gen is None else int(gen.integers(0, 1 << 62))

        for lv in levels:
            lv = float(lv)
            in_v = v == lv
            for xq in range(nx):
                rows = np.flatnonzero(in_v & (xs == xq))
                if rows.size == 0:
                    continue
                mem = self._run(self._circ(lv, xq, None), rows.size, seed("A", lv, xq, None if U is None else U[rows, 0]))
                a[rows] = mem & 1
                for yq in range(ny):
                    sub = rows[ys[rows] == yq]
                    if sub.size == 0:
                        continue
                    need = [sub[a[sub] == k] for k in range(2)]
                    got: list[list[int]] = [[], []]
                    attempt = 0
                    while any(len(got[k]) < need[k].size for k in range(2)):
                        pa = np.clip(lv * self._marg[:, xq] + (1 - lv) * 0.5, 1e-3, 1.0)
                        short = [max(need[k].size - len(got[k]), 0) for k in range(2)]
                        shots = int(max(short[k] / pa[k] for k in range(2)) * 1.2) + 16
                        mem2 = self._run(self._circ(lv, xq, yq), shots,
                                         seed("B", lv, xq, yq, attempt, None if U is None else U[sub, 1]))
                        for k in range(2):
                            got[k].extend(((mem2[(mem2 & 1) == k]) >> 1).tolist())
                        attempt += 1
                        if attempt > 50:  # pragma: no cover - would need p(a|x) ~ 0 with a drawn
                            raise ExportError(f"aer: could not draw Bob's outcomes given Alice's for (x, y) = ({xq}, {yq})")
                    for k in range(2):
                        b[need[k]] = np.asarray(got[k][: need[k].size], dtype=np.int8)
        return a, b

    def describe(self) -> dict[str, Any]:
        """What to record about this sampler."""
        return {"sampler": "qiskit-aer", "method": self._backend.options.method, "seed": self.seed, "shots_run": self.shots_run}


def aer_entangled(strategy: QuantumStrategy, *, seed: int | None = None, **kwargs: Any) -> Entangled:
    """An :class:`~qcoord.policies.Entangled` policy whose decisions come from :class:`AerSampler`.

    ``kwargs`` are passed to ``Entangled`` (``source``, ``fallback``, ``visibility``, ...).
    """
    kwargs.setdefault("name", "entangled-aer")
    return Entangled(strategy, sampler=AerSampler(strategy, seed=seed), **kwargs)
