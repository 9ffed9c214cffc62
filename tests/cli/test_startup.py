"""The CLI starts without the scientific stack: the solvers load only when a value is computed."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_cli_loads_no_solver_stack():
    code = "import sys, qcoord.cli; print(','.join(m for m in ('numba', 'cvxpy', 'scipy', 'matplotlib', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"imported at CLI start-up: {out}"


def test_lazy_games_package_exports_everything():
    import qcoord.games as g

    for name in g.__all__:
        assert getattr(g, name) is not None, name
    assert "npa_upper_bound" in dir(g)
