"""Memory over many runs in one process: does it stay flat? (Mesa 3.3 keeps a class-level
per-model id counter that would keep every model and its agents alive; sim.run releases it.)

Run on demand (not in CI):  python benchmarks/memory.py [--runs 40] [--write results/benchmarks/memory.md]

Reports the traced Python heap after a warm-up run and after each block of runs, and the
ratio of the last to the first: about 1.0 means no growth.
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc
from pathlib import Path

import mesa

import sim
from common import emit


def measure(scenario: str, runs: int, release: bool) -> list[tuple[int, int, int]]:
    import sim.runner as runner
    original = runner._release
    if not release:  # what happens without sim.run's clean-up: only the agents are removed
        runner._release = lambda model: None
    try:
        gc.collect()
        tracemalloc.start()
        sim.run(scenario, seed=0)
        gc.collect()
        rows = [(0, tracemalloc.get_traced_memory()[0], len(mesa.Agent._ids))]
        for k in range(1, runs + 1):
            sim.run(scenario, seed=k)
            if k % max(1, runs // 4) == 0:
                gc.collect()
                rows.append((k, tracemalloc.get_traced_memory()[0], len(mesa.Agent._ids)))
        tracemalloc.stop()
        return rows
    finally:
        runner._release = original
        mesa.Agent._ids.clear()
        gc.collect()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--scenario", default="middenhuur-2017")
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    lines = [f"Traced Python heap after runs of `{args.scenario}` in one process (after gc), with sim.run's",
             "release of Mesa's class-level registry and, side by side in the same process, without it.",
             f"Command: `python benchmarks/memory.py --runs {args.runs}"
             f"{' --write ' + str(args.write) if args.write else ''}`", "",
             "| mode | runs after warm-up | heap MiB | models held by mesa.Agent._ids | heap / warm-up |",
             "|---|---|---|---|---|"]
    for release in (True, False):
        rows = measure(args.scenario, args.runs, release)
        first = rows[0][1]
        for k, b, n in rows:
            lines.append(f"| {'released' if release else 'not released'} | {k} | {b / 2**20:.1f} | {n} | {b / first:.2f} |")
    text = "\n".join(lines) + "\n"
    emit(text, args.write)


if __name__ == "__main__":
    main()
