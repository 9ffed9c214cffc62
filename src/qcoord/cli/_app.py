"""The root "qcoord" Typer application; command modules attach to it.

Help is rendered without Rich markup (``rich_markup_mode=None``): help texts are plain text, so
square brackets such as "[scenario]" are printed as written, flags show no "<bool>" type, and the
usage line names arguments the usual way ("SCENARIO", "[SCENARIO]"; see :class:`Command`).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperArgument, TyperCommand

__all__ = ["app", "game_app", "scenario_app", "Command", "version_string", "stdout_console", "NON_TTY_WIDTH"]

#: Console width used when stdout is not a terminal (pipes, files, CliRunner): wide enough that the
#: tables print one row per line instead of being squeezed to 80 columns with wrapped cells.
NON_TTY_WIDTH = 160

#: Click context settings shared by every command: help may use up to 120 columns of the terminal.
CONTEXT_SETTINGS: dict[str, Any] = {"max_content_width": 120}


class Command(TyperCommand):
    """A Typer command whose usage line writes arguments as "NAME" (required) or "[NAME]" (optional).

    (Typer's own usage line writes a required argument as "{name}", which reads like an unfilled
    template placeholder.)
    """

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        rv = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = param.metavar or (param.name or "arg").upper()
                piece = name if param.required else f"[{name}]"
                rv.append(piece + ("..." if param.nargs != 1 else ""))
            else:
                rv.extend(param.get_usage_pieces(ctx))
        return rv


class _Typer(typer.Typer):
    """A Typer whose commands use :class:`Command` unless told otherwise."""

    def command(self, *args: Any, cls: Any = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or Command, **kwargs)


def _typer(**kwargs: Any) -> typer.Typer:
    return _Typer(rich_markup_mode=None, context_settings=CONTEXT_SETTINGS, no_args_is_help=True, **kwargs)


app = _typer(
    name="qcoord",
    help="Entanglement-assisted coordination in distributed systems.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
game_app = _typer(help="Non-local games: values, strategies, certificates.")
scenario_app = _typer(help="Scenario files: the built-in default scenario and every field.")
app.add_typer(game_app, name="game")
app.add_typer(scenario_app, name="scenario")


def version_string() -> str:
    """The installed distribution's version, else ``qcoord.__version__``, else "unknown"."""
    try:
        return version("qcoord")
    except PackageNotFoundError:
        import qcoord

        return str(getattr(qcoord, "__version__", "unknown"))


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"qcoord {version_string()}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Entanglement-assisted coordination in distributed systems."""


def stdout_console(**kwargs: Any) -> Console:
    """A Rich console on stdout; when stdout is not a terminal its width is fixed to at least
    :data:`NON_TTY_WIDTH` columns, so tables are not wrapped to the 80-column fallback."""
    con = Console(**kwargs)
    if con.is_terminal or "width" in kwargs:
        return con
    return Console(width=max(NON_TTY_WIDTH, con.width), **kwargs)
