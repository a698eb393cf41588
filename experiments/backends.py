"""Where runs execute: local worker processes, or a Dask distributed scheduler.

Both take an iterator of tasks and yield ``(row, series)`` in completion order, keeping
only a bounded number of runs in flight (memory stays flat however long the sweep).

Local: a pebble process pool. A run that passes its timeout has its worker process
killed and replaced; a worker that dies (killed, out of memory) has its run retried on a
fresh process, up to ``retries`` times, then recorded as an error.

Dask: each run is one task keyed by its run id. The scheduler re-runs the tasks of a
lost worker by itself (``distributed.scheduler.allowed-failures``); a future yields its
result once, so no run is stored twice. A run past its timeout is cancelled and its
worker restarted (a running Python thread cannot be stopped otherwise); the timeout
counts from when a worker is first seen running it (polled about once a second).
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable, Iterator

from experiments.tasks import RunContext, Task, failure_row, run_task
from sim.errors import InputError

RETRIES = 2


def _timeout_text(timeout: float) -> str:
    return f"passed its timeout of {timeout:g} s; its worker process was stopped"


def _start_worker() -> None:
    """Import the model and load the compiled negotiation before the first run, so that its
    timeout does not count them (a worker runs many runs: ``sim.negotiation.use_kernel``);
    leave Ctrl-C to the sweep, which stops the workers and keeps what finished."""
    import signal

    _load_model()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _load_model() -> None:
    """What a worker does before its first run: import the model (``import sim`` alone is lazy:
    this imports Mesa and pandas) and load the compiled kernels (``sim.negotiation.use_kernel``)."""
    import sim.model  # noqa: F401
    import sim.runner  # noqa: F401
    from sim.negotiation import use_kernel
    use_kernel()


def _preload_plugin():
    """A Dask worker plugin that imports the model when a worker starts (restarted ones too)."""
    from distributed import WorkerPlugin

    class Preload(WorkerPlugin):
        name = "tafelsim-preload"

        def setup(self, worker):
            _load_model()
    return Preload()


def run_local(tasks: Iterable[Task], ctx: RunContext, workers: int, timeout: float | None = None,
              retries: int = RETRIES) -> Iterator[tuple[dict, object]]:
    import multiprocessing

    from pebble import ProcessExpired, ProcessPool

    pool = ProcessPool(max_workers=workers, context=multiprocessing.get_context("spawn"),
                       initializer=_start_worker)
    pending: dict = {}
    todo = iter(tasks)

    def submit(task: Task, attempt: int) -> None:
        pending[pool.schedule(run_task, args=(task, ctx), timeout=timeout)] = (task, attempt)

    def fill() -> None:
        while len(pending) < 2 * workers + 2:
            task = next(todo, None)
            if task is None:
                return
            submit(task, 0)

    try:
        fill()
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in done:
                task, attempt = pending.pop(fut)
                try:
                    yield fut.result()
                except TimeoutError:
                    yield failure_row(task, ctx, "timeout", _timeout_text(timeout), float(timeout)), None
                except BrokenProcessPool as e:
                    # no worker can start (not one run failing): stop, storing nothing for the runs not made
                    raise InputError("sweep", "workers", f"the worker processes could not start ({e}). Called "
                                     "from a Python script, run_sweep must be under `if __name__ == "
                                     "\"__main__\":` (the workers are started with spawn, which imports the "
                                     "script again); runs finished before are stored: continue with --resume "
                                     "(resume=True)") from None
                except ProcessExpired as e:
                    if attempt < retries:
                        submit(task, attempt + 1)
                    else:
                        yield failure_row(task, ctx, "error", f"its worker process died {attempt + 1} times ({e})"), None
                except Exception as e:  # noqa: BLE001 - e.g. a result that cannot be pickled back
                    yield failure_row(task, ctx, "error", f"{type(e).__name__}: {e}"), None
            fill()
    finally:
        pool.stop()
        pool.join()


def connect(scheduler):
    """A ``distributed.Client`` of ``scheduler`` (an address, or a Client as it is), connected now:
    an address that is malformed or answers nothing is the user's ``--scheduler``, reported as
    such before the sweep writes anything."""
    from distributed import Client
    if isinstance(scheduler, Client):
        return scheduler
    try:
        return Client(scheduler)
    except (OSError, ValueError, TypeError, TimeoutError) as e:
        raise InputError("sweep", "--scheduler", f"cannot connect to {scheduler!r} ({e}); give the address of a "
                                                 "running Dask scheduler, tcp://HOST:PORT") from None


def run_dask(tasks: Iterable[Task], ctx: RunContext, scheduler, timeout: float | None = None
             ) -> Iterator[tuple[dict, object]]:
    """``scheduler``: an address (``tcp://HOST:PORT``) or a ``distributed.Client``."""
    from distributed import Client, KilledWorker
    from distributed import wait as dask_wait

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        client.register_plugin(_preload_plugin())
        pending: dict[str, tuple] = {}   # key -> (future, task)
        started: dict[str, float] = {}
        todo = iter(tasks)
        poll = min(1.0, timeout / 4) if timeout else None
        capacity = {"threads": 1, "checked": -math.inf}

        def in_flight() -> int:
            """Twice the cluster's threads; looked up every few seconds, as batch jobs join late."""
            if time.monotonic() - capacity["checked"] > 5:
                capacity.update(threads=max(1, sum(client.nthreads().values())), checked=time.monotonic())
            return 2 * capacity["threads"] + 2

        def fill() -> None:
            while len(pending) < in_flight():
                task = next(todo, None)
                if task is None:
                    return
                key = f"tafelsim-run-{task.run_id}"
                pending[key] = (client.submit(run_task, task, ctx, key=key, pure=False), task)

        fill()
        while pending:
            try:
                done = dask_wait([f for f, _ in pending.values()], timeout=poll, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            for fut in done:
                _, task = pending.pop(fut.key)
                started.pop(fut.key, None)
                try:
                    yield fut.result()
                except KilledWorker as e:
                    yield failure_row(task, ctx, "error", f"its worker died too often: {e}"), None
                except Exception as e:  # noqa: BLE001
                    yield failure_row(task, ctx, "error", f"{type(e).__name__}: {e}"), None
                fut.release()
            if timeout:
                yield from _stop_overdue(client, pending, started, ctx, timeout)
            fill()
    finally:
        if client is not scheduler:
            client.close()


def _executing(dask_worker) -> list[str]:
    """Keys a worker is running right now (not those queued behind them)."""
    return [ts.key for ts in dask_worker.state.executing]


def _stop_overdue(client, pending: dict, started: dict, ctx: RunContext, timeout: float):
    now = time.monotonic()
    restart = set()
    for address, keys in client.run(_executing, on_error="ignore").items():
        for key in keys:
            if key not in pending:
                continue
            if now - started.setdefault(key, now) > timeout:
                fut, task = pending.pop(key)
                started.pop(key)
                fut.cancel()
                restart.add(address)
                yield failure_row(task, ctx, "timeout", _timeout_text(timeout), float(timeout)), None
    if restart:   # in the background: the sweep goes on polling while those workers come back
        threading.Thread(target=_restart, args=(client, sorted(restart)), daemon=True).start()


def _restart(client, addresses: list) -> None:
    """Restart the workers of overdue runs. A sweep that ends (and closes its client) before a
    restart has answered needs those workers no more: the closed connection is not an error."""
    from distributed.comm import CommClosedError
    try:
        client.restart_workers(addresses, raise_for_error=False)
    except CommClosedError:
        pass
