"""The dual-work two-server system: scenario, policy interface, simulator."""

from .interface import FORWARD, KEEP, PairInputs, Policy, Routing

__all__ = ["KEEP", "FORWARD", "PairInputs", "Routing", "Policy"]
