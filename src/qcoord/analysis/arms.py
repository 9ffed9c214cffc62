"""Arms of an experiment: a policy with what it is (family, role symmetry, parameters).

An :class:`Arm` replaces naming conventions: a claim selects the arms it needs by *family* and
*parameters* (``run.select(family="entangled", lam=0.5)``), never by parsing a name. The catalogue
functions below build the arms a study simulates from a solved pair game; adding a strategy class
to the study means adding one catalogue function here (and its glossary entry in
:mod:`qcoord.analysis.report`).

Families
--------
``local``
    Deterministic rules from the own local observation (role-symmetric: a fresh shared coin per pair
    decides which server plays A; role-asymmetric: server 0 always plays A).
``shared``
    Shared-randomness mixtures of local rules (a per-pair coin picks the rule). Together with the
    ``local`` arms they form the best-local benchmark; block time-sharing of local arms on a shared
    clock reaches every chord of their points without communication.
``entangled``
    Decisions = outcomes of measurements of a shared entangled pair, basis from the local observation.
``communicating``
    Decisions after a message of latency ``D`` (naive communicate, hold-for-message).
``oracle``
    The pair game's joint optimum with zero latency: optimal for the one-shot game, not for
    throughput; an unattainable reference, never a benchmark.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

__all__ = [
    "FAMILIES",
    "BENCHMARK_FAMILIES",
    "Arm",
    "class_arms",
    "local_rule_arms",
    "mixture_arms",
    "entangled_arms",
    "noisy_arms",
    "communicating_arms",
    "rule_tag",
]

#: Strategy families (module notes).
FAMILIES: tuple[str, ...] = ("local", "shared", "entangled", "communicating", "oracle")
#: Families that need no communication and no entanglement: the best-local benchmark.
BENCHMARK_FAMILIES: tuple[str, ...] = ("local", "shared")


@dataclass(frozen=True, eq=False)
class Arm:
    """One simulated policy and what it is.

    Attributes
    ----------
    name : str
        Unique within a run (the policy's ``name``); only used as a key and a label.
    policy : object
        A :class:`qcoord.system.Policy` (``name`` equal to the arm's).
    family : str
        One of :data:`FAMILIES`.
    role_symmetric : bool
        Whether a fresh shared coin per pair decides which server plays A.
    params : mapping
        What distinguishes the arm within its family: ``lam`` (interruption price of the game it
        was solved for), ``visibility``, ``latency``, ``protocol`` (``"naive"``/``"hold"``),
        ``observation`` (``"class"``/``"class+busy"``), ``source`` (link preset), ``costs``
        (``"closed_form"``/``"estimated"``), ``rule`` (decision tables), ``weight``.
    label : str
        Human label for tables and legends (default: the name).
    headline : bool
        The arm that stands for its family in the strategy-class table.
    """

    name: str
    policy: Any
    family: str
    role_symmetric: bool = True
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    headline: bool = False

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family: must be one of {FAMILIES}, got {self.family!r}")
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name: must be a non-empty string, got {self.name!r}")
        pname = getattr(self.policy, "name", None)
        if pname != self.name:
            raise ValueError(f"policy: its name {pname!r} must equal the arm's name {self.name!r}")
        if not self.label:
            object.__setattr__(self, "label", self.name)
        object.__setattr__(self, "params", dict(self.params))

    @property
    def is_benchmark(self) -> bool:
        """Whether the arm belongs to the best-local benchmark (no communication, no entanglement)."""
        return self.family in BENCHMARK_FAMILIES

    def matches(self, **criteria: Any) -> bool:
        """Whether every criterion holds: ``family``, ``role_symmetric``, ``headline`` or a parameter."""
        for key, want in criteria.items():
            if key in ("family", "role_symmetric", "headline", "name"):
                have = getattr(self, key)
            else:
                if key not in self.params:
                    return False
                have = self.params[key]
            if isinstance(want, (tuple, list, set, frozenset)):
                if have not in want:
                    return False
            elif have != want:
                return False
        return True


def rule_tag(strategy: Any) -> str:
    """``"<alice answers>|<bob answers>"`` of a deterministic strategy, e.g. ``"00|10"``."""
    return f"{''.join(map(str, strategy.alice))}|{''.join(map(str, strategy.bob))}"


def _sym(flag: bool) -> str:
    return "sym" if flag else "asym"


def class_arms(solution: Any, *, latency: float | None = None, observation: str = "class") -> list[Arm]:
    """One headline arm per strategy class of a solved game (:func:`qcoord.compile.to_policy`).

    ``local`` (role-symmetric), ``local_asym``, ``shared`` (the classical mixture with the entangled
    strategy's one-shot split probability), ``entangled``, ``entangled_asym`` (the same strategy,
    server 0 always measuring as Alice), ``naive``, ``hold`` (at ``latency``, default the scenario's)
    and ``oracle``.
    """
    from qcoord.compile import to_policy
    from qcoord.policies import Entangled, LocalRule

    lam = float(solution.compiled.lam)
    common = {"lam": lam, "observation": observation, "costs": "closed_form"}
    spec = [
        ("local", "local", True, {}, "local (best rule, role-symmetric)"),
        ("local_asym", "local", False, {}, "local (best rule, role-asymmetric)"),
        ("shared", "shared", True, {"matched": "split"}, "shared randomness (same p as entangled)"),
        ("entangled", "entangled", True, {"visibility": 1.0, "frontier": True, "noisy": True}, "entangled"),
        ("naive", "communicating", True, {"protocol": "naive"}, "naive communicate"),
        ("hold", "communicating", True, {"protocol": "hold"}, "hold-for-message"),
        ("oracle", "oracle", True, {"latency": 0.0}, "oracle (pair-game optimum, D = 0)"),
    ]
    out = []
    for kind, family, sym, extra, label in spec:
        kw: dict[str, Any] = {"name": kind}
        if kind in ("naive", "hold"):
            d = float(solution.compiled.scenario.message_latency if latency is None else latency)
            kw["latency"] = d
            extra = {**extra, "latency": d}
        out.append(Arm(kind, to_policy(solution, kind, **kw), family, sym, {**common, **extra}, label, headline=True))
        if kind == "entangled":
            cs = solution.classical_strategy
            pol = Entangled(solution.quantum.strategy, role_symmetric=False, name="entangled_asym",
                            fallback=LocalRule(cs.alice, cs.bob, role_symmetric=False))
            out.append(Arm("entangled_asym", pol, "entangled", False, {**common, "visibility": 1.0, "asymmetric": True},
                           "entangled, role-asymmetric (server 0 always measures as A)", headline=True))
    return out


def local_rule_arms(solution: Any, *, prefix: str = "rule", observation: str = "class") -> list[Arm]:
    """Every vertex of the solved game's classical frontier, role-symmetric and role-asymmetric.

    These deterministic rules (each optimal for some interruption price) span the best-local
    frontier; mixtures of them are :func:`mixture_arms`.
    """
    from qcoord.policies import LocalRule

    out = []
    for s in solution.frontier.strategies:
        tag = rule_tag(s)
        for sym in (True, False):
            name = f"{prefix}:{tag}:{_sym(sym)}"
            out.append(
                Arm(name, LocalRule(s.alice, s.bob, role_symmetric=sym, name=name), "local", sym,
                    {"rule": tag, "observation": observation}, f"rule {tag} ({_sym(sym)})")
            )
    return out


def mixture_arms(rules: Sequence[Arm], weights: Iterable[float] = (0.25, 0.5, 0.75)) -> list[Arm]:
    """Per-pair shared-randomness mixtures of every pair of local rules of the same role symmetry.

    For rules ``r0``, ``r1`` and weight ``w``, a fresh shared coin per pair plays ``r1`` with
    probability ``w``. At load, waiting and throughput are not linear in ``w``; these points make
    the Pareto front of per-pair mixtures (the secondary benchmark) dense.
    """
    from qcoord.policies import SharedRandomness

    ws = [float(w) for w in weights]
    for w in ws:
        if not 0.0 < w < 1.0:
            raise ValueError(f"weights: each must lie in (0, 1), got {w!r}")
    out = []
    for a, b in itertools.combinations(rules, 2):
        if a.role_symmetric != b.role_symmetric:
            continue
        for w in ws:
            name = f"mix:{a.name}+{b.name}:{w:g}"
            pol = SharedRandomness([a.policy, b.policy], [1 - w, w], role_symmetric=a.role_symmetric, name=name)
            params = {"rules": (a.params.get("rule"), b.params.get("rule")), "weight": w,
                      "observation": a.params.get("observation", "class")}
            out.append(Arm(name, pol, "shared", a.role_symmetric, params, f"mixture {w:g} of {a.label} and {b.label}"))
    return out


def entangled_arms(solutions: Mapping[float, Any], *, observation: str = "class") -> list[Arm]:
    """One ideal entangled arm per interruption price ``lam`` (the entangled frontier; the headline price's
    arm is the ``entangled`` arm of :func:`class_arms`, so leave it out of ``solutions``)."""
    from qcoord.compile import to_policy

    out = []
    for lam, sol in solutions.items():
        name = f"entangled[lam={float(lam):g}]"
        out.append(Arm(name, to_policy(sol, "entangled", name=name), "entangled", True,
                       {"lam": float(lam), "visibility": 1.0, "observation": observation, "costs": "closed_form",
                        "frontier": True}, f"entangled, lam = {float(lam):g}"))
    return out


def noisy_arms(solution: Any, visibilities: Iterable[float]) -> list[Arm]:
    """The headline entangled strategy on Werner-noisy pairs, one arm per visibility below 1."""
    from qcoord.compile import to_policy

    out = []
    for v in visibilities:
        if float(v) == 1.0:
            continue  # the headline arm of :func:`class_arms` is the ideal point
        name = f"entangled[v={float(v):g}]"
        out.append(Arm(name, to_policy(solution, "entangled", visibility=float(v), name=name), "entangled", True,
                       {"lam": float(solution.compiled.lam), "visibility": float(v), "observation": "class",
                        "costs": "closed_form", "noisy": True}, f"entangled, v = {float(v):g}"))
    return out


def communicating_arms(solution: Any, latencies: Iterable[float]) -> list[Arm]:
    """Naive communicate and hold-for-message at every message latency ``D``."""
    from qcoord.compile import joint_table
    from qcoord.policies import HoldForMessage, NaiveCommunicate

    table = joint_table(solution)
    out = []
    for D in latencies:
        d = float(D)
        nm, hm = f"naive[D={d:g}]", f"hold[D={d:g}]"
        out.append(Arm(nm, NaiveCommunicate(table, latency=d, name=nm), "communicating", True,
                       {"protocol": "naive", "latency": d, "sweep": True}, f"naive communicate, D = {d:g}"))
        out.append(Arm(hm, HoldForMessage(latency=d, name=hm), "communicating", True,
                       {"protocol": "hold", "latency": d, "sweep": True}, f"hold-for-message, D = {d:g}"))
    return out
