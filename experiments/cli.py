"""The experiments' commands of ``tafelsim``: sweep, experiments, compare, sensitivity, export, report.

Thin: each command calls an importable function and turns the project's InputError into
a short message and exit code 2. Heavy imports happen inside the commands.
"""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer()  # the commands below are registered on the root app by `register`
TERMINATED = 143   # 128 + SIGTERM, what a shell reports for a process stopped that way


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be, so that the sweep stops the same way."""


@contextlib.contextmanager
def _stop_on_sigterm():
    """A batch system stops a job with SIGTERM (SLURM at its time limit, ``scancel``): end the sweep
    as Ctrl-C does, storing the runs that finished and stopping the worker processes, instead of
    dying at once with up to ``--chunk-runs`` finished runs unwritten."""
    def stop(signum, frame):
        raise Terminated()
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(err: Exception) -> None:
    for line in str(err).splitlines():
        typer.echo(f"error: {line}", err=True)
    raise typer.Exit(2)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


@app.command("sweep")
def sweep_cmd(
    experiment: str = typer.Argument(..., help="built-in experiment name or path to an experiment YAML"),
    out: Optional[Path] = typer.Option(None, "--out", help="result directory (runs/, series/, manifest.json)"),
    workers: Optional[int] = typer.Option(None, "--workers", help="local worker processes (default: all cores)"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="tcp://HOST:PORT",
                                            help="run on this Dask distributed scheduler instead"),
    resume: bool = typer.Option(False, "--resume", help="skip runs already stored in --out"),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="with --resume, also redo failed runs"),
    timeout_per_run: Optional[float] = typer.Option(None, "--timeout-per-run", metavar="SECONDS",
                                                    help="stop a run after this long and record it as timeout"),
    chunk_runs: int = typer.Option(200, "--chunk-runs", min=1, help="runs per Parquet chunk"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check the experiment and print its size; run nothing"),
):
    """Run an experiment: every policy x design point x replication, streamed to --out."""
    from experiments.spec import load_experiment
    from sim.errors import InputError
    try:
        exp = load_experiment(experiment)
        if dry_run:
            if out is not None:   # what the sweep would refuse, without writing anything
                from experiments.sweep import check_out
                check_out(out, exp, resume or retry_failed)
            typer.echo(f"{exp.source}: ok ({exp.name}: {_count(len(exp.points), 'design point')} x "
                       f"{_count(len(exp.policies), 'policy', 'policies')} x "
                       f"{_count(exp.replications, 'replication')} = {_count(exp.runs, 'run')} of {exp.scenario}, "
                       f"{_count(exp.months, 'month')})")
            return
        if out is None:
            raise InputError("sweep", "--out", "name a result directory (or use --dry-run)")
        if retry_failed and not resume:
            raise InputError("sweep", "--retry-failed", "goes with --resume")
        from experiments.sweep import run_sweep
        with _stop_on_sigterm():
            s = run_sweep(exp, out, workers=workers, scheduler=scheduler, resume=resume, retry_failed=retry_failed,
                          timeout_per_run=timeout_per_run, chunk_runs=chunk_runs)
    except InputError as e:
        _fail(e)
    except KeyboardInterrupt as e:
        how = "terminated (SIGTERM)" if isinstance(e, Terminated) else "interrupted"
        typer.echo(f"{how}; finished runs are stored in {out}; continue with --resume", err=True)
        raise typer.Exit(TERMINATED if isinstance(e, Terminated) else 130)
    typer.echo(f"{s.done} runs done ({s.failed} failed), {s.skipped} already stored, {s.total} in all: {s.out}")
    if s.done and s.failed == s.done:   # nothing to compare: say so, and let a script see it
        from experiments.results import read_runs
        runs = read_runs(s.out)
        first = runs.loc[runs["status"] != "ok", "error"].iloc[0] if (runs["status"] != "ok").any() else ""
        typer.echo(f"error: every run failed; the first: {first}", err=True)
        raise typer.Exit(1)


@app.command("experiments")
def experiments_cmd():
    """List the built-in experiments: name, size and description."""
    from experiments.spec import builtin_names, load_experiment
    names = builtin_names()
    width = max(map(len, names), default=0)
    for name in names:
        exp = load_experiment(name)
        text = exp.description if len(exp.description) <= 80 else exp.description[:79].rsplit(" ", 1)[0] + " ..."
        typer.echo(f"{name:<{width}}  {exp.runs:>7,} runs  {exp.design['type']:<9} {text}")


def _outcome_opt():
    return typer.Option([], "--outcome", help="only this outcome (repeatable)")


@app.command("compare")
def compare_cmd(directory: Path = typer.Argument(..., help="a sweep's result directory"),
                baseline: Optional[str] = typer.Option(None, "--baseline", help="policy to compare with"),
                outcomes: List[str] = _outcome_opt()):
    """Paired differences from the baseline with 95% CIs; writes analysis/compare.csv and .html (with
    --baseline or --outcome: analysis/compare-vs-BASELINE-OUTCOMES.csv, beside the whole comparison)."""
    from experiments import analysis
    from sim.errors import InputError
    try:
        df = analysis.compare(directory, baseline=baseline, outcomes=outcomes or None)
        paths = analysis.write_compare(df, directory, analysis.file_name("compare", baseline, outcomes or None))
    except InputError as e:
        _fail(e)
    analysis.print_compare(df)
    typer.echo(analysis.stored_note(directory))
    typer.echo("wrote " + ", ".join(map(str, paths)))


@app.command("sensitivity")
def sensitivity_cmd(directory: Path = typer.Argument(..., help="a sweep's result directory (sobol or morris)"),
                    outcomes: List[str] = _outcome_opt()):
    """Sobol S1/ST or Morris mu*/sigma per outcome, with CIs and the dummy's noise floor."""
    from experiments import analysis
    from sim.errors import InputError
    try:
        df = analysis.sensitivity(directory, outcomes=outcomes or None)
        paths = analysis.write_sensitivity(df, directory, analysis.file_name("sensitivity", None, outcomes or None))
    except InputError as e:
        _fail(e)
    analysis.print_sensitivity(df)
    typer.echo("wrote " + ", ".join(map(str, paths)))


@app.command("export")
def export_cmd(directory: Path = typer.Argument(..., help="a sweep's result directory"),
               ema: Path = typer.Option(..., "--ema", metavar="FILE.tar.gz", help="EMA Workbench results archive")):
    """Export the runs in EMA Workbench's format (load with ema_workbench.load_results)."""
    from experiments.export import to_ema
    from sim.errors import InputError
    try:
        n = to_ema(directory, ema)
    except InputError as e:
        _fail(e)
    typer.echo(f"wrote {n} runs to {ema}")


@app.command("report")
def report_cmd(directories: List[Path] = typer.Argument(..., metavar="DIR...",
                                                      help="a sweep's result directory, or several for one page"),
               out: Path = typer.Option(..., "--out", metavar="FILE.html", help="the report: one offline page (FILE.md: findings and tables)")):
    """One self-contained HTML page: description, comparison, sensitivity, series and findings
    (several sweeps: a section each, plotly.js once)."""
    from experiments.report import write_report
    from sim.errors import InputError
    try:
        write_report(directories, out)
    except InputError as e:
        _fail(e)
    typer.echo(f"wrote {out}")


def register(root: typer.Typer) -> None:
    """Add the experiments' commands to the root ``tafelsim`` app."""
    for command in app.registered_commands:
        root.registered_commands.append(command)
