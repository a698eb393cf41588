"""Sweep result directories as the sweep explorer shows them, read through the experiments' own code.

A directory is read by :func:`experiments.report.content`: the manifest, the resolved
experiment and the runs through :mod:`experiments.results` (which validates every Parquet
chunk and names the file it refuses), the paired comparison with 95% CIs and, for Morris
and Sobol designs, the sensitivity indices through :mod:`experiments.analysis`. Nothing
here recomputes them. Only JSON, YAML (safe loader) and Parquet are read; nothing is
unpickled or executed.

An opened directory is kept in memory until its files change (a sweep still running, or
resumed, is read again).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import pandas as pd

from experiments.report import Content, content
from experiments.results import FORMAT
from experiments.spec import DUMMY
from sim.errors import InputError
from sim.outputs import METRICS
from sim.params import PARAMETERS

SEARCH_DEPTH = 3          # how deep under the results root the explorer looks for sweeps
SEARCH_LIMIT = 5000       # directories looked at, at most (a results root may be a home directory)
SKIP = {"runs", "series", "analysis", "node_modules", "__pycache__"}


def find(root: Path, depth: int = SEARCH_DEPTH) -> list[Path]:
    """Directories under ``root`` (itself included) holding a sweep's ``manifest.json``.

    Hidden directories and a sweep's own subdirectories are not searched; neither are
    directories deeper than ``depth`` levels below ``root``.
    """
    root = Path(root)
    found, seen = [], 0
    for here, dirs, files in os.walk(root):
        seen += 1
        level = len(Path(here).relative_to(root).parts)
        if "manifest.json" in files:
            found.append(Path(here))
            dirs[:] = []
        elif level >= depth or seen > SEARCH_LIMIT:
            dirs[:] = []
        else:
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP)
    return sorted(found)


def resolve(path: str, root: Path) -> Path:
    """A path the user typed or chose: relative ones are taken from the results root."""
    text = (path or "").strip()
    if not text:
        raise InputError("sweep", "directory", "choose a sweep or type the path of its result directory")
    p = Path(text).expanduser()
    p = (p if p.is_absolute() else Path(root) / p).resolve()
    if not p.exists():
        raise InputError(str(p), "directory", "does not exist")
    if not p.is_dir():
        raise InputError(str(p), "directory", f"is a file; choose a sweep's result directory (written by "
                                              f"`tafelsim sweep`, format {FORMAT})")
    return p


def _fingerprint(p: Path) -> tuple:
    """What changes when a sweep writes: its header files and its chunks (name, size, time)."""
    files = [p / "manifest.json", p / "experiment.yaml", *sorted((p / "runs").glob("*.parquet")),
             *sorted((p / "series").glob("*.parquet"))]
    out = []
    for f in files:
        try:
            s = f.stat()
            out.append((f.name, s.st_size, s.st_mtime_ns))
        except OSError:
            out.append((f.name, None, None))
    return tuple(out)


_lock = threading.Lock()


def open_sweep(path: str | Path) -> Content:
    """The sweep in directory ``path``, read and analysed; InputError naming the file when it is
    not a sweep's result directory or one of its files cannot be used."""
    p = Path(path)
    if not p.is_dir():
        raise InputError(str(p), "directory", "does not exist or is not a directory")
    with _lock:   # the page asks for its figures at once: one read, not one per figure
        return _open(str(p), _fingerprint(p))


@lru_cache(maxsize=8)
def _open(path: str, _fingerprint: tuple) -> Content:
    return content(path)


# --- what the figures show ---------------------------------------------------------------------

def outcomes(c: Content) -> list[str]:
    return list(c.manifest["outcomes"])


def parameters(c: Content) -> list[str]:
    """The varied parameters the user can plot against (the dummy is only the sensitivity's noise floor)."""
    return [n for n in c.manifest["parameters"] if n != DUMMY]


def unit(name: str) -> str:
    """Unit of an outcome or a parameter, from their declarations."""
    if name in METRICS:
        return METRICS[name].unit
    return PARAMETERS[name].unit if name in PARAMETERS else ""


def axis_title(name: str) -> str:
    u = unit(name)
    return f"{name} ({'%' if u == 'share' else u})" if u else name


def runs(c: Content, outcome: str, parameter: str | None) -> pd.DataFrame:
    """The successful runs: identity, the varied parameters and ``outcome``, one row per run."""
    if outcome not in outcomes(c):
        raise InputError("sweep", "outcome", f"{outcome!r} is not among this sweep's outcomes: "
                                             + ", ".join(outcomes(c)))
    if parameter is not None and parameter not in parameters(c):
        raise InputError("sweep", "parameter", f"{parameter!r} is not varied in this sweep; varied: "
                                               + (", ".join(parameters(c)) or "none"))
    ok = c.runs[c.runs["status"] == "ok"]
    return ok[["run_id", "policy", "point", "replication", "seed", *parameters(c), outcome]].reset_index(drop=True)


def pooled_comparison(c: Content) -> pd.DataFrame:
    """The comparison with the baseline pooled over the design (one row per outcome and policy)."""
    return c.compare[c.compare["point"].isna()].drop(columns="point").reset_index(drop=True)


def policies(c: Content) -> list[str]:
    return list(c.manifest["policies"])
