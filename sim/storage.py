"""Writing and reading a run's results: ``DIR/<table>.parquet`` plus ``DIR/run.json``.

A run's files are replaced as a set. :func:`write` fills a new sibling directory
(``.DIR.tafelsim-new-<host>-<pid>-<random>``) and then swaps it with ``DIR`` in one
atomic step (``renameat2(RENAME_EXCHANGE)`` on Linux, ``renamex_np(RENAME_SWAP)`` on
macOS) before removing the old run, so a kill at any moment leaves ``DIR`` holding the
old run or the new one, never a mix. A sibling left behind by a killed write is removed
by the next write to ``DIR``. Where the system has no atomic swap (other systems, some
network file systems) two renames are used: a kill in the microseconds between them
leaves the old run beside ``DIR`` (``.DIR.tafelsim-old-...``), and the next write puts
it back before anything else.

:func:`check_out` says before a run starts whether ``DIR`` can take its results: it is
a directory (or can be created), writable, and empty or a previous run's results
(a write never deletes files it did not make), and neither the current directory nor one
containing it (the swap would leave the user's shell in a removed directory). Files get the user's normal permissions
(the umask's), not a temporary file's 0600.

Every table carries its run id in its Parquet metadata and ``run.json`` lists the
tables, so :func:`read` detects a directory that mixes runs, misses a table or holds a
corrupt file, and names the file; a field of ``run.json`` of the wrong type is named too.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import secrets
import shutil
import socket
import stat
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import InputError, shown, shown_name
from sim.runner import SEEDS_ALLOWED, TABLES, RunResult, is_seed
from sim.userfiles import read_text

RUN_ID_KEY = b"tafelsim.run_id"
OURS = {"run.json", *(f"{t}.parquet" for t in TABLES)}   # what a results directory may hold
NAME_MAX = 255


class ResultsError(InputError):
    """A results directory or file that cannot be read or written (``where`` names it)."""

    def __init__(self, message: str, where: str = "", field: str = ""):
        super().__init__(where, field, message)
        self.args = (": ".join(x for x in (where, field, message) if x),)

    def __str__(self) -> str:
        return self.args[0]


# --- before the run -----------------------------------------------------------------------
def check_out(out, field: str = "out") -> Path:
    """The absolute results directory for ``out``, or a ResultsError saying why it cannot be one.

    Call it before a run so that a bad ``--out`` costs seconds, not the run. ``field``
    names the option in messages (the CLI passes ``--out``).
    """
    if not isinstance(out, (str, os.PathLike)) or not str(out):
        raise ResultsError(f"got {out!r}; allowed: a directory path", "out", field)
    where = str(out)
    try:
        path = Path(os.path.realpath(out))
    except (OSError, ValueError) as e:
        raise ResultsError(f"not a usable path ({e})", where, field) from None
    for part in path.parts:
        if len(os.fsencode(part)) > NAME_MAX - 60:  # room for the sibling's suffix
            raise ResultsError(f"a name in the path is {len(part)} characters long; at most {NAME_MAX - 60} "
                               "are allowed", where, field)
    here = _cwd()
    if here is not None and (here == path or path in here.parents):
        # a write swaps DIR for a new directory and removes the old one, which the shell would be left standing in
        raise ResultsError("is the current directory; give a path outside it, e.g. ../results" if here == path
                           else f"contains the current directory ({here}); give a path outside it", where, field)
    ancestor = path
    while True:
        try:
            info = os.stat(ancestor)
            break
        except (FileNotFoundError, NotADirectoryError):  # not there yet, or under a file (reported below)
            ancestor = ancestor.parent
        except OSError as e:
            raise ResultsError(f"cannot be used ({e.strerror})", where, field) from None
    if not stat.S_ISDIR(info.st_mode):
        what = "a file" if stat.S_ISREG(info.st_mode) else "a device or special file"
        raise ResultsError(f"is {what}, not a directory; give a directory for the run's tables" if ancestor == path
                           else f"cannot be created: {ancestor} is {what}", where, field)
    if ancestor == path:
        try:
            foreign = sorted(p.name for p in path.iterdir() if p.name not in OURS | _listed_tables(path))
        except OSError as e:
            raise ResultsError(f"cannot be read ({e.strerror})", where, field) from None
        if foreign:
            listed = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise ResultsError(f"holds files that are not a tafelsim run ({listed}); give a new or empty "
                               "directory, or the results directory of an earlier run to replace", where, field)
        ancestor = path.parent  # the new run is made beside DIR, then swapped in
        if not os.access(path, os.W_OK | os.X_OK):
            raise ResultsError("is not writable (permission denied)", where, field)
    _probe(ancestor, where, field)
    return path


def _cwd() -> Path | None:
    """The current directory, resolved like ``--out`` (None if it was removed under us)."""
    try:
        return Path(os.path.realpath(os.getcwd()))
    except OSError:
        return None


def _listed_tables(path: Path) -> set[str]:
    """The table files an earlier run's run.json names (a newer version may write more tables)."""
    try:
        tables = json.loads((path / "run.json").read_text(encoding="utf-8")).get("tables", {})
        return {f for f in tables.values() if isinstance(f, str) and f.endswith(".parquet") and "/" not in f}
    except (OSError, ValueError, AttributeError):
        return set()


_PROBE = ".tafelsim-probe-"


def _probe(directory: Path, where: str, field: str) -> None:
    """Make and remove a directory in ``directory``: the one sure test that we may write there. A probe left by a
    process killed between the two (on this host, no longer running) is removed first."""
    host = socket.gethostname()
    _remove_stale_probes(directory, host)
    probe = directory / f"{_PROBE}{host}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        os.mkdir(probe)
        os.rmdir(probe)
    except OSError as e:
        raise ResultsError(f"cannot be written ({directory}: {e.strerror})", where, field) from None


def _remove_stale_probes(directory: Path, host: str) -> None:
    try:
        names = [e.name for e in os.scandir(directory) if e.name.startswith(_PROBE)]
    except OSError:
        return   # the probe itself will say why the directory cannot be used
    for name in names:
        if _left_by_a_gone_process(name[len(_PROBE):], host):
            try:
                os.rmdir(directory / name)
            except OSError:
                pass


# --- writing --------------------------------------------------------------------------------
def _clean(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def run_info(result: RunResult) -> dict:
    return {"run_id": result.run_id, "scenario": result.scenario, "seed": result.seed,
            "model_version": result.model_version, "parameters": result.params,
            "metrics": {k: _clean(v) for k, v in result.metrics.items()},
            "tables": {name: f"{name}.parquet" for name in result.tables}}


def _sibling(out: Path, kind: str) -> Path:
    return out.parent / f".{out.name[:100]}.tafelsim-{kind}-{socket.gethostname()}-{os.getpid()}-" \
                        f"{secrets.token_hex(4)}"


def write(result: RunResult, out: str | os.PathLike) -> Path:
    """Write ``result`` to ``out``, replacing an earlier run there as a whole (see module doc)."""
    out = check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out)
    new = _sibling(out, "new")
    os.mkdir(new)  # mode 0o777 less the umask, like any directory the user makes
    try:
        for name, df in result.tables.items():
            _write_table(df, new / f"{name}.parquet", result.run_id)
        text = json.dumps(run_info(result), indent=2, sort_keys=False, default=str)
        _write_synced(new / "run.json", text.encode("utf-8"))
        _fsync(new)
        if out.exists():
            os.chmod(new, stat.S_IMODE(os.stat(out).st_mode))
            old = _swap(new, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(new, out)
    except OSError as e:
        shutil.rmtree(new, ignore_errors=True)
        raise ResultsError(f"could not write the run ({e.strerror or e})", str(out)) from None
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    return out


def _write_table(df: pd.DataFrame, path: Path, run_id: str) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = {**(table.schema.metadata or {}), RUN_ID_KEY: run_id.encode()}
    pq.write_table(table.replace_schema_metadata(meta), path)
    _fsync(path)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync(path: Path) -> None:
    """Flush to disk, so that the swap never makes visible a file a power cut would empty."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exchange_function():
    libc = ctypes.CDLL(None, use_errno=True)
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        f = libc.renameat2
        f.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        return lambda a, b: f(-100, a, -100, b, 2)        # AT_FDCWD, RENAME_EXCHANGE
    if sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        f = libc.renamex_np
        f.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        return lambda a, b: f(a, b, 2)                     # RENAME_SWAP
    return None


_EXCHANGE = _exchange_function()


def _swap(new: Path, out: Path) -> Path:
    """Put ``new`` in the place of ``out``; return where the old ``out`` now is (to be removed)."""
    if _EXCHANGE is not None and _EXCHANGE(os.fsencode(new), os.fsencode(out)) == 0:
        return new
    old = _sibling(out, "old")       # no atomic swap here: two renames, repaired by _clean_stale if cut
    os.rename(out, old)
    os.rename(new, out)
    return old


def _clean_stale(out: Path) -> None:
    """Remove what killed writes to ``out`` on this host left beside it; put back a run cut mid-swap."""
    prefix = f".{out.name[:100]}.tafelsim-"
    host = socket.gethostname()
    for p in sorted(out.parent.iterdir()):
        if not p.name.startswith(prefix):
            continue
        kind, _, rest = p.name[len(prefix):].partition("-")
        if not _left_by_a_gone_process(rest, host):
            continue
        if kind == "old" and not out.exists():
            os.rename(p, out)
        else:
            shutil.rmtree(p, ignore_errors=True)


def _left_by_a_gone_process(tail: str, host: str) -> bool:
    """``tail`` is ``{host}-{pid}-{token}`` (a sibling's or a probe's name): made on this host by a process that is
    no longer running, so nothing will finish or remove it."""
    owner, _, pid = tail.rpartition("-")[0].rpartition("-")
    return owner == host and pid.isdigit() and not _alive(int(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- reading --------------------------------------------------------------------------------
def read(out: str | os.PathLike) -> RunResult:
    """Read a results directory back; a ResultsError names the file that is missing, corrupt or mixed."""
    if not isinstance(out, (str, os.PathLike)) or not str(out):
        raise ResultsError(f"got {shown(out)}; allowed: the path of a results directory", "out")
    try:
        out = Path(out)
        kind = os.stat(out).st_mode
    except TypeError:  # a PathLike giving bytes
        raise ResultsError(f"got {shown(out)}; allowed: the path of a results directory", "out") from None
    except (FileNotFoundError, NotADirectoryError, ValueError):  # ValueError: a NUL byte in the name
        raise ResultsError("not a tafelsim results directory (it does not exist)", str(out)) from None
    except OSError as e:  # a name too long, a loop of symlinks, no permission
        raise ResultsError(f"cannot be used ({e.strerror})", str(out)) from None
    if not stat.S_ISDIR(kind):
        raise ResultsError("not a tafelsim results directory (it is a file)", str(out))
    info_path = out / "run.json"
    try:
        info = json.loads(read_text(info_path, "run.json"))
    except InputError as e:
        raise ResultsError(f"{e.message}; not a tafelsim results directory", str(info_path)) from None
    except json.JSONDecodeError as e:
        raise ResultsError(f"not valid JSON ({e})", str(info_path)) from None
    _check_info(info, str(info_path))
    rid = info["run_id"]
    listed = info.get("tables") or {name: f"{name}.parquet" for name in TABLES}
    tables = {}
    for name, file in listed.items():
        path = out / str(file)
        if not path.is_file():
            raise ResultsError(f"missing; {info_path.name} lists it", str(path))
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as e:
            raise ResultsError(f"corrupt or not a Parquet file ({e})", str(path)) from None
        stamped = (table.schema.metadata or {}).get(RUN_ID_KEY, b"").decode(errors="replace")
        in_rows = set(table.column("run_id").to_pylist()) if "run_id" in table.column_names else set()
        others = ({stamped} if stamped else set()) | in_rows
        if others - {rid}:
            raise ResultsError(f"belongs to run {sorted(others - {rid})[0]} but {info_path.name} to run {rid}: "
                               "the directory mixes two runs", str(path))
        tables[name] = table.to_pandas()
    return RunResult(rid, info["scenario"], info["seed"], info["parameters"], tables, info["metrics"],
                     info.get("model_version", ""))


# run.json's fields read() relies on: name -> (well-formed?, what is allowed); an older run may lack the last two
_FIELDS = {
    "run_id": (lambda v: isinstance(v, str) and v != "", "the run's id, a text"),
    "scenario": (lambda v: isinstance(v, str), "the scenario's name, a text"),
    "seed": (is_seed, SEEDS_ALLOWED),
    "parameters": (lambda v: isinstance(v, dict), "an object of parameter names and values"),
    "metrics": (lambda v: isinstance(v, dict), "an object of metric names and values"),
    "model_version": (lambda v: isinstance(v, str), "the model's version, a text"),
    "tables": (lambda v: v is None or isinstance(v, dict),
               'an object of table names and their files, e.g. {"cases": "cases.parquet"}'),
}
_OPTIONAL = ("model_version", "tables")


def _check_info(info, where: str) -> None:
    """Every field of run.json that :func:`read` relies on, or a ResultsError naming it: a run.json damaged or
    written by hand must not give an AttributeError later, a run with seed -5, or a table read from elsewhere."""
    if not isinstance(info, dict):
        raise ResultsError("not a run description (expected a JSON object)", where)
    for key, (ok, allowed) in _FIELDS.items():
        if key not in info and key not in _OPTIONAL:
            raise ResultsError(f"missing; allowed: {allowed}", where, key)
        if key in info and not ok(info[key]):
            raise ResultsError(f"got {shown(info[key])}; allowed: {allowed}", where, key)
    for name, value in info["metrics"].items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ResultsError(f"got {shown(value)}; allowed: a number, or null where the metric is undefined",
                               where, f"metrics.{shown_name(name)}")
    for name, file in (info.get("tables") or {}).items():
        if not (isinstance(file, str) and file.endswith(".parquet") and file != ".parquet"
                and os.path.basename(file) == file and "\\" not in file):
            raise ResultsError(f"got {shown(file)}; allowed: a file name <table>.parquet in the run's directory",
                               where, f"tables.{shown_name(name)}")

