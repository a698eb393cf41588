"""Stand-ins for ``sim.run`` that sweep tests hand to the runner (importable by worker processes).

Each wraps the real model and misbehaves only where a test asks it to, through a
policy setting no real experiment uses, so the rest of the sweep is real.
"""

from __future__ import annotations

import os
import signal
import time

import sim

FAIL_SESSIONS = 7    # table.learning_sessions that makes a run raise
HANG_SESSIONS = 9    # table.learning_sessions that makes a run hang


def misbehaving_run(scenario, seed, overrides, months):
    sessions = overrides.get("table.learning_sessions")
    if sessions == FAIL_SESSIONS:
        raise RuntimeError(f"injected failure (seed {seed})")
    if sessions == HANG_SESSIONS and seed % 2 == 0:
        time.sleep(3600)
    return sim.run(scenario, seed=seed, overrides=overrides, months=months)


def kill_worker_once(marker, kill_seed, scenario, seed, overrides, months):
    """SIGKILL the worker process running seed ``kill_seed``, once (the marker file says it happened)."""
    if seed == kill_seed:
        try:
            with open(marker, "x") as fh:
                fh.write(str(os.getpid()))
        except FileExistsError:
            pass
        else:
            os.kill(os.getpid(), signal.SIGKILL)
    return sim.run(scenario, seed=seed, overrides=overrides, months=months)


def slow_run(scenario, seed, overrides, months):
    time.sleep(0.05)
    return sim.run(scenario, seed=seed, overrides=overrides, months=months)


SMALL = """\
name: small
description: Three table designs in Gooi en Vechtstreek over one year, two levels of required return.
scenario: gooi-vechtstreek-2024
months: 12
seed: 3
replications: 4
policies:
  as-was: {}
  synchronised: {table.synchronised_cycles: true}
  learning: {table.learning_sessions: 4}
parameters:
  investor.required_return: [0.0375, 0.045]
outcomes: [homes_agreed, median_months_to_agreement, mean_window_wait_months, mean_balance]
series: [{name: agreed, by_segment: true}, completed]
"""


def small_sweep(tmp_dir):
    """A finished factorial sweep of 24 short runs (for analysis, export and report tests)."""
    from experiments.sweep import run_sweep
    path = tmp_dir / "small.yaml"
    path.write_text(SMALL)
    return run_sweep(path, tmp_dir / "small", workers=2, progress=False).out
