"""Run time of one run per built-in scenario, this tree against a base commit, with scaling and memory.

Run on demand (not in CI):

    python benchmarks/run_time.py [--base REV] [--repeat 3] [--write results/benchmarks/run_time.md]

Measured side by side in one invocation, so that the ratios hold even on a busy machine:

1. every built-in scenario, full default horizon, in the base commit (checked out into a
   temporary git worktree) and in this tree, alternating, each in its own process; the CPU
   time of the run alone (``time.process_time`` around ``sim.run``, imports excluded) and
   the ratio base / this;
2. this tree's `nederland` on nested subsets of its municipalities (40, 85, 170 and all 342,
   the first n in the data file's order), and the exponent b of time ~ municipalities^b
   fitted on a log-log scale (1 is linear);
3. the peak resident memory of a `nederland` run (``ru_maxrss`` of its process);
4. the import time of `sim` and the start-up of `tafelsim --help` and `tafelsim scenarios`;
5. with ``--instructions``: the instructions a run executes per month, counted by valgrind's
   callgrind in both trees (a run of ``--instruction-months`` months minus a run of one month,
   so that imports and building the model drop out), each tree's modules copied to paths of one
   length and counted under the same environment (``per_month``), so that the same code counts
   the same. Unlike CPU seconds, the count does not move with the machine's other tenants, so a
   ratio of a few percent can be trusted; it does not see memory stalls, so read it beside the
   times. Needs ``valgrind`` (Debian's package);
   about 50 times slower than a run, two runs at a time.

Targets (issue 11): `nederland` under 2 s of model time on one core of a quiet machine,
cost at most linear in municipalities, peak memory under 250 MB, the 12-city default
under 0.1 s of model time, `tafelsim --help` and `scenarios` under 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

ONE_RUN = r"""
import json, resource, sys, time
import sim
scenario, seed = sys.argv[1], int(sys.argv[2])
overrides = json.loads(sys.argv[3])
sim.run("middenhuur-2017", seed=0, months=1)          # imports and file caches, not timed
start = time.process_time()
sim.run(scenario, seed=seed, overrides=overrides)
cpu = time.process_time() - start
print(json.dumps({"cpu": cpu, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def one_run(tree: Path, scenario: str, seed: int, overrides: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", ONE_RUN, scenario, str(seed), json.dumps(overrides or {})],
                         cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def subset_scenario(n: int) -> Path:
    """`nederland` restricted to the first n municipalities of its data file (a nested subset)."""
    import csv
    import yaml
    sys.path.insert(0, str(ROOT))
    data = yaml.safe_load((ROOT / "scenarios" / "nederland.yaml").read_text())
    with open(ROOT / "scenarios" / "data" / "municipalities_nl.csv", newline="", encoding="utf-8") as fh:
        names = [row["name"] for row in csv.DictReader(fh)][:n]
    data["name"] = f"nederland-{n}"
    data["municipalities_file"]["path"] = str(ROOT / "scenarios" / "data" / "municipalities_nl.csv")
    data["municipalities_file"]["names"] = names
    data["actors"]["corporations"] = max(1, round(data["actors"]["corporations"] * n / 342))
    data["actors"]["developers"] = max(1, round(data["actors"]["developers"] * n / 342))
    data["actors"]["investors"] = max(1, round(data["actors"]["investors"] * n / 342))
    path = Path(tempfile.mkdtemp()) / f"nederland-{n}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


COUNT = r"""
import sys
import sim
sim.run(sys.argv[1], seed=0, months=int(sys.argv[2]))
"""


# What a counted run reads of a tree. Each tree's copy goes to a directory whose path has the same length for every
# tree, since the count moves with more than the code: two worktrees of the same model, checked out with different
# other files, differed by 1.8% a month; copies of the same files at paths of equal length count the same.
COUNTED = ("sim", "agents", "scenarios")
# the same addresses in every counted process (where setarch exists): objects keyed by id() land in the same slots
NO_ASLR = ["setarch", platform.machine(), "-R"] if shutil.which("setarch") else []


def counted_copy(tree: Path, name: str) -> Path:
    """``tree``'s modules and data (``COUNTED``) in a fresh directory named by ``name`` (names of one length)."""
    dest = Path(tempfile.gettempdir()) / f"tafelsim-count-{name}"
    shutil.rmtree(dest, ignore_errors=True)
    for part in COUNTED:
        shutil.copytree(tree / part, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _environment(tree: Path) -> dict:
    """A counted process's environment, the same but for the tree. Its bytecode cache is filled before counting
    (``per_month``), so no counted process compiles (compiling costs instructions, and its garbage moves the
    collector's passes); one hash seed (sets and dicts of strings are laid out alike); one BLAS thread (idle ones
    spin, and their spinning counts)."""
    return {"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "PYTHONPYCACHEPREFIX": str(tree / ".bytecode"),
            "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def instructions(tree: Path, scenario: str, months: int) -> int:
    """Instructions executed by a process that runs ``scenario`` for ``months`` (valgrind's callgrind)."""
    out = subprocess.run([*NO_ASLR, "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                          "-c", COUNT, scenario, str(months)], cwd=tree, env=_environment(tree), capture_output=True,
                         text=True, check=True)
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def per_month(trees: dict, scenarios: list[str], months: int) -> dict:
    """(tree, scenario) -> instructions per month beyond the first, two valgrind processes at a time. The trees'
    names must be of one length (``counted_copy``); the same tree counts the same every time."""
    copies = {name: counted_copy(tree, name) for name, tree in trees.items()}
    for copy in copies.values():   # compiled first: a month's run imports every module a run needs
        subprocess.run([sys.executable, "-c", COUNT, scenarios[0], "1"], cwd=copy, env=_environment(copy),
                       capture_output=True, check=True)
    jobs = [(name, scenario, m) for scenario in scenarios for name in copies for m in (1, months)]
    with ThreadPoolExecutor(2) as pool:
        counts = dict(zip(jobs, pool.map(lambda j: instructions(copies[j[0]], j[1], j[2]), jobs)))
    for copy in copies.values():
        shutil.rmtree(copy, ignore_errors=True)
    return {(name, scenario): (counts[(name, scenario, months)] - counts[(name, scenario, 1)]) / (months - 1)
            for name in copies for scenario in scenarios}


def start_up(tree: Path, args: list[str]) -> float:
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", *args], cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                       capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="HEAD~1", help="the commit to compare with")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scenarios", nargs="*")
    ap.add_argument("--write", type=Path)
    ap.add_argument("--instructions", action="store_true", help="also count instructions per month (valgrind)")
    ap.add_argument("--instruction-scenarios", nargs="*", default=["middenhuur-2017", "nederland"])
    ap.add_argument("--instruction-months", type=int, default=36)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from sim.scenario import builtin_names
    names = args.scenarios or builtin_names()
    base_rev = subprocess.run(["git", "rev-parse", "--short", args.base], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    head_rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            times: dict = {(tree, name): [] for tree in ("base", "this") for name in names}
            for rep in range(args.repeat):
                for name in names:
                    times[("base", name)].append(one_run(base, name, rep)["cpu"])
                    times[("this", name)].append(one_run(ROOT, name, rep)["cpu"])
            counted = per_month({"base": base, "this": ROOT}, args.instruction_scenarios,
                                args.instruction_months) if args.instructions else {}
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False)
    lines = [f"Model run time (CPU seconds of `sim.run` alone, imports excluded), this tree ({head_rev}) against "
             f"{base_rev}, {args.repeat} runs each (seeds 0..{args.repeat - 1}), alternating, one process per run.",
             f"Python {platform.python_version()}, {platform.machine()}, {platform.node() and 'this machine'}; "
             f"load average at the start {', '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}.",
             f"Command: `python benchmarks/run_time.py --base {args.base} --repeat {args.repeat}"
             f"{' --instructions' if args.instructions else ''}"
             f"{' --write ' + str(args.write) if args.write else ''}`", "",
             "Other work on the machine only ever adds CPU time (it slows the caches and the clock), so the "
             "minimum over the runs is the steadiest estimate of a tree's own cost; the ratio of the minima is the "
             "comparison to read when the medians scatter.", "",
             "| scenario | base median s | this median s | base min s | this min s | base / this (medians) "
             "| base / this (minima) |", "|---|---|---|---|---|---|---|"]
    for name in names:
        b, t = statistics.median(times[("base", name)]), statistics.median(times[("this", name)])
        b_min, t_min = min(times[("base", name)]), min(times[("this", name)])
        lines.append(f"| {name} | {b:.3f} | {t:.3f} | {b_min:.3f} | {t_min:.3f} | {b / t:.2f} | {b_min / t_min:.2f} |")
    if counted:
        lines += ["", f"Instructions per month (valgrind's callgrind: a run of {args.instruction_months} months minus "
                  "a run of one month, seed 0; millions). The count does not depend on the machine's load:", "",
                  "| scenario | base | this | base / this |", "|---|---|---|---|"]
        for name in args.instruction_scenarios:
            b, t = counted[("base", name)], counted[("this", name)]
            lines.append(f"| {name} | {b / 1e6:.1f} | {t / 1e6:.1f} | {b / t:.2f} |")
    # scaling with municipalities
    sizes = [40, 85, 170, 342]
    scale = []
    for n in sizes:
        path = subset_scenario(n) if n < 342 else None
        runs = [one_run(ROOT, str(path) if path else "nederland", seed)["cpu"] for seed in range(args.repeat)]
        scale.append(statistics.median(runs))
    b, _ = np.polyfit(np.log(sizes), np.log(scale), 1)
    lines += ["", "Time against municipalities (nested subsets of `nederland`, the first n of the data file, actors "
              "scaled in proportion; this tree, median CPU s):", "",
              "| municipalities | " + " | ".join(str(n) for n in sizes) + " | fitted exponent b |",
              "|---|" + "---|" * (len(sizes) + 1),
              "| CPU s | " + " | ".join(f"{s:.2f}" for s in scale) + f" | {b:.2f} |"]
    peak = one_run(ROOT, "nederland", 0)["maxrss_mb"]
    imp = start_up(ROOT, ["sim.params"])
    helps = start_up(ROOT, ["tafelsim", "--help"])
    scen = start_up(ROOT, ["tafelsim", "scenarios"])
    lines += ["", "| measure | value | target |", "|---|---|---|",
              f"| peak resident memory of a `nederland` run | {peak:.0f} MB | < 250 MB |",
              f"| `tafelsim --help` (wall, best of 3) | {helps:.2f} s | < 0.5 s |",
              f"| `tafelsim scenarios` (wall, best of 3) | {scen:.2f} s | < 0.5 s |",
              f"| `python -m sim.params` start-up (wall, best of 3; no scipy, no plotting) | {imp:.2f} s | |"]
    emit("\n".join(lines) + "\n", args.write)


if __name__ == "__main__":
    main()
