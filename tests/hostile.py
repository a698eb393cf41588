"""Helpers for the bad-input tests: run the CLI as a person would, and check what they see.

``cli`` runs ``tafelsim`` in-process (typer's CliRunner, fast: most cases), ``process``
through ``python -m tafelsim`` (a representative subset). ``assert_refused`` is the
promise of the README: exit code 2, no traceback, a message naming the file or field,
and the results directory untouched.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from tafelsim.cli import app

MUNICIPALITIES_CSV = (
    "name,province,woondeal_region,landsdeel,population_2024,population_is_estimate\n"
    "Aastad,Utrecht,Regio A,Oost,50000,true\n"
    "Beedorp,Zeeland,Zeeland,Zuidwest,12000,false\n"
    "Ceestad,Noord-Holland,Regio A,Noordwest,80000,true\n"
)

SCENARIO_WITH_FILE = """\
name: with-file
municipalities_file:
  path: data.csv
actors: {investors: 2, developers: 2, corporations: 0}
parameters:
  run.months: 3
"""

SCENARIO_INLINE = """\
name: inline
municipalities:
  - {name: Aastad, province: Utrecht, region: Regio A, population: 50000}
  - {name: Beedorp, province: Zeeland, region: Zeeland, population: 12000}
actors: {investors: 2, developers: 2, corporations: 0}
parameters:
  run.months: 3
"""


@dataclass
class Seen:
    """What a person sees: exit code, stdout, stderr (and, in-process, the exception)."""

    code: int
    out: str
    err: str
    exception: BaseException | None = None


def cli(args) -> Seen:
    r = CliRunner().invoke(app, [str(a) for a in args])
    return Seen(r.exit_code, r.stdout, r.stderr, r.exception)


def process(args, timeout: float = 120) -> Seen:
    r = subprocess.run([sys.executable, "-m", "tafelsim", *map(str, args)], capture_output=True, text=True,
                       timeout=timeout)
    return Seen(r.returncode, r.stdout, r.stderr)


def snapshot(directory: Path) -> dict:
    """Every file under ``directory`` with its bytes and mode, and nothing else beside it."""
    files = {p.relative_to(directory.parent).as_posix(): (p.read_bytes(), p.stat().st_mode)
             for p in sorted(directory.rglob("*")) if p.is_file()}
    siblings = sorted(p.name for p in directory.parent.iterdir() if p.name.startswith(f".{directory.name}."))
    return {"files": files, "siblings": siblings}


def assert_refused(seen: Seen, needles, out_dir: Path | None = None, before: dict | None = None) -> None:
    """Exit 2, no traceback, a short message naming the file or field, results untouched."""
    shown = seen.out + seen.err
    assert seen.code == 2, (seen.code, shown[-2000:], seen.exception)
    if seen.exception is not None:
        assert isinstance(seen.exception, SystemExit), repr(seen.exception)
    assert "Traceback" not in shown, shown[-2000:]
    assert seen.err.strip(), "no message on stderr"
    assert len(seen.err.splitlines()) <= 30, seen.err[:3000]
    needles = [needles] if isinstance(needles, str) else needles
    assert any(n in seen.err for n in needles), (needles, seen.err[:2000])
    if out_dir is not None:
        assert snapshot(out_dir) == before, "--out was changed"


@contextmanager
def deadline(seconds: int):
    """Fail (instead of hanging the suite) if the block takes longer than ``seconds``."""
    def expired(signum, frame):
        raise TimeoutError(f"took longer than {seconds} s: a hang")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
