"""``tafelsim``: the root command. Each layer registers its own commands here.

``sim`` (the model) knows nothing of the layers above it; this module is the one place
that puts them together: ``sim.cli`` (run, scenarios, params, validate, formats),
``experiments.cli`` (sweeps and their analysis) and ``dashboard.cli``. Heavy imports
happen inside the commands, so ``tafelsim --help`` stays fast.

The root group is :class:`sim.cli.GuardedGroup`: every command registered here, by any
layer, runs inside :func:`sim.cli.guard` (bad input -> one message and exit 2; Ctrl-C ->
exit 130). Help is plain click help with the metavars the commands declare.
"""

from __future__ import annotations

from typing import Optional

import typer

from dashboard import cli as dashboard_cli
from experiments import cli as experiments_cli
from sim import __version__
from sim import cli as model_cli

app = typer.Typer(cls=model_cli.GuardedGroup, rich_markup_mode=None, add_completion=False, no_args_is_help=True,
                  pretty_exceptions_show_locals=False,
                  help="Agent-based simulation of Dutch housing negotiation tables.")
model_cli.register(app)
experiments_cli.register(app)
dashboard_cli.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tafelsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Optional[bool] = typer.Option(None, "--version", is_eager=True, callback=_version,
                                                 help="print the version and exit")):
    """The root does nothing itself; it carries the options that come before a command (--version)."""


def main() -> None:
    app()
