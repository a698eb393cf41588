"""Running designs A and B on common random numbers, in parallel processes.

A job is one scenario, replications r = 0..R-1 on seeds ``base_seed + r``, and two designs
(each a full set of parameter values). Replication r of A and of B run on the same seed, so
they share their noise and B - A is a paired comparison
(:func:`experiments.stats.paired_difference`).

Each run is written with :mod:`sim.storage` (Parquet tables and ``run.json``, swapped in whole)
to ``WORKDIR/runs/<run key>/``, where the key is a hash of everything that determines the run
(the scenario's content, the design's parameter values, the seed, the model version). A run
that is already there is read instead of run again: changing design B and running again runs
only B, and a design that equals the other is run once. The worker that ran (or read) a run
also computes its series for the Compare tab (:func:`dashboard.series.of_run`) while the run
is in memory, so the page's figures need neither the runs' tables nor the server's time for
them; the job writes them to ``WORKDIR/jobs/<job id>/series/<name>.parquet``, one table of
all runs each, and ``job.json`` (with every run's headline metrics) last, so a job directory
with a ``job.json`` is complete. The job id hashes the same things for all its runs: asking
for the same comparison again reuses it whole. Only Parquet and JSON are ever read back;
nothing is unpickled from a results directory.

A first look: once the first replications of both designs are done (1, then 4, 16, ... while
that is at most half of them), the job writes the comparison of just those replications as a
job of its own (the one a user asking for that many replications would get) and hands it to
``look``, so the page can show figures while the other runs go on (:func:`looks`). Only when
the rest of the job will take a while, though (``look_worth``): drawing the figures costs the
page 1-2 s of CPU, taken from the runs, which use every core; on a 2-core machine a first look
of the 12-city comparison delayed the whole of it by about 2 s (results/benchmarks/README.md).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa

import sim
from dashboard import series
from sim import storage
from sim.errors import InputError
from sim.runner import RunResult
from sim.storage import ResultsError
from sim.scenario import Scenario

DESIGNS = ("A", "B")
_JOB_ID = re.compile(r"^[0-9a-f]{16}$")


class JobError(Exception):
    """A run of the job failed; ``str(err)`` is the short message the page shows."""


class JobCancelled(Exception):
    """The job was cancelled before all its runs were done: it writes no ``job.json`` (the runs it
    finished stay under ``WORKDIR/runs`` for later comparisons)."""


@dataclass(frozen=True)
class JobSpec:
    scenario: Scenario
    source: str                    # the scenario as the user named it (built-in name or file path)
    replications: int
    base_seed: int
    presets: dict[str, str]        # design -> table-format preset it started from
    designs: dict[str, dict]       # design -> full parameter values

    @property
    def seeds(self) -> list[int]:
        return [self.base_seed + r for r in range(self.replications)]

    def job_id(self) -> str:
        return _digest({"scenario": self.scenario.digest(), "seeds": self.seeds, "version": sim.__version__,
                        "designs": {d: _jsonable(v) for d, v in self.designs.items()}})

    def run_key(self, design: str, seed: int) -> str:
        """The run's name under ``WORKDIR/runs``: the same for every job that needs this run."""
        return _digest({"scenario": self.scenario.digest(), "seed": seed, "version": sim.__version__,
                        "parameters": _jsonable(self.designs[design])})


def _digest(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def _jsonable(params: dict) -> dict:
    return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in params.items()}


def _run_one(scenario: Scenario, seed: int, overrides: dict, out: Path) -> tuple[str | None, dict, dict, bool]:
    """One run, written to ``out`` (or read from there if an earlier job wrote it); returns the error
    message (or None), its metrics, its series and whether it was read rather than run."""
    try:
        if (out / "run.json").exists():
            result = storage.read(out)
            return None, result.metrics, series.of_run(result), True
        result = sim.run(scenario, seed=seed, overrides=overrides)
        try:
            storage.write(result, out)
        except ResultsError:
            if not (out / "run.json").exists():
                raise
            # another job made the same run at the same moment (a cancelled one, say): the same key, the same run
        return None, storage.run_info(result)["metrics"], series.of_run(result), False
    except InputError as e:
        return str(e), {}, {}, False
    except Exception as e:  # a model failure: the page shows it short, the server log keeps the traceback
        traceback.print_exc()
        return f"the model failed: {type(e).__name__}: {e}", {}, {}, False


def _workers(tasks: int) -> int:
    return max(1, min(tasks, len(os.sched_getaffinity(0))))


def looks(replications: int) -> list[int]:
    """The numbers of replications at which a job of ``replications`` gives a first look: 1, 4, 16, ...
    while at most half of the job (a look at nearly all of it would only delay the rest)."""
    out, k = [], 1
    while 2 * k <= replications:
        out.append(k)
        k *= 4
    return out


def run_job(spec: JobSpec, workdir: Path, progress: Callable[[int, int], None] | None = None,
            pool: Executor | None = None, cancelled: threading.Event | None = None,
            look: Callable[[dict], None] | None = None, look_worth: float = 0.0) -> dict:
    """Run every (design, replication) in parallel processes; return the job's ``job.json``.

    ``pool``: the worker processes to run on (the dashboard keeps one warm, ``dashboard.runner``);
    without one the job forks its own. ``cancelled``: set it to stop the job; the runs not yet
    started are dropped, those under way finish (and are kept for later comparisons), and
    JobCancelled is raised.
    An identical job that already finished is not run again (its ``reused`` is true); of the others,
    ``runs_computed`` and ``runs_read`` say how many distinct runs were run and how many were made
    before it (by an earlier job, or by a :func:`prefetch` while the user designed).
    ``look(info)``: called with the ``job.json`` of the first replications' comparison each time
    those of both designs are done for a number in :func:`looks` (in the order the runs finish;
    the runs are given to the workers replication by replication), if the runs left would take at
    least ``look_worth`` seconds at the pace of those done; and once more when the job is
    cancelled, with every replication finished by then (if more than the latest look had).
    Raises JobError naming the design and seed of the first run that failed.
    """
    jid = spec.job_id()
    out = Path(workdir) / "jobs" / jid
    if (out / "job.json").exists():
        return {**json.loads((out / "job.json").read_text(encoding="utf-8")), "reused": True}
    started = time.perf_counter()
    needed = {(d, r, seed): spec.run_key(d, seed) for r, seed in enumerate(spec.seeds) for d in DESIGNS}
    first = _tasks(spec, DESIGNS)
    # fork: the workers start with sim already imported, which matters for runs of a second
    ex = pool or ProcessPoolExecutor(_workers(len(first)), mp_context=multiprocessing.get_context("fork"))
    tasks = {key: (d, seed, args) for key, (d, seed, args) in _submissions(spec, first, workdir)}
    futures = {ex.submit(_run_one, *args): (d, seed, key) for key, (d, seed, args) in tasks.items()}
    made_before = getattr(ex, "made_before", lambda future: False)   # a run a prefetch made (``prefetch``)
    results, pending = {}, set(futures)
    wanted = looks(spec.replications) if look else []
    looked = 0   # the replications of the latest look given
    try:
        while pending:
            done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in done:
                d, seed, key = futures[future]
                if future.cancelled():   # a run shared with another job, which was cancelled: made for this one
                    again = ex.submit(_run_one, *tasks[key][2])
                    futures[again] = futures[future]
                    pending.add(again)
                    continue
                error, metrics, frames, was_read = future.result()
                if error:
                    raise JobError(f"design {d}, seed {seed}: {error}")
                results[key] = (metrics, frames, was_read or made_before(future))
            complete = _complete(spec, needed, results)
            if cancelled is not None and cancelled.is_set():
                if look and complete > looked:   # what was finished is shown, not only the latest first look
                    look(_first_look(spec, complete, needed, results, workdir, started))
                raise JobCancelled()
            while wanted and wanted[0] <= complete:
                k = wanted.pop(0)
                left = (time.perf_counter() - started) * (len(first) - len(results)) / len(results)
                if left >= look_worth:
                    look(_first_look(spec, k, needed, results, workdir, started))
                    looked = k
            if progress and done:
                progress(sum(key in results for key in needed.values()), len(needed))
    finally:
        for future in pending:
            future.cancel()
        if pool is None:
            ex.shutdown(wait=True, cancel_futures=True)
    return _write_job(spec, needed, results, out, started)


def _complete(spec: JobSpec, needed: dict, results: dict) -> int:
    """How many replications, from the first, have the runs of both designs done."""
    for r, seed in enumerate(spec.seeds):
        if any(needed[(d, r, seed)] not in results for d in DESIGNS):
            return r
    return spec.replications


def _tasks(spec: JobSpec, designs) -> dict:
    """One task per distinct run of ``designs``: run key -> the first (design, replication, seed) that needs it.
    A design that equals the other runs once; a run an earlier job made is read (``_run_one``)."""
    first = {}
    for r, seed in enumerate(spec.seeds):
        for d in designs:
            first.setdefault(spec.run_key(d, seed), (d, r, seed))
    return first


def _submissions(spec: JobSpec, tasks: dict, workdir: Path):
    """(run key, (design, seed, the arguments of ``_run_one``)) for each task. A run gets only what differs
    from the scenario: it is then exactly `tafelsim run SCENARIO --set ...`, run id and all."""
    scenario_values = spec.scenario.parameter_values()
    overrides = {d: {k: v for k, v in spec.designs[d].items() if v != scenario_values[k]} for d in DESIGNS}
    runs = Path(workdir) / "runs"
    for key, (d, _, seed) in tasks.items():
        yield key, (d, seed, (spec.scenario, seed, overrides[d], runs / key))


def prefetch(spec: JobSpec, workdir: Path, pool: Executor, designs=("A",)) -> list:
    """Start the runs of ``designs`` (design A: the reference a user compares against) before anyone asks
    for the job, on ``pool`` (``dashboard.runner.SharedRuns``, which hands a job the same runs instead of
    running them again); returns their futures. Runs already on disk are left alone."""
    runs = Path(workdir) / "runs"
    return [pool.submit(_run_one, *args) for key, (_, _, args) in _submissions(spec, _tasks(spec, designs), workdir)
            if not (runs / key / "run.json").exists()]


def _first_look(spec: JobSpec, replications: int, needed: dict, results: dict, workdir: Path, started: float) -> dict:
    """The comparison of the job's first ``replications``, written as the job it is (or read, if it was)."""
    part = replace(spec, replications=replications)
    out = Path(workdir) / "jobs" / part.job_id()
    if (out / "job.json").exists():
        return {**json.loads((out / "job.json").read_text(encoding="utf-8")), "reused": True}
    return _write_job(part, {t: key for t, key in needed.items() if t[1] < replications}, results, out, started)


def _write_job(spec: JobSpec, needed: dict, results: dict, out: Path, started: float) -> dict:
    """Write the job's series and, last, its ``job.json`` (``needed``: (design, replication, seed) -> run key;
    ``results``: run key -> (metrics, series, read rather than run)); returns the ``job.json``."""
    metrics = {t: results[key][0] for t, key in needed.items()}
    frames = {t: results[key][1] for t, key in needed.items()}
    keys = set(needed.values())
    read = sum(was_read for key, (_, _, was_read) in results.items() if key in keys)
    (out / "series").mkdir(parents=True, exist_ok=True)
    ordered = [(d, r, seed) for d in DESIGNS for r, seed in enumerate(spec.seeds)]
    for name in series.PER_RUN:
        table = series.combine([frames[t][name] for t in ordered], ordered)
        table.to_parquet(out / "series" / f"{name}.parquet", index=False)
    info = {"id": spec.job_id(), "scenario": spec.source, "scenario_name": spec.scenario.name,
            "replications": spec.replications, "seeds": spec.seeds, "presets": spec.presets,
            "designs": {d: _jsonable(v) for d, v in spec.designs.items()},
            "runs": {d: [f"runs/{needed[(d, r, seed)]}" for r, seed in enumerate(spec.seeds)] for d in DESIGNS},
            "runs_computed": len(keys) - read, "runs_read": read,
            "metrics": {d: [metrics[(d, r, seed)] for r, seed in enumerate(spec.seeds)] for d in DESIGNS},
            "seconds": round(time.perf_counter() - started, 2)}
    tmp = out / "job.json.tmp"
    tmp.write_text(json.dumps(info, indent=1), encoding="utf-8")
    os.replace(tmp, out / "job.json")
    return info


class Job:
    """A finished job: ``info`` (its ``job.json``), its series, and its runs, read when first asked for.

    The page asks for its figures all at once, from several server threads; a lock makes them
    wait for one read of the runs instead of each reading them.
    """

    def __init__(self, info: dict, base: Path, workdir: Path):
        self.info, self.base, self.workdir = info, base, workdir
        self._lock = threading.Lock()
        self._runs: dict[str, list[RunResult]] | None = None

    @property
    def runs(self) -> dict[str, list[RunResult]]:
        """Design -> runs by replication, every table read back from Parquet."""
        with self._lock:
            if self._runs is None:
                self._runs = {d: [storage.read(self.workdir / path) for path in self.info["runs"][d]]
                              for d in DESIGNS}
            return self._runs

    @property
    def metrics(self) -> dict[str, list[dict]]:
        """Design -> each replication's headline metrics (None where a metric is undefined)."""
        return self.info["metrics"]

    def series(self, name: str) -> pd.DataFrame:
        """One series of every run (:mod:`dashboard.series`), as the job's workers computed it."""
        path = self.base / "series" / f"{name}.parquet"
        try:
            return pd.read_parquet(path)
        except (OSError, pa.ArrowException) as e:
            raise InputError(str(path), "series", f"missing, corrupt or not a Parquet file ({e})") from None


def load_job(workdir: str, jid: str) -> Job:
    """A finished job (cached: a finished job never changes); only Parquet and JSON are read."""
    with _load_lock:
        return _load_job(workdir, jid)


_load_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load_job(workdir: str, jid: str) -> Job:
    if not _JOB_ID.match(jid or ""):
        raise InputError("job", "id", f"{jid!r} is not a job id")
    base = Path(workdir) / "jobs" / jid
    try:
        info = json.loads((base / "job.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("job", jid, "no finished job with this id (the server may have restarted)") from None
    return Job(info, base, Path(workdir))
