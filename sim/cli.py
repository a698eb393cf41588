"""The model's commands of ``tafelsim`` (run, scenarios, params, validate, formats), and the
one place where the CLI turns bad input into a clear message.

Error handling for every command, including those other layers register on the root
app later, lives here:

- :class:`GuardedGroup` is the click group class of the root app (``tafelsim/cli.py``)
  and of :data:`app`. Every command it dispatches runs inside :func:`guard`, so a layer
  that registers its commands on the root gets the same handling without doing anything.
- :func:`guard` (a context manager and a decorator: ``with guard(): ...`` or ``@guard()``)
  turns :class:`~sim.errors.InputError` into ``error: <file>: <field>: <message>`` on
  stderr and exit code 2, and Ctrl-C into a one-line message and exit code 130. Use it
  directly in a script's ``main()`` that does not go through the root app. Any other
  exception is an internal defect and keeps its traceback.
- :func:`fail` prints ``error: <message>`` and exits 2, for a problem a command finds
  itself (a bad combination of options).

Commands are thin: each calls an importable function. Heavy imports happen inside the
commands, so ``tafelsim --help`` stays fast. Tables are laid out by :func:`columns`,
which wraps the last column at word boundaries to the terminal's width.
"""

from __future__ import annotations

import math
import shutil
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path
from typing import List, NoReturn, Optional

import typer
from typer.core import TyperGroup

from sim.errors import InputError

INTERRUPTED = 130   # the shell's code for a process stopped by Ctrl-C (128 + SIGINT)
BAD_INPUT = 2


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit with code 2 (bad input).

    Raises SystemExit, so it works inside a typer command and in a plain script alike."""
    typer.echo(f"error: {message}", err=True)
    raise SystemExit(BAD_INPUT)


@contextmanager
def guard():
    """Bad input -> one clear message and exit 2; Ctrl-C -> one line and exit 130."""
    try:
        yield
    except InputError as e:
        fail(str(e))
    except KeyboardInterrupt:
        typer.echo("interrupted (Ctrl-C); results written before were left as they were", err=True)
        raise SystemExit(INTERRUPTED) from None


class GuardedGroup(TyperGroup):
    """A command group whose every command runs inside :func:`guard` (``typer.Typer(cls=GuardedGroup)``)."""

    def invoke(self, ctx):
        with guard():
            return super().invoke(ctx)


app = typer.Typer(cls=GuardedGroup, rich_markup_mode=None)  # the commands are registered on the root by `register`


# --- layout ---------------------------------------------------------------------------------
def width() -> int:
    return max(60, shutil.get_terminal_size((100, 24)).columns)


def columns(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    """Rows as aligned columns; the last column is wrapped at word boundaries to the terminal.

    ``align`` has one letter per column but the last ('<' left, '>' right; default left).
    When the terminal is too narrow for the last column beside the others, it goes on
    its own lines below, indented.
    """
    fixed = len(header) - 1
    align = align or "<" * fixed
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(fixed)]
    indent = sum(widths) + 2 * fixed
    room = width() - indent
    out = []
    for r in [header, *rows]:
        head = "  ".join(f"{c:{a}{w}}" for c, a, w in zip(r, align, widths))
        if room >= 30:
            lines = _wrap(r[-1], room) or [""]
            out.append(f"{head}  {lines[0]}".rstrip())
            out += [" " * indent + line for line in lines[1:]]
        else:
            out.append(head.rstrip())
            out += ["    " + line for line in _wrap(r[-1], width() - 4)]
    return out


def _wrap(text: str, room: int) -> list[str]:
    """Lines of at most ``room`` characters, broken at spaces only ('mid-rent' stays whole)."""
    return textwrap.wrap(text, room, break_on_hyphens=False, break_long_words=False)


def _echo_lines(lines: list[str]) -> None:
    typer.echo("\n".join(lines))


# --- run ------------------------------------------------------------------------------------
def _parse_sets(sets: list[str]) -> dict:
    out = {}
    for item in sets:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            fail(f"--set {item!r}: expected NAME=VALUE, e.g. --set table.synchronised_cycles=true")
        if name.strip() in out:
            fail(f"--set {name.strip()}: given twice; give each parameter once")
        out[name.strip()] = value.strip()
    return out


@contextmanager
def _progress_bar():
    """A progress bar on stderr (months done, rate) for runs that last: it appears after 2 s,
    only when stderr is a terminal, and is removed when the run ends."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm
    with tqdm(unit="month", desc="running", delay=2.0, leave=False, dynamic_ncols=True, file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)
        yield progress


MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")


def period(start_year: int, months: int) -> str:
    """'January 2017 to December 2025 (108 months)'."""
    end = months - 1
    return (f"January {start_year} to {MONTH_NAMES[end % 12]} {start_year + end // 12} "
            f"({months} month{'s' if months != 1 else ''})")


def _value(metric, v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return metric.missing
    unit = metric.unit
    if unit in ("homes", "count", "cases"):
        return f"{int(v):,}" + ("" if unit == "count" else f" {unit}")
    if unit == "share":
        return f"{100 * v:.1f}%"
    if unit == "EUR":
        return f"EUR {v:,.0f}"
    if unit == "months":
        return f"{v:,.1f} months"
    return f"{v:,.2f}" + (f" ({unit})" if ".." in unit else f" {unit}")


KIND_TITLES = {"output": "homes", "speed": "speed", "process": "process", "reciprocity": "reciprocity"}


def summary(result) -> list[str]:
    """The lines ``tafelsim run`` prints: who, when, and every headline metric with unit and meaning."""
    from sim.outputs import METRICS
    p = result.params
    lines = [f"run {result.run_id}: scenario {result.scenario}, seed {result.seed}",
             f"period: {period(p['run.start_year'], p['run.months'])}"]
    rows = []
    for kind in dict.fromkeys(m.kind for m in METRICS.values()):  # one block per kind, in declared order
        rows += [["", "", ""], [KIND_TITLES.get(kind, kind), "", ""]]
        rows += [[f"  {m.name}", _value(m, result.metrics.get(m.name)), m.meaning]
                 for m in METRICS.values() if m.kind == kind and m.name in result.metrics]
    lines += columns(rows[0], rows[1:], "<>")
    m = result.metrics
    if m.get("homes_completed", 0) > m.get("homes_agreed", 0):
        cases = result.tables.get("cases")
        initial = int(cases.loc[cases["kind"] == "pipeline", "homes"].sum()) if cases is not None and len(cases) else 0
        lines += ["", *_wrap(
            f"Note: more homes were completed ({m['homes_completed']:,}) than agreed ({m['homes_agreed']:,}) "
            f"because completions include the initial pipeline: {initial:,} homes already agreed, in procedure or "
            "under construction when the run started (pipeline.initial_homes), which were never agreed during it.",
            width())]
    return lines


@app.command("run")
def run_cmd(
    scenario: str = typer.Argument(..., metavar="SCENARIO",
                                   help="built-in scenario name (see `tafelsim scenarios`) or path to a scenario YAML"),
    seed: int = typer.Option(0, "--seed", metavar="N", help="random seed, a whole number from 0 to 2**63 - 1"),
    months: Optional[int] = typer.Option(None, "--months", metavar="N",
                                         help="run length in months (overrides the scenario's run.months)"),
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR",
                                       help="write <table>.parquet and run.json to DIR (a new or empty directory, "
                                            "or an earlier run's, which is replaced as a whole)"),
    table_format: Optional[str] = typer.Option(None, "--format", metavar="PRESET",
                                               help="apply a table-format preset (see `tafelsim formats`)"),
    sets: List[str] = typer.Option([], "--set", metavar="NAME=VALUE",
                                   help="parameter override, repeatable (see `tafelsim params`)"),
):
    """Run one scenario and print a summary; with --out, write the tables.

    Everything is checked before the run starts; a run of more than two seconds shows its
    progress on stderr, and Ctrl-C stops it without touching --out.
    """
    from sim.params import check
    from sim.scenario import load

    overrides = _parse_sets(sets)
    for option, name, value in (("--format", "table.format", table_format), ("--months", "run.months", months)):
        if value is not None:
            if name in overrides:
                fail(f"{option} and --set {name} both given; give one")
            overrides[name] = value
    if months is not None:
        check("run.months", months, "--months")
    sc = load(scenario)
    sc.parameter_values(overrides, where="--set")
    from sim import storage  # the model's heavy imports, after the quick checks above
    from sim.runner import check_seed, run
    check_seed(seed, "--seed")
    target = storage.check_out(out, "--out") if out is not None else None
    with _progress_bar() as progress:
        result = run(sc, seed=seed, overrides=overrides, progress=progress)
    _echo_lines(summary(result))
    if target is not None:
        storage.write(result, target)
        typer.echo(f"\nwrote {len(result.tables)} tables and run.json to {out}")


# --- listings -------------------------------------------------------------------------------
@app.command("scenarios")
def scenarios_cmd():
    """List the built-in scenarios: name, size, period and description."""
    from sim.scenario import builtin_names, load
    rows = []
    for name in builtin_names():
        sc = load(name)
        size = sc.size()
        p = sc.parameter_values()
        start, months = p["run.start_year"], p["run.months"]
        rows.append([name, f"{size['municipalities']:,}", f"{size['agents']:,}",
                     f"{start}-{start + (months - 1) // 12}", " ".join(sc.description.split())])
    _echo_lines(columns(["scenario", "municipalities", "agents", "period", "description"], rows, "<>><"))


@app.command("params")
def params_cmd(scenario: Optional[str] = typer.Argument(None, metavar="SCENARIO",
                                                        help="show this scenario's values instead of the defaults"),
               markdown: bool = typer.Option(False, "--markdown",
                                             help="print the declaration as a Markdown table")):
    """List every parameter with its value, allowed values (with unit) and meaning."""
    from sim.params import PARAMETERS, markdown_table
    values = None
    if scenario:
        from sim.scenario import load
        values = load(scenario).parameter_values()
    if markdown:
        typer.echo(markdown_table(values, scenario or "default"))
        return
    rows = []
    for name, prm in PARAMETERS.items():
        v = values[name] if values else prm.default
        if isinstance(v, frozenset):
            v = "+".join(sorted(v))
        elif isinstance(v, bool):
            v = str(v).lower()
        elif isinstance(v, float):
            v = f"{v:g}" if abs(v) < 1e6 else f"{v:,.0f}"
        rows.append([name, str(v), prm.allowed(), prm.meaning])
    _echo_lines(columns(["parameter", scenario or "default", "allowed (unit)", "meaning"], rows))


@app.command("validate")
def validate_cmd(file: Path = typer.Argument(..., metavar="FILE",
                                             help="scenario YAML to check (with the data files it names)")):
    """Check a scenario file and the data files it names; print every problem at once."""
    from sim.scenario import load
    sc = load(file)
    p = sc.parameter_values()
    n = len(sc.all_municipalities())
    typer.echo(f"{file}: ok ({sc.name}: {n:,} municipalit{'y' if n == 1 else 'ies'}, "
               f"{period(p['run.start_year'], p['run.months'])})")


@app.command("formats")
def formats_cmd():
    """List the table-format presets."""
    from sim import formats
    rows = [[name, " ".join(formats.describe(name).split())] for name in formats.preset_names()]
    _echo_lines(columns(["preset", "description"], rows))


def register(root: typer.Typer) -> None:
    """Add the model's commands to the root ``tafelsim`` app."""
    for command in app.registered_commands:
        root.registered_commands.append(command)
