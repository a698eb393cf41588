"""The dashboard's command of ``tafelsim``: ``tafelsim dashboard [--port N] [--host H] [--results DIR]``."""

from __future__ import annotations

import socket
from pathlib import Path

import typer

app = typer.Typer()  # the command below is registered on the root app by `register`


@app.command("dashboard")
def dashboard_cmd(port: int = typer.Option(8050, "--port", min=1, max=65535, help="port to serve on"),
                  host: str = typer.Option("127.0.0.1", "--host",
                                           help="address to bind; the default serves this machine only"),
                  results: Path = typer.Option(Path("."), "--results", metavar="DIR",
                                               help="where the sweep explorer looks for result directories of "
                                                    "`tafelsim sweep` (DIR and up to 3 levels below it)"),
                  scenarios: Path = typer.Option(Path("."), "--scenarios", metavar="DIR",
                                                 help="the page may load scenario YAML files from DIR and below "
                                                      "only (default: where the dashboard is started)"),
                  prefetch: bool = typer.Option(True, "--prefetch/--no-prefetch",
                                                help="make runs before Run is clicked: design A's while the user "
                                                     "designs, and B's too on a page opened from a link to a design "
                                                     "(the runs use the idle cores)")):
    """Serve the interactive dashboard: design two tables, run them on common seeds, compare them; explore sweeps."""
    for option, path in (("--results", results), ("--scenarios", scenarios)):
        try:
            problem = None if path.is_dir() else ("is not a directory" if path.exists() else "does not exist")
        except (OSError, ValueError) as e:   # a name too long for the system
            problem = f"not a usable path ({getattr(e, 'strerror', None) or e})"
        if problem:
            typer.echo(f"error: {option} {path}: {problem}", err=True)
            raise typer.Exit(2)
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as e:
        typer.echo(f"error: --host {host} --port {port}: cannot serve there ({e.strerror or e}); "
                   f"choose another port with --port", err=True)
        raise typer.Exit(2)
    from dashboard.app import serve
    serve(host=host, port=port, results=results, prefetch=prefetch, scenarios=scenarios)


def register(root: typer.Typer) -> None:
    """Add the dashboard's command to the root ``tafelsim`` app."""
    for command in app.registered_commands:
        root.registered_commands.append(command)
