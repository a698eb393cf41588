"""A sweep's result directory: layout, chunk writing and validated reading.

    DIR/experiment.yaml       the resolved experiment (written first)
    DIR/manifest.json         model version, experiment hash, design size, columns, created
    DIR/runs/part-*.parquet   one row per run (see ``runs_schema``)
    DIR/series/part-*.parquet yearly series in long form, paired with the runs chunk of the same name
    DIR/analysis/             what compare, sensitivity and report write

Chunks are written under a temporary name and renamed, series before runs: a run
counts as stored once its runs chunk exists, and a series chunk without its runs
chunk (a kill between the two renames) is never read. Every chunk carries the
experiment hash and model version in its Parquet metadata; a reader refuses, by name,
a chunk that is corrupt, from another experiment or with other columns, rather than
mixing it in. When a run id occurs in several chunks (a failed run retried with
``--retry-failed``) the newest chunk's row counts.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.spec import Experiment, load_experiment
from sim.params import PARAMETERS
from sim.errors import InputError, shown
from sim.storage import ResultsError

# Format 2 stores the scenario's name in every row (``scenario``, after ``run_id``, as a single run's
# tables do); format 1 did not, and its rows get the column when read (``_read``).
FORMAT = "tafelsim-sweep/2"
FORMAT_1 = "tafelsim-sweep/1"
HASH_KEY, VERSION_KEY = b"tafelsim.experiment_hash", b"tafelsim.model_version"
KEYS = [("run_id", pa.string()), ("scenario", pa.string()), ("policy", pa.string()), ("point", pa.int64()),
        ("replication", pa.int64()), ("seed", pa.int64())]
SERIES_COLUMNS = [("series", pa.string()), ("year", pa.int64()), ("segment", pa.string()), ("value", pa.float64())]
SERIES_SCHEMA = pa.schema(KEYS + SERIES_COLUMNS)
_UMASK = os.umask(0o022)
os.umask(_UMASK)
_ARROW = {"float64": pa.float64(), "int64": pa.int64(), "bool": pa.bool_(), "string": pa.string()}


def _column_type(name: str) -> str:
    kind = PARAMETERS[name].kind if name in PARAMETERS else float
    return {float: "float64", int: "int64", bool: "bool"}.get(kind, "string")


def manifest_of(exp: Experiment) -> dict:
    from sim import __version__
    from experiments.tasks import scenario_name
    return {"format": FORMAT, "experiment": exp.name, "experiment_hash": exp.hash, "model_version": __version__,
            "scenario": exp.scenario, "scenario_name": scenario_name(exp), "months": exp.months, "design": exp.design["type"],
            "design_points": len(exp.points), "policies": list(exp.policies), "baseline": exp.baseline,
            "replications": exp.replications, "runs": exp.runs,
            "parameters": {n: _column_type(n) for n in exp.varied}, "outcomes": list(exp.outcomes),
            "series": [s["name"] for s in exp.series],
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _keys(manifest: dict) -> list:
    return [k for k in KEYS if k[0] != "scenario"] if manifest["format"] == FORMAT_1 else KEYS


def runs_schema(manifest: dict) -> pa.Schema:
    fields = _keys(manifest) + [(n, _ARROW[t]) for n, t in manifest["parameters"].items()]
    fields += [(o, pa.float64()) for o in manifest["outcomes"]]
    fields += [("status", pa.string()), ("error", pa.string()), ("wall_time_s", pa.float64())]
    return pa.schema(fields)


def atomic_write(path: Path, write) -> None:
    """Write through ``write(tmp_path)`` and rename into place; never a half-written ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)   # the user's usual permissions, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_target(path: Path, directories, option: str) -> None:
    """Refuse to write a file (a report, an export) where writing would destroy something: over
    anything but a regular file (a directory, a FIFO, a device), or over a result directory's
    own files (its manifest, experiment and chunks). A new file inside a result directory is fine."""
    try:
        exists, regular = path.exists(), path.is_file()
        target = path.resolve()
    except (OSError, ValueError) as e:
        raise InputError(str(path), option, f"not a usable path ({getattr(e, 'strerror', None) or e})") from None
    if exists and not regular:
        raise InputError(str(path), option, "exists and is not a regular file (a directory, a pipe or a device); "
                                            "name a new file or one of your own to replace")
    for d in directories:
        d = Path(d).resolve()
        own = {d / "manifest.json", d / "experiment.yaml"}
        if target in own or target.parent in (d / "runs", d / "series"):
            raise InputError(str(path), option, f"is part of the result directory {d}; writing there would destroy "
                                                "the sweep's results: name another file")


def write_header(out: Path, exp: Experiment) -> dict:
    """experiment.yaml and manifest.json, before any run."""
    manifest = manifest_of(exp)
    for sub in ("runs", "series"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    atomic_write(out / "experiment.yaml", lambda tmp: Path(tmp).write_text(exp.to_yaml(), encoding="utf-8"))
    atomic_write(out / "manifest.json", lambda tmp: Path(tmp).write_text(json.dumps(manifest, indent=2) + "\n"))
    return manifest


class ChunkWriter:
    """Buffers finished runs and writes them as a pair of chunks every ``chunk_runs`` runs
    or ``flush_seconds`` seconds (so memory stays bounded and a kill loses little)."""

    def __init__(self, out: Path, manifest: dict, chunk_runs: int = 200, flush_seconds: float = 30.0):
        self.out, self.chunk_runs, self.flush_seconds = out, max(1, chunk_runs), flush_seconds
        self.schema = runs_schema(manifest)
        meta = {HASH_KEY: manifest["experiment_hash"].encode(), VERSION_KEY: manifest["model_version"].encode()}
        self.schema, self.meta = self.schema.with_metadata(meta), meta
        self.session = f"{time.time_ns():016x}"  # sortable: a newer session's chunks sort after an older one's
        self.seq, self.rows, self.series, self.last = 0, [], [], time.monotonic()

    def add(self, row: dict, series: pd.DataFrame | None) -> None:
        self.rows.append(row)
        if series is not None and len(series):
            self.series.append(series)
        if len(self.rows) >= self.chunk_runs or time.monotonic() - self.last > self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        name = f"part-{self.session}-{self.seq:05d}.parquet"
        if self.series:
            table = pa.Table.from_pandas(pd.concat(self.series, ignore_index=True), schema=SERIES_SCHEMA,
                                         preserve_index=False).replace_schema_metadata(self.meta)
            atomic_write(self.out / "series" / name, lambda tmp: pq.write_table(table, tmp))
        runs = pa.Table.from_pylist(self.rows, schema=self.schema)
        atomic_write(self.out / "runs" / name, lambda tmp: pq.write_table(runs, tmp))
        self.seq, self.rows, self.series, self.last = self.seq + 1, [], [], time.monotonic()


# what the readers take from a manifest, and its type (``manifest_of`` writes them)
_MANIFEST_FIELDS = {"experiment": str, "experiment_hash": str, "model_version": str, "runs": int,
                    "parameters": dict, "outcomes": list, "policies": list}


def read_manifest(out: str | Path) -> dict:
    if not isinstance(out, (str, Path)):
        raise ResultsError(f"got {shown(out)}; allowed: the path of a sweep's result directory", "directory")
    path = Path(out) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        raise ResultsError(f"missing; {out} is not a sweep's result directory", str(path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ResultsError(f"not valid JSON ({e})", str(path)) from None
    except (OSError, ValueError) as e:   # a directory named manifest.json, a name too long, a NUL byte
        raise ResultsError(f"cannot be read ({getattr(e, 'strerror', None) or e}); {out} is not a sweep's result "
                           "directory", str(path)) from None
    if not isinstance(manifest, dict) or manifest.get("format") not in (FORMAT, FORMAT_1):
        raise ResultsError(f"not a tafelsim sweep manifest (format {FORMAT})", str(path))
    for name, kind in _MANIFEST_FIELDS.items():
        value = manifest.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ResultsError(f"field {name!r} is {shown(value)}; a sweep writes {kind.__name__} there: the "
                               "manifest was edited or damaged", str(path))
    bad = {n: t for n, t in manifest["parameters"].items() if t not in _ARROW}
    if bad or not all(isinstance(o, str) for o in manifest["outcomes"]):
        raise ResultsError("fields 'parameters' or 'outcomes' are not a sweep's (column types "
                           f"{', '.join(_ARROW)}; outcome names): the manifest was edited or damaged", str(path))
    return manifest


def experiment_of(out: str | Path) -> Experiment:
    """The resolved experiment stored with the results (its scenario need not be at hand), checked
    against the manifest: an ``experiment.yaml`` edited after the sweep would describe other runs
    than those stored (other outcomes, renamed policies), so it is refused rather than read."""
    manifest = read_manifest(out)   # a clear message when ``out`` is not a result directory at all
    exp = load_experiment(Path(out) / "experiment.yaml", resolve_scenario=False)
    if exp.hash != manifest["experiment_hash"] or list(exp.policies) != manifest["policies"]:
        raise ResultsError(f"does not match manifest.json (experiment {exp.hash}, policies {', '.join(exp.policies)}; "
                           f"the sweep's: {manifest['experiment_hash']}, {', '.join(manifest['policies'])}): it was "
                           "edited after the sweep; restore it to read these results", str(Path(out) / "experiment.yaml"))
    return exp


def _chunks(out: Path, sub: str) -> list[Path]:
    return sorted((out / sub).glob("part-*.parquet"))


def _read_chunk(path: Path, schema: pa.Schema, manifest: dict) -> pa.Table:
    where = str(path)
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as e:
        raise ResultsError(f"corrupt or not a Parquet file ({e}); move it out of the directory "
                           "(the other chunks are intact) and resume the sweep to redo its runs", where) from None
    meta = table.schema.metadata or {}
    got = (meta.get(HASH_KEY, b"").decode(), meta.get(VERSION_KEY, b"").decode())
    want = (manifest["experiment_hash"], manifest["model_version"])
    if got != want:
        raise ResultsError(f"belongs to another sweep (experiment {got[0] or '?'}, model {got[1] or '?'}; "
                           f"this directory's: experiment {want[0]}, model {want[1]}); it was not mixed in: move it "
                           "out of the directory", where)
    if not table.schema.remove_metadata().equals(schema):
        raise ResultsError(f"its columns are not this sweep's ({', '.join(table.schema.names)})", where)
    return table


def _read(out: Path, sub: str, schema: pa.Schema, manifest: dict, only: set[str] | None = None) -> pd.DataFrame:
    tables = [_read_chunk(p, schema, manifest) for p in _chunks(out, sub) if only is None or p.name in only]
    table = pa.concat_tables(tables) if tables else schema.empty_table()
    df = table.to_pandas()
    if "scenario" not in df.columns:   # format 1: the scenario as the experiment named it (a built-in's name)
        df.insert(1, "scenario", Path(manifest["scenario"]).stem if isinstance(manifest.get("scenario"), str) else "")
    return df


def read_runs(out: str | Path) -> pd.DataFrame:
    """One row per run, sorted by run id (the newest row of a retried run)."""
    manifest = read_manifest(out)   # first: it names what is not a directory's path
    out = Path(out)
    df = _read(out, "runs", runs_schema(manifest), manifest)
    return df.drop_duplicates("run_id", keep="last").sort_values("run_id", ignore_index=True)


def read_series(out: str | Path) -> pd.DataFrame:
    """Yearly series of the stored successful runs, long form, sorted."""
    manifest = read_manifest(out)   # first: it names what is not a directory's path
    out = Path(out)
    committed = {p.name for p in _chunks(out, "runs")}
    df = _read(out, "series", pa.schema(_keys(manifest) + SERIES_COLUMNS), manifest, only=committed)
    runs = read_runs(out)
    ok = set(runs.loc[runs["status"] == "ok", "run_id"])
    df = df[df["run_id"].isin(ok)].drop_duplicates(["run_id", "series", "year", "segment"], keep="last")
    return df.sort_values(["run_id", "series", "year", "segment"], ignore_index=True)


def stored_status(out: Path) -> dict[str, str]:
    """run id -> status of what is stored (read through the same validation)."""
    runs = read_runs(out)
    return dict(zip(runs["run_id"], runs["status"]))


def remove_leftovers(out: Path) -> None:
    """Drop what a killed sweep can leave that was never stored: temporary files and
    series chunks whose runs chunk was never renamed into place."""
    committed = {p.name for p in _chunks(out, "runs")}
    for sub in ("runs", "series"):
        for tmp in (out / sub).glob(".part-*.tmp"):
            tmp.unlink()
    for p in _chunks(out, "series"):
        if p.name not in committed:
            p.unlink()
