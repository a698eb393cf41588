"""``run_sweep``: run every run of an experiment and stream the results to a directory.

The directory gets its experiment and manifest first, then Parquet chunks as runs
finish (see ``experiments.results``). ``resume`` skips runs already stored and refuses
a directory made by another experiment or model version; ``retry_failed`` also redoes
stored runs that failed or timed out. One sweep at a time may write to a directory (a
lock file says so). The table read back is the same, row for row after sorting by run
id, whatever the number of workers, the order of completion or the number of resumes
(only ``wall_time_s`` differs, being measured).
"""

from __future__ import annotations

import fcntl
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from experiments import results
from experiments.spec import Experiment, load_experiment
from experiments.tasks import RunContext, tasks
from sim.errors import InputError
from sim.negotiation import kernel_setting


@dataclass(frozen=True)
class SweepSummary:
    out: Path
    total: int      # runs in the experiment
    skipped: int    # already stored (resume)
    done: int       # run now
    failed: int     # of those, error or timeout


@contextmanager
def _locked(out: Path):
    fh = open(out / ".lock", "w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise InputError(str(out), "--out", "another sweep is writing to this directory") from None
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _check_resumable(out: Path, exp: Experiment) -> None:
    from sim import __version__
    m = results.read_manifest(out)
    if m["format"] != results.FORMAT:
        raise InputError(str(out), "--resume", f"written in an older result format ({m['format']}; this tafelsim "
                                               f"writes {results.FORMAT}); its results stay readable: resume into "
                                               "another --out")
    if (m["experiment_hash"], m["model_version"]) != (exp.hash, __version__):
        stored = results.experiment_of(out) if m["model_version"] == __version__ else None
        if stored is not None and stored.scenario_digest != exp.scenario_digest:
            raise InputError(str(out), "--resume", f"the scenario's content ({exp.scenario}) changed since this sweep "
                                                   "began, so its runs would not be those stored: restore the "
                                                   "scenario, or use another --out")
        raise InputError(str(out), "--resume",
                         f"made by experiment '{m['experiment']}' ({m['experiment_hash']}) with model "
                         f"{m['model_version']}; this is '{exp.name}' ({exp.hash}) with model {__version__}: "
                         "use another --out")


def check_out(out: Path, exp: Experiment, resume: bool) -> None:
    """What rules ``out`` out, checked before anything is written there (not even the lock file,
    which would then be left in a directory that is not a sweep's)."""
    try:
        exists, is_dir = out.exists(), out.is_dir()
    except (OSError, ValueError) as e:
        raise InputError(str(out), "--out", f"not a usable path ({getattr(e, 'strerror', None) or e})") from None
    if exists and not is_dir:
        raise InputError(str(out), "--out", "is a file, not a directory")
    if not exists:
        return
    if (out / "manifest.json").exists():
        if not resume:
            raise InputError(str(out), "--out", "already holds a sweep; add --resume to continue it, or use another "
                                                "--out")
        _check_resumable(out, exp)
    elif any(p.name != ".lock" for p in out.iterdir()):
        raise InputError(str(out), "--out", "is not empty and holds no sweep; use a new or empty directory")


def _prepare(out: Path, exp: Experiment, resume: bool) -> dict[str, str]:
    """Check the directory again, under the lock (another sweep may have started meanwhile), and
    start it or read what is stored already (run id -> status)."""
    check_out(out, exp, resume)
    if (out / "manifest.json").exists():
        results.remove_leftovers(out)
        return results.stored_status(out)
    results.write_header(out, exp)
    return {}


def run_sweep(experiment, out, workers: int | None = None, scheduler=None, resume: bool = False,
              retry_failed: bool = False, timeout_per_run: float | None = None, chunk_runs: int = 200,
              progress: bool = True, simulate: Callable | None = None) -> SweepSummary:
    """Run ``experiment`` (name, path or Experiment) into directory ``out``.

    ``workers``: local processes (default: all cores); ``scheduler``: a Dask scheduler
    address or Client instead. ``simulate``: a picklable stand-in for ``sim.run`` (same
    signature), for wrapping the model; None runs the model itself.
    """
    exp = load_experiment(experiment)
    out = Path(out)
    kernel_setting()        # the workers load the compiled negotiation unless TAFELSIM_KERNEL=off
    if timeout_per_run is not None and not timeout_per_run > 0:
        raise InputError("sweep", "--timeout-per-run", f"must be a positive number of seconds, got {timeout_per_run}")
    workers = (os.cpu_count() or 1) if workers is None else workers
    if workers < 1:
        raise InputError("sweep", "--workers", f"must be at least 1, got {workers}")
    check_out(out, exp, resume or retry_failed)
    client = None
    if scheduler is not None:
        from experiments.backends import connect
        client = connect(scheduler)
    try:
        return _sweep(exp, out, workers, client, resume or retry_failed, retry_failed, timeout_per_run, chunk_runs,
                      progress, simulate)
    finally:
        if client is not None and client is not scheduler:
            client.close()


def _sweep(exp, out, workers, client, resume, retry_failed, timeout_per_run, chunk_runs, progress, simulate):
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(str(out), "--out", f"cannot be created ({e.strerror})") from None
    with _locked(out):
        stored = _prepare(out, exp, resume)
        keep = {rid for rid, status in stored.items() if status == "ok" or not retry_failed}
        count = sum(t.run_id not in keep for t in tasks(exp))   # two passes: the tasks are never all in memory
        if count == 0:
            return SweepSummary(out, exp.runs, exp.runs, 0, 0)
        todo = (t for t in tasks(exp) if t.run_id not in keep)
        ctx = RunContext.of(exp, simulate)
        manifest = results.read_manifest(out)
        writer = results.ChunkWriter(out, manifest, chunk_runs)
        if client is not None:
            from experiments.backends import run_dask
            stream = run_dask(todo, ctx, client, timeout_per_run)
        else:
            from experiments.backends import run_local
            stream = run_local(todo, ctx, min(workers, count), timeout_per_run)
        from tqdm import tqdm
        done = failed = 0
        with tqdm(total=count, unit="run", file=sys.stderr, disable=not progress, dynamic_ncols=True,
                  desc=exp.name, postfix={"failed": 0}) as bar:
            try:
                for row, series in stream:
                    writer.add(row, series)
                    done += 1
                    if row["status"] != "ok":
                        failed += 1
                        bar.set_postfix(failed=failed, refresh=False)
                    bar.update()
            finally:
                stream.close()
                writer.flush()
    return SweepSummary(out, exp.runs, exp.runs - count, done, failed)
