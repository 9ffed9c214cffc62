"""The ``qcoord`` command line.

Commands live in one module per concern and attach to :data:`app`:
``game.py`` (``qcoord game values``), ``demo.py`` (``qcoord demo``, ``qcoord run``),
``sweep.py`` (``qcoord sweep``, ``qcoord plot``), ``scenario.py`` (``qcoord scenario show``,
``qcoord scenario fields``), ``export.py`` (``qcoord export``). The CLI sits on top of every package and owns
printing; library code never prints.
"""

from ._app import app, game_app, scenario_app
from . import game as _game  # noqa: F401  (registers commands)
from . import demo as _demo  # noqa: F401
from . import sweep as _sweep  # noqa: F401
from . import scenario as _scenario  # noqa: F401
from . import emulate as _emulate  # noqa: F401
from . import export as _export  # noqa: F401

__all__ = ["app", "game_app", "scenario_app", "main"]


def main() -> None:
    """Entry point of the ``qcoord`` console script."""
    app()
