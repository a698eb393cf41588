"""The compiled signatories' numbers (``sim.view_kernel``) against the agents' numpy formulas.

Run on demand (not in CI):

    python benchmarks/view_kernel.py [--scenarios middenhuur-2017 nederland] [--runs 8]
                                     [--write results/benchmarks/view_kernel.md]

1. Every view a run makes (``tables.view``) is valued both ways, three times each, alternating:
   the per-view time of each, and whether all of them are identical byte for byte.
2. Whole runs in this process with both kernels loaded, alternating the view's kernel on and
   off (the negotiation compiled in both), ``--runs`` each: CPU time, minimum and median.
   National runs are cut to 36 months.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def per_view(scenario: str, months: int | None) -> tuple[int, float, float, float, bool]:
    """Views made, mean cases a view, numpy's and the kernel's mean time a view (s), all identical?"""
    import sim
    from sim import tables, view_kernel
    compiled = view_kernel.slot_values
    acc = {"numpy": 0.0, "kernel": 0.0, "views": 0, "cases": 0, "same": True}

    def both(val, agents, seated, absent, guesses, p):
        for _ in range(3):
            t = time.perf_counter()
            want = tables.slot_values(val, agents, seated, absent, guesses)
            acc["numpy"] += time.perf_counter() - t
            t = time.perf_counter()
            got = compiled(val, agents, seated, absent, guesses, p)
            acc["kernel"] += time.perf_counter() - t
        acc["views"] += 1
        acc["cases"] += seated.shape[0]
        acc["same"] &= all((a is None and b is None) or a.tobytes() == b.tobytes() for a, b in zip(got, want))
        return got

    view_kernel.slot_values = both
    try:
        sim.run(scenario, seed=0, months=months)
    finally:
        view_kernel.slot_values = compiled
    n = acc["views"]
    return n, acc["cases"] / n, acc["numpy"] / (3 * n), acc["kernel"] / (3 * n), acc["same"]


def whole_runs(scenario: str, months: int | None, runs: int) -> dict:
    import sim
    from sim import negotiation
    loaded = negotiation.kernel_loaded
    times: dict = {"on": [], "off": []}
    sim.run(scenario, seed=99, months=2)
    for r in range(runs):
        for mode in ("on", "off") if r % 2 == 0 else ("off", "on"):
            negotiation.kernel_loaded = loaded if mode == "on" else (lambda: False)
            try:
                t = time.process_time()
                sim.run(scenario, seed=r, months=months)
                times[mode].append(time.process_time() - t)
            finally:
                negotiation.kernel_loaded = loaded
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", nargs="*", default=["middenhuur-2017", "nederland"])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    from sim import __version__, negotiation
    assert negotiation.use_kernel(True), "the kernels did not load (TAFELSIM_KERNEL=off, or no numba)"
    lines = [
        f"The signatories' numbers compiled (`sim/view_kernel.py`) against the agents' numpy formulas, "
        f"model {__version__}.",
        f"Python {platform.python_version()}; command: `python benchmarks/view_kernel.py --scenarios "
        f"{' '.join(args.scenarios)} --runs {args.runs}`",
        "",
        "Every view of a run (seed 0; `nederland` 36 months), valued both ways three times, alternating:",
        "",
        "| scenario | views | cases a view | numpy µs a view | kernel µs a view | numpy / kernel | identical |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = []
    for name in args.scenarios:
        months = 36 if name == "nederland" else None
        n, cases, tn, tk, same = per_view(name, months)
        lines.append(f"| {name} | {n} | {cases:.1f} | {tn * 1e6:.0f} | {tk * 1e6:.0f} | {tn / tk:.2f} | "
                     f"{'yes' if same else '**no**'} |")
        rows.append((name, months, whole_runs(name, months, args.runs)))
    lines += ["", f"Whole runs in one process, the negotiation compiled in both, alternating the view's kernel "
              f"on and off ({args.runs} runs each, seeds 0..{args.runs - 1}; CPU s):", "",
              "| scenario | off: min | off: median | on: min | on: median | off / on (minima) | off / on (medians) |",
              "|---|---|---|---|---|---|---|"]
    for name, months, t in rows:
        off, on = sorted(t["off"]), sorted(t["on"])
        label = name if months is None else f"{name} ({months} months)"
        lines.append(f"| {label} | {off[0]:.3f} | {statistics.median(off):.3f} | {on[0]:.3f} | "
                     f"{statistics.median(on):.3f} | {off[0] / on[0]:.2f} | "
                     f"{statistics.median(off) / statistics.median(on):.2f} |")
    emit("\n".join(lines) + "\n", args.write)


if __name__ == "__main__":
    main()
