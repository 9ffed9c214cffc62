"""What one server may see and hold: its :class:`LocalView` and its share of a resource.

Locality by construction
------------------------
A communication-free policy is two *local rules*. The routing machinery
(:mod:`qcoord.policies.base`) calls server ``j``'s rule with

- a :class:`LocalView` built only from server ``j``'s own columns of the pair inputs (its own
  customer's class, the role it plays in each pair, its own backlog level when the scenario observes
  backlog), and
- its own *share* of a resource: :class:`NoShare`; :class:`SharedUniform` (the shared random number
  both servers hold, e.g. a pre-agreed random seed); or an entangled/correlated *half*
  (:class:`ResourceHalf`) whose only method, :meth:`ResourceHalf.measure`, takes this server's
  question and returns this server's outcome.

Neither object has an attribute or argument through which the other server's observation could
reach the rule. A half of a correlated resource is backed by a joint sampler (it must be, to produce
the correlations of the Born rule, exactly as nature does); the sampler draws the first measured half
from its marginal and the second conditioned on the first, but the rule never sees anything but its
own outcome.

Vectorisation: a rule is called once per (server, role) with arrays covering every pair in which that
server plays that role, so ``view.role`` is a single value per call.

Questions
---------
With ``n_levels = len(scenario.backlog_levels) + 1`` observed backlog levels, a server's question is
its class, or the flattened pair ``question = cls * n_levels + level`` when the rule's table is sized
for backlog observation (``n_classes * n_levels`` entries). :meth:`LocalView.question_for` picks the
right one from the size of the table or measurement set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from qcoord.entanglement.sampling import readonly

from .errors import PolicyError

__all__ = [
    "ROLE_A",
    "ROLE_B",
    "LocalView",
    "Share",
    "NoShare",
    "SharedUniform",
    "ResourceHalf",
    "check_question_map",
]

#: Role index of the server that plays "A" (Alice's table / measurements).
ROLE_A: int = 0
#: Role index of the server that plays "B" (Bob's table / measurements).
ROLE_B: int = 1


@dataclass(frozen=True, eq=False)
class LocalView:
    """One server's own observation for a batch of pairs in which it plays one role.

    Attributes
    ----------
    server : int
        The server (0 or 1) whose view this is.
    role : int
        ``ROLE_A`` (0) if the server plays "A" in every pair of this batch, ``ROLE_B`` (1) for "B".
    cls : ndarray of int, shape (m,)
        The demand class of the server's *own* customer in each pair of the batch.
    level : ndarray of int, shape (m,)
        The server's own backlog level at the pair's arrival (``0`` when backlog is not observed):
        the number of thresholds ``scenario.backlog_levels`` that its unfinished work exceeds.
    n_classes : int
        Number of demand classes of the scenario.
    n_levels : int
        Number of backlog levels, ``len(scenario.backlog_levels) + 1`` (1 when not observed).
    """

    server: int
    role: int
    cls: NDArray[np.int64]
    level: NDArray[np.int64]
    n_classes: int
    n_levels: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "cls", readonly(np.asarray(self.cls, dtype=np.int64)))
        object.__setattr__(self, "level", readonly(np.asarray(self.level, dtype=np.int64)))

    @property
    def size(self) -> int:
        """Number of pairs in the batch."""
        return int(self.cls.shape[0])

    @property
    def question(self) -> NDArray[np.int64]:
        """The flattened question ``cls * n_levels + level`` (equals ``cls`` without backlog)."""
        return self.cls * self.n_levels + self.level

    def question_for(self, n_questions: int, field: str = "table", question_map: NDArray[np.int64] | None = None) -> NDArray[np.int64]:
        """The question index into a table/measurement set with ``n_questions`` entries.

        Without ``question_map``: ``n_questions == n_classes * n_levels`` gives the flattened
        (class, level) question; ``n_questions == n_classes`` the class alone (level ignored).
        With ``question_map`` (shape ``(n_classes,)`` or ``(n_classes, n_levels)``, see
        :func:`check_question_map`): ``question_map[cls]`` or ``question_map[cls, level]``.

        Raises
        ------
        PolicyError
            If ``n_questions`` or the map does not fit the scenario.
        """
        if question_map is not None:
            qm = question_map
            if qm.shape[0] != self.n_classes or (qm.ndim == 2 and qm.shape[1] != self.n_levels):
                raise PolicyError(
                    f"question_map: must have shape ({self.n_classes},) or ({self.n_classes}, {self.n_levels}) "
                    f"(classes, backlog levels), got {qm.shape}"
                )
            if qm.max() >= n_questions:
                raise PolicyError(f"question_map: entries must lie in range({n_questions}) (the {field}'s questions), got max {qm.max()}")
            return qm[self.cls] if qm.ndim == 1 else qm[self.cls, self.level]
        if n_questions == self.n_classes and (self.n_levels == 1 or n_questions != self.n_classes * self.n_levels):
            return self.cls
        if n_questions == self.n_classes * self.n_levels:
            return self.question
        raise PolicyError(
            f"{field}: must have n_classes = {self.n_classes} entries (class questions) or "
            f"n_classes * n_levels = {self.n_classes * self.n_levels} entries ((class, level) questions), "
            f"got {n_questions}"
        )


def check_question_map(question_map: object) -> NDArray[np.int64] | None:
    """Validate an optional observation -> question map (``None`` passes through).

    ``question_map[c]`` (shape ``(n_classes,)``) or ``question_map[c, l]`` (shape
    ``(n_classes, n_levels)``) is the question a server asks when its own class is ``c`` and its
    backlog level ``l``; e.g. to merge fine demand classes into a game's coarser questions.
    Entries must be integers >= 0; the shape is checked against the scenario at ``route`` time.
    """
    if question_map is None:
        return None
    qm = np.asarray(question_map)
    if qm.ndim not in (1, 2) or qm.size == 0 or qm.dtype.kind not in "iu" or qm.min() < 0:
        raise PolicyError(
            "question_map: must be a non-empty integer array of shape (n_classes,) or (n_classes, n_levels) "
            f"with entries >= 0, got {qm.dtype} array of shape {qm.shape}"
        )
    qm = qm.astype(np.int64)
    qm.setflags(write=False)
    return qm


@runtime_checkable
class Share(Protocol):
    """A server's share of a resource (marker protocol)."""

    kind: str


@dataclass(frozen=True, eq=False)
class NoShare:
    """No resource: a purely local deterministic rule."""

    kind: str = "none"


@dataclass(frozen=True, eq=False)
class SharedUniform:
    """The shared uniform random number of each pair (both servers hold the same value).

    Attributes
    ----------
    u : ndarray, shape (m,)
        ``U(0, 1)`` numbers, column 0 of ``inputs.uniforms`` for the pairs of the batch.
    """

    u: NDArray[np.float64]
    kind: str = "shared_uniform"

    def __post_init__(self) -> None:
        object.__setattr__(self, "u", readonly(np.asarray(self.u, dtype=np.float64)))


class ResourceHalf:
    """One server's halves of a batch of correlated resources (entangled pairs or a no-signalling box).

    The only thing a rule can do with it is :meth:`measure` once with its own questions; the
    result is its own outcome (decision) per pair. ``available`` tells which pairs actually hold a
    resource (an entanglement pool may run dry; both servers know, because pairs are heralded); for
    the others the outcome is undefined and the rule must use its classical fallback.
    """

    kind = "half"

    def __init__(self, measure: Callable[[NDArray[np.int64]], NDArray[np.int8]], available: NDArray[np.bool_], n_questions: int) -> None:
        self._measure = measure
        self._used = False
        self.available = readonly(np.asarray(available, dtype=bool))
        #: Number of questions (measurement settings) the resource accepts.
        self.n_questions = int(n_questions)

    def measure(self, question: NDArray[np.int64]) -> NDArray[np.int8]:
        """Measure this server's halves with the given question per pair; return the outcomes.

        Parameters
        ----------
        question : ndarray of int, shape (m,)
            Question (measurement setting) per pair, in ``range(n_questions)``.

        Returns
        -------
        ndarray of int8, shape (m,)
            Outcome per pair (0 = KEEP, 1 = FORWARD); meaningful where ``available``.
        """
        if self._used:
            raise PolicyError("measure: each half can be measured only once")
        q = np.asarray(question, dtype=np.int64)
        if q.shape != self.available.shape:
            raise PolicyError(f"question: must have shape {self.available.shape}, got {q.shape}")
        if q.size and (q.min() < 0 or q.max() >= self.n_questions):
            raise PolicyError(f"question: must lie in range({self.n_questions}), got values in [{q.min()}, {q.max()}]")
        self._used = True
        return self._measure(q)
