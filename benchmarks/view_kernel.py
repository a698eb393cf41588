"""The compiled view (``sim.view_kernel``) against numpy's: identical? how much faster, per call and per run?

Run on demand (not in CI):

    python benchmarks/view_kernel.py [--scenarios middenhuur-2017 nederland] [--runs 8]
                                     [--write results/benchmarks/view_kernel.md]

1. Every call a run makes of the four compiled parts is made both ways, three times each,
   alternating: the valuation's arithmetic (``valuation.valued``), the signatories' numbers of a
   view (``tables.slot_values``), a table's reading of them with the openings
   (``View.table_res``, ``View.openings``) and the parties' guardedness (``tables.guarded``).
   Per call time of each, and whether every array is identical byte for byte.
2. Whole runs in this process with the kernels loaded, alternating the view's kernels on and
   off (the negotiation compiled in both), ``--runs`` each: CPU time, minimum and median.
3. The same, alternating all the kernels (``negotiation.use_kernel``) on and off: what a sweep's
   or the dashboard's worker gains over a single run's numpy.
   National runs are cut to 36 months.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARTS = ("valuation", "signatories' numbers", "table's reading and openings", "guardedness")


def _same(got, want) -> bool:
    return all(np.asarray(a).tobytes() == np.asarray(b).tobytes() for a, b in zip(got, want))


def per_call(scenario: str, months: int | None) -> dict:
    """Per part: calls, numpy's and the kernel's mean time a call (s), all identical?"""
    import sim
    from sim import tables, valuation, view_kernel
    acc = {part: {"calls": 0, "numpy": 0.0, "kernel": 0.0, "same": True} for part in PARTS}
    compiled = {name: getattr(view_kernel, name) for name in ("valuation", "slot_values", "table_numbers",
                                                               "guardedness")}

    def timed(part, numpy_call, kernel_call, unpack):
        a = acc[part]
        for _ in range(3):
            t = time.perf_counter()
            want = numpy_call()
            a["numpy"] += time.perf_counter() - t
            t = time.perf_counter()
            got = kernel_call()
            a["kernel"] += time.perf_counter() - t
        a["calls"] += 1
        a["same"] &= _same(unpack(got), unpack(want))
        return got

    fields = lambda v: [getattr(v, n) for n in v.__dataclass_fields__ if n != "cases"]   # noqa: E731
    view_kernel.valuation = lambda *args: timed(
        PARTS[0], lambda: valuation.valued(*args), lambda: compiled["valuation"](*args), fields)
    view_kernel.slot_values = lambda val, agents, seated, absent, guesses, p: timed(
        PARTS[1], lambda: tables.slot_values(val, agents, seated, absent, guesses),
        lambda: compiled["slot_values"](val, agents, seated, absent, guesses, p),
        lambda out: [x for x in out if x is not None])

    def reading(vw, margin, padding):
        res = vw.table_res(margin)
        return res, vw.openings(res, padding)
    view_kernel.table_numbers = lambda vw, margin, padding, p: timed(
        PARTS[2], lambda: reading(vw, margin, padding), lambda: compiled["table_numbers"](vw, margin, padding, p),
        list)
    view_kernel.guardedness = lambda *args: timed(
        PARTS[3], lambda: tables.guarded(*args), lambda: compiled["guardedness"](*args), lambda out: [out])
    try:
        sim.run(scenario, seed=0, months=months)
    finally:
        for name, f in compiled.items():
            setattr(view_kernel, name, f)
    return acc


def whole_runs(scenario: str, months: int | None, runs: int, everything: bool = False) -> dict:
    """CPU times of ``runs`` runs each with the view's kernels on and off (``everything``: all the
    kernels, the negotiation's too), alternating."""
    import sim
    from sim import negotiation
    loaded = negotiation.kernel_loaded
    times: dict = {"on": [], "off": []}
    sim.run(scenario, seed=99, months=2)
    for r in range(runs):
        for mode in ("on", "off") if r % 2 == 0 else ("off", "on"):
            if everything:
                negotiation.use_kernel(mode == "on")
            else:
                negotiation.kernel_loaded = loaded if mode == "on" else (lambda: False)
            try:
                t = time.process_time()
                sim.run(scenario, seed=r, months=months)
                times[mode].append(time.process_time() - t)
            finally:
                negotiation.kernel_loaded = loaded
                negotiation.use_kernel(True)
    return times


def run_table(rows: list) -> list[str]:
    out = ["| scenario | off: min | off: median | on: min | on: median | off / on (minima) | off / on (medians) |",
           "|---|---|---|---|---|---|---|"]
    for name, months, t in rows:
        off, on = sorted(t["off"]), sorted(t["on"])
        label = name if months is None else f"{name} ({months} months)"
        out.append(f"| {label} | {off[0]:.3f} | {statistics.median(off):.3f} | {on[0]:.3f} | "
                   f"{statistics.median(on):.3f} | {off[0] / on[0]:.2f} | "
                   f"{statistics.median(off) / statistics.median(on):.2f} |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", nargs="*", default=["middenhuur-2017", "nederland"])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    from sim import __version__, negotiation
    assert negotiation.use_kernel(True), "the kernels did not load (TAFELSIM_KERNEL=off, or no numba)"
    lines = [
        f"The compiled view (`sim/view_kernel.py`) against numpy's (the valuation's arithmetic, the agents' "
        f"formulas, a table's reading of them, the parties' guardedness), model {__version__}.",
        f"Python {platform.python_version()}; command: `python benchmarks/view_kernel.py --scenarios "
        f"{' '.join(args.scenarios)} --runs {args.runs}`",
        "",
        "Every call of a run (seed 0; `nederland` 36 months) made both ways three times, alternating:",
        "",
        "| scenario | part | calls | numpy µs a call | kernel µs a call | numpy / kernel | identical |",
        "|---|---|---|---|---|---|---|",
    ]
    rows, everything = [], []
    for name in args.scenarios:
        months = 36 if name == "nederland" else None
        for part, a in per_call(name, months).items():
            n = 3 * max(a["calls"], 1)
            lines.append(f"| {name} | {part} | {a['calls']} | {a['numpy'] / n * 1e6:.0f} | {a['kernel'] / n * 1e6:.0f} "
                         f"| {a['numpy'] / max(a['kernel'], 1e-12):.2f} | {'yes' if a['same'] else '**no**'} |")
        rows.append((name, months, whole_runs(name, months, args.runs)))
        everything.append((name, months, whole_runs(name, months, args.runs, everything=True)))
    lines += ["", f"Whole runs in one process, the negotiation compiled in both, alternating the view's kernels "
              f"on and off ({args.runs} runs each, seeds 0..{args.runs - 1}; CPU s):", "", *run_table(rows),
              "", "Whole runs in one process, alternating all the kernels (the negotiation's and the view's) on and "
              "off: a sweep's or the dashboard's worker against a single run (CPU s):", "", *run_table(everything)]
    emit("\n".join(lines) + "\n", args.write)


if __name__ == "__main__":
    main()
