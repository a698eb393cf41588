"""Writing and reading a run's results: ``DIR/<table>.parquet`` plus ``DIR/run.json``.

Writes never leave a half-written or missing file behind: each file is written under a
temporary name in the same directory and renamed into place (atomic on POSIX), and
nothing is written until the run has finished.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa

from sim.errors import InputError
from sim.runner import TABLES, RunResult


class ResultsError(InputError):
    """A results directory or file that cannot be read (``where`` names the file)."""

    def __init__(self, message: str, where: str = "", field: str = ""):
        super().__init__(where, field, message)
        self.args = (message,)

    def __str__(self) -> str:
        return self.args[0]


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _clean(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def run_info(result: RunResult) -> dict:
    return {"run_id": result.run_id, "scenario": result.scenario, "seed": result.seed,
            "model_version": result.model_version, "parameters": result.params,
            "metrics": {k: _clean(v) for k, v in result.metrics.items()},
            "tables": {name: f"{name}.parquet" for name in result.tables}}


def write(result: RunResult, out: str | Path) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in result.tables.items():
        _atomic_write(out / f"{name}.parquet", lambda tmp, df=df: df.to_parquet(tmp, index=False))
    text = json.dumps(run_info(result), indent=2, sort_keys=False, default=str)
    _atomic_write(out / "run.json", lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return out


def read(out: str | Path) -> RunResult:
    """Read a results directory back; a clear ResultsError names the file that is wrong."""
    out = Path(out)
    info_path = out / "run.json"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{info_path}: missing; not a tafelsim results directory") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ResultsError(f"{info_path}: not valid JSON ({e})") from None
    tables = {}
    for name in TABLES:
        path = out / f"{name}.parquet"
        if not path.exists():
            continue
        try:
            tables[name] = pd.read_parquet(path)
        except (pa.ArrowInvalid, OSError) as e:
            raise ResultsError(f"{path}: corrupt or not a Parquet file ({e})") from None
    try:
        return RunResult(info["run_id"], info["scenario"], info["seed"], info["parameters"], tables,
                         info["metrics"], info.get("model_version", ""))
    except KeyError as e:
        raise ResultsError(f"{info_path}: missing field {e}") from None
