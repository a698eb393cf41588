"""Issue 11's throughput target, measured as a user meets it: 100 runs of `nederland` on two workers.

Run on demand (not in CI), on a quiet machine:

    python benchmarks/national_sweep.py [--repeat 1] [--write results/benchmarks/national_sweep.md]

Runs ``tafelsim sweep benchmarks/nederland-100.yaml --out <temporary directory> --workers 2``
as its own process, end to end (start-up, the workers' loading of the compiled kernels, every
run, the results written), and reports per call: the wall time against the target of three
minutes, the CPU seconds of all its processes (and per run), the largest process's peak resident
memory, how many runs succeeded, and the load average before and after (other work on the
machine only ever adds time: compare calls made on quiet machines).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXPERIMENT = ROOT / "benchmarks" / "nederland-100.yaml"
TARGET_S = 180.0


def tafelsim() -> list[str]:
    """The front door as installed beside this interpreter (a venv's), else as a module."""
    script = Path(sys.executable).with_name("tafelsim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tafelsim"]


def one_sweep() -> dict:
    """One timed call of the sweep into a fresh directory (removed afterwards)."""
    from experiments.results import read_runs

    out = Path(tempfile.mkdtemp(prefix="national-sweep-"))
    try:
        load_before = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([*tafelsim(), "sweep", str(EXPERIMENT), "--out", str(out / "sweep"), "--workers", "2"],
                              cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"the sweep failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
        status = read_runs(out / "sweep")["status"].tolist()
        return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
                "maxrss_mb": after.ru_maxrss / 1024, "ok": status.count("ok"), "runs": len(status),
                "load_before": load_before, "load_after": os.getloadavg()[0]}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def report(results: list[dict]) -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    lines = [
        "# 100 national runs on two workers (issue 11's throughput target)",
        "",
        f"Command: `python benchmarks/national_sweep.py --repeat {len(results)} "
        "--write results/benchmarks/national_sweep.md`, which times "
        "`tafelsim sweep benchmarks/nederland-100.yaml --out <temporary> --workers 2` end to end.  ",
        f"Tree {head}; Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores.",
        "",
        "| call | wall time | target | CPU s, all processes | CPU s a run | largest process peak | runs ok "
        "| load average before, after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k, r in enumerate(results, 1):
        minutes, seconds = divmod(r["wall"], 60)
        met = "**met**" if r["wall"] < TARGET_S else "**missed**"
        lines.append(f"| {k} | {int(minutes)} min {seconds:04.1f} s | < 3 min: {met} | {r['cpu']:.0f} | "
                     f"{r['cpu'] / max(r['runs'], 1):.2f} | {r['maxrss_mb']:.0f} MB | {r['ok']} of {r['runs']} | "
                     f"{r['load_before']:.1f}, {r['load_after']:.1f} |")
    lines += ["", "The CPU time includes each process's start-up and the workers' loading of the compiled "
              "kernels (`sim.negotiation.use_kernel`); a load average well above 0 before a call means other "
              "work shared the two cores, which only ever adds time.", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="calls of the sweep, one after the other")
    ap.add_argument("--write", type=Path, help="also write the table here")
    args = ap.parse_args()
    emit(report([one_sweep() for _ in range(args.repeat)]), args.write)


if __name__ == "__main__":
    main()
