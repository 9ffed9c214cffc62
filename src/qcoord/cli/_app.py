"""The root ``qcoord`` Typer application; command modules attach to it."""

import typer

app = typer.Typer(
    name="qcoord",
    help="Entanglement-assisted coordination in distributed systems.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
game_app = typer.Typer(help="Non-local games: values, strategies, certificates.", no_args_is_help=True)
app.add_typer(game_app, name="game")
