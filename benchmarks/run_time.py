"""Wall time of one run per built-in scenario, against the one-second budget for the 12-city scenario.

Run on demand (not in CI):  python benchmarks/run_time.py [--repeat 7] [--write results/benchmarks/run_time.md]

Every scenario is timed in the same process, interleaved, after one warm-up run each, so the
ratios between them (and to the budget) are measured side by side.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import sim
from common import emit
from sim.scenario import builtin_names

BUDGET_S = 1.0  # issue 3: the 12-city scenario should take well under a second


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--scenarios", nargs="*", default=builtin_names())
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    times = {name: [] for name in args.scenarios}
    for name in args.scenarios:
        sim.run(name, seed=0)  # warm-up: imports, YAML, CSV
    for rep in range(args.repeat):
        for name in args.scenarios:
            t0 = time.perf_counter()
            sim.run(name, seed=rep)
            times[name].append(time.perf_counter() - t0)
    lines = ["| scenario | runs | min s | median s | max s | median / 1 s budget |", "|---|---|---|---|---|---|"]
    for name, ts in times.items():
        med = statistics.median(ts)
        lines.append(f"| {name} | {len(ts)} | {min(ts):.3f} | {med:.3f} | {max(ts):.3f} | {med / BUDGET_S:.2f} |")
    header = (f"One run's wall time (full default horizon, seeds 0..{args.repeat - 1}), "
              f"Python {platform.python_version()}, {platform.machine()}, tafelsim {sim.__version__}.\n"
              f"Command: `python benchmarks/run_time.py --repeat {args.repeat}"
              f"{' --write ' + str(args.write) if args.write else ''}`\n")
    text = header + "\n" + "\n".join(lines) + "\n"
    emit(text, args.write)


if __name__ == "__main__":
    main()
