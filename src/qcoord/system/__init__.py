"""The dual-work two-server system: scenario, policy interface, simulator.

Public surface::

    Scenario, ScenarioError                       # scenario.py: the validated, frozen model
    Exponential, Deterministic, TwoPoint, LogNormal, Empirical   # demand.py
    Baseline, setup, power                        # baseline.py: baseline output T(t)
    PairInputs, Routing, Policy, KEEP, FORWARD    # interface.py: the policy contract
    routing_from_decisions, routing_with_holds    # routing.py
    pair_waiting_low_load                         # costs.py: closed-form low-load pair costs
    simulate, SimulationResult, Estimate          # simulate.py / result.py
"""

from . import demand as _demand
from .baseline import Baseline, BaselineError, baseline_from_spec, power, setup
from .costs import consolidation_waiting, pair_waiting_low_load
from .demand import Demand, Deterministic, Empirical, Exponential, LogNormal, TwoPoint, classify, demand_from_dict
from .interface import FORWARD, KEEP, PairInputs, Policy, Routing, RoutingError, ScenarioError
from .result import METRICS, Estimate, SimulationResult, estimate
from .routing import check_routing, routing_from_decisions, routing_with_holds
from .scenario import Scenario
from .simulate import run_servers, simulate

__all__ = [
    "KEEP",
    "FORWARD",
    "PairInputs",
    "Routing",
    "Policy",
    "ScenarioError",
    "RoutingError",
    "Scenario",
    *_demand.__all__,  # Demand, Exponential, Deterministic, TwoPoint, LogNormal, Empirical, classify, demand_from_dict
    "Baseline",
    "BaselineError",
    "setup",
    "power",
    "baseline_from_spec",
    "pair_waiting_low_load",
    "consolidation_waiting",
    "routing_from_decisions",
    "routing_with_holds",
    "check_routing",
    "simulate",
    "run_servers",
    "SimulationResult",
    "Estimate",
    "estimate",
    "METRICS",
]
