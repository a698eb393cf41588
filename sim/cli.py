"""The model's commands of ``tafelsim`` (run, scenarios, params, validate, formats).

Thin: every command calls an importable function. The root command (``tafelsim/cli.py``)
composes these with the experiment and dashboard commands, so that ``sim`` never imports
the layers built on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from sim.params import PARAMETERS, ParameterError

app = typer.Typer()  # the commands below are registered on the root app by `register`


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _parse_sets(sets: list[str]) -> dict:
    out = {}
    for item in sets:
        if "=" not in item:
            _fail(f"--set {item!r}: expected NAME=VALUE, e.g. --set table.synchronised_cycles=true")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


@app.command("run")
def run_cmd(
    scenario: str = typer.Argument(..., help="built-in scenario name or path to a scenario YAML"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
    months: Optional[int] = typer.Option(None, "--months", help="override the run length (months)"),
    out: Optional[Path] = typer.Option(None, "--out", help="directory for <table>.parquet and run.json"),
    table_format: Optional[str] = typer.Option(None, "--format", help="apply a table-format preset"),
    sets: List[str] = typer.Option([], "--set", help="NAME=VALUE parameter override (repeatable)"),
):
    """Run one scenario and print a summary; with --out, write the tables."""
    from sim import storage
    from sim.runner import run
    from sim.scenario import ScenarioError

    overrides = _parse_sets(sets)
    if table_format:
        overrides["table.format"] = table_format
    try:
        result = run(scenario, seed=seed, overrides=overrides, months=months)
    except (ScenarioError, ParameterError) as e:
        _fail(str(e))
    m = result.metrics
    typer.echo(f"run {result.run_id}  scenario {result.scenario}  seed {result.seed}  "
               f"months {result.params['run.months']}")
    for key in ("homes_proposed", "homes_agreed", "midrent_agreed", "social_agreed", "homes_completed",
                "homes_abandoned", "agreements", "median_months_to_agreement", "escalations_regional",
                "escalations_national", "max_national_queue", "mean_balance", "give_and_take", "conditional_concession"):
        v = m[key]
        typer.echo(f"  {key:<28} {v:,.2f}" if isinstance(v, float) else f"  {key:<28} {v:,}")
    if out is not None:
        storage.write(result, out)
        typer.echo(f"wrote {len(result.tables)} tables and run.json to {out}")


@app.command("scenarios")
def scenarios_cmd():
    """List the built-in scenarios: name, size, period and description."""
    from sim.scenario import builtin_names, load
    typer.echo(f"{'scenario':<24} {'munic.':>6} {'agents':>6}  {'period':<9}  description")
    for name in builtin_names():
        sc = load(name)
        size = sc.size()
        p = sc.parameter_values()
        start, months = p["run.start_year"], p["run.months"]
        period = f"{start}-{start + (months - 1) // 12}"
        text = " ".join(sc.description.split())
        typer.echo(f"{name:<24} {size['municipalities']:>6} {size['agents']:>6}  {period:<9}  {text[:90]}")


@app.command("params")
def params_cmd(scenario: Optional[str] = typer.Argument(None, help="show this scenario's values"),
               markdown: bool = typer.Option(False, "--markdown", help="the declaration as a Markdown table")):
    """List every parameter with unit, bounds and meaning (and a scenario's values)."""
    from sim.scenario import ScenarioError, load
    if markdown:
        from sim.params import markdown_table
        typer.echo(markdown_table())
        return
    values = None
    if scenario:
        try:
            values = load(scenario).parameter_values()
        except (ScenarioError, ParameterError) as e:
            _fail(str(e))
    for name, prm in PARAMETERS.items():
        v = values[name] if values else prm.default
        if isinstance(v, frozenset):
            v = "+".join(sorted(v))
        typer.echo(f"{name:<42} {str(v):<28} {prm.allowed():<44} {prm.doc}")


@app.command("validate")
def validate_cmd(file: Path = typer.Argument(..., help="scenario YAML to check")):
    """Check a scenario file and print every problem at once."""
    from sim.scenario import ScenarioError, load
    try:
        sc = load(file)
        sc.parameter_values()
    except (ScenarioError, ParameterError) as e:
        _fail(str(e))
    typer.echo(f"{file}: ok ({sc.name})")


@app.command("formats")
def formats_cmd():
    """List the table-format presets."""
    from sim import formats
    for name in formats.preset_names():
        typer.echo(f"{name:<30} {' '.join(formats.describe(name).split())[:90]}")


def register(root: typer.Typer) -> None:
    """Add the model's commands to the root ``tafelsim`` app."""
    for command in app.registered_commands:
        root.registered_commands.append(command)
