"""Two NetQASM SDK applications (one per server) that play a strategy on the network's EPR pairs.

Each server's application obtains an EPR pair from the network (``server_a`` creates it with
``create_keep``, ``server_b`` receives it with ``recv_keep``), rotates its half for its own question
(``x`` for server A, ``y`` for server B) and measures: outcome 0 is KEEP, 1 is FORWARD. A server's
file holds only its own measurement table (locality: nothing about the other server's questions).

**Which state.** NetQASM networks deliver :math:`|\\Phi^+\\rangle = (|00\\rangle + |11\\rangle)/\\sqrt2` only.
A strategy on any maximally entangled state is rewritten exactly onto :math:`|\\Phi^+\\rangle` (Bob's
measurement conjugated by the local unitary, :func:`qcoord.export.bell_form`). A strategy whose optimal
state is *not* maximally entangled (e.g. the default scenario's, Schmidt angle 42.66 deg) is refused:
re-optimise with the state fixed, ``quantum_lower_bound(game, state="bell")``, which reports the value
lost (``qcoord export ... --format netqasm`` does that). We chose re-optimisation over preparing the
partially entangled state by a distillation or teleportation protocol: it needs no extra pairs or
communication, keeps every decision one-shot and local, and the loss is small and reported.

**Rotations.** Each measurement is the computational-basis measurement after
:math:`G^\\dagger = U(\\theta, \\phi, \\lambda) = R_Z(\\phi) R_Y(\\theta) R_Z(\\lambda)` (up to phase): the app
applies ``rot_Z(lam)`` then ``rot_Y(theta)``; the last :math:`R_Z(\\phi)` commutes with the Z
measurement and changes no probability, so it is left out. The SDK approximates each angle by a sum of
:math:`n\\pi/2^d` terms to :math:`10^{-4}\\pi` (checked on the compiled subroutines by
:func:`compile_netqasm`). A trivial measurement (certain answer) still consumes and measures its half.

Files written: ``app_server_a.py``, ``app_server_b.py``, ``network.yaml`` (two nodes, one perfect
link), ``roles.yaml``, ``server_a.yaml`` / ``server_b.yaml`` (inputs: question and number of rounds)
and ``strategy.json`` (the exported strategy's predicted behaviour). Run with a NetQASM backend, e.g.
``netqasm simulate --app-dir DIR`` with SimulaQron (``scripts/simulaqron_run.py``).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..games import QuantumStrategy
from ._decompose import ExportError, Measurement, bell_form, check_question, recipe

__all__ = ["netqasm_apps", "compile_netqasm", "NetQASMApps", "APP_NAMES"]

#: NetQASM application (node) names of the two servers.
APP_NAMES = ("server_a", "server_b")

_APP = '''"""NetQASM application of {name} (written by `qcoord export`; do not edit by hand).

{role} On each round it gets one half of an EPR pair |Phi+> from the network, rotates it for its own
question {q} (rot_Z(lam), then rot_Y(theta): the measurement U(theta, phi, lam)^dagger ... see
qcoord.export.netqasm) and measures: 0 = KEEP, 1 = FORWARD. Strategy value {value}.
"""

from netqasm.sdk import EPRSocket

PEER = {peer!r}
#: per question: (theta, lam) of the rotation before the measurement, in radians
ROTATIONS = {rotations!r}
#: per question: the certain answer of a trivial measurement, else None
TRIVIAL = {trivial!r}
DECISIONS = ("KEEP", "FORWARD")
#: rounds per subroutine (one flush); SimulaQron refuses more than ~10 pairs in flight per node
#: (its 20 virtual qubits are released at the end of a subroutine)
BATCH = 1
#: every SYNC rounds server B acknowledges on the classical channel and server A waits for it, so
#: server A never runs more than SYNC pairs ahead (the ack carries no information: a constant)
SYNC = 10


def play(conn, epr_socket, {q}, rounds, sync=None):
    """Build and flush the rounds on ``conn``; returns one answer (future or int) per round.

    ``sync()`` (if given) is called after every ``SYNC`` rounds.
    """
    if not (isinstance({q}, int) and 0 <= {q} < len(ROTATIONS)):
        raise ValueError(f"{q}: must be an integer in range({{len(ROTATIONS)}}), got {{{q}!r}}")
    theta, lam = ROTATIONS[{q}]
    out = []
    for start in range(0, rounds, BATCH):
        for _ in range(min(BATCH, rounds - start)):
            qubit = epr_socket.{get}()[0]
            if TRIVIAL[{q}] is None:
                if lam:
                    qubit.rot_Z(angle=lam)
                if theta:
                    qubit.rot_Y(angle=theta)
                out.append(qubit.measure())
            else:
                qubit.measure()  # the pair is consumed; the answer is certain
                out.append(TRIVIAL[{q}])
        conn.flush()
        if sync is not None and (start // BATCH + 1) % SYNC == 0:
            sync()
    return out


def main(app_config=None, {q}=0, rounds=1):
    from netqasm.sdk.external import NetQASMConnection, Socket

    epr_socket = EPRSocket(PEER)
    socket = Socket(app_config.app_name, PEER, log_config=app_config.log_config)
    conn = NetQASMConnection(app_name=app_config.app_name, log_config=app_config.log_config, epr_sockets=[epr_socket])
    with conn:
        answers = play(conn, epr_socket, {q}, int(rounds), sync={sync})
    answers = [int(a) for a in answers]
    return {{"{q}": {q}, "answers": answers, "decisions": [DECISIONS[a] for a in answers]}}
'''


def _rotations(ms: tuple[Measurement, ...]) -> tuple[list[tuple[float, float]], list[int | None]]:
    rot = [(float(m.angles[0]), float(m.angles[2])) for m in ms]
    return rot, [m.trivial for m in ms]


@dataclass(frozen=True, eq=False)
class NetQASMApps:
    """What :func:`netqasm_apps` wrote.

    Attributes
    ----------
    out_dir : Path
    files : tuple of Path
        Every file written.
    strategy : QuantumStrategy
        The strategy the apps play, on exactly :math:`|\\Phi^+\\rangle` (same behaviour as the input).
    behaviour : ndarray (2, 2, nx, ny)
        Its predicted ``p(a, b | x, y)``.
    rotations : dict
        ``{"server_a": [(theta, lam), ...], "server_b": [...]}`` in radians.
    """

    out_dir: Path
    files: tuple[Path, ...]
    strategy: QuantumStrategy = field(repr=False)
    behaviour: NDArray[np.float64] = field(repr=False)
    rotations: dict[str, list[tuple[float, float]]] = field(repr=False)


def _yaml_list(rows: list[str]) -> str:
    return "\n".join(rows) + "\n"


def netqasm_apps(strategy: QuantumStrategy, out_dir: str | Path, *, rounds: int = 100, value: float | None = None) -> NetQASMApps:
    """Write the two NetQASM applications of a strategy on :math:`|\\Phi^+\\rangle` pairs (module notes).

    Parameters
    ----------
    strategy : QuantumStrategy
        A pure, maximally entangled qubit strategy with projective measurements (any maximally
        entangled state: it is rewritten onto :math:`|\\Phi^+\\rangle`).
    out_dir : path
        Folder to write (created if missing; existing app files are overwritten).
    rounds : int >= 1
        Rounds per run written to the input files (each round consumes one EPR pair).
    value : float, optional
        The strategy's game value, quoted in the apps' docstrings.

    Returns
    -------
    NetQASMApps

    Raises
    ------
    ExportError
        Not a qubit strategy, a mixed or not maximally entangled state (the message says to use
        ``quantum_lower_bound(game, state="bell")``), non-projective measurements, bad ``rounds``,
        or an unwritable ``out_dir``.
    """
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 1:
        raise ExportError(f"rounds: must be an integer >= 1, got {rounds!r}")
    s = bell_form(strategy)
    r = recipe(s)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"out_dir: cannot create {out} ({exc})") from None
    rot_a, triv_a = _rotations(r.alice)
    rot_b, triv_b = _rotations(r.bob)
    vtext = "not given" if value is None else f"{value:.10g}"
    texts = {
        "app_server_a.py": _APP.format(name="server_a", role="Server A (plays Alice, creates the pairs).", q="x",
                                       peer="server_b", rotations=rot_a, trivial=triv_a, get="create_keep", value=vtext,
                                       sync="socket.recv"),
        "app_server_b.py": _APP.format(name="server_b", role="Server B (plays Bob, receives the pairs).", q="y",
                                       peer="server_a", rotations=rot_b, trivial=triv_b, get="recv_keep", value=vtext,
                                       sync='lambda: socket.send("ack")'),
        "network.yaml": _yaml_list([
            "# two servers and one perfect link delivering |Phi+> (fidelity 1; lower it to model Werner noise)",
            "nodes:",
            *[f"  - name: {n}\n    gate_fidelity: 1.0\n    qubits:\n      - id: 0\n        t1: 0\n        t2: 0" for n in APP_NAMES],
            "links:",
            "  - name: ch0\n    node_name1: server_a\n    node_name2: server_b\n    noise_type: Depolarise\n    fidelity: 1.0",
        ]),
        "roles.yaml": _yaml_list([f"{n}: {n}" for n in APP_NAMES]),
        "server_a.yaml": _yaml_list(["x: 0", f"rounds: {int(rounds)}"]),
        "server_b.yaml": _yaml_list(["y: 0", f"rounds: {int(rounds)}"]),
    }
    p = s.behaviour()
    meta = {
        "state": "Phi+ = (|00> + |11>)/sqrt(2)",
        "answers": ["KEEP", "FORWARD"],
        "value": value,
        "behaviour": {f"x{x}_y{y}": p[:, :, x, y].tolist() for x in range(p.shape[2]) for y in range(p.shape[3])},
        "behaviour_layout": "behaviour['x{x}_y{y}'][a][b] = p(a, b | x, y)",
        "rotations": {"server_a": rot_a, "server_b": rot_b},
        "trivial": {"server_a": triv_a, "server_b": triv_b},
    }
    texts["strategy.json"] = json.dumps(meta, indent=2) + "\n"
    files = []
    try:
        for name, text in texts.items():
            path = out / name
            path.write_text(text)
            files.append(path)
    except OSError as exc:
        raise ExportError(f"out_dir: cannot write {out} ({exc})") from None
    p.setflags(write=False)
    return NetQASMApps(out, tuple(files), s, p, {"server_a": rot_a, "server_b": rot_b})


def _require_netqasm() -> Any:
    try:
        import netqasm
    except ImportError as exc:
        raise ExportError(f"netqasm is not installed ({exc}); install the optional extra: pip install 'qcoord[netqasm]'") from None
    return netqasm


def _load_app(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"_qcoord_netqasm_{path.stem}_{abs(hash(str(path)))}", path)
    if spec is None or spec.loader is None:  # pragma: no cover
        raise ExportError(f"app: cannot load {path}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def compile_netqasm(app_dir: str | Path, x: int = 0, y: int = 0, rounds: int = 1) -> dict[str, list[Any]]:
    """Compile both applications offline (NetQASM SDK ``DebugConnection``: no backend, no network).

    Each app's ``play`` builds its rounds for question ``x`` (server A) / ``y`` (server B); the
    serialised messages it flushes are decoded back with the SDK's own parser.

    Returns
    -------
    dict
        ``{"server_a": [Subroutine, ...], "server_b": [...]}`` (``netqasm.lang.subroutine.Subroutine``,
        whose ``str`` is the NetQASM text).

    Raises
    ------
    ExportError
        netqasm missing, app files missing, or the SDK refusing to build the program.
    """
    _require_netqasm()
    from netqasm.backend.messages import SubroutineMessage, deserialize_host_msg
    from netqasm.lang.parsing.binary import deserialize
    from netqasm.sdk.connection import DebugConnection
    from netqasm.sdk.epr_socket import EPRSocket

    d = Path(app_dir)
    out: dict[str, list[Any]] = {}
    DebugConnection.node_ids = {n: i for i, n in enumerate(APP_NAMES)}
    for name, peer, q in (("server_a", "server_b", x), ("server_b", "server_a", y)):
        path = d / f"app_{name}.py"
        if not path.is_file():
            raise ExportError(f"app_dir: {path} is missing (write the apps with netqasm_apps first)")
        mod = _load_app(path)
        sock = EPRSocket(peer)
        try:
            with DebugConnection(name, epr_sockets=[sock]) as conn:
                mod.play(conn, sock, q, rounds)
        except ValueError as exc:
            raise ExportError(f"{name}: {exc}") from None
        subs = []
        for raw in conn.storage:
            msg = deserialize_host_msg(raw)
            if isinstance(msg, SubroutineMessage):
                subs.append(deserialize(msg.subroutine))
        out[name] = subs
        sys.modules.pop(mod.__name__, None)
    return out
