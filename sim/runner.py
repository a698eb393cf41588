"""``run()``: the one pure entry point. Everything else is a view on it.

``run(scenario, seed, overrides)`` resolves parameters through the one declaration,
builds the model, steps it, and returns tidy tables plus headline metrics. The run's
identity is a hash of scenario, parameters, seed and model version.
"""

from __future__ import annotations

import gc
import hashlib
import json
import numbers
import threading
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import mesa
import pandas as pd

from sim import scenario as scn
from sim.errors import InputError, shown
from sim.negotiation import kernel_setting
from sim.outputs import headline

TABLES = ("monthly", "cases", "agreements", "concessions", "escalations", "queues", "pairs", "trust")


@dataclass
class RunResult:
    run_id: str
    scenario: str
    seed: int
    params: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    metrics: dict[str, float]
    model_version: str = ""

    def __getattr__(self, name):  # result.monthly, result.cases, ...
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)


def _jsonable(v):
    if isinstance(v, frozenset):
        return sorted(v)
    return v


def run_id_for(scenario, params: dict, seed: int) -> str:
    from sim import __version__
    blob = json.dumps({"scenario": scenario.digest(), "params": {k: _jsonable(v) for k, v in sorted(params.items())},
                       "seed": seed, "version": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


MAX_SEED = 2**63 - 1  # a seed is stored in every table's int64 `seed` column


SEEDS_ALLOWED = "a whole number from 0 to 2**63 - 1"


def is_seed(seed: Any) -> bool:
    """A whole number in [0, 2**63 - 1] (numpy's too); 1.5 and True are not seeds."""
    return not isinstance(seed, bool) and isinstance(seed, numbers.Integral) and 0 <= seed <= MAX_SEED


def check_seed(seed: Any, where: str = "seed") -> int:
    """A seed (:func:`is_seed`) as an int; 1.5 is refused, not truncated."""
    if not is_seed(seed):
        raise InputError(where, "seed", f"got {shown(seed)}; allowed: {SEEDS_ALLOWED}")
    return int(seed)


def run(scenario="middenhuur-2017", seed: int = 0, overrides: Mapping | None = None,
        months: int | None = None, *, progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run one scenario once.

    ``scenario``: a built-in name, a YAML path or a Scenario object. ``overrides``: declared
    parameter names -> values (plus ``table.format`` to apply a preset first). ``months``
    is a shortcut for ``overrides={"run.months": months}``. ``progress(done, total)``, if
    given, is called after every month (the CLI's progress bar; a notebook's, a sweep's).

    Everything the caller gives is checked before the model is built; anything wrong
    raises :class:`~sim.errors.InputError` (ScenarioError, ParameterError) naming the
    field and what is allowed.
    """
    from sim import __version__
    from sim.model import HousingTablesModel

    seed = check_seed(seed)
    kernel_setting()
    if overrides is not None and not isinstance(overrides, Mapping):
        raise InputError("overrides", "overrides", f"got {shown(overrides)}; allowed: a mapping of parameter "
                         "names to values, e.g. {'investor.required_return': 0.045}")
    if progress is not None and not callable(progress):
        raise InputError("progress", "progress", f"got {shown(progress)}; allowed: a function (done, total) or None")
    sc = scn.load(scenario)
    overrides = dict(overrides or {})
    if months is not None:
        if "run.months" in overrides:
            raise InputError("months", "months", "given both as months= and as overrides['run.months']; give one")
        overrides["run.months"] = months
    params = sc.parameter_values(overrides)
    rid = run_id_for(sc, params, seed)
    with _collector_for_a_run():
        tables, metrics = _simulate(HousingTablesModel(sc, params, seed=seed, run_id=rid), progress)
    return RunResult(rid, sc.name, seed, {k: _jsonable(v) for k, v in params.items()}, tables, metrics,
                     __version__)


def _simulate(model, progress) -> tuple[dict, dict]:
    """Run ``model`` to its end: its tables and headline metrics. The model is garbage when this returns."""
    total = model.p["run.months"]
    try:
        for month in range(total):
            model.step()
            if progress is not None:
                progress(month + 1, total)
        model.finish()
        tables = model.recorder.tables()
        return tables, headline(model, tables)
    finally:
        _release(model)


@contextmanager
def _collector_for_a_run():
    """Python's cyclic garbage collector, tuned for the length of a run.

    A national run keeps about a million objects alive (cases, their records), and the
    collector's full passes went over all of them and over everything else the process
    held: little in a fresh process, but about a third of the CPU in a sweep's long-lived
    workers. During the run, what existed before it is frozen (the passes skip the
    libraries and the caller's objects) and young collections come every million instead of
    700 allocations: a run makes no reference cycles (its objects go by reference counting,
    ``_release``), so a pass during it finds nothing (26 passes at every 20,000 allocations
    freed no object in a national run and took 3-4% of its CPU time); now about one pass
    comes in a national run, and a change that made cycles would still be collected within a
    million objects. At its end one collection, while the rest is still frozen, frees
    whatever of the model is still in reference cycles (``_release`` breaks the ones the
    model makes, so today nothing is), and then both settings are as they were. Without
    that collection such garbage would be frozen at the start of the next run, and the
    next: a sweep's workers grew by a model a run. Runs in several threads of one process
    share the tuning: the first to start sets it and freezes (so no run's model is ever
    frozen), each frees its own model, and the last to end restores it. The collector frees
    memory; it never changes a result.
    """
    global _runs_in_process, _threshold_before
    with _collector_lock:
        if _runs_in_process == 0:
            _threshold_before = gc.get_threshold()
            gc.set_threshold(max(_threshold_before[0], 1_000_000), *_threshold_before[1:])
            gc.freeze()
        _runs_in_process += 1
    try:
        yield
    finally:
        with _collector_lock:
            _runs_in_process -= 1
            gc.collect()
            if _runs_in_process == 0:
                gc.set_threshold(*_threshold_before)
                gc.unfreeze()


_collector_lock = threading.Lock()
_runs_in_process = 0
_threshold_before = gc.get_threshold()


def _release(model) -> None:
    """Free the model now, by reference counting. Mesa 3.3 keeps a per-model id counter in a
    class-level dict keyed by the model, which holds every model (and through it every agent)
    alive: drop ours. The model's objects refer to each other (agents to the model, cases to
    their table and to the model's case index, which hold them in turn); dropping the model's
    references and those of the cases leaves no cycle, so the run's objects (some 190,000 in a
    national run) go at once instead of waiting for the collector to trace them all
    (``_collector_for_a_run``), which cost 2-4% of a run."""
    mesa.Agent._ids.pop(model, None)
    for agent in list(model.agents):
        agent.remove()
    for case in model.cases:
        case.index = case.table = None
    model.__dict__.clear()
