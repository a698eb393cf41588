"""The compiled negotiation against numpy's: identical? how much faster, per month and per run?

Run on demand (not in CI):

    python benchmarks/negotiation_kernel.py [--scenario nederland] [--seed 0] [--repeat 7] [--runs 3]
                                            [--write results/benchmarks/negotiation_kernel.md]

1. Every month's meetings of one run are captured as ``meet_all`` receives them.
2. On each month, numpy's ``meet_all_numpy`` and the kernel (``sim.negotiation_kernel``) run on
   copies of the same meetings: every output array, the meetings' updated state and the
   observations given to the record must be identical (NaN equal to NaN).
3. Both are timed on all months, alternating, minimum of ``--repeat`` passes.
4. Whole runs in this process, alternating numpy's and the kernel, ``--runs`` each: CPU time,
   minimum and median, and whether the tables are identical.
5. The cost of loading the kernel in a fresh process (importing numba, loading its cache).
"""

from __future__ import annotations

import argparse
import copy
import math
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def capture(scenario: str, seed: int) -> list:
    """Every month's meetings of one run (with its protocol), as ``meet_all`` receives them."""
    import sim
    from sim import negotiation
    caught, original = [], negotiation.meet_all

    def spy(m, protocol, record=None):
        caught.append((copy.deepcopy(m), protocol))
        return original(m, protocol, record)

    negotiation.meet_all = spy
    try:
        sim.run(scenario, seed=seed)
    finally:
        negotiation.meet_all = original
    return caught


def same_month(m, protocol, numpy_meet, kernel_meet) -> bool:
    def observed(meet, mm):
        seen = []
        out = meet(mm, protocol, lambda *x: seen.extend(zip(*(a.tolist() for a in x))))
        return out, mm, sorted(seen)

    (oa, ma, sa), (ob, mb, sb) = observed(numpy_meet, copy.deepcopy(m)), observed(kernel_meet, copy.deepcopy(m))
    pairs = [(getattr(oa, f), getattr(ob, f)) for f in oa.__dataclass_fields__]
    pairs += [(getattr(ma, f), getattr(mb, f)) for f in ("variant", "conceded", "last")]
    return sa == sb and all(np.array_equal(x, y, equal_nan=np.asarray(x).dtype.kind == "f") for x, y in pairs)


def whole_runs(scenario: str, seed: int, runs: int) -> tuple[dict, bool]:
    import sim
    from sim import negotiation
    times: dict[str, list] = {"numpy": [], "kernel": []}
    tables = {}
    for _ in range(runs):
        for name in ("numpy", "kernel"):
            negotiation.use_kernel(name == "kernel")
            t = time.process_time()
            r = sim.run(scenario, seed=seed)
            times[name].append(time.process_time() - t)
            tables[name] = r.tables
    negotiation.use_kernel(False)
    same = all(tables["numpy"][k].equals(tables["kernel"][k]) for k in tables["numpy"])
    return times, same


def load_cost() -> float:
    code = ("import time, sim.negotiation as n; t = time.perf_counter(); assert n.use_kernel(); "
            "print(time.perf_counter() - t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                cwd=ROOT).stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="nederland")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    import numba

    from sim import negotiation, negotiation_kernel
    negotiation_kernel.warm_up()
    months = capture(args.scenario, args.seed)
    differ = sum(not same_month(m, p, negotiation.meet_all_numpy, negotiation_kernel.meet_all) for m, p in months)
    best = {"numpy": math.inf, "kernel": math.inf}
    for _ in range(args.repeat):
        for name, f in (("numpy", negotiation.meet_all_numpy), ("kernel", negotiation_kernel.meet_all)):
            copies = [copy.deepcopy(m) for m, _ in months]
            t = time.perf_counter()
            for c, (_, protocol) in zip(copies, months):
                f(c, protocol, lambda *observations: None)
            best[name] = min(best[name], time.perf_counter() - t)
    times, same_tables = whole_runs(args.scenario, args.seed, args.runs)
    loading = min(load_cost() for _ in range(3))
    meetings = sum(len(m.variant) for m, _ in months)
    lo = {k: min(v) for k, v in times.items()}
    med = {k: statistics.median(v) for k, v in times.items()}
    lines = [
        f"numpy's `meet_all` against the compiled kernel (`sim/negotiation_kernel.py`) on every month of "
        f"`{args.scenario}` seed {args.seed} ({len(months)} months, {meetings} meetings), and whole runs with each.",
        f"Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}; months: minimum of "
        f"{args.repeat} passes each, alternating; runs: CPU time of {args.runs} runs each in one process, alternating.",
        f"Command: `python benchmarks/negotiation_kernel.py --scenario {args.scenario} --seed {args.seed} --repeat "
        f"{args.repeat} --runs {args.runs}{' --write ' + str(args.write) if args.write else ''}`",
        "",
        "| measure | value |",
        "|---|---|",
        f"| months whose outcome differs (any output array, the meetings' state, the record) | {differ} of {len(months)} |",
        f"| numpy, all months | {best['numpy'] * 1e3:.0f} ms |",
        f"| kernel, all months | {best['kernel'] * 1e3:.0f} ms |",
        f"| numpy / kernel | {best['numpy'] / best['kernel']:.1f}x |",
        f"| a run with numpy's (CPU s, best / median) | {lo['numpy']:.2f} / {med['numpy']:.2f} |",
        f"| a run with the kernel (CPU s, best / median) | {lo['kernel']:.2f} / {med['kernel']:.2f} |",
        f"| a run, numpy / kernel (best; median) | {lo['numpy'] / lo['kernel']:.2f}x; {med['numpy'] / med['kernel']:.2f}x |",
        f"| the runs' tables identical | {'yes' if same_tables else 'NO'} |",
        f"| loading the kernel in a fresh process (numba's import and cache; best of 3) | {loading:.2f} s |",
    ]
    emit("\n".join(lines) + "\n", args.write)
    if differ or not same_tables:
        sys.exit(1)


if __name__ == "__main__":
    main()
