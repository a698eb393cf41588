"""The page's jobs, run by the server itself: a thread per job, its runs in worker processes kept warm.

Dash's background callbacks start a process per click, hand the result over through a disk
cache and poll it with requests that the page's renderer handles in full. On the 2-core
machine of results/benchmarks/dashboard.md that polling took about 2.5 s of CPU (browser and
server) from a 12-city comparison's runs. Here the click starts a thread in the server, which
gives the runs to a pool of worker processes forked when the server starts (before it has
threads of its own, and with the model imported, so that a run starts at once). While the user
designs, design A's runs are made ahead (:meth:`Runner.prefetch`): A is the reference a user
compares design after design against, so when Run is clicked only B's runs are left. A page opened
from a link to a design makes B's too, while it shows that design. A run a job needs while it is
under way is handed to the job, not run twice (``SharedRuns``). The page asks
``/_tafelsim/job/<token>`` for the progress (``dashboard.tabs.design.FOLLOW``), which answers when
the progress changes, with the job's latest first look (``dashboard.jobs.looks``). Cancelling
drops the runs not yet started; those under way finish and are kept for later comparisons.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

from dashboard.jobs import JobCancelled, JobError, JobSpec, prefetch, run_job
from sim.errors import InputError

KEEP = 64   # finished jobs whose status is remembered (a page polls its own until it has read it)
# A first look only when the rest of the job will take at least this long (``dashboard.jobs.run_job``'s
# look_worth): on the 2-core machine of results/benchmarks/README.md the 12-city comparison's runs after its
# first look took 5-7 s, and drawing the look delayed the whole comparison by about 2 s.
LOOK_WORTH_S = 8.0
PREFETCH_REPLICATIONS = 10   # at most this many replications are made ahead: a page left open costs no more
KEEP_RUNS = 256   # finished runs whose results are kept for a job that asks for them (a few kB of series each)


@dataclass
class Status:
    total: int
    done: int = 0
    state: str = "running"       # running, finished, failed, cancelled
    info: dict | None = None     # the job's job.json, once finished
    look: dict | None = None     # the latest first look: {"id": job id, "replications": how many} (jobs.looks)
    error: str = ""
    cancel: threading.Event = field(default_factory=threading.Event)
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def update(self, **fields) -> None:
        """Change the status and wake whoever waits for a change (:meth:`wait`)."""
        with self._changed:
            for name, value in fields.items():
                setattr(self, name, value)
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> None:
        """Return once more than ``seen`` runs are done or the job has ended, or after ``timeout`` seconds.

        The page asks with what it has shown and hears of a change the moment it happens, instead of
        at its next poll (up to a poll interval late).
        """
        with self._changed:
            self._changed.wait_for(lambda: self.done != seen or self.state != "running", timeout)


def warm_up() -> None:
    """A worker's first task: the compiled kernels loaded (``sim.negotiation.use_kernel``) and one
    month of the default scenario, so that the first real run pays no import."""
    import sim
    from sim.negotiation import use_kernel
    try:
        use_kernel()
        sim.run("middenhuur-2017", seed=0, months=1)
    except Exception:  # noqa: BLE001 (a warm-up only: a real run reports its own errors)
        pass


class SharedRuns:
    """The worker pool as jobs and prefetches use it: a run asked for again while it is under way, or
    after it was made, gets the same future instead of a second run. A run is named by its directory,
    the last argument of its task (``dashboard.jobs._run_one``: the run key hashes everything that
    determines the run); a cancelled or failed run is submitted anew."""

    def __init__(self, pool):
        self._pool = pool            # () -> the executor (the runner's, forked again if a worker died)
        self._lock = threading.Lock()
        self._futures: OrderedDict[object, Future] = OrderedDict()
        self.claimed: set[Future] = set()   # runs a job waits for: a prefetch that is superseded keeps them

    def submit(self, fn, *args, claim: bool = False) -> tuple[Future, bool]:
        """The run's future, and whether it is new (False: made or under way already). ``claim``: a job
        waits for it, so :meth:`drop` leaves it alone."""
        key = (fn, args[-1])
        with self._lock:
            future = self._futures.get(key)
            new = future is None or future.cancelled() or (future.done() and future.exception() is not None)
            if new:
                future = self._futures[key] = self._pool().submit(fn, *args)
                done = [k for k, f in self._futures.items() if f.done()]
                for k in done[:max(0, len(done) - KEEP_RUNS)]:
                    del self._futures[k]
            else:
                self._futures.move_to_end(key)
            if claim:
                self.claimed = {f for f in self.claimed if not f.done()} | {future}
            return future, new

    def drop(self, futures) -> None:
        """Cancel those of ``futures`` that have not started and that no job waits for."""
        with self._lock:
            for future in futures:
                if future not in self.claimed:
                    future.cancel()

    def for_job(self) -> "_JobRuns":
        return _JobRuns(self)


class _JobRuns:
    """What one job sees of the shared runs (``run_job``'s pool): which of its runs were made before it asked."""

    def __init__(self, shared: SharedRuns):
        self.shared, self._before = shared, set()

    def submit(self, fn, *args) -> Future:
        future, new = self.shared.submit(fn, *args, claim=True)
        if not new:
            self._before.add(future)
        return future

    def made_before(self, future: Future) -> bool:
        return future in self._before


class Runner:
    def __init__(self, workdir: Path, workers: int | None = None, look_worth: float = LOOK_WORTH_S,
                 prefetching: bool = True):
        self.workdir = Path(workdir)
        self.workers = workers or len(os.sched_getaffinity(0))
        self.look_worth = look_worth
        self.prefetching = prefetching
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: dict[str, Status] = {}
        self.runs = SharedRuns(self.pool)
        self._ahead: list[Future] = []   # the latest prefetch's runs

    def pool(self) -> ProcessPoolExecutor:
        """The worker processes (forked again if one of them died)."""
        with self._lock:
            if self._pool is None or getattr(self._pool, "_broken", False):
                # fork: no re-import of __main__ (spawn and forkserver run the caller's script again)
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                                 initializer=warm_up)
            return self._pool

    def start_workers(self) -> None:
        """Fork the workers now (a fork pool forks all of them at its first task), not on the first click."""
        self.pool().submit(os.getpid)

    def prefetch(self, spec: JobSpec, designs=("A",)) -> None:
        """Make the runs of ``designs`` of ``spec`` now, ahead of the click on Run (``dashboard.jobs.prefetch``):
        those of its first ``PREFETCH_REPLICATIONS`` replications, so that a page opened on a large job and left
        costs a bounded amount of work.

        The design the page shows changes while the user works on it: the runs of an earlier prefetch that
        have not started are dropped (unless a job waits for them), so that they do not hold up the next
        job; those under way finish and are kept, as a cancelled job's are."""
        if not self.prefetching:
            return
        try:
            futures = prefetch(replace(spec, replications=min(spec.replications, PREFETCH_REPLICATIONS)),
                               self.workdir, _Untracked(self.runs), designs)
        except (BrokenProcessPool, RuntimeError):   # the workers died or the server is stopping: Run starts anew
            return
        with self._lock:
            old, self._ahead = self._ahead, futures
        self.runs.drop(set(old) - set(futures))

    def start(self, spec: JobSpec) -> str:
        token = uuid.uuid4().hex
        status = Status(total=2 * spec.replications)
        with self._lock:
            self._jobs[token] = status
            for old in list(self._jobs)[:-KEEP]:
                if self._jobs[old].state != "running":
                    del self._jobs[old]
        threading.Thread(target=self._run, args=(spec, status), daemon=True, name=f"job-{token[:8]}").start()
        return token

    def _run(self, spec: JobSpec, status: Status) -> None:
        def progress(done: int, total: int) -> None:
            status.update(done=done, total=total)

        def look(info: dict) -> None:   # given before the progress that brought it: the page hears of both at once
            status.update(look={"id": info["id"], "replications": info["replications"]})
        try:
            try:
                info = run_job(spec, self.workdir, progress, pool=self.runs.for_job(), cancelled=status.cancel,
                               look=look, look_worth=self.look_worth)
            except BrokenProcessPool:   # a worker died (e.g. killed): once more on new workers
                info = run_job(spec, self.workdir, progress, pool=self.runs.for_job(), cancelled=status.cancel,
                               look=look, look_worth=self.look_worth)
            status.update(info=info, done=status.total, state="finished")
        except JobCancelled:
            status.update(state="cancelled")
        except (InputError, JobError, BrokenProcessPool) as e:
            status.update(error=str(e) or "a worker process died", state="failed")
        except Exception as e:  # noqa: BLE001 (the page must hear of it; the server keeps running)
            status.update(error=f"{type(e).__name__}: {e}", state="failed")

    def status(self, token: str | None) -> Status | None:
        with self._lock:
            return self._jobs.get(token or "")

    def cancel(self, token: str | None) -> None:
        status = self.status(token)
        if status is not None:
            status.cancel.set()

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None


class _Untracked:
    """The shared runs as a prefetch submits to them: the futures, not whether they are new."""

    def __init__(self, shared: SharedRuns):
        self.shared = shared

    def submit(self, fn, *args) -> Future:
        return self.shared.submit(fn, *args)[0]
