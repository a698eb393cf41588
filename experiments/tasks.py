"""The runs of an experiment and what one run returns (executed in worker processes).

Each run is (policy, design point, replication). Replication r runs on seed
``experiment.seed + r`` under every policy and at every design point (common random
numbers), so the comparison of two policies is paired.

Sobol and Morris designs carry a ``dummy`` parameter that the model never sees, meant as
the noise floor of the sensitivity indices. With the same seeds everywhere, a step in the
dummy alone would change nothing and its index would be exactly zero, a floor that says
nothing. So there the dummy also shifts the seed, ``seed + r + replications *
floor(1000 * dummy)``: a step in the dummy measures the model's own noise, while every
step in a real parameter keeps the dummy, hence the seeds (SALib's estimators difference
exactly such pairs), and all policies at a point still share their seeds.

A run's id is a hash of the
scenario's content, the parameters it sets (the policy's settings and the point's
values, the dummy included), its seed, the model version and its place in the design
(policy name and point index: a Morris grid can visit the same values twice, and each
visit is its own row).

:func:`run_task` never raises for a failing model run: the exception becomes a row with
status ``error``, so one bad run cannot stop a sweep.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterator

import pandas as pd

from experiments.results import KEYS, SERIES_COLUMNS
from experiments.spec import DUMMY, Experiment


@dataclass(frozen=True)
class Task:
    run_id: str
    policy: str
    point: int
    replication: int
    seed: int
    overrides: dict[str, Any]     # what sim.run gets (the dummy left out)
    values: dict[str, Any]        # the row's varied-parameter columns


@dataclass(frozen=True)
class RunContext:
    """What every run of a sweep shares (pickled to the workers once per task, so kept small)."""

    scenario: str                 # what to load: a built-in name or a path
    months: int
    outcomes: tuple[str, ...]
    series: tuple[tuple[str, bool], ...]
    simulate: Callable | None = field(default=None)   # sim.run unless a wrapper is given
    scenario_name: str = ""       # the rows' ``scenario`` column: the scenario's name, as in a single run's tables

    @classmethod
    def of(cls, exp: Experiment, simulate: Callable | None = None) -> "RunContext":
        return cls(exp.scenario, exp.months, tuple(exp.outcomes),
                   tuple((s["name"], s["by_segment"]) for s in exp.series), simulate, scenario_name(exp))


def scenario_name(exp: Experiment) -> str:
    """The name of the experiment's scenario (what a single run's tables carry in ``scenario``)."""
    return _scenario(exp.scenario).name


def run_id(exp: Experiment, policy: str, point: int, overrides: dict, seed: int) -> str:
    from sim import __version__
    blob = json.dumps({"scenario": exp.scenario_digest, "months": exp.months, "parameters": overrides,
                       "seed": seed, "version": __version__, "policy": policy, "point": point},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def cell(v):
    """A varied value as stored in its column (a set of members as 'a+b+c')."""
    return "+".join(sorted(v)) if isinstance(v, (list, tuple, frozenset, set)) else v


def tasks(exp: Experiment) -> Iterator[Task]:
    """Every run, replication by replication (a stopped sweep leaves whole replications behind)."""
    points = [(int(pt["point"]), {n: pt[n] for n in exp.varied}) for pt in exp.points.to_dict("records")]
    for r in range(exp.replications):
        for k, values in points:
            seed = exp.seed + r + exp.replications * int(1000 * values.get(DUMMY, 0.0))
            for policy, settings in exp.policies.items():
                params = {**settings, **{n: v for n, v in values.items() if n != DUMMY}}
                rid = run_id(exp, policy, k, {**settings, **values}, seed)
                yield Task(rid, policy, k, r, seed, params, {n: cell(v) for n, v in values.items()})


@lru_cache(maxsize=4)
def _scenario(ref: str):
    from sim import scenario
    return scenario.load(ref)


@lru_cache(maxsize=4)
def _municipalities(ref: str):
    from experiments.outcomes import municipalities
    return municipalities(_scenario(ref))


def failure_row(task: Task, ctx: RunContext, status: str, error: str, wall: float = float("nan")) -> dict:
    return {**_keys(task, ctx), **{o: float("nan") for o in ctx.outcomes}, "status": status, "error": error,
            "wall_time_s": wall}


def _keys(task: Task, ctx: RunContext) -> dict:
    return {"run_id": task.run_id, "scenario": ctx.scenario_name, "policy": task.policy, "point": task.point,
            "replication": task.replication, "seed": task.seed, **task.values}


def _series(monthly: pd.DataFrame, task: Task, ctx: RunContext) -> pd.DataFrame:
    parts = []
    for name, by_segment in ctx.series:
        keys = ["year", "segment"] if by_segment else ["year"]
        g = monthly.groupby(keys, as_index=False)[name].sum().rename(columns={name: "value"})
        if not by_segment:
            g["segment"] = ""
        parts.append(g.assign(series=name))
    if not parts:
        return pd.DataFrame()
    df = pd.concat(parts, ignore_index=True)
    df = df.assign(run_id=task.run_id, scenario=ctx.scenario_name, policy=task.policy, point=task.point,
                   replication=task.replication, seed=task.seed)
    return df[[name for name, _ in KEYS + SERIES_COLUMNS]]   # the stored series' column order


def run_task(task: Task, ctx: RunContext) -> tuple[dict, pd.DataFrame | None]:
    """Run one model run; return its row and its yearly series (None when it failed)."""
    start = time.perf_counter()
    try:
        if ctx.simulate is None:
            from sim import run as simulate
        else:
            simulate = ctx.simulate
        result = simulate(_scenario(ctx.scenario), seed=task.seed, overrides=task.overrides, months=ctx.months)
        from experiments.outcomes import values
        row = {**_keys(task, ctx), **values(ctx.outcomes, result, _municipalities(ctx.scenario)), "status": "ok",
               "error": "", "wall_time_s": time.perf_counter() - start}
        series = _series(result.tables["monthly"], task, ctx) if ctx.series else None
        return row, series
    except Exception as e:  # noqa: BLE001 - a failing run is data, not a crash of the sweep
        return failure_row(task, ctx, "error", f"{type(e).__name__}: {e}", time.perf_counter() - start), None
