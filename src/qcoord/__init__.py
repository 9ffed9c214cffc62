"""qcoord: entanglement-assisted coordination in distributed systems.

Data flows one way through the packages::

    Scenario --compile--> Game --solve--> Strategy --bind--> Policy --simulate--> Result --> Report
    (system)             (games)         (games)           (policies,          (system)    (analysis, cli)
                                                            entanglement)

Lower layers never import higher ones: ``games`` knows nothing of servers, ``entanglement`` knows
states, measurements and pair pools, ``system`` runs any policy through one interface, and
``analysis`` / ``cli`` own all printing, plotting and files.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qcoord")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
