"""The page's jobs, run by the server itself: a thread per job, its runs in worker processes kept warm.

Dash's background callbacks start a process per click, hand the result over through a disk
cache and poll it with requests that the page's renderer handles in full. On the 2-core
machine of results/benchmarks/dashboard.md that polling took about 2.5 s of CPU (browser and
server) from a 12-city comparison's runs. Here the click starts a thread in the server, which
gives the runs to a pool of worker processes forked when the server starts (before it has
threads of its own, and with the model imported, so that a run starts at once); the page asks
``/_tafelsim/job/<token>`` for the progress (``dashboard.tabs.design.FOLLOW``), which answers when
the progress changes, with the job's latest first look (``dashboard.jobs.looks``). Cancelling
drops the runs not yet started; those under way finish and are kept for later comparisons.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import uuid
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.jobs import JobCancelled, JobError, JobSpec, run_job
from sim.errors import InputError

KEEP = 64   # finished jobs whose status is remembered (a page polls its own until it has read it)
# A first look only when the rest of the job will take at least this long (``dashboard.jobs.run_job``'s
# look_worth): on the 2-core machine of results/benchmarks/README.md the 12-city comparison's runs after its
# first look took 5-7 s, and drawing the look delayed the whole comparison by about 2 s.
LOOK_WORTH_S = 8.0


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
    """A worker's first task: one month of the default scenario, so that the first real run pays no import."""
    import sim
    try:
        sim.run("middenhuur-2017", seed=0, months=1)
    except Exception:  # noqa: BLE001 (a warm-up only: a real run reports its own errors)
        pass


class Runner:
    def __init__(self, workdir: Path, workers: int | None = None, look_worth: float = LOOK_WORTH_S):
        self.workdir = Path(workdir)
        self.workers = workers or len(os.sched_getaffinity(0))
        self.look_worth = look_worth
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: dict[str, Status] = {}

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
                info = run_job(spec, self.workdir, progress, pool=self.pool(), cancelled=status.cancel, look=look,
                               look_worth=self.look_worth)
            except BrokenProcessPool:   # a worker died (e.g. killed): once more on new workers
                info = run_job(spec, self.workdir, progress, pool=self.pool(), cancelled=status.cancel, look=look,
                               look_worth=self.look_worth)
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
