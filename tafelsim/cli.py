"""``tafelsim``: the root command. Each layer registers its own commands here.

``sim`` (the model) knows nothing of the layers above it; this module is the one place
that puts them together: ``sim.cli`` (run, scenarios, params, validate, formats),
``experiments.cli`` (sweeps and their analysis) and ``dashboard.cli``. Heavy imports
happen inside the commands, so ``tafelsim --help`` stays fast.
"""

from __future__ import annotations

import typer

from sim import cli as model_cli

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Agent-based simulation of Dutch housing negotiation tables.")
model_cli.register(app)


def main() -> None:
    app()
