"""Export a sweep in EMA Workbench's results format (a tar.gz of experiments and outcomes).

Each successful run is one EMA experiment: the varied parameters (and the dummy) as
uncertainties, ``policy`` as EMA's policy, the design point as its ``scenario``, plus
``replication`` and ``seed``; every outcome is a ScalarOutcome. EMA's own writer is used
so that ``ema_workbench.load_results`` reads it and its PRIM and feature scoring apply.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from experiments.results import atomic_write, check_target, experiment_of, read_runs
from sim.errors import InputError


def ema_results(directory):
    """(experiments DataFrame, {outcome: array}) as EMA's ``perform_experiments`` returns them."""
    exp = experiment_of(directory)
    runs = read_runs(directory)
    ok = runs[runs["status"] == "ok"].sort_values(["policy", "point", "replication"], ignore_index=True)
    experiments = ok[exp.varied + ["replication", "seed"]].copy()
    for col in experiments.columns:
        if experiments[col].dtype == object or str(experiments[col].dtype) == "str":
            experiments[col] = experiments[col].astype("category")
        elif experiments[col].dtype.kind in "iu":
            # EMA 2.5.3's PRIM writes float box limits into the frame, which pandas 3 refuses for int columns
            experiments[col] = experiments[col].astype("float64")
    experiments["scenario"] = ok["point"].to_numpy()
    experiments["policy"] = ok["policy"].astype("category")
    experiments["model"] = "tafelsim"
    experiments["model"] = experiments["model"].astype("category")
    outcomes = {o: ok[o].to_numpy(dtype=float) for o in exp.outcomes}
    return experiments, outcomes, len(runs) - len(ok)


def to_ema(directory, path) -> int:
    """Write the archive (atomically); return the number of runs exported."""
    path = Path(path)
    if not path.name.endswith(".tar.gz"):
        raise InputError(str(path), "--ema", "name the archive FILE.tar.gz (EMA Workbench's format)")
    if not path.parent.is_dir():
        raise InputError(str(path), "--ema", f"directory {path.parent} does not exist")
    check_target(path, [directory], "--ema")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # ema_workbench warns about optional extras on import
            from ema_workbench import ScalarOutcome, save_results
    except ImportError:
        raise InputError("export", "--ema", "needs EMA Workbench: pip install 'tafelsim[ema]'") from None
    experiments, outcomes, failed = ema_results(directory)
    for name in outcomes:
        ScalarOutcome(name)   # declares how EMA stores it
    if failed:
        warnings.warn(f"{failed} failed runs are not exported", stacklevel=2)

    def write(tmp):
        os.unlink(tmp)   # EMA opens the file itself
        save_results((experiments, outcomes), tmp)
    atomic_write(path, write)
    return len(experiments)
