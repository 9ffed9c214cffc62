"""What a server may know and decide: routing policies for the two-server system.

Communication-free policies are built from *local rules* that see one server's own observation and its
own share of a resource, by construction (:mod:`qcoord.policies.views`):

- :class:`LocalRule` (decision tables), :class:`ThresholdRule`, :class:`SharedRandomness` (mixtures
  by the shared uniform, ``inputs.uniforms[:, 0]``);
- :class:`Correlated` (any no-signalling behaviour, sampled sequentially, columns 1 and 2);
- :class:`Entangled` (a ``QuantumStrategy`` measured on ideal pairs, an ``EntanglementPool`` or a
  ``StreamingSource``, with classical fallback).

Communicating policies receive the partner's observation explicitly: :class:`Oracle` (zero latency),
:class:`NaiveCommunicate` (everything released after ``D``), :class:`HoldForMessage`.

Every policy has ``name``, ``role_symmetric``, ``describe()`` and ``route(inputs, scenario) ->
PolicyRouting`` (a :class:`qcoord.system.Routing` plus ``level`` and ``info``). When the scenario
observes backlog (``backlog_levels``) and a table is indexed by ``class * n_levels + level``, decisions
are made in a sequential pass over own workloads (:mod:`qcoord.policies.backlog`).
:func:`route_info` returns what a policy used per replication (e.g. an entanglement pool's fallbacks).
"""

from .backlog import backlog_pass, backlog_pass_reference
from .base import SAMPLING_COLUMNS, SHARED_UNIFORM_COLUMN, LocalPolicy, PairPolicy, PolicyRouting, route_info
from .communicate import Communicate, HoldForMessage, NaiveCommunicate, Oracle, joint_optimum
from .correlated import Correlated
from .entangled import Entangled
from .errors import PolicyError
from .local import DeterministicRule, LocalRule, SharedRandomness, ThresholdRule
from .views import ROLE_A, ROLE_B, LocalView, NoShare, ResourceHalf, SharedUniform

__all__ = [
    "LocalRule",
    "ThresholdRule",
    "SharedRandomness",
    "DeterministicRule",
    "Correlated",
    "Entangled",
    "Oracle",
    "NaiveCommunicate",
    "Communicate",
    "HoldForMessage",
    "joint_optimum",
    "PairPolicy",
    "LocalPolicy",
    "PolicyRouting",
    "route_info",
    "PolicyError",
    "LocalView",
    "NoShare",
    "SharedUniform",
    "ResourceHalf",
    "ROLE_A",
    "ROLE_B",
    "SHARED_UNIFORM_COLUMN",
    "SAMPLING_COLUMNS",
    "backlog_pass",
    "backlog_pass_reference",
]
