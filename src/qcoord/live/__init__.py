"""Live emulation: the policies on real processes, sockets and clocks on this machine's loopback.

``emulate(scenario, policies, LiveConfig(...))`` runs every policy as its own pair of server
processes (asyncio) fed by a load generator that replays the simulator's inputs (common random
numbers), with a delay proxy for the control path (message latency ``D``) and the data path
(hand-off delay ``d``) and an entanglement link service that plays the physics of the shared pairs;
it then compares every figure with the simulator on the same inputs. See ``docs/live.md`` for what
is real (processes, sockets, clocks, scheduling) and what is modelled (the work itself).

This is the top floor: it imports ``system``, ``entanglement``, ``policies`` and ``compile``;
only the CLI (``qcoord emulate``) imports it.
"""

from .core import LiveConfig, LiveResult, PolicyLive, check_live_policy, emulate
from .measure import Comparison, Figures, chi_square, compare, figures
from .runner import LiveError

__all__ = [
    "LiveConfig", "LiveResult", "PolicyLive", "LiveError", "emulate", "check_live_policy",
    "Comparison", "Figures", "figures", "compare", "chi_square",
]
