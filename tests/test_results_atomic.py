"""Results directories: replaced as a whole, readable only when whole, with normal permissions."""

from __future__ import annotations

import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time

import pytest

import sim
from sim import storage
from sim.runner import TABLES

WRITER = r"""
import sys
from sim import storage
a, b = storage.read(sys.argv[2]), storage.read(sys.argv[3])
print("ready", flush=True)
while True:
    for r in (a, b):
        storage.write(r, sys.argv[1])
"""


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("runs")
    out = {}
    for seed in (1, 2):
        r = sim.run("middenhuur-2017", seed=seed, months=12)
        storage.write(r, base / str(seed))
        out[seed] = (r.run_id, base / str(seed))
    return out


def _whole_run(out, run_ids) -> str:
    """``out`` holds exactly one complete run (and no stray file); its run id."""
    assert sorted(p.name for p in out.iterdir()) == sorted(["run.json", *(f"{t}.parquet" for t in TABLES)])
    back = storage.read(out)           # checks every table's run id against run.json
    assert back.run_id in run_ids
    return back.run_id


def test_a_killed_write_leaves_the_old_run_or_the_new_one(two_runs, tmp_path):
    (id_a, dir_a), (id_b, dir_b) = two_runs[1], two_runs[2]
    out = tmp_path / "out"
    shutil.copytree(dir_a, out)
    rng = random.Random(13)
    seen_ids, interrupted = set(), 0
    for _ in range(6):
        p = subprocess.Popen([sys.executable, "-c", WRITER, str(out), str(dir_a), str(dir_b)],
                             stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.4))          # some writes done, one under way
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stdout.close()
        seen_ids.add(_whole_run(out, {id_a, id_b}))
        interrupted += any(x.name.startswith(".out.tafelsim-") for x in tmp_path.iterdir())
    assert interrupted, "no kill landed inside a write; the test proves nothing"
    storage.write(storage.read(dir_a), out)         # the next write clears what killed writes left
    assert [x.name for x in tmp_path.iterdir()] == ["out"]
    assert _whole_run(out, {id_a}) == id_a


def test_a_probe_left_by_a_killed_write_is_removed_by_the_next(tmp_path):
    """A write killed between making and removing its writability probe leaves the probe; the next check of a
    directory there removes it (its process is gone), and leaves a running process's probe alone."""
    import socket
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    stale = tmp_path / f".tafelsim-probe-{host}-{gone.pid}-0123abcd"
    live = tmp_path / f".tafelsim-probe-{host}-{os.getpid()}-0123abcd"
    stale.mkdir()
    live.mkdir()
    storage.check_out(tmp_path / "out")
    assert not stale.exists() and live.exists()


def test_files_get_normal_permissions(two_runs, tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    out = tmp_path / "new"
    storage.write(storage.read(two_runs[1][1]), out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask
    for f in out.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~umask, f


def test_reading_a_mixed_directory_names_the_file(two_runs, tmp_path):
    dir_a, dir_b = two_runs[1][1], two_runs[2][1]
    out = tmp_path / "mixed"
    shutil.copytree(dir_a, out)
    shutil.copy(dir_b / "cases.parquet", out / "cases.parquet")
    with pytest.raises(storage.ResultsError, match=r"cases\.parquet.*mixes two runs"):
        storage.read(out)


@pytest.mark.parametrize("damage,needle", [
    (lambda d: (d / "queues.parquet").unlink(), "queues.parquet"),
    (lambda d: (d / "trust.parquet").write_bytes(b"PAR1 not really"), "trust.parquet"),
    (lambda d: (d / "run.json").write_text("{"), "run.json"),
    (lambda d: (d / "run.json").write_text("[]"), "run.json"),
    (lambda d: (d / "run.json").write_text('{"run_id": 5}'), "run.json"),
    (lambda d: (d / "run.json").unlink(), "run.json"),
])
def test_a_damaged_directory_is_named(two_runs, tmp_path, damage, needle):
    out = tmp_path / "damaged"
    shutil.copytree(two_runs[1][1], out)
    damage(out)
    with pytest.raises(storage.ResultsError, match=needle.replace(".", r"\.")):
        storage.read(out)


def test_a_directory_with_other_files_is_never_replaced(two_runs, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("keep me")
    with pytest.raises(storage.ResultsError, match="thesis.tex"):
        storage.write(storage.read(two_runs[1][1]), out)
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]
