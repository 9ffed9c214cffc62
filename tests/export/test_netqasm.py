"""NetQASM apps: they compile offline with the SDK, rotate by the intended angles, and play |Phi+>."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from qcoord.export import ExportError, bell_form, compile_netqasm, netqasm_apps, u_matrix
from qcoord.games import QuantumStrategy

from .conftest import random_qubit_strategy


def rotation_angles(sub) -> tuple[float, float]:
    """Total rot_Z and rot_Y angles (radians) in a compiled subroutine (each n pi / 2^d)."""
    z = y = 0.0
    for ins in sub.instructions:
        name = type(ins).__name__
        if name in ("RotZInstruction", "RotYInstruction"):
            ang = ins.angle_num.value * np.pi / 2 ** ins.angle_denom.value
            if name == "RotZInstruction":
                z += ang
            else:
                y += ang
    return z, y


def circ_dist(a: float, b: float) -> float:
    return abs((a - b + np.pi) % (2 * np.pi) - np.pi)


def test_default_scenario_apps_compile_with_the_sdk(tmp_path, default_solution):
    free, bell = default_solution
    with pytest.raises(ExportError, match=r"not maximally entangled.*state='bell'"):
        netqasm_apps(free.strategy, tmp_path / "refused")
    apps = netqasm_apps(bell.strategy, tmp_path / "apps", rounds=7, value=bell.value)
    names = sorted(p.name for p in apps.files)
    assert names == ["app_server_a.py", "app_server_b.py", "network.yaml", "roles.yaml", "server_a.yaml", "server_b.yaml",
                     "strategy.json"]
    assert np.abs(apps.behaviour - bell.strategy.behaviour()).max() < 1e-9
    # the SDK reads the app directory: two programs, their inputs, the network config
    from netqasm.runtime.application import app_instance_from_path, network_cfg_from_path

    import sys

    try:
        inst = app_instance_from_path(str(tmp_path / "apps"))
    finally:  # the SDK imports the apps as top-level modules from a path it appends
        for name in ("app_server_a", "app_server_b"):
            sys.modules.pop(name, None)
        if str(tmp_path / "apps") in sys.path:
            sys.path.remove(str(tmp_path / "apps"))
    assert inst.program_inputs == {"server_a": {"x": 0, "rounds": 7}, "server_b": {"y": 0, "rounds": 7}}
    cfg = network_cfg_from_path(str(tmp_path / "apps"))
    assert [n.name for n in cfg.nodes] == ["server_a", "server_b"] and cfg.links[0].fidelity == 1.0
    for x in range(2):
        for y in range(2):
            subs = compile_netqasm(tmp_path / "apps", x, y, rounds=2)
            for name, q in (("server_a", x), ("server_b", y)):
                assert len(subs[name]) == 2  # one subroutine per round (BATCH = 1)
                text = str(subs[name][0])
                assert ("create_epr" if name == "server_a" else "recv_epr") in text and "meas" in text
                theta, lam = apps.rotations[name][q]
                z, yy = rotation_angles(subs[name][0])
                assert circ_dist(z, lam) < 1e-4 * np.pi and circ_dist(yy, theta) < 1e-4 * np.pi


def test_app_rotations_reproduce_the_behaviour(tmp_path, chsh_strategy):
    """Born rule on |Phi+> with each app's gates rot_Y(theta) rot_Z(lam) (the dropped R_Z(phi) is harmless)."""
    apps = netqasm_apps(chsh_strategy, tmp_path)
    phi = np.array([1, 0, 0, 1]) / np.sqrt(2)
    p = chsh_strategy.behaviour()

    def gate(theta, lam):
        return u_matrix(theta, 0.0, lam)  # R_Y(theta) R_Z(lam) up to phase

    for x, (ta, la) in enumerate(apps.rotations["server_a"]):
        for y, (tb, lb) in enumerate(apps.rotations["server_b"]):
            out = np.kron(gate(ta, la), gate(tb, lb)) @ phi  # index 2 a + b
            probs = np.abs(out) ** 2
            assert np.abs(probs.reshape(2, 2) - p[:, :, x, y]).max() < 1e-9


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_bell_form_keeps_the_behaviour(seed):
    """Any maximally entangled state (I x N)|Phi+>: rewritten exactly onto |Phi+>."""
    rng = np.random.default_rng(seed)
    base = random_qubit_strategy(rng)
    z = rng.standard_normal((2, 2)) + 1j * rng.standard_normal((2, 2))
    N, _ = np.linalg.qr(z)
    M, _ = np.linalg.qr(rng.standard_normal((2, 2)) + 1j * rng.standard_normal((2, 2)))
    state = np.kron(M, N) @ (np.array([1, 0, 0, 1]) / np.sqrt(2))
    s = QuantumStrategy(state=state, alice=base.alice, bob=base.bob)
    b = bell_form(s)
    assert np.allclose(b.state, np.array([1, 0, 0, 1]) / np.sqrt(2))
    assert np.abs(b.behaviour() - s.behaviour()).max() < 1e-9


def test_refusals(tmp_path, chsh_strategy):
    with pytest.raises(ExportError, match="the state is mixed"):
        netqasm_apps(chsh_strategy.with_visibility(0.9), tmp_path)
    with pytest.raises(ExportError, match="rounds: must be an integer >= 1"):
        netqasm_apps(chsh_strategy, tmp_path, rounds=0)
    with pytest.raises(ExportError, match="app_server_a.py is missing"):
        compile_netqasm(tmp_path / "nothing")
    netqasm_apps(chsh_strategy, tmp_path / "ok")
    with pytest.raises(ExportError, match=r"x: must be an integer in range\(2\)"):
        compile_netqasm(tmp_path / "ok", x=3)


def test_missing_netqasm_names_the_extra(monkeypatch, tmp_path, chsh_strategy):
    import builtins

    netqasm_apps(chsh_strategy, tmp_path)  # writing the apps needs no SDK
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "netqasm" or name.startswith("netqasm."):
            raise ImportError("No module named 'netqasm'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ExportError, match=r"pip install 'qcoord\[netqasm\]'"):
        compile_netqasm(tmp_path)
