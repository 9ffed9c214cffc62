"""``qcoord game values GAME``: the values of a non-local game, their run times and strategies.

``GAME`` is a library name (``qcoord.games.library.GAMES``: ``chsh``, ``chsh3``, ``odd_cycle5``,
``magic_square``, ...) or the path of a JSON game file (format: :meth:`qcoord.games.Game.from_dict`).

The table lists the classical value (exact, certified), a see-saw quantum lower bound (local
dimension ``--dim``), an NPA upper bound (level ``--level``) and the no-signalling value, each with
its wall time. The NPA row shows the *certified* bound (``NPAResult.certified_bound``, from the dual
solution by weak duality): the solver's optimum itself is only accurate to the solver's stopping
tolerance (shown) and can fall below the quantum value, e.g. on CHSH 0.8535533901 against the
see-saw's 0.8535533906; the certified bound cannot. The JSON carries both (``value`` is the solver's
optimum, ``certified_bound`` the rigorous bound, ``tolerance`` the solver's). ``--json`` prints the same as one JSON object; ``--strategy`` adds the optimal
strategies (classical answer tables; the quantum state and measurement operators).

Exit codes: 0 success; 2 bad input (unknown game, unreadable file, option out of range; the message
names the problem and, for names, lists the available games); 1 a solver failed.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from .. import games as G  # lazy (PEP 562): the solvers, numba and scipy load when a value is computed
from ..games import GAMES, Game, GameError, get_game
from ..games._limits import MAX_MATRIX_SIZE
from ._app import game_app, stdout_console

if TYPE_CHECKING:  # pragma: no cover
    from ..games import ClassicalResult

__all__ = ["values", "list_games", "load_game", "PARTS"]

#: The quantities ``values`` computes, in table order.
PARTS = ("classical", "quantum", "npa", "nonsignaling")
_LEVEL_RE = re.compile(r"^\d+(\+[ab]+)*$")


class CLIInputError(ValueError):
    """Bad command-line input (exit code 2)."""


def load_game(spec: str) -> Game:
    """A library game by name, or a game read from a JSON file path.

    Raises
    ------
    GameError
        Unknown name (the message lists the available ones), missing or malformed file.
    """
    if spec in GAMES:
        return get_game(spec)
    looks_like_path = spec.endswith(".json") or "/" in spec or "\\" in spec or Path(spec).exists()
    if not looks_like_path:
        raise GameError(f"game: unknown name {spec!r}; available: {', '.join(sorted(GAMES))} (or a JSON game file path)")
    path = Path(spec)
    if not path.is_file():
        raise GameError(f"game file: {path} does not exist (or is not a file)")
    try:
        return Game.from_json(path)
    except GameError as exc:
        text = str(exc)
        raise GameError(text if str(path) in text else f"game file {path}: {text}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GameError(f"game file {path}: cannot be read ({exc})") from None


def _parse_level(level: str) -> int | str:
    text = level.strip().lower().replace(" ", "")
    if not _LEVEL_RE.match(text) or int(text.split("+")[0]) < 1:
        raise CLIInputError(f"--level: must be an integer >= 1 or a string like '1+ab', got {level!r}")
    return int(text) if text.isdigit() else text


def _parse_skip(skip: str) -> set[str]:
    parts = {p.strip() for p in skip.split(",") if p.strip()}
    bad = parts - set(PARTS)
    if bad:
        raise CLIInputError(f"--skip: unknown part(s) {', '.join(sorted(bad))}; choose from {', '.join(PARTS)}")
    return parts


def _complex_list(a: np.ndarray) -> Any:
    """Nested lists of [re, im] pairs (JSON has no complex numbers)."""
    arr = np.asarray(a)
    return np.stack([arr.real, arr.imag], axis=-1).round(12).tolist()


def _classical_json(res: ClassicalResult, game: Game, with_strategy: bool) -> dict[str, Any]:
    c = res.certificate
    out: dict[str, Any] = {
        "value": res.value,
        "value_exact": str(c.value_exact),
        "status": res.status,
        "time_s": res.time_s,
        "certificate": {
            "enumerated": c.enumerated,
            "num_strategies": c.num_strategies,
            "num_evaluated": c.num_evaluated,
            "pruned_chunks": int(len(c.pruned_prefixes)),
            "rounding_bound": c.rounding_bound,
            "exact_candidates": c.exact_candidates,
            "best_response_rule": c.best_response_rule,
        },
    }
    if with_strategy:
        out["strategy"] = _classical_tables(res, game)
    return out


def _classical_tables(res: ClassicalResult, game: Game) -> dict[str, dict[str, str]]:
    qa, qb = game.question_names  # type: ignore[misc]
    aa, ab = game.answer_names  # type: ignore[misc]
    return {
        "alice": {qa[x]: aa[a] for x, a in enumerate(res.strategy.alice)},
        "bob": {qb[y]: ab[b] for y, b in enumerate(res.strategy.bob)},
    }


def _fmt_matrix(m: np.ndarray) -> str:
    m = np.asarray(m)
    if np.abs(m.imag).max() < 1e-10:
        m = m.real
    return np.array2string(np.round(m, 4) + 0.0, precision=4, suppress_small=True, max_line_width=120)


def _stage(text: str) -> Any:
    """A transient status line on stderr while a stage runs (only on a terminal; a no-op otherwise)."""
    import contextlib

    err = Console(stderr=True)
    return err.status(text, spinner="dots") if err.is_terminal else contextlib.nullcontext()


def _run(
    game: Game, parts: set[str], dim: int, level: int | str, restarts: Optional[int], seed: int, with_strategy: bool,
    max_matrix_size: int = MAX_MATRIX_SIZE,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Compute the requested values; returns (JSON-ready summary, raw results).

    On a terminal, each stage shows on stderr what it is solving and its size while it runs.
    """
    raw: dict[str, Any] = {}
    out: dict[str, Any] = {}
    na, nb, nx, ny = game.shape
    if "classical" in parts:
        with _stage(f"classical value: exact enumeration of the smaller side's {min(na ** nx, nb ** ny):,} deterministic "
                    "strategies (best response for the other)"):
            res = G.classical_value(game)
        raw["classical"] = res
        out["classical"] = _classical_json(res, game, with_strategy)
    if "quantum" in parts:
        kwargs: dict[str, Any] = {"dim": dim, "seed": seed}
        if restarts is not None:
            kwargs["restarts"] = restarts
        t0 = time.perf_counter()
        with _stage(f"see-saw: local dimension {dim}, {restarts if restarts is not None else 'default'} restarts"):
            q = G.quantum_lower_bound(game, **kwargs)
        elapsed = time.perf_counter() - t0
        raw["quantum"] = q
        out["quantum"] = {
            "value": float(q.value),
            "dim": q.dim,
            "restarts": q.restarts,
            "seed": q.seed,
            "time_s": elapsed,
        }
        if with_strategy:
            out["quantum"]["strategy"] = {
                "state": _complex_list(q.strategy.state),
                "alice": _complex_list(q.strategy.alice),
                "bob": _complex_list(q.strategy.bob),
            }
    if "npa" in parts:
        t0 = time.perf_counter()
        from ..games.npa import DEFAULT_TIME_LIMIT, moment_matrix_size

        side = moment_matrix_size(level, (na, nb), (nx, ny), stop_above=max_matrix_size)
        size_class = "seconds" if side <= 50 else "up to a minute" if side <= 150 else "minutes"
        with _stage(f"NPA level {level}: moment matrix of side {side} (expect {size_class}; budget "
                    f"{DEFAULT_TIME_LIMIT:g} s; Ctrl-C stops)"):
            n = G.npa_upper_bound(game, level=level, max_matrix_size=max_matrix_size)
        elapsed = time.perf_counter() - t0
        raw["npa"] = n
        out["npa"] = {
            "value": float(n.value),  # the solver's optimum: within ~tolerance of the SDP value, either side
            "certified_bound": float(n.certified_bound),  # rigorous upper bound on the quantum value
            "tolerance": float(n.tolerance),
            "level": str(n.level),
            "status": n.status,
            "solver": n.solver,
            "time_s": elapsed,
        }
        if "symmetry" in n.sdp_size:  # solved on group-invariant moments (block-diagonal moment matrix)
            info = n.sdp_size["symmetry"]
            out["npa"]["symmetry"] = {k: info[k] for k in ("group_order", "variables", "distinct_blocks", "largest_block")}
    if "nonsignaling" in parts:
        with _stage(f"no-signalling value: LP with {na * nb * nx * ny:,} variables"):
            ns = G.nonsignaling_value(game)
        raw["nonsignaling"] = ns
        out["nonsignaling"] = {"value": ns.value, "status": ns.status, "time_s": ns.time_s}
    return out, raw


def _print_table(console: Console, game: Game, out: dict[str, Any], raw: dict[str, Any], with_strategy: bool) -> None:
    na, nb, nx, ny = game.shape
    table = Table(title=f"{game.name}: {nx}x{ny} questions, {na}x{nb} answers")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("detail")
    table.add_column("time (s)", justify="right")
    if "classical" in out:
        c = out["classical"]
        cert = c["certificate"]
        detail = f"exact {c['value_exact']}" if len(c["value_exact"]) <= 12 else "certified"
        detail += f"; enumerated {cert['enumerated']} ({cert['num_evaluated']}/{cert['num_strategies']} strategies)"
        table.add_row("classical", f"{c['value']:.10f}", detail, f"{c['time_s']:.4f}")
    if "quantum" in out:
        q = out["quantum"]
        table.add_row(
            "quantum (see-saw, lower bound)",
            f"{q['value']:.10f}",
            f"dim {q['dim']}, {q['restarts']} restarts, seed {q['seed']}",
            f"{q['time_s']:.4f}",
        )
    if "npa" in out:
        n = out["npa"]
        table.add_row(
            "NPA (certified upper bound)",
            f"{n['certified_bound']:.10f}",
            f"level {n['level']} ({n['solver']}, tolerance {n['tolerance']:.0e}); solver optimum {n['value']:.10f}"
            + (f"; symmetry group of order {n['symmetry']['group_order']}, {n['symmetry']['variables']} invariant variables, "
               f"blocks of side <= {n['symmetry']['largest_block']}" if "symmetry" in n else ""),
            f"{n['time_s']:.4f}",
        )
    if "nonsignaling" in out:
        s = out["nonsignaling"]
        table.add_row("no-signalling", f"{s['value']:.10f}", "LP (HiGHS)", f"{s['time_s']:.4f}")
    console.print(table)
    if not with_strategy:
        return
    if "classical" in raw:
        tabs = _classical_tables(raw["classical"], game)
        t = Table(title="optimal classical strategy (answer per question)")
        t.add_column("player")
        t.add_column("question")
        t.add_column("answer")
        for who in ("alice", "bob"):
            for qname, aname in tabs[who].items():
                t.add_row(who, qname, aname)
        console.print(t)
    if "quantum" in raw:
        s = raw["quantum"].strategy
        console.print(f"[bold]quantum strategy[/bold] (local dimension {s.dims[0]} x {s.dims[1]})")
        console.print("state (|i>_A |j>_B, index i*dB + j):")
        console.print(_fmt_matrix(s.state), markup=False, highlight=False)
        qa, qb = game.question_names  # type: ignore[misc]
        aa, ab = game.answer_names  # type: ignore[misc]
        for who, ops, qn, an in (("Alice", s.alice, qa, aa), ("Bob", s.bob, qb, ab)):
            for x in range(ops.shape[0]):
                for a in range(ops.shape[1]):
                    console.print(f"{who} question {qn[x]}, answer {an[a]}:")
                    console.print(_fmt_matrix(ops[x, a]), markup=False, highlight=False)


def _fail(message: str, code: int) -> None:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"error: {message}", markup=False)
    raise typer.Exit(code=code)


@game_app.command("values")
def values(
    game: str = typer.Argument(..., help="A library game name (e.g. chsh, chsh3, odd_cycle5, magic_square; N-player: mermin_ghz, mabk4, svetlichny) or a JSON game file."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    strategy: bool = typer.Option(False, "--strategy", help="Also print the optimal strategies."),
    dim: Optional[int] = typer.Option(
        None, "--dim", help="Local dimension of the see-saw (>= 1; default: the larger number of answers, at least 2)."
    ),
    level: str = typer.Option("1+ab", "--level", help="NPA level: 1, 1+ab, 2, ..."),
    restarts: Optional[int] = typer.Option(None, "--restarts", help="Random see-saw restarts (>= 0; default: the solver's)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the see-saw restarts (>= 0)."),
    skip: str = typer.Option("", "--skip", help="Comma-separated parts to skip: classical, quantum, npa, nonsignaling."),
    max_matrix_size: int = typer.Option(
        MAX_MATRIX_SIZE, "--max-matrix-size", help="Refuse NPA levels whose moment matrix side exceeds this (>= 1)."
    ),
) -> None:
    """Classical, quantum (see-saw), NPA and no-signalling values of GAME, with run times."""
    try:
        parts = set(PARTS) - _parse_skip(skip)
        lvl = _parse_level(level)
        if dim is not None and dim < 1:
            raise CLIInputError(f"--dim: must be an integer >= 1, got {dim}")
        if restarts is not None and restarts < 0:
            raise CLIInputError(f"--restarts: must be an integer >= 0, got {restarts}")
        if seed < 0:
            raise CLIInputError(f"--seed: must be an integer >= 0, got {seed}")
        if max_matrix_size < 1:
            raise CLIInputError(f"--max-matrix-size: must be an integer >= 1, got {max_matrix_size}")
        from qcoord.games.multiparty.library import MULTI_GAMES

        if game in MULTI_GAMES:  # an N-player library game: its own solvers, the same table
            _multi_values(game, parts, dim, level, restarts, seed, as_json, max_matrix_size)
            return
        g = load_game(game)
        if dim is None:  # a qubit see-saw is far from optimal on many-answer games (CHSH_5 at dim 2: 0.502)
            dim = max(2, *g.num_answers)
    except (CLIInputError, GameError) as exc:
        _fail(str(exc), 2)
        return
    try:
        out, raw = _run(g, parts, dim, lvl, restarts, seed, strategy, max_matrix_size)
    except (G.NonsignalingError, G.SolverError, G.CertificateError) as exc:  # a solver failed
        _fail(f"{type(exc).__name__}: {exc}", 1)
        return
    except GameError as exc:  # bad option detected by a solver, game too large, ...
        _fail(str(exc), 2)
        return
    except KeyboardInterrupt:
        _fail("interrupted (Ctrl-C); nothing was printed", 130)
        return
    except Exception as exc:  # solver failures: a clear message, no traceback
        _fail(f"{type(exc).__name__}: {exc}", 1)
        return
    if as_json:
        na, nb, nx, ny = g.shape
        doc = {"game": {"name": g.name, "questions": [nx, ny], "answers": [na, nb]}, **out}
        sys.stdout.write(json.dumps(doc, indent=1) + "\n")
        return
    _print_table(stdout_console(), g, out, raw, strategy)



def _multi_values(name: str, parts: set[str], dim: int | None, level: str, restarts: int | None, seed: int,
                  as_json: bool, max_matrix_size: int) -> None:
    """``qcoord game values`` on an N-player library game (:mod:`qcoord.games.multiparty`)."""
    import time

    from qcoord.games import multiparty as mp

    g = mp.get_multigame(name)
    lvl: int | str = int(level) if level.isdigit() else level
    if lvl == "1+ab" and g.n_players > 2:  # the two-player default: every pair of parties for N players
        lvl = mp.pairs_level(g.n_players)
    d = dim if dim is not None else max(2, *g.n_answers)
    out: dict[str, Any] = {}
    try:
        for part in PARTS:
            if part not in parts:
                continue
            t = time.perf_counter()
            if part == "classical":
                r = mp.classical_value(g)
                out[part] = {"value": float(r.value), "exact": str(r.certificate.value_exact)}
            elif part == "quantum":
                kw = {} if restarts is None else {"restarts": restarts}
                r = mp.quantum_lower_bound(g, dim=d, seed=seed, **kw)
                out[part] = {"value": float(r.value), "dim": d}
            elif part == "npa":
                r = mp.npa_upper_bound(g, level=lvl, max_matrix_size=max_matrix_size)
                out[part] = {"value": float(r.value), "level": str(r.level), "status": r.status, "certified_bound": float(r.certified_bound)}
            else:
                r = mp.nonsignaling_value(g)
                out[part] = {"value": float(r.value)}
            out[part]["seconds"] = time.perf_counter() - t
    except KeyboardInterrupt:
        _fail("interrupted (Ctrl-C); nothing was printed", 130)
        return
    except Exception as exc:  # a solver failed or refused: a clear message, no traceback
        _fail(f"{type(exc).__name__}: {exc}", 2 if isinstance(exc, (ValueError, GameError)) else 1)
        return
    if as_json:
        doc = {"game": {"name": name, "players": g.n_players, "questions": list(g.n_questions), "answers": list(g.n_answers)}, **out}
        sys.stdout.write(json.dumps(doc, indent=1) + "\n")
        return
    table = Table(title=f"{name}: {g.n_players} players, questions {g.n_questions}, answers {g.n_answers}")
    for col in ("quantity", "value", "detail", "seconds"):
        table.add_column(col)
    labels = {"classical": "classical value (exact)", "quantum": f"quantum lower bound (see-saw, dim {d})",
              "npa": "NPA upper bound", "nonsignaling": "no-signalling value"}
    for part, row in out.items():
        detail = row.get("exact") if part == "classical" else (f"level {row['level']}, {row['status']}" if part == "npa" else "")
        table.add_row(labels[part], f"{row['value']:.6f}", detail or "", f"{row['seconds']:.2f}")
    stdout_console().print(table)


@game_app.command("list")
def list_games() -> None:
    """The library games accepted by 'qcoord game values' (name, questions, answers), two-player and N-player."""
    from qcoord.games.multiparty.library import MULTI_GAMES, get_multigame

    table = Table(title="library games")
    for col in ("name", "questions (Alice x Bob)", "answers (Alice x Bob)"):
        table.add_column(col)
    for name in sorted(GAMES):
        na, nb, nx, ny = get_game(name).shape
        table.add_row(name, f"{nx} x {ny}", f"{na} x {nb}")
    stdout_console().print(table)
    multi = Table(title="N-player library games")
    for col in ("name", "players", "questions", "answers"):
        multi.add_column(col)
    for name in MULTI_GAMES:
        g = get_multigame(name)
        multi.add_row(name, str(g.n_players), " x ".join(map(str, g.n_questions)), " x ".join(map(str, g.n_answers)))
    stdout_console().print(multi)
