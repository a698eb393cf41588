"""Every committed result under ``results/``, the commands that regenerate it, and one command that runs them.

    python -m experiments.regenerate                  # everything but the benchmarks, in order; resumable
    python -m experiments.regenerate --dry-run        # the commands, run nothing
    python -m experiments.regenerate --only table-design --only experiments-smoke
    python -m experiments.regenerate --benchmarks     # also the benchmarks (on a quiet machine)
    python -m experiments.regenerate --readme         # rewrite results/README.md's table only

:data:`STEPS` is the one list: ``results/README.md``'s table is written from it (a test checks
that the table and this list agree and that every file under ``results/`` is covered by a
step). After a step's commands succeed, the step's row in the README gets the model version
that made it, so the README says which model each result came from.

Resumable: a step records in ``out/regenerate/done.json`` that it started and that it finished,
with the model version and the commit. A later call skips a finished step while both are
unchanged, and continues an unfinished one where it stopped (its sweeps resume their stored
runs with ``--resume``). Otherwise a step starts from scratch: it first removes its sweeps'
result directories (``clean``), so a result is never a mix of two models' runs. ``--fresh``
starts every chosen step from scratch.

The benchmarks measure time and memory, so they are left out of the default run: on a
machine shared with other jobs their numbers mean little. Name them with ``--benchmarks`` or
``--only``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "results" / "README.md"
STATE = ROOT / "out" / "regenerate" / "done.json"
BEGIN, END = "<!-- regenerate: table begin -->", "<!-- regenerate: table end -->"


@dataclass(frozen=True)
class Step:
    name: str
    covers: tuple[str, ...]      # paths from the repository root; a path ending in "/" covers a directory
    commands: tuple[str, ...]    # run in order from the repository root; none: written by hand
    what: str
    benchmark: bool = False      # needs a quiet machine: not part of the default run
    clean: tuple[str, ...] = ()  # directories removed when the step starts from scratch (sweep results)


def _experiment(name: str) -> Step:
    return Step(f"experiments-{name}", (f"results/experiments/{name}.md",),
                (f"tafelsim sweep {name} --out out/{name} --workers 2 --resume",
                 f"tafelsim report out/{name} --out results/experiments/{name}.md"),
                f"findings and tables of the built-in experiment `{name}`", clean=(f"out/{name}",))


TABLE_DESIGN = ("morris", "woondeal", "nederland", "sobol")   # the Sobol factors come from the Morris screening
_TD_DIRS = " ".join(f"out/table-design-{e}" for e in ("woondeal", "nederland", "morris", "sobol"))

STEPS: tuple[Step, ...] = (
    Step("calibration", ("results/calibration/",),
         ("python -m experiments.calibration --seeds 10 --workers 2",),
         "`nederland` against CBS completions, `middenhuur-2017` against the seeds' reports"),
    Step("table-effects", ("results/table-effects/middenhuur-2017.md", "results/table-effects/middenhuur-2017.csv",
                           "results/table-effects/woondeal-ladder.md", "results/table-effects/woondeal-ladder.csv"),
         ("python -m experiments.switch_effects middenhuur-2017 woondeal-ladder --seeds 20 --workers 2 "
          "--out results/table-effects",),
         "paired effects of each preset, switch and escalation rule, one at a time"),
    *(_experiment(e) for e in ("smoke", "woondeal-designs", "morris-default", "sobol-default")),
    Step("patterns", ("results/patterns/",), ("python -m experiments.patterns --workers 2",),
         "the six patterns of MODEL.md section 7: effect tables with CIs, figures, verdicts",
         clean=("out/patterns",)),   # its sweeps resume; a new model must not resume an old model's runs
    Step("table-design", ("results/table-design/report.html", "results/table-design/report.md"),
         (*(f"tafelsim sweep experiments/table-design-{e}.yaml --out out/table-design-{e} --workers 2 --resume"
            for e in TABLE_DESIGN),
          f"tafelsim report {_TD_DIRS} --out results/table-design/report.html",
          f"tafelsim report {_TD_DIRS} --out results/table-design/report.md"),
         "table-design study: presets and escalation rules compared on common seeds, Morris then Sobol",
         clean=tuple(f"out/table-design-{e}" for e in TABLE_DESIGN)),
    Step("sweeps", ("results/sweeps/",),
         ("tafelsim sweep middenhuur-screening --out results/sweeps/middenhuur-screening --workers 2 --resume",),
         "a small sweep result directory for the dashboard's sweep explorer and its tests",
         clean=("results/sweeps/middenhuur-screening",)),
    Step("notes", ("results/README.md", "results/benchmarks/README.md", "results/benchmarks/history.md",
                   "results/experiments/README.md",
                   "results/table-effects/README.md", "results/table-design/README.md"), (),
         "written by hand: what the results say; reread them after regenerating"),
    Step("benchmark-run-time", ("results/benchmarks/run_time.md",),
         ("python benchmarks/run_time.py --base 1d007a1 --repeat 3 --write results/benchmarks/run_time.md",),
         "run time per scenario against a base commit, scaling, memory, start-up", benchmark=True),
    Step("benchmark-profile", ("results/benchmarks/profile.md",),
         ("python benchmarks/profile_run.py --scenario nederland --seed 0 --write results/benchmarks/profile.md",),
         "where a national run's time goes", benchmark=True),
    Step("benchmark-phase-times", ("results/benchmarks/phase_times.md",),
         ("python benchmarks/phase_times.py --write results/benchmarks/phase_times.md",),
         "where a national month goes, each phase timed directly, numpy's code and the kernels side by side",
         benchmark=True),
    Step("benchmark-negotiation-kernel", ("results/benchmarks/negotiation_kernel.md",),
         ("python benchmarks/negotiation_kernel.py --scenario nederland --seed 0 --repeat 7 --runs 3 "
          "--write results/benchmarks/negotiation_kernel.md",),
         "the compiled negotiation against numpy's: identical, and how much faster", benchmark=True),
    Step("benchmark-view-kernel", ("results/benchmarks/view_kernel.md",),
         ("python benchmarks/view_kernel.py --scenarios middenhuur-2017 nederland --runs 8 "
          "--write results/benchmarks/view_kernel.md",),
         "the compiled view (valuation, signatories' numbers, a table's reading, guardedness) against numpy's: "
         "identical, and how much faster",
         benchmark=True),
    Step("benchmark-memory", ("results/benchmarks/memory.md",),
         ("python benchmarks/memory.py --runs 40 --write results/benchmarks/memory.md",),
         "memory over many runs in one process", benchmark=True),
    Step("benchmark-sweep", ("results/benchmarks/sweep.md",),
         ("python benchmarks/sweep.py --months 1 --write results/benchmarks/sweep.md",),
         "the sweep runner against mesa.batch_run", benchmark=True),
    Step("benchmark-national-sweep", ("results/benchmarks/national_sweep.md",),
         ("python benchmarks/national_sweep.py --repeat 1 --write results/benchmarks/national_sweep.md",),
         "100 runs of `nederland` on two workers, timed end to end (issue 11's throughput target)", benchmark=True),
    Step("benchmark-dashboard", ("results/benchmarks/dashboard.md",),
         ("python benchmarks/dashboard.py --repeat 3 --write results/benchmarks/dashboard.md --screenshots docs",),
         "how long the dashboard takes to show a comparison; the README's screenshots", benchmark=True),
)


def covering(path: str) -> Step | None:
    """The step that regenerates (or, for notes, holds) this path under the repository root."""
    for step in STEPS:
        for c in step.covers:
            if path == c or (c.endswith("/") and path.startswith(c)):
                return step
    return None


# --- results/README.md's table ------------------------------------------------------------

def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def versions(text: str) -> dict[str, str]:
    """step name -> model version, as the README's table states them."""
    if BEGIN not in text:
        return {}
    table = text.split(BEGIN, 1)[1].split(END, 1)[0]
    return {_cells(line)[0].strip("`"): _cells(line)[3] for line in table.splitlines() if line.startswith("| `")}


def table(model: dict[str, str]) -> str:
    rows = ["| step | result | what | model | command(s) |", "|---|---|---|---|---|"]
    for s in STEPS:
        commands = "<br>".join(f"`{c}`" for c in (*(f"rm -rf {d}" for d in s.clean), *s.commands)) or "written by hand"
        results = "<br>".join(f"`{c}`" for c in s.covers)
        what = s.what + (" (benchmark: quiet machine, not in the default run)" if s.benchmark else "")
        rows.append(f"| `{s.name}` | {results} | {what} | {model.get(s.name, '-')} | {commands} |")
    return "\n".join(rows)


def with_table(text: str, model: dict[str, str] | None = None) -> str:
    """The README with its table rewritten from STEPS (the versions it states kept unless given)."""
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    return f"{head}{BEGIN}\n{table({**versions(text), **(model or {})})}\n{END}{tail}"


# --- running ------------------------------------------------------------------------------

def argv(command: str) -> list[str]:
    """A command as the process to start: `python` and `tafelsim` from this environment."""
    words = shlex.split(command)
    if words[0] == "python":
        words[0] = sys.executable
    elif words[0] == "tafelsim":
        words[:1] = [sys.executable, "-m", "tafelsim"]
    return words


def _stamp() -> dict[str, str]:
    import sim
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {"model": sim.__version__, "commit": commit}


def remove(directory: str) -> None:
    """Remove a sweep's result directory, which must lie inside the repository."""
    path = (ROOT / directory).resolve()
    if ROOT not in path.parents:
        raise ValueError(f"refusing to remove {path}: not inside {ROOT}")
    shutil.rmtree(path, ignore_errors=True)


def _record(state: dict, name: str, entry: dict) -> None:
    state[name] = entry
    STATE.parent.mkdir(parents=True, exist_ok=True)
    STATE.write_text(json.dumps(state, indent=1))


def chosen(only: list[str] | None, benchmarks: bool) -> list[Step]:
    from sim.errors import InputError
    names = [s.name for s in STEPS]   # in the order they run
    unknown = sorted(set(only or ()) - set(names))
    if unknown:
        raise InputError("regenerate", "--only", f"unknown step(s) {', '.join(unknown)}; steps: {', '.join(names)}")
    by_hand = [s.name for s in STEPS if not s.commands and s.name in (only or ())]
    if by_hand:
        raise InputError("regenerate", "--only", f"{', '.join(by_hand)}: written by hand, nothing to run; "
                                                 "reread it after regenerating the others")
    return [s for s in STEPS if s.commands and ((s.name in only) if only else (benchmarks or not s.benchmark))]


def main(args: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", metavar="STEP", help="run only this step (repeatable)")
    ap.add_argument("--benchmarks", action="store_true", help="also run the benchmarks (on a quiet machine)")
    ap.add_argument("--dry-run", action="store_true", help="print the commands; run nothing")
    ap.add_argument("--fresh", action="store_true",
                    help="start every chosen step from scratch (removing its sweeps' result directories)")
    ap.add_argument("--readme", action="store_true", help="rewrite results/README.md's table from the steps; run nothing")
    a = ap.parse_args(args)
    if a.readme:
        README.write_text(with_table(README.read_text()))
        return 0
    from sim.errors import InputError
    try:
        steps = chosen(a.only, a.benchmarks)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    state = {} if a.fresh or not STATE.exists() else json.loads(STATE.read_text())
    stamp = _stamp()
    for step in steps:
        mine = state.get(step.name, {})
        same = {k: mine.get(k) for k in stamp} == stamp
        if same and mine.get("finished") and not a.dry_run:
            print(f"[{step.name}] done for model {stamp['model']} at this commit; skipped (--fresh redoes it)")
            continue
        for d in () if same else step.clean:   # from scratch: no runs of another model or commit
            print(f"[{step.name}] rm -rf {d}", flush=True)
            if not a.dry_run:
                remove(d)
        if not a.dry_run:
            _record(state, step.name, {**stamp, "finished": False})
        for command in step.commands:
            print(f"[{step.name}] {command}", flush=True)
            if a.dry_run:
                continue
            rc = subprocess.run(argv(command), cwd=ROOT, env=os.environ).returncode
            if rc:
                print(f"[{step.name}] failed (exit {rc}); rerun to continue from this step", file=sys.stderr)
                return rc
        if not a.dry_run:
            _record(state, step.name, {**stamp, "finished": True})
            README.write_text(with_table(README.read_text(), {step.name: stamp["model"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
